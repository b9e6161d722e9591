import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FlamingoConnector } from '../../../src/acquisition/flamingo/connector.ts';
import { isConnectorError } from '../../../src/acquisition/flamingo/errors.ts';
import { probeMicroscope } from '../../../src/acquisition/flamingo/probe.ts';
import { Command, Flags, SystemState } from '../../../src/acquisition/protocol/index.ts';
import { startSimulator, type RunningSimulator } from '../../../src/acquisition/simulator/server.ts';
import { startRig, type Rig } from './harness.ts';

const CALLBACK = Flags.TRIGGER_CALL_BACK;
let rig: Rig | null = null;

afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('FlamingoConnector: connect (spec §1, §9.1, §11.3 items 1, 6, 7)', () => {
  it('loads settings, optics, camera and position, sending exactly these records', async () => {
    rig = await startRig();
    const info = await rig.scope.connect();
    expect(info.name).toBe('simscope');
    expect(info.pixelSizeUm).toBeCloseTo(6.5 / 6.205, 9);
    expect(info.reportedPixelSizeUm).toBeCloseTo(6.5 / 6.205, 6);
    expect([info.width, info.height]).toEqual([64, 64]);
    expect(info.hardLimits.z).toEqual({ min: 8, max: 25 });
    expect(info.softLimits.z.min).toBe(11);
    expect(info.home).toEqual({ xMm: 8, yMm: 14, zMm: 19, rDeg: 0 });
    expect(info.lasers.map((l) => l.wavelengthNm)).toEqual([405, 488, 561, 640]);
    expect(info.settingsText.length).toBeGreaterThanOrEqual(2000);
    const sent = rig.proxy.commands();
    expect(sent.map((m) => [m.record.cmd, m.record.int32Data0])).toEqual([
      [Command.COMMON_SCOPE_SETTINGS_LOAD, 0],
      [Command.CAMERA_PIXEL_FIELD_OF_VIEW_GET, 0],
      [Command.CAMERA_IMAGE_SIZE_GET, 0],
      [Command.CAMERA_ROI_LEFT_GET, 0],
      [Command.CAMERA_ROI_TOP_GET, 0],
      [Command.STAGE_POSITION_GET, 1],
      [Command.STAGE_POSITION_GET, 2],
      [Command.STAGE_POSITION_GET, 3],
      [Command.STAGE_POSITION_GET, 4],
    ]);
    // The callback flag on everything but the settings load, which goes out all zero.
    expect(sent[0]!.record).toMatchObject({ cmdDataBits0: 0, status: 0, addDataBytes: 0 });
    for (const m of sent.slice(1)) expect(m.record.cmdDataBits0).toBe(CALLBACK);
    // The live socket is open, listen-only.
    expect(rig.proxy.events.filter((e) => e.kind === 'live-connect')).toHaveLength(1);
    expect(rig.proxy.codes()).not.toContain(Command.CAMERA_LIVE_VIEW_START);
  });

  it('says clearly when nothing listens', async () => {
    const sim = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64 });
    const port = sim.port;
    await sim.close();
    const scope = new FlamingoConnector({ port, connectTimeoutMs: 500 });
    const err = await scope.connect().catch((e: unknown) => e);
    expect(isConnectorError(err, 'connect-failed')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^Could not connect to the microscope command port 127\\.0\\.0\\.1:${port}`));
  });

  it('reads positions one axis per query and the state', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const before = rig.proxy.commands().length;
    const p = await rig.scope.getPosition();
    const s = rig.sim.position();
    expect(p).toEqual({ xMm: s.xMm, yMm: s.yMm, zMm: s.zMm, rDeg: s.rDeg });
    expect(rig.proxy.commands().slice(before).map((m) => [m.record.cmd, m.record.int32Data0])).toEqual([
      [Command.STAGE_POSITION_GET, 1],
      [Command.STAGE_POSITION_GET, 2],
      [Command.STAGE_POSITION_GET, 3],
      [Command.STAGE_POSITION_GET, 4],
    ]);
    expect(await rig.scope.getState()).toBe(SystemState.IDLE);
  });
});

describe('FlamingoConnector: motion (spec §7.3, §11.3 item 5)', () => {
  it('moves axis by axis, each after the previous stopped, and reads the position back', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const before = rig.proxy.commands().length;
    const p = await rig.scope.moveTo({ zMm: 18.5, xMm: 7.25, yMm: 14.5 });
    expect(p.xMm).toBeCloseTo(7.25, 9);
    expect(p.yMm).toBeCloseTo(14.5, 9);
    expect(p.zMm).toBeCloseTo(18.5, 9);
    const s = rig.sim.position();
    expect([s.xMm, s.yMm, s.zMm]).toEqual([p.xMm, p.yMm, p.zMm]);
    const sent = rig.proxy.commands().slice(before).map((m) => `${m.record.cmd}:${m.record.int32Data0}`);
    // X, then Y, then Z: each move is followed by its read-back before the next move goes out.
    expect(sent.slice(0, 6)).toEqual(['24580:1', '24584:1', '24580:2', '24584:2', '24580:3', '24584:3']);
    for (const m of rig.proxy.commands().slice(before)) expect(m.record.cmdDataBits0).toBe(CALLBACK);
    expect(rig.events.filter((e) => e.type === 'motion-stopped').map((e) => (e.type === 'motion-stopped' ? e.axis : 0))).toEqual([1, 2, 3]);
  });

  it('refuses a target outside the soft limits before sending anything', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const before = rig.proxy.commands().length;
    await expect(rig.scope.moveTo({ zMm: 9 })).rejects.toThrow('Target Z = 9 mm is outside the soft limits 11–25 mm.');
    expect(rig.proxy.commands().length).toBe(before);
  });
});

describe('FlamingoConnector: live view (spec §6.4–6.6)', () => {
  it('streams the newest frames, counts drops, and stops with LIVE_VIEW_STOP', async () => {
    rig = await startRig({ sim: { maxFps: 400 } });
    await rig.scope.connect();
    const view = await rig.scope.startLiveView({ bufferFrames: 3 });
    const numbers: number[] = [];
    for await (const f of view) {
      expect([f.width, f.height, f.pixels.length]).toEqual([64, 64, 64 * 64]);
      numbers.push(f.meta.frameNumber);
      if (numbers.length === 1) await new Promise((r) => setTimeout(r, 150)); // fall behind once
      if (numbers.length === 6) break;
    }
    await view.stop();
    expect(view.dropped).toBeGreaterThan(0);
    expect(numbers[1]! - numbers[0]!).toBeGreaterThan(1); // the backlog was the newest frames
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]!);
    expect(rig.proxy.codes().filter((c) => c === Command.CAMERA_LIVE_VIEW_START || c === Command.CAMERA_LIVE_VIEW_STOP)).toEqual([
      Command.CAMERA_LIVE_VIEW_START,
      Command.CAMERA_LIVE_VIEW_STOP,
    ]);
    expect(await rig.scope.getState()).toBe(SystemState.IDLE);
    expect(rig.scope.counters().framesDropped).toBe(view.dropped);
  });
});

describe('FlamingoConnector: connections (spec §1, §11.3 items 13–14)', () => {
  it('reconnects once after a drop and re-issues the query', async () => {
    rig = await startRig();
    await rig.scope.connect();
    rig.sim.dropAllConnections();
    const p = await rig.scope.getPosition();
    expect(p.xMm).toBe(rig.sim.position().xMm);
    expect(rig.scope.counters().reconnects).toBeGreaterThanOrEqual(1);
    expect(rig.events.some((e) => e.type === 'disconnected')).toBe(true);
    expect(rig.events.some((e) => e.type === 'reconnected')).toBe(true);
  });

  it('closes cleanly', async () => {
    rig = await startRig();
    await rig.scope.connect();
    await rig.scope.close();
    await expect.poll(() => rig!.sim.stats().commandClients).toBe(0);
    await expect.poll(() => rig!.sim.stats().liveClients).toBe(0);
    await expect(rig.scope.getPosition()).rejects.toThrow('This connector is closed.');
  });

  it('counts records and bytes', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const c = rig.scope.counters();
    expect(c.recordsReceived).toBe(9);
    expect(c.bytesReceived).toBeGreaterThan(9 * 128 + 2000);
    expect(c.recordsDiscardedBytes).toBe(0);
  });
});

describe('probeMicroscope', () => {
  let sim: RunningSimulator | null = null;
  afterEach(async () => {
    await sim?.close();
    sim = null;
  });

  it('connects, reads, receives N live frames and reports', async () => {
    sim = await startSimulator({ port: 0, frameWidth: 96, frameHeight: 64, timeScale: 0.05, maxFps: 200 });
    const r = await probeMicroscope({ host: sim.host, port: sim.port, frames: 6, timeoutS: 10 });
    expect(r).toMatchObject({ microscope: 'simscope', frames: 6, width: 96, height: 64 });
    expect(r.pixel_size_um).toBeCloseTo(1.0475, 4);
    expect(r.position).toEqual({ x_mm: 8, y_mm: 14, z_mm: 19, r_deg: 0 });
    expect(r.fps).toBeGreaterThan(0);
    expect(r.mb_per_s).toBeGreaterThan(0);
    expect(sim.stats().state).toBe(SystemState.IDLE);
  });

  it('names the step that timed out', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => undefined).resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await expect(probeMicroscope({ host: '127.0.0.1', port, frames: 1, timeoutS: 0.3 })).rejects.toThrow(
        `The probe timed out after 0.3 s connecting to 127.0.0.1:${port} and loading its settings.`,
      );
    } finally {
      await new Promise((r) => silent.close(r));
    }
  });
});
