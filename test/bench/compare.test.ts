import { describe, expect, it } from 'vitest';
import { compareRuns, formatRatio } from '../../src/bench/compare.ts';
import type { BenchmarkEnvironment } from '../../src/bench/environment.ts';
import { makeResult, type AnyResult, type BenchmarkRun, type ResultInit } from '../../src/bench/results.ts';

const ENV: BenchmarkEnvironment = {
  runtime: 'node',
  versions: { flamingo_viv: '0.1.0', node: '20.20.2', v8: '11' },
  platform: 'linux-x64',
  hardware_concurrency: 2,
  cross_origin_isolated: null,
  timer_resolution_ms: 0.0002,
  shared_array_buffer: true,
  wasm_simd: true,
  setup_ms: 30,
};

function result(name: string, samples: number[], over: Partial<ResultInit> = {}): AnyResult {
  return makeResult({ name, size: 200, samples, warmup: 1, mode: name.endsWith('[QUALITY]') ? 'QUALITY' : 'FAST', workers: 2, implementation: 'js-scalar', ...over });
}

function run(results: AnyResult[], env: Partial<BenchmarkEnvironment> = {}): BenchmarkRun {
  return { timestamp: '2026-11-26 10:00:00', results, source: 'flamingo-viv', timestamp_utc: null, settings: null, environment: { ...ENV, ...env } };
}

const A = [93.0, 95.1, 92.2, 97.4, 94.0];
const B = [90.8, 91.5, 92.0, 90.1, 91.9];

