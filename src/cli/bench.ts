/**
 * `flamingo-viv bench`: runs the reference suite of specs/benchmark.md on flamingo-viv's
 * transform kernels (in this thread or a worker pool), prints the results table, writes CSV/JSON,
 * and with `--vs-scipy` runs every test through scipy on the same bytes right after ours and
 * prints the time ratio and whether the outputs are identical.
 * `flamingo-viv bench compare A.json [A2.json …] B.json` compares runs (§9).
 *
 * @example
 * flamingo-viv bench --sizes 100 --iterations 3 --mode both --json run.json
 * flamingo-viv bench --vs-scipy --sizes 200
 * flamingo-viv bench compare before.json after.json
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Comparison } from '../bench/compare.ts';
import type { BenchmarkEnvironment } from '../bench/environment.ts';
import type { BenchmarkResult, CompleteRun } from '../bench/results.ts';
import type { SuiteChoice, SuiteProgress, SuiteRun, TransformExecutor } from '../bench/runner.ts';
import type { ScipyCheck, ScipyReference } from '../bench/scipy.node.ts';
import { TEST_NAMES, type TestName } from '../bench/suite.ts';
import type { ParityProfile } from '../transforms/types.ts';
import { TaskError, UsageError, type Command, type CommandIO, type OptionValues } from './command.ts';
import { parseChoice, parseIntOption } from './parse-values.ts';
import { progressBar } from './progress.ts';

/** Loose spellings accepted by `--tests`: lower case, letters and digits only. */
const TEST_ALIASES: Readonly<Record<string, TestName>> = {
  gaussian: 'Gaussian Smoothing',
  rotation15: 'Rotation 15°',
  rot15: 'Rotation 15°',
  rotation45: 'Rotation 45°',
  rot45: 'Rotation 45°',
  rotation90: 'Rotation 90°',
  rot90: 'Rotation 90°',
  shift: 'Translation Shift',
  translation: 'Translation Shift',
  downsample: 'Downsample 3x',
  pipeline: 'Full Pipeline',
};

