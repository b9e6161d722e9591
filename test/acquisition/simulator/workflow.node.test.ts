import { afterEach, describe, expect, it } from 'vitest';
import {
  Axis,
  buildWorkflowText,
  Command,
  defaultScopeSettingsText,
  defaultWorkflowSettings,
  parseScopeSettings,
  ImageOptions,
  SystemState,
  tileFieldOfView,
  tileGrid,
  type WorkflowSettings,
} from '../../../src/acquisition/protocol/index.ts';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../src/acquisition/simulator/index.ts';
import { closeAllClients, LiveClient, RawClient, sleep, type Received } from './raw-client.ts';

const W = 128;
const H = 96;
const PX_MM = parseScopeSettings(defaultScopeSettingsText()).pixelSizeUm / 1000;

/** A small two-laser ZStack (lasers 2 and 4, left side, 10 planes of 2.5 µm from Z 18), edited by `edit`. */
function workflow(edit: (s: WorkflowSettings) => void = () => {}): string {
  const s = defaultWorkflowSettings();
  s.stack.planes = 10;
  s.stack.changeInZMm = 0.025;
  s.end.zMm = s.start.zMm + 0.025;
  s.experiment.liveViewEnabled = true;
  edit(s);
  return buildWorkflowText(s);
}

const codes = (ms: Received[]): number[] => ms.map((m) => m.record.cmd);
const isState = (code: number): boolean => code >= 0xa001 && code <= 0xa005;

async function viewers(sim: RunningSimulator, n: number): Promise<void> {
  while (sim.stats().liveClients < n) await sleep(5);
}

/** A second command connection, known to the server (one round trip) and with nothing pending. */
async function watch(sim: RunningSimulator): Promise<RawClient> {
  const w = await RawClient.connect(sim.port);
  await w.request({ cmd: Command.SYSTEM_STATE_GET });
  w.messages.length = 0;
  return w;
}

/** Starts a workflow and collects every command-port record until the final idle. */
async function run(sim: RunningSimulator, text: string, cmd: RawClient): Promise<Received[]> {
  const watcher = await watch(sim);
  cmd.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: text });
  await watcher.waitForCode(SystemState.WORK_FLOW_RUNNING, 10000);
  // Skip a stale idle sent before running, then wait for the real one.
  await watcher.waitFor(
    (m) => m.record.cmd === SystemState.IDLE && watcher.messages.indexOf(m) > watcher.messages.findIndex((k) => k.record.cmd === SystemState.WORK_FLOW_RUNNING),
    30000,
    'the final idle',
  );
  await sleep(20);
  watcher.close();
  return watcher.messages;
}

let sim: RunningSimulator;
let c: RawClient;
let live: LiveClient;

async function fresh(options: SimulatorOptions = {}): Promise<void> {
  sim = await startSimulator({ port: 0, frameWidth: W, frameHeight: H, timeScale: 0.05, ...options });
  c = await RawClient.connect(sim.port);
  live = await LiveClient.connect(sim.livePort);
  await viewers(sim, 1);
}

afterEach(async () => {
  closeAllClients();
  await sim.close();
});

