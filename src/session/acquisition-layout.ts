/**
 * From an acquisition request to a session (pure: the bridge in Node and the browser-only
 * worker share it). `planFromRequest` turns the viewer's `AcquisitionRequest` (wavelengths,
 * z range and step, tiles) into the connector's `AcquisitionPlan` and the session's channel
 * order; `sessionPlan` turns a plan into what `SessionWriter.create` needs: the layout (a
 * canvas over every tile, channels in the request's order, z from START to END), the
 * writer's `flamingo` info, frames expected and per plane, and `place(frame)` (c, z, y, x).
 * The same code lays out sessions written by `flamingo-viv acquire` (acquire.node.ts).
 *
 * @example
 * const { plan, channelOrderNm } = planFromRequest({ zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [488, 640] }, info, at);
 * const s = sessionPlan({ plan, info, at, channelOrderNm, name: 'embryo', connection: 'simulator', address: 'memory:53717', appVersion: '0.1.0' });
 * const writer = await SessionWriter.create({ store, encoder, codec, layout: s.layout, info: s.info, place: s.place, framesPerPlane: s.framesPerPlane });
 */
import type { AcquisitionPlan, Frame, MicroscopeInfo, StagePosition } from '../acquisition/connector.ts';
import type { AcquisitionRequest } from '../acquisition/live-backend.ts';
import { planFieldOfView, planFrames, planStacks, validatePlan, type PlanContext } from '../acquisition/plan.ts';
import { TaggedError } from '../tagged-error.ts';
import type { SessionLayoutInit } from './metadata/layout.ts';
import type { InitialFlamingoInfo } from './metadata/build.ts';
import type { PlanSummary, SignedStageAxis } from './metadata/types.ts';
import { canvasForTiles, frameOffset, type Canvas } from './writer/placement.ts';
import type { FramePlacement } from './writer/writer.ts';

export type AcquisitionLayoutErrorCode = 'invalid-request' | 'invalid-plan';

export class AcquisitionLayoutError extends TaggedError<AcquisitionLayoutErrorCode> {
  override readonly name = 'AcquisitionLayoutError';
}

/** Display colours by laser line (blue, green, yellow-orange, magenta), as the `acquire` command uses. */
const COLOR_BY_NM: ReadonlyMap<number, string> = new Map([
  [405, '0000FF'],
  [488, '00FF00'],
  [561, 'FFAA00'],
  [640, 'FF00FF'],
]);

/** `RRGGBB` for a laser line (white for an unknown one). */
export function channelColor(wavelengthNm: number): string {
  return COLOR_BY_NM.get(wavelengthNm) ?? 'FFFFFF';
}

/**
 * Planes of one stack for a z range and step: round(|ΔZ| / step), at least 1 — the server's
 * convention, as `flamingo-viv acquire` and the bridge count them (the end stays where asked,
 * so the z step of the session is |ΔZ| / (planes − 1)).
 */
export function planesFor(zStartMm: number, zEndMm: number, stepUm: number): number {
  return Math.max(1, Math.round((Math.abs(zEndMm - zStartMm) * 1000) / stepUm));
}

export interface PlanFromRequestOptions {
  /** Laser power for every line, percent (default 10). */
  powerPercent?: number;
  /** Camera frame rate (default: the plan's default, 40). */
  frameRate?: number;
  sampleName?: string;
}

/**
 * The connector plan for a viewer request, as `flamingo-viv acquire` builds it: `planesFor`
 * planes from `zStartMm` to `zEndMm`; the stack centre defaults to the stage position `at`;
 * one illumination side (the first asked for, default left); a tile request of `[nx, ny]`
 * is a grid centred there whose corner tiles make the server (spec §8.5) visit exactly
 * nx × ny tiles.
 */
