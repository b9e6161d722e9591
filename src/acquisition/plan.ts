/**
 * Acquisition plans (connector.ts `AcquisitionPlan`) turned into what the microscope
 * needs and what the connector expects back: the workflow settings and text
 * (spec §8.2, §8.6, §8.7), and every stack and frame in the server's order (spec §8.8,
 * §8.9) with its channel, laser, side, z index, z position and tile X/Y. Pure: no
 * sockets, no clocks.
 *
 * @example
 * const ctx = { pixelSizeUm: 1.0475, roiWidth: 2048, roiHeight: 2048 };
 * const plan = { kind: 'zstack', zStartMm: 18, zEndMm: 18.5, planes: 200, stepUm: 2.5, xMm: 7.5, yMm: 14,
 *   lasers: [{ laser: 2, powerPercent: 10 }, { laser: 4, powerPercent: 5 }], sides: ['left'] } as const;
 * validatePlan(plan);               // [] when it can be sent
 * planWorkflowText(plan, ctx);      // the <Workflow Settings> text for 12292
 * planStacks(plan, ctx).length;     // 2 (laser 2, then laser 4)
 * planFrames(plan, ctx)[200];       // { channel: 3, zIndex: 0, zMm: 18, stackIndex: 1, ... }
 */

import type { AcquisitionPlan, IlluminationSide } from './connector.ts';
import { tileFieldOfView } from './protocol/tile-geometry.ts';
import { expandWorkflow } from './protocol/workflow-stacks.ts';
import { buildWorkflowText, defaultWorkflowSettings, type WorkflowSettings } from './protocol/workflow.ts';

/** What the plan needs to know about the microscope. */
export interface PlanContext {
  /** Pixel size at the sample (µm) the server tiles with (CAMERA_PIXEL_FIELD_OF_VIEW_GET, else optics). */
  pixelSizeUm: number;
  /** Camera ROI the workflow runs with (the live ROI, not the file's AOI keys). */
  roiWidth: number;
  roiHeight: number;
  /** Laser wavelengths by laser index; the default workflow labels (405/488/561/640 nm) otherwise. */
  lasers?: ReadonlyArray<{ index: number; wavelengthNm: number }>;
  /** Stage angle used when the plan gives none (degrees; default 0). */
  rDeg?: number;
  /** Server-side saving (default `NotSaved`: the connector receives every plane on the live port). */
  saveImageData?: 'NotSaved' | 'Tiff' | 'BigTiff' | 'Raw';
  /** Server path to save under when saving (default: the workflow default drive). */
  saveImageDrive?: string;
}

/** A channel of the plan: one laser on one side, in the server's order (left lasers ascending, then right). */
export interface PlanChannel {
  /** Channel id: left laser − 1, right laser + 3 (spec §8.9). */
  channel: number;
  /** Position in this list (the session's c index). */
  channelIndex: number;
  laser: number;
  side: IlluminationSide;
  wavelengthNm: number | null;
  powerPercent: number;
}

/** One stack the server acquires, in acquisition order. */
export interface PlannedStack {
  stackIndex: number;
  timepoint: number;
  tileIndex: number;
  /** Tile centre (stage X/Y of every plane of this stack). */
  xMm: number;
  yMm: number;
  rDeg: number;
  side: IlluminationSide;
  laser: number;
  channel: number;
  channelIndex: number;
  wavelengthNm: number | null;
  /** Frames in this stack (planes). */
  planes: number;
  zStartMm: number;
  zEndMm: number;
  /** Running number (within the acquisition) of this stack's plane 0. */
  firstFrame: number;
}

/** One frame the server should send, with everything the connector assigns to it. */
export interface PlannedFrame {
  frameNumber: number;
  stackIndex: number;
  timepoint: number;
  tileIndex: number;
  channel: number;
  channelIndex: number;
  laser: number;
  wavelengthNm: number | null;
  side: IlluminationSide;
  zIndex: number;
  zCount: number;
  xMm: number;
  yMm: number;
  zMm: number;
  rDeg: number;
}

export const DEFAULT_FRAME_RATE = 40;
export const DEFAULT_EXPOSURE_US = 10_000;
const MAX_LASER = 4;
const SIDE_ORDER: readonly IlluminationSide[] = ['left', 'right'];

const fmt = (n: number): string => String(Number(n.toFixed(6)));

