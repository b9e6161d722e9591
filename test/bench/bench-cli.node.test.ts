import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunFile } from '../../src/bench/export.ts';
import { parseBenchArgs } from '../../src/cli/bench.ts';
import { UsageError } from '../../src/cli/command.ts';
import { errorOf } from '../support.ts';
import { runCli } from '../cli/run-cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flamingo-viv-bench-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectOneSentence(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^flamingo-viv bench\b.*[.!?]$/);
  expect(lines[0]).toMatch(pattern);
}

describe('flamingo-viv bench', () => {
  it('every bad value is a UsageError naming the option and the value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ sizes: '7' }, /--sizes must be between 8 and 512, got 7/],
      [{ sizes: '100,,200' }, /--sizes must be sizes separated by commas/],
      [{ sizes: 'big' }, /--sizes must be an integer, got 'big'/],
      [{ iterations: '0' }, /--iterations must be between 1 and 100/],
      [{ warmup: '21' }, /--warmup must be between 0 and 20/],
      [{ mode: 'turbo' }, /--mode must be one of fast, quality, both, got 'turbo'/],
      [{ workers: '3' }, /--workers must be between 1 and 2, got 3/],
      [{ tests: 'gaussian,blur' }, /--tests: 'blur' is not a test/],
      [{ tests: 'gaussian,' }, /--tests has an empty name/],
      [{ seed: '4294967296' }, /--seed must be between 0 and 4294967295/],
      [{ parity: 'scipy-2' }, /--parity must be one of scipy-1.17, scipy-1.10/],
      [{ csv: ' ' }, /--csv needs a file name/],
    ];
    for (const [values, pattern] of cases) {
      const err = errorOf(() => parseBenchArgs(values, 2));
      expect(err, JSON.stringify(values)).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(pattern);
    }
    expect(parseBenchArgs({ tests: 'Rotation 15°,rot90,GAUSSIAN SMOOTHING,rotation 45' }, 2).tests).toEqual(['Rotation 15°', 'Rotation 90°', 'Gaussian Smoothing', 'Rotation 45°']);
    expect(parseBenchArgs({}, 4)).toMatchObject({ sizes: [200], iterations: 5, warmup: 1, mode: 'FAST', workers: 4, seed: undefined, vsScipy: false });
  });

  it('bad usage from the command line: exit 2 and one sentence', async () => {
    const cases: [string[], RegExp][] = [
      [['--mode', 'turbo'], /--mode must be one of fast, quality, both, got 'turbo'/],
      [['--nope'], /Unknown option '--nope'/],
      [['frobnicate'], /'frobnicate' is not a bench subcommand/],
      [['compare', 'a.json'], /needs a baseline and a candidate file/],
      [['compare', 'a.json', 'b.json', '--sizes', '100'], /--sizes does not apply to 'bench compare'/],
    ];
    await Promise.all(
      cases.map(async ([args, pattern]) => {
        const r = await runCli(['bench', ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
        expectOneSentence(r.stderr, pattern);
      }),
    );
  });

  it('runs tiny tests in both modes, prints the table, writes CSV and JSON that read back; compare prints verdicts', async () => {
    const csv = path.join(dir, 'run.csv');
    const json = path.join(dir, 'run.json');
    const r = await runCli(['bench', '--sizes', '12,9', '--iterations', '3', '--warmup', '0', '--mode', 'both', '--workers', '1', '--tests', 'gaussian,Rotation 90°,translationshift', '--seed', '7', '--csv', csv, '--json', json]);
    // Tiny volumes may give samples below 100 × the timer resolution: those are noted, nothing else.
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Test\s+Volume\s+Mean \(ms\)\s+Std \(ms\)\s+Min \(ms\)\s+Max \(ms\)/);
    expect(r.stdout).toMatch(/Rotation 90° \[QUALITY\]\s+12³/);
    expect(r.stdout).toMatch(/seed 7, parity scipy-1.17/);
    const fromJson = parseRunFile(await readFile(json), json);
    const fromCsv = parseRunFile(await readFile(csv), csv);
    const names = ['Gaussian Smoothing', 'Rotation 90°', 'Translation Shift'];
    expect(fromJson.results.map((x) => `${x.test_name} ${x.volume_size}`)).toEqual([
      ...['FAST', 'QUALITY'].flatMap((m) => names.map((n) => `${n} [${m}] 12³`)),
      ...['FAST', 'QUALITY'].flatMap((m) => names.map((n) => `${n} [${m}] 9³`)),
    ]);
    expect(fromCsv.results).toEqual(fromJson.results);
    expect(fromJson.settings).toMatchObject({ volume_size: null, volume_sizes: [12, 9], iterations: 3, warmup_iterations: 0, seed: 7, workers: 1, tests: names });
    expect(fromJson.environment).toMatchObject({ runtime: 'node', cross_origin_isolated: null });

    // The same run against itself: nothing is slower or faster beyond noise … and the table says so.
    const cmp = await runCli(['bench', 'compare', json, csv]);
    expect(cmp.stderr).toBe('');
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/Rotation 90°\s+QUALITY\s+12³/);
    expect(cmp.stdout).toMatch(/summary: no change \(12 noise\)/);
    const cmpJson = await runCli(['bench', 'compare', json, csv, '--json', '-']);
    const parsed = JSON.parse(cmpJson.stdout) as { summary: string; pairs: { verdict: string; ratio: number }[] };
    expect(parsed.summary).toBe('no change');
    expect(parsed.pairs).toHaveLength(12);
    expect(parsed.pairs.every((p) => p.ratio === 1 && p.verdict === 'noise')).toBe(true);
  });

  it('--json - prints only the JSON document', async () => {
    const r = await runCli(['bench', '--sizes', '9', '--iterations', '1', '--workers', '1', '--tests', 'downsample', '--json', '-']);
    expect(r.code).toBe(0);
    const run = parseRunFile(r.stdout, 'stdout');
    expect(run.results.map((x) => x.test_name)).toEqual(['Downsample 3x']);
  });

  it('compare refuses a foreign or missing file with one sentence naming it (exit 1)', async () => {
    const foreign = path.join(dir, 'foreign.csv');
    await writeFile(foreign, 'name,age\r\nbob,4\r\n');
    const good = path.join(dir, 'good.json');
    await writeFile(good, (await runCli(['bench', '--sizes', '9', '--iterations', '1', '--workers', '1', '--tests', 'shift', '--json', '-'])).stdout);
    const r = await runCli(['bench', 'compare', good, foreign]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneSentence(r.stderr, /foreign\.csv is not a benchmark file/);
    const missing = await runCli(['bench', 'compare', good, path.join(dir, 'nothing.json')]);
    expect(missing.code).toBe(1);
    expectOneSentence(missing.stderr, /Could not read .*nothing\.json: no such file/);
    // An output folder that does not exist fails before the run, not after it.
    const nowhere = await runCli(['bench', '--sizes', '9', '--csv', path.join(dir, 'no', 'such', 'run.csv')]);
    expect(nowhere.code).toBe(1);
    expectOneSentence(nowhere.stderr, /Cannot write .*run\.csv: the folder .*such does not exist/);
  });

  it('--vs-scipy on a worker pool: every test in both modes is identical to scipy on the same data', async () => {
    const ours = path.join(dir, 'ours.json');
    const theirs = path.join(dir, 'scipy.json');
    const r = await runCli(['bench', '--vs-scipy', '--sizes', '16', '--iterations', '1', '--warmup', '0', '--mode', 'both', '--workers', '2', '--seed', '11', '--json', ours, '--scipy-json', theirs], 120_000);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scipy 1\.\d+\.\d+ \(numpy [\d.]+\), same data, medians:/);
    const rows = r.stdout.split('\n').filter((l) => / 16³ .*(identical|differ)/.test(l));
    expect(rows).toHaveLength(14);
    expect(rows.every((l) => l.endsWith('identical'))).toBe(true);
    expect(r.stdout).toContain("every output is identical to scipy's");
    const scipyRun = parseRunFile(await readFile(theirs), theirs);
    expect(scipyRun.environment).toMatchObject({ runtime: 'python' });
    expect(scipyRun.results.every((x) => x.implementation === 'scipy' && x.workers === 1)).toBe(true);
    const oursRun = parseRunFile(await readFile(ours), ours);
    expect(oursRun.settings!.parity_profile).toBe(scipyRun.environment!.versions['scipy']!.startsWith('1.10.') ? 'scipy-1.10' : 'scipy-1.17');
    const cmp = await runCli(['bench', 'compare', theirs, ours]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/warning: different runtime/);
    expect(cmp.stdout).toMatch(/different implementation/);
  });
});
