import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/acquisition/connector.ts';
import { planFieldOfView, planFrames, planWorkflowText } from '../../../src/acquisition/plan.ts';
import { Command, Flags, SystemState } from '../../../src/acquisition/protocol/index.ts';
import { tileGrid } from '../../../src/acquisition/protocol/tile-geometry.ts';
import { runPlan, startRig, zstackPlan, type Rig } from './harness.ts';

const CALLBACK = Flags.TRIGGER_CALL_BACK;
let rig: Rig | null = null;

afterEach(async () => {
  await rig?.close();
  rig = null;
});

const ctx = { pixelSizeUm: 6.5 / 6.205, roiWidth: 64, roiHeight: 64 };

/** (channel, z index) of each frame, as "c:z". */
const order = (frames: Frame[]): string[] => frames.map((f) => `${f.meta.channel}:${f.meta.zIndex}`);

describe('FlamingoConnector.acquire: a two-laser z-stack (spec §8.7–8.10)', () => {
  it('delivers every plane in order with channel, Z, stage position and frame numbers', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const plan = zstackPlan();
    const { frames, summary } = await runPlan(rig, plan);

    expect(summary).toMatchObject({
      outcome: 'complete',
      framesExpected: 16,
      framesReceived: 16,
      framesMissing: 0,
      framesTrimmed: 0,
      mipFramesDropped: 0,
      framesDropped: 0,
    });
    expect(summary.notes).toEqual([]);
    expect(order(frames)).toEqual([...Array.from({ length: 8 }, (_, z) => `1:${z}`), ...Array.from({ length: 8 }, (_, z) => `3:${z}`)]);
    const expected = planFrames(plan, ctx);
    frames.forEach((f, i) => {
      const e = expected[i]!;
      expect([f.width, f.height, f.pixels.length]).toEqual([64, 64, 4096]);
      expect(f.meta).toMatchObject({
        frameNumber: i,
        stackIndex: e.stackIndex,
        channelIndex: e.channelIndex,
        laser: e.laser,
        wavelengthNm: e.laser === 2 ? 488 : 640,
        side: 'left',
        zIndex: e.zIndex,
        zCount: 8,
        tileIndex: 0,
        timepoint: 0,
      });
      expect(f.meta.stage.xMm).toBe(8);
      expect(f.meta.stage.yMm).toBe(14);
      expect(f.meta.stage.rDeg).toBe(0);
      expect(f.meta.stage.zMm).toBeCloseTo(19 + (e.zIndex / 7) * 0.07, 12);
      expect(f.meta.receivedAtMs).toBeGreaterThan(0);
    });
    expect(rig.sim.stats().workflowsCompleted).toBe(1);
    const c = rig.scope.counters();
    expect(c.framesReceived).toBe(16);
    expect(c.framesDropped).toBe(0);
  });

  it('sends the ROI, then the workflow once with its text as payload, after the live socket is open', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const plan = zstackPlan({ roi: { width: 32, height: 48 } });
    const start = rig.proxy.events.length;
    const { frames, summary } = await runPlan(rig, plan);
    expect(summary.outcome).toBe('complete');
    expect(frames.every((f) => f.width === 32 && f.height === 48)).toBe(true);

    const events = rig.proxy.events.slice(start);
    const codes = events.flatMap((e) => (e.kind === 'command' ? [e.msg.record.cmd] : []));
    const at = (code: number): number => codes.indexOf(code);
    expect(codes.slice(0, 3)).toEqual([Command.CAMERA_ROI_LEFT_SET, Command.CAMERA_ROI_TOP_SET, Command.CAMERA_IMAGE_SIZE_GET]);
    expect(events.flatMap((e) => (e.kind === 'command' && e.msg.record.cmd === Command.CAMERA_ROI_LEFT_SET ? [e.msg.record.int32Data0] : []))).toEqual([17]);
    expect(events.flatMap((e) => (e.kind === 'command' && e.msg.record.cmd === Command.CAMERA_ROI_TOP_SET ? [e.msg.record.int32Data0] : []))).toEqual([9]);
    expect(at(Command.CAMERA_IMAGE_SIZE_GET)).toBeLessThan(at(Command.CAMERA_WORK_FLOW_START));
    expect(codes.filter((c) => c === Command.CAMERA_WORK_FLOW_START)).toHaveLength(1);
    expect(codes).not.toContain(Command.CAMERA_LIVE_VIEW_START);
    expect(codes).not.toContain(Command.CAMERA_LIVE_VIEW_STOP);
    expect(codes).not.toContain(Command.CAMERA_WORK_FLOW_STOP);

    const start12292 = rig.proxy.commands().find((m) => m.record.cmd === Command.CAMERA_WORK_FLOW_START)!;
    const text = planWorkflowText(plan, { ...ctx, roiWidth: 32, roiHeight: 48 });
    expect(start12292.record).toMatchObject({ cmdDataBits0: CALLBACK, addDataBytes: new TextEncoder().encode(text).length, text: '', int32Data0: 0 });
    expect(new TextDecoder().decode(start12292.payload!)).toBe(text);
    for (const m of rig.proxy.commands()) {
      const flagless = m.record.cmd === Command.COMMON_SCOPE_SETTINGS_LOAD || m.record.cmd === Command.CAMERA_WORK_FLOW_STOP;
      expect(m.record.cmdDataBits0).toBe(flagless ? 0 : CALLBACK);
    }
    // The live port was connected (once, at connect) before the workflow went out.
    const liveAt = rig.proxy.events.findIndex((e) => e.kind === 'live-connect');
    const startAt = rig.proxy.events.findIndex((e) => e.kind === 'command' && e.msg.record.cmd === Command.CAMERA_WORK_FLOW_START);
    expect(liveAt).toBeGreaterThanOrEqual(0);
    expect(liveAt).toBeLessThan(startAt);
  });

  it('stops a running live view before setting the ROI, and never restarts it', async () => {
    rig = await startRig();
    await rig.scope.connect();
    await rig.scope.startLiveView();
    const { summary } = await runPlan(rig, zstackPlan());
    expect(summary.outcome).toBe('complete');
    const codes = rig.proxy.codes();
    const stop = codes.indexOf(Command.CAMERA_LIVE_VIEW_STOP);
    expect(stop).toBeGreaterThan(codes.indexOf(Command.CAMERA_LIVE_VIEW_START));
    expect(stop).toBeLessThan(codes.indexOf(Command.CAMERA_ROI_LEFT_SET));
    expect(codes.filter((c) => c === Command.CAMERA_LIVE_VIEW_START)).toHaveLength(1);
  });

  it('refuses moves and live view while running, and answers positions from cache when the server is silent', async () => {
    rig = await startRig({ sim: { quirks: { positionSilenceDuringRun: true } }, connector: { replyTimeoutMs: 300 } });
    await rig.scope.connect();
    const run = await rig.scope.acquire(zstackPlan({ planes: 200, zEndMm: 20.99 }));
    await expect(rig.scope.moveTo({ xMm: 7 })).rejects.toThrow('The stage cannot be moved while a workflow runs.');
    await expect(rig.scope.startLiveView()).rejects.toThrow(/Live view cannot start while a workflow runs/);
    const p = await rig.scope.getPosition();
    expect(p).toEqual({ xMm: 8, yMm: 14, zMm: 19, rDeg: 0 });
    await run.stop();
    expect((await run.done).outcome).toBe('stopped');
  });
});

