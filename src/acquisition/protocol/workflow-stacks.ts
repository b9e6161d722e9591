/**
 * A workflow expanded into its stacks in the server's loop order (spec §8.8, §8.9):
 * time point, then tile, then side (left before right), then laser (ascending). With
 * `multipleLasersOn` the laser loop collapses into one stack with every enabled laser.
 * And the checks the server makes before it runs a workflow (§8.5, §8.8 row 2).
 *
 * @example
 * const fov = tileFieldOfView(2048, 2048, 0.0010475);
 * const reasons = validateWorkflow(settings, scope.hardLimits, fov);
 * if (reasons.length === 0) for (const st of expandWorkflow(settings, fov)) plan(st);
 */

import type { StageLimitsLike } from './scope-settings.ts';
import { tileGrid } from './tile-geometry.ts';
import { timePoints } from './workflow.ts';
import type { StackOption, WorkflowSettings } from './workflow.ts';

export interface StackSpec {
  /** 0-based index within the whole run. */
  stackIndex: number;
  /** 0-based time point. */
  timepoint: number;
  /** 0-based tile index in the server's visiting order (0 for a single position). */
  tileIndex: number;
  tile: { xMm: number; yMm: number };
  side: 'left' | 'right';
  /** One laser, or every enabled laser when `multipleLasersOn`. Ascending. */
  lasers: number[];
  /** left: laser − 1, right: laser + 3 (of the first laser). */
  channel: number;
  /** Frames in this stack. */
  planes: number;
  zStartMm: number;
  zEndMm: number;
}

/** The stack options the server (and the simulator) runs (spec §8.3). */
export const SUPPORTED_STACK_OPTIONS: readonly StackOption[] = ['ZStack', 'Tile', 'Snapshot', 'None', ''];

/** Z velocity range the server accepts (mm/s, spec §8.4). */
export const Z_VELOCITY_MIN_MM_S = 0.001;
export const Z_VELOCITY_MAX_MM_S = 1.0;

function isSinglePlane(option: StackOption): boolean {
  return option === 'Snapshot' || option === 'None' || option === '';
}

/** Enabled laser indices, ascending. */
export function enabledLasers(s: WorkflowSettings): number[] {
  return s.lasers
    .filter((l) => l.on)
    .map((l) => l.index)
    .sort((a, b) => a - b);
}

/** Tile centres the server visits: the Tile grid, or the start X/Y for every other option. */
export function workflowTiles(s: WorkflowSettings, fov: { xMm: number; yMm: number }): Array<{ xMm: number; yMm: number }> {
  if (s.stack.stackOption !== 'Tile') return [{ xMm: s.start.xMm, yMm: s.start.yMm }];
  return tileGrid({
    xStartMm: s.start.xMm,
    xEndMm: s.end.xMm,
    yStartMm: s.start.yMm,
    yEndMm: s.end.yMm,
    fovXMm: fov.xMm,
    fovYMm: fov.yMm,
    overlapXPercent: s.stack.stackOptionSettings1,
    overlapYPercent: s.stack.stackOptionSettings2,
  });
}

/**
 * Every stack of the run, in acquisition order. Tile uses `tileGrid` with the overlaps
 * from `Stack option settings 1/2` and `fov` (from `tileFieldOfView`); every other
 * option is one tile at the start X/Y. Snapshot and None take one plane at Start Z;
 * the others sweep `Number of planes` from Start Z to End Z. No enabled laser or no
 * side gives no stacks. Options the server does not run (`validateWorkflow` says so)
 * are expanded like ZStack.
 */
export function expandWorkflow(s: WorkflowSettings, fov: { xMm: number; yMm: number }): StackSpec[] {
  const lasers = enabledLasers(s);
  const sides: Array<'left' | 'right'> = [];
  if (s.leftPath) sides.push('left');
  if (s.rightPath) sides.push('right');
  if (lasers.length === 0 || sides.length === 0) return [];
  const groups = s.multipleLasersOn ? [lasers] : lasers.map((l) => [l]);
  const single = isSinglePlane(s.stack.stackOption);
  const planes = single ? 1 : s.stack.planes;
  const zStartMm = s.start.zMm;
  const zEndMm = single ? s.start.zMm : s.end.zMm;
  const tiles = workflowTiles(s, fov);
  const count = timePoints(s);
  const stacks: StackSpec[] = [];
  for (let timepoint = 0; timepoint < count; timepoint++) {
    tiles.forEach((tile, tileIndex) => {
      for (const side of sides) {
        for (const group of groups) {
          const first = group[0] ?? 0;
          stacks.push({
            stackIndex: stacks.length,
            timepoint,
            tileIndex,
            tile: { xMm: tile.xMm, yMm: tile.yMm },
            side,
            lasers: [...group],
            channel: side === 'left' ? first - 1 : first + 3,
            planes,
            zStartMm,
            zEndMm,
          });
        }
      }
    });
  }
  return stacks;
}

