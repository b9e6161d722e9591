/**
 * Test harness: a real simulator on loopback, a recording proxy in front of it, and a
 * FlamingoConnector with the run's polling intervals shortened (the simulator runs at
 * `timeScale` 0.05, so a 40 f/s camera delivers a frame every 1.25 ms).
 */
import type { AcquisitionPlan, AcquisitionSummary, ConnectorEvent, Frame } from '../../../src/acquisition/connector.ts';
import { FlamingoConnector, type FlamingoConnectorOptions } from '../../../src/acquisition/flamingo/connector.ts';
import type { RunTiming } from '../../../src/acquisition/flamingo/run.ts';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../src/acquisition/simulator/server.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';

export const FAST_RUN: Partial<RunTiming> = {
  startPollDelayMs: 100,
  startPollIntervalMs: 100,
  busyPollIntervalMs: 250,
  rejectAfterMs: 1500,
  drainQuietMs: 60,
  drainMaxMs: 1000,
};

export interface Rig {
  sim: RunningSimulator;
  proxy: RecordingProxy;
  scope: FlamingoConnector;
  events: ConnectorEvent[];
  close(): Promise<void>;
}

export async function startRig(o: { sim?: SimulatorOptions; connector?: FlamingoConnectorOptions } = {}): Promise<Rig> {
  const sim = await startSimulator({ port: 0, frameWidth: 64, frameHeight: 64, timeScale: 0.05, ...o.sim });
  const proxy = await startRecordingProxy(sim);
  const scope = new FlamingoConnector({
    host: '127.0.0.1',
    port: proxy.port,
    livePort: proxy.livePort,
    motionSettleMs: 0,
    ...o.connector,
    run: { ...FAST_RUN, ...o.connector?.run },
  });
  const events: ConnectorEvent[] = [];
  scope.on((e) => events.push(e));
  return {
    sim,
    proxy,
    scope,
    events,
    close: async () => {
      await scope.close();
      await proxy.close();
      await sim.close();
    },
  };
}

/** A two-laser z-stack at the simulator's home position. */
export function zstackPlan(over: Partial<AcquisitionPlan> = {}): AcquisitionPlan {
  return {
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
    ...over,
  };
}

/** Runs a plan and collects every frame and the summary. */
export async function runPlan(
  rig: Rig,
  plan: AcquisitionPlan,
  o: { bufferFrames?: number; perFrame?: (f: Frame, i: number) => Promise<void> | void } = {},
): Promise<{ frames: Frame[]; summary: AcquisitionSummary }> {
  const run = await rig.scope.acquire(plan, o.bufferFrames !== undefined ? { bufferFrames: o.bufferFrames } : {});
  const frames: Frame[] = [];
  for await (const f of run.frames) {
    frames.push(f);
    await o.perFrame?.(f, frames.length - 1);
  }
  return { frames, summary: await run.done };
}