export function planFromRequest(request: AcquisitionRequest, info: MicroscopeInfo, at: StagePosition, o: PlanFromRequestOptions = {}): { plan: AcquisitionPlan; channelOrderNm: number[] } {
  const bad = (message: string): never => {
    throw new AcquisitionLayoutError('invalid-request', message);
  };
  for (const [name, v] of [['zStartMm', request.zStartMm], ['zEndMm', request.zEndMm], ['stepUm', request.stepUm]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`The acquisition request's ${name} must be a finite number, got ${String(v)}.`);
  }
  if (!(request.stepUm > 0)) bad(`The acquisition request's stepUm must be positive, got ${request.stepUm}.`);
  if (request.lasers.length === 0) bad('The acquisition request names no laser line; pick at least one.');
  const channelOrderNm = [...request.lasers];
  if (new Set(channelOrderNm).size !== channelOrderNm.length) bad(`The acquisition request names a laser line twice (${channelOrderNm.join(', ')} nm).`);
  const lasers = channelOrderNm.map((nm) => {
    const line = info.lasers.find((l) => l.wavelengthNm === nm);
    if (!line) return bad(`The microscope has no ${nm} nm laser; it has ${info.lasers.map((l) => `${l.wavelengthNm} nm`).join(', ') || 'none'}.`);
    return { laser: line.index, powerPercent: o.powerPercent ?? 10 };
  });
  const planes = planesFor(request.zStartMm, request.zEndMm, request.stepUm);
  const xMm = request.xMm ?? at.xMm;
  const yMm = request.yMm ?? at.yMm;
  const plan: AcquisitionPlan = {
    kind: 'zstack',
    zStartMm: request.zStartMm,
    zEndMm: request.zEndMm,
    planes,
    stepUm: request.stepUm,
    xMm,
    yMm,
    lasers,
    sides: [request.sides?.[0] ?? 'left'],
    ...(request.roi ? { roi: { width: request.roi.width, height: request.roi.height } } : {}),
    ...(o.frameRate !== undefined ? { frameRate: o.frameRate } : {}),
    ...(o.sampleName !== undefined ? { sampleName: o.sampleName } : request.name ? { sampleName: request.name } : {}),
  };
  if (request.kind === 'tile') {
    const [nx, ny] = request.tiles ?? bad('A tile request needs `tiles` ([nx, ny]).');
    for (const n of [nx, ny]) if (!Number.isInteger(n) || n < 1) bad(`Tile counts must be whole numbers of at least 1, got ${nx} × ${ny}.`);
    if (nx * ny > 1) {
      const overlap = Math.min(50, Math.max(0, request.overlapPercent ?? 10));
      // The server's own field of view (its X comes from the ROI height, spec §8.5 rule 6).
      const fov = planFieldOfView(plan, { pixelSizeUm: info.reportedPixelSizeUm ?? info.pixelSizeUm, roiWidth: request.roi?.width ?? info.width, roiHeight: request.roi?.height ?? info.height });
      // n tiles need a corner distance of at most n·P − F (P = F·(1 − overlap)); 1 nm less keeps the server's ceil() from rounding up.
      const span = (n: number, f: number): number => Math.max(0, n * f * (1 - overlap / 100) - f - 1e-6);
      const sx = span(nx, fov.xMm);
      const sy = span(ny, fov.yMm);
      Object.assign(plan, { kind: 'tile', xMm: xMm + sx / 2, yMm: yMm + sy / 2, xEndMm: xMm - sx / 2, yEndMm: yMm - sy / 2, overlapPercent: overlap });
    }
  }
  const reasons = validatePlan(plan);
  if (reasons.length > 0) throw new AcquisitionLayoutError('invalid-plan', `The acquisition plan is not valid: ${reasons.join(' ')}`);
  return { plan, channelOrderNm };
}