describe('FlamingoConnector.acquire: frames as they arrive', () => {
  it('hands each frame to arrival listeners before it waits for a slow consumer, in order, with its placement metadata', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const run = await rig.scope.acquire(zstackPlan({ planes: 12, zEndMm: 19.11, lasers: [{ laser: 2, powerPercent: 10 }] }));
    const arrived: Frame[] = [];
    const off = run.onArrival((f) => arrived.push(f));
    const thrown = run.onArrival(() => {
      throw new Error('a failing display');
    });
    // Nobody reads `frames` until the run has ended: every frame still reached the listener.
    const summary = await run.done;
    expect(summary).toMatchObject({ outcome: 'complete', framesReceived: 12 });
    expect(arrived).toHaveLength(12);
    const consumed: Frame[] = [];
    for await (const f of run.frames) consumed.push(f);
    expect(consumed).toEqual(arrived);
    expect(arrived.map((f) => f.meta.zIndex)).toEqual([...Array(12).keys()]);
    off();
    thrown();
  });
});

describe('FlamingoConnector.acquire: tiles', () => {
  it('assigns each stack its tile X/Y from the tile geometry', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const plan = zstackPlan({ kind: 'tile', xMm: 8, yMm: 14, xEndMm: 8.1, yEndMm: 14.05, overlapPercent: 10, planes: 3, zEndMm: 19.02, lasers: [{ laser: 1, powerPercent: 20 }] });
    const fov = planFieldOfView(plan, ctx);
    const grid = tileGrid({ xStartMm: 8, xEndMm: 8.1, yStartMm: 14, yEndMm: 14.05, fovXMm: fov.xMm, fovYMm: fov.yMm, overlapXPercent: 10, overlapYPercent: 10 });
    expect(grid.length).toBeGreaterThan(2);
    const { frames, summary } = await runPlan(rig, plan);
    expect(summary).toMatchObject({ outcome: 'complete', framesExpected: grid.length * 3, framesReceived: grid.length * 3, framesMissing: 0 });
    frames.forEach((f, i) => {
      const tile = Math.floor(i / 3);
      expect(f.meta).toMatchObject({ tileIndex: tile, stackIndex: tile, zIndex: i % 3, channel: 0 });
      expect(f.meta.stage.xMm).toBe(grid[tile]!.xMm);
      expect(f.meta.stage.yMm).toBe(grid[tile]!.yMm);
    });
    // The simulator ends at the last tile, where the plan said it would be.
    const last = grid[grid.length - 1]!;
    expect(rig.sim.position().xMm).toBeCloseTo(last.xMm, 9);
    expect(rig.sim.position().yMm).toBeCloseTo(last.yMm, 9);
  });

  it('still separates the stacks when a tile run sends no progress (0x9004)', async () => {
    rig = await startRig({ sim: { quirks: { noTileProgress: true, trailingFrames: true } } });
    await rig.scope.connect();
    const plan = zstackPlan({ kind: 'tile', xMm: 8, yMm: 14, xEndMm: 8.1, yEndMm: 14, planes: 4, zEndMm: 19.03, lasers: [{ laser: 1, powerPercent: 20 }], sides: ['left', 'right'] });
    const { frames, summary } = await runPlan(rig, plan);
    expect(summary.outcome).toBe('complete');
    expect(summary.framesMissing).toBe(0);
    expect(summary.framesTrimmed).toBeGreaterThan(0);
    const stacks = frames.length / 4;
    frames.forEach((f, i) => {
      expect(f.meta.stackIndex).toBe(Math.floor(i / 4));
      expect(f.meta.zIndex).toBe(i % 4);
      expect(f.meta.channel).toBe(Math.floor(i / 4) % 2 === 0 ? 0 : 4);
    });
    expect(stacks).toBe(summary.framesExpected / 4);
  });
});

