import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from './run-cli.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'fv-acquire-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Reads a session with Debian's python3-zarr: shapes, channel labels, status, per-channel means and non-zero planes. */
function pyRead(session: string): {
  shapes: number[][];
  labels: string[];
  status: string;
  frames: { received: number; written: number };
  means: number[];
  nonzeroPlanes: number[];
} {
  const script = `
import json, sys, zarr, numpy as np
g = zarr.open_group(sys.argv[1], mode='r')
attrs = g.attrs.asdict()
paths = [d['path'] for d in attrs['multiscales'][0]['datasets']]
a = g[paths[0]][:]
fl = attrs['flamingo']
print(json.dumps({
  'shapes': [list(g[p].shape) for p in paths],
  'labels': [c['label'] for c in attrs['omero']['channels']],
  'status': fl['status'],
  'frames': {'received': fl['acquisition']['frames_received'], 'written': fl['acquisition']['frames_written']},
  'means': [float(a[c].mean()) for c in range(a.shape[0])],
  'nonzeroPlanes': [int((a[c].reshape(a.shape[1], -1).max(axis=1) > 0).sum()) for c in range(a.shape[0])],
}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, session], { encoding: 'utf8' }));
}

describe('flamingo-viv acquire', () => {
  it('writes a two-laser z-stack from the simulator, channels in --lasers order, read back by python zarr', async () => {
    const out = path.join(root, 'stack.ome.zarr');
    const r = await runCli(['acquire', '--microscope', 'sim', '--out', out, '--z', '18.0:18.05', '--step', '2.5', '--lasers', '640,488', '--roi', '128x128', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ path: out, frames_expected: 40, frames_received: 40, frames_written: 40, frames_dropped: 0, shape: [2, 20, 128, 128] });
    const py = pyRead(out);
    expect(py.shapes[0]).toEqual([2, 20, 128, 128]);
    expect(py.labels).toEqual(['640 nm', '488 nm']);
    expect(py.status).toBe('complete');
    expect(py.frames).toEqual({ received: 40, written: 40 });
    // Every plane of both channels holds camera data (offset and noise at least), and the channels differ.
    expect(py.nonzeroPlanes).toEqual([20, 20]);
    expect(py.means[0]).not.toBeCloseTo(py.means[1]!, 0);
    const v = await runCli(['validate', out, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, errors: [], format_version: 1, shape: [2, 20, 128, 128] });
  });

  it('writes a 2×2 tile mosaic into one canvas and never overwrites an existing session', async () => {
    const out = path.join(root, 'mosaic.ome.zarr');
    const args = ['acquire', '--microscope', 'sim', '--out', out, '--z', '18.0:18.01', '--step', '2.5', '--tiles', '2x2', '--overlap', '10', '--roi', '64x64', '--json'];
    const first = await runCli(args);
    expect(first.stderr).toBe('');
    const j = JSON.parse(first.stdout);
    expect(j.frames_expected).toBe(4 * 4);
    expect(j.frames_written).toBe(16);
    // Two tiles of 64 px with 10 % overlap span 64 + 64 × 0.9 ≈ 122 px on each axis.
    expect(j.shape[2]).toBeGreaterThanOrEqual(120);
    expect(j.shape[2]).toBeLessThanOrEqual(124);
    expect(j.shape[3]).toBe(j.shape[2]);
    expect(pyRead(out).nonzeroPlanes).toEqual([4]);
    const second = await runCli(args);
    expect(second.code).toBe(0);
    const j2 = JSON.parse(second.stdout);
    expect(j2.path).not.toBe(out);
    expect(path.basename(j2.path)).toMatch(/^mosaic_\d{8}_\d{6}\.ome\.zarr$/);
    expect(pyRead(out).status).toBe('complete');
  });

  it('on Ctrl-C stops the workflow and leaves a valid interrupted session', async () => {
    const out = path.join(root, 'stopped.ome.zarr');
    // 400 planes at the camera's 40 frames/s: about 10 s, so the interrupt lands mid-run.
    const child = spawn(process.execPath, [BIN, 'acquire', '--microscope', 'sim', '--out', out, '--z', '18.0:19.0', '--step', '2.5', '--roi', '64x64'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // Interrupt once the session exists and frames are flowing.
    for (let i = 0; i < 100 && !existsSync(path.join(out, '.zattrs')); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(existsSync(path.join(out, '.zattrs'))).toBe(true);
    const py = pyRead(out);
    expect(py.status).toBe('interrupted');
    expect(py.frames.received).toBeGreaterThan(0);
    expect(py.frames.received).toBeLessThan(400);
    const v = await runCli(['validate', out, '--json']);
    expect(JSON.parse(v.stdout).errors).toEqual([]);
    expect(v.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses bad usage with one sentence and exit 2', async () => {
    for (const args of [
      ['acquire', '--z', '18:18.1', '--step', '2.5'],
      ['acquire', '--out', path.join(root, 'x.ome.zarr'), '--z', '18', '--step', '2.5'],
      ['acquire', '--out', path.join(root, 'x.ome.zarr'), '--z', '18:18.1', '--step', '2.5', '--lasers', '500'],
      ['acquire', '--out', path.join(root, 'x.zarr'), '--z', '18:18.1', '--step', '2.5'],
      ['acquire', '--out', path.join(root, 'x.ome.zarr'), '--z', '18:18.1', '--step', '2.5', '--tiles', '0x3'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(path.join(root, 'x.ome.zarr'))).toBe(false);
  });
});
