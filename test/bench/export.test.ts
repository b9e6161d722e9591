import { describe, expect, it } from 'vitest';
import type { BenchmarkEnvironment } from '../../src/bench/environment.ts';
import { BenchFileError, CSV_COLUMNS, parseCsvRecords, parseRunFile, toCsv, toJson } from '../../src/bench/export.ts';
import { makeResult, type CompleteRun } from '../../src/bench/results.ts';
import { errorOf, specBlock } from '../support.ts';

const ENV: BenchmarkEnvironment = {
  runtime: 'browser',
  versions: { flamingo_viv: '0.3.0', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' },
  platform: 'Linux x86_64',
  hardware_concurrency: 2,
  cross_origin_isolated: true,
  timer_resolution_ms: 0.005,
  shared_array_buffer: true,
  wasm_simd: true,
  setup_ms: 27.4,
};

function specRun(): CompleteRun {
  return {
    timestamp: '2026-11-26 11:42:17',
    results: [
      makeResult({ name: 'Rotation 15° [FAST]', size: 200, samples: [53.1, 51.9, 52.4, 52, 51.2], warmup: 1, mode: 'FAST', workers: 2, implementation: 'js-scalar' }),
      makeResult({ name: 'Downsample 3x [QUALITY]', size: 100, samples: [4.25], warmup: 0, mode: 'QUALITY', workers: 1, implementation: 'wasm-simd-f64x2' }),
    ],
    source: 'flamingo-viv',
    timestamp_utc: '2026-11-26T10:42:17.512Z',
    settings: {
      volume_size: null,
      volume_sizes: [200, 100],
      iterations: 5,
      warmup_iterations: 1,
      mode: 'FAST',
      compare_both_modes: true,
      tests: ['Rotation 15°', 'Downsample 3x'],
      workers: 2,
      seed: 2718281828,
      parity_profile: 'scipy-1.17',
    },
    environment: ENV,
  };
}

const REFERENCE_HEADER = 'test_name,volume_size,iterations,mean_time_ms,std_time_ms,min_time_ms,max_time_ms,throughput_voxels_per_sec';

describe('CSV export (spec §8.1)', () => {
  it('starts with the reference header of the spec, then flamingo-viv columns in the spec order', () => {
    expect(specBlock('benchmark.md', '### 8.1').trim().split('\n')[0]).toBe(REFERENCE_HEADER);
    expect(CSV_COLUMNS.join(',')).toBe(
      `${REFERENCE_HEADER},warmup_iterations,median_time_ms,p95_time_ms,iqr_time_ms,rme_percent,mode,workers,implementation,samples_ms,` +
        'runtime,runtime_version,app_version,hardware_concurrency,cross_origin_isolated,timer_resolution_ms',
    );
  });

  it("writes the spec's example row exactly, CRLF row ends, no BOM, rme empty when null", () => {
    const csv = toCsv(specRun());
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    const rows = csv.split('\r\n');
    expect(rows).toHaveLength(4);
    expect(rows[3]).toBe('');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows[1]).toBe(
      'Rotation 15° [FAST],200³,5,52.120000000000005,0.624179461373089,51.2,53.1,153491941.67306215,' +
        '1,52,52.96,0.5,1.6622430782537359,FAST,2,js-scalar,53.1;51.9;52.4;52;51.2,' +
        'browser,Chromium 156,0.3.0,2,true,0.005',
    );
    expect(rows[2]!.split(',')[12]).toBe('');
  });

  it('quotes fields with commas, quotes and line breaks (RFC 4180) and reads them back', () => {
    const run = specRun();
    run.results[0]!.implementation = 'odd, "quoted"\nname';
    const back = parseRunFile(toCsv(run));
    expect(back.results[0]!.implementation).toBe('odd, "quoted"\nname');
    expect(parseCsvRecords('a,"b,""c"""\r\n\r\nd,\n')).toEqual([['a', 'b,"c"'], ['d', '']]);
  });

  it('round-trips: every result value comes back exactly, with the environment', () => {
    const run = specRun();
    const back = parseRunFile(new TextEncoder().encode(toCsv(run)), 'run.csv');
    expect(back.source).toBe('flamingo-viv');
    expect(back.results).toEqual(run.results);
    expect(back.environment).toMatchObject({ runtime: 'browser', hardware_concurrency: 2, cross_origin_isolated: true, timer_resolution_ms: 0.005 });
    expect(back.environment!.versions['flamingo_viv']).toBe('0.3.0');
  });
});

describe('JSON export (spec §8.2)', () => {
  it('has the keys of the spec example in its order, indent 2, characters not escaped', () => {
    const spec = JSON.parse(specBlock('benchmark.md', '### 8.2')) as Record<string, unknown>;
    const text = toJson(specRun());
    expect(text).toContain('\n  "results": [\n');
    expect(text).toContain('"Rotation 15° [FAST]"');
    const ours = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(ours)).toEqual(Object.keys(spec));
    const specResult = (spec['results'] as Record<string, unknown>[])[0]!;
    const ourResult = (ours['results'] as Record<string, unknown>[])[0]!;
    expect(Object.keys(ourResult)).toEqual(Object.keys(specResult));
    expect(ourResult).toEqual(specResult);
    // Our settings hold the spec's keys in its order, plus volume_sizes after volume_size.
    expect(Object.keys(ours['settings'] as object).filter((k) => k !== 'volume_sizes')).toEqual(Object.keys(spec['settings'] as object));
    expect(Object.keys(ours['environment'] as object)).toEqual(Object.keys(spec['environment'] as object));
  });

  it("reads the spec's example file and round-trips a run exactly", () => {
    const spec = parseRunFile(specBlock('benchmark.md', '### 8.2'), 'example.json');
    expect(spec.source).toBe('flamingo-viv');
    expect(spec.settings).toMatchObject({ volume_size: 200, volume_sizes: [200], seed: 2718281828, compare_both_modes: true });
    const run = specRun();
    const back = parseRunFile(toJson(run));
    expect(back).toEqual({ timestamp: run.timestamp, results: run.results, source: 'flamingo-viv', timestamp_utc: run.timestamp_utc, settings: run.settings, environment: run.environment });
  });
});

