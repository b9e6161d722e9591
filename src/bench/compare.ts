/**
 * Compares a baseline run A with a candidate run B (specs/benchmark.md §9): results paired by
 * (test name without mode suffix, mode, volume size); per pair the ratio B / A of the medians
 * (means for reference files), a noise band from the runs' spread, a Mann–Whitney rank test,
 * and a verdict (faster, slower, noise, not comparable); a summary over all pairs. Pure.
 *
 * @example
 * const c = compareRuns(parseRunFile(a, 'A.json'), parseRunFile(b, 'B.json'));
 * c.pairs[0]; // { test: 'Rotation 15°', mode: 'FAST', volume_size: '200³', ratio: 0.973, band: 0.05, p_value: 0.0079,
 *             //   verdict: 'faster', small_but_consistent: true, warnings: [], … }
 * c.summary;  // 'improvement'
 */
import type { AnyResult, BenchmarkRun } from './results.ts';
import { mannWhitneyU, percentile } from './statistics.ts';
import { splitResultName, type Mode } from './suite.ts';

export type Verdict = 'faster' | 'slower' | 'noise' | 'not comparable';
export const VERDICTS: readonly Verdict[] = ['faster', 'slower', 'noise', 'not comparable'];

/** Significance level of the rank test. */
export const ALPHA = 0.05;
/** Smallest noise band (5 %). */
export const MIN_BAND = 0.05;

export interface ComparedTest {
  /** Test name without the mode suffix. */
  test: string;
  /** null when neither file recorded the mode (reference runs without "compare both modes"). */
  mode: Mode | null;
  volume_size: string;
  /** The baseline result(s) (one per baseline run that has the test) and the candidate's. */
  baseline: AnyResult[];
  candidate: AnyResult | null;
  /** Which statistic the ratio compares: the median with raw samples on both sides, else the mean. */
  statistic: 'median' | 'mean' | null;
  a: number | null;
  b: number | null;
  /** B / A: below 1, B is faster. */
  ratio: number | null;
  /** 100·(ratio − 1). */
  change_percent: number | null;
  spread: number | null;
  /** The noise band b: within when 1/(1+b) ≤ ratio ≤ 1+b. */
  band: number | null;
  p_value: number | null;
  rank_test: 'exact' | 'normal' | null;
  verdict: Verdict;
  /** Inside the band, but the rank test says the shift is consistent. */
  small_but_consistent: boolean;
  /** Why a pair is not comparable; null otherwise. */
  reason: string | null;
  /** Differences that do not block the comparison (different worker count, …). */
  warnings: string[];
}

export interface Comparison {
  pairs: ComparedTest[];
  summary: 'regression' | 'improvement' | 'no change';
  counts: Record<Verdict, number>;
  /** Run-level differences (different machine, runtime, parity profile). */
  warnings: string[];
}

interface Keyed {
  test: string;
  mode: Mode | null;
  size: string;
  result: AnyResult;
}

function keyed(run: BenchmarkRun): Keyed[] {
  return run.results.map((r) => {
    const split = splitResultName(r.test_name);
    return { test: split.test, mode: r.mode ?? split.mode, size: r.volume_size.trim(), result: r };
  });
}

function hasSamples(r: AnyResult): r is AnyResult & { samples_ms: number[] } {
  return Array.isArray(r.samples_ms) && r.samples_ms.length > 0;
}

function validTimings(r: AnyResult): boolean {
  if (hasSamples(r)) return r.samples_ms.every((x) => Number.isFinite(x) && x >= 0) && r.mean_time_ms > 0;
  return r.iterations >= 1 && Number.isFinite(r.mean_time_ms) && r.mean_time_ms > 0;
}

/** A run's relative spread: IQR / median with ≥ 4 samples, else std / mean. */
export function relativeSpread(r: AnyResult): number {
  if (hasSamples(r) && r.samples_ms.length >= 4) {
    const med = percentile(r.samples_ms, 0.5);
    const iqr = percentile(r.samples_ms, 0.75) - percentile(r.samples_ms, 0.25);
    return med > 0 ? iqr / med : 0;
  }
  return r.mean_time_ms > 0 ? r.std_time_ms / r.mean_time_ms : 0;
}

