/**
 * Block downsampling by an integer factor (specs/benchmark.md §5.11): each axis trimmed to a
 * multiple of the factor, then each f×f×f block reduced to its mean (summed in double, divided,
 * truncated for integer types, rounded for float32) or its maximum.
 *
 * @example
 * downsampleVolume(input, out, 3, 'mean', 0, Math.floor(input.shape[0] / 3));
 */
import type { Volume, VoxelArray } from '../types.ts';

/** Computes output planes [zStart, zEnd) into `out` of shape floor(shape / factor). */
export function downsampleVolume<T extends VoxelArray>(input: Volume<T>, out: T, factor: number, reduce: 'mean' | 'max', zStart: number, zEnd: number): void {
  const src = input.data;
  const [, ny, nx] = input.shape;
  const f = factor;
  const oy = Math.floor(ny / f), ox = Math.floor(nx / f);
  const plane = ny * nx;
  const count = f * f * f;
  const rows = new Float64Array(ox); // per output x: the running reduction over the block
  const isMean = reduce === 'mean';
  for (let z = zStart; z < zEnd; z++) {
    for (let y = 0; y < oy; y++) {
      rows.fill(isMean ? 0 : -Infinity);
      for (let dz = 0; dz < f; dz++) {
        for (let dy = 0; dy < f; dy++) {
          const base = (z * f + dz) * plane + (y * f + dy) * nx;
          if (isMean && f === 3) {
            // The benchmark's factor, unrolled (sums of integers are exact in any order).
            for (let x = 0, p = base; x < ox; x++, p += 3) rows[x] = rows[x]! + (src[p]! + src[p + 1]! + src[p + 2]!);
          } else if (isMean) {
            for (let x = 0, p = base; x < ox; x++) {
              let s = rows[x]!;
              for (let dx = 0; dx < f; dx++, p++) s += src[p]!;
              rows[x] = s;
            }
          } else {
            for (let x = 0, p = base; x < ox; x++) {
              let m = rows[x]!;
              for (let dx = 0; dx < f; dx++, p++) {
                const v = src[p]!;
                if (v > m || v !== v) m = v;
              }
              rows[x] = m;
            }
          }
        }
      }
      const at = (z * oy + y) * ox;
      if (isMean) for (let x = 0; x < ox; x++) out[at + x] = rows[x]! / count;
      else for (let x = 0; x < ox; x++) out[at + x] = rows[x]!;
    }
  }
}
