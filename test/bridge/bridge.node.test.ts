import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LiveCounters, LiveEvent, PlaneEvent, VolumeEvent } from '../../src/acquisition/live-backend.ts';
import { BridgeClient, type WebSocketConstructor } from '../../src/acquisition/remote/client.ts';
import { decodeDataEvent } from '../../src/acquisition/remote/wire.ts';
import { startBridge, type RunningBridge } from '../../src/bridge/server.ts';
import { FAST_RUN } from '../acquisition/flamingo/harness.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-bridge-'));
const sessionsDir = path.join(tmp, 'sessions');
const appRoot = path.join(tmp, 'app');
const outside = path.join(tmp, 'outside');
const SECRET = 'outside-the-sessions-folder';
const WS: WebSocketConstructor = WebSocket;
let bridge: RunningBridge;
const clients: BridgeClient[] = [];

async function client(token: string | null): Promise<BridgeClient> {
  const c = await BridgeClient.connect(bridge.url, token, { WebSocket: WS, reconnect: false });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  mkdirSync(appRoot, { recursive: true });
  writeFileSync(path.join(appRoot, 'index.html'), '<!doctype html><html><head><title>bridge test app</title></head><body><div id="root"></div></body></html>\n');
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(outside, '.zattrs'), JSON.stringify({ secret: SECRET }));
  writeFileSync(path.join(outside, 'secret.txt'), SECRET);
  bridge = await startBridge({
    port: 0,
    sessionsDir,
    connectOnStart: false,
    simulator: { frameWidth: 640, frameHeight: 640, maxFps: 20, viewerQueueFrames: 64 },
    connector: { motionSettleMs: 0, interRunGapMs: 0, run: FAST_RUN },
    app: { dist: null, devRoot: appRoot },
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await bridge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A GET (or other method) with the path sent exactly as written (fetch would normalise `..`). */
function raw(pathAndQuery: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path: pathAndQuery, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function waitFor<T extends LiveEvent>(c: BridgeClient, test: (e: LiveEvent) => e is T): Promise<T> {
  return new Promise((resolve) => {
    const off = c.subscribe((e) => {
      if (test(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const isFinished = (e: LiveEvent): e is Extract<LiveEvent, { type: 'acquisition' }> => e.type === 'acquisition' && e.phase === 'finished';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

describe('the bridge: app, token, live events, sessions over HTTP', () => {
  it('serves the app through Vite with the cross-origin isolation headers', async () => {
    expect(bridge.app).toBe('vite');
    const res = await fetch(`${bridge.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>bridge test app</title>');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const deep = await fetch(`${bridge.url}/some/app/route`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  }, 30_000);

  it('refuses control without the token (WebSocket and HTTP) and accepts it with the token', async () => {
    const viewer = await client(null);
    expect(viewer.canControl).toBe(false);
    const refused = await viewer.startAcquisition({ zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect((refused as Error).message).toMatch(/^This connection is read-only: 'startAcquisition' needs the bridge's token/);
    await expect(viewer.moveTo({ xMm: 1 })).rejects.toMatchObject({ code: 'forbidden' });
    expect(Array.isArray(await viewer.listSessions())).toBe(true);

    const wrong = await BridgeClient.connect(bridge.url, 'not-the-token', { WebSocket: WS, reconnect: false });
    clients.push(wrong);
    expect(wrong.canControl).toBe(false);

    const post = (auth: string | null): Promise<Response> =>
      fetch(`${bridge.url}/api/ops/connect`, { method: 'POST', headers: auth ? { Authorization: auth } : {}, body: '{}' });
    expect((await post(null)).status).toBe(401);
    expect((await post('Bearer nope')).status).toBe(401);
    const ok = await post(`Bearer ${bridge.token}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { ok: boolean; result: { width: number } };
    expect(body).toMatchObject({ ok: true, result: { width: 640, height: 640 } });

    const controller = await client(bridge.token);
    expect(controller.canControl).toBe(true);
    const at = await controller.getPosition();
    const moved = await controller.moveTo({ xMm: at.xMm + 0.01 });
    expect(moved.xMm).toBeCloseTo(at.xMm + 0.01, 3);
    await controller.moveTo({ xMm: at.xMm });
    await expect(controller.moveTo({ xMm: Number.NaN })).rejects.toThrow(/^moveTo xMm must be a finite number, got null\.$/);

    expect((await fetch(`${bridge.url}/api/ops/connect`)).status).toBe(405);
    expect((await fetch(`${bridge.url}/api/ops/format-disk`, { method: 'POST', headers: { Authorization: `Bearer ${bridge.token}` } })).status).toBe(404);
    const status = (await (await fetch(`${bridge.url}/api/status`)).json()) as { microscope: string | null; control: boolean };
    expect(status).toMatchObject({ microscope: 'simscope', control: false });
  }, 30_000);

  it('streams live view frames (session "") latest-wins, and stops them', async () => {
    const ctl = await client(bridge.token);
    const live: PlaneEvent[] = [];
    const got = new Promise<void>((resolve) =>
      ctl.subscribe((e) => {
        if (e.type === 'plane' && e.session === '') {
          live.push(e);
          if (live.length === 3) resolve();
        }
      }),
    );
    await ctl.startLiveView();
    await got;
    await ctl.stopLiveView();
    for (const p of live) expect([p.level, p.width, p.height, p.pixels.length]).toEqual([0, 640, 640, 640 * 640]);
    expect(live[2]!.version).toBeGreaterThan(live[0]!.version);
  }, 30_000);

  it('streams a z-stack started over the WebSocket, and serves its session over HTTP byte for byte', async () => {
    const ctl = await client(bridge.token);
    const viewer = await client(null);
    viewer.setPlaneLevel(1);
    const planes: PlaneEvent[] = [];
    const viewerPlanes: PlaneEvent[] = [];
    const volumes: VolumeEvent[] = [];
    const events: LiveEvent[] = [];
    ctl.subscribe((e) => {
      events.push(e);
      if (e.type === 'plane') {
        planes.push(e);
        ctl.markDisplayed(e.frameNumber);
      } else if (e.type === 'volume') volumes.push({ ...e, data: e.data.slice() });
    });
    viewer.subscribe((e) => {
      if (e.type === 'plane') viewerPlanes.push(e);
    });
    const finished = waitFor(ctl, isFinished);
    const info = await ctl.startAcquisition({ zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [488, 640], name: 'ws stack', description: 'over the socket' });
    expect(info).toMatchObject({ name: 'ws_stack', status: 'acquiring', displayLevel: 1, storeUrl: `${bridge.url}/sessions/ws_stack.ome.zarr/` });
    expect(info.levelShapes).toEqual([
      [2, 20, 640, 640],
      [2, 20, 320, 320],
      [2, 20, 160, 160],
    ]);
    expect(info.channels.map((c) => c.wavelengthNm)).toEqual([488, 640]);
    expect(await finished).toMatchObject({ session: 'ws_stack', status: 'complete' });

    // Events: planes at each viewer's level, volumes at the display level, versions growing.
    expect(planes.length).toBeGreaterThan(0);
    for (const p of planes) expect([p.level, p.width, p.height, p.pixels.length]).toEqual([0, 640, 640, 640 * 640]);
    expect(viewerPlanes.length).toBeGreaterThan(0);
    for (const p of viewerPlanes) expect([p.level, p.width, p.height, p.pixels.length]).toEqual([1, 320, 320, 320 * 320]);
    const pv = planes.map((p) => p.version);
    expect(pv).toEqual([...pv].sort((a, b) => a - b));
    expect(pv.at(-1)!).toBeGreaterThan(pv[0]!);
    expect(volumes.length).toBeGreaterThan(0);
    for (const v of volumes) expect([v.level, v.width, v.height, v.data.length]).toEqual([1, 320, 320, (v.zEnd - v.zStart) * 320 * 320]);
    const vv = volumes.map((v) => v.version);
    expect(vv).toEqual([...vv].sort((a, b) => a - b));
    expect(events.some((e) => e.type === 'flushed' && e.session === 'ws_stack')).toBe(true);
    const lastSession = events.filter((e) => e.type === 'session').at(-1);
    expect(lastSession).toMatchObject({ session: { name: 'ws_stack', status: 'complete' } });

    // Counters: every frame that arrived was written (on a loaded machine the simulated camera
    // may still lose a frame on its way in; that is the microscope's count, not the bridge's);
    // every plane was either displayed here or counted as dropped.
    const c: LiveCounters = ctl.counters();
    expect(c).toMatchObject({ framesExpected: 40, framesWriterDropped: 0, writerQueueDepth: 0 });
    expect(c.framesAcquired).toBeGreaterThan(0);
    expect(c.framesWritten).toBe(c.framesAcquired);
    expect(c.framesDisplayed).toBe(planes.length);
    expect(c.framesDisplayed + c.framesDisplayDropped).toBe(c.framesAcquired);

    // The display volume the viewer assembled equals level 1 on disk (python zarr reads it).
    const mirror = new Uint16Array(2 * 20 * 320 * 320);
    for (const v of volumes) mirror.set(v.data, (v.channel * 20 + v.zStart) * 320 * 320);
    const disk = path.join(sessionsDir, 'ws_stack.ome.zarr');
    const py = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys, hashlib, zarr, numpy as np
g = zarr.open_group(sys.argv[1], mode='r')
a = g['1'][:]
print(json.dumps({'shape': list(a.shape), 'sha': hashlib.sha256(a.astype('<u2').tobytes()).hexdigest(), 'status': g.attrs['flamingo']['status'], 'description': g.attrs['flamingo']['description'], 'max': int(g['0'][:].max())}))`,
          disk,
        ],
        { encoding: 'utf8' },
      ),
    ) as { shape: number[]; sha: string; status: string; description: string; max: number };
    expect(py).toMatchObject({ shape: [2, 20, 320, 320], status: 'complete', description: 'over the socket' });
    expect(py.max).toBeGreaterThan(0);
    expect(createHash('sha256').update(new Uint8Array(mirror.buffer)).digest('hex')).toBe(py.sha);

    // The session over HTTP: listed, and every file equal to the disk's, with CORS/CORP.
    const list = (await (await fetch(`${bridge.url}/api/sessions`)).json()) as Array<{ name: string; status: string; storeUrl: string; bytes: number }>;
    expect(list.find((e) => e.name === 'ws_stack')).toMatchObject({ status: 'complete', storeUrl: info.storeUrl });
    const files = filesUnder(disk);
    expect(files).toContain('.zattrs');
    expect(files).toContain('0/.zarray');
    expect(files.filter((f) => /^0\/\d+\/\d+\/\d+\/\d+$/.test(f)).length).toBeGreaterThan(0);
    for (const f of files) {
      const res = await fetch(`${info.storeUrl}${f}`);
      expect(res.status, f).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(disk, f))), f).toBe(true);
    }
    const head = await fetch(`${info.storeUrl}.zattrs`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(readFileSync(path.join(disk, '.zattrs')).length);
    const missing = await fetch(`${info.storeUrl}0/1/0/99/99`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');

    // A viewer that joins afterwards gets the whole display volume, equal to what the first one assembled.
    const late = await client(null);
    const lateMirror = new Uint16Array(mirror.length);
    const covered = [new Set<number>(), new Set<number>()];
    await new Promise<void>((resolve) =>
      late.subscribe((e) => {
        if (e.type !== 'volume') return;
        lateMirror.set(e.data, (e.channel * 20 + e.zStart) * 320 * 320);
        for (let z = e.zStart; z < e.zEnd; z++) covered[e.channel]!.add(z);
        if (covered[0]!.size === 20 && covered[1]!.size === 20) resolve();
      }),
    );
    expect(Buffer.from(lateMirror.buffer).equals(Buffer.from(mirror.buffer))).toBe(true);

    // Open it again as a stored session, and save viewer state into it.
    const opened = await viewer.openSession('ws_stack');
    expect(opened).toMatchObject({ name: 'ws_stack', status: 'complete', levelShapes: info.levelShapes, displayLevel: 1 });
    const saved = await ctl.saveSession('ws_stack', { description: 'looked at', viewer: { mode: '3d' } });
    expect(saved).toMatchObject({ name: 'ws_stack', status: 'complete' });
    const attrs = JSON.parse(readFileSync(path.join(disk, '.zattrs'), 'utf8')) as { flamingo: { description: string; viewer: { mode: string; render_3d: string } } };
    expect(attrs.flamingo.description).toBe('looked at');
    expect(attrs.flamingo.viewer.mode).toBe('3d');
    expect(attrs.flamingo.viewer.render_3d).toBeDefined();
    await expect(ctl.saveSession('ws_stack', { viewer: { mode: 'sideways' } })).rejects.toThrow(/not valid/);
  }, 90_000);

  it('keeps writing every frame while a viewer stops reading; that viewer counts its skipped planes', async () => {
    const slow = new WebSocket(`${bridge.url.replace(/^http/, 'ws')}/ws`);
    const received: Array<{ binary: boolean; data: Buffer }> = [];
    slow.on('message', (data: Buffer, isBinary) => received.push({ binary: isBinary, data }));
    await new Promise((resolve) => slow.once('open', resolve));
    slow.pause();
    const ctl = await client(bridge.token);
    const finished = waitFor(ctl, isFinished);
    await ctl.startAcquisition({ zStartMm: 19, zEndMm: 19.12, stepUm: 2, lasers: [488], name: 'slow viewer' });
    await expect(ctl.saveSession('slow_viewer', { description: 'too early' })).rejects.toMatchObject({ code: 'busy' });
    await expect(ctl.startAcquisition({ zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488] })).rejects.toMatchObject({ code: 'busy' });
    expect(await finished).toMatchObject({ status: 'complete' });
    const final = ctl.counters();
    expect(final).toMatchObject({ framesExpected: 60, framesWriterDropped: 0 });
    expect(final.framesWritten).toBe(final.framesAcquired);

    // Once it reads again, it gets the newest plane it was owed and counters that add up:
    // every frame is either a plane it got or one counted as skipped.
    const tally = (): { planes: number; counters: LiveCounters | null } => {
      let planes = 0;
      let counters: LiveCounters | null = null;
      let started = false;
      for (const m of received) {
        if (m.binary) {
          const e = decodeDataEvent(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
          if (started && e.type === 'plane' && e.session === 'slow_viewer') planes++;
          continue;
        }
        const msg = JSON.parse(String(m.data)) as { kind: string; event?: LiveEvent };
        if (msg.event?.type === 'acquisition' && msg.event.phase === 'started') started = true;
        if (started && msg.event?.type === 'counters') counters = msg.event.counters;
      }
      return { planes, counters };
    };
    slow.resume();
    const until = Date.now() + 20_000;
    let t = tally();
    while (Date.now() < until && !(t.counters && t.counters.framesAcquired === final.framesAcquired && t.planes + t.counters.framesDisplayDropped === final.framesAcquired)) {
      await new Promise((r) => setTimeout(r, 100));
      t = tally();
    }
    slow.close();
    expect(t.counters).not.toBeNull();
    expect(t.counters!.framesDisplayDropped).toBeGreaterThan(0);
    expect(t.counters!.framesAcquired).toBe(final.framesAcquired);
    expect(t.planes + t.counters!.framesDisplayDropped).toBe(final.framesAcquired);
  }, 90_000);

  it('sends a windowed viewer no more unacknowledged data messages than its window, then the newest plane on its acknowledgement', async () => {
    const viewer = new WebSocket(`${bridge.url.replace(/^http/, 'ws')}/ws`);
    const binary: Buffer[] = [];
    let counters: LiveCounters | null = null;
    viewer.on('message', (data: Buffer, isBinary) => {
      if (isBinary) binary.push(data);
      else {
        const msg = JSON.parse(String(data)) as { event?: LiveEvent };
        if (msg.event?.type === 'counters') counters = msg.event.counters;
      }
    });
    await new Promise((resolve) => viewer.once('open', resolve));
    viewer.send(JSON.stringify({ kind: 'window', messages: 1 }));
    const ctl = await client(bridge.token);
    const finished = waitFor(ctl, isFinished);
    await ctl.startAcquisition({ zStartMm: 19, zEndMm: 19.06, stepUm: 2, lasers: [488], name: 'windowed viewer' });
    await finished;
    await new Promise((r) => setTimeout(r, 500));
    // One data message, never acknowledged: nothing more was sent.
    expect(binary).toHaveLength(1);
    const decode = (b: Buffer) => decodeDataEvent(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    const first = decode(binary[0]!);
    // Acknowledged: what it is owed follows (the newest plane, and the display volume), one at a time.
    const final = ctl.counters();
    const until = Date.now() + 20_000;
    let acked = 0;
    while (Date.now() < until) {
      while (acked < binary.length) {
        viewer.send(JSON.stringify({ kind: 'ack' }));
        acked++;
      }
      const planes = binary.map(decode).filter((e): e is PlaneEvent => e.type === 'plane' && e.session === 'windowed_viewer');
      const c = counters as LiveCounters | null;
      if (c && c.framesAcquired === final.framesAcquired && planes.length + c.framesDisplayDropped === final.framesAcquired && planes.some((p) => p.z === 29) && binary.map(decode).some((e) => e.type === 'volume')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    viewer.close();
    const planes = binary.map(decode).filter((e): e is PlaneEvent => e.type === 'plane' && e.session === 'windowed_viewer');
    expect(['plane', 'volume']).toContain(first.type);
    expect(planes.at(-1)!.z).toBe(29);
    expect(planes.length + (counters as LiveCounters | null)!.framesDisplayDropped).toBe(final.framesAcquired);
    expect(binary.map(decode).some((e) => e.type === 'volume')).toBe(true);
  }, 90_000);

  it('says so in one sentence when its port is taken', async () => {
    await expect(startBridge({ port: bridge.port, sessionsDir, connectOnStart: false, app: { dist: null, devRoot: null } })).rejects.toThrow(
      new RegExp(`^Port ${bridge.port} on 127\\.0\\.0\\.1 is in use; choose another with --port \\(0 picks a free one\\)\\.$`),
    );
  });

  it('refuses paths that leave the sessions folder, and methods that would change it', async () => {
    symlinkSync(outside, path.join(sessionsDir, 'escape.ome.zarr'));
    const inSession = path.join(sessionsDir, 'ws_stack.ome.zarr');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(inSession, 'link'));
    const attempts = [
      '/sessions/../package.json',
      '/sessions/%2e%2e/package.json',
      '/sessions/ws_stack.ome.zarr/..%2f..%2f..%2fpackage.json',
      '/sessions/ws_stack.ome.zarr/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/sessions/ws_stack.ome.zarr/..%5c..%5cpackage.json',
      '/sessions/ws_stack.ome.zarr/..\\..\\package.json',
      `/sessions/${encodeURIComponent(path.join(outside, 'secret.txt'))}`,
      `/sessions/ws_stack.ome.zarr/${encodeURIComponent(path.join(outside, 'secret.txt'))}`,
      '/sessions//etc/passwd',
      '/sessions/escape.ome.zarr/.zattrs',
      '/sessions/escape.ome.zarr/secret.txt',
      '/sessions/ws_stack.ome.zarr/link',
      '/sessions/ws_stack.ome.zarr/%00.zattrs',
    ];
    for (const a of attempts) {
      const r = await raw(a);
      expect(r.status, a).toBe(404);
      expect(r.body, a).not.toContain(SECRET);
      expect(r.body, a).not.toContain('"name": "flamingo-viv"');
    }
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const r = await raw('/sessions/ws_stack.ome.zarr/.zattrs', method);
      expect(r.status, method).toBe(405);
    }
    const viewer = await client(null);
    await expect(viewer.openSession('../outside')).rejects.toMatchObject({ code: 'bad-name' });
    await expect(viewer.openSession('escape')).rejects.toMatchObject({ code: 'not-found' });
    expect((await viewer.listSessions()).map((s) => s.name)).not.toContain('escape');
    const ctl = await client(bridge.token);
    await expect(ctl.saveSession('../../outside', { description: 'x' })).rejects.toMatchObject({ code: 'bad-name' });
  }, 30_000);
});
