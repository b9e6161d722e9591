/**
 * Level geometry helpers for the layers (spec §7.2): foreign pyramids may reduce z, while Viv
 * passes the level-0 z index unchanged to every level, so a layer maps planes by world
 * coordinate instead.
 *
 * @example
 * const z = planeAtLevel(image.levels, zAxisOf(image.axes), 40, 2);
 */

import type { AxisDescription, LevelDescription } from './description.ts';

/** Index of the axis named `z`, or -1. */
export function zAxisOf(axes: readonly AxisDescription[]): number {
  return axes.findIndex((a) => a.name === 'z');
}

/**
 * The plane of level `l` whose centre is nearest level-0 plane `z0`:
 * `clamp(round((T0 + z0·s0 − T_l) / s_l), 0, n_l − 1)` with each level's z translation `T` and
 * scale `s`. Without a z axis, 0.
 */
export function planeAtLevel(levels: readonly LevelDescription[], zAxis: number, z0: number, l: number): number {
  const base = levels[0];
  const level = levels[l];
  if (!base || !level || zAxis < 0) return 0;
  const world = base.translation[zAxis]! + z0 * base.scale[zAxis]!;
  const z = Math.round((world - level.translation[zAxis]!) / level.scale[zAxis]!);
  return Math.min(Math.max(z, 0), level.shape[zAxis]! - 1);
}
