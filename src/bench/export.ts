/**
 * The benchmark's files (specs/benchmark.md §8): CSV whose first eight columns are the
 * reference's, then flamingo-viv's; JSON `{timestamp, results, format, format_version,
 * timestamp_utc, settings, environment}`; and reading either back — flamingo-viv's files and
 * py2flamingo's (UTF-8 or Windows-1252, LF or CRLF, `5` or `5.0`) — with one clear error for a
 * file that is not a benchmark run. Pure: the panel's worker uses the same code.
 *
 * @example
 * const csv = toCsv(run);            // 'test_name,volume_size,…\r\nRotation 15° [FAST],200³,5,…\r\n'
 * const json = toJson(run);          // '{\n  "timestamp": "2026-11-26 11:42:17",\n  "results": [ … ] … }'
 * const back = parseRunFile(json);   // { source: 'flamingo-viv', results: [ … ], settings: { … }, … }
 * parseRunFile(referenceCsvBytes);   // { source: 'reference', results: [ … ], settings: null, environment: null }
 */
import { TaggedError } from '../tagged-error.ts';
import type { BenchmarkEnvironment, BenchRuntime } from './environment.ts';
import { runtimeVersion } from './environment.ts';
import { EXTRA_RESULT_KEYS, REFERENCE_KEYS, type AnyResult, type BenchmarkRun, type BenchmarkSettings, type CompleteRun } from './results.ts';

export const FORMAT = 'flamingo-viv.benchmark';
export const FORMAT_VERSION = 1;
export const DEFAULT_CSV_NAME = 'benchmark_results.csv';
export const DEFAULT_JSON_NAME = 'benchmark_results.json';

/** The environment columns repeated on every CSV row (§8.1). */
export const ENVIRONMENT_COLUMNS = ['runtime', 'runtime_version', 'app_version', 'hardware_concurrency', 'cross_origin_isolated', 'timer_resolution_ms'] as const;

/** Every CSV column flamingo-viv writes, in order. */
export const CSV_COLUMNS: readonly string[] = [...REFERENCE_KEYS, ...EXTRA_RESULT_KEYS, ...ENVIRONMENT_COLUMNS];

export type BenchFileErrorCode = 'not-a-benchmark' | 'malformed' | 'newer-format';

/** A file that cannot be read as a benchmark run; the message names the file, the place and what was expected. */
export class BenchFileError extends TaggedError<BenchFileErrorCode> {
  override readonly name = 'BenchFileError';
}

// ---------------------------------------------------------------------------------------------
// Writing

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function num(n: number | null): string {
  return n === null ? '' : String(n);
}

/** The run as CSV (UTF-8 text without a byte-order mark, CRLF row ends). */
export function toCsv(run: CompleteRun): string {
  const env = run.environment;
  const envFields = [
    env.runtime,
    runtimeVersion(env),
    env.versions['flamingo_viv'] ?? '',
    num(env.hardware_concurrency),
    env.cross_origin_isolated === null ? '' : String(env.cross_origin_isolated),
    num(env.timer_resolution_ms),
  ];
  const rows = [CSV_COLUMNS.join(',')];
  for (const r of run.results) {
    const fields = [
      r.test_name,
      r.volume_size,
      num(r.iterations),
      num(r.mean_time_ms),
      num(r.std_time_ms),
      num(r.min_time_ms),
      num(r.max_time_ms),
      num(r.throughput_voxels_per_sec),
      num(r.warmup_iterations),
      num(r.median_time_ms),
      num(r.p95_time_ms),
      num(r.iqr_time_ms),
      num(r.rme_percent),
      r.mode,
      num(r.workers),
      r.implementation,
      r.samples_ms.map(String).join(';'),
      ...envFields,
    ];
    rows.push(fields.map(csvField).join(','));
  }
  return rows.join('\r\n') + '\r\n';
}

/** The run as JSON, indent 2, keys in the order of §8.2. */
export function toJson(run: CompleteRun): string {
  const results = run.results.map((r) => {
    const o: Record<string, unknown> = {};
    for (const k of REFERENCE_KEYS) o[k] = r[k];
    for (const k of EXTRA_RESULT_KEYS) o[k] = r[k];
    return o;
  });
  const s = run.settings;
  const settings: BenchmarkSettings = {
    volume_size: s.volume_size,
    volume_sizes: s.volume_sizes,
    iterations: s.iterations,
    warmup_iterations: s.warmup_iterations,
    mode: s.mode,
    compare_both_modes: s.compare_both_modes,
    tests: s.tests,
    workers: s.workers,
    seed: s.seed,
    parity_profile: s.parity_profile,
  };
  return (
    JSON.stringify(
      {
        timestamp: run.timestamp,
        results,
        format: FORMAT,
        format_version: FORMAT_VERSION,
        timestamp_utc: run.timestamp_utc,
        settings,
        environment: run.environment,
      },
      null,
      2,
    ) + '\n'
  );
}