export interface SessionPlanOptions {
  plan: AcquisitionPlan;
  /** What the connector learned on connect. */
  info: MicroscopeInfo;
  /** Stage position before the run (the session's stage reference). */
  at: StagePosition;
  /** Laser wavelengths in the session's channel order. */
  channelOrderNm: readonly number[];
  /** Session name as typed. */
  name: string;
  description?: string | null;
  /** `"tcp"` or `"simulator"`, and `host:port`, kept in the session's microscope block. */
  connection: 'tcp' | 'simulator';
  address: string;
  appVersion: string;
  /** Default: `channelColor`. */
  colorFor?: (wavelengthNm: number) => string;
}

export interface SessionPlan {
  layout: SessionLayoutInit;
  /** The writer's `info` (its `now` defaults to the clock). */
  info: Omit<InitialFlamingoInfo, 'now' | 'accumulation'>;
  framesExpected: number;
  /** Tiles: frames that land in each plane. */
  framesPerPlane: number;
  /** Level-0 voxel size, µm. */
  voxelUm: { z: number; y: number; x: number };
  canvas: Canvas;
  /** Where a frame lands: channel by wavelength (else its plan index), z index, canvas y/x of pixel (0, 0). */
  place(frame: Frame): FramePlacement;
}

export function sessionPlan(o: SessionPlanOptions): SessionPlan {
  const { plan, info, at } = o;
  const problems = validatePlan(plan);
  if (problems.length > 0) throw new AcquisitionLayoutError('invalid-plan', `The acquisition plan is not valid: ${problems.join(' ')}`);
  const roi = plan.roi ?? { width: info.width, height: info.height };
  const ctx: PlanContext = { pixelSizeUm: info.reportedPixelSizeUm ?? info.pixelSizeUm, roiWidth: roi.width, roiHeight: roi.height, lasers: info.lasers };
  const stacks = planStacks(plan, ctx);
  const framesExpected = planFrames(plan, ctx).length;
  const tiles = [...new Map(stacks.map((s) => [s.tileIndex, { xMm: s.xMm, yMm: s.yMm }])).values()];
  const voxelUm = { z: plan.planes > 1 ? (Math.abs(plan.zEndMm - plan.zStartMm) * 1000) / (plan.planes - 1) : plan.stepUm, y: ctx.pixelSizeUm, x: ctx.pixelSizeUm };
  const zAxis: SignedStageAxis = plan.zEndMm >= plan.zStartMm ? '+z' : '-z';
  const canvas = canvasForTiles(tiles, roi, voxelUm);
  const channelOf = new Map(o.channelOrderNm.map((nm, i) => [nm, i]));
  const colorFor = o.colorFor ?? channelColor;
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
  return {
    layout: {
      name: o.name,
      shape: [o.channelOrderNm.length, plan.planes, canvas.shape[0], canvas.shape[1]],
      voxel_size_um: voxelUm,
      world_origin_um: [(zAxis === '+z' ? 1 : -1) * plan.zStartMm * 1000, canvas.originUm[0], canvas.originUm[1]],
      channels: o.channelOrderNm.map((nm) => ({ name: `${nm} nm`, color: colorFor(nm), laser_nm: nm, illumination_side: 'left' as const })),
    },
    info: {
      app_version: o.appVersion,
      ...(o.description ? { description: o.description } : {}),
      microscope: { name: info.name, connection: o.connection, address: o.address, orientation: { z: zAxis, y: '+y', x: '+x' } },
      plan: summary,
      frames_expected: framesExpected,
      stage_reference: { x_mm: at.xMm, y_mm: at.yMm, z_mm: at.zMm, r_deg: at.rDeg },
    },
    framesExpected,
    framesPerPlane: tiles.length,
    voxelUm,
    canvas,
    place(f: Frame): FramePlacement {
      const [y, x] = frameOffset(f.meta.stage, { width: f.width, height: f.height }, voxelUm, canvas.originUm);
      return { channel: channelOf.get(f.meta.wavelengthNm ?? -1) ?? f.meta.channelIndex, z: f.meta.zIndex, y, x };
    },
  };
}
