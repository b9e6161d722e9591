import { describe, expect, it } from 'vitest';
import { createBenchApi } from '../../src/bench/bench-api.ts';
import { parseRunFile, toCsv, toJson } from '../../src/bench/export.ts';
import type { SuiteProgress, SuiteRun } from '../../src/bench/runner.ts';
import { TEST_NAMES } from '../../src/bench/suite.ts';
import { benchBars, benchFiles, benchRows, checkBenchForm, defaultBenchForm } from '../../src/panels/benchmark-view.ts';

async function tinyRun(seed: number): Promise<SuiteRun> {
  return createBenchApi().run({ sizes: [6], iterations: 4, warmup: 0, tests: ['Rotation 90°', 'Downsample 3x'], mode: 'both', seed, appVersion: 't' });
}

describe('the Benchmark panel logic', () => {
  it('checks the form with the runner’s own rules', () => {
    const form = defaultBenchForm(2);
    expect(form).toEqual({ sizes: [200], iterations: 5, warmup: 1, mode: 'FAST', workers: 2, tests: [...TEST_NAMES] });
    const ok = checkBenchForm({ ...form, sizes: [300, 100, 300] });
    expect(ok).toEqual({ ok: true, options: { sizes: [100, 300], iterations: 5, warmup: 1, mode: 'FAST', tests: [...TEST_NAMES], workers: 2 } });
    expect(checkBenchForm({ ...form, sizes: [] })).toEqual({ ok: false, error: 'At least one volume size is needed.' });
    expect(checkBenchForm({ ...form, tests: [] })).toEqual({ ok: false, error: 'At least one test is needed.' });
    expect(checkBenchForm({ ...form, iterations: 0 })).toEqual({ ok: false, error: 'Iterations must be an integer from 1 to 100, got 0.' });
    expect(checkBenchForm({ ...form, warmup: 21 })).toEqual({ ok: false, error: 'Warm-up iterations must be an integer from 0 to 20, got 21.' });
    expect(checkBenchForm({ ...form, workers: 0 })).toEqual({ ok: false, error: 'Workers must be an integer from 1 to 64, got 0.' });
  });

  it('runs the suite through the worker API (inline kernels), with progress, and the panel files are the CLI’s', async () => {
    const progress: SuiteProgress[] = [];
    const run = await createBenchApi().run({ sizes: [6], iterations: 2, warmup: 1, tests: ['Translation Shift'], appVersion: 'x' }, (p) => progress.push(p));
    expect(run.cancelled).toBe(false);
    expect(run.results.map((r) => [r.test_name, r.volume_size, r.samples_ms.length, r.workers])).toEqual([['Translation Shift', '6³', 2, 1]]);
    expect(progress.at(-1)).toMatchObject({ percent: 100, status: 'Complete' });
    const files = benchFiles(run);
    expect(files).toEqual({ csv: toCsv(run), json: toJson(run), csvName: 'benchmark_results.csv', jsonName: 'benchmark_results.json' });
    expect(parseRunFile(files.json).results).toHaveLength(1);
  });

  it('cancel() stops a run; it resolves with the tests already done', async () => {
    const api = createBenchApi();
    const pending = api.run({ sizes: [24], iterations: 20, warmup: 0, mode: 'both', appVersion: 'x' }, (p) => {
      if (p.testIndex === 1 && p.iteration === 1) api.cancel();
    });
    await expect(api.run({ sizes: [4], appVersion: 'x' })).rejects.toThrow('A benchmark run is already in progress in this worker');
    const run = await pending;
    expect(run.cancelled).toBe(true);
    expect(run.results.map((r) => r.test_name)).toEqual(['Gaussian Smoothing [FAST]']);
  });

  it('table rows carry the statistics, and with a baseline the ratio, band and verdict per test', async () => {
    const a = await tinyRun(1);
    const rows = benchRows(a);
    expect(rows.map((r) => [r.name, r.size, r.iterations, r.verdict])).toEqual([
      ['Rotation 90° [FAST]', '6³', 4, ''], ['Downsample 3x [FAST]', '6³', 4, ''],
      ['Rotation 90° [QUALITY]', '6³', 4, ''], ['Downsample 3x [QUALITY]', '6³', 4, ''],
    ]);
    expect(rows[0]!.mean).toBe(a.results[0]!.mean_time_ms.toFixed(2));
    // A baseline twice as slow, read back from its JSON: every test is faster (×0.50).
    const slow = parseRunFile(toJson({ ...a, results: a.results.map((r) => ({ ...r, mean_time_ms: 2 * r.mean_time_ms, median_time_ms: 2 * r.median_time_ms, samples_ms: r.samples_ms.map((s) => 2 * s + 1) })) }));
    const fixed: SuiteRun = { ...a, results: a.results.map((r) => ({ ...r, samples_ms: r.samples_ms.map(() => 1), median_time_ms: 1, mean_time_ms: 1 })) };
    const base = { ...slow, results: slow.results.map((r) => ({ ...r, samples_ms: r.samples_ms!.map(() => 2), median_time_ms: 2, mean_time_ms: 2 })) };
    const compared = benchRows(fixed, base);
    expect(compared.map((r) => [r.ratio, r.verdict, r.baseline])).toEqual(Array(4).fill(['×0.50 (−50.0 %)', 'faster', '2.00']));
    expect(compared[0]!.band).toMatch(/^±\d+\.\d %$/);
  });

  it('chart bars scale mean ± std to the width', () => {
    const results = [
      { test_name: 'A', volume_size: '6³', iterations: 3, mean_time_ms: 10, std_time_ms: 2, min_time_ms: 8, max_time_ms: 12, throughput_voxels_per_sec: 1 },
      { test_name: 'B', volume_size: '6³', iterations: 3, mean_time_ms: 30, std_time_ms: 10, min_time_ms: 20, max_time_ms: 40, throughput_voxels_per_sec: 1 },
    ];
    const { bars, maxMs } = benchBars(results, 400, 20);
    expect(maxMs).toBe(40);
    expect(bars).toEqual([
      { label: 'A 6³', mean: 10, std: 2, y: 0, width: 100, lo: 80, hi: 120 },
      { label: 'B 6³', mean: 30, std: 10, y: 20, width: 300, lo: 200, hi: 400 },
    ]);
  });
});