// ---------------------------------------------------------------------------------------------
// Reading

/** UTF-8, or Windows-1252 when the bytes are not valid UTF-8 (py2flamingo on Windows); BOM dropped. */
export function decodeBenchText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads a benchmark file (CSV or JSON, flamingo-viv's or the reference's) from its bytes or
 * text. `name` is used in error messages. Throws BenchFileError.
 */
export function parseRunFile(content: string | Uint8Array, name = 'the file'): BenchmarkRun {
  const text = typeof content === 'string' ? (content.charCodeAt(0) === 0xfeff ? content.slice(1) : content) : decodeBenchText(content);
  const head = text.trimStart();
  if (head === '') throw new BenchFileError('not-a-benchmark', `${name} is empty; expected a benchmark CSV or JSON file.`);
  return head.startsWith('{') || head.startsWith('[') ? parseRunJson(text, name) : parseRunCsv(text, name);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

class Checker {
  constructor(
    readonly file: string,
    readonly where: string,
  ) {}

  fail(key: string, value: unknown, expected: string): never {
    throw new BenchFileError('malformed', `${this.file}: ${this.where}, '${key}' is ${describe(value)}; expected ${expected}.`);
  }

  number(o: Record<string, unknown>, key: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, v, 'a number');
    return v;
  }

  count(o: Record<string, unknown>, key: string, min: number): number {
    const v = this.number(o, key);
    if (!Number.isInteger(v) || v < min) this.fail(key, v, `an integer of at least ${min}`);
    return v;
  }

  string(o: Record<string, unknown>, key: string): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(key, v, 'a non-empty string');
    return v;
  }

  nullableNumber(o: Record<string, unknown>, key: string): number | null {
    return o[key] === null ? null : this.number(o, key);
  }
}

function checkReferenceResult(o: Record<string, unknown>, c: Checker): AnyResult {
  return {
    test_name: c.string(o, 'test_name'),
    volume_size: c.string(o, 'volume_size'),
    iterations: c.count(o, 'iterations', 0),
    mean_time_ms: c.number(o, 'mean_time_ms'),
    std_time_ms: c.number(o, 'std_time_ms'),
    min_time_ms: c.number(o, 'min_time_ms'),
    max_time_ms: c.number(o, 'max_time_ms'),
    throughput_voxels_per_sec: c.number(o, 'throughput_voxels_per_sec'),
  };
}

function checkExtras(o: Record<string, unknown>, c: Checker, base: AnyResult): AnyResult {
  const mode = o['mode'];
  if (mode !== 'FAST' && mode !== 'QUALITY') c.fail('mode', mode, 'FAST or QUALITY');
  const samples = o['samples_ms'];
  if (!Array.isArray(samples) || !samples.every((x) => typeof x === 'number' && Number.isFinite(x))) c.fail('samples_ms', samples, 'a list of numbers');
  if (samples.length !== base.iterations) c.fail('samples_ms', samples, `${base.iterations} samples (the 'iterations' value)`);
  return {
    ...base,
    warmup_iterations: c.count(o, 'warmup_iterations', 0),
    median_time_ms: c.number(o, 'median_time_ms'),
    p95_time_ms: c.number(o, 'p95_time_ms'),
    iqr_time_ms: c.number(o, 'iqr_time_ms'),
    rme_percent: c.nullableNumber(o, 'rme_percent'),
    mode,
    workers: c.count(o, 'workers', 1),
    implementation: c.string(o, 'implementation'),
    samples_ms: samples as number[],
  };
}

function resultLabel(o: Record<string, unknown>, i: number): string {
  return typeof o['test_name'] === 'string' ? `result ${i + 1} (${o['test_name']})` : `result ${i + 1}`;
}

const RUNTIMES: readonly BenchRuntime[] = ['browser', 'node', 'python'];

