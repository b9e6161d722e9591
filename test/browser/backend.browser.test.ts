import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Harness } from './harness.ts';

let h: Harness | null = null;
let dir: string | null = null;

beforeAll(async () => {
  h = await openBrowser({ entries: { main: 'test/acquisition/browser/backend-page.ts', worker: 'src/acquisition/browser/backend.worker.ts' } });
}, 120_000);

afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface StackResult {
  latencies: number[];
  info: { width: number; height: number };
  session: { name: string; levelShapes: number[][]; displayLevel: number; status: string };
  counters: Record<string, number>;
  finished: { status: string; summary: { outcome: string; framesReceived: number } };
  planes: Array<{ channel: number; z: number; level: number; width: number; height: number; length: number }>;
  lastPlanes: Array<{ z: number; level: number; pixels: string } | null>;
  volumes: Array<{ channel: number; level: number; zStart: number; zEnd: number; length: number; width: number; height: number }>;
  flushed: number;
  listed: Array<{ name: string; status: string; bytes: number }>;
  opened: { name: string; status: string; levelShapes: number[][] };
  saved: { name: string; status: string };
  reopened: { channels: Array<{ name: string; color: string; contrast: number[]; visible: boolean }> };
  replay: Array<{ type: string; name?: string; status?: string; microscope?: string }>;
  relisted: Array<{ name: string; status: string }>;
}

describe('BrowserBackend in Chromium: simulator and session writer in a worker, session in OPFS', () => {
  it('runs a two-laser z-stack, sends plane and volume events, and leaves a session python zarr reads', async () => {
    const page = h!.page;
    const r = (await page.evaluate(`globalThis.runBackendStack('worker stack')`)) as StackResult;
    expect(h!.errors).toEqual([]);
    expect(r.info).toEqual({ width: 128, height: 96 });
    expect(r.session).toMatchObject({ name: 'worker_stack', status: 'acquiring', levelShapes: [[2, 8, 96, 128]] });
    expect(r.finished).toMatchObject({ status: 'complete', summary: { outcome: 'complete', framesReceived: 16 } });
    expect(r.counters).toMatchObject({ framesExpected: 16, framesAcquired: 16, framesWritten: 16, framesWriterDropped: 0, writerQueueDepth: 0 });
    expect(r.counters.framesDisplayed! + r.counters.framesDisplayDropped!).toBe(16);

    // Planes: both channels, level 0 (128 px ≤ 1024), newest last; volumes cover every z of both channels.
    expect(new Set(r.planes.map((p) => p.channel))).toEqual(new Set([0, 1]));
    for (const p of r.planes) expect([p.level, p.width, p.height, p.length]).toEqual([0, 128, 96, 128 * 96]);
    expect(r.lastPlanes.map((p) => p?.z)).toEqual([7, 7]);
    // acquiredAtMs comes on the page's clock (the worker's is shifted by its later start).
    expect(r.latencies.length).toBe(r.planes.length);
    for (const ms of r.latencies) expect(ms).toBeGreaterThanOrEqual(0);
    for (const c of [0, 1]) {
      const zs = new Set<number>();
      for (const v of r.volumes.filter((v) => v.channel === c)) {
        expect([v.level, v.width, v.height, v.length]).toEqual([r.session.displayLevel, 128, 96, (v.zEnd - v.zStart) * 128 * 96]);
        for (let z = v.zStart; z < v.zEnd; z++) zs.add(z);
      }
      expect(zs.size).toBe(8);
    }
    expect(r.flushed).toBeGreaterThan(0);

    // Sessions: listed and opened from OPFS, also by a new worker.
    expect(r.listed).toMatchObject([{ name: 'worker_stack', status: 'complete' }]);
    expect(r.listed[0]!.bytes).toBeGreaterThan(0);
    expect(r.opened).toMatchObject({ name: 'worker_stack', status: 'complete', levelShapes: [[2, 8, 96, 128]] });
    expect(r.saved).toMatchObject({ name: 'worker_stack', status: 'complete' });
    // The saved channel comes back on reopening; a late listener was told the current state
    // (no position: this backend announces one only when the stage moves).
    expect(r.reopened.channels[1]).toMatchObject({ name: 'Far red', color: 'FF00FF', contrast: [90, 800], visible: false });
    expect(r.replay).toEqual([{ type: 'connected', microscope: 'sim' }, { type: 'session', name: 'worker_stack', status: 'complete' }, { type: 'counters' }]);
    expect(r.relisted).toMatchObject([{ name: 'worker_stack', status: 'complete' }]);

    // The OPFS folder, copied out, is a Zarr v2 group python zarr reads; its last planes are the last plane events.
    const files = (await page.evaluate(`globalThis.readOpfsSession('worker_stack')`)) as Record<string, string>;
    expect(Object.keys(files)).toContain('.zattrs');
    expect(Object.keys(files).some((k) => k.endsWith('.tmp'))).toBe(false);
    dir = mkdtempSync(path.join(tmpdir(), 'backend-browser-'));
    const root = path.join(dir, 'worker_stack.ome.zarr');
    for (const [key, b64] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, key)), { recursive: true });
      writeFileSync(path.join(root, key), Buffer.from(b64, 'base64'));
    }
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', `import sys, zarr, numpy as np\ng = zarr.open_group(sys.argv[1], mode='r')\na = g['0'][:]\nprint(a.shape, a.dtype, int(a.min()) > 0, g.attrs['flamingo']['description'], g.attrs['flamingo']['viewer']['mode'])\no = g.attrs['omero']['channels'][1]\nprint(o['label'], o['color'], o['active'], o['window']['start'], o['window']['end'], g.attrs['flamingo']['transforms'][0]['op'], g.attrs['flamingo']['transforms'][0]['params']['offset_um'])\nopen(sys.argv[2], 'wb').write(np.ascontiguousarray(a[:, 7]).tobytes())`, root, path.join(dir, 'last.bin')],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    expect(py.stdout.trim().split('\n')).toEqual(['(2, 8, 96, 128) uint16 True saved from the browser 3d', 'Far red FF00FF False 90 800 shift [0, 2, 4]']);
    const last = readFileSync(path.join(dir, 'last.bin'));
    for (const c of [0, 1]) {
      const saved = last.subarray(c * 96 * 128 * 2, (c + 1) * 96 * 128 * 2);
      expect(Buffer.from(r.lastPlanes[c]!.pixels, 'base64').equals(saved)).toBe(true);
    }
  }, 120_000);
});
