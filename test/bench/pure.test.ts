import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the benchmark core runs in browsers and workers', () => {
  it('statistics, suite, runner, executors, export and compare bundle for the browser with no Node built-in', async () => {
    const entries = ['statistics', 'suite', 'results', 'environment', 'runner', 'executor', 'export', 'compare'].map((m) => `src/bench/${m}.ts`);
    const result = await build({ entryPoints: entries, bundle: true, platform: 'browser', format: 'esm', write: false, outdir: 'out', logLevel: 'silent', metafile: true });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /\.node\.ts$/.test(p))).toEqual([]);
    // The statistics, export and compare modules stand alone: no kernels pulled in.
    const alone = await build({ entryPoints: ['src/bench/statistics.ts', 'src/bench/export.ts', 'src/bench/compare.ts'], bundle: true, platform: 'neutral', format: 'esm', write: false, outdir: 'out', logLevel: 'silent', metafile: true });
    expect(Object.keys(alone.metafile.inputs).filter((p) => p.includes('transforms/'))).toEqual([]);
  });
});
