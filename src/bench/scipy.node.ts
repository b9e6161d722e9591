/**
 * The Python reference beside flamingo-viv's kernels (`flamingo-viv bench --vs-scipy`): a
 * long-lived `python3 scripts/bench_scipy.py` that runs each test through scipy.ndimage on the
 * same input bytes, with the same iterations, right after flamingo-viv ran it; then the time
 * ratio (ours ÷ scipy, medians) and whether every output voxel is identical.
 *
 * @example
 * const ref = await ScipyReference.start();
 * const run = await runSuite(executor, { …, parityProfile: ref.parityProfile, offsets: await ref.offsets([200]),
 *   onTestDone: async (t) => rows.push(await ref.check(t)) });
 * await ref.close();
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ParityProfile } from '../transforms/types.ts';
import type { BenchmarkEnvironment } from './environment.ts';
import { makeResult, type BenchmarkResult } from './results.ts';
import type { TestOutcome } from './runner.ts';
import type { OffsetSource } from './suite.ts';

export const SCIPY_SCRIPT = fileURLToPath(new URL('../../scripts/bench_scipy.py', import.meta.url));

export class ScipyError extends Error {
  override readonly name = 'ScipyError';
}

export interface ScipyCheck {
  name: string;
  size: number;
  ours: BenchmarkResult;
  scipy: BenchmarkResult;
  /** ours ÷ scipy, medians. */
  ratio: number;
  identical: boolean;
  /** Output voxels that differ (all of them when the shapes differ). */
  differing: number;
  /** Largest |ours − scipy| over the voxels (null when the shapes differ). */
  maxDifference: number | null;
}

/** The parity profile (§5.13) that matches a scipy version. */
export function parityProfileFor(scipyVersion: string): { profile: ParityProfile; exact: boolean } {
  const m = /^(\d+)\.(\d+)/.exec(scipyVersion);
  const minor = m ? Number(m[1]) * 1000 + Number(m[2]) : NaN;
  if (minor === 1010) return { profile: 'scipy-1.10', exact: true };
  if (minor === 1017) return { profile: 'scipy-1.17', exact: true };
  return { profile: minor < 1017 ? 'scipy-1.10' : 'scipy-1.17', exact: false };
}

interface Link {
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
  stderr: () => string;
}

async function request<T>(link: Link, req: Record<string, unknown>): Promise<T> {
  link.child.stdin.write(JSON.stringify(req) + '\n');
  const next = await link.lines.next();
  if (next.done) {
    const why = link.stderr().trim().split('\n').pop() ?? '';
    throw new ScipyError(`The scipy reference (python3 ${path.basename(SCIPY_SCRIPT)}) exited before it answered${why ? `: ${why}` : ''}.`);
  }
  const reply = JSON.parse(next.value) as { ok: boolean; error?: string } & T;
  if (!reply.ok) throw new ScipyError(`The scipy reference failed: ${reply.error ?? 'no reason given'}.`);
  return reply;
}

async function stop(link: Link, dir: string): Promise<void> {
  const child = link.child;
  child.stdin.end();
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  await rm(dir, { recursive: true, force: true });
}

export class ScipyReference {
  readonly parityProfile: ParityProfile;
  /** False when scipy is neither 1.10 nor 1.17 (the profile is then a guess). */
  readonly profileExact: boolean;
  private closed = false;

  private constructor(
    private readonly link: Link,
    private readonly dir: string,
    readonly environment: BenchmarkEnvironment,
  ) {
    const p = parityProfileFor(environment.versions['scipy'] ?? '');
    this.parityProfile = p.profile;
    this.profileExact = p.exact;
  }

  /** Starts the Python worker and reads its environment. */
  static async start(python = '/usr/bin/python3', script = SCIPY_SCRIPT): Promise<ScipyReference> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flamingo-viv-scipy-'));
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', (err) => reject(new ScipyError(`Could not start ${python} for the scipy reference: ${err.message}.`)));
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const link: Link = { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), stderr: () => stderr };
    try {
      const hello = await request<{ environment: BenchmarkEnvironment }>(link, { cmd: 'hello' });
      return new ScipyReference(link, dir, hello.environment);
    } catch (err) {
      await stop(link, dir);
      throw err;
    }
  }

  private request<T>(req: Record<string, unknown>): Promise<T> {
    if (this.closed) throw new ScipyError('The scipy reference is closed.');
    return request<T>(this.link, req);
  }

  /** The rotation offsets numpy computes on this machine, for the given sizes (§5.4: a harness passes these). */
  async offsets(sizes: readonly number[]): Promise<OffsetSource> {
    const r = await this.request<{ offsets: Record<string, [number, number, number]> }>({ cmd: 'offsets', sizes, angles: [15, 45, 90] });
    return (n, angle) => {
      const o = r.offsets[`${n}:${angle}`];
      if (!o) throw new ScipyError(`The scipy reference has no offset for ${n}³ at ${angle}°.`);
      return o;
    };
  }

  /** Runs the test of `t` through scipy on the same input, then compares times and outputs. */
  async check(t: TestOutcome): Promise<ScipyCheck> {
    const input = path.join(this.dir, 'input.u16');
    const output = path.join(this.dir, 'output.u16');
    const data = t.input.data;
    await writeFile(input, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const iterations = t.result.iterations;
    const warmup = t.result.warmup_iterations;
    const r = await this.request<{ samples_ms: number[]; shape: number[] }>({ cmd: 'run', test: t.test, mode: t.mode, n: t.size, input, output, iterations, warmup });
    const bytes = await readFile(output);
    await rm(output, { force: true });
    const theirs = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
    const scipy = makeResult({ name: t.result.test_name, size: t.size, samples: r.samples_ms, warmup, mode: t.mode, workers: 1, implementation: 'scipy' });
    const sameShape = r.shape.length === 3 && r.shape.every((n, i) => n === t.output.shape[i]);
    let differing = 0;
    let maxDifference: number | null = null;
    if (sameShape && theirs.length === t.output.data.length) {
      const ours = t.output.data;
      let max = 0;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(ours[i]! - theirs[i]!);
        if (d !== 0) {
          differing++;
          if (d > max) max = d;
        }
      }
      maxDifference = max;
    } else {
      differing = Math.max(theirs.length, t.output.data.length);
    }
    return {
      name: t.result.test_name,
      size: t.size,
      ours: t.result,
      scipy,
      ratio: t.result.median_time_ms / scipy.median_time_ms,
      identical: differing === 0,
      differing,
      maxDifference,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await stop(this.link, this.dir);
  }
}
