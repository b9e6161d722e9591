import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Axis, Command, ImageOptions, SystemState } from '../../../src/acquisition/protocol/index.ts';
import { startSimulator, type RunningSimulator } from '../../../src/acquisition/simulator/index.ts';
import { closeAllClients, LiveClient, RawClient, sleep } from './raw-client.ts';

async function viewers(sim: RunningSimulator, n: number): Promise<void> {
  while (sim.stats().liveClients < n) await sleep(5);
}

function median(px: Uint16Array): number {
  return [...px].sort((a, b) => a - b)[px.length >> 1]!;
}

let sim: RunningSimulator;
let c: RawClient;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, frameWidth: 128, frameHeight: 96, timeScale: 0.05, seed: 7 });
  c = await RawClient.connect(sim.port);
});
afterEach(async () => {
  // Leave live view off and no viewer connected, whatever the test did.
  await c.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
  closeAllClients(c);
  while (sim.stats().liveClients > 0) await sleep(5);
});
afterAll(async () => {
  closeAllClients();
  await sim.close();
});

describe('simulator live port', () => {
  it('streams frames of the ROI size to every viewer during live view, and stops', async () => {
    const a = await LiveClient.connect(sim.livePort);
    const b = await LiveClient.connect(sim.livePort);
    const watcher = await RawClient.connect(sim.port);
    await viewers(sim, 2);
    const ack = await c.request({ cmd: Command.CAMERA_LIVE_VIEW_START, int32Data0: 0 });
    expect(ack.record.status).toBe(1);
    await watcher.waitForCode(SystemState.LIVE_VIEW);
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.LIVE_VIEW);
    await a.waitFrames(5);
    await b.waitFrames(5);
    for (const f of a.frames) {
      expect(f.header).toMatchObject({ width: 128, height: 96, imageSize: 128 * 96 * 2, deviceIndex: 0 });
      expect(f.header.optionsSettings1 & ImageOptions.IMAGE_DATA).toBe(ImageOptions.IMAGE_DATA);
      expect(f.header.optionsSettings1 & ImageOptions.MAX_PROJECTION).toBe(0);
      expect(f.header.scaleMin).toBeLessThan(f.header.scaleMax);
      expect(f.pixels.length).toBe(128 * 96);
    }
    // Noise differs from frame to frame; the camera offset is about 100.
    const f0 = a.frames[0]!;
    const differs = (): boolean => a.frames.some((f) => Buffer.compare(Buffer.from(f.pixels.buffer), Buffer.from(f0.pixels.buffer)) !== 0);
    await a.waitUntil(differs, 5000, 'a frame with other noise');
    expect(Math.min(...f0.pixels)).toBeGreaterThan(80);

    await c.request({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: 33 });
    await a.waitUntil(() => a.frames.some((f) => f.header.width === 64 && f.pixels.length === 64 * 96), 5000, 'a 64-wide frame');
    await c.request({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: 1 });

    await c.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
    const idle = await watcher.waitForCode(SystemState.IDLE);
    expect(idle.record.status).toBe(1);
    await sleep(30);
    const n = a.frames.length;
    await sleep(150);
    expect(a.frames.length).toBe(n);
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.IDLE);
    a.close();
    b.close();
    watcher.close();
  });

  it('takes one frame per snapshot, going snapshot → idle', async () => {
    const v = await LiveClient.connect(sim.livePort);
    await viewers(sim, 1);
    c.drain();
    await c.request({ cmd: Command.CAMERA_SNAPSHOT });
    await c.waitForCode(SystemState.SNAP_SHOT);
    await c.waitForCode(SystemState.IDLE);
    await v.waitFrames(1);
    await sleep(100);
    expect(v.frames).toHaveLength(1);
    v.close();
  });

  it('images a phantom nucleus at the pixel the geometry convention predicts', async () => {
    const n = sim.phantom.nuclei.find(
      (k) => k.kind === 'scattered' && k.channels.includes(0) && k.xMm > 2 && k.xMm < 14 && k.yMm > 6 && k.yMm < 24 && k.zMm > 12,
    )!;
    expect(n).toBeDefined();
    const p = 0.0010475415;
    // Put the nucleus 20 px right of and 10 px below the frame centre.
    const stage = { x: n.xMm - 20 * p, y: n.yMm - 10 * p, z: n.zMm };
    c.drain();
    for (const [axis, v] of [[Axis.X, stage.x], [Axis.Y, stage.y], [Axis.Z, stage.z]] as const) {
      c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: axis, doubleData: v });
      await c.waitFor((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === axis, 20000);
    }
    c.send({ cmd: Command.LASER_PREVIEW_ENABLE, int32Data0: 1 });
    const v = await LiveClient.connect(sim.livePort);
    await viewers(sim, 1);
    await c.request({ cmd: Command.CAMERA_SNAPSHOT });
    await v.waitFrames(1);
    const f = v.frames[0]!;
    const at = (r: number, col: number): number => f.pixels[r * 128 + col]!;
    // Centre (63.5 + 20, 47.5 + 10): the four pixels around it.
    const centre = Math.min(at(57, 83), at(57, 84), at(58, 83), at(58, 84));
    expect(centre).toBeGreaterThan(median(f.pixels) + 150);
    // The mirror position (a flip) is not bright.
    expect(at(37, 43)).toBeLessThan(centre);
    v.close();
  });

  it('streams one frame per change in update-on-change mode', async () => {
    const v = await LiveClient.connect(sim.livePort);
    await viewers(sim, 1);
    await c.request({ cmd: Command.CAMERA_LIVE_VIEW_START, int32Data0: 1 });
    await v.waitFrames(1);
    await sleep(100);
    expect(v.frames).toHaveLength(1);
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 8.01 });
    await v.waitFrames(2);
    await c.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
    v.close();
  });

  it('refuses a 65th viewer', async () => {
    while (sim.stats().liveClients > 0) await sleep(5);
    const many = await Promise.all(Array.from({ length: 64 }, () => LiveClient.connect(sim.livePort)));
    await viewers(sim, 64);
    const extra = await LiveClient.connect(sim.livePort);
    await extra.waitUntil(() => extra.closed, 5000, 'the 65th viewer to be closed');
    expect(sim.stats().liveClients).toBe(64);
    many.forEach((m) => m.close());
    while (sim.stats().liveClients > 0) await sleep(5);
  });
});

