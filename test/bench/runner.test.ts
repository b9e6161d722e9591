import { simdSupported } from '../../src/transforms/kernels/wasm/gaussian-simd.ts';
import { describe, expect, it } from 'vitest';
import { describeEnvironment } from '../../src/bench/environment.ts';
import { inlineExecutor } from '../../src/bench/executor.ts';
import { resolveSettings, runSuite, type SuiteProgress, type TestOutcome, type TransformExecutor } from '../../src/bench/runner.ts';
import { makeTestVolume, testPipeline, testSeed, TEST_NAMES } from '../../src/bench/suite.ts';
import { applyPipeline } from '../../src/transforms/apply.ts';

const environment = describeEnvironment({ appVersion: '0.0.0-test', timerResolutionMs: 0.001, hardwareConcurrency: 2 });

/** A clock that advances 1 ms per reading: every timed sample is exactly 1. */
function stepClock(): () => number {
  let t = 0;
  return () => t++;
}

describe('the suite runner', () => {
  it('runs every test in both modes, FAST first, with suffixed names, fresh seeded data, outputs equal to the kernels', async () => {
    const outcomes: TestOutcome[] = [];
    const run = await runSuite(inlineExecutor(), { sizes: [12], iterations: 2, warmup: 1, mode: 'both', seed: 99, environment, now: stepClock(), onTestDone: (t) => void outcomes.push(t) });
    expect(run.cancelled).toBe(false);
    expect(run.results.map((r) => r.test_name)).toEqual([...TEST_NAMES.map((t) => `${t} [FAST]`), ...TEST_NAMES.map((t) => `${t} [QUALITY]`)]);
    for (const r of run.results) {
      expect(r).toMatchObject({ volume_size: '12³', iterations: 2, warmup_iterations: 1, workers: 1, samples_ms: [1, 1], mean_time_ms: 1, std_time_ms: 0 });
    }
    // Each result names the kernels it ran on: the Gaussian's own (SIMD where WebAssembly has it), the others scalar.
    const gaussian = simdSupported() ? 'wasm-simd-f64x2' : 'js-scalar';
    expect(run.results.map((r) => r.implementation).slice(0, 7)).toEqual([gaussian, 'js-scalar', 'js-scalar', 'js-scalar', 'js-scalar', 'js-scalar', gaussian === 'js-scalar' ? 'js-scalar' : `${gaussian}+js-scalar`]);
    expect(run.results[7]!.mode).toBe('QUALITY');
    expect(run.settings).toMatchObject({ volume_size: 12, seed: 99, compare_both_modes: true, mode: 'FAST', parity_profile: 'scipy-1.17', tests: [...TEST_NAMES] });
    outcomes.forEach((o, k) => {
      expect(o.seed).toBe(testSeed(99, k));
      const input = makeTestVolume(12, testSeed(99, k));
      expect(o.input.data).toEqual(input.data);
      expect(o.output.data).toEqual(applyPipeline(input, testPipeline(o.test, o.mode, 12)).data);
    });
    expect(outcomes.find((o) => o.test === 'Downsample 3x')!.output.shape).toEqual([4, 4, 4]);
    expect(run.warnings).toEqual([]);
  });

  it('flags samples shorter than 100 × the timer resolution', async () => {
    const coarse = { ...environment, timer_resolution_ms: 0.1 };
    const run = await runSuite(inlineExecutor(), { sizes: [10], iterations: 2, warmup: 0, tests: ['Downsample 3x'], environment: coarse, now: stepClock() });
    expect(run.warnings).toEqual(['Downsample 3x at 10³: 2 of 2 samples are shorter than 100 × the timer resolution (10.0 ms).']);
  });

  it('reports progress as §6 says: floor(100·k/N) and "Running <name>..." before each test, then 100 % Complete', async () => {
    const events: SuiteProgress[] = [];
    await runSuite(inlineExecutor(), { sizes: [10], iterations: 1, warmup: 0, mode: 'QUALITY', tests: ['Rotation 90°', 'Gaussian Smoothing', 'Downsample 3x'], environment, onProgress: (p) => events.push(p) });
    const starts = events.filter((e) => e.iteration === 0);
    expect(starts.map((e) => [e.percent, e.status])).toEqual([
      [0, 'Running Gaussian Smoothing...'],
      [33, 'Running Rotation 90°...'],
      [66, 'Running Downsample 3x...'],
      [100, 'Complete'],
    ]);
    expect(events.at(-1)!.fraction).toBe(1);
  });

  it('cancels between iterations: the cancelled test gives no row, completed ones stay', async () => {
    const controller = new AbortController();
    let calls = 0;
    const inner = inlineExecutor();
    const executor: TransformExecutor = { ...inner, run: (v, ops, s) => (++calls === 4 ? (controller.abort(new Error('stop')), inner.run(v, ops, s)) : inner.run(v, ops, s)) };
    const run = await runSuite(executor, { sizes: [10], iterations: 3, warmup: 0, environment, signal: controller.signal, tests: ['Gaussian Smoothing', 'Translation Shift', 'Downsample 3x'] });
    expect(run.cancelled).toBe(true);
    expect(run.results.map((r) => r.test_name)).toEqual(['Gaussian Smoothing']);
    expect(calls).toBe(4);
  });

  it('a signal aborted before the start runs nothing', async () => {
    const run = await runSuite(inlineExecutor(), { sizes: [10], environment, signal: AbortSignal.abort() });
    expect(run).toMatchObject({ cancelled: true, results: [] });
  });

  it('checks its settings with one sentence per problem', () => {
    expect(() => resolveSettings({ iterations: 0 }, 1)).toThrow('Iterations must be an integer from 1 to 100, got 0.');
    expect(() => resolveSettings({ warmup: 21 }, 1)).toThrow(/Warm-up iterations must be an integer from 0 to 20/);
    expect(() => resolveSettings({ sizes: [] }, 1)).toThrow(/At least one volume size/);
    expect(() => resolveSettings({ tests: ['Rotation 30°' as never] }, 1)).toThrow(/'Rotation 30°' is not a test of the suite/);
    expect(() => resolveSettings({ seed: 2 ** 32 }, 1)).toThrow(/seed must be an integer from 0 to 4294967295/);
    expect(resolveSettings({ tests: ['Full Pipeline', 'Gaussian Smoothing'] }, 3).tests).toEqual(['Gaussian Smoothing', 'Full Pipeline']);
  });
});
