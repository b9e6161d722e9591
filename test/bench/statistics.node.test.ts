import { describe, expect, it } from 'vitest';
import { mannWhitneyU, percentile, summarize, tQuantile95 } from '../../src/bench/statistics.ts';
import { prng } from '../support.ts';
import { python } from './python.ts';

const NUMPY_STATS = `
import json, sys, numpy as np
from scipy import stats
out = []
for case in json.load(sys.stdin):
    x = np.array(case['samples'], dtype=np.float64); n = len(x); m = x.mean()
    df = n - 1
    t = None if n < 2 else (round(float(stats.t.ppf(0.975, df)), 3) if df <= 30 else 1.96 + 2.4 / df)
    out.append({
        'mean': float(m), 'std': float(np.std(x)), 'min': float(x.min()), 'max': float(x.max()),
        'median': float(np.percentile(x, 50)), 'p95': float(np.percentile(x, 95)),
        'iqr': float(np.percentile(x, 75) - np.percentile(x, 25)),
        'rme': None if n < 2 else float(100 * t * (np.std(x, ddof=1) / np.sqrt(n)) / m),
        'throughput': float(case['size'] ** 3 / (m / 1000)),
    })
print(json.dumps(out))
`;

describe('benchmark statistics (spec §7)', () => {
  it('reproduce the worked example of §7', () => {
    const s = summarize([53.1, 51.9, 52.4, 52.0, 51.2], 200);
    expect(s.iterations).toBe(5);
    expect(s.mean_time_ms).toBeCloseTo(52.12, 12);
    expect(s.std_time_ms).toBeCloseTo(0.6242, 4);
    expect(s.min_time_ms).toBe(51.2);
    expect(s.max_time_ms).toBe(53.1);
    expect(s.throughput_voxels_per_sec / 1e8).toBeCloseTo(1.5349, 4);
    expect(s.median_time_ms).toBe(52);
    expect(s.p95_time_ms).toBeCloseTo(52.96, 12);
    expect(s.iqr_time_ms).toBeCloseTo(0.5, 12);
    expect(s.rme_percent!).toBeCloseTo(1.66, 2);
  });

  it('agree with numpy (mean, population std, percentiles, IQR) and the t-based rme on the same samples', () => {
    const rnd = prng(42);
    const cases: { samples: number[]; size: number }[] = [
      { samples: [10], size: 100 },
      { samples: [3, 3, 3, 3], size: 200 },
      { samples: [1.5, 2.25], size: 300 },
    ];
    for (const n of [2, 3, 4, 5, 7, 10, 20, 31, 45, 100]) {
      cases.push({ samples: Array.from({ length: n }, () => 50 + 200 * rnd() ** 3), size: [100, 200, 300][n % 3]! });
    }
    const ref = python<{ mean: number; std: number; min: number; max: number; median: number; p95: number; iqr: number; rme: number | null; throughput: number }[]>(NUMPY_STATS, cases);
    cases.forEach((c, i) => {
      const s = summarize(c.samples, c.size);
      const r = ref[i]!;
      const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
      close(s.mean_time_ms, r.mean);
      close(s.std_time_ms, r.std);
      expect(s.min_time_ms).toBe(r.min);
      expect(s.max_time_ms).toBe(r.max);
      close(s.median_time_ms, r.median);
      close(s.p95_time_ms, r.p95);
      close(s.iqr_time_ms, r.iqr);
      close(s.throughput_voxels_per_sec, r.throughput);
      if (r.rme === null) expect(s.rme_percent).toBeNull();
      else close(s.rme_percent!, r.rme);
    });
  });

  it('the t table matches scipy to 3 decimals, and 1.96 + 2.4/df stays within 0.003 beyond 30', () => {
    const dfs = Array.from({ length: 200 }, (_, i) => i + 1);
    const t = python<number[]>('import json,sys\nfrom scipy import stats\nprint(json.dumps([float(stats.t.ppf(0.975, d)) for d in json.load(sys.stdin)]))', dfs);
    dfs.forEach((df, i) => expect(Math.abs(tQuantile95(df) - t[i]!)).toBeLessThanOrEqual(df <= 30 ? 0.0005 : 0.003));
    expect(() => tQuantile95(0)).toThrow(/positive integer/);
  });

  it('percentile uses linear interpolation between closest ranks and rejects bad input', () => {
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([7], 0.95)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow(/at least one sample/);
    expect(() => percentile([1, NaN], 0.5)).toThrow(/finite/);
    expect(() => percentile([1], 1.5)).toThrow(/between 0 and 1/);
  });
});

describe('Mann–Whitney U (spec §9 step 6)', () => {
  it('gives the exact p of the worked example and the smallest p for 4 + 4 and 5 + 5', () => {
    const r = mannWhitneyU([93.0, 95.1, 92.2, 97.4, 94.0], [90.8, 91.5, 92.0, 90.1, 91.9]);
    expect(r.method).toBe('exact');
    expect(r.u).toBe(25);
    expect(r.p).toBeCloseTo(2 / 252, 12);
    expect(mannWhitneyU([5, 6, 7, 8], [1, 2, 3, 4]).p).toBeCloseTo(2 / 70, 12);
  });

  it('agrees with scipy.stats.mannwhitneyu (exact without ties, normal with tie and continuity correction)', () => {
    const rnd = prng(7);
    const cases: { a: number[]; b: number[] }[] = [];
    for (const [m, n, ties] of [[4, 4, false], [5, 7, false], [12, 9, false], [20, 20, false], [25, 22, false], [6, 6, true], [10, 15, true], [30, 3, false]] as const) {
      const draw = (): number => (ties ? Math.round(rnd() * 6) : 100 + rnd() * 10);
      cases.push({ a: Array.from({ length: m }, draw), b: Array.from({ length: n }, () => draw() + (ties ? 1 : 1.5)) });
    }
    const ref = python<{ u: number; p: number }[]>(
      `import json,sys
from scipy import stats
out=[]
for c in json.load(sys.stdin):
    a, b = c['a'], c['b']
    ties = len(set(a + b)) < len(a) + len(b)
    method = 'exact' if len(a) <= 20 and len(b) <= 20 and not ties else 'asymptotic'
    r = stats.mannwhitneyu(a, b, alternative='two-sided', use_continuity=True, method=method)
    out.append({'u': float(r.statistic), 'p': float(r.pvalue)})
print(json.dumps(out))`,
      cases,
    );
    cases.forEach((c, i) => {
      const r = mannWhitneyU(c.a, c.b);
      expect(r.u).toBe(ref[i]!.u);
      expect(Math.abs(r.p - ref[i]!.p)).toBeLessThanOrEqual(r.method === 'exact' ? 1e-12 : 1e-6);
    });
  });
});
