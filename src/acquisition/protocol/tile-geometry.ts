/**
 * The server's tile grid for `Stack option = Tile` (spec §8.5): Start and End X/Y are
 * the centres of the corner tiles, the grid is centred on the region they span and
 * visited from the high corner downward, Y outer and X inner. The arithmetic follows
 * the server's own (plain `ceil`, positions by repeated subtraction of the step), so
 * counts and centres agree with what the microscope images, including its asymmetry.
 *
 * @example
 * const fov = tileFieldOfView(2048, 2048, 0.0010475);             // { xMm: 2.1452…, yMm: 2.1452… }
 * tileCenters(5, 8, 2.1454, 10);                                   // [8.3236…, 6.3927…, 4.4619…]
 * tileGrid({ xStartMm: 5, xEndMm: 8, yStartMm: 10, yEndMm: 12,
 *   fovXMm: 2.1454, fovYMm: 2.1454, overlapXPercent: 10, overlapYPercent: 10 }).length; // 9
 */

import { ProtocolError } from './errors.ts';

/** Tile overlap limits of the server (percent). */
export const TILE_OVERLAP_MIN_PERCENT = 0;
export const TILE_OVERLAP_MAX_PERCENT = 50;

function clampOverlap(overlapPercent: number): number {
  if (!Number.isFinite(overlapPercent)) {
    throw new ProtocolError('bad-field', `Tile overlap must be a finite percentage, got ${String(overlapPercent)}.`);
  }
  return Math.min(TILE_OVERLAP_MAX_PERCENT, Math.max(TILE_OVERLAP_MIN_PERCENT, overlapPercent));
}

/**
 * Tile centres along one axis, descending from the high corner. `start` and `end` are
 * corner-tile centres (either order), `fovMm` the field of view along this axis, and
 * the overlap is clamped to 0–50 %. `start === end` gives exactly one tile at `start`.
 */
export function tileCenters(start: number, end: number, fovMm: number, overlapPercent: number): number[] {
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new ProtocolError('bad-field', `Tile start and end must be finite, got ${String(start)} and ${String(end)}.`);
  }
  if (!Number.isFinite(fovMm) || fovMm <= 0) {
    throw new ProtocolError('bad-field', `Tile field of view must be a positive number of mm, got ${String(fovMm)}.`);
  }
  const overlap = clampOverlap(overlapPercent);
  const half = fovMm / 2;
  const hi = Math.max(start, end) + half;
  const lo = Math.min(start, end) - half;
  const region = hi - lo;
  let step = (fovMm * (100 - overlap)) / 100;
  let count: number;
  if (start === end) {
    count = 1;
    step = fovMm;
  } else {
    count = Math.max(1, Math.ceil(region / step));
  }
  // With start = end the formula gives start up to rounding; return it exactly.
  const first = start === end ? start : hi + (count * step - region) / 2 - half;
  const centres: number[] = [];
  let c = first;
  for (let i = 0; i < count; i++) {
    centres.push(c);
    c -= step;
  }
  return centres;
}

/** The full grid in the server's visiting order: Y outer, X inner, both descending. */
export function tileGrid(o: {
  xStartMm: number;
  xEndMm: number;
  yStartMm: number;
  yEndMm: number;
  fovXMm: number;
  fovYMm: number;
  overlapXPercent: number;
  overlapYPercent: number;
}): Array<{ xMm: number; yMm: number }> {
  const xs = tileCenters(o.xStartMm, o.xEndMm, o.fovXMm, o.overlapXPercent);
  const ys = tileCenters(o.yStartMm, o.yEndMm, o.fovYMm, o.overlapYPercent);
  const grid: Array<{ xMm: number; yMm: number }> = [];
  for (const yMm of ys) for (const xMm of xs) grid.push({ xMm, yMm });
  return grid;
}

/**
 * The field of view the server tiles with, from the live camera ROI. The server swaps
 * the axes: X comes from the ROI height and Y from the ROI width (spec §8.5 rule 6).
 */
export function tileFieldOfView(roiWidthPx: number, roiHeightPx: number, mmPerPixel: number): { xMm: number; yMm: number } {
  return { xMm: roiHeightPx * mmPerPixel, yMm: roiWidthPx * mmPerPixel };
}
