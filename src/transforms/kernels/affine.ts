/**
 * Affine resampling, bit-exact with scipy.ndimage.affine_transform for order 0 and 1 with a
 * constant boundary (specs/benchmark.md §5.5–§5.9): output voxel o samples the input at
 * M·o + offset, coordinates accumulated in double in the parity profile's order; a coordinate
 * outside [0, n−1] on any axis gives cval; order 1 sums the 8 corners in C order.
 *
 * This module holds the shared logic (row setup, runs, tiling); the per-voxel loops, one copy per
 * voxel type, are in affine-rows.ts, chosen once per call.
 *
 * @example
 * affineResample(input, out, [50, 50, 50], m, [0, 0, 0], 1, 0, 'scipy-1.17', 0, 50);
 */
import type { ParityProfile, Shape3, Volume, VoxelArray } from '../types.ts';
import { affineRowsFor } from './affine-rows.ts';
import type { AffineGeometry, PlaneTaps } from './affine-rows.ts';
import { maxOf, toVoxel } from './convert.ts';

/** Output planes per cache tile. */
const TILE = 16;

/**
 * Resamples output planes [zStart, zEnd) of an output of shape `outShape` into `out`.
 * `matrix` is 9 numbers row-major (output → input).
 */
export function affineResample<T extends VoxelArray>(
  input: Volume<T>,
  out: T,
  outShape: Shape3,
  matrix: readonly number[],
  offset: Shape3,
  order: 0 | 1,
  cval: number,
  parity: ParityProfile,
  zStart: number,
  zEnd: number,
): void {
  const src = input.data;
  const fill = toVoxel(cval, maxOf(src));
  const m = Float64Array.from(matrix);
  const [n0, n1, n2] = input.shape;
  const [, ny, nx] = outShape;
  const m02 = m[2]!, m12 = m[5]!, m22 = m[8]!;
  const offsetLast = parity === 'scipy-1.10';
  // Profile scipy-1.17 starts each coordinate from the offset; scipy-1.10 adds it after the x term.
  const h0 = offsetLast ? 0 : offset[0], h1 = offsetLast ? 0 : offset[1], h2 = offsetLast ? 0 : offset[2];
  const g: AffineGeometry = {
    m02, m12, m22,
    g0: offsetLast ? offset[0] : 0, g1: offsetLast ? offset[1] : 0, g2: offsetLast ? offset[2] : 0,
    s0: n1 * n2, n2,
    e0: n0 - 1, e1: n1 - 1, e2: n2 - 1,
    // At c = n − 1 exactly the second neighbour is outside with weight 0; scipy reads the mirrored n − 2.
    last0: n0 >= 2 ? n0 - 2 : 0, last1: n1 >= 2 ? n1 - 2 : 0, last2: n2 >= 2 ? n2 - 2 : 0,
  };
  const rows = affineRowsFor(src);
  const m00 = m[0]!, m01 = m[1]!, m10 = m[3]!, m11 = m[4]!, m20 = m[6]!, m21 = m[7]!;
  const { g0, g1, g2, e0, e1, e2 } = g;
  const inside02 = (b0: number, b2: number, o2: number): boolean => {
    const c0 = b0 + o2 * m02 + g0, c2 = b2 + o2 * m22 + g2;
    return !(c0 < 0 || c0 > e0 || c2 < 0 || c2 > e2);
  };
  const inside = (b0: number, b1: number, b2: number, o2: number): boolean => {
    const c1 = b1 + o2 * m12 + g1;
    return !(c1 < 0 || c1 > e1) && inside02(b0, b2, o2);
  };
  // The input y coordinate does not change along a row when m12 is 0 (b1 + o2·0 is b1 exactly):
  // its index and weights are hoisted out of the row.
  const rowConst1 = m12 === 0;
  // When z and x do not depend on the output y either (m01 = m21 = 0, rotations about y), the
  // run of x inside the volume is the same for every row of an output plane: found once per plane.
  const planeRuns = rowConst1 && m01 === 0 && m21 === 0;
  const planes = planeRuns ? zEnd - zStart : 0;
  const runLo = new Int32Array(planes);
  const runHi = new Int32Array(planes);
  for (let k = 0; k < planes; k++) {
    const o0 = zStart + k;
    const b0 = h0 + o0 * m00, b2 = h2 + o0 * m20;
    let lo = 0;
    while (lo < nx && !inside02(b0, b2, lo)) lo++;
    let hi = nx;
    while (hi > lo && !inside02(b0, b2, hi - 1)) hi--;
    runLo[k] = lo;
    runHi[k] = hi;
  }
  // With plane runs, order 1 on an integer type: z and x taps per output voxel of a plane, shared by its rows.
  const taps = planeRuns && order === 1 && rows.linearOnY ? planeTaps(g, h0, h2, m00, m20, zStart, runLo, runHi, nx) : null;
  const tile = tileFor(m10, m12, zEnd - zStart);
  for (let t0 = zStart; t0 < zEnd; t0 += tile) {
    const t1 = Math.min(zEnd, t0 + tile);
    for (let o1 = 0; o1 < ny; o1++) {
      for (let o0 = t0; o0 < t1; o0++) {
        const row = (o0 * ny + o1) * nx;
        // Everything but the x term, in the profile's order.
        const b0 = h0 + o0 * m00 + o1 * m01;
        const b1 = h1 + o0 * m10 + o1 * m11;
        const b2 = h2 + o0 * m20 + o1 * m21;
        // Each coordinate is a monotone function of o2 (every rounding step is monotone), so the
        // voxels inside the volume form one run [lo, hi); outside it the output is cval.
        let lo = 0, hi = nx;
        if (planeRuns) {
          const c1 = b1 + g1;
          if (c1 < 0 || c1 > e1) hi = 0;
          else {
            lo = runLo[o0 - zStart]!;
            hi = runHi[o0 - zStart]!;
          }
        } else {
          while (lo < nx && !inside(b0, b1, b2, lo)) lo++;
          while (hi > lo && !inside(b0, b1, b2, hi - 1)) hi--;
        }
        if (lo >= hi) {
          out.fill(fill, row, row + nx);
          continue;
        }
        if (lo > 0) out.fill(fill, row, row + lo);
        if (hi < nx) out.fill(fill, row + hi, row + nx);
        if (!rowConst1) {
          if (order === 0) rows.nearest(src, out, g, b0, b1, b2, row + lo, lo, hi);
          else rows.linear(src, out, g, b0, b1, b2, row + lo, lo, hi);
          continue;
        }
        const c1 = b1 + g1;
        if (order === 0) {
          rows.nearestY(src, out, g, b0, b2, ((c1 + 0.5) | 0) * n2, row + lo, lo, hi);
          continue;
        }
        const i1 = c1 | 0; // c1 ∈ [0, n1 − 1] inside the run: truncation is floor
        const a1 = 1 - (c1 - i1);
        const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : g.last1) * n2;
        if (a1 === 1 && taps && rows.linearOnY) rows.linearOnY(src, out, taps, (o0 - zStart) * nx, p1, row + lo, lo, hi);
        else rows.linearY(src, out, g, b0, b2, p1, q1, a1, 1 - a1, row + lo, lo, hi);
      }
    }
  }
}

