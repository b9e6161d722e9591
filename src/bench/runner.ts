/**
 * Runs the reference suite (specs/benchmark.md §1–§7) on a transform executor: per test a fresh
 * seeded uint16 volume (outside the timing), warm-up runs, then the timed iterations, with
 * progress events and cancellation (before each test, before each iteration, and inside the
 * executor between slabs). Runs in Node and in a worker: no Node or DOM APIs.
 *
 * @example
 * const run = await runSuite(inlineExecutor(), {  // executors: ./executor.ts
 *   sizes: [200], iterations: 5, warmup: 1, mode: 'both', environment: describeEnvironment({ appVersion: '0.3.0' }),
 *   onProgress: (p) => console.log(p.percent, p.status),
 * });
 * run.results[0]; // { test_name: 'Gaussian Smoothing [FAST]', volume_size: '200³', mean_time_ms: …, … }
 */
import type { ParityProfile, TransformOp, Volume } from '../transforms/types.ts';
import type { BenchmarkEnvironment } from './environment.ts';
import { localTimestamp, makeResult, type BenchmarkResult, type BenchmarkSettings, type CompleteRun } from './results.ts';
import { makeTestVolume, randomSeed, resultName, testPipeline, testSeed, TEST_NAMES, type Mode, type OffsetSource, type TestName } from './suite.ts';

/** Something that runs a pipeline of ops on a volume: in this thread, or on a worker pool. */
export interface TransformExecutor {
  /** Kernel family recorded with each result, e.g. `js-scalar`. */
  readonly implementation: string;
  /** The kernel family a pipeline actually runs on (e.g. WebAssembly SIMD for the Gaussian), when it varies. */
  implementationFor?(ops: readonly TransformOp[]): string;
  /** Compute threads used (1 = single-threaded). */
  readonly workers: number;
  /** Memory for a test volume of `length` voxels (shared memory where workers read it). */
  allocate(length: number): Uint16Array;
  /** Resolves with the complete output of the last op. */
  run(input: Volume<Uint16Array>, ops: readonly TransformOp[], signal?: AbortSignal): Promise<Volume>;
}

export type ModeChoice = Mode | 'both';

/** What a person chooses for a suite run: the command's options and the panel's form alike. */
export interface SuiteChoice {
  sizes: number[];
  iterations: number;
  warmup: number;
  mode: ModeChoice;
  workers: number;
  tests: TestName[];
}

export interface SuiteProgress {
  /** `floor(100·k/N)` before the k-th of N tests, 100 at the end (§6). */
  percent: number;
  /** `Running <result name>...`, or `Complete`. */
  status: string;
  /** Tests done so far, and in all. */
  testIndex: number;
  testCount: number;
  phase: 'warmup' | 'timed' | 'done';
  /** Iterations done within the current test's phase, and in that phase. */
  iteration: number;
  iterations: number;
  /** Progress through the whole run including iterations, 0 … 1 (for bars). */
  fraction: number;
}

/** What a test hands to `onTestDone`: its data, for checks outside the timing (e.g. against scipy). */
export interface TestOutcome {
  test: TestName;
  mode: Mode;
  size: number;
  seed: number;
  ops: readonly TransformOp[];
  input: Volume<Uint16Array>;
  /** The output of the last timed iteration. */
  output: Volume;
  result: BenchmarkResult;
}

export interface SuiteOptions {
  /** Volume sizes n (n³ voxels); default [200]. */
  sizes?: readonly number[];
  /** Timed iterations per test, 1 … 100; default 5. */
  iterations?: number;
  /** Untimed warm-up runs per test, 0 … 20; default 1. */
  warmup?: number;
  /** FAST, QUALITY, or both (every FAST result, then every QUALITY one, with name suffixes). */
  mode?: ModeChoice;
  /** Subset of the seven tests (run in the suite's order); default all. */
  tests?: readonly TestName[];
  /** Unsigned 32-bit seed for the data; random (and recorded) when absent. */
  seed?: number;
  parityProfile?: ParityProfile;
  /** Rotation offsets to use (a parity harness passes its Python reference's); default §5.4. */
  offsets?: OffsetSource;
  environment: BenchmarkEnvironment;
  signal?: AbortSignal;
  onProgress?: (p: SuiteProgress) => void;
  /** Called after each test, outside the timing; awaited before the next test starts. */
  onTestDone?: (outcome: TestOutcome) => void | Promise<void>;
  /** The clock (default `performance.now`). */
  now?: () => number;
}

export interface SuiteRun extends CompleteRun {
  /** True when the run was cancelled; `results` then holds the tests that completed. */
  cancelled: boolean;
  /** Things to know about the numbers (e.g. samples too short for the timer). */
  warnings: string[];
}

export class BenchOptionError extends Error {
  override readonly name = 'BenchOptionError';
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new BenchOptionError(`${name} must be an integer from ${min} to ${max}, got ${v}.`);
  return v;
}

