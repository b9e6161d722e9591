import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEvent, PlaneEvent, VolumeEvent } from '../../../src/acquisition/live-backend.ts';
import { LivePipeline } from '../../../src/acquisition/browser/pipeline.ts';
import { MemorySessionSpace } from '../../../src/acquisition/browser/session-space.ts';
import { PipelineError } from '../../../src/acquisition/browser/pipeline.ts';
import { SimulatedConnector } from '../../../src/acquisition/simulator/connector.ts';
import { openImage } from '../../../src/session/read/open.ts';

const RUN = { startPollDelayMs: 100, startPollIntervalMs: 100, busyPollIntervalMs: 250, rejectAfterMs: 1500, drainQuietMs: 60, drainMaxMs: 1000 };

let pipeline: LivePipeline | null = null;
afterEach(async () => {
  await pipeline?.close();
  pipeline = null;
});

function start(over: { planeIntervalMs?: number; frame?: [number, number]; memoryBudgetBytes?: number } = {}): { pipeline: LivePipeline; events: LiveEvent[]; transfers: ArrayBuffer[][]; sessions: MemorySessionSpace } {
  const events: LiveEvent[] = [];
  const transfers: ArrayBuffer[][] = [];
  const sessions = new MemorySessionSpace();
  pipeline = new LivePipeline({
    sessions,
    appVersion: '0.0.0-test',
    connectorFor: (microscope) => {
      if (microscope !== 'sim') throw new PipelineError('unsupported', `'${microscope}' needs the bridge.`);
      const connector = new SimulatedConnector({ motionSettleMs: 0, run: RUN, simulator: { seed: 3, frameWidth: over.frame?.[0] ?? 96, frameHeight: over.frame?.[1] ?? 80, timeScale: 0.05 } });
      return { connector, connection: 'simulator', address: 'memory:53717' };
    },
    emit: (e, t) => {
      events.push(e);
      transfers.push(t);
    },
    ...(over.planeIntervalMs !== undefined ? { planeIntervalMs: over.planeIntervalMs } : {}),
    ...(over.memoryBudgetBytes !== undefined ? { writer: { memoryBudgetBytes: over.memoryBudgetBytes } } : {}),
  });
  return { pipeline, events, transfers, sessions };
}