describe('slow viewers and live quirks', () => {
  it('drops the oldest frames of a viewer that does not read, without stalling the others', async () => {
    const big = await startSimulator({ port: 0, frameWidth: 512, frameHeight: 512, maxFps: 400, timeScale: 1, viewerQueueFrames: 10 });
    try {
      const cmd = await RawClient.connect(big.port);
      await cmd.request({ cmd: Command.CAMERA_EXPOSURE_SET, int32Data0: 1000 });
      const slow = await LiveClient.connect(big.livePort, true);
      const fast = await LiveClient.connect(big.livePort);
      await viewers(big, 2);
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_START });
      while (big.stats().framesDroppedPerViewer === 0) await sleep(20);
      const before = fast.frames.length;
      await fast.waitFrames(before + 20, 20000);
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
      // The slow viewer still reads a whole number of intact frames once it resumes.
      slow.socket.resume();
      await sleep(300);
      expect(slow.messages.every((m) => m.kind === 'frame')).toBe(true);
      expect(slow.parser.bufferedBytes).toBe(0);
      expect(big.stats().framesDroppedPerViewer).toBeGreaterThan(0);
      cmd.close();
      slow.close();
      fast.close();
    } finally {
      await big.close();
    }
  });

  it('sizeZeroHeaders interleaves options-only headers; droppedFrames loses some frames', async () => {
    const q = await startSimulator({
      port: 0,
      frameWidth: 64,
      frameHeight: 64,
      timeScale: 0.05,
      quirks: { sizeZeroHeaders: true, droppedFrames: true },
    });
    try {
      const cmd = await RawClient.connect(q.port);
      const v = await LiveClient.connect(q.livePort);
      await viewers(q, 1);
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_START });
      await v.waitUntil(() => v.messages.some((m) => m.kind === 'options') && q.stats().framesQuirkDropped > 0, 20000, 'quirks');
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
      const opt = v.messages.find((m) => m.kind === 'options')!;
      expect(opt.header).toMatchObject({ imageSize: 0, width: 0, height: 0 });
      expect(v.parser.stats.mismatches).toBe(0);
      cmd.close();
      v.close();
    } finally {
      await q.close();
    }
  });

  it('dropMidFrame closes the live socket inside a frame, once', async () => {
    const q = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64, timeScale: 0.05, quirks: { dropMidFrame: true }, dropMidFrameAfter: 3 });
    try {
      const cmd = await RawClient.connect(q.port);
      const v = await LiveClient.connect(q.livePort);
      await viewers(q, 1);
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_START });
      await v.waitUntil(() => v.closed, 5000, 'the cut');
      expect(v.frames).toHaveLength(3);
      expect(v.parser.bufferedBytes).toBe((64 * 64 * 2) / 2);
      const again = await LiveClient.connect(q.livePort);
      await again.waitFrames(3);
      expect(again.closed).toBe(false);
      await cmd.request({ cmd: Command.CAMERA_LIVE_VIEW_STOP });
      cmd.close();
      again.close();
    } finally {
      await q.close();
    }
  });

  it('silentLedIllumination leaves LED and illumination commands unanswered', async () => {
    const q = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64, quirks: { silentLedIllumination: true } });
    try {
      const cmd = await RawClient.connect(q.port);
      for (const code of [Command.LED_SET, Command.LED_PREVIEW_ENABLE, Command.LED_PREVIEW_DISABLE, Command.ILLUMINATION_LEFT_ENABLE, Command.ILLUMINATION_RIGHT_DISABLE]) {
        cmd.send({ cmd: code });
      }
      expect(await cmd.collect(150)).toHaveLength(0);
      expect((await cmd.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.IDLE);
      cmd.close();
    } finally {
      await q.close();
    }
  });

  it('dropIdleConnections closes a command connection that stays idle', async () => {
    const q = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64, quirks: { dropIdleConnections: true }, idleDropMs: 150 });
    try {
      const cmd = await RawClient.connect(q.port);
      await cmd.request({ cmd: Command.SYSTEM_STATE_GET });
      while (!cmd.closed) await sleep(20);
      expect(q.stats().commandClients).toBe(0);
    } finally {
      await q.close();
    }
  });
});
