import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/acquisition/connector.ts';
import { Command } from '../../../src/acquisition/protocol/index.ts';
import { runPlan, startRig, zstackPlan, type Rig } from './harness.ts';

let rig: Rig | null = null;

afterEach(async () => {
  await rig?.close();
  rig = null;
});

/** Within each stack, z indices only grow and channels follow the plan's order. */
function expectConsistent(frames: Frame[], planes: number, channels: number[]): void {
  let last = { stack: -1, z: -1 };
  frames.forEach((f, i) => {
    const m = f.meta;
    expect(m.frameNumber).toBe(i);
    expect(m.channel).toBe(channels[m.stackIndex % channels.length]);
    expect(m.zCount).toBe(planes);
    if (m.stackIndex === last.stack) expect(m.zIndex).toBeGreaterThan(last.z);
    else expect(m.stackIndex).toBeGreaterThan(last.stack);
    last = { stack: m.stackIndex, z: m.zIndex };
  });
}

describe('FlamingoConnector against the simulator quirks (spec §11.2 item 15)', () => {
  it('stale idle: an idle right after the start is not taken for the end', async () => {
    rig = await startRig({ sim: { quirks: { staleIdle: true } } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan());
    expect(summary.outcome).toBe('complete');
    expect(summary.framesReceived).toBe(16);
    expect(frames).toHaveLength(16);
    expect(summary.notes).toContainEqual(expect.stringMatching(/Ignored 1 idle message that came before the run was seen busy/));
  });

  it('trailing frames: the run-on frames at the end of each stack are trimmed', async () => {
    rig = await startRig({ sim: { quirks: { trailingFrames: true } } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan());
    expect(summary).toMatchObject({ outcome: 'complete', framesReceived: 16, framesMissing: 0 });
    expect(summary.framesTrimmed).toBeGreaterThanOrEqual(2);
    expect(summary.framesTrimmed).toBeLessThanOrEqual(6);
    expect(frames.map((f) => `${f.meta.channel}:${f.meta.zIndex}`)).toEqual([...[0, 1, 2, 3, 4, 5, 6, 7].map((z) => `1:${z}`), ...[0, 1, 2, 3, 4, 5, 6, 7].map((z) => `3:${z}`)]);
    expect(summary.notes.filter((n) => /trimmed \d surplus frames? at its end/.test(n))).toHaveLength(2);
  });

  it('rig profile: stale idle, trailing frames and silent positions together', async () => {
    rig = await startRig({ sim: { profile: 'rig' } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan({ sides: ['left', 'right'] }));
    expect(summary).toMatchObject({ outcome: 'complete', framesExpected: 32, framesReceived: 32, framesMissing: 0 });
    expectConsistent(frames, 8, [1, 3, 5, 7]);
  });

  it('size-0 headers: options-only headers are skipped and every frame arrives', async () => {
    rig = await startRig({ sim: { quirks: { sizeZeroHeaders: true } } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan({ planes: 100, zEndMm: 19.99 }));
    expect(summary).toMatchObject({ outcome: 'complete', framesReceived: 200, framesMissing: 0 });
    expect(frames).toHaveLength(200);
    expect(rig.scope.liveStats().optionHeaders).toBeGreaterThan(0);
    expect(rig.scope.liveStats().mismatches).toBe(0);
  });

  it('dropped frames: gaps are counted, placed by the header index, and never shift channels', async () => {
    rig = await startRig({ sim: { quirks: { droppedFrames: true }, seed: 3 } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan({ planes: 100, zEndMm: 19.99 }));
    expect(summary.outcome).toBe('complete');
    expect(summary.framesMissing).toBeGreaterThan(0);
    expect(summary.framesReceived + summary.framesMissing).toBe(200);
    expectConsistent(frames, 100, [1, 3]);
    expect(summary.notes).toContainEqual(expect.stringMatching(/missing \(\d+ inside the stack, by the header's plane index\)/));
  });

  it('recomputed plane count: the server count differs from the plan and is reported, not guessed across', async () => {
    rig = await startRig({ sim: { quirks: { recomputePlanes: true } } });
    await rig.scope.connect();
    // 0.07 mm at 10 µm: the server makes 7 planes where the plan has 8.
    const { frames, summary } = await runPlan(rig, zstackPlan());
    expect(summary.outcome).toBe('complete');
    expect(summary.framesReceived).toBe(14);
    expect(summary.framesMissing).toBe(2);
    expect(frames.map((f) => f.meta.channel)).toEqual([...Array(7).fill(1), ...Array(7).fill(3)]);
    expect(summary.notes).toContainEqual(expect.stringMatching(/server expected 7 images where the plan has 8 planes/));
  });

  it('dropped connection mid-frame: reported, reopened, and the run goes on', async () => {
    rig = await startRig({ sim: { quirks: { dropMidFrame: true }, dropMidFrameAfter: 5 } });
    await rig.scope.connect();
    const { frames, summary } = await runPlan(rig, zstackPlan({ planes: 100, zEndMm: 19.99 }));
    expect(summary.outcome).toBe('complete');
    const drop = rig.events.find((e) => e.type === 'disconnected');
    expect(drop?.type === 'disconnected' && drop.reason).toMatch(/live connection .* in the middle of a frame \(\d+ bytes of it lost\)/);
    expect(rig.events.some((e) => e.type === 'reconnected')).toBe(true);
    expect(rig.scope.liveStats().midFrameCloses).toBe(1);
    expect(rig.scope.counters().reconnects).toBe(1);
    expect(summary.notes).toContainEqual(expect.stringMatching(/The live connection dropped during the run/));
    expect(frames.length).toBeGreaterThan(5);
    expect(summary.framesReceived + summary.framesMissing).toBe(200);
    expectConsistent(frames, 100, [1, 3]);
    // Frames after the reconnect are still placed exactly (by the header index).
    const last = frames[frames.length - 1]!;
    expect(last.meta).toMatchObject({ channel: 3, zIndex: 99 });
  });

  it('command connection dropped mid-run: reopened, the workflow is not sent again, the end is still seen', async () => {
    rig = await startRig();
    await rig.scope.connect();
    const run = await rig.scope.acquire(zstackPlan({ planes: 200, zEndMm: 20.99 }));
    let dropped = false;
    for await (const f of run.frames) {
      if (!dropped && f.meta.frameNumber === 10) {
        dropped = true;
        rig.sim.dropAllConnections();
      }
    }
    const summary = await run.done;
    expect(summary.outcome).toBe('complete');
    expect(rig.proxy.codes().filter((c) => c === Command.CAMERA_WORK_FLOW_START)).toHaveLength(1);
    expect(rig.scope.counters().reconnects).toBeGreaterThanOrEqual(1);
    expect(summary.notes).toContainEqual(expect.stringMatching(/The command connection dropped during the run .* The workflow was not sent again\./));
  });

  it('slow reader: a bounded buffer drops and counts, and the run never stalls', async () => {
    rig = await startRig();
    await rig.scope.connect();
    let consumed = 0;
    const { summary } = await runPlan(rig, zstackPlan({ planes: 100, zEndMm: 19.99 }), {
      bufferFrames: 8,
      perFrame: async () => {
        consumed++;
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    expect(summary.outcome).toBe('complete');
    expect(summary.framesReceived).toBe(200); // assignment does not wait for the consumer
    expect(summary.framesDropped).toBeGreaterThan(0);
    expect(consumed + summary.framesDropped).toBe(200);
    expect(rig.scope.counters().framesDropped).toBe(summary.framesDropped);
    expect(summary.notes).toContainEqual(expect.stringMatching(/frames were dropped because the consumer fell more than 8 frames behind/));
  });

  it('a consumer that is only a bit slow loses nothing', async () => {
    rig = await startRig();
    await rig.scope.connect();
    let consumed = 0;
    const { summary } = await runPlan(rig, zstackPlan({ planes: 100, zEndMm: 19.99 }), {
      perFrame: async () => {
        consumed++;
        await new Promise((r) => setImmediate(r));
      },
    });
    expect(summary).toMatchObject({ outcome: 'complete', framesReceived: 200, framesDropped: 0 });
    expect(consumed).toBe(200);
  });
});