function checkEnvironment(v: unknown, file: string): BenchmarkEnvironment {
  const c: Checker = new Checker(file, 'environment');
  if (!isObject(v)) c.fail('environment', v, 'an object');
  const runtime = v['runtime'];
  if (!RUNTIMES.includes(runtime as BenchRuntime)) c.fail('runtime', runtime, 'browser, node or python');
  const versions = v['versions'];
  if (!isObject(versions) || !Object.values(versions).every((x) => typeof x === 'string')) c.fail('versions', versions, 'an object of strings');
  const boolOrNull = (key: string): boolean | null => {
    const x = v[key] ?? null;
    if (x !== null && typeof x !== 'boolean') c.fail(key, x, 'true, false or null');
    return x;
  };
  const platform = v['platform'] ?? '';
  if (typeof platform !== 'string') c.fail('platform', platform, 'a string');
  return {
    runtime: runtime as BenchRuntime,
    versions: versions as Record<string, string>,
    platform,
    hardware_concurrency: c.count(v, 'hardware_concurrency', 1),
    cross_origin_isolated: boolOrNull('cross_origin_isolated'),
    timer_resolution_ms: c.number(v, 'timer_resolution_ms'),
    shared_array_buffer: boolOrNull('shared_array_buffer'),
    wasm_simd: boolOrNull('wasm_simd'),
    setup_ms: v['setup_ms'] === undefined ? null : c.nullableNumber(v, 'setup_ms'),
  };
}

function checkSettings(v: unknown, file: string): BenchmarkSettings {
  const c: Checker = new Checker(file, 'settings');
  if (!isObject(v)) c.fail('settings', v, 'an object');
  const sizes = v['volume_sizes'] ?? (typeof v['volume_size'] === 'number' ? [v['volume_size']] : undefined);
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n >= 1)) c.fail('volume_sizes', sizes, 'a list of positive integers');
  const mode = v['mode'];
  if (mode !== 'FAST' && mode !== 'QUALITY') c.fail('mode', mode, 'FAST or QUALITY');
  const both = v['compare_both_modes'];
  if (typeof both !== 'boolean') c.fail('compare_both_modes', both, 'true or false');
  const tests = v['tests'];
  if (!Array.isArray(tests) || !tests.every((t) => typeof t === 'string')) c.fail('tests', tests, 'a list of test names');
  const parity = v['parity_profile'];
  if (parity !== 'scipy-1.17' && parity !== 'scipy-1.10') c.fail('parity_profile', parity, 'scipy-1.17 or scipy-1.10');
  const seed = c.count(v, 'seed', 0);
  return {
    volume_size: sizes.length === 1 ? (sizes[0] as number) : null,
    volume_sizes: sizes as number[],
    iterations: c.count(v, 'iterations', 1),
    warmup_iterations: c.count(v, 'warmup_iterations', 0),
    mode,
    compare_both_modes: both,
    tests: tests as string[],
    workers: c.count(v, 'workers', 1),
    seed,
    parity_profile: parity,
  };
}