function finiteNumbers(s: WorkflowSettings): string[] {
  const bad: string[] = [];
  const check = (name: string, v: number | null): void => {
    if (v !== null && !Number.isFinite(v)) bad.push(name);
  };
  const e = s.experiment;
  check('plane spacing', e.planeSpacingUm);
  check('frame rate', e.frameRate);
  check('exposure time', e.exposureUs);
  check('camera exposure time', s.camera.exposureUs);
  check('camera frame rate', s.camera.frameRate);
  check('AOI width', s.camera.aoiWidth);
  check('AOI height', s.camera.aoiHeight);
  const st = s.stack;
  check('change in Z', st.changeInZMm);
  check('number of planes', st.planes);
  check('Z stage velocity', st.zVelocityMmS);
  check('rotational stage velocity', st.rotationalVelocityDegS);
  check('camera 1 capture percentage', st.camera1CapturePercentage);
  check('camera 1 capture mode', st.camera1CaptureMode);
  check('camera 2 capture percentage', st.camera2CapturePercentage);
  check('camera 2 capture mode', st.camera2CaptureMode);
  check('stack option settings 1', st.stackOptionSettings1);
  check('stack option settings 2', st.stackOptionSettings2);
  for (const [name, p] of [['start', s.start], ['end', s.end]] as const) {
    check(`${name} X`, p.xMm);
    check(`${name} Y`, p.yMm);
    check(`${name} Z`, p.zMm);
    check(`${name} angle`, p.angleDeg);
  }
  for (const l of s.lasers) check(`laser ${l.index} power`, l.powerPercent);
  check('LED power', s.led.rgbBoardPercent);
  check('LED selection', s.led.selection);
  check('LED DAC', s.led.dac);
  return bad.length === 0 ? [] : [`These values are not finite numbers: ${bad.join(', ')}.`];
}

const fmt = (n: number): string => String(Number(n.toFixed(6)));

/**
 * The reasons the server would refuse this workflow (it then stays idle and sends
 * nothing, spec §8.8 row 2); empty when it would run. Checks: lasers listed and at least
 * one enabled, a side enabled, a supported stack option (ZStack, Tile, Snapshot, None),
 * finite numbers, at least one whole plane, readable time values, a Z velocity the
 * server can use (written, or step × rate when auto-update recomputes it), and every
 * tile centre inside the hard X/Y limits.
 */
export function validateWorkflow(s: WorkflowSettings, hardLimits: StageLimitsLike, fov: { xMm: number; yMm: number }): string[] {
  const reasons: string[] = [];
  if (s.lasers.length === 0) reasons.push('The workflow lists no lasers.');
  else if (!s.lasers.some((l) => l.on)) reasons.push('No laser is enabled.');
  if (!s.leftPath && !s.rightPath) reasons.push('Neither the left nor the right illumination path is on.');
  const option = s.stack.stackOption;
  const supported = SUPPORTED_STACK_OPTIONS.includes(option);
  if (!supported) reasons.push(`Stack option '${option}' is not supported (only ZStack, Tile, Snapshot and None are).`);

  const notFinite = finiteNumbers(s);
  reasons.push(...notFinite);

  const planes = s.stack.planes;
  if (Number.isFinite(planes) && (planes < 1 || !Number.isInteger(planes))) {
    reasons.push(`Number of planes must be a whole number of at least 1, got ${planes}.`);
  }

  try {
    timePoints(s);
  } catch (err) {
    reasons.push(err instanceof Error ? err.message : String(err));
  }

  if (supported && !isSinglePlane(option) && notFinite.length === 0) {
    const written = s.stack.zVelocityMmS;
    const inRange = (v: number): boolean => v >= Z_VELOCITY_MIN_MM_S && v <= Z_VELOCITY_MAX_MM_S;
    const recomputed = s.stack.autoUpdate && (written === 0 || !inRange(written));
    const velocity = recomputed ? (s.experiment.planeSpacingUm / 1000) * s.experiment.frameRate : written;
    if (!inRange(velocity)) {
      const source = recomputed
        ? `plane spacing ${fmt(s.experiment.planeSpacingUm)} µm × frame rate ${fmt(s.experiment.frameRate)} f/s`
        : 'as written, with auto update off';
      reasons.push(`Z velocity ${fmt(velocity)} mm/s (${source}) is outside ${Z_VELOCITY_MIN_MM_S}–${Z_VELOCITY_MAX_MM_S} mm/s.`);
    }
  }

  if (notFinite.length === 0) {
    let tiles: Array<{ xMm: number; yMm: number }> = [];
    try {
      tiles = workflowTiles(s, fov);
    } catch (err) {
      reasons.push(err instanceof Error ? err.message : String(err));
    }
    const outside = tiles.filter(
      (t) => t.xMm < hardLimits.x.min || t.xMm > hardLimits.x.max || t.yMm < hardLimits.y.min || t.yMm > hardLimits.y.max,
    );
    const first = outside[0];
    if (first) {
      const what = option === 'Tile' ? `${outside.length} of ${tiles.length} tile centres are` : 'The stack position is';
      reasons.push(
        `${what} outside the hard limits X ${hardLimits.x.min}–${hardLimits.x.max} mm, Y ${hardLimits.y.min}–${hardLimits.y.max} mm (e.g. X ${fmt(first.xMm)}, Y ${fmt(first.yMm)}).`,
      );
    }
  }
  return reasons;
}