function squash(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** `--tests` names: exact names, or the same without case, spaces and `°`, or a short alias. */
export function parseTests(value: string): TestName[] {
  const out: TestName[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') throw new UsageError(`--tests has an empty name in '${value}'; give names separated by commas.`);
    const key = squash(name);
    const hit = TEST_NAMES.find((t) => t === name || squash(t) === key) ?? TEST_ALIASES[key];
    if (!hit) throw new UsageError(`--tests: '${name}' is not a test; expected one of ${TEST_NAMES.join(', ')} (or gaussian, rot15, rot45, rot90, shift, downsample, pipeline).`);
    if (!out.includes(hit)) out.push(hit);
  }
  return out;
}

/** Smallest and largest volume size accepted (the reference offers 100, 200 and 300). */
export const MIN_SIZE = 8;
export const MAX_SIZE = 512;

export function parseSizes(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--sizes must be sizes separated by commas (e.g. 100,200,300), got '${value}'.`);
  const sizes = parts.map((p) => parseIntOption('--sizes', p, MIN_SIZE, MAX_SIZE));
  return [...new Set(sizes)];
}

/** No `default` fields: parseArgs would fill them in, and `compare` must see which options were given. */
const RUN_OPTIONS: Command['options'] = {
  sizes: { type: 'string', value: 'N[,N…]', description: `volume sizes n for n³ voxels (reference: 100, 200, 300; ${MIN_SIZE}–${MAX_SIZE}; default 200)` },
  iterations: { type: 'string', value: 'N', description: 'timed iterations per test (1–100; default 5)' },
  warmup: { type: 'string', value: 'N', description: 'untimed warm-up runs per test (0–20, default 1; 0 = the reference protocol)' },
  mode: { type: 'string', value: 'MODE', description: 'fast (order 0, the default), quality (order 1), or both (FAST then QUALITY, names suffixed)' },
  workers: { type: 'string', value: 'N', description: 'compute threads (1 = this thread; default: all cores)' },
  tests: { type: 'string', value: 'NAME[,NAME…]', description: 'tests to run, in suite order (default: all seven)' },
  seed: { type: 'string', value: 'N', description: 'seed of the test data (unsigned 32-bit; default: random, recorded)' },
  parity: { type: 'string', value: 'PROFILE', description: 'parity profile scipy-1.17 or scipy-1.10 (default scipy-1.17; with --vs-scipy: the installed scipy)' },
  csv: { type: 'string', value: 'FILE', description: 'write the results as CSV (benchmark_results.csv format)' },
  json: { type: 'string', value: 'FILE', description: "write the results as JSON ('-' for stdout); with compare: the comparison" },
  'vs-scipy': { type: 'boolean', description: 'run every test through scipy (python3) on the same data too: time ratio and identical outputs' },
  'scipy-csv': { type: 'string', value: 'FILE', description: "with --vs-scipy: write scipy's run as CSV (a baseline for 'bench compare')" },
  'scipy-json': { type: 'string', value: 'FILE', description: "with --vs-scipy: write scipy's run as JSON" },
};

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the transform benchmark suite (7 tests), export CSV/JSON, compare runs, or race scipy',
  positionals: '[compare A.json [A2.json …] B.json]',
  options: RUN_OPTIONS,
  details: `
Tests: ${TEST_NAMES.join(', ')}.
'bench compare A.json B.json' compares a candidate run B with a baseline A (more baselines widen the
noise band): per test the ratio B/A of the medians, the noise band, and a verdict (faster, slower,
noise, not comparable); exit status 0 whatever the verdict. Reads flamingo-viv's and py2flamingo's
CSV and JSON files. '--json -' prints the comparison as JSON.`,
  async run(values, positionals, io) {
    if (positionals.length > 0) {
      if (positionals[0] !== 'compare') throw new UsageError(`'${positionals[0]}' is not a bench subcommand; the only one is 'compare'.`);
      return runCompare(values, positionals.slice(1), io);
    }
    return runBench(values, io);
  },
};

// ---------------------------------------------------------------------------------------------
// bench

interface BenchArgs extends SuiteChoice {
  seed: number | undefined;
  parity: ParityProfile | undefined;
  csv: string | undefined;
  json: string | undefined;
  vsScipy: boolean;
  scipyCsv: string | undefined;
  scipyJson: string | undefined;
}

function str(values: OptionValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function parseBenchArgs(values: OptionValues, cores: number): BenchArgs {
  if (values['vs-scipy'] !== true) {
    for (const key of ['scipy-csv', 'scipy-json']) {
      if (values[key] !== undefined) throw new UsageError(`--${key} needs --vs-scipy.`);
    }
  }
  const mode = parseChoice('--mode', (str(values, 'mode') ?? 'fast').toLowerCase(), ['fast', 'quality', 'both'] as const);
  const seedText = str(values, 'seed');
  const parity = str(values, 'parity');
  const file = (key: string): string | undefined => {
    const v = str(values, key);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${key} needs a file name.`);
    return v;
  };
  return {
    sizes: parseSizes(str(values, 'sizes') ?? '200'),
    iterations: parseIntOption('--iterations', str(values, 'iterations') ?? '5', 1, 100),
    warmup: parseIntOption('--warmup', str(values, 'warmup') ?? '1', 0, 20),
    mode: mode === 'both' ? 'both' : mode === 'fast' ? 'FAST' : 'QUALITY',
    workers: parseIntOption('--workers', str(values, 'workers') ?? String(cores), 1, cores),
    tests: parseTests(str(values, 'tests') ?? TEST_NAMES.join(',')),
    seed: seedText === undefined ? undefined : parseIntOption('--seed', seedText, 0, 0xffffffff),
    parity: parity === undefined ? undefined : parseChoice('--parity', parity, ['scipy-1.17', 'scipy-1.10'] as const),
    csv: file('csv'),
    json: file('json'),
    vsScipy: values['vs-scipy'] === true,
    scipyCsv: file('scipy-csv'),
    scipyJson: file('scipy-json'),
  };
}

async function makeExecutor(workers: number): Promise<{ executor: TransformExecutor; close: () => Promise<void> }> {
  const { inlineExecutor, poolExecutor } = await import('../bench/executor.ts');
  if (workers === 1) return { executor: inlineExecutor(), close: async () => {} };
  const { createNodeTransformPool } = await import('../transforms/pool/node-pool.node.ts');
  const pool = createNodeTransformPool(workers);
  try {
    await pool.ready();
  } catch (err) {
    await pool.close();
    throw err;
  }
  return { executor: poolExecutor(pool), close: () => pool.close() };
}

function fixed(n: number | null, digits = 1): string {
  return n === null ? '–' : n.toFixed(digits);
}

function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < alignLeft ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The results table of §7 (one decimal), with median and rme added. */
export function resultsTable(results: readonly BenchmarkResult[]): string {
  return table(
    ['Test', 'Volume', 'Mean (ms)', 'Std (ms)', 'Min (ms)', 'Max (ms)', 'Median (ms)', '±rme', 'Mvox/s'],
    results.map((r) => [
      r.test_name,
      r.volume_size,
      fixed(r.mean_time_ms),
      fixed(r.std_time_ms),
      fixed(r.min_time_ms),
      fixed(r.max_time_ms),
      fixed(r.median_time_ms),
      r.rme_percent === null ? '–' : `${r.rme_percent.toFixed(1)}%`,
      fixed(r.throughput_voxels_per_sec / 1e6),
    ]),
    2,
  );
}

