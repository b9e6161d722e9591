/**
 * Test page for the browser-only backend (bundled by test/browser/harness.ts): puts
 * `runBackendStack(options)` and `readOpfsSession(name)` on `globalThis` for
 * test/browser/backend.browser.test.ts to call through `page.evaluate`.
 */
import { BrowserBackend } from '../../../src/acquisition/browser/backend.ts';
import type { LiveEvent, PlaneEvent, VolumeEvent } from '../../../src/acquisition/live-backend.ts';
import { OpfsStore } from '../../../src/session/store/opfs-store.ts';

const RUN = { startPollDelayMs: 100, startPollIntervalMs: 100, busyPollIntervalMs: 250, rejectAfterMs: 1500, drainQuietMs: 60, drainMaxMs: 1000 };

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

interface StackOptions {
  frameWidth?: number;
  frameHeight?: number;
  timeScale?: number;
  /** Z range in µm (step 5 µm). */
  rangeUm?: number;
}

function newBackend(o: StackOptions = {}): BrowserBackend {
  return new BrowserBackend({
    createWorker: () => new Worker('/worker.js', { type: 'module' }),
    simulator: { motionSettleMs: 0, run: RUN, simulator: { seed: 5, frameWidth: o.frameWidth ?? 128, frameHeight: o.frameHeight ?? 96, timeScale: o.timeScale ?? 0.05 } },
  });
}

async function runBackendStack(name: string, o: StackOptions = {}): Promise<unknown> {
  const backend = newBackend(o);
  const events: LiveEvent[] = [];
  let maxQueue = 0;
  const latencies: number[] = [];
  backend.subscribe((e) => {
    if (e.type === 'plane') latencies.push(performance.now() - e.acquiredAtMs);
    if (e.type === 'counters') maxQueue = Math.max(maxQueue, e.counters.writerQueueDepth);
    // Measurements keep only what they count, not every pixel buffer.
    events.push(o.rangeUm !== undefined && (e.type === 'plane' || e.type === 'volume') ? { ...e, ...(e.type === 'plane' ? { pixels: new Uint16Array(0) } : { data: new Uint16Array(0) }) } : e);
  });
  const info = await backend.connect();
  const t0 = performance.now();
  const session = await backend.startAcquisition({ zStartMm: 19, zEndMm: 19 + (o.rangeUm ?? 40) / 1000, stepUm: 5, lasers: [488, 640], name });
  await backend.idle();
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 50)); // the last events travel on their own port
  const planes = events.filter((e): e is PlaneEvent => e.type === 'plane');
  const volumes = events.filter((e): e is VolumeEvent => e.type === 'volume');
  const lastPlane = (c: number): PlaneEvent | undefined => planes.filter((p) => p.channel === c).at(-1);
  const listed = await backend.listSessions();
  const opened = await backend.openSession(session.name);
  const saved = await backend.saveSession(session.name, {
    description: 'saved from the browser',
    viewer: {
      mode: '3d',
      channels: [{ index: 1, name: 'Far red', color: 'FF00FF', contrast: [90, 800], visible: false }],
      transforms: [{ op: 'shift', params: { offset_um: [0, 2, 4], order: 0 } }],
    },
  });
  const reopened = await backend.openSession(session.name);
  // A listener added now (a panel mounted late) is told the current state first.
  const replay = await new Promise<LiveEvent[]>((resolve) => {
    const got: LiveEvent[] = [];
    const off = backend.subscribe((e) => {
      got.push(e);
      if (e.type === 'counters') {
        off();
        resolve(got);
      }
    });
  });
  const counters = backend.counters();
  await backend.close();
  // A new backend (a new worker) finds the session in OPFS.
  const again = newBackend();
  const relisted = await again.listSessions();
  await again.close();
  return {
    seconds,
    maxQueue,
    latencies,
    info: { width: info.width, height: info.height },
    session,
    counters,
    finished: events.find((e) => e.type === 'acquisition' && e.phase === 'finished'),
    planes: planes.map((p) => ({ channel: p.channel, z: p.z, level: p.level, width: p.width, height: p.height, length: p.pixels.length })),
    lastPlanes: [0, 1].map((c) => {
      const p = lastPlane(c);
      return p ? { z: p.z, level: p.level, pixels: base64(new Uint8Array(p.pixels.buffer, p.pixels.byteOffset, p.pixels.byteLength)) } : null;
    }),
    volumes: volumes.map((v) => ({ channel: v.channel, level: v.level, zStart: v.zStart, zEnd: v.zEnd, length: v.data.length, width: v.width, height: v.height })),
    flushed: events.filter((e) => e.type === 'flushed').length,
    listed,
    opened,
    saved,
    reopened,
    replay: replay.map((e) => (e.type === 'session' ? { type: e.type, name: e.session.name, status: e.session.status } : e.type === 'connected' ? { type: e.type, microscope: e.microscope } : { type: e.type })),
    relisted,
  };
}

/** Every file of OPFS `/<name>.ome.zarr`, base64, read on the main thread. */
async function readOpfsSession(name: string): Promise<Record<string, string>> {
  const store = await OpfsStore.open(`/${name}.ome.zarr`);
  const out: Record<string, string> = {};
  for (const key of await store.list()) {
    const bytes = await store.get(key);
    if (bytes) out[key] = base64(bytes);
  }
  return out;
}

Object.assign(globalThis, { runBackendStack, readOpfsSession });