describe('workflows (default profile)', () => {
  it('runs a two-laser ZStack: exact frames in order, progress, stack-complete, cleanup and idle', async () => {
    await fresh();
    const msgs = await run(sim, workflow(), c);
    const seq = codes(msgs);
    // No reply to 12292, ever.
    expect(seq).not.toContain(Command.CAMERA_WORK_FLOW_START);
    expect(seq[0]).toBe(SystemState.WORK_FLOW_RUNNING);
    expect(seq.at(-1)).toBe(SystemState.IDLE);
    expect(seq.filter(isState)).toEqual([SystemState.WORK_FLOW_RUNNING, SystemState.IDLE]);
    // Illumination reset right after going busy: LED off, laser levels of lasers 2 and 4.
    expect(seq.slice(1, 4)).toEqual([Command.LED_PREVIEW_DISABLE, Command.LASER_LEVEL_GET, Command.LASER_LEVEL_GET]);
    expect(msgs.slice(2, 4).map((m) => [m.record.int32Data0, m.record.text])).toEqual([[2, '10.00'], [4, '5.00']]);

    const gauge = msgs.filter((m) => m.record.cmd === Command.UI_SET_GAUGE_SIZE);
    expect(gauge.map((m) => m.record.int32Data0)).toEqual([10, 10]);
    const progress = msgs.filter((m) => m.record.cmd === Command.UI_SET_GAUGE_VALUE);
    expect(progress.map((m) => [m.record.int32Data0, m.record.int32Data1])).toEqual(
      [...Array(10).keys(), ...Array(10).keys()].map((i) => [i + 1, 10]),
    );
    const complete = msgs.filter((m) => m.record.cmd === Command.CAMERA_STACK_COMPLETE);
    expect(complete).toHaveLength(2);
    for (const m of complete) {
      expect(m.record).toMatchObject({ status: 1, int32Data0: 10, int32Data1: 10, int32Data2: 0 });
      expect(m.record.doubleData).toBeGreaterThan(0);
    }
    const saved = msgs.filter((m) => m.record.cmd === Command.UI_IMAGES_SAVED_TO_STORAGE);
    expect(saved.map((m) => [m.record.int32Data0, m.record.int32Data1])).toEqual([[10, 20], [20, 20]]);
    // Per stack: 0x9003 before its 0x9004s, 0x3011 after them; the stage moves first (X and Z from Home).
    const first9003 = seq.indexOf(Command.UI_SET_GAUGE_SIZE);
    const moved = msgs.slice(0, first9003).filter((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED).map((m) => m.record.int32Data0);
    expect(moved.sort()).toEqual([Axis.X, Axis.Z]);
    expect(seq.indexOf(Command.UI_SET_GAUGE_VALUE)).toBeGreaterThan(first9003);
    expect(seq.indexOf(Command.CAMERA_STACK_COMPLETE)).toBeGreaterThan(seq.indexOf(Command.UI_SET_GAUGE_VALUE));
    // Cleanup before the idle: LED off, laser levels, motion stopped.
    const idleAt = seq.length - 1;
    expect(seq.slice(idleAt - 4, idleAt)).toEqual([
      Command.LED_PREVIEW_DISABLE,
      Command.LASER_LEVEL_GET,
      Command.LASER_LEVEL_GET,
      Command.STAGE_MOTION_STOPPED,
    ]);

    await live.waitFrames(20);
    await sleep(50);
    const frames = live.frames;
    expect(frames).toHaveLength(20);
    expect(frames.map((f) => f.header.imageIndexStart)).toEqual([...Array(10).keys(), ...Array(10).keys()]);
    for (const f of frames) {
      expect(f.header).toMatchObject({ width: W, height: H, imageSize: W * H * 2, imageIndexStop: 9, optionsSettings1: ImageOptions.IMAGE_DATA });
    }
    expect(sim.stats()).toMatchObject({ workflowsStarted: 1, workflowsCompleted: 1, workflowsRejected: 0, state: SystemState.IDLE });
    // The stage ends at the stack's end Z, at the start X/Y.
    expect(sim.position().zMm).toBeCloseTo(18.025, 9);
    expect(sim.position().xMm).toBeCloseTo(7.5, 9);
  });

  it('answers state (running) and positions while a run goes on', async () => {
    await fresh();
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.planes = 200)) });
    await c.waitForCode(Command.UI_SET_GAUGE_VALUE, 10000);
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.WORK_FLOW_RUNNING);
    const z = (await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Z })).record.doubleData;
    expect(z).toBeGreaterThanOrEqual(18);
    expect(z).toBeLessThanOrEqual(18.025);
    // Moves are acknowledged but ignored while a workflow controls the stage.
    c.send({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.Y, doubleData: 20 });
    await c.waitForCode(Command.STAGE_POSITION_SET);
    await c.request({ cmd: Command.CAMERA_WORK_FLOW_STOP }, { flag: false });
    await c.waitFor((m) => m.record.cmd === SystemState.IDLE, 5000);
    expect(sim.position().yMm).toBeCloseTo(14, 9);
  });

  it('sends only one MIP frame per stack when live view is off and Display max projection is on', async () => {
    await fresh();
    await run(
      sim,
      workflow((s) => {
        s.experiment.liveViewEnabled = false;
        s.experiment.displayMaxProjection = true;
      }),
      c,
    );
    await live.waitFrames(2);
    await sleep(50);
    expect(live.frames).toHaveLength(2);
    for (const f of live.frames) {
      expect(f.header.optionsSettings1 & ImageOptions.MAX_PROJECTION).toBe(ImageOptions.MAX_PROJECTION);
      expect(f.header).toMatchObject({ width: W, height: H, imageIndexStart: 0, imageIndexStop: 9 });
    }
  });

  it('sends planes then a MIP per stack with both on, and nothing with both off', async () => {
    await fresh();
    await run(sim, workflow((s) => (s.experiment.displayMaxProjection = true)), c);
    await live.waitFrames(22);
    const opts = live.frames.map((f) => (f.header.optionsSettings1 & ImageOptions.MAX_PROJECTION ? 'M' : 'p')).join('');
    expect(opts).toBe(`${'p'.repeat(10)}M${'p'.repeat(10)}M`);
    const n = live.frames.length;
    await run(sim, workflow((s) => (s.experiment.liveViewEnabled = false)), c);
    await sleep(50);
    expect(live.frames).toHaveLength(n);
  });

  it('runs a Tile workflow with the tile count from the tile geometry, in the server order', async () => {
    await fresh();
    const text = workflow((s) => {
      s.stack.stackOption = 'Tile';
      s.stack.stackOptionSettings1 = 10;
      s.stack.stackOptionSettings2 = 10;
      s.stack.planes = 3;
      s.end.xMm = 7.65;
      s.end.yMm = 14.1;
      s.lasers.forEach((l) => (l.on = l.index === 2));
    });
    const msgs = await run(sim, text, c);
    const fov = tileFieldOfView(W, H, PX_MM);
    const tiles = tileGrid({
      xStartMm: 7.5,
      xEndMm: 7.65,
      yStartMm: 14,
      yEndMm: 14.1,
      fovXMm: fov.xMm,
      fovYMm: fov.yMm,
      overlapXPercent: 10,
      overlapYPercent: 10,
    });
    expect(tiles.length).toBeGreaterThan(3);
    expect(msgs.filter((m) => m.record.cmd === Command.UI_SET_GAUGE_SIZE)).toHaveLength(tiles.length);
    expect(msgs.filter((m) => m.record.cmd === Command.CAMERA_STACK_COMPLETE)).toHaveLength(tiles.length);
    expect(msgs.filter((m) => m.record.cmd === Command.UI_SET_GAUGE_VALUE)).toHaveLength(tiles.length * 3);
    // Floods of 0x6010 for the tile moves.
    expect(msgs.filter((m) => m.record.cmd === Command.STAGE_MOTION_STOPPED && m.record.int32Data0 === Axis.X).length).toBeGreaterThan(1);
    await live.waitFrames(tiles.length * 3);
    await sleep(50);
    expect(live.frames).toHaveLength(tiles.length * 3);
    const last = tiles.at(-1)!;
    expect(sim.position().xMm).toBeCloseTo(last.xMm, 9);
    expect(sim.position().yMm).toBeCloseTo(last.yMm, 9);
  });

  it('runs Snapshot workflows (one plane at Start Z), both sides and time points in loop order', async () => {
    await fresh();
    await run(
      sim,
      workflow((s) => {
        s.stack.stackOption = 'Snapshot';
        s.rightPath = true;
        s.experiment.duration = '00:00:00:02';
        s.experiment.interval = '00:00:00:01';
      }),
      c,
    );
    // 3 time points × 2 sides × 2 lasers × 1 plane.
    await live.waitFrames(12);
    await sleep(50);
    expect(live.frames).toHaveLength(12);
    expect(live.frames.every((f) => f.header.imageIndexStop === 0)).toBe(true);
    expect(sim.position().zMm).toBeCloseTo(18, 9);
  });

  it('rejects an empty file, an unsupported stack option and a tile outside the hard limits: idle, nothing sent', async () => {
    await fresh();
    const watcher = await watch(sim);
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START });
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { flag: false });
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.stackOption = 'OPT')) });
    c.send(
      { cmd: Command.CAMERA_WORK_FLOW_START },
      {
        payload: workflow((s) => {
          s.stack.stackOption = 'Tile';
          s.start.xMm = 0.5;
          s.end.xMm = 1.2;
        }),
      },
    );
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: 'not a workflow' });
    for (let i = 0; i < 100 && sim.stats().workflowsRejected < 5; i++) await sleep(10);
    await sleep(150);
    expect(watcher.messages).toHaveLength(0);
    expect(c.messages).toHaveLength(0);
    expect(live.frames).toHaveLength(0);
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.IDLE);
    expect(sim.stats()).toMatchObject({ workflowsStarted: 0, workflowsRejected: 5 });
  });

  it('stops mid-run: reply, cleanup, idle, and no more progress or frames', async () => {
    await fresh();
    const watcher = await watch(sim);
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.planes = 400)) });
    await watcher.waitFor((m) => m.record.cmd === Command.UI_SET_GAUGE_VALUE && m.record.int32Data0 >= 3, 10000);
    c.send({ cmd: Command.CAMERA_WORK_FLOW_STOP }, { flag: false });
    const reply = await c.waitForCode(Command.CAMERA_WORK_FLOW_STOP);
    expect(reply.record.status).toBe(1);
    const idle = await watcher.waitFor((m) => m.record.cmd === SystemState.IDLE);
    const i = watcher.messages.indexOf(idle);
    expect(codes(watcher.messages.slice(i - 4, i))).toEqual([
      Command.LED_PREVIEW_DISABLE,
      Command.LASER_LEVEL_GET,
      Command.LASER_LEVEL_GET,
      Command.STAGE_MOTION_STOPPED,
    ]);
    // The camera stops with the workflow: nothing more is produced after idle. (Frames already on
    // the live socket may still be arriving; they are counted, not new.)
    const produced = sim.stats().framesProduced;
    await sleep(200);
    expect(watcher.messages.slice(i + 1)).toHaveLength(0);
    expect(sim.stats().framesProduced).toBe(produced);
    for (let k = 0; k < 200 && live.frames.length < sim.stats().framesSent; k++) await sleep(10);
    expect(live.frames.length).toBe(sim.stats().framesSent);
    expect(produced).toBeLessThan(800);
    expect(sim.stats()).toMatchObject({ workflowsStarted: 1, workflowsCompleted: 0, workflowsStopped: 1, state: SystemState.IDLE });
    // A new run starts fine after a stop.
    const again = await run(sim, workflow(), c);
    expect(codes(again).filter((k) => k === Command.CAMERA_STACK_COMPLETE)).toHaveLength(2);
  });

  it('ignores ROI changes during a run but still answers them (0x3011 before any stack-complete)', async () => {
    await fresh();
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.planes = 60)) });
    await c.waitForCode(Command.UI_SET_GAUGE_VALUE, 10000);
    c.drain();
    c.send({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: 9 });
    const r = await c.waitForCode(0x3011);
    expect(r.record).toMatchObject({ cmdDataBits0: 0x80000000, status: 1 });
    await c.waitFor((m) => m.record.cmd === SystemState.IDLE, 10000);
    expect((await c.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET })).record.int32Data1).toBe(H);
  });
});