function statisticOf(r: AnyResult, useMedian: boolean): number {
  return useMedian && hasSamples(r) ? percentile(r.samples_ms, 0.5) : r.mean_time_ms;
}

function differing<T>(values: readonly T[]): boolean {
  return new Set(values.map((v) => JSON.stringify(v))).size > 1;
}

/** Run-level differences between the baseline runs and the candidate. */
function runWarnings(runs: readonly BenchmarkRun[]): string[] {
  const envs = runs.map((r) => r.environment);
  const out: string[] = [];
  if (envs.every((e) => e !== null)) {
    const runtimes = differing(envs.map((e) => e!.runtime));
    if (runtimes) out.push('different runtime');
    // Platform strings are only comparable between runs of the same runtime.
    const platforms = !runtimes && differing(envs.map((e) => e!.platform).filter((p) => p !== ''));
    if (differing(envs.map((e) => e!.hardware_concurrency)) || platforms) {
      out.push('different machine: absolute times from different machines are not comparable in any useful sense');
    }
  } else if (envs.some((e) => e !== null)) {
    out.push('a reference run without environment: the machines may differ');
  }
  const parity = runs.map((r) => r.settings?.parity_profile ?? null);
  if (parity.every((p) => p !== null) && differing(parity)) out.push('different parity profile');
  return out;
}

function pairWarnings(baseline: readonly AnyResult[], candidate: AnyResult): string[] {
  const all = [...baseline, candidate];
  const out: string[] = [];
  const field = <K extends 'implementation' | 'workers' | 'warmup_iterations'>(k: K, label: string): void => {
    const values = all.map((r) => r[k]).filter((v) => v !== undefined);
    if (values.length === all.length ? differing(values) : values.length > 0) out.push(label);
  };
  field('implementation', 'different implementation');
  field('workers', 'different worker count');
  field('warmup_iterations', 'different warm-up');
  return out;
}

/**
 * Pairs for one key across the baseline runs and the candidate. A result without a recorded mode
 * pairs with the other side's only result of the same test and size.
 */
function collectPairs(baselines: readonly Keyed[][], candidate: Keyed[]): { test: string; mode: Mode | null; size: string; a: AnyResult[]; b: AnyResult | null; modeNote: string | null }[] {
  const out: { test: string; mode: Mode | null; size: string; a: AnyResult[]; b: AnyResult | null; modeNote: string | null }[] = [];
  const usedB = new Set<Keyed>();
  const find = (list: Keyed[], k: { test: string; mode: Mode | null; size: string }, used: Set<Keyed>): { hit: Keyed | null; note: string | null } => {
    const same = list.filter((x) => !used.has(x) && x.test === k.test && x.size === k.size);
    const exact = same.find((x) => x.mode === k.mode);
    if (exact) return { hit: exact, note: null };
    if (k.mode === null && same.length === 1) return { hit: same[0]!, note: 'mode not recorded in the baseline' };
    const unknown = same.filter((x) => x.mode === null);
    if (k.mode !== null && unknown.length === 1) return { hit: unknown[0]!, note: 'mode not recorded in the candidate' };
    return { hit: null, note: null };
  };
  // Keys come from the baselines first (in order), then candidate-only results.
  const usedA = baselines.map(() => new Set<Keyed>());
  baselines.forEach((list, bi) => {
    for (const k of list) {
      if (usedA[bi]!.has(k)) continue;
      const a: AnyResult[] = [k.result];
      usedA[bi]!.add(k);
      baselines.forEach((other, oi) => {
        if (oi <= bi) return;
        const m = find(other, k, usedA[oi]!);
        if (m.hit) {
          a.push(m.hit.result);
          usedA[oi]!.add(m.hit);
        }
      });
      const m = find(candidate, k, usedB);
      if (m.hit) usedB.add(m.hit);
      out.push({ test: k.test, mode: k.mode ?? m.hit?.mode ?? null, size: k.size, a, b: m.hit?.result ?? null, modeNote: m.note });
    }
  });
  for (const k of candidate) {
    if (!usedB.has(k)) out.push({ test: k.test, mode: k.mode, size: k.size, a: [], b: k.result, modeNote: null });
  }
  return out;
}

