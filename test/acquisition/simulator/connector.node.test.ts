import { afterEach, describe, expect, it } from 'vitest';
import type { AcquisitionPlan, Frame, MicroscopeConnector } from '../../../src/acquisition/connector.ts';
import { FlamingoConnector } from '../../../src/acquisition/flamingo/connector.ts';
import { SimulatedConnector } from '../../../src/acquisition/simulator/connector.ts';
import { startSimulator, type RunningSimulator } from '../../../src/acquisition/simulator/server.ts';

/** Fast run timing (the simulator runs at time scale 0.05). */
const RUN = { startPollDelayMs: 100, startPollIntervalMs: 100, busyPollIntervalMs: 250, rejectAfterMs: 1500, drainQuietMs: 60, drainMaxMs: 1000 };
const SIM = { seed: 7, frameWidth: 64, frameHeight: 64, timeScale: 0.05 };

const plan: AcquisitionPlan = {
  kind: 'zstack',
  zStartMm: 19,
  zEndMm: 19.07,
  planes: 8,
  stepUm: 10,
  xMm: 8,
  yMm: 14,
  lasers: [
    { laser: 2, powerPercent: 10 },
    { laser: 4, powerPercent: 5 },
  ],
  sides: ['left'],
  sampleName: 'test',
};

/** FNV-1a over the pixels: equal hashes for equal frames. */
function hash(pixels: Uint16Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pixels.length; i++) h = Math.imul(h ^ pixels[i]!, 0x01000193) >>> 0;
  return h;
}

/** Everything about a frame except the receive clocks. */
function describeFrame(f: Frame): unknown {
  const { receivedAtMs: _a, receivedMonotonicMs: _b, ...meta } = f.meta;
  return { ...meta, width: f.width, height: f.height, pixels: hash(f.pixels) };
}

async function acquireAll(scope: MicroscopeConnector): Promise<{ frames: unknown[]; outcome: string; info: unknown }> {
  const info = await scope.connect();
  const run = await scope.acquire(plan);
  const frames: unknown[] = [];
  for await (const f of run.frames) frames.push(describeFrame(f));
  const summary = await run.done;
  const { settingsText: _s, ...rest } = info;
  return { frames, outcome: summary.outcome, info: rest };
}

let tcp: RunningSimulator | null = null;
const scopes: MicroscopeConnector[] = [];
afterEach(async () => {
  for (const s of scopes.splice(0)) await s.close();
  await tcp?.close();
  tcp = null;
});

describe('SimulatedConnector: the Flamingo client over in-memory streams to the simulator engine', () => {
  it('gives the same frames (metadata and pixels) for a two-laser z-stack as FlamingoConnector over TCP', async () => {
    tcp = await startSimulator({ port: 0, ...SIM });
    const overTcp = new FlamingoConnector({ host: '127.0.0.1', port: tcp.port, motionSettleMs: 0, run: RUN });
    scopes.push(overTcp);
    const inMemory = new SimulatedConnector({ motionSettleMs: 0, run: RUN, simulator: SIM });
    scopes.push(inMemory);

    const a = await acquireAll(overTcp);
    const b = await acquireAll(inMemory);
    expect(b.outcome).toBe('complete');
    expect(b.frames).toHaveLength(16);
    expect(b.frames.map((f) => (f as { channel: number; zIndex: number }).channel * 100 + (f as { zIndex: number }).zIndex)).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((z) => 100 + z),
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((z) => 300 + z),
    ]);
    expect(b.info).toEqual(a.info);
    expect(b.frames).toEqual(a.frames);
    expect(inMemory.counters()).toMatchObject({ framesReceived: 16, framesDropped: 0, recordsDiscardedBytes: 0 });
    expect(inMemory.simulator.engine.frames.stats.replayed).toBe(0);
    expect(tcp.stats().synthesis.replayed).toBe(0);
  });

  it('moves the stage, streams live view and closes the simulator with the connector', async () => {
    const scope = new SimulatedConnector({ motionSettleMs: 0, simulator: SIM });
    scopes.push(scope);
    await scope.connect();
    const at = await scope.moveTo({ xMm: 7.5, yMm: 13 });
    expect(at).toMatchObject({ xMm: 7.5, yMm: 13 });
    const live = await scope.startLiveView();
    let n = 0;
    for await (const f of live) {
      expect([f.width, f.height]).toEqual([64, 64]);
      if (++n === 3) break;
    }
    await live.stop();
    await scope.close();
    expect(scope.simulator.engine.stats()).toMatchObject({ workflowsStarted: 0 });
    await expect(scope.getPosition()).rejects.toThrow(/closed/);
  });

  it('fails to connect with a clear error once its simulator is stopped', async () => {
    const scope = new SimulatedConnector({ simulator: SIM });
    scope.simulator.close();
    await expect(scope.connect()).rejects.toThrow(/Could not connect to the microscope command port memory:53717: nothing listens there in memory/);
  });
});
