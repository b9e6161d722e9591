import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Axis,
  Command,
  encodeRecord,
  Flags,
  parseScopeSettings,
  RECORD_SIZE,
  SystemState,
} from '../../../src/acquisition/protocol/index.ts';
import { startSimulator, type RunningSimulator } from '../../../src/acquisition/simulator/index.ts';
import { RawClient, sleep } from './raw-client.ts';

let sim: RunningSimulator;
let c: RawClient;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, frameWidth: 128, frameHeight: 96, timeScale: 0.1 });
  c = await RawClient.connect(sim.port);
});
afterAll(async () => {
  c.close();
  await sim.close();
});

describe('simulator command port', () => {
  it('listens on a port pair and sends nothing on connect', async () => {
    expect(sim.livePort).toBe(sim.port + 1);
    const fresh = await RawClient.connect(sim.port);
    await sleep(100);
    expect(fresh.chunks).toHaveLength(0);
    fresh.close();
  });

  it('answers only with the callback flag, echoing IDs and flags with status 1', async () => {
    c.send({ cmd: Command.CAMERA_IMAGE_SIZE_GET }, { flag: false });
    c.send({ cmd: Command.CAMERA_PIXEL_FIELD_OF_VIEW_GET }, { flag: false });
    expect(await c.collect(150)).toHaveLength(0);
    const r = await c.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET, hardwareID: 3, subsystemID: 4, clientID: 26 });
    expect(r.record).toMatchObject({
      status: 1,
      hardwareID: 3,
      subsystemID: 4,
      clientID: 26,
      cmdDataBits0: Flags.TRIGGER_CALL_BACK,
      int32Data0: 128,
      int32Data1: 96,
      int32Data2: 0,
      addDataBytes: 0,
    });
  });

  it('always answers state, stop, settings load and save; never laser commands or workflow start', async () => {
    const state = await c.request({ cmd: Command.SYSTEM_STATE_GET }, { flag: false });
    expect(state.record).toMatchObject({ status: 1, int32Data0: SystemState.IDLE });
    const stop = await c.request({ cmd: Command.CAMERA_WORK_FLOW_STOP }, { flag: false });
    expect(stop.record.status).toBe(1);
    c.send({ cmd: Command.LASER_LEVEL_SET, int32Data0: 2, text: '11.49' });
    c.send({ cmd: Command.LASER_PREVIEW_ENABLE, int32Data0: 2 });
    c.send({ cmd: Command.LASER_DISABLE_ALL, int32Data0: 1 });
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: '' });
    expect(await c.collect(150)).toHaveLength(0);
    const level = await c.request({ cmd: Command.LASER_LEVEL_GET, int32Data0: 2 });
    expect(level.record.text).toBe('11.49');
    expect((await c.request({ cmd: Command.LASER_LEVEL_GET, int32Data0: 6 })).record.text).toBe('getLevel error');
  });

  it('serves ScopeSettings as one 4103 record with ≥ 2000 bytes of text in the same write, then stays quiet', async () => {
    const t = await RawClient.connect(sim.port);
    t.send({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, { flag: false });
    t.send({ cmd: Command.SYSTEM_STATE_GET }); // must wait out the quiet period
    const m = await t.waitForCode(Command.COMMON_SCOPE_SETTINGS);
    expect(m.record.status).toBe(1);
    expect(m.record.addDataBytes).toBeGreaterThanOrEqual(2000);
    expect(m.payload?.length).toBe(m.record.addDataBytes);
    // Record and text arrived together.
    expect(t.chunks[0]!.length).toBeGreaterThanOrEqual(RECORD_SIZE + m.record.addDataBytes);
    const text = new TextDecoder().decode(m.payload!);
    const s = parseScopeSettings(text);
    expect(s.microscopeName).toBe('simscope');
    expect(s.address).toEqual({ host: '127.0.0.1', port: sim.port });
    const state = await t.waitForCode(Command.SYSTEM_STATE_GET);
    expect(state.at - m.at).toBeGreaterThanOrEqual(150);
    t.close();
  });

  it('stores ScopeSettings on 4104 (ack status 0) and serves and enforces them afterwards', async () => {
    const t = await RawClient.connect(sim.port);
    const load = await t.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, { flag: false, replyCode: Command.COMMON_SCOPE_SETTINGS });
    const original = new TextDecoder().decode(load.payload!);
    const edited = original.replace('Soft limit max x-axis = 15.000', 'Soft limit max x-axis = 12.000');
    expect(edited).not.toBe(original);
    await sleep(250);
    const ack = await t.request({ cmd: Command.COMMON_SCOPE_SETTINGS_SAVE }, { flag: false, payload: edited });
    expect(ack.record.status).toBe(0);
    const bad = await t.request({ cmd: Command.COMMON_SCOPE_SETTINGS_SAVE }, { flag: false, payload: '<Type>\n</Type>' });
    expect(bad.record.status).not.toBe(0);
    const again = await t.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, { flag: false, replyCode: Command.COMMON_SCOPE_SETTINGS });
    expect(new TextDecoder().decode(again.payload!)).toBe(edited);
    await sleep(250);
    t.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 14.5 });
    await t.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.X, 10000);
    expect((await t.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.X })).record.doubleData).toBe(12);
    // Restore.
    await t.request({ cmd: Command.COMMON_SCOPE_SETTINGS_SAVE }, { flag: false, payload: original });
    t.close();
  });

  it('answers 12343 with mm per pixel from the optics', async () => {
    const r = await c.request({ cmd: Command.CAMERA_PIXEL_FIELD_OF_VIEW_GET });
    expect(r.record.doubleData).toBeCloseTo(0.0010475, 7);
  });

  it('reports positions per axis, never exactly 0.0 for X/Y/Z, starting at Home', async () => {
    const pos: number[] = [];
    for (const axis of [Axis.X, Axis.Y, Axis.Z, Axis.R]) {
      const r = await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: axis });
      expect(r.record.int32Data0).toBe(axis);
      pos.push(r.record.doubleData);
    }
    expect(pos.slice(0, 3).every((v) => v !== 0)).toBe(true);
    expect(sim.position()).toMatchObject({ rDeg: 0 });
    c.send({ cmd: Command.STAGE_POSITION_GET, int32Data0: 0xff });
    expect(await c.collect(100, (m) => m.record.cmd === Command.STAGE_POSITION_GET)).toHaveLength(0);
  });

  it('acks a move at once, interpolates mid-move, then sends one 0x6010 per axis', async () => {
    c.drain();
    const start = (await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Y })).record.doubleData;
    const target = start + 5; // 5 mm at 1 mm/s × 0.1 = 500 ms
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.Y, doubleData: target });
    c.send({ cmd: Command.STAGE_POSITION_SET_SLIDER, int32Data0: Axis.R, doubleData: 10 });
    const ack = await c.waitForCode(Command.STAGE_POSITION_SET);
    expect(ack.record).toMatchObject({ status: 1, int32Data0: 0, doubleData: 0 });
    await c.waitForCode(Command.STAGE_POSITION_SET_SLIDER);
    await sleep(100);
    const mid = (await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Y })).record.doubleData;
    expect(mid).toBeGreaterThan(start);
    expect(mid).toBeLessThan(target);
    const stops = [
      await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.R),
      await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.Y),
    ];
    expect(stops.every((s) => s.record.status === 1)).toBe(true);
    expect(stops[0]!.at).toBeGreaterThan(ack.at);
    expect((await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Y })).record.doubleData).toBeCloseTo(target, 9);
    // A move to where the axis already is still ends with a 0x6010.
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.Y, doubleData: target });
    await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.Y);
    expect(await c.collect(100, (m) => m.record.cmd === Command.STAGE_MOTION_STOPPED)).toHaveLength(0);
  });

  it('sends 0x6010 to every command connection and runs unflagged moves without a reply', async () => {
    const other = await RawClient.connect(sim.port);
    c.drain();
    const acks = c.messages.filter((m) => m.record.cmd === Command.STAGE_POSITION_SET).length;
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.R, doubleData: 0 }, { flag: false });
    await other.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.R);
    await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.R);
    await sleep(50);
    expect(c.messages.filter((m) => m.record.cmd === Command.STAGE_POSITION_SET)).toHaveLength(acks);
    other.close();
  });

  it('clamps targets to the soft limits', async () => {
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 40 }); // soft X max is 15
    await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.X, 10000);
    expect((await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.X })).record.doubleData).toBe(15);
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 12 });
    await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.X, 10000);
  });

  it('halts moving axes with a 0x6010 each', async () => {
    c.drain();
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 13 });
    await c.waitForCode(Command.STAGE_POSITION_SET);
    await c.request({ cmd: Command.STAGE_HALT });
    const stop = await c.waitForCode(Command.STAGE_MOTION_STOPPED);
    expect(stop.record.int32Data0).toBe(Axis.X);
    const x = (await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.X })).record.doubleData;
    expect(x).toBeLessThan(13);
    expect(await c.collect(150, (m) => m.record.cmd === Command.STAGE_MOTION_STOPPED)).toHaveLength(0);
  });

  it('keeps a symmetric ROI from its 1-based edges and reports the image size', async () => {
    const left = await c.request({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: 33 });
    expect(left.record).toMatchObject({ status: 1, int32Data0: 0 });
    c.send({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: 17 });
    const top = await c.waitForCode(0x3011);
    expect(top.record).toMatchObject({ cmd: 0x3011, status: 1, int32Data0: 0 });
    expect((await c.request({ cmd: Command.CAMERA_ROI_LEFT_GET })).record.int32Data0).toBe(33);
    expect((await c.request({ cmd: Command.CAMERA_ROI_TOP_GET })).record.int32Data0).toBe(17);
    const size = await c.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET });
    expect([size.record.int32Data0, size.record.int32Data1]).toEqual([128 - 64, 96 - 32]);
    await c.request({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: 500 }); // too small: ignored
    await c.request({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: 1 });
    await c.request({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: 1 });
    const full = await c.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET });
    expect([full.record.int32Data0, full.record.int32Data1]).toEqual([128, 96]);
  });

  it('answers exposure, storage path (as payload) and unknown codes with the flag', async () => {
    await c.request({ cmd: Command.CAMERA_EXPOSURE_SET, int32Data0: 5000 });
    expect((await c.request({ cmd: Command.CAMERA_EXPOSURE_GET })).record.int32Data0).toBe(5000);
    await c.request({ cmd: Command.CAMERA_EXPOSURE_SET, int32Data0: 10000 });
    const drives = await c.request({ cmd: Command.STORAGE_PATH_GET });
    expect(new TextDecoder().decode(drives.payload!)).toContain('/media/deploy/ctlsm1');
    expect((await c.request({ cmd: 0x7777 })).record).toMatchObject({ cmd: 0x7777, status: 1 });
    c.send({ cmd: Command.STAGE_MOTION_STOPPED });
    c.send({ cmd: Command.COMMON_SCOPE_SETTINGS });
    expect(await c.collect(100)).toHaveLength(0);
  });

  it('acknowledges LED and illumination commands', async () => {
    for (const cmd of [Command.LED_SET, Command.LED_PREVIEW_ENABLE, Command.LED_PREVIEW_DISABLE, Command.ILLUMINATION_LEFT_ENABLE, Command.ILLUMINATION_RIGHT_DISABLE]) {
      expect((await c.request({ cmd })).record.status).toBe(1);
    }
  });

  it('parses records split and merged across TCP reads and resyncs after garbage', async () => {
    const a = encodeRecord({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: Flags.TRIGGER_CALL_BACK });
    const b = encodeRecord({ cmd: Command.CAMERA_EXPOSURE_GET, cmdDataBits0: Flags.TRIGGER_CALL_BACK });
    const bytes = new Uint8Array([...a, 1, 2, 3, ...b, ...a]);
    c.drain();
    for (let i = 0; i < bytes.length; i += 50) {
      c.sendBytes(bytes.subarray(i, i + 50));
      await sleep(2);
    }
    await c.waitForCode(Command.SYSTEM_STATE_GET);
    await c.waitForCode(Command.CAMERA_EXPOSURE_GET);
    await c.waitForCode(Command.SYSTEM_STATE_GET);
  });

  it('drops every connection on request and accepts new ones', async () => {
    const k = await RawClient.connect(sim.port);
    await k.request({ cmd: Command.SYSTEM_STATE_GET });
    sim.dropAllConnections();
    await k.waitUntilClosed();
    c = await RawClient.connect(sim.port);
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.IDLE);
  });

  it('serves several command clients, replying to the asking one', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(sim.port)));
    await Promise.all(clients.map((k, i) => k.request({ cmd: Command.CAMERA_EXPOSURE_GET, clientID: i + 1 })));
    clients.forEach((k, i) => {
      const replies = k.messages.filter((m) => m.record.cmd === Command.CAMERA_EXPOSURE_GET);
      expect(replies.map((m) => m.record.clientID)).toEqual([i + 1]);
    });
    expect(sim.stats().commandClients).toBeGreaterThanOrEqual(4);
    clients.forEach((k) => k.close());
  });

  it('disconnects a command client that stops reading', async () => {
    const big = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64, timeScale: 0.1 });
    try {
      const slow = await RawClient.connect(big.port);
      slow.socket.pause();
      // Each load answers ~3 KB; far more than the socket buffers hold.
      const req = encodeRecord({ cmd: Command.STORAGE_PATH_GET, cmdDataBits0: Flags.TRIGGER_CALL_BACK });
      const burst = new Uint8Array(req.length * 2000);
      for (let i = 0; i < 2000; i++) burst.set(req, i * req.length);
      for (let k = 0; k < 40 && !slow.closed; k++) {
        slow.sendBytes(burst);
        await sleep(60);
      }
      while (big.stats().stalledClientsDropped === 0) await sleep(50);
      expect(big.stats().stalledClientsDropped).toBe(1);
    } finally {
      await big.close();
    }
  });
});
