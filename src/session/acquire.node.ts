/**
 * One acquisition written as a session (Node): connects a FlamingoConnector, turns the
 * plan into a session layout (canvas over every tile, channels in the caller's order,
 * z from START to END), streams every frame into the session writer as it arrives, and
 * finalizes — or, when the run is stopped or fails, leaves an `interrupted` session that
 * holds everything flushed. Progress comes from the same counters the panels will use.
 *
 * @example
 * const r = await runAcquisition({ host, port, connection: 'tcp', out: '/data/embryo.ome.zarr',
 *   plan: (info, at) => ({ kind: 'zstack', ... }), channelOrderNm: [488], colorFor: () => '00FF00',
 *   interrupted: new Promise(() => {}) });
 */
import type { AcquisitionPlan, Frame, MicroscopeInfo } from '../acquisition/connector.ts';
import { FlamingoConnector } from '../acquisition/flamingo/index.ts';
import { planFrames, planStacks, validatePlan, type PlanContext } from '../acquisition/plan.ts';
import type { PlanSummary, SignedStageAxis } from './metadata/types.ts';
import { createNodeSessionWriter, uniqueSessionPath } from './writer/index.node.ts';
import { canvasForTiles, frameOffset } from './writer/placement.ts';
import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };

export interface AcquisitionProgressReport {
  framesReceived: number;
  framesExpected: number;
  framesWritten: number;
  /** Frames waiting in the writer's queue. */
  writerQueued: number;
  mbPerS: number;
}

export interface AcquisitionJobOptions {
  host: string;
  port: number;
  connection: 'tcp' | 'simulator';
  /** Session folder to create; on a name clash a UTC timestamp is appended (never overwritten). */
  out: string;
  name?: string | null;
  description?: string | null;
  /** Builds the plan once the microscope is known (`at`: the stage position before the run). */
  plan: (info: MicroscopeInfo, at: { xMm: number; yMm: number }) => AcquisitionPlan;
  /** Laser wavelengths in the session's channel order. */
  channelOrderNm: readonly number[];
  colorFor: (wavelengthNm: number) => string;
  /** Settles when the user asks to stop (Ctrl-C): the workflow is stopped, the session left `interrupted`. */
  interrupted: Promise<unknown>;
  signal?: AbortSignal;
  onProgress?: (p: AcquisitionProgressReport) => void;
}

export interface AcquisitionJobResult {
  status: 'complete' | 'interrupted';
  json: {
    path: string;
    frames_expected: number;
    frames_received: number;
    frames_written: number;
    frames_dropped: number;
    shape: number[];
    levels: number;
    seconds: number;
  };
  notes: string[];
}

