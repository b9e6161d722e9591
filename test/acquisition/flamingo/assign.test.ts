import { describe, expect, it } from 'vitest';
import type { AcquisitionPlan } from '../../../src/acquisition/connector.ts';
import { FrameAssigner, type Assignment } from '../../../src/acquisition/flamingo/assign.ts';
import { planStacks } from '../../../src/acquisition/plan.ts';
import { ImageOptions, type FrameHeader } from '../../../src/acquisition/protocol/index.ts';

const plan: AcquisitionPlan = {
  kind: 'zstack',
  zStartMm: 18,
  zEndMm: 18.4,
  planes: 5,
  stepUm: 100,
  xMm: 7,
  yMm: 14,
  lasers: [
    { laser: 2, powerPercent: 10 },
    { laser: 4, powerPercent: 5 },
  ],
  sides: ['left'],
};
const stacks = planStacks(plan, { pixelSizeUm: 1, roiWidth: 64, roiHeight: 64 });

/** A live frame header; `index: null` gives the rig's "stuck at 0" words. */
function frame(index: number | null, stop = 4, mip = false): { header: FrameHeader; receivedAtMs: number; receivedMonotonicMs: number } {
  return {
    header: {
      imageSize: 8,
      width: 2,
      height: 2,
      scaleMin: 0,
      scaleMax: 0,
      deviceIndex: 0,
      optionsSettings1: mip ? ImageOptions.MAX_PROJECTION : ImageOptions.IMAGE_DATA,
      optionsSettings2: 0,
      imageIndexStart: index ?? 0,
      imageIndexStop: index === null ? 0 : stop,
    },
    receivedAtMs: 1,
    receivedMonotonicMs: 2,
  };
}

const where = (a: Assignment): string => (a.kind === 'frame' ? `${a.meta.channel}:${a.meta.zIndex}` : a.kind);

