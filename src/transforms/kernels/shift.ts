/**
 * Translation, out[i] = in[i − s] (specs/benchmark.md §5.10). Integer offsets (and order 0, which
 * rounds the offsets: roll and zero) are a masked copy; fractional offsets with order 1 are a
 * linear shift with a constant boundary, bit-exact with scipy.ndimage.shift (coordinate
 * o + (−s) per axis, weights and corner order of §5.8, conversion of §5.9).
 *
 * The per-voxel loops (the linear shift's row, the masked copy's narrow margins) exist once per
 * voxel type (…U8, …U16, …F32: the same loop, only the array types and the store differ), chosen
 * once per call; everything else is shared.
 *
 * @example
 * shiftVolume(input, out, [10, 5, -3], 0, 0, 0, input.shape[0]);
 */
import { voxelTypeOf, type Shape3, type Volume, type VoxelArray } from '../types.ts';
import { maxOf, toVoxel } from './convert.ts';
import { fillBits, planeMover } from './wasm/plane-move.ts';
import { memoryOf } from './wasm/shared-memories.ts';

/** Python's round(): nearest integer, exact halves to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Whether a shift runs as the masked copy: order 0 (offsets rounded), or integer offsets. */
export function isMaskedCopy(offset: readonly number[], order: 0 | 1): boolean {
  return order === 0 || offset.every((s) => Number.isInteger(s));
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
  if (isMaskedCopy(offset, order)) {
    // Integer offsets round to themselves.
    maskedCopy(input, out, [roundHalfEven(offset[0]), roundHalfEven(offset[1]), roundHalfEven(offset[2])], fill, zStart, zEnd);
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
 * Into shared memory, V8 copies typed arrays word by word, and element by element unless source
 * and target share their 8-byte alignment, which the shift breaks. So each output plane is
 * assembled in a non-shared scratch plane (copy the source plane in, move it by one memmove,
 * fill the margins) and stored with one copy: every copy touching shared memory is aligned.
 * When the output is a WebAssembly memory (wasm/shared-memories.ts), the source plane is copied
 * straight into place and moved there by WebAssembly (wasm/plane-move.ts): one copy less.
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
  const memory = src.buffer !== out.buffer ? memoryOf(out.buffer) : null;
  const B = out.BYTES_PER_ELEMENT;
  const type = voxelTypeOf(out);
  const move = memory ? planeMover(memory, type) : null;
  const bits = fillBits(type, fill);
  let tmp: T | null = null;
  const columns = columnsFor(out);
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
      marginsInPlace(out, columns, base, nx, ny, x0, x1, y0, y1, fill);
      continue;
    }
    if (move) {
      out.set(src.subarray(srcPlane, srcPlane + plane) as never, base);
      const at = out.byteOffset + base * B;
      move(at + first * B, at + from * B, count * B, at + y0 * nx * B, at + y1 * nx * B, nx * B, x0 * B, x1 * B, nx * B, bits);
      if (y0 > 0) out.fill(fill, base, base + y0 * nx);
      if (y1 < ny) out.fill(fill, base + y1 * nx, base + plane);
      continue;
    }
    tmp ??= scratchPlane(src, plane, 'work') as T;
    tmp.set(src.subarray(srcPlane, srcPlane + plane) as never);
    if (from !== first) tmp.copyWithin(first, from, from + count);
    marginsInPlace(tmp, columns, 0, nx, ny, x0, x1, y0, y1, fill);
    out.set(tmp as never, base);
  }
}

/** Sets columns [0, x0) and [x1, nx) of rows [y0, y1) of the plane at `base` to fill (narrow margins). */
type MarginColumns<T> = (a: T, base: number, nx: number, x0: number, x1: number, y0: number, y1: number, fill: number) => void;

function columnsU8(a: Uint8Array, base: number, nx: number, x0: number, x1: number, y0: number, y1: number, fill: number): void {
  for (let y = y0, row = base + y0 * nx; y < y1; y++, row += nx) {
    for (let x = 0; x < x0; x++) a[row + x] = fill;
    for (let x = x1; x < nx; x++) a[row + x] = fill;
  }
}

function columnsU16(a: Uint16Array, base: number, nx: number, x0: number, x1: number, y0: number, y1: number, fill: number): void {
  for (let y = y0, row = base + y0 * nx; y < y1; y++, row += nx) {
    for (let x = 0; x < x0; x++) a[row + x] = fill;
    for (let x = x1; x < nx; x++) a[row + x] = fill;
  }
}

function columnsF32(a: Float32Array, base: number, nx: number, x0: number, x1: number, y0: number, y1: number, fill: number): void {
  for (let y = y0, row = base + y0 * nx; y < y1; y++, row += nx) {
    for (let x = 0; x < x0; x++) a[row + x] = fill;
    for (let x = x1; x < nx; x++) a[row + x] = fill;
  }
}

function columnsFor<T extends VoxelArray>(a: T): MarginColumns<T> {
  return (a instanceof Uint16Array ? columnsU16 : a instanceof Uint8Array ? columnsU8 : columnsF32) as MarginColumns<T>;
}