/** The suite's settings with defaults filled in and every value checked (throws BenchOptionError). */
export function resolveSettings(options: Omit<SuiteOptions, 'environment'>, workers: number): BenchmarkSettings {
  const sizes = [...(options.sizes ?? [200])];
  if (sizes.length === 0) throw new BenchOptionError('At least one volume size is needed.');
  for (const n of sizes) checkInt('A volume size', n, 1, 1024);
  const tests = options.tests ? [...options.tests] : [...TEST_NAMES];
  if (tests.length === 0) throw new BenchOptionError('At least one test is needed.');
  for (const t of tests) {
    if (!(TEST_NAMES as readonly string[]).includes(t)) throw new BenchOptionError(`'${t}' is not a test of the suite; expected one of ${TEST_NAMES.join(', ')}.`);
  }
  const mode = options.mode ?? 'FAST';
  if (mode !== 'FAST' && mode !== 'QUALITY' && mode !== 'both') throw new BenchOptionError(`The mode must be FAST, QUALITY or both, got '${String(mode)}'.`);
  const seed = options.seed ?? randomSeed();
  checkInt('The seed', seed, 0, 0xffffffff);
  const parity = options.parityProfile ?? 'scipy-1.17';
  if (parity !== 'scipy-1.17' && parity !== 'scipy-1.10') throw new BenchOptionError(`The parity profile must be scipy-1.17 or scipy-1.10, got '${String(parity)}'.`);
  return {
    volume_size: sizes.length === 1 ? sizes[0]! : null,
    volume_sizes: sizes,
    iterations: checkInt('Iterations', options.iterations ?? 5, 1, 100),
    warmup_iterations: checkInt('Warm-up iterations', options.warmup ?? 1, 0, 20),
    mode: mode === 'both' ? 'FAST' : mode,
    compare_both_modes: mode === 'both',
    // In the suite's order whatever order they were given in.
    tests: TEST_NAMES.filter((t) => tests.includes(t)),
    workers,
    seed,
    parity_profile: parity,
  };
}

interface PlannedTest {
  test: TestName;
  mode: Mode;
  size: number;
  name: string;
}

function plan(settings: BenchmarkSettings): PlannedTest[] {
  const modes: Mode[] = settings.compare_both_modes ? ['FAST', 'QUALITY'] : [settings.mode];
  const out: PlannedTest[] = [];
  for (const size of settings.volume_sizes) {
    for (const mode of modes) {
      for (const t of settings.tests as TestName[]) out.push({ test: t, mode, size, name: resultName(t, mode, settings.compare_both_modes) });
    }
  }
  return out;
}

/** Runs the suite; resolves with the run (partial and `cancelled` when the signal aborted it). */
export async function runSuite(executor: TransformExecutor, options: SuiteOptions): Promise<SuiteRun> {
  const settings = resolveSettings(options, executor.workers);
  const now = options.now ?? (() => performance.now());
  const signal = options.signal;
  const tests = plan(settings);
  const started = new Date();
  const results: BenchmarkResult[] = [];
  const warnings: string[] = [];
  const minSample = 100 * options.environment.timer_resolution_ms;
  const perTest = settings.warmup_iterations + settings.iterations;
  const emit = (k: number, phase: SuiteProgress['phase'], iteration: number, iterations: number, done: number): void => {
    const name = tests[k]?.name;
    options.onProgress?.({
      percent: phase === 'done' ? 100 : Math.floor((100 * k) / tests.length),
      status: phase === 'done' ? 'Complete' : `Running ${name}...`,
      testIndex: k,
      testCount: tests.length,
      phase,
      iteration,
      iterations,
      fraction: phase === 'done' ? 1 : (k + done / perTest) / tests.length,
    });
  };
  let cancelled = false;
  for (let k = 0; k < tests.length && !cancelled; k++) {
    if (signal?.aborted) {
      cancelled = true;
      break;
    }
    const t = tests[k]!;
    emit(k, settings.warmup_iterations > 0 ? 'warmup' : 'timed', 0, settings.warmup_iterations || settings.iterations, 0);
    const seed = testSeed(settings.seed, k);
    const input = makeTestVolume(t.size, seed, executor.allocate(t.size ** 3));
    const ops = testPipeline(t.test, t.mode, t.size, { parity: settings.parity_profile, offsets: options.offsets });
    const samples: number[] = [];
    let output: Volume | null = null;
    try {
      for (let i = 0; i < settings.warmup_iterations; i++) {
        if (signal?.aborted) throw signal.reason;
        await executor.run(input, ops, signal);
        emit(k, 'warmup', i + 1, settings.warmup_iterations, i + 1);
      }
      for (let i = 0; i < settings.iterations; i++) {
        if (signal?.aborted) throw signal.reason;
        const t0 = now();
        output = await executor.run(input, ops, signal);
        const t1 = now();
        samples.push(t1 - t0);
        emit(k, 'timed', i + 1, settings.iterations, settings.warmup_iterations + i + 1);
      }
    } catch (err) {
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      throw err;
    }
    const result = makeResult({
      name: t.name,
      size: t.size,
      samples,
      warmup: settings.warmup_iterations,
      mode: t.mode,
      workers: executor.workers,
      implementation: executor.implementationFor?.(ops) ?? executor.implementation,
    });
    const short = samples.filter((s) => s < minSample).length;
    if (short > 0) {
      warnings.push(`${t.name} at ${t.size}³: ${short} of ${samples.length} samples are shorter than 100 × the timer resolution (${minSample.toPrecision(3)} ms).`);
    }
    results.push(result);
    if (options.onTestDone && output) await options.onTestDone({ test: t.test, mode: t.mode, size: t.size, seed, ops, input, output, result });
  }
  if (!cancelled) emit(tests.length, 'done', 0, 0, 0);
  return {
    timestamp: localTimestamp(started),
    results,
    source: 'flamingo-viv',
    timestamp_utc: started.toISOString(),
    settings,
    environment: options.environment,
    cancelled,
    warnings,
  };
}
