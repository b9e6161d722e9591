import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the browser-only backend bundles for browsers and workers', () => {
  it.each([['src/acquisition/browser/backend.worker.ts'], ['src/acquisition/browser/backend.ts'], ['src/acquisition/simulator/connector.ts']])(
    '%s has no Node built-in and no Node-only module in its import graph',
    async (entry) => {
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((p) => p.startsWith('node:') || /\.node\.ts$/.test(p) || /flamingo\/(socket|connector|command-channel|live-channel)\.ts$/.test(p))).toEqual([]);
    },
  );
});