/** Sets the voxels of one plane (at `base`) outside rows [y0, y1) and columns [x0, x1) to fill. */
function marginsInPlace<T extends VoxelArray>(a: T, columns: MarginColumns<T>, base: number, nx: number, ny: number, x0: number, x1: number, y0: number, y1: number, fill: number): void {
  if (y0 > 0) a.fill(fill, base, base + y0 * nx);
  if (y1 < ny) a.fill(fill, base + y1 * nx, base + ny * nx);
  if (x0 === 0 && x1 === nx) return;
  if (x0 <= 16 && nx - x1 <= 16) {
    columns(a, base, nx, x0, x1, y0, y1, fill);
    return;
  }
  for (let y = y0; y < y1; y++) {
    const row = base + y * nx;
    if (x0 > 0) a.fill(fill, row, row + x0);
    if (x1 < nx) a.fill(fill, row + x1, row + nx);
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

/**
 * One output row of the linear shift: z and y are fixed (row offsets r00 … r11 of the four input
 * rows: z first or second neighbour, then y; weights a0/b0 of z, a1/b1 of y), x's taps per voxel.
 */
type ShiftRow<T> = (src: T, out: T, tx: AxisTaps, r00: number, r01: number, r10: number, r11: number, a0: number, b0: number, a1: number, b1: number, at: number, nx: number, fill: number) => void;

function shiftRowU8(src: Uint8Array, out: Uint8Array, tx: AxisTaps, r00: number, r01: number, r10: number, r11: number, a0: number, b0: number, a1: number, b1: number, at: number, nx: number, fill: number): void {
  const { ok, lo, hi, w0, w1 } = tx;
  for (let x = 0; x < nx; x++, at++) {
    if (!ok[x]) {
      out[at] = fill;
      continue;
    }
    const p2 = lo[x]!, q2 = hi[x]!, a2 = w0[x]!, b2 = w1[x]!;
    let t = 0.0;
    t += src[r00 + p2]! * a0 * a1 * a2;
    t += src[r00 + q2]! * a0 * a1 * b2;
    t += src[r01 + p2]! * a0 * b1 * a2;
    t += src[r01 + q2]! * a0 * b1 * b2;
    t += src[r10 + p2]! * b0 * a1 * a2;
    t += src[r10 + q2]! * b0 * a1 * b2;
    t += src[r11 + p2]! * b0 * b1 * a2;
    t += src[r11 + q2]! * b0 * b1 * b2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 255) v = 255;
    out[at] = v;
  }
}

function shiftRowU16(src: Uint16Array, out: Uint16Array, tx: AxisTaps, r00: number, r01: number, r10: number, r11: number, a0: number, b0: number, a1: number, b1: number, at: number, nx: number, fill: number): void {
  const { ok, lo, hi, w0, w1 } = tx;
  for (let x = 0; x < nx; x++, at++) {
    if (!ok[x]) {
      out[at] = fill;
      continue;
    }
    const p2 = lo[x]!, q2 = hi[x]!, a2 = w0[x]!, b2 = w1[x]!;
    let t = 0.0;
    t += src[r00 + p2]! * a0 * a1 * a2;
    t += src[r00 + q2]! * a0 * a1 * b2;
    t += src[r01 + p2]! * a0 * b1 * a2;
    t += src[r01 + q2]! * a0 * b1 * b2;
    t += src[r10 + p2]! * b0 * a1 * a2;
    t += src[r10 + q2]! * b0 * a1 * b2;
    t += src[r11 + p2]! * b0 * b1 * a2;
    t += src[r11 + q2]! * b0 * b1 * b2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 65535) v = 65535;
    out[at] = v;
  }
}

function shiftRowF32(src: Float32Array, out: Float32Array, tx: AxisTaps, r00: number, r01: number, r10: number, r11: number, a0: number, b0: number, a1: number, b1: number, at: number, nx: number, fill: number): void {
  const { ok, lo, hi, w0, w1 } = tx;
  for (let x = 0; x < nx; x++, at++) {
    if (!ok[x]) {
      out[at] = fill;
      continue;
    }
    const p2 = lo[x]!, q2 = hi[x]!, a2 = w0[x]!, b2 = w1[x]!;
    let t = 0.0;
    t += src[r00 + p2]! * a0 * a1 * a2;
    t += src[r00 + q2]! * a0 * a1 * b2;
    t += src[r01 + p2]! * a0 * b1 * a2;
    t += src[r01 + q2]! * a0 * b1 * b2;
    t += src[r10 + p2]! * b0 * a1 * a2;
    t += src[r10 + q2]! * b0 * a1 * b2;
    t += src[r11 + p2]! * b0 * b1 * a2;
    t += src[r11 + q2]! * b0 * b1 * b2;
    out[at] = t;
  }
}

function shiftRowFor<T extends VoxelArray>(src: T): ShiftRow<T> {
  return (src instanceof Uint16Array ? shiftRowU16 : src instanceof Uint8Array ? shiftRowU8 : shiftRowF32) as ShiftRow<T>;
}

function linearShift<T extends VoxelArray>(input: Volume<T>, out: T, s: Shape3, fill: number, zStart: number, zEnd: number): void {
  const src = input.data;
  const row = shiftRowFor(src);
  const [nz, ny, nx] = input.shape;
  const tz = taps(nz, s[0], ny * nx);
  const ty = taps(ny, s[1], nx);
  const tx = taps(nx, s[2], 1);
  let at = zStart * ny * nx;
  for (let z = zStart; z < zEnd; z++) {
    const zok = tz.ok[z]!, p0 = tz.lo[z]!, q0 = tz.hi[z]!, a0 = tz.w0[z]!, b0 = tz.w1[z]!;
    for (let y = 0; y < ny; y++, at += nx) {
      const yok = ty.ok[y]!, p1 = ty.lo[y]!, q1 = ty.hi[y]!, a1 = ty.w0[y]!, b1 = ty.w1[y]!;
      if (!zok || !yok) out.fill(fill, at, at + nx);
      else row(src, out, tx, p0 + p1, p0 + q1, q0 + p1, q0 + q1, a0, b0, a1, b1, at, nx, fill);
    }
  }
}
