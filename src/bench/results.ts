/**
 * The shape of a benchmark run as the export formats hold it (specs/benchmark.md §7–§8): one
 * result per test with the reference's eight keys first, then flamingo-viv's; the run's
 * settings and environment. Keys are the file keys (snake_case) so a run serialises as is.
 * Pure types plus one builder.
 *
 * @example
 * const r = makeResult({ name: 'Rotation 15° [FAST]', size: 200, samples: [53.1, 51.9, 52.4, 52, 51.2],
 *   warmup: 1, mode: 'FAST', workers: 2, implementation: 'js-scalar' });
 * r.mean_time_ms; // 52.12
 */
import type { BenchmarkEnvironment } from './environment.ts';
import { summarize } from './statistics.ts';
import { volumeLabel, type Mode } from './suite.ts';
import type { ParityProfile } from '../transforms/types.ts';

/** The eight keys of the reference (py2flamingo) in their order. */
export const REFERENCE_KEYS = [
  'test_name',
  'volume_size',
  'iterations',
  'mean_time_ms',
  'std_time_ms',
  'min_time_ms',
  'max_time_ms',
  'throughput_voxels_per_sec',
] as const;

/** flamingo-viv's result keys after the reference's, in their order. */
export const EXTRA_RESULT_KEYS = [
  'warmup_iterations',
  'median_time_ms',
  'p95_time_ms',
  'iqr_time_ms',
  'rme_percent',
  'mode',
  'workers',
  'implementation',
  'samples_ms',
] as const;

/** One result as the reference writes it. */
export interface ReferenceResult {
  test_name: string;
  volume_size: string;
  iterations: number;
  mean_time_ms: number;
  std_time_ms: number;
  min_time_ms: number;
  max_time_ms: number;
  throughput_voxels_per_sec: number;
}

/** One result as flamingo-viv writes it. */
export interface BenchmarkResult extends ReferenceResult {
  warmup_iterations: number;
  median_time_ms: number;
  p95_time_ms: number;
  iqr_time_ms: number;
  rme_percent: number | null;
  mode: Mode;
  workers: number;
  implementation: string;
  samples_ms: number[];
}

/** A result read from any file: the reference's keys, flamingo-viv's when the file has them. */
export type AnyResult = ReferenceResult & Partial<BenchmarkResult>;

export interface BenchmarkSettings {
  /** The volume size when the run used one size, else null (see `volume_sizes`). */
  volume_size: number | null;
  volume_sizes: number[];
  iterations: number;
  warmup_iterations: number;
  /** The selected mode; with `compare_both_modes` both ran, FAST first. */
  mode: Mode;
  compare_both_modes: boolean;
  tests: string[];
  workers: number;
  seed: number;
  parity_profile: ParityProfile;
}

/** A run from flamingo-viv (settings and environment present) or from the reference (absent). */
export interface BenchmarkRun {
  /** Local time, `YYYY-mm-dd HH:MM:SS`. */
  timestamp: string;
  results: AnyResult[];
  /** `'flamingo-viv'` for flamingo-viv files, `'reference'` for py2flamingo's. */
  source: 'flamingo-viv' | 'reference';
  timestamp_utc: string | null;
  settings: BenchmarkSettings | null;
  environment: BenchmarkEnvironment | null;
}

/** A run this code made: every result has flamingo-viv's keys. */
export interface CompleteRun extends BenchmarkRun {
  source: 'flamingo-viv';
  results: BenchmarkResult[];
  timestamp_utc: string;
  settings: BenchmarkSettings;
  environment: BenchmarkEnvironment;
}

export interface ResultInit {
  name: string;
  size: number;
  samples: readonly number[];
  warmup: number;
  mode: Mode;
  workers: number;
  implementation: string;
}

/** A result with every statistic computed from its samples (§7), keys in file order. */
export function makeResult(init: ResultInit): BenchmarkResult {
  const s = summarize(init.samples, init.size);
  return {
    test_name: init.name,
    volume_size: volumeLabel(init.size),
    iterations: s.iterations,
    mean_time_ms: s.mean_time_ms,
    std_time_ms: s.std_time_ms,
    min_time_ms: s.min_time_ms,
    max_time_ms: s.max_time_ms,
    throughput_voxels_per_sec: s.throughput_voxels_per_sec,
    warmup_iterations: init.warmup,
    median_time_ms: s.median_time_ms,
    p95_time_ms: s.p95_time_ms,
    iqr_time_ms: s.iqr_time_ms,
    rme_percent: s.rme_percent,
    mode: init.mode,
    workers: init.workers,
    implementation: init.implementation,
    samples_ms: [...init.samples],
  };
}

/** `YYYY-mm-dd HH:MM:SS` in local time (the reference's `timestamp`). */
export function localTimestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
