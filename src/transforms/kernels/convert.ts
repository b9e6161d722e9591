/**
 * The conversion scipy.ndimage applies to an interpolated double before storing it
 * (specs/benchmark.md §5.9): integers round half up, clamp to [0, max]; float32 rounds to nearest.
 *
 * @example
 * toVoxel(65535.7, 65535); // 65535
 * toVoxel(-3, 255);        // 0
 */

/** Largest value of an integer voxel type, or 0 for float32 (no clamp). */
export function maxOf(data: ArrayLike<number>): number {
  return data instanceof Uint8Array ? 255 : data instanceof Uint16Array ? 65535 : 0;
}

/** The stored value of `t` in an integer type with maximum `max` (or float32 when max is 0). */
export function toVoxel(t: number, max: number): number {
  if (max === 0) return Math.fround(t);
  let v = t > 0 ? t + 0.5 : 0;
  if (v > max) v = max;
  return Math.trunc(v);
}