function comparePair(test: string, mode: Mode | null, size: string, a: AnyResult[], b: AnyResult | null, extraWarnings: string[]): ComparedTest {
  const base: ComparedTest = {
    test,
    mode,
    volume_size: size,
    baseline: a,
    candidate: b,
    statistic: null,
    a: null,
    b: null,
    ratio: null,
    change_percent: null,
    spread: null,
    band: null,
    p_value: null,
    rank_test: null,
    verdict: 'not comparable',
    small_but_consistent: false,
    reason: null,
    warnings: [...extraWarnings],
  };
  if (a.length === 0) return { ...base, reason: 'missing in the baseline' };
  if (b === null) return { ...base, reason: 'missing in the candidate' };
  if (!a.every(validTimings)) return { ...base, reason: 'no valid timings in the baseline' };
  if (!validTimings(b)) return { ...base, reason: 'no valid timings in the candidate' };
  base.warnings.push(...pairWarnings(a, b));
  const useMedian = a.every(hasSamples) && hasSamples(b);
  const aSamples = useMedian ? a.flatMap((r) => r.samples_ms ?? []) : [];
  const bSamples = useMedian ? (b.samples_ms ?? []) : [];
  const statA = useMedian ? percentile(aSamples, 0.5) : a.reduce((s, r) => s + r.mean_time_ms, 0) / a.length;
  const statB = statisticOf(b, useMedian);
  const ratio = statB / statA;
  let spreadA = Math.max(...a.map(relativeSpread));
  if (a.length > 1) {
    const stats = a.map((r) => statisticOf(r, useMedian));
    spreadA = Math.max(spreadA, Math.max(...stats) / Math.min(...stats) - 1);
  }
  const spread = Math.max(spreadA, relativeSpread(b));
  const band = Math.max(1.5 * spread, MIN_BAND);
  const within = ratio >= 1 / (1 + band) && ratio <= 1 + band;
  let p: number | null = null;
  let method: 'exact' | 'normal' | null = null;
  if (useMedian && aSamples.length >= 4 && bSamples.length >= 4) {
    const t = mannWhitneyU(aSamples, bSamples);
    p = t.p;
    method = t.method;
  }
  let verdict: Verdict;
  let small = false;
  if (!within) verdict = ratio < 1 ? 'faster' : 'slower';
  else if (p !== null && p < ALPHA && ratio !== 1) {
    verdict = ratio < 1 ? 'faster' : 'slower';
    small = true;
  } else verdict = 'noise';
  return {
    ...base,
    statistic: useMedian ? 'median' : 'mean',
    a: statA,
    b: statB,
    ratio,
    change_percent: 100 * (ratio - 1),
    spread,
    band,
    p_value: p,
    rank_test: method,
    verdict,
    small_but_consistent: small,
  };
}

/** Compares the candidate with one baseline run or several (their spread widens the band). */
export function compareRuns(baseline: BenchmarkRun | readonly BenchmarkRun[], candidate: BenchmarkRun): Comparison {
  const baselines: readonly BenchmarkRun[] = Array.isArray(baseline) ? baseline : [baseline as BenchmarkRun];
  if (baselines.length === 0) throw new RangeError('A comparison needs at least one baseline run.');
  const warnings = runWarnings([...baselines, candidate]);
  const pairs = collectPairs(baselines.map(keyed), keyed(candidate)).map((p) =>
    comparePair(p.test, p.mode, p.size, p.a, p.b, [...(p.modeNote ? [p.modeNote] : []), ...warnings]),
  );
  const counts: Record<Verdict, number> = { faster: 0, slower: 0, noise: 0, 'not comparable': 0 };
  for (const p of pairs) counts[p.verdict]++;
  const summary = counts.slower > 0 ? 'regression' : counts.faster > 0 ? 'improvement' : 'no change';
  return { pairs, summary, counts, warnings };
}

/** `×0.69 (−31.0 %)`: the ratio as the compare view shows it. */
export function formatRatio(ratio: number): string {
  const change = 100 * (ratio - 1);
  return `×${ratio.toFixed(2)} (${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(1)} %)`;
}