describe('FrameAssigner, header index not usable (count mode)', () => {
  it('assigns in plan order with interpolated Z and running frame numbers', () => {
    const a = new FrameAssigner(stacks);
    const out: Assignment[] = [];
    a.onGaugeSize(5);
    for (let i = 0; i < 5; i++) out.push(a.onFrame(frame(null)));
    a.onStackComplete(5, 5, 0);
    a.onGaugeSize(5);
    for (let i = 0; i < 5; i++) out.push(a.onFrame(frame(null)));
    a.onStackComplete(5, 5, 0);
    expect(out.map(where)).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', '3:0', '3:1', '3:2', '3:3', '3:4']);
    const metas = out.flatMap((x) => (x.kind === 'frame' ? [x.meta] : []));
    expect(metas.map((m) => m.frameNumber)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(metas[2]!.stage).toEqual({ xMm: 7, yMm: 14, zMm: 18.2, rDeg: 0 });
    expect(metas[9]!.stage.zMm).toBeCloseTo(18.4, 12);
    expect(metas[5]).toMatchObject({ laser: 4, wavelengthNm: 640, side: 'left', channelIndex: 1, stackIndex: 1, zCount: 5, tileIndex: 0, timepoint: 0 });
    const r = a.finish();
    expect(r).toMatchObject({ framesExpected: 10, framesReceived: 10, framesMissing: 0, framesTrimmed: 0, stacksCompleted: 2, serverAcquired: 10 });
    expect(r.notes).toEqual([]);
  });

  it('drops MIP frames', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    expect(a.onFrame(frame(null, 0, true)).kind).toBe('mip');
    expect(a.finish().mipFramesDropped).toBe(1);
  });

  it('trims run-on frames at the end of a stack until the next stack starts', () => {
    const a = new FrameAssigner(stacks);
    const out: string[] = [];
    a.onGaugeSize(5);
    for (let i = 0; i < 5; i++) out.push(where(a.onFrame(frame(null))));
    a.onStackComplete(5, 5, 0);
    for (let i = 0; i < 3; i++) out.push(where(a.onFrame(frame(null))));
    a.onGaugeValue(1, 5); // the next stack's first progress, without a gauge-size message
    for (let i = 0; i < 5; i++) out.push(where(a.onFrame(frame(null))));
    out.push(where(a.onFrame(frame(null))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', 'surplus', 'surplus', 'surplus', '3:0', '3:1', '3:2', '3:3', '3:4', 'surplus']);
    const r = a.finish();
    expect(r.framesTrimmed).toBe(4);
    expect(r.framesMissing).toBe(0);
    expect(r.notes).toEqual([expect.stringMatching(/^Stack 0 .*trimmed 3 surplus frames/), expect.stringMatching(/^Stack 1 .*trimmed 1 surplus frame at/)]);
  });

  it('never pulls the next channel into a short stack', () => {
    const a = new FrameAssigner(stacks);
    const out: string[] = [];
    a.onGaugeSize(5);
    for (let i = 0; i < 3; i++) out.push(where(a.onFrame(frame(null)))); // two frames of stack 0 lost
    a.onStackComplete(5, 5, 0);
    a.onGaugeSize(5);
    for (let i = 0; i < 5; i++) out.push(where(a.onFrame(frame(null))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '3:0', '3:1', '3:2', '3:3', '3:4']);
    const r = a.finish();
    expect(r.framesMissing).toBe(2);
    expect(r.notes[0]).toMatch(/Stack 0 .*3 of 5 planes arrived, 2 missing; the server reported 5 of 5 images acquired/);
  });

  it('follows 0x9004 resets when there is no gauge-size or stack-complete message', () => {
    const a = new FrameAssigner(stacks);
    const out: string[] = [];
    for (let i = 1; i <= 4; i++) {
      a.onGaugeValue(i, 5);
      out.push(where(a.onFrame(frame(null))));
    }
    a.onGaugeValue(1, 5);
    out.push(where(a.onFrame(frame(null))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '3:0']);
  });

  it('with 0x3011 only, moves on once the stack is full and reported complete', () => {
    const a = new FrameAssigner(stacks);
    const out: string[] = [];
    for (let i = 0; i < 5; i++) out.push(where(a.onFrame(frame(null))));
    a.onStackComplete(5, 5, 0);
    for (let i = 0; i < 5; i++) out.push(where(a.onFrame(frame(null))));
    out.push(where(a.onFrame(frame(null)))); // run-on before the stack-complete message
    a.onStackComplete(5, 5, 0);
    out.push(where(a.onFrame(frame(null))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', '3:0', '3:1', '3:2', '3:3', '3:4', 'surplus', 'surplus']);
    expect(a.finish().notes).toContainEqual(expect.stringMatching(/stack boundaries came from 0x3011 only/));
  });

  it('falls back to counting when the server reports nothing, and says so', () => {
    const a = new FrameAssigner(stacks);
    const out: string[] = [];
    for (let i = 0; i < 11; i++) out.push(where(a.onFrame(frame(null))));
    expect(out.slice(4, 6)).toEqual(['1:4', '3:0']);
    expect(out[10]).toBe('surplus');
    const r = a.finish();
    expect(r.notes).toContainEqual(expect.stringMatching(/no stack boundaries/));
    expect(r.notes).toContainEqual(expect.stringMatching(/1 frames arrived after the last planned stack/));
  });

  it('reports a server count that differs from the plan', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(6);
    a.onStackComplete(6, 6, 1);
    const notes = a.finish().notes;
    expect(notes).toContainEqual(expect.stringMatching(/server expected 6 images where the plan has 5 planes/));
    expect(notes).toContainEqual(expect.stringMatching(/reported 1 acquisition errors/));
  });
});

describe('FrameAssigner, header plane index usable', () => {
  it('places frames by their index, so gaps land where they happened', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    const out = [0, 1, 3, 4].map((i) => where(a.onFrame(frame(i))));
    expect(out).toEqual(['1:0', '1:1', '1:3', '1:4']);
    const r = a.finish();
    expect(r.usedHeaderIndex).toBe(true);
    expect(r.notes[0]).toMatch(/4 of 5 planes arrived, 1 missing \(1 inside the stack/);
  });

  it('trims frames past the stack and repeats', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    const out = [0, 1, 2, 3, 4, 5, 4].map((i) => where(a.onFrame(frame(i))));
    a.onGaugeSize(5);
    out.push(where(a.onFrame(frame(0))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', 'surplus', 'surplus', '3:0']);
  });

  it('stops trusting the index when it disagrees with the plan', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    const out = [where(a.onFrame(frame(0))), where(a.onFrame(frame(7, 9)))];
    expect(out).toEqual(['1:0', '1:1']);
    const r = a.finish();
    expect(r.usedHeaderIndex).toBe(false);
    expect(r.notes).toContainEqual(expect.stringMatching(/header changed its stack size within a stack/));
  });

  it('keeps frames that lag behind the command port by a whole stack in their own stack', () => {
    const a = new FrameAssigner(stacks);
    // The server runs both stacks before any frame arrives on the live port.
    a.onGaugeSize(5);
    a.onStackComplete(5, 5, 0);
    a.onGaugeSize(5);
    a.onStackComplete(5, 5, 0);
    const out = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map((i) => where(a.onFrame(frame(i))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', '3:0', '3:1', '3:2', '3:3', '3:4']);
    expect(a.finish().framesMissing).toBe(0);
  });

  it('after a live gap, goes to the stack the server is on', () => {
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    expect([0, 1].map((i) => where(a.onFrame(frame(i))))).toEqual(['1:0', '1:1']);
    a.onStackComplete(5, 5, 0);
    a.onGaugeSize(5);
    a.onLiveGap(); // frames 2–4 of stack 0 and 0–2 of stack 1 were lost with the connection
    expect([3, 4].map((i) => where(a.onFrame(frame(i))))).toEqual(['3:3', '3:4']);
    expect(a.finish().framesMissing).toBe(6);
  });

  it('does not take a running frame number for a plane index', () => {
    // A server that numbers frames across the whole workflow (0–9, last 9): two stacks of 5.
    const a = new FrameAssigner(stacks);
    a.onGaugeSize(5);
    const out = [0, 1, 2, 3, 4].map((i) => where(a.onFrame(frame(i, 9))));
    a.onStackComplete(5, 5, 0);
    a.onGaugeSize(5);
    out.push(...[5, 6, 7, 8, 9].map((i) => where(a.onFrame(frame(i, 9)))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4', '3:0', '3:1', '3:2', '3:3', '3:4']);
    const r = a.finish();
    expect(r.usedHeaderIndex).toBe(false);
    expect(r.framesMissing).toBe(0);
    expect(r.notes).toContainEqual(expect.stringMatching(/announces 10 planes per stack where the plan has 5/));
  });

  it('follows the header when the server makes fewer planes than the plan', () => {
    const a = new FrameAssigner(stacks);
    const out = [0, 1, 2, 3, 4, 0, 1, 2, 3].map((i) => where(a.onFrame(frame(i, 3))));
    expect(out).toEqual(['1:0', '1:1', '1:2', '1:3', 'surplus', '3:0', '3:1', '3:2', '3:3']);
    const r = a.finish();
    expect(r.framesMissing).toBe(2);
    expect(r.notes).toContainEqual(expect.stringMatching(/live header counts 4 planes where the plan has 5/));
  });
});