function parseRunJson(text: string, file: string): BenchmarkRun {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BenchFileError('malformed', `${file} is not valid JSON (${(err as Error).message}).`, { cause: err });
  }
  if (!isObject(doc) || !Array.isArray(doc['results'])) {
    throw new BenchFileError('not-a-benchmark', `${file} is not a benchmark file: it has no 'results' list.`);
  }
  const format = doc['format'];
  const ours = format !== undefined;
  if (ours) {
    if (format !== FORMAT) throw new BenchFileError('not-a-benchmark', `${file} has format ${describe(format)}; expected "${FORMAT}" (or a py2flamingo file with no format).`);
    const version = doc['format_version'];
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      throw new BenchFileError('malformed', `${file}: 'format_version' is ${describe(version)}; expected a positive integer.`);
    }
    if (version > FORMAT_VERSION) {
      throw new BenchFileError('newer-format', `${file} has format version ${version}, newer than version ${FORMAT_VERSION} that this flamingo-viv reads; update flamingo-viv to read it.`);
    }
  }
  const timestamp = doc['timestamp'];
  if (typeof timestamp !== 'string') throw new BenchFileError('malformed', `${file}: 'timestamp' is ${describe(timestamp)}; expected a string.`);
  const results = (doc['results'] as unknown[]).map((r, i) => {
    if (!isObject(r)) throw new BenchFileError('malformed', `${file}: result ${i + 1} is ${describe(r)}; expected an object.`);
    const c: Checker = new Checker(file, resultLabel(r, i));
    const base = checkReferenceResult(r, c);
    return ours ? checkExtras(r, c, base) : base;
  });
  if (!ours) return { timestamp, results, source: 'reference', timestamp_utc: null, settings: null, environment: null };
  const utc = doc['timestamp_utc'];
  if (typeof utc !== 'string') throw new BenchFileError('malformed', `${file}: 'timestamp_utc' is ${describe(utc)}; expected an ISO 8601 string.`);
  return {
    timestamp,
    results,
    source: 'flamingo-viv',
    timestamp_utc: utc,
    settings: checkSettings(doc['settings'], file),
    environment: checkEnvironment(doc['environment'], file),
  };
}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; LF or CRLF ends. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      fieldStarted = true;
      i++;
    } else if (ch === '\r' || ch === '\n') {
      if (fieldStarted || field !== '' || record.length > 0) {
        record.push(field);
        records.push(record);
      }
      record = [];
      field = '';
      fieldStarted = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new BenchFileError('malformed', 'A quoted CSV field is not closed before the end of the file.');
  if (fieldStarted || field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function parseRunCsv(text: string, file: string): BenchmarkRun {
  let records: string[][];
  try {
    records = parseCsvRecords(text);
  } catch (err) {
    throw new BenchFileError('malformed', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const header = records[0] ?? [];
  const ref = REFERENCE_KEYS.join(',');
  if (header.slice(0, REFERENCE_KEYS.length).join(',') !== ref) {
    throw new BenchFileError('not-a-benchmark', `${file} is not a benchmark file: its first line is '${header.join(',').slice(0, 60)}', expected the columns '${ref}'.`);
  }
  let ours: boolean;
  if (header.length === REFERENCE_KEYS.length) ours = false;
  else if (header.join(',') === CSV_COLUMNS.join(',')) ours = true;
  else {
    throw new BenchFileError(
      'malformed',
      `${file}: the columns after '${REFERENCE_KEYS[REFERENCE_KEYS.length - 1]}' are '${header.slice(REFERENCE_KEYS.length).join(',').slice(0, 80)}'; expected none (a py2flamingo file) or '${CSV_COLUMNS.slice(REFERENCE_KEYS.length).join(',')}'.`,
    );
  }
  const results: AnyResult[] = [];
  let environment: BenchmarkEnvironment | null = null;
  records.slice(1).forEach((rec, i) => {
    if (rec.length === 1 && rec[0]!.trim() === '') return;
    const line = i + 2;
    if (rec.length !== header.length) {
      throw new BenchFileError('malformed', `${file}: line ${line} has ${rec.length} fields; expected ${header.length} like the header.`);
    }
    const raw: Record<string, string> = {};
    header.forEach((h, k) => (raw[h] = rec[k]!));
    const c: Checker = new Checker(file, `line ${line}${raw['test_name'] ? ` (${raw['test_name']})` : ''}`);
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) o[k] = v;
    const numeric = (key: string, nullable = false): void => {
      const s = raw[key] ?? '';
      if (nullable && s === '') o[key] = null;
      else o[key] = s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
    };
    for (const k of REFERENCE_KEYS.slice(2)) numeric(k);
    let result = checkReferenceResult(o, c);
    if (ours) {
      for (const k of ['warmup_iterations', 'median_time_ms', 'p95_time_ms', 'iqr_time_ms', 'workers', 'hardware_concurrency', 'timer_resolution_ms']) numeric(k);
      numeric('rme_percent', true);
      const samples = raw['samples_ms'] ?? '';
      o['samples_ms'] = samples === '' ? [] : samples.split(';').map((s) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s));
      result = checkExtras(o, c, result);
      environment ??= csvEnvironment(o, raw, c);
    }
    results.push(result);
  });
  const timestamp = '';
  return ours
    ? { timestamp, results, source: 'flamingo-viv', timestamp_utc: null, settings: null, environment }
    : { timestamp, results, source: 'reference', timestamp_utc: null, settings: null, environment: null };
}

function csvEnvironment(o: Record<string, unknown>, raw: Record<string, string>, c: Checker): BenchmarkEnvironment {
  const runtime = raw['runtime'];
  if (!RUNTIMES.includes(runtime as BenchRuntime)) c.fail('runtime', runtime, 'browser, node or python');
  const coi = raw['cross_origin_isolated'];
  if (coi !== '' && coi !== 'true' && coi !== 'false') c.fail('cross_origin_isolated', coi, 'true, false or empty');
  const versionKey = runtime === 'node' ? 'node' : runtime === 'python' ? 'scipy' : 'product';
  return {
    runtime: runtime as BenchRuntime,
    versions: { flamingo_viv: raw['app_version'] ?? '', [versionKey]: raw['runtime_version'] ?? '' },
    platform: '',
    hardware_concurrency: c.count(o, 'hardware_concurrency', 1),
    cross_origin_isolated: coi === '' ? null : coi === 'true',
    timer_resolution_ms: c.number(o, 'timer_resolution_ms'),
    shared_array_buffer: null,
    wasm_simd: null,
    setup_ms: null,
  };
}