/** Reasons the plan cannot be turned into a workflow; empty when it can. */
export function validatePlan(plan: AcquisitionPlan): string[] {
  const reasons: string[] = [];
  const finite = (name: string, v: number | undefined): boolean => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      reasons.push(`${name} must be a finite number, got ${String(v)}.`);
      return false;
    }
    return true;
  };
  if (plan.kind !== 'zstack' && plan.kind !== 'tile') reasons.push(`Plan kind must be 'zstack' or 'tile', got '${String(plan.kind)}'.`);
  finite('Start Z', plan.zStartMm);
  finite('End Z', plan.zEndMm);
  finite('X', plan.xMm);
  finite('Y', plan.yMm);
  if (plan.rDeg !== undefined) finite('R', plan.rDeg);
  if (!Number.isInteger(plan.planes) || plan.planes < 1) reasons.push(`Planes must be a whole number of at least 1, got ${String(plan.planes)}.`);
  if (finite('Z step', plan.stepUm) && plan.stepUm <= 0) reasons.push(`Z step must be positive, got ${plan.stepUm} µm.`);
  if (plan.frameRate !== undefined && finite('Frame rate', plan.frameRate) && plan.frameRate <= 0) {
    reasons.push(`Frame rate must be positive, got ${plan.frameRate} f/s.`);
  }
  if (plan.exposureUs !== undefined && finite('Exposure', plan.exposureUs) && plan.exposureUs <= 0) {
    reasons.push(`Exposure must be positive, got ${plan.exposureUs} µs.`);
  }
  if (plan.lasers.length === 0) reasons.push('The plan enables no laser.');
  const seenLasers = new Set<number>();
  for (const l of plan.lasers) {
    if (!Number.isInteger(l.laser) || l.laser < 1 || l.laser > MAX_LASER) {
      reasons.push(`Laser index must be 1–${MAX_LASER}, got ${String(l.laser)}.`);
    } else if (seenLasers.has(l.laser)) {
      reasons.push(`Laser ${l.laser} is listed twice.`);
    }
    seenLasers.add(l.laser);
    if (!Number.isFinite(l.powerPercent) || l.powerPercent < 0 || l.powerPercent > 100) {
      reasons.push(`Laser ${l.laser} power must be 0–100 %, got ${String(l.powerPercent)}.`);
    }
  }
  if (plan.sides.length === 0) reasons.push('The plan enables no illumination side.');
  const seenSides = new Set<string>();
  for (const side of plan.sides) {
    if (side !== 'left' && side !== 'right') reasons.push(`Side must be 'left' or 'right', got '${String(side)}'.`);
    else if (seenSides.has(side)) reasons.push(`Side '${side}' is listed twice.`);
    seenSides.add(side);
  }
  if (plan.kind === 'tile') {
    finite('End X of the tile scan', plan.xEndMm);
    finite('End Y of the tile scan', plan.yEndMm);
    if (plan.overlapPercent !== undefined) finite('Tile overlap', plan.overlapPercent);
  }
  if (plan.roi !== undefined) {
    for (const [name, v] of [['ROI width', plan.roi.width], ['ROI height', plan.roi.height]] as const) {
      if (!Number.isInteger(v) || v < 1) reasons.push(`${name} must be a whole number of pixels, got ${String(v)}.`);
    }
  }
  return reasons;
}

function wavelengthFor(
  laser: number,
  lasers: PlanContext['lasers'],
  labels: ReadonlyMap<number, string>,
): number | null {
  const known = lasers?.find((l) => l.index === laser);
  if (known) return known.wavelengthNm;
  const m = /(\d{3,4})\s*nm/.exec(labels.get(laser) ?? '');
  return m ? Number(m[1]) : null;
}

function defaultLaserLabels(): Map<number, string> {
  return new Map(defaultWorkflowSettings().lasers.map((l) => [l.index, l.label]));
}

/** Laser wavelengths named by the default workflow labels (`Laser 2 2: 488 nm MLE` → 488). */
export function defaultLaserLines(): Array<{ index: number; wavelengthNm: number }> {
  const out: Array<{ index: number; wavelengthNm: number }> = [];
  for (const [index, label] of defaultLaserLabels()) {
    const m = /(\d{3,4})\s*nm/.exec(label);
    if (m) out.push({ index, wavelengthNm: Number(m[1]) });
  }
  return out;
}

