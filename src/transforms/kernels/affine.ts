/**
 * Affine resampling, bit-exact with scipy.ndimage.affine_transform for order 0 and 1 with a
 * constant boundary (specs/benchmark.md §5.5–§5.9): output voxel o samples the input at
 * M·o + offset, coordinates accumulated in double in the parity profile's order; a coordinate
 * outside [0, n−1] on any axis gives cval; order 1 sums the 8 corners in C order.
 *
 * @example
 * affineResample(input, out, [50, 50, 50], m, [0, 0, 0], 1, 0, 'scipy-1.17', 0, 50);
 */
import type { ParityProfile, Shape3, Volume, VoxelArray } from '../types.ts';
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
  const m = Float64Array.from(matrix);
  const max = maxOf(input.data);
  const fill = toVoxel(cval, max);
  if (order === 0) nearest(input, out, outShape, m, offset, fill, max, parity === 'scipy-1.10', zStart, zEnd);
  else linear(input, out, outShape, m, offset, fill, max, parity === 'scipy-1.10', zStart, zEnd);
}

function nearest<T extends VoxelArray>(
  input: Volume<T>, out: T, outShape: Shape3, m: Float64Array, off: Shape3, fill: number, max: number, offsetLast: boolean, zStart: number, zEnd: number,
): void {
  const src = input.data;
  const [n0, n1, n2] = input.shape;
  const e0 = n0 - 1, e1 = n1 - 1, e2 = n2 - 1;
  const s0 = n1 * n2;
  const [, ny, nx] = outShape;
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, m10 = m[3]!, m11 = m[4]!, m12 = m[5]!, m20 = m[6]!, m21 = m[7]!, m22 = m[8]!;
  const f0 = off[0], f1 = off[1], f2 = off[2];
  const integer = max !== 0;
  const coord = (b: number, o2: number, m2: number, f: number): number => (offsetLast ? b + o2 * m2 + f : b + o2 * m2);
  const inside = (b0: number, b1: number, b2: number, o2: number): boolean => {
    const c0 = coord(b0, o2, m02, f0), c1 = coord(b1, o2, m12, f1), c2 = coord(b2, o2, m22, f2);
    return !(c0 < 0 || c0 > e0 || c1 < 0 || c1 > e1 || c2 < 0 || c2 > e2);
  };
  // c1 does not change along a row when m12 is 0 (b1 + o2·0 is b1 exactly): its index is hoisted.
  const rowConst1 = m12 === 0;
  const tile = tileFor(m10, m12, zEnd - zStart);
  for (let t0 = zStart; t0 < zEnd; t0 += tile) {
    const t1 = Math.min(zEnd, t0 + tile);
    for (let o1 = 0; o1 < ny; o1++) {
      for (let o0 = t0; o0 < t1; o0++) {
        const row = (o0 * ny + o1) * nx;
        // Everything but the x term, in the profile's order.
        const b0 = offsetLast ? 0 + o0 * m00 + o1 * m01 : f0 + o0 * m00 + o1 * m01;
        const b1 = offsetLast ? 0 + o0 * m10 + o1 * m11 : f1 + o0 * m10 + o1 * m11;
        const b2 = offsetLast ? 0 + o0 * m20 + o1 * m21 : f2 + o0 * m20 + o1 * m21;
        // Each coordinate is a monotone function of o2, so the voxels inside form one run [lo, hi).
        let lo = 0;
        while (lo < nx && !inside(b0, b1, b2, lo)) lo++;
        let hi = nx;
        while (hi > lo && !inside(b0, b1, b2, hi - 1)) hi--;
        if (lo > 0) out.fill(fill, row, row + lo);
        if (hi < nx) out.fill(fill, row + hi, row + nx);
        if (rowConst1) {
          const c1 = offsetLast ? b1 + f1 : b1;
          const p1 = Math.floor(c1 + 0.5) * n2;
          for (let o2 = lo, at = row + lo; o2 < hi; o2++, at++) {
            const c0 = offsetLast ? b0 + o2 * m02 + f0 : b0 + o2 * m02;
            const c2 = offsetLast ? b2 + o2 * m22 + f2 : b2 + o2 * m22;
            const v = src[Math.floor(c0 + 0.5) * s0 + p1 + Math.floor(c2 + 0.5)]!;
            out[at] = integer ? v : Math.fround(v);
          }
          continue;
        }
        for (let o2 = lo, at = row + lo; o2 < hi; o2++, at++) {
          const c0 = offsetLast ? b0 + o2 * m02 + f0 : b0 + o2 * m02;
          const c1 = offsetLast ? b1 + o2 * m12 + f1 : b1 + o2 * m12;
          const c2 = offsetLast ? b2 + o2 * m22 + f2 : b2 + o2 * m22;
          const v = src[Math.floor(c0 + 0.5) * s0 + Math.floor(c1 + 0.5) * n2 + Math.floor(c2 + 0.5)]!;
          out[at] = integer ? v : Math.fround(v);
        }
      }
    }
  }
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

function linear<T extends VoxelArray>(
  input: Volume<T>, out: T, outShape: Shape3, m: Float64Array, off: Shape3, fill: number, max: number, offsetLast: boolean, zStart: number, zEnd: number,
): void {
  const src = input.data;
  const [n0, n1, n2] = input.shape;
  const e0 = n0 - 1, e1 = n1 - 1, e2 = n2 - 1;
  const s0 = n1 * n2;
  const [, ny, nx] = outShape;
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, m10 = m[3]!, m11 = m[4]!, m12 = m[5]!, m20 = m[6]!, m21 = m[7]!, m22 = m[8]!;
  const f0 = off[0], f1 = off[1], f2 = off[2];
  const integer = max !== 0;
  // At c = n − 1 exactly the second neighbour is outside with weight 0; scipy reads the mirrored n − 2.
  const last0 = n0 >= 2 ? n0 - 2 : 0, last1 = n1 >= 2 ? n1 - 2 : 0, last2 = n2 >= 2 ? n2 - 2 : 0;
  // c1 does not change along a row when m12 is 0 (b1 + o2·0 is b1 exactly): its terms are hoisted.
  const rowConst1 = m12 === 0;
  const coord = (b: number, o2: number, m2: number, f: number): number => (offsetLast ? b + o2 * m2 + f : b + o2 * m2);
  const inside = (b0: number, b1: number, b2: number, o2: number): boolean => {
    const c0 = coord(b0, o2, m02, f0), c1 = coord(b1, o2, m12, f1), c2 = coord(b2, o2, m22, f2);
    return !(c0 < 0 || c0 > e0 || c1 < 0 || c1 > e1 || c2 < 0 || c2 > e2);
  };
  // Output planes in tiles (see tileFor).
  const tile = tileFor(m10, m12, zEnd - zStart);
  for (let t0 = zStart; t0 < zEnd; t0 += tile) {
    const t1 = Math.min(zEnd, t0 + tile);
    for (let o1 = 0; o1 < ny; o1++) {
      for (let o0 = t0; o0 < t1; o0++) {
        const row = (o0 * ny + o1) * nx;
        const b0 = offsetLast ? 0 + o0 * m00 + o1 * m01 : f0 + o0 * m00 + o1 * m01;
        const b1 = offsetLast ? 0 + o0 * m10 + o1 * m11 : f1 + o0 * m10 + o1 * m11;
        const b2 = offsetLast ? 0 + o0 * m20 + o1 * m21 : f2 + o0 * m20 + o1 * m21;
        // Each coordinate is a monotone function of o2 (every rounding step is monotone), so the
        // voxels inside the volume form one run [lo, hi); outside it the output is cval.
        let lo = 0;
        while (lo < nx && !inside(b0, b1, b2, lo)) lo++;
        let hi = nx;
        while (hi > lo && !inside(b0, b1, b2, hi - 1)) hi--;
        if (lo > 0) out.fill(fill, row, row + lo);
        if (hi < nx) out.fill(fill, row + hi, row + nx);
        if (rowConst1) {
          const c1 = offsetLast ? b1 + f1 : b1;
          const i1 = Math.floor(c1);
          const a1 = 1 - (c1 - i1);
          const b1w = 1 - a1;
          const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : last1) * n2;
          for (let o2 = lo, at = row + lo; o2 < hi; o2++, at++) {
            const c0 = offsetLast ? b0 + o2 * m02 + f0 : b0 + o2 * m02;
            const c2 = offsetLast ? b2 + o2 * m22 + f2 : b2 + o2 * m22;
            const i0 = Math.floor(c0), i2 = Math.floor(c2);
            const a0 = 1 - (c0 - i0), a2 = 1 - (c2 - i2);
            const b0w = 1 - a0, b2w = 1 - a2;
            const p0 = i0 * s0 + p1, q0 = (i0 < e0 ? i0 + 1 : last0) * s0 + p1;
            const r0 = i0 * s0 + q1, u0 = (i0 < e0 ? i0 + 1 : last0) * s0 + q1;
            const q2 = i2 < e2 ? i2 + 1 : last2;
            let t = 0.0;
            t += src[p0 + i2]! * a0 * a1 * a2;
            t += src[p0 + q2]! * a0 * a1 * b2w;
            t += src[r0 + i2]! * a0 * b1w * a2;
            t += src[r0 + q2]! * a0 * b1w * b2w;
            t += src[q0 + i2]! * b0w * a1 * a2;
            t += src[q0 + q2]! * b0w * a1 * b2w;
            t += src[u0 + i2]! * b0w * b1w * a2;
            t += src[u0 + q2]! * b0w * b1w * b2w;
            if (integer) {
              let v = t > 0 ? t + 0.5 : 0;
              if (v > max) v = max;
              out[at] = v;
            } else {
              out[at] = t;
            }
          }
          continue;
        }
        for (let o2 = lo, at = row + lo; o2 < hi; o2++, at++) {
          const c0 = offsetLast ? b0 + o2 * m02 + f0 : b0 + o2 * m02;
          const c1 = offsetLast ? b1 + o2 * m12 + f1 : b1 + o2 * m12;
          const c2 = offsetLast ? b2 + o2 * m22 + f2 : b2 + o2 * m22;
          const i0 = Math.floor(c0), i1 = Math.floor(c1), i2 = Math.floor(c2);
          const a0 = 1 - (c0 - i0), a1 = 1 - (c1 - i1), a2 = 1 - (c2 - i2);
          const b0w = 1 - a0, b1w = 1 - a1, b2w = 1 - a2;
          const p0 = i0 * s0, q0 = (i0 < e0 ? i0 + 1 : last0) * s0;
          const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : last1) * n2;
          const q2 = i2 < e2 ? i2 + 1 : last2;
          let t = 0.0;
          t += src[p0 + p1 + i2]! * a0 * a1 * a2;
          t += src[p0 + p1 + q2]! * a0 * a1 * b2w;
          t += src[p0 + q1 + i2]! * a0 * b1w * a2;
          t += src[p0 + q1 + q2]! * a0 * b1w * b2w;
          t += src[q0 + p1 + i2]! * b0w * a1 * a2;
          t += src[q0 + p1 + q2]! * b0w * a1 * b2w;
          t += src[q0 + q1 + i2]! * b0w * b1w * a2;
          t += src[q0 + q1 + q2]! * b0w * b1w * b2w;
          if (integer) {
            let v = t > 0 ? t + 0.5 : 0;
            if (v > max) v = max;
            out[at] = v;
          } else {
            out[at] = t;
          }
        }
      }
    }
  }
}
