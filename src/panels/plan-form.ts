/**
 * The acquisition panel's plan form as plain data: the text the user typed, turned into an
 * `AcquisitionRequest` (or the reasons it cannot be), and an estimate of the frames, time and
 * bytes the plan will take. Pure: no React, no backend.
 *
 * @example
 * const form = defaultPlanForm({ zMm: 5 });
 * const checked = checkPlanForm({ ...form, zEndMm: '5.2' });
 * if (checked.ok) estimatePlan(checked.request, { width: 2048, height: 2048 }).seconds;
 */
import type { AcquisitionRequest } from '../acquisition/live-backend.ts';
import { planesFor } from '../session/acquisition-layout.ts';

/** What the form's inputs hold (strings, as typed). */
export interface PlanFormState {
  kind: 'zstack' | 'tile';
  name: string;
  zStartMm: string;
  zEndMm: string;
  stepUm: string;
  /** Laser wavelengths (nm) ticked, in the order of the microscope's laser list. */
  lasers: number[];
  sides: Array<'left' | 'right'>;
  tilesX: string;
  tilesY: string;
  overlapPercent: string;
}

export type PlanCheck = { ok: true; request: AcquisitionRequest } | { ok: false; errors: string[] };

export interface PlanEstimate {
  planesPerStack: number;
  channels: number;
  tiles: number;
  frames: number;
  /** Camera time at `frameRate` frames/s (stage moves between stacks not included). */
  seconds: number;
  /** Uncompressed bytes of level 0 plus the xy pyramid (each level a quarter of the one above). */
  bytes: number;
}

/** The simulator's and the workflow's default camera rate (frames/s). */
export const ESTIMATE_FRAME_RATE = 40;

/** A form for a short stack starting at the stage's Z, with the first laser on the left side. */
export function defaultPlanForm(at: { zMm?: number; lasers?: readonly number[] } = {}): PlanFormState {
  const z = at.zMm ?? 0;
  const first = at.lasers?.[0];
  return {
    kind: 'zstack',
    name: '',
    zStartMm: fmt(z),
    zEndMm: fmt(z + 0.1),
    stepUm: '2',
    lasers: first === undefined ? [] : [first],
    sides: ['left'],
    tilesX: '2',
    tilesY: '2',
    overlapPercent: '10',
  };
}

function fmt(n: number): string {
  return String(Number(n.toFixed(4)));
}

function num(label: string, text: string, errors: string[], check: (n: number) => string | null): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n)) {
    errors.push(`${label} must be a number, got '${text}'.`);
    return NaN;
  }
  const why = check(n);
  if (why !== null) errors.push(`${label} ${why}, got ${n}.`);
  return n;
}

/** Planes of one stack, counted as the backends count them (`planesFor`: round(|ΔZ| / step), at least 1). */
export const planesPerStack = planesFor;

/** Checks every field; the request carries numbers in the contract's units. */
export function checkPlanForm(form: PlanFormState): PlanCheck {
  const errors: string[] = [];
  const zStartMm = num('Start Z', form.zStartMm, errors, () => null);
  const zEndMm = num('End Z', form.zEndMm, errors, () => null);
  const stepUm = num('Z step', form.stepUm, errors, (n) => (n > 0 ? null : 'must be positive'));
  if (form.lasers.length === 0) errors.push('Choose at least one laser.');
  if (form.sides.length === 0) errors.push('Choose at least one illumination side.');
  let tiles: [number, number] | undefined;
  let overlapPercent: number | undefined;
  if (form.kind === 'tile') {
    const whole = (n: number): string | null => (Number.isInteger(n) && n >= 1 ? null : 'must be a whole number of at least 1');
    const tx = num('Tiles in X', form.tilesX, errors, whole);
    const ty = num('Tiles in Y', form.tilesY, errors, whole);
    overlapPercent = num('Overlap', form.overlapPercent, errors, (n) => (n >= 0 && n <= 50 ? null : 'must be between 0 and 50 %'));
    tiles = [tx, ty];
  }
  if (errors.length === 0 && planesPerStack(zStartMm, zEndMm, stepUm) > 100_000) {
    errors.push(`The stack would have ${planesPerStack(zStartMm, zEndMm, stepUm)} planes; use a larger Z step or a shorter range.`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const request: AcquisitionRequest = {
    kind: form.kind,
    zStartMm,
    zEndMm,
    stepUm,
    lasers: [...form.lasers],
    sides: [...form.sides],
    ...(tiles !== undefined ? { tiles, overlapPercent } : {}),
    ...(form.name.trim() !== '' ? { name: form.name.trim() } : {}),
  };
  return { ok: true, request };
}

/** Frames, camera time and bytes of a request on a camera of `width × height` uint16 pixels. */
export function estimatePlan(
  request: AcquisitionRequest,
  camera: { width: number; height: number },
  frameRate = ESTIMATE_FRAME_RATE,
): PlanEstimate {
  const planes = planesPerStack(request.zStartMm, request.zEndMm, request.stepUm);
  const channels = request.lasers.length * Math.max(1, request.sides?.length ?? 1);
  const tiles = request.kind === 'tile' && request.tiles !== undefined ? request.tiles[0] * request.tiles[1] : 1;
  const frames = planes * channels * tiles;
  let perFrame = 0;
  for (let w = camera.width, h = camera.height; ; w = Math.ceil(w / 2), h = Math.ceil(h / 2)) {
    perFrame += w * h * 2;
    if (w <= 256 && h <= 256) break;
  }
  return { planesPerStack: planes, channels, tiles, frames, seconds: frames / frameRate, bytes: frames * perFrame };
}

/** `1.5 GB`, `320 MB`, `12 kB` (powers of 1000). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `45 s`, `3 min 20 s`, `1 h 5 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
