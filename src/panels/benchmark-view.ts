/**
 * The Benchmark panel's logic without React: the form (sizes, iterations, warm-up, mode,
 * workers, tests) checked into worker options, the rows of the results table (with the
 * comparison against a loaded baseline run when there is one), the bars of the chart (mean ±
 * std per result) and the export files (the same CSV and JSON as `flamingo-viv bench`).
 *
 * @example
 * const checked = checkBenchForm(defaultBenchForm(2));   // { ok: true, options } or { ok: false, error }
 * const rows = benchRows(run, baseline);                  // one row per result, with ratio and verdict
 * const bars = benchBars(run.results, 400);               // x, width, mean and whisker heights in px
 * const { csv, json } = benchFiles(run);                  // toCsv / toJson
 */
import type { BenchRunOptions } from '../bench/bench-api.ts';
import { compareRuns, formatRatio, type ComparedTest, type Verdict } from '../bench/compare.ts';
import { DEFAULT_CSV_NAME, DEFAULT_JSON_NAME, toCsv, toJson } from '../bench/export.ts';
import type { AnyResult, BenchmarkRun, CompleteRun } from '../bench/results.ts';
import { resolveSettings, type SuiteChoice } from '../bench/runner.ts';
import { REFERENCE_SIZES, TEST_NAMES, splitResultName } from '../bench/suite.ts';

/** The panel's suite form. */
export type BenchForm = SuiteChoice;

/** The reference dialog's defaults: 200³, 5 iterations, 1 warm-up, FAST, every test. */
export function defaultBenchForm(cores: number): BenchForm {
  return { sizes: [200], iterations: 5, warmup: 1, mode: 'FAST', workers: Math.max(1, Math.min(cores, 8)), tests: [...TEST_NAMES] };
}

/** The sizes the panel offers (the reference's). */
export const BENCH_SIZES: readonly number[] = REFERENCE_SIZES;

export type CheckedForm = { ok: true; options: BenchRunOptions } | { ok: false; error: string };

/** The form as worker options, or the first problem as one sentence. */
export function checkBenchForm(form: BenchForm): CheckedForm {
  if (!Number.isInteger(form.workers) || form.workers < 1 || form.workers > 64) {
    return { ok: false, error: `Workers must be an integer from 1 to 64, got ${form.workers}.` };
  }
  try {
    resolveSettings({ sizes: form.sizes, iterations: form.iterations, warmup: form.warmup, mode: form.mode, tests: form.tests }, form.workers);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  // Sizes in increasing order, tests in the suite's (resolveSettings orders them too).
  const sizes = [...new Set(form.sizes)].sort((a, b) => a - b);
  return { ok: true, options: { sizes, iterations: form.iterations, warmup: form.warmup, mode: form.mode, tests: [...form.tests], workers: form.workers } };
}

export interface BenchRow {
  name: string;
  size: string;
  iterations: number;
  mean: string;
  std: string;
  min: string;
  max: string;
  median: string;
  throughput: string;
  /** Filled when a baseline is loaded: the baseline's statistic, the ratio B/A, the band, the verdict. */
  baseline: string;
  ratio: string;
  band: string;
  verdict: Verdict | '';
}

const ms = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '' : v.toFixed(2));

function throughputText(v: number): string {
  if (!Number.isFinite(v) || v <= 0) return '';
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(0);
}

function pairKey(test: string, mode: string | null, size: string): string {
  return `${test}|${mode ?? ''}|${size.trim()}`;
}

/** Table rows for `run`'s results; with `baseline`, each row gets its comparison (compareRuns). */
export function benchRows(run: BenchmarkRun, baseline: BenchmarkRun | null = null): BenchRow[] {
  const pairs = new Map<string, ComparedTest>();
  if (baseline) for (const p of compareRuns(baseline, run).pairs) pairs.set(pairKey(p.test, p.mode, p.volume_size), p);
  return run.results.map((r: AnyResult) => {
    const split = splitResultName(r.test_name);
    const p = pairs.get(pairKey(split.test, r.mode ?? split.mode, r.volume_size)) ?? null;
    return {
      name: r.test_name,
      size: r.volume_size,
      iterations: r.iterations,
      mean: ms(r.mean_time_ms),
      std: ms(r.std_time_ms),
      min: ms(r.min_time_ms),
      max: ms(r.max_time_ms),
      median: ms(r.median_time_ms),
      throughput: throughputText(r.throughput_voxels_per_sec),
      baseline: p ? ms(p.a) : '',
      ratio: p?.ratio != null ? formatRatio(p.ratio) : '',
      band: p?.band != null ? `±${(100 * p.band).toFixed(1)} %` : '',
      verdict: p ? p.verdict : '',
    };
  });
}

export interface BenchBar {
  label: string;
  mean: number;
  std: number;
  /** Horizontal bar geometry in px: the bar from 0 to `width`, the whisker from `lo` to `hi`. */
  y: number;
  width: number;
  lo: number;
  hi: number;
}

/** Horizontal bars of mean ± std, scaled so the longest whisker fits `chartWidth` px; rows `rowHeight` apart. */
export function benchBars(results: readonly AnyResult[], chartWidth: number, rowHeight = 18): { bars: BenchBar[]; maxMs: number } {
  const maxMs = Math.max(0, ...results.map((r) => r.mean_time_ms + (r.std_time_ms || 0)));
  const scale = maxMs > 0 ? chartWidth / maxMs : 0;
  const bars = results.map((r, i) => {
    const std = Number.isFinite(r.std_time_ms) ? r.std_time_ms : 0;
    return {
      label: `${r.test_name} ${r.volume_size}`,
      mean: r.mean_time_ms,
      std,
      y: i * rowHeight,
      width: r.mean_time_ms * scale,
      lo: Math.max(0, r.mean_time_ms - std) * scale,
      hi: (r.mean_time_ms + std) * scale,
    };
  });
  return { bars, maxMs };
}

/** The run as the CLI writes it: CSV and JSON text with their default file names. */
export function benchFiles(run: CompleteRun): { csv: string; json: string; csvName: string; jsonName: string } {
  return { csv: toCsv(run), json: toJson(run), csvName: DEFAULT_CSV_NAME, jsonName: DEFAULT_JSON_NAME };
}