/**
 * The z and x taps (PlaneTaps) of the runs [runLo, runHi) of output planes zStart…, computed as
 * the row loops compute them: c = (b + o2·m) + g, truncation as floor inside the run, a = 1 − (c − i).
 */
function planeTaps(g: AffineGeometry, h0: number, h2: number, m00: number, m20: number, zStart: number, runLo: Int32Array, runHi: Int32Array, nx: number): PlaneTaps {
  const n = runLo.length * nx;
  const taps: PlaneTaps = { base: new Int32Array(n), dz: new Int32Array(n), dx: new Int32Array(n), w: new Float64Array(2 * n) };
  const { base, dz, dx, w } = taps;
  const { m02, m22, g0, g2, s0, e0, e2, last0, last2 } = g;
  for (let k = 0; k < runLo.length; k++) {
    const o0 = zStart + k;
    const b0 = h0 + o0 * m00, b2 = h2 + o0 * m20;
    for (let o2 = runLo[k]!, j = k * nx + o2; o2 < runHi[k]!; o2++, j++) {
      const c0 = b0 + o2 * m02 + g0, c2 = b2 + o2 * m22 + g2;
      const i0 = c0 | 0, i2 = c2 | 0;
      base[j] = i0 * s0 + i2;
      dz[j] = ((i0 < e0 ? i0 + 1 : last0) - i0) * s0;
      dx[j] = (i2 < e2 ? i2 + 1 : last2) - i2;
      w[2 * j] = 1 - (c0 - i0);
      w[2 * j + 1] = 1 - (c2 - i2);
    }
  }
  return taps;
}

/**
 * Output planes per cache tile. Rows outermost inside a tile: rows of neighbouring planes read
 * neighbouring input voxels, so the input lines stay in cache (rotations about y by 90° walk the
 * input along z for each output row). When the input y coordinate depends on the output y alone
 * (rotations about y), an output y reads one input xz slice (n0·n2 voxels, in cache), so the
 * whole slab is one tile and each slice is read once.
 */
function tileFor(m10: number, m12: number, planes: number): number {
  return m10 === 0 && m12 === 0 ? Math.max(1, planes) : TILE;
}
