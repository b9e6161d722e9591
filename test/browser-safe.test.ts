import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the public API runs in browsers and workers', () => {
  it('src/index.ts bundles for the browser with no Node built-in anywhere in its import graph', async () => {
    const result = await build({
      entryPoints: ['src/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /\.node\.ts$/.test(p))).toEqual([]);
    expect(inputs.some((p) => p.includes('acquisition/protocol/record.ts'))).toBe(true);
  });
});
