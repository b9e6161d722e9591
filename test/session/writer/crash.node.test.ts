import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASH_SHAPE, crashFrame } from './crash-frames.ts';
import { Reference, pyCheck } from './helpers.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'fv-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child until `until(stdout)` holds, then SIGKILLs it. */
function runAndKill(session: string, until: (out: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/session/writer/crash-child.ts'), session], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(out) : reject(new Error(`crash child ended with ${code}: ${err}`))));
  });
}

describe('SessionWriter crash safety', () => {
  const ref = new Reference([...CRASH_SHAPE], 'maximum');
  for (let z = 0; z < CRASH_SHAPE[1]; z++) ref.add(crashFrame(z), 0, z, 0, 0);

  it.each([
    ['right after it is created', (o: string) => o.includes('ready'), 0],
    ['right after the first slab flush', (o: string) => o.includes('flushed 0'), 64],
    ['after two slabs', (o: string) => o.includes('flushed 1'), 128],
  ])('a writer killed %s leaves a valid session holding every flushed slab', async (_when, until, atLeast) => {
    const session = path.join(root, `k${Math.random().toString(36).slice(2)}.ome.zarr`);
    await runAndKill(session, until);
    const zattrs = JSON.parse(readFileSync(path.join(session, '.zattrs'), 'utf8')) as { flamingo: { status: string; acquisition: { frames_written: number } } };
    expect(zattrs.flamingo.status).toBe('acquiring');
    const written = zattrs.flamingo.acquisition.frames_written;
    expect(written % 64).toBe(0);
    expect(written).toBeGreaterThanOrEqual(atLeast);
    const r = pyCheck(session, ref.data, CRASH_SHAPE, 'mean', written);
    expect(r.errors.filter((e) => !e.startsWith('temporary files'))).toEqual([]);
    expect(r.shapes[0]).toEqual([...CRASH_SHAPE]);
  });
});