/** The plan's channels in acquisition order: sides left then right, lasers ascending. */
export function planChannels(plan: AcquisitionPlan, ctx: Pick<PlanContext, 'lasers'> = {}): PlanChannel[] {
  const labels = defaultLaserLabels();
  const lasers = [...plan.lasers].sort((a, b) => a.laser - b.laser);
  const out: PlanChannel[] = [];
  for (const side of SIDE_ORDER) {
    if (!plan.sides.includes(side)) continue;
    for (const l of lasers) {
      out.push({
        channel: side === 'left' ? l.laser - 1 : l.laser + 3,
        channelIndex: out.length,
        laser: l.laser,
        side,
        wavelengthNm: wavelengthFor(l.laser, ctx.lasers, labels),
        powerPercent: l.powerPercent,
      });
    }
  }
  return out;
}

/** A single folder name for the server (it creates one level only, spec §8.2). */
export function saveDirectoryName(sample: string | undefined): string {
  const cleaned = (sample ?? '').replace(/[/\\:*?"<>|\s]+/g, '_').replace(/^[._]+|_+$/g, '');
  return cleaned === '' ? 'flamingo_viv' : cleaned;
}

function clampVelocity(v: number): number {
  return Math.min(1, Math.max(0.001, v));
}

/**
 * The workflow for this plan: `ZStack` (or `Tile` with the overlap in both option
 * settings), every plane streamed on the live port (`Work flow live view enabled`),
 * no MIP frames, one stack per laser per side, the ROI in the AOI keys (informational).
 * Throws when `validatePlan` finds a problem.
 */
export function planWorkflowSettings(plan: AcquisitionPlan, ctx: PlanContext): WorkflowSettings {
  const reasons = validatePlan(plan);
  if (reasons.length > 0) throw new Error(`The acquisition plan is not valid: ${reasons.join(' ')}`);
  const s = defaultWorkflowSettings();
  const rate = plan.frameRate ?? DEFAULT_FRAME_RATE;
  const exposure = Math.round(plan.exposureUs ?? DEFAULT_EXPOSURE_US);
  const rDeg = plan.rDeg ?? ctx.rDeg ?? 0;
  const roiWidth = plan.roi?.width ?? ctx.roiWidth;
  const roiHeight = plan.roi?.height ?? ctx.roiHeight;

  s.experiment.planeSpacingUm = plan.stepUm;
  s.experiment.frameRate = rate;
  s.experiment.exposureUs = exposure;
  s.experiment.sample = (plan.sampleName ?? '').replace(/[\r\n]+/g, ' ');
  s.experiment.comments = (plan.comments ?? '').replace(/[\r\n]+/g, ' ');
  s.experiment.saveImageData = ctx.saveImageData ?? 'NotSaved';
  if (ctx.saveImageDrive !== undefined) s.experiment.saveImageDrive = ctx.saveImageDrive;
  s.experiment.saveImageDirectory = saveDirectoryName(plan.sampleName);
  s.experiment.saveMaxProjection = false;
  s.experiment.displayMaxProjection = false;
  s.experiment.liveViewEnabled = true;

  s.camera = { exposureUs: exposure, frameRate: rate, aoiWidth: roiWidth, aoiHeight: roiHeight };

  s.stack.changeInZMm = Math.abs(plan.zEndMm - plan.zStartMm);
  s.stack.planes = plan.planes;
  s.stack.zVelocityMmS = clampVelocity((plan.stepUm / 1000) * rate);
  s.stack.autoUpdate = true;
  s.stack.stackOption = plan.kind === 'tile' ? 'Tile' : 'ZStack';
  const overlap = plan.kind === 'tile' ? Math.min(50, Math.max(0, plan.overlapPercent ?? 10)) : 0;
  s.stack.stackOptionSettings1 = overlap;
  s.stack.stackOptionSettings2 = overlap;

  s.start = { xMm: plan.xMm, yMm: plan.yMm, zMm: plan.zStartMm, angleDeg: rDeg };
  s.end =
    plan.kind === 'tile'
      ? { xMm: plan.xEndMm ?? plan.xMm, yMm: plan.yEndMm ?? plan.yMm, zMm: plan.zEndMm, angleDeg: rDeg }
      : { xMm: plan.xMm, yMm: plan.yMm, zMm: plan.zEndMm, angleDeg: rDeg };

  for (const l of s.lasers) {
    const wanted = plan.lasers.find((p) => p.laser === l.index);
    l.powerPercent = wanted?.powerPercent ?? 0;
    l.on = wanted !== undefined;
  }
  s.led = { ...s.led, rgbBoardPercent: 0, rgbBoardOn: false };
  s.leftPath = plan.sides.includes('left');
  s.rightPath = plan.sides.includes('right');
  s.multipleLasersOn = false;
  return s;
}

/** The workflow text for CAMERA_WORK_FLOW_START (LF, no final newline). */
export function planWorkflowText(plan: AcquisitionPlan, ctx: PlanContext): string {
  return buildWorkflowText(planWorkflowSettings(plan, ctx));
}

/** The field of view the server tiles with for this plan (mm, axes swapped as the server does). */
export function planFieldOfView(plan: AcquisitionPlan, ctx: PlanContext): { xMm: number; yMm: number } {
  return tileFieldOfView(plan.roi?.width ?? ctx.roiWidth, plan.roi?.height ?? ctx.roiHeight, ctx.pixelSizeUm / 1000);
}

/** Every stack of the plan in the server's loop order: time point, tile, side, laser. */
export function planStacks(plan: AcquisitionPlan, ctx: PlanContext): PlannedStack[] {
  const settings = planWorkflowSettings(plan, ctx);
  const specs = expandWorkflow(settings, planFieldOfView(plan, ctx));
  const channels = planChannels(plan, ctx);
  let firstFrame = 0;
  return specs.map((spec) => {
    const laser = spec.lasers[0] ?? 0;
    const ch = channels.find((c) => c.channel === spec.channel);
    const stack: PlannedStack = {
      stackIndex: spec.stackIndex,
      timepoint: spec.timepoint,
      tileIndex: spec.tileIndex,
      xMm: spec.tile.xMm,
      yMm: spec.tile.yMm,
      rDeg: settings.start.angleDeg,
      side: spec.side,
      laser,
      channel: spec.channel,
      channelIndex: ch?.channelIndex ?? 0,
      wavelengthNm: ch?.wavelengthNm ?? null,
      planes: spec.planes,
      zStartMm: spec.zStartMm,
      zEndMm: spec.zEndMm,
      firstFrame,
    };
    firstFrame += spec.planes;
    return stack;
  });
}

/**
 * Z of plane `zIndex` of `planes`, interpolated from Start Z (plane 0) to End Z (the
 * last plane); a single plane sits at Start Z.
 */
export function planeZ(zStartMm: number, zEndMm: number, planes: number, zIndex: number): number {
  if (planes <= 1) return zStartMm;
  return zStartMm + (zIndex / (planes - 1)) * (zEndMm - zStartMm);
}

/** One planned frame of a stack. */
export function plannedFrame(stack: PlannedStack, zIndex: number): PlannedFrame {
  return {
    frameNumber: stack.firstFrame + zIndex,
    stackIndex: stack.stackIndex,
    timepoint: stack.timepoint,
    tileIndex: stack.tileIndex,
    channel: stack.channel,
    channelIndex: stack.channelIndex,
    laser: stack.laser,
    wavelengthNm: stack.wavelengthNm,
    side: stack.side,
    zIndex,
    zCount: stack.planes,
    xMm: stack.xMm,
    yMm: stack.yMm,
    zMm: planeZ(stack.zStartMm, stack.zEndMm, stack.planes, zIndex),
    rDeg: stack.rDeg,
  };
}

/** Every frame the plan expects, in arrival order. */
export function planFrames(plan: AcquisitionPlan, ctx: PlanContext): PlannedFrame[] {
  const out: PlannedFrame[] = [];
  for (const stack of planStacks(plan, ctx)) {
    for (let z = 0; z < stack.planes; z++) out.push(plannedFrame(stack, z));
  }
  return out;
}

/** Total planned frames (planes over every stack). */
export function planFrameCount(stacks: readonly PlannedStack[]): number {
  return stacks.reduce((n, s) => n + s.planes, 0);
}

/** One line describing a stack, for notes and logs. */
export function describeStack(stack: PlannedStack): string {
  return (
    `stack ${stack.stackIndex} (laser ${stack.laser}, channel ${stack.channel}, ${stack.side}, ` +
    `tile ${stack.tileIndex} at X ${fmt(stack.xMm)} Y ${fmt(stack.yMm)})`
  );
}
