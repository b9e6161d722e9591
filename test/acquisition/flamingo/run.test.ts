/**
 * The start/finish decision of a run (spec §8.10) with message orders the simulator
 * cannot be made to produce on purpose (an idle broadcast that arrives after live frames,
 * lost idle broadcasts, failing polls). The run talks to a scripted `RunIo`.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorEvent } from '../../../src/acquisition/connector.ts';
import type { LiveFrame } from '../../../src/acquisition/flamingo/live-channel.ts';
import { DEFAULT_RUN_TIMING, WorkflowRun, type RunIo } from '../../../src/acquisition/flamingo/run.ts';
import { planStacks } from '../../../src/acquisition/plan.ts';
import { Command, ImageOptions, SystemState, makeRecord } from '../../../src/acquisition/protocol/index.ts';

const stacks = planStacks(
  { kind: 'zstack', zStartMm: 19, zEndMm: 19.02, planes: 3, stepUm: 10, xMm: 8, yMm: 14, lasers: [{ laser: 1, powerPercent: 5 }], sides: ['left'] },
  { pixelSizeUm: 1, roiWidth: 2, roiHeight: 2 },
);

function setup(o: { state?: () => number | Promise<number>; timing?: Partial<typeof DEFAULT_RUN_TIMING> } = {}) {
  const calls = { starts: 0, stops: 0, polls: 0, reconnects: 0 };
  const events: ConnectorEvent[] = [];
  let state: () => number | Promise<number> = o.state ?? (() => SystemState.WORK_FLOW_RUNNING);
  const io: RunIo = {
    sendStart: async () => {
      calls.starts++;
    },
    sendStop: async () => {
      calls.stops++;
    },
    pollState: async () => {
      calls.polls++;
      return state();
    },
    reconnect: async () => {
      calls.reconnects++;
    },
    liveLastDataMs: () => 0,
    emit: (e) => events.push(e),
    log: () => undefined,
    ended: () => undefined,
  };
  const run = new WorkflowRun({
    stacks,
    workflowText: '<Workflow Settings>\n</Workflow Settings>',
    io,
    frameRate: 40,
    timing: { ...DEFAULT_RUN_TIMING, startPollDelayMs: 20, startPollIntervalMs: 20, busyPollIntervalMs: 40, rejectAfterMs: 300, drainQuietMs: 0, ...o.timing },
  });
  return { run, calls, events, setState: (s: () => number | Promise<number>) => (state = s) };
}

const rec = (cmd: number, int32Data0 = 0, int32Data1 = 0) => makeRecord({ cmd, status: 1, int32Data0, int32Data1 });

function frame(index: number): LiveFrame {
  return {
    header: { imageSize: 8, width: 2, height: 2, scaleMin: 0, scaleMax: 0, deviceIndex: 0, optionsSettings1: ImageOptions.IMAGE_DATA, optionsSettings2: 0, imageIndexStart: index, imageIndexStop: 2 },
    pixels: new Uint16Array(4),
    receivedAtMs: 0,
    receivedMonotonicMs: 0,
  };
}

describe('WorkflowRun: deciding start and finish', () => {
  it('ignores an idle before any busy sign, and ends on the idle after one', async () => {
    const { run, calls } = setup();
    await run.start();
    run.onRecord(rec(SystemState.IDLE)); // stale
    run.onRecord(rec(SystemState.WORK_FLOW_RUNNING));
    run.onRecord(rec(Command.UI_SET_GAUGE_SIZE, 3));
    for (let i = 0; i < 3; i++) run.onFrame(frame(i));
    run.onRecord(rec(SystemState.IDLE));
    const s = await run.done;
    expect(s).toMatchObject({ outcome: 'complete', framesReceived: 3, framesMissing: 0 });
    expect(s.notes).toContainEqual('Ignored 1 idle message that came before the run was seen busy (stale idle).');
    expect(calls.starts).toBe(1);
  });

  it('checks the state before believing an idle that only live frames preceded', async () => {
    const { run, setState } = setup({ timing: { busyPollIntervalMs: 10_000 } });
    await run.start();
    run.onFrame(frame(0)); // the live port got ahead of the command port
    run.onRecord(rec(SystemState.IDLE)); // the stale idle, delivered late
    // The state poll it triggers says busy, so the run goes on.
    await new Promise((r) => setTimeout(r, 50));
    run.onFrame(frame(1));
    run.onFrame(frame(2));
    setState(() => SystemState.IDLE);
    run.onRecord(rec(Command.CAMERA_STACK_COMPLETE, 3, 3));
    run.onRecord(rec(SystemState.IDLE));
    const s = await run.done;
    expect(s).toMatchObject({ outcome: 'complete', framesReceived: 3 });
    expect(s.notes).toContainEqual('Ignored 1 idle message that came before the run was seen busy (stale idle).');
  });

  it('reports "rejected" when nothing shows within the limit', async () => {
    const { run, calls } = setup({ state: () => SystemState.IDLE });
    await run.start();
    const s = await run.done;
    expect(s.outcome).toBe('rejected');
    expect(s.error).toMatch(/did not start the workflow within 0\.3 s/);
    expect(calls.polls).toBeGreaterThan(0);
  });

  it('finishes from a state poll when the idle broadcast is lost, and says so', async () => {
    const { run, setState } = setup();
    await run.start();
    run.onRecord(rec(Command.UI_SET_GAUGE_VALUE, 1, 3));
    setState(() => SystemState.IDLE);
    const s = await run.done;
    expect(s.outcome).toBe('complete');
    expect(s.notes).toContainEqual('The end of the run was seen by polling the state; no idle broadcast (0xA002) arrived.');
  });

  it('reconnects after three failed polls and keeps following the run', async () => {
    const { run, calls, setState } = setup();
    await run.start();
    run.onRecord(rec(SystemState.WORK_FLOW_RUNNING));
    setState(() => Promise.reject(new Error('No reply to SYSTEM_STATE_GET (40967) within 3000 ms.')));
    await expect.poll(() => calls.reconnects).toBe(1);
    setState(() => SystemState.WORK_FLOW_RUNNING);
    run.onRecord(rec(SystemState.IDLE));
    expect((await run.done).outcome).toBe('complete');
  });

  it('stops: one stop request, then "stopped" on the idle that follows', async () => {
    const { run, calls } = setup();
    await run.start();
    run.onRecord(rec(SystemState.WORK_FLOW_RUNNING));
    run.onFrame(frame(0));
    await Promise.all([run.stop(), run.stop()]);
    expect(calls.stops).toBe(1);
    run.onRecord(rec(SystemState.IDLE));
    const s = await run.done;
    expect(s).toMatchObject({ outcome: 'stopped', framesReceived: 1, framesMissing: 2 });
    expect(s.notes).toContainEqual('The run was stopped before it finished.');
    await run.stop(); // nothing more to stop
    expect(calls.stops).toBe(1);
  });

  it('fails with the reason when the connection cannot be reopened', async () => {
    const { run } = setup();
    await run.start();
    run.onRecord(rec(SystemState.WORK_FLOW_RUNNING));
    run.onCommandLost('connect ECONNREFUSED');
    const s = await run.done;
    expect(s.outcome).toBe('failed');
    expect(s.error).toBe('Lost the connection to the microscope during the run and could not reopen it: connect ECONNREFUSED');
  });

  it('emits progress', async () => {
    const { run, events } = setup();
    await run.start();
    run.onRecord(rec(Command.UI_SET_GAUGE_SIZE, 3));
    run.onFrame(frame(0));
    run.onRecord(rec(Command.CAMERA_STACK_COMPLETE, 3, 3));
    run.onRecord(rec(SystemState.IDLE));
    await run.done;
    const last = events.filter((e) => e.type === 'progress').at(-1);
    expect(last).toEqual({ type: 'progress', progress: { framesReceived: 1, framesExpected: 3, serverAcquired: 3, stacksCompleted: 1, stacksExpected: 1 } });
  });
});