function scipyTable(checks: readonly ScipyCheck[]): string {
  return table(
    ['Test', 'Volume', 'ours (ms)', 'scipy (ms)', 'ours ÷ scipy', 'speed-up', 'output'],
    checks.map((c) => [
      c.name,
      c.ours.volume_size,
      fixed(c.ours.median_time_ms),
      fixed(c.scipy.median_time_ms),
      c.ratio.toFixed(3),
      `${(1 / c.ratio).toFixed(2)}×`,
      c.identical ? 'identical' : `${c.differing} voxels differ (max ${c.maxDifference ?? 'shape'})`,
    ]),
    2,
  );
}

function environmentLine(env: BenchmarkEnvironment, run: CompleteRun): string {
  const v = env.versions;
  return (
    `${env.runtime} ${v['node'] ?? ''} on ${env.platform}, ${env.hardware_concurrency} cores; ` +
    `${run.settings.workers} worker${run.settings.workers === 1 ? '' : 's'}, warm-up ${run.settings.warmup_iterations}, ` +
    `seed ${run.settings.seed}, parity ${run.settings.parity_profile}, timer ${env.timer_resolution_ms.toPrecision(2)} ms` +
    (env.setup_ms !== null ? `, setup ${env.setup_ms.toFixed(1)} ms` : '') +
    '\n'
  );
}

async function writeOut(file: string, text: string, io: CommandIO): Promise<void> {
  if (file === '-') {
    io.out(text);
    return;
  }
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new TaskError(`Could not write ${file}: ${(err as Error).message}.`, { cause: err });
  }
}

/** Fails before a long run, not after it, when an output file's folder does not exist. */
async function checkOutputFolders(files: readonly (string | undefined)[]): Promise<void> {
  for (const f of files) {
    if (f === undefined || f === '-') continue;
    const dir = path.dirname(path.resolve(f));
    const st = await stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new TaskError(`Cannot write ${f}: the folder ${dir} does not exist.`);
  }
}

