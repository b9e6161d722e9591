/**
 * The benchmark's statistics (specs/benchmark.md §7 and the rank test of §9), pure: they run
 * in Node, in the browser and in the benchmark panel's worker.
 *
 * @example
 * const s = summarize([53.1, 51.9, 52.4, 52.0, 51.2], 200);
 * // { iterations: 5, mean_time_ms: 52.12, std_time_ms: 0.6242…, median_time_ms: 52, p95_time_ms: 52.96,
 * //   iqr_time_ms: 0.5, rme_percent: 1.662…, throughput_voxels_per_sec: 1.5349e8, … }
 * mannWhitneyU([93.0, 95.1, 92.2, 97.4, 94.0], [90.8, 91.5, 92.0, 90.1, 91.9]).p // 0.0079…
 */

/** The statistics of one test's timed samples, keyed as in the export formats (§8). */
export interface SampleSummary {
  iterations: number;
  mean_time_ms: number;
  /** Population standard deviation (0 for one sample). */
  std_time_ms: number;
  min_time_ms: number;
  max_time_ms: number;
  /** n³ input voxels divided by the mean time in seconds (0 when the mean is 0). */
  throughput_voxels_per_sec: number;
  median_time_ms: number;
  p95_time_ms: number;
  iqr_time_ms: number;
  /** Relative margin of error of the mean at 95 %, in percent; null for fewer than 2 samples. */
  rme_percent: number | null;
}

/** Two-sided 95 % Student-t quantiles for df = 1 … 30 (§7). */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
] as const;

/** The two-sided 95 % Student-t quantile for `df` degrees of freedom (≥ 1). */
export function tQuantile95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`Degrees of freedom must be a positive integer, got ${df}.`);
  return T95[df - 1] ?? 1.96 + 2.4 / df;
}

function checkSamples(samples: readonly number[]): void {
  if (samples.length === 0) throw new RangeError('Statistics need at least one sample, got none.');
  for (const x of samples) {
    if (!Number.isFinite(x)) throw new RangeError(`Every sample must be a finite number, got ${x}.`);
  }
}

/**
 * The percentile by linear interpolation between closest ranks (numpy's default):
 * `h = (n − 1)·p`, `P = y[⌊h⌋] + (h − ⌊h⌋)·(y[⌊h⌋+1] − y[⌊h⌋])`. `p` is a fraction in [0, 1].
 */
export function percentile(samples: readonly number[], p: number): number {
  checkSamples(samples);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`A percentile must be between 0 and 1, got ${p}.`);
  const y = [...samples].sort((a, b) => a - b);
  return percentileOfSorted(y, p);
}

function percentileOfSorted(y: readonly number[], p: number): number {
  const h = (y.length - 1) * p;
  const k = Math.floor(h);
  const lo = y[k]!;
  const hi = y[k + 1] ?? lo;
  return lo + (h - k) * (hi - lo);
}

export function mean(samples: readonly number[]): number {
  checkSamples(samples);
  let sum = 0;
  for (const x of samples) sum += x;
  return sum / samples.length;
}

/** `sqrt(Σ(x − m)² / (n − ddof))`: ddof 0 is the population, 1 the sample standard deviation. */
export function standardDeviation(samples: readonly number[], ddof: 0 | 1 = 0): number {
  const m = mean(samples);
  const n = samples.length;
  if (n - ddof <= 0) return 0;
  let ss = 0;
  for (const x of samples) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (n - ddof));
}

/** All the §7 statistics of one test's samples (ms), for a volume of `volumeSize`³ input voxels. */
export function summarize(samples: readonly number[], volumeSize: number): SampleSummary {
  checkSamples(samples);
  const n = samples.length;
  const m = mean(samples);
  const y = [...samples].sort((a, b) => a - b);
  const voxels = volumeSize ** 3;
  const s = standardDeviation(samples, 1);
  return {
    iterations: n,
    mean_time_ms: m,
    std_time_ms: standardDeviation(samples, 0),
    min_time_ms: y[0]!,
    max_time_ms: y[n - 1]!,
    throughput_voxels_per_sec: m > 0 ? voxels / (m / 1000) : 0,
    median_time_ms: percentileOfSorted(y, 0.5),
    p95_time_ms: percentileOfSorted(y, 0.95),
    iqr_time_ms: percentileOfSorted(y, 0.75) - percentileOfSorted(y, 0.25),
    rme_percent: n < 2 || m === 0 ? null : (100 * tQuantile95(n - 1) * (s / Math.sqrt(n))) / m,
  };
}

export interface RankTest {
  /** The Mann–Whitney U of the first sample (count of pairs where a > b, ties counting ½). */
  u: number;
  /** Two-sided p value. */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Two-sided Mann–Whitney U test (§9 step 6): the exact distribution when both samples have at
 * most 20 values and there are no ties, else the normal approximation with tie and continuity
 * correction.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankTest {
  checkSamples(a);
  checkSamples(b);
  const m = a.length;
  const n = b.length;
  // Midranks of the pooled samples.
  const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumA += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumA - (m * (m + 1)) / 2;
  const ties = tieTerm > 0;
  if (m <= 20 && n <= 20 && !ties) {
    const counts = uDistribution(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    const ui = Math.round(u);
    let below = 0;
    for (let k = 0; k <= ui; k++) below += counts[k]!;
    let above = 0;
    for (let k = ui; k < counts.length; k++) above += counts[k]!;
    const p = Math.min(1, (2 * Math.min(below, above)) / total);
    return { u, p, method: 'exact' };
  }
  const big = m + n;
  const mu = (m * n) / 2;
  const variance = ((m * n) / 12) * (big + 1 - tieTerm / (big * (big - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const z = Math.max(0, Math.abs(u - mu) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, erfc(z / Math.SQRT2)), method: 'normal' };
}

/** Number of orderings of m + n distinct values giving each U = 0 … m·n (exact null distribution). */
function uDistribution(m: number, n: number): number[] {
  // f[i][j] = distribution for sizes (i, j), built by the recurrence
  // f(i, j, u) = f(i − 1, j, u − j) + f(i, j − 1, u).
  let prev: number[][] = [];
  for (let i = 0; i <= m; i++) {
    const row: number[][] = [];
    for (let j = 0; j <= n; j++) {
      if (i === 0 || j === 0) {
        row.push([1]);
        continue;
      }
      const left = row[j - 1]!;
      const up = prev[j]!;
      const d = new Array<number>(i * j + 1).fill(0);
      for (let k = 0; k < left.length; k++) d[k]! += left[k]!;
      for (let k = 0; k < up.length; k++) d[k + j]! += up[k]!;
      row.push(d);
    }
    prev = row;
  }
  return prev[n]!;
}

/** Complementary error function, |relative error| < 1.2e-7 (Chebyshev fit; plenty for α = 0.05). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
