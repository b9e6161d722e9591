/**
 * Where frames land in the session canvas (pure, spec §3.6 and issue 3 §1): a tile's stage
 * X/Y is the centre of its field of view; frame pixel (row, col) goes to canvas (y, x) with
 * no flip; world axes follow the microscope orientation (default `+y`, `+x`). The canvas
 * covers the union of the tile footprints, and its level-0 voxel (0, 0) centre is the
 * y/x world origin written to the NGFF translation and `flamingo.world_origin_um`.
 *
 * @example
 * const canvas = canvasForTiles([{ xMm: 1, yMm: 2 }, { xMm: 1.1, yMm: 2 }], { width: 2048, height: 2048 }, { y: 0.5, x: 0.5 });
 * // canvas.shape = [2048, 2248]; canvas.originUm = [y0, x0]
 */
import type { SignedStageAxis } from '../metadata/types.ts';

export interface StageXY {
  xMm: number;
  yMm: number;
  zMm?: number;
}

export interface Orientation {
  z: SignedStageAxis;
  y: SignedStageAxis;
  x: SignedStageAxis;
}

export const DEFAULT_ORIENTATION: Orientation = { z: '+z', y: '+y', x: '+x' };

/** World coordinate (µm) along a signed stage axis for a stage pose in mm. */
export function worldAlong(axis: SignedStageAxis, stage: StageXY): number {
  const sign = axis[0] === '-' ? -1 : 1;
  const name = axis[1];
  const mm = name === 'x' ? stage.xMm : name === 'y' ? stage.yMm : (stage.zMm ?? 0);
  return sign * 1000 * mm;
}

/** World (y, x) in µm of the centre of frame pixel (0, 0) for a tile at `stage`. */
export function frameOriginUm(stage: StageXY, frame: { width: number; height: number }, voxel: { y: number; x: number }, orientation: Orientation = DEFAULT_ORIENTATION): [number, number] {
  return [
    worldAlong(orientation.y, stage) - ((frame.height - 1) / 2) * voxel.y,
    worldAlong(orientation.x, stage) - ((frame.width - 1) / 2) * voxel.x,
  ];
}

export interface Canvas {
  /** Level-0 y, x size. */
  shape: [number, number];
  /** World (y, x) µm of the centre of canvas voxel (0, 0). */
  originUm: [number, number];
}

/** The canvas covering every tile's footprint (tiles snapped to whole voxels). */
export function canvasForTiles(tiles: readonly StageXY[], frame: { width: number; height: number }, voxel: { y: number; x: number }, orientation: Orientation = DEFAULT_ORIENTATION): Canvas {
  if (tiles.length === 0) throw new RangeError('A canvas needs at least one tile position.');
  const origins = tiles.map((t) => frameOriginUm(t, frame, voxel, orientation));
  const y0 = Math.min(...origins.map((o) => o[0]));
  const x0 = Math.min(...origins.map((o) => o[1]));
  let ny = 0;
  let nx = 0;
  for (const [oy, ox] of origins) {
    ny = Math.max(ny, Math.round((oy - y0) / voxel.y) + frame.height);
    nx = Math.max(nx, Math.round((ox - x0) / voxel.x) + frame.width);
  }
  return { shape: [ny, nx], originUm: [y0, x0] };
}

/** Level-0 voxel offset (y, x) of frame pixel (0, 0) in a canvas whose voxel (0, 0) centre is `canvasOriginUm`. */
export function frameOffset(stage: StageXY, frame: { width: number; height: number }, voxel: { y: number; x: number }, canvasOriginUm: readonly [number, number], orientation: Orientation = DEFAULT_ORIENTATION): [number, number] {
  const [fy, fx] = frameOriginUm(stage, frame, voxel, orientation);
  return [Math.round((fy - canvasOriginUm[0]) / voxel.y), Math.round((fx - canvasOriginUm[1]) / voxel.x)];
}