describe('LivePipeline: simulator → session writer + display producer → live events', () => {
  it('runs a two-laser z-stack into a session and shows exactly what it saved', async () => {
    const { pipeline: p, events, transfers, sessions } = start();
    await expect(p.connect('10.0.0.5:53717')).rejects.toThrow("'10.0.0.5:53717' needs the bridge.");
    const info = await p.connect('sim');
    expect([info.width, info.height]).toEqual([96, 80]);
    expect(await p.connect('sim')).toBe(info);

    const session = await p.startAcquisition({ zStartMm: 19, zEndMm: 19.04, stepUm: 5, lasers: [640, 488], name: 'two lasers' });
    expect(session).toMatchObject({ name: 'two_lasers', status: 'acquiring', storeUrl: null });
    expect(session.levelShapes[0]).toEqual([2, 8, 80, 96]);
    expect(session.channels.map((c) => [c.name, c.wavelengthNm])).toEqual([['640 nm', 640], ['488 nm', 488]]);
    await expect(p.startAcquisition({ zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488] })).rejects.toThrow(/already running/);
    await p.idle();

    const finished = events.find((e) => e.type === 'acquisition' && e.phase === 'finished');
    expect(finished).toMatchObject({ session: 'two_lasers', status: 'complete', summary: { outcome: 'complete', framesReceived: 16 } });
    const c = p.counters();
    expect(c).toMatchObject({ framesExpected: 16, framesAcquired: 16, framesWritten: 16, framesWriterDropped: 0, writerQueueDepth: 0 });
    expect(c.framesDisplayed + c.framesDisplayDropped).toBe(16);
    expect(events.filter((e) => e.type === 'counters').at(-1)).toEqual({ type: 'counters', counters: c });

    // Plane events: newest planes of both channels, pixels transferred.
    const planes = events.filter((e): e is PlaneEvent => e.type === 'plane');
    expect(planes.length).toBe(c.framesDisplayed);
    expect(new Set(planes.map((e) => e.channel))).toEqual(new Set([0, 1]));
    planes.forEach((e) => {
      expect([e.width, e.height, e.pixels.length, e.session]).toEqual([96, 80, 96 * 80, 'two_lasers']);
      expect(transfers[events.indexOf(e)]).toEqual([e.pixels.buffer]);
    });

    // Volume events cover every plane of both channels, and equal the saved display level.
    const volumes = events.filter((e): e is VolumeEvent => e.type === 'volume');
    const image = await openImage(await sessions.open('two_lasers'));
    expect(image.flamingo?.status).toBe('complete');
    const level = image.levels[session.displayLevel]!;
    const [, Z, H, W] = level.shape as number[];
    for (const ch of [0, 1]) {
      const shown = new Uint16Array(Z! * H! * W!);
      const covered = new Set<number>();
      for (const v of volumes.filter((e) => e.channel === ch)) {
        expect([v.width, v.height, v.level]).toEqual([W, H, session.displayLevel]);
        shown.set(v.data, v.zStart * H! * W!);
        for (let z = v.zStart; z < v.zEnd; z++) covered.add(z);
      }
      expect(covered.size).toBe(Z);
      const saved = await level.readRegion({ start: [ch, 0, 0, 0], stop: [ch + 1, Z!, H!, W!] });
      expect(Array.from(shown)).toEqual(Array.from(saved.data));
    }
    expect(events.some((e) => e.type === 'flushed' && e.session === 'two_lasers')).toBe(true);

    // Sessions: listed, opened, state saved into .zattrs.
    expect(await p.listSessions()).toMatchObject([{ name: 'two_lasers', status: 'complete', storeUrl: null }]);
    const opened = await p.openSession('two_lasers');
    expect(opened).toMatchObject({ name: 'two_lasers', status: 'complete', levelShapes: session.levelShapes });
    const entry = await p.saveSession('two_lasers', { description: 'dorsal view', viewer: { mode: '3d' } });
    expect(entry.name).toBe('two_lasers');
    const again = await openImage(await sessions.open('two_lasers'));
    expect(again.flamingo).toMatchObject({ description: 'dorsal view', viewer: { mode: '3d' } });
    await expect(p.openSession('nope')).rejects.toThrow(/no session 'nope'/);
  });

  it('stops an acquisition on request and leaves the session interrupted with what was flushed', async () => {
    const { pipeline: p, events } = start();
    await p.connect();
    await p.startAcquisition({ zStartMm: 19, zEndMm: 19.5, stepUm: 5, lasers: [488] });
    while (p.counters().framesAcquired < 3) await new Promise((r) => setTimeout(r, 10));
    await p.stopAcquisition();
    await p.idle();
    expect(events.find((e) => e.type === 'acquisition' && e.phase === 'finished')).toMatchObject({ status: 'interrupted' });
    expect(p.counters().framesWriterDropped).toBe(0);
    expect((await p.listSessions())[0]).toMatchObject({ status: 'interrupted' });
  });

  it('sends live view as latest-wins planes outside any session, and moves the stage', async () => {
    const { pipeline: p, events } = start();
    await p.connect();
    const at = await p.moveTo({ xMm: 7.9 });
    expect(at.xMm).toBeCloseTo(7.9, 6);
    expect(events.some((e) => e.type === 'position')).toBe(true);
    await p.startLiveView();
    while (events.filter((e) => e.type === 'plane').length < 2) await new Promise((r) => setTimeout(r, 20));
    await p.stopLiveView();
    const planes = events.filter((e): e is PlaneEvent => e.type === 'plane');
    expect(planes[0]).toMatchObject({ session: '', channel: 0, z: 0, level: 0, width: 96, height: 80 });
    expect(planes[1]!.version).toBeGreaterThan(planes[0]!.version);
  });

  it('sends planes at the level the viewer asks for (clamped to the coarsest)', async () => {
    const { pipeline: p, events } = start({ frame: [320, 288] });
    await p.connect();
    p.setPlaneLevel(1);
    const session = await p.startAcquisition({ zStartMm: 19, zEndMm: 19.015, stepUm: 5, lasers: [561] });
    expect(session.levelShapes).toEqual([[1, 3, 288, 320], [1, 3, 144, 160]]);
    await p.idle();
    const planes = events.filter((e): e is PlaneEvent => e.type === 'plane');
    expect(planes.length).toBeGreaterThan(0);
    for (const e of planes) expect([e.level, e.width, e.height, e.pixels.length]).toEqual([1, 160, 144, 160 * 144]);
    p.setPlaneLevel(9);
    events.length = 0;
    await p.startAcquisition({ zStartMm: 19, zEndMm: 19.015, stepUm: 5, lasers: [561] });
    await p.idle();
    expect(events.filter((e): e is PlaneEvent => e.type === 'plane').every((e) => e.level === 1)).toBe(true);
    expect((await p.listSessions()).map((e) => e.name)).toHaveLength(2);
  });

  it('refuses a second start while one is starting, and leaves no folder behind a session that could not start', async () => {
    const { pipeline: p } = start({ memoryBudgetBytes: 1024 });
    await p.connect();
    const first = p.startAcquisition({ zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488] });
    await expect(p.startAcquisition({ zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488] })).rejects.toThrow(/being started/);
    await expect(first).rejects.toThrow(/memory budget/);
    expect(await p.listSessions()).toEqual([]);
  });
});
