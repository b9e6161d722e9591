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

/** A non-shared scratch plane per voxel type, reused across calls (one thread, one at a time). */
const planeScratch = new Map<string, VoxelArray>();

function scratchPlane(like: VoxelArray, n: number, key: string): VoxelArray {
  const have = planeScratch.get(key);
  if (have && have.length >= n && have.constructor === like.constructor) return have.length === n ? have : have.subarray(0, n);
  const made = new (like.constructor as new (n: number) => VoxelArray)(n);
  planeScratch.set(key, made);
  return made;
}

/**
 * out[i] = in[i − k] where 0 ≤ i − k < n on every axis, else `fill` (k integers).
 *
 * Each output plane is assembled in a non-shared scratch plane (copy the source plane in, move
 * it by one memmove, fill the margins) and stored with one copy. V8 copies and fills typed
 * arrays on SharedArrayBuffers element by element unless source and target share their 8-byte
 * alignment; this way every copy touching shared memory is aligned and runs at memcpy speed.
 */
function maskedCopy<T extends VoxelArray>(input: Volume<T>, out: T, k: Shape3, fill: number, zStart: number, zEnd: number): void {
  const src = input.data;
  const [nz, ny, nx] = input.shape;
  const plane = ny * nx;
  // Output x range [x0, x1) and y range [y0, y1) that read inside the input.
  const x0 = Math.min(nx, Math.max(0, k[2])), x1 = Math.max(0, Math.min(nx, nx + k[2]));
  const y0 = Math.min(ny, Math.max(0, k[1])), y1 = Math.max(0, Math.min(ny, ny + k[1]));
  const empty = x1 <= x0 || y1 <= y0;
  const shared = out.buffer instanceof SharedArrayBuffer;
  const tmp = scratchPlane(src, plane, 'work');
  let blank: VoxelArray | null = null;
  for (let z = zStart; z < zEnd; z++) {
    const base = z * plane;
    const zi = z - k[0];
    if (zi < 0 || zi >= nz || empty) {
      if (!shared) {
        out.fill(fill, base, base + plane);
        continue;
      }
      if (blank === null) {
        blank = scratchPlane(src, plane, 'blank');
        blank.fill(fill);
      }
      out.set(blank as never, base);
      continue;
    }
    const srcPlane = zi * plane;
    // One contiguous block per plane: source rows are as far apart as output rows, so one move
    // lands every row in place; the voxels it writes into the x margins are then set to fill.
    const first = y0 * nx + x0;
    const count = (y1 - y0 - 1) * nx + (x1 - x0);
    const from = (y0 - k[1]) * nx + (x0 - k[2]);
    if (!shared && input.data.buffer !== out.buffer && !(src.buffer instanceof SharedArrayBuffer)) {
      // Plain memory on both sides: copy straight into place.
      out.set(src.subarray(srcPlane + from, srcPlane + from + count) as never, base + first);
      marginsInPlace(out, base, nx, ny, x0, x1, y0, y1, fill);
      continue;
    }
    tmp.set(src.subarray(srcPlane, srcPlane + plane) as never);
    if (from !== first) tmp.copyWithin(first, from, from + count);
    marginsInPlace(tmp, 0, nx, ny, x0, x1, y0, y1, fill);
    out.set(tmp as never, base);
  }
}

/** Sets the voxels of one plane (at `base`) outside rows [y0, y1) and columns [x0, x1) to fill. */
function marginsInPlace(a: VoxelArray, base: number, nx: number, ny: number, x0: number, x1: number, y0: number, y1: number, fill: number): void {
  if (y0 > 0) a.fill(fill, base, base + y0 * nx);
  if (y1 < ny) a.fill(fill, base + y1 * nx, base + ny * nx);
  if (x0 === 0 && x1 === nx) return;
  const wide = x0 > 16 || nx - x1 > 16;
  for (let y = y0; y < y1; y++) {
    const row = base + y * nx;
    if (wide) {
      if (x0 > 0) a.fill(fill, row, row + x0);
      if (x1 < nx) a.fill(fill, row + x1, row + nx);
    } else {
      for (let x = 0; x < x0; x++) a[row + x] = fill;
      for (let x = x1; x < nx; x++) a[row + x] = fill;
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