export async function runAcquisition(o: AcquisitionJobOptions): Promise<AcquisitionJobResult> {
  const started = performance.now();
  const connector = new FlamingoConnector({ host: o.host, port: o.port });
  try {
    const info = await connector.connect(o.signal ? { signal: o.signal } : {});
    const at = await connector.getPosition();
    const plan = o.plan(info, at);
    const problems = validatePlan(plan);
    if (problems.length > 0) throw new Error(`The acquisition plan is not valid: ${problems.join(' ')}`);
    const roi = plan.roi ?? { width: info.width, height: info.height };
    const ctx: PlanContext = { pixelSizeUm: info.reportedPixelSizeUm ?? info.pixelSizeUm, roiWidth: roi.width, roiHeight: roi.height, lasers: info.lasers };
    const stacks = planStacks(plan, ctx);
    const framesExpected = planFrames(plan, ctx).length;
    const tiles = [...new Map(stacks.map((s) => [s.tileIndex, { xMm: s.xMm, yMm: s.yMm }])).values()];
    const voxel = { z: plan.planes > 1 ? (Math.abs(plan.zEndMm - plan.zStartMm) * 1000) / (plan.planes - 1) : plan.stepUm, y: ctx.pixelSizeUm, x: ctx.pixelSizeUm };
    const zAxis: SignedStageAxis = plan.zEndMm >= plan.zStartMm ? '+z' : '-z';
    const canvas = canvasForTiles(tiles, roi, voxel);
    const out = await uniqueSessionPath(path.dirname(path.resolve(o.out)), path.basename(o.out).replace(/\.ome\.zarr$/, ''));
    const channelOf = new Map(o.channelOrderNm.map((nm, i) => [nm, i]));
    const summary: PlanSummary = {
      kind: plan.kind === 'tile' ? 'tile-scan' : 'z-stack',
      tiles: tiles.length,
      tile_overlap_percent: plan.kind === 'tile' ? (plan.overlapPercent ?? null) : null,
      z_start_mm: plan.zStartMm,
      z_end_mm: plan.zEndMm,
      z_step_um: plan.stepUm,
      planes_per_stack: plan.planes,
      channels: o.channelOrderNm.map((_, i) => i),
      timepoints: 1,
      interval_s: null,
    };
    const writer = await createNodeSessionWriter({
      path: out,
      layout: {
        name: o.name ?? path.basename(out).replace(/\.ome\.zarr$/, ''),
        shape: [o.channelOrderNm.length, plan.planes, canvas.shape[0], canvas.shape[1]],
        voxel_size_um: voxel,
        world_origin_um: [(zAxis === '+z' ? 1 : -1) * plan.zStartMm * 1000, canvas.originUm[0], canvas.originUm[1]],
        channels: o.channelOrderNm.map((nm) => ({ name: `${nm} nm`, color: o.colorFor(nm), laser_nm: nm, illumination_side: 'left' as const })),
      },
      info: {
        app_version: pkg.version,
        ...(o.description ? { description: o.description } : {}),
        microscope: { name: info.name, connection: o.connection, address: `${o.host}:${o.port}`, orientation: { z: zAxis, y: '+y', x: '+x' } },
        plan: summary,
        frames_expected: framesExpected,
        stage_reference: { x_mm: at.xMm, y_mm: at.yMm, z_mm: at.zMm, r_deg: at.rDeg },
      },
      framesPerPlane: tiles.length,
      place: (f: Frame) => {
        const [y, x] = frameOffset(f.meta.stage, { width: f.width, height: f.height }, voxel, canvas.originUm);
        return { channel: channelOf.get(f.meta.wavelengthNm ?? -1) ?? f.meta.channelIndex, z: f.meta.zIndex, y, x };
      },
    });
    const run = await connector.acquire(plan, o.signal ? { signal: o.signal } : {});
    let stopRequested = false;
    void o.interrupted.then(() => {
      stopRequested = true;
      return run.stop();
    });
    let received = 0;
    let bytes = 0;
    let lastReport = 0;
    const t0 = performance.now();
    try {
      for await (const frame of run.frames) {
        received++;
        bytes += frame.pixels.byteLength;
        await writer.write(frame);
        const now = performance.now();
        if (o.onProgress && now - lastReport > 100) {
          lastReport = now;
          const s = writer.stats();
          o.onProgress({ framesReceived: received, framesExpected, framesWritten: s.framesWritten, writerQueued: s.framesQueued, mbPerS: bytes / 1e6 / Math.max(1e-3, (now - t0) / 1000) });
        }
      }
    } catch (err) {
      await writer.abort(`the acquisition failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    const outcome = await run.done;
    const complete = outcome.outcome === 'complete' && !stopRequested;
    const result = complete
      ? await writer.finalize()
      : await writer.abort(stopRequested ? 'stopped by the user' : `the workflow ended '${outcome.outcome}'${outcome.error ? `: ${outcome.error}` : ''}`);
    return {
      status: result.status === 'complete' ? 'complete' : 'interrupted',
      json: {
        path: out,
        frames_expected: framesExpected,
        frames_received: outcome.framesReceived,
        frames_written: result.framesWritten,
        frames_dropped: result.framesDropped + outcome.framesDropped,
        shape: result.shape,
        levels: result.levels,
        seconds: (performance.now() - started) / 1000,
      },
      notes: [...outcome.notes, ...result.errors],
    };
  } finally {
    await connector.close();
  }
}