describe('comparing runs (spec §9)', () => {
  it('the worked example: inside the 5 % band but every B below every A → faster, small but consistent', () => {
    const c = compareRuns(run([result('Gaussian Smoothing', A)]), run([result('Gaussian Smoothing', B)]));
    const p = c.pairs[0]!;
    expect(p.statistic).toBe('median');
    expect(p.a).toBe(94.0);
    expect(p.b).toBe(91.5);
    expect(p.ratio).toBeCloseTo(0.973, 3);
    expect(p.spread).toBeCloseTo(2.1 / 94.0, 12);
    expect(p.band).toBe(0.05);
    expect(p.rank_test).toBe('exact');
    expect(p.p_value).toBeCloseTo(0.0079, 4);
    expect(p.verdict).toBe('faster');
    expect(p.small_but_consistent).toBe(true);
    expect(c.summary).toBe('improvement');
    expect(c.counts).toEqual({ faster: 1, slower: 0, noise: 0, 'not comparable': 0 });
  });

  it('outside the band: slower (summary regression) and faster; overlapping samples inside the band: noise', () => {
    const a = run([result('Rotation 15° [FAST]', A), result('Rotation 45° [FAST]', A), result('Rotation 90° [FAST]', A)]);
    const b = run([
      result('Rotation 15° [FAST]', A.map((x) => x * 1.3)),
      result('Rotation 45° [FAST]', A.map((x) => x * 0.5)),
      result('Rotation 90° [FAST]', [94.5, 92.9, 96.0, 93.1, 95.0]),
    ]);
    const c = compareRuns(a, b);
    expect(c.pairs.map((p) => [p.test, p.mode, p.verdict, p.small_but_consistent])).toEqual([
      ['Rotation 15°', 'FAST', 'slower', false],
      ['Rotation 45°', 'FAST', 'faster', false],
      ['Rotation 90°', 'FAST', 'noise', false],
    ]);
    expect(c.pairs[0]!.ratio).toBeCloseTo(1.3, 12);
    expect(c.summary).toBe('regression');
    expect(formatRatio(0.69)).toBe('×0.69 (−31.0 %)');
  });

  it('a wide spread widens the band: 1.5 × the larger spread', () => {
    const noisy = [60, 80, 100, 120, 140];
    const c = compareRuns(run([result('Downsample 3x', noisy)]), run([result('Downsample 3x', noisy.map((x) => x * 1.2))]));
    const p = c.pairs[0]!;
    expect(p.spread).toBeCloseTo(40 / 100, 12);
    expect(p.band).toBeCloseTo(0.6, 12);
    expect(p.verdict).toBe('noise');
  });

  it('pairs by test, mode and size: missing ones and other sizes are not comparable', () => {
    const a = run([result('Gaussian Smoothing [FAST]', A), result('Gaussian Smoothing [QUALITY]', A), result('Full Pipeline [FAST]', A)]);
    const b = run([result('Gaussian Smoothing [QUALITY]', B), result('Gaussian Smoothing [FAST]', B), result('Full Pipeline [FAST]', A, { size: 100 })]);
    const c = compareRuns(a, b);
    const byKey = Object.fromEntries(c.pairs.map((p) => [`${p.test}|${p.mode}|${p.volume_size}`, p]));
    expect(byKey['Gaussian Smoothing|FAST|200³']!.verdict).toBe('faster');
    expect(byKey['Gaussian Smoothing|QUALITY|200³']!.verdict).toBe('faster');
    expect(byKey['Full Pipeline|FAST|200³']).toMatchObject({ verdict: 'not comparable', reason: 'missing in the candidate' });
    expect(byKey['Full Pipeline|FAST|100³']).toMatchObject({ verdict: 'not comparable', reason: 'missing in the baseline' });
    expect(c.counts['not comparable']).toBe(2);
  });

  it('a result without valid timings is not comparable', () => {
    const bad: AnyResult = { ...result('Gaussian Smoothing', A), mean_time_ms: 0, samples_ms: [0, 0, 0, 0, 0] };
    const c = compareRuns(run([result('Gaussian Smoothing', A)]), run([bad]));
    expect(c.pairs[0]).toMatchObject({ verdict: 'not comparable', reason: 'no valid timings in the candidate' });
    expect(c.summary).toBe('no change');
  });

  it('lists differences that do not block the comparison as warnings', () => {
    const c = compareRuns(run([result('Gaussian Smoothing', A)]), run([result('Gaussian Smoothing', B, { workers: 1, implementation: 'wasm-simd-f64x2', warmup: 0 })], { hardware_concurrency: 8 }));
    expect(c.warnings.join('; ')).toMatch(/different machine/);
    expect(c.pairs[0]!.warnings).toEqual(expect.arrayContaining(['different implementation', 'different worker count', 'different warm-up']));
    expect(c.pairs[0]!.verdict).toBe('faster');
    // Python's platform string reads differently from Node's: only the runtime differs.
    const py = compareRuns(run([result('Gaussian Smoothing', A)], { runtime: 'python', platform: 'Linux-6.1-x86_64-with-glibc2.36' }), run([result('Gaussian Smoothing', B)]));
    expect(py.warnings).toEqual(['different runtime']);
    const other = compareRuns(run([result('Gaussian Smoothing', A)], { platform: 'darwin-arm64' }), run([result('Gaussian Smoothing', B)]));
    expect(other.warnings.join()).toMatch(/different machine/);
  });

  it('against a reference file: means (no raw samples), std/mean spread, and bare names pair with the only mode', () => {
    const ref: BenchmarkRun = {
      timestamp: '2026-11-26 10:00:00',
      source: 'reference',
      timestamp_utc: null,
      settings: null,
      environment: null,
      results: [{ test_name: 'Rotation 15°', volume_size: '200³', iterations: 5, mean_time_ms: 243.8, std_time_ms: 41.9, min_time_ms: 184.5, max_time_ms: 302.5, throughput_voxels_per_sec: 32815604.5 }],
    };
    const c = compareRuns(ref, run([result('Rotation 15°', [52, 53, 51, 52, 52])]));
    const p = c.pairs[0]!;
    expect(p.statistic).toBe('mean');
    expect(p.a).toBe(243.8);
    expect(p.b).toBe(52);
    expect(p.spread).toBeCloseTo(41.9 / 243.8, 12);
    expect(p.p_value).toBeNull();
    expect(p.verdict).toBe('faster');
    expect(p.mode).toBe('FAST');
    expect(c.warnings.join()).toMatch(/reference run without environment/);
  });

  it('several baselines: pooled samples, and the band at least the relative range of their medians', () => {
    const a1 = run([result('Gaussian Smoothing', [100, 100.5, 99.5, 100.2, 99.8])]);
    const a2 = run([result('Gaussian Smoothing', [110, 110.5, 109.5, 110.2, 109.8])]);
    const c = compareRuns([a1, a2], run([result('Gaussian Smoothing', [112, 112.5, 111.5, 112.2, 111.8])]));
    const p = c.pairs[0]!;
    expect(p.baseline).toHaveLength(2);
    expect(p.spread).toBeCloseTo(0.1, 12);
    expect(p.band).toBeCloseTo(0.15, 12);
    expect(p.verdict).toBe('slower');
    expect(p.small_but_consistent).toBe(true);
  });
});