describe('workflow quirks', () => {
  it('rig profile: stale idle first, trailing frames, positions unanswered during the run', async () => {
    await fresh({ profile: 'rig' });
    const watcher = await watch(sim);
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.planes = 100)) });
    await watcher.waitForCode(Command.UI_SET_GAUGE_VALUE, 10000);
    expect(codes(watcher.messages).slice(0, 2)).toEqual([SystemState.IDLE, SystemState.WORK_FLOW_RUNNING]);
    await watcher.waitForCode(SystemState.IDLE); // the stale one
    c.send({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Z });
    expect((await c.request({ cmd: Command.SYSTEM_STATE_GET })).record.int32Data0).toBe(SystemState.WORK_FLOW_RUNNING);
    await watcher.waitFor((m) => m.record.cmd === SystemState.IDLE, 20000);
    expect(c.messages.filter((m) => m.record.cmd === Command.STAGE_POSITION_GET)).toHaveLength(0);
    expect((await c.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: Axis.Z })).record.doubleData).toBeCloseTo(18.025, 9);
    await sleep(50);
    // Two stacks of 100 planes, each followed by 1–3 extra frames numbered past the stack.
    const idx = live.frames.map((f) => f.header.imageIndexStart);
    const extras = idx.filter((i) => i >= 100);
    expect(idx.length - extras.length).toBe(200);
    expect(extras.length).toBeGreaterThanOrEqual(2);
    expect(extras.length).toBeLessThanOrEqual(6);
    expect(codes(watcher.messages).filter((k) => k === Command.UI_SET_GAUGE_VALUE)).toHaveLength(200);
  });

  it('noTileProgress: no 0x9004 in Tile runs, but in ZStack runs', async () => {
    await fresh({ quirks: { noTileProgress: true } });
    const tile = await run(
      sim,
      workflow((s) => {
        s.stack.stackOption = 'Tile';
        s.end.xMm = 7.6;
      }),
      c,
    );
    expect(codes(tile)).not.toContain(Command.UI_SET_GAUGE_VALUE);
    expect(codes(tile)).toContain(Command.CAMERA_STACK_COMPLETE);
    const zstack = await run(sim, workflow(), c);
    expect(codes(zstack)).toContain(Command.UI_SET_GAUGE_VALUE);
  });

  it('recomputePlanes: planes = round(|ΔZ| / step) instead of the file value', async () => {
    await fresh({ quirks: { recomputePlanes: true } });
    const msgs = await run(sim, workflow((s) => (s.stack.planes = 7)), c);
    expect(msgs.filter((m) => m.record.cmd === Command.UI_SET_GAUGE_SIZE).map((m) => m.record.int32Data0)).toEqual([10, 10]);
    await live.waitFrames(20);
  });

  it('crashOnLiveViewDuringRun: LIVE_VIEW_START during a run silences the server', async () => {
    await fresh({ quirks: { crashOnLiveViewDuringRun: true } });
    c.send({ cmd: Command.CAMERA_WORK_FLOW_START }, { payload: workflow((s) => (s.stack.planes = 100)) });
    await c.waitForCode(Command.UI_SET_GAUGE_VALUE, 10000);
    c.send({ cmd: Command.CAMERA_LIVE_VIEW_START });
    c.drain();
    await sleep(20);
    c.drain();
    c.send({ cmd: Command.SYSTEM_STATE_GET });
    c.send({ cmd: Command.CAMERA_WORK_FLOW_STOP }, { flag: false });
    expect(await c.collect(300)).toHaveLength(0);
  });
});