describe('FlamingoConnector.acquire: stop, rejection, abort (spec §8.10, §8.11)', () => {
  it('stops mid-run through the single writer and reports "stopped"', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const run = await rig.scope.acquire(zstackPlan({ planes: 400, zEndMm: 22.99 }));
    let n = 0;
    for await (const f of run.frames) {
      expect(f.meta.channel).toBe(1);
      if (++n === 20) await run.stop();
    }
    const summary = await run.done;
    expect(summary.outcome).toBe('stopped');
    expect(summary.framesReceived).toBeGreaterThanOrEqual(20);
    expect(summary.framesReceived).toBeLessThan(800);
    expect(summary.framesMissing).toBe(800 - summary.framesReceived);
    expect(summary.notes).toContainEqual('The run was stopped before it finished.');
    const stops = rig.proxy.commands().filter((m) => m.record.cmd === Command.CAMERA_WORK_FLOW_STOP);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.record).toMatchObject({ cmdDataBits0: 0, int32Data0: 0, addDataBytes: 0, status: 0 });
    expect(await rig.scope.getState()).toBe(SystemState.IDLE);
  });

  it('stops when the caller aborts', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const ac = new AbortController();
    const run = await rig.scope.acquire(zstackPlan({ planes: 400, zEndMm: 22.99 }), { signal: ac.signal });
    for await (const f of run.frames) if (f.meta.frameNumber === 5) ac.abort();
    expect((await run.done).outcome).toBe('stopped');
  });

  it('reports "rejected" when the microscope never starts the workflow', async () => {
    rig = await startRig({ connector: { preflight: false, run: { rejectAfterMs: 800 } } });
    await rig.scope.connect();
    const plan = zstackPlan({ kind: 'tile', xMm: 8, yMm: 14, xEndMm: 16, yEndMm: 14 }); // beyond the 15 mm hard limit
    const { frames, summary } = await runPlan(rig, plan);
    expect(frames).toEqual([]);
    expect(summary.outcome).toBe('rejected');
    expect(summary.error).toMatch(/^The microscope did not start the workflow within 0\.8 s/);
    expect(rig.sim.stats().workflowsRejected).toBe(1);
  });

  it('refuses that plan up front when preflight is on', async () => {
    rig = await startRig();
    await rig.scope.connect();
    await expect(rig.scope.acquire(zstackPlan({ kind: 'tile', xMm: 8, yMm: 14, xEndMm: 16, yEndMm: 14 }))).rejects.toThrow(
      /^The microscope would reject this workflow: .*outside the hard limits/,
    );
    expect(rig.proxy.codes()).not.toContain(Command.CAMERA_WORK_FLOW_START);
  });

  it('refuses a second run while one is going', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const run = await rig.scope.acquire(zstackPlan());
    await expect(rig.scope.acquire(zstackPlan())).rejects.toThrow('An acquisition is already running.');
    expect((await run.done).outcome).toBe('complete');
  });
});
