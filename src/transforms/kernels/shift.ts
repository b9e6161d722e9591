/**
 * Translation, out[i] = in[i − s] (specs/benchmark.md §5.10). Integer offsets (and order 0, which
 * rounds the offsets: roll and zero) are a masked copy; fractional offsets with order 1 are a
 * linear shift with a constant boundary, bit-exact with scipy.ndimage.shift (coordinate
 * o + (−s) per axis, weights and corner order of §5.8, conversion of §5.9).
 *
 * @example
 * shiftVolume(input, out, [10, 5, -3], 0, 0, 0, input.shape[0]);
 */
import type { Shape3, Volume, VoxelArray } from '../types.ts';
import { maxOf, toVoxel } from './convert.ts';

/** Python's round(): nearest integer, exact halves to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function shiftVolume<T extends VoxelArray>(
  input: Volume<T>,
  out: T,
  offset: Shape3,
  order: 0 | 1,
  cval: number,
  zStart: number,
  zEnd: number,
): void {
  const fill = toVoxel(cval, maxOf(input.data));
  if (order === 0) {
    maskedCopy(input, out, [roundHalfEven(offset[0]), roundHalfEven(offset[1]), roundHalfEven(offset[2])], fill, zStart, zEnd);
  } else if (offset.every((s) => Number.isInteger(s))) {
    maskedCopy(input, out, [offset[0], offset[1], offset[2]], fill, zStart, zEnd);
  } else {
    linearShift(input, out, offset, fill, zStart, zEnd);
  }
}

/** out[i] = in[i − k] where 0 ≤ i − k < n on every axis, else `fill` (k integers). */
function maskedCopy<T extends VoxelArray>(input: Volume<T>, out: T, k: Shape3, fill: number, zStart: number, zEnd: number): void {
  const src = input.data;
  const [nz, ny, nx] = input.shape;
  const plane = ny * nx;
  // Output x range [x0, x1) and y range [y0, y1) that read inside the input.
  const x0 = Math.min(nx, Math.max(0, k[2])), x1 = Math.max(0, Math.min(nx, nx + k[2]));
  const y0 = Math.min(ny, Math.max(0, k[1])), y1 = Math.max(0, Math.min(ny, ny + k[1]));
  for (let z = zStart; z < zEnd; z++) {
    const base = z * plane;
    const zi = z - k[0];
    if (zi < 0 || zi >= nz || x1 <= x0 || y1 <= y0) {
      out.fill(fill, base, base + plane);
      continue;
    }
    if (y0 > 0) out.fill(fill, base, base + y0 * nx);
    if (y1 < ny) out.fill(fill, base + y1 * nx, base + plane);
    const srcPlane = zi * plane;
    // One contiguous block per plane: source rows are as far apart as output rows, so the block
    // copy lands every row in place; the voxels it writes into the x margins are then set to fill.
    const first = base + y0 * nx + x0;
    const count = (y1 - y0 - 1) * nx + (x1 - x0);
    const from = srcPlane + (y0 - k[1]) * nx + (x0 - k[2]);
    out.set(src.subarray(from, from + count) as never, first);
    if (x0 > 0 || x1 < nx) {
      for (let y = y0; y < y1; y++) {
        const row = base + y * nx;
        for (let x = 0; x < x0; x++) out[row + x] = fill;
        for (let x = x1; x < nx; x++) out[row + x] = fill;
      }
    }
  }
}

interface AxisTaps {
  ok: Uint8Array; // 1 where the coordinate is inside [0, n − 1]
  lo: Int32Array; // first neighbour index × stride
  hi: Int32Array; // second neighbour index × stride
  w0: Float64Array;
  w1: Float64Array;
}

function taps(n: number, s: number, stride: number): AxisTaps {
  const t: AxisTaps = { ok: new Uint8Array(n), lo: new Int32Array(n), hi: new Int32Array(n), w0: new Float64Array(n), w1: new Float64Array(n) };
  const last = n >= 2 ? n - 2 : 0;
  for (let o = 0; o < n; o++) {
    const c = o + -s;
    if (c < 0 || c > n - 1) continue;
    const i = Math.floor(c);
    const w0 = 1 - (c - i);
    t.ok[o] = 1;
    t.lo[o] = i * stride;
    t.hi[o] = (i < n - 1 ? i + 1 : last) * stride;
    t.w0[o] = w0;
    t.w1[o] = 1 - w0;
  }
  return t;
}

function linearShift<T extends VoxelArray>(input: Volume<T>, out: T, s: Shape3, fill: number, zStart: number, zEnd: number): void {
  const src = input.data;
  const [nz, ny, nx] = input.shape;
  const max = maxOf(src);
  const tz = taps(nz, s[0], ny * nx);
  const ty = taps(ny, s[1], nx);
  const tx = taps(nx, s[2], 1);
  let at = zStart * ny * nx;
  for (let z = zStart; z < zEnd; z++) {
    const zok = tz.ok[z]!, p0 = tz.lo[z]!, q0 = tz.hi[z]!, a0 = tz.w0[z]!, b0 = tz.w1[z]!;
    for (let y = 0; y < ny; y++) {
      const yok = ty.ok[y]!, p1 = ty.lo[y]!, q1 = ty.hi[y]!, a1 = ty.w0[y]!, b1 = ty.w1[y]!;
      if (!zok || !yok) {
        out.fill(fill, at, at + nx);
        at += nx;
        continue;
      }
      for (let x = 0; x < nx; x++, at++) {
        if (!tx.ok[x]) {
          out[at] = fill;
          continue;
        }
        const p2 = tx.lo[x]!, q2 = tx.hi[x]!, a2 = tx.w0[x]!, b2 = tx.w1[x]!;
        let t = 0.0;
        t += src[p0 + p1 + p2]! * a0 * a1 * a2;
        t += src[p0 + p1 + q2]! * a0 * a1 * b2;
        t += src[p0 + q1 + p2]! * a0 * b1 * a2;
        t += src[p0 + q1 + q2]! * a0 * b1 * b2;
        t += src[q0 + p1 + p2]! * b0 * a1 * a2;
        t += src[q0 + p1 + q2]! * b0 * a1 * b2;
        t += src[q0 + q1 + p2]! * b0 * b1 * a2;
        t += src[q0 + q1 + q2]! * b0 * b1 * b2;
        if (max !== 0) {
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