async function runBench(values: OptionValues, io: CommandIO): Promise<number> {
  const cores = os.availableParallelism();
  const args = parseBenchArgs(values, cores);
  await checkOutputFolders([args.csv, args.json, args.scipyCsv, args.scipyJson]);
  const { runSuite } = await import('../bench/runner.ts');
  const { nodeEnvironment } = await import('../bench/environment.node.ts');
  const { toCsv, toJson } = await import('../bench/export.ts');

  let scipy: ScipyReference | null = null;
  const checks: ScipyCheck[] = [];
  const setupStart = performance.now();
  const { executor, close } = await makeExecutor(args.workers);
  const setupMs = performance.now() - setupStart;
  const stdoutJson = args.json === '-';
  let run: SuiteRun;
  try {
    let parity = args.parity;
    let offsets;
    if (args.vsScipy) {
      const { ScipyReference } = await import('../bench/scipy.node.ts');
      scipy = await ScipyReference.start();
      if (parity === undefined) parity = scipy.parityProfile;
      if (!scipy.profileExact) io.err(`note: scipy ${scipy.environment.versions['scipy']} is neither 1.10 nor 1.17; using parity profile ${parity}.\n`);
      offsets = await scipy.offsets(args.sizes);
    }
    const bar = io.interactive ? progressBar(io.err, 'bench') : null;
    const ref = scipy;
    let current: SuiteProgress | null = null;
    run = await runSuite(executor, {
      sizes: args.sizes,
      iterations: args.iterations,
      warmup: args.warmup,
      mode: args.mode,
      tests: args.tests,
      seed: args.seed,
      parityProfile: parity,
      offsets,
      environment: nodeEnvironment({ setupMs }),
      signal: io.signal,
      onProgress: (p: SuiteProgress) => {
        current = p;
        bar?.update(p.phase === 'done' ? p.testCount : p.testIndex, p.testCount, `tests  ${p.status.slice(0, 44).padEnd(44)}`);
      },
      onTestDone: ref
        ? async (t) => {
            if (current) bar?.update(current.testIndex, current.testCount, `tests  ${`scipy: ${t.result.test_name}...`.slice(0, 44).padEnd(44)}`);
            checks.push(await ref.check(t));
          }
        : undefined,
    });
    bar?.done();
  } finally {
    await scipy?.close();
    await close();
  }

  if (!stdoutJson) {
    io.out(resultsTable(run.results));
    io.out(environmentLine(run.environment, run));
    if (checks.length > 0) {
      io.out(`\nscipy ${scipy?.environment.versions['scipy'] ?? ''} (numpy ${scipy?.environment.versions['numpy'] ?? ''}), same data, medians:\n`);
      io.out(scipyTable(checks));
      const geo = Math.exp(checks.reduce((sum, c) => sum - Math.log(c.ratio), 0) / checks.length);
      io.out(`geometric mean speed-up over scipy: ${geo.toFixed(2)}×\n`);
      const differ = checks.filter((c) => !c.identical).length;
      io.out(differ === 0 ? 'every output is identical to scipy\'s\n' : `${differ} of ${checks.length} outputs differ from scipy's\n`);
    }
    for (const w of run.warnings) io.err(`note: ${w}\n`);
  }
  if (args.csv !== undefined) await writeOut(args.csv, toCsv(run), io);
  if (args.json !== undefined) await writeOut(args.json, toJson(run), io);
  if (scipy && (args.scipyCsv !== undefined || args.scipyJson !== undefined)) {
    const scipyRun: CompleteRun = { ...run, results: checks.map((c) => c.scipy), settings: { ...run.settings, workers: 1 }, environment: scipy.environment };
    if (args.scipyCsv !== undefined) await writeOut(args.scipyCsv, toCsv(scipyRun), io);
    if (args.scipyJson !== undefined) await writeOut(args.scipyJson, toJson(scipyRun), io);
  }
  if (run.cancelled) {
    io.err(`Cancelled after ${run.results.length} test${run.results.length === 1 ? '' : 's'}; the completed results were ${args.csv || args.json ? 'written' : 'printed'}.\n`);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// bench compare

async function runCompare(values: OptionValues, files: string[], io: CommandIO): Promise<number> {
  for (const key of Object.keys(RUN_OPTIONS)) {
    if (key !== 'json' && values[key] !== undefined) throw new UsageError(`--${key} does not apply to 'bench compare'; it takes files and --json only.`);
  }
  if (files.length < 2) throw new UsageError(`'bench compare' needs a baseline and a candidate file (A.json B.json), got ${files.length}.`);
  const { parseRunFile } = await import('../bench/export.ts');
  const { compareRuns } = await import('../bench/compare.ts');
  const runs = await Promise.all(
    files.map(async (f) => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(f);
      } catch (err) {
        throw new TaskError(`Could not read ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, { cause: err });
      }
      try {
        return parseRunFile(bytes, f);
      } catch (err) {
        throw new TaskError((err as Error).message, { cause: err });
      }
    }),
  );
  const candidate = runs.pop()!;
  const comparison = compareRuns(runs, candidate);
  const json = str(values, 'json');
  if (json !== undefined) await writeOut(json, JSON.stringify(comparisonJson(comparison), null, 2) + '\n', io);
  if (json !== '-') io.out(comparisonText(comparison, files));
  return 0;
}

/** The comparison without the embedded result objects (they are in the input files). */
export function comparisonJson(c: Comparison): unknown {
  return {
    summary: c.summary,
    counts: c.counts,
    warnings: c.warnings,
    pairs: c.pairs.map((p) => ({
      test: p.test,
      mode: p.mode,
      volume_size: p.volume_size,
      statistic: p.statistic,
      baseline_ms: p.a,
      candidate_ms: p.b,
      ratio: p.ratio,
      change_percent: p.change_percent,
      spread: p.spread,
      band: p.band,
      p_value: p.p_value,
      rank_test: p.rank_test,
      verdict: p.verdict,
      small_but_consistent: p.small_but_consistent,
      reason: p.reason,
      warnings: p.warnings,
    })),
  };
}

function comparisonText(c: Comparison, files: readonly string[]): string {
  const base = files.slice(0, -1).join(', ');
  const cand = files[files.length - 1]!;
  const lines = [`baseline A: ${base}\ncandidate B: ${cand}\n`];
  for (const w of c.warnings) lines.push(`warning: ${w}\n`);
  lines.push(
    table(
      ['Test', 'Mode', 'Volume', 'A (ms)', 'B (ms)', 'B/A', 'change', 'band', 'p', 'verdict'],
      c.pairs.map((p) => {
        const own = p.warnings.filter((w) => !c.warnings.includes(w));
        return [
          p.test,
          p.mode ?? '?',
          p.volume_size,
          fixed(p.a),
          fixed(p.b),
          p.ratio === null ? '–' : `×${p.ratio.toFixed(3)}`,
          p.change_percent === null ? '–' : `${p.change_percent >= 0 ? '+' : '−'}${Math.abs(p.change_percent).toFixed(1)}%`,
          p.band === null ? '–' : `±${(100 * p.band).toFixed(1)}%`,
          p.p_value === null ? '–' : p.p_value.toPrecision(2),
          p.verdict +
            (p.small_but_consistent ? ' (small but consistent)' : '') +
            (p.reason ? ` (${p.reason})` : '') +
            (own.length > 0 ? ` [${own.join('; ')}]` : ''),
        ];
      }),
      3,
    ),
  );
  const counts = (Object.entries(c.counts) as [string, number][]).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`);
  lines.push(`summary: ${c.summary} (${counts.join(', ') || 'no tests'})\n`);
  return lines.join('');
}
