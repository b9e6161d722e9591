import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LiveEvent } from '../../src/acquisition/live-backend.ts';
import { BridgeClient, type WebSocketConstructor } from '../../src/acquisition/remote/client.ts';
import { startBridge, type RunningBridge } from '../../src/bridge/server.ts';
import { openImage } from '../../src/session/read/open.ts';
import type { ViewerSnapshot } from '../../src/panels/types.ts';
import { servedSessionStore, sessionStoreFor } from '../../src/panels/session-store.ts';
import { storedViewerOf, toViewerRecord } from '../../src/panels/viewer-record.ts';
import { zipStore } from '../../src/panels/zip-export.ts';
import { FAST_RUN } from '../acquisition/flamingo/harness.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-save-'));
const sessionsDir = path.join(tmp, 'sessions');
const WS: WebSocketConstructor = WebSocket;
let bridge: RunningBridge;
const clients: BridgeClient[] = [];

async function client(token: string | null): Promise<BridgeClient> {
  const c = await BridgeClient.connect(bridge.url, token, { WebSocket: WS, reconnect: false });
  clients.push(c);
  return c;
}

/** The first events a listener that subscribes now receives, up to the first `counters`. */
function replayOf(c: BridgeClient): Promise<LiveEvent[]> {
  return new Promise((resolve) => {
    const got: LiveEvent[] = [];
    const off = c.subscribe((e) => {
      got.push(e);
      if (e.type === 'counters') {
        off();
        resolve(got);
      }
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

beforeAll(async () => {
  bridge = await startBridge({
    port: 0,
    sessionsDir,
    connectOnStart: false,
    simulator: { frameWidth: 256, frameHeight: 256, maxFps: 40, viewerQueueFrames: 64 },
    connector: { motionSettleMs: 0, interRunGapMs: 0, run: FAST_RUN },
    app: { dist: null, devRoot: null },
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await bridge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const snapshot: ViewerSnapshot = {
  viewer: {
    mode: '3d',
    view_state: { target_um: { x: 10, y: 20, z: 30 }, zoom: -1.5, rotation_x_deg: 15, rotation_orbit_deg: 40 },
    selection: { z: 3, t: 0 },
    render_3d: 'additive',
    channel_settings: [{ index: 0, opacity: 0.5, colormap: null }],
  },
  channels: [
    { index: 0, name: 'GFP', color: '00FF00', contrast: [120, 2000], visible: true },
    { index: 1, name: 'Far red', color: 'FF00FF', contrast: [90, 800], visible: false },
  ],
  transforms: [
    { op: 'rotate', params: { axis: 'y', angle_deg: 30, center_um: null, order: 1 } },
    { op: 'gaussian', params: { sigma_voxels: [1, 1, 1], truncate: 4 } },
  ],
};

describe('bridge sessions: late listeners, saved viewer state, listing and zip export', () => {
  it('tells a listener that subscribes late the current state; saves the viewer state where the format puts it; lists and zips a served session', async () => {
    const ctl = await client(bridge.token);
    const info = await ctl.connect({ microscope: 'sim' });
    const position = await ctl.getPosition();
    const finished = new Promise<void>((resolve) => ctl.subscribe((e) => e.type === 'acquisition' && e.phase === 'finished' && resolve()));
    const session = await ctl.startAcquisition({ zStartMm: 19, zEndMm: 19.05, stepUm: 5, lasers: [488, 640], name: 'saved view' });
    await finished;

    // 1. A listener added now (a panel mounted after connect) is told the state first, by the
    // client that saw the events and by one that connected afterwards.
    for (const c of [ctl, await client(null)]) {
      const replay = await replayOf(c);
      expect(replay.map((e) => e.type)).toEqual(['connected', 'position', 'session', 'counters']);
      expect(replay[0]).toEqual({ type: 'connected', info, microscope: 'sim' });
      expect(replay[1]).toMatchObject({ type: 'position', position: { zMm: expect.any(Number) as number } });
      expect(replay[2]).toMatchObject({ type: 'session', session: { name: session.name, status: 'complete', storeUrl: session.storeUrl } });
      expect(replay[3]).toMatchObject({ type: 'counters', counters: { framesWritten: 20, framesWriterDropped: 0 } });
    }
    expect(position.zMm).toBeGreaterThan(0);
    // A listener removed at once is told nothing.
    const told: LiveEvent[] = [];
    ctl.subscribe((e) => told.push(e))();
    await Promise.resolve();
    expect(told).toEqual([]);

    // 2. Save what the session panel sends: channels → flamingo.channels + omero, transforms →
    // flamingo.transforms, the rest → flamingo.viewer; every other field kept.
    const disk = path.join(sessionsDir, `${session.name}.ome.zarr`);
    const before = JSON.parse(readFileSync(path.join(disk, '.zattrs'), 'utf8')) as Record<string, Record<string, unknown>>;
    await ctl.saveSession(session.name, { description: 'looked at', viewer: toViewerRecord(snapshot) });
    const py = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys, zarr
g = zarr.open_group(sys.argv[1], mode='r')
a = g.attrs.asdict()
print(json.dumps({'omero': a['omero']['channels'], 'flamingo': a['flamingo'], 'shape': list(g['0'].shape)}))`,
          disk,
        ],
        { encoding: 'utf8' },
      ),
    ) as { omero: Array<Record<string, unknown>>; flamingo: Record<string, unknown> & { channels: Array<Record<string, unknown>>; viewer: Record<string, unknown> }; shape: number[] };
    expect(py.shape[0]).toBe(2);
    expect(py.omero.map((c) => [c['label'], c['color'], c['active'], c['window']])).toEqual([
      ['GFP', '00FF00', true, { min: 0, max: 65535, start: 120, end: 2000 }],
      ['Far red', 'FF00FF', false, { min: 0, max: 65535, start: 90, end: 800 }],
    ]);
    expect(py.flamingo.channels.map((c) => [c['name'], c['color'], c['contrast'], c['visible'], c['laser_nm']])).toEqual([
      ['GFP', '00FF00', [120, 2000], true, 488],
      ['Far red', 'FF00FF', [90, 800], false, 640],
    ]);
    expect(py.flamingo['transforms']).toEqual(snapshot.transforms);
    expect(py.flamingo.viewer).toEqual(snapshot.viewer);
    expect(py.flamingo['description']).toBe('looked at');
    for (const k of ['created', 'status', 'acquisition', 'bounds_um', 'voxel_size_um']) expect(py.flamingo[k], k).toEqual(before['flamingo']![k]);
    const after = JSON.parse(readFileSync(path.join(disk, '.zattrs'), 'utf8')) as Record<string, unknown>;
    expect(after['multiscales']).toEqual(before['multiscales']);
    // Our own reader sees the saved contrast; an invalid save leaves the file as it was.
    const image = await openImage(servedSessionStore(session.storeUrl!));
    expect(image.channels.map((c) => [c.name, c.window.start, c.window.end, c.visible])).toEqual([
      ['GFP', 120, 2000, true],
      ['Far red', 90, 800, false],
    ]);
    const text = readFileSync(path.join(disk, '.zattrs'), 'utf8');
    await expect(ctl.saveSession(session.name, { viewer: { channels: [{ index: 0, contrast: [5, 1] }] } })).rejects.toThrow(/contrast \[5,1\]; expected \[lo, hi\] with lo < hi/);
    await expect(ctl.saveSession(session.name, { viewer: { channels: [{ index: 7, visible: true }] } })).rejects.toThrow(/has index 7/);
    await expect(ctl.saveSession(session.name, { viewer: { channels: [{ index: 0, name: 'Far red' }] } })).rejects.toThrow(/not valid/);
    expect(readFileSync(path.join(disk, '.zattrs'), 'utf8')).toBe(text);

    // Reopening restores channels (contrast etc.), transforms, camera and mode.
    const opened = await ctl.openSession(session.name);
    expect(opened.channels.map((c) => [c.name, c.color, c.contrast, c.visible])).toEqual([
      ['GFP', '00FF00', [120, 2000], true],
      ['Far red', 'FF00FF', [90, 800], false],
    ]);
    expect(await storedViewerOf(ctl, opened)).toEqual(snapshot);

    // 3. The listing equals the files on disk; the zip of the served session unzips to the same bytes.
    const store = await sessionStoreFor(ctl, opened);
    expect(store).not.toBeNull();
    const files = filesUnder(disk);
    expect(await store!.list()).toEqual(files);
    const listed = await fetch(`${session.storeUrl}?list`);
    expect(listed.headers.get('access-control-allow-origin')).toBe('*');
    const zip = unzipSync(await zipStore(store!, session.name));
    expect(Object.keys(zip).sort()).toEqual(files.map((f) => `${session.name}.ome.zarr/${f}`));
    for (const f of files) expect(Buffer.from(zip[`${session.name}.ome.zarr/${f}`]!).equals(readFileSync(path.join(disk, f))), f).toBe(true);
  }, 90_000);

  it('lists only inside the sessions folder: temporaries, symlinks and other paths are not listed', async () => {
    const dir = path.join(sessionsDir, 'listed.ome.zarr');
    const outside = path.join(tmp, 'outside.txt');
    writeFileSync(outside, 'secret');
    execFileSync('mkdir', ['-p', path.join(dir, '0', '0')]);
    writeFileSync(path.join(dir, '.zattrs'), '{}');
    writeFileSync(path.join(dir, '0', '0', '1'), 'chunk');
    writeFileSync(path.join(dir, '.zattrs.ab12.3.tmp'), 'half');
    symlinkSync(outside, path.join(dir, 'link'));
    const res = await fetch(`${bridge.url}/sessions/listed.ome.zarr/?list`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keys: ['.zattrs', '0/0/1'] });
    for (const bad of ['/sessions/..%2Foutside.ome.zarr/?list', '/sessions/missing.ome.zarr/?list', '/sessions/listed.ome.zarr/0/?list', '/sessions/?list']) {
      const r = await fetch(`${bridge.url}${bad}`);
      expect(r.status, bad).toBe(404);
      expect(((await r.json()) as { error: { message: string } }).error.message, bad).toMatch(/\.$/);
    }
    const post = await fetch(`${bridge.url}/sessions/listed.ome.zarr/?list`, { method: 'POST' });
    expect(post.status).toBe(405);
    await expect(servedSessionStore(`${bridge.url}/sessions/missing.ome.zarr/`).list()).rejects.toThrow(/answered 404 without a key list/);
  });
});