describe('reading the reference (py2flamingo) files (spec §8.4)', () => {
  const row = 'Rotation 15° [FAST],200³,5,243.78645819997473,41.86083437252348,184.47471199999654,302.50568399992517,32815604.52155102';

  it('reads a UTF-8 CSV with CRLF and a Windows-1252 CSV with LF, integral numbers with .0', () => {
    const utf8 = parseRunFile(new TextEncoder().encode(`${REFERENCE_HEADER}\r\n${row}\r\n`), 'ref.csv');
    expect(utf8.source).toBe('reference');
    expect(utf8.results).toEqual([
      { test_name: 'Rotation 15° [FAST]', volume_size: '200³', iterations: 5, mean_time_ms: 243.78645819997473, std_time_ms: 41.86083437252348, min_time_ms: 184.47471199999654, max_time_ms: 302.50568399992517, throughput_voxels_per_sec: 32815604.52155102 },
    ]);
    const cp1252 = Buffer.from(`${REFERENCE_HEADER}\n${row.replace(',5,', ',5.0,')}\n`, 'latin1');
    expect(cp1252.includes(0xc2)).toBe(false);
    const win = parseRunFile(cp1252, 'ref-windows.csv');
    expect(win.results).toEqual(utf8.results);
  });

  it('reads a reference JSON with ASCII-escaped names', () => {
    const json = `{"timestamp": "2026-11-26 11:42:17", "results": [{"test_name": "Rotation 15\\u00b0", "volume_size": "200\\u00b3", "iterations": 5, "mean_time_ms": 243.7, "std_time_ms": 41.8, "min_time_ms": 184.4, "max_time_ms": 302.5, "throughput_voxels_per_sec": 32815604.5}]}`;
    const run = parseRunFile(json, 'ref.json');
    expect(run.source).toBe('reference');
    expect(run.results[0]!.test_name).toBe('Rotation 15°');
    expect(run.results[0]!.volume_size).toBe('200³');
    expect(run.settings).toBeNull();
  });
});

describe('foreign and malformed files are refused with one clear sentence', () => {
  const cases: [string, string | Uint8Array, RegExp, string][] = [
    ['empty', '', /x is empty; expected a benchmark CSV or JSON file/, 'not-a-benchmark'],
    ['some other CSV', 'name,age\nbob,4\n', /not a benchmark file: its first line is 'name,age'/, 'not-a-benchmark'],
    ['JSON without results', '{"hello": 1}', /not a benchmark file: it has no 'results' list/, 'not-a-benchmark'],
    ['broken JSON', '{"results": [', /is not valid JSON/, 'malformed'],
    ['another format', '{"timestamp": "t", "results": [], "format": "other.thing", "format_version": 1}', /has format "other.thing"; expected "flamingo-viv.benchmark"/, 'not-a-benchmark'],
    ['a newer version', '{"timestamp": "t", "results": [], "format": "flamingo-viv.benchmark", "format_version": 2}', /format version 2, newer than version 1/, 'newer-format'],
    ['a bad number in CSV', `${REFERENCE_HEADER}\nGaussian Smoothing,200³,5,fast,1,1,1,1\n`, /line 2 \(Gaussian Smoothing\), 'mean_time_ms' is "fast"; expected a number/, 'malformed'],
    ['a short CSV row', `${REFERENCE_HEADER}\nGaussian Smoothing,200³,5\n`, /line 2 has 3 fields; expected 8/, 'malformed'],
    ['unknown extra columns', `${REFERENCE_HEADER},colour\n`, /the columns after 'throughput_voxels_per_sec' are 'colour'/, 'malformed'],
    ['an unclosed quote', `${REFERENCE_HEADER}\n"Gaussian,200³`, /quoted CSV field is not closed/, 'malformed'],
    ['a missing key', '{"timestamp": "t", "results": [{"test_name": "Gaussian Smoothing", "volume_size": "200³", "iterations": 5}]}', /result 1 \(Gaussian Smoothing\), 'mean_time_ms' is missing; expected a number/, 'malformed'],
  ];
  for (const [what, content, message, code] of cases) {
    it(what, () => {
      const err = errorOf(() => parseRunFile(content, 'x'));
      expect(err).toBeInstanceOf(BenchFileError);
      expect((err as BenchFileError).code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.message.split('\n')).toHaveLength(1);
    });
  }

  it('samples that disagree with iterations in a flamingo-viv file', () => {
    const run = specRun();
    const doc = JSON.parse(toJson(run)) as { results: { samples_ms: number[] }[] };
    doc.results[0]!.samples_ms.pop();
    expect(() => parseRunFile(JSON.stringify(doc), 'x.json')).toThrow(/'samples_ms' is .*; expected 5 samples/);
  });
});
