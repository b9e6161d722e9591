/**
 * The inner loops of the affine kernel (affine.ts), one copy per voxel type so that every load
 * and store site sees one element kind. Each loop resamples one output row over its run
 * [lo, hi) of voxels inside the volume (affine.ts finds the run and fills the rest with cval).
 *
 * The three copies of a loop are the same loop: only the array types and the last line, the
 * store, differ (specs/benchmark.md §5.9, see convert.ts): uint8 and uint16 round half up and
 * clamp to their maximum, float32 stores the double (the typed store rounds it to float32).
 *
 * Coordinates are `(b + o2·m) + g` (affine.ts: `b` holds every term but x's in the parity
 * profile's order, `g` is the offset when the profile adds it last and 0 otherwise; adding 0
 * changes at most the sign of a zero coordinate, which no index or weight depends on). Inside
 * the run every coordinate is in [0, n − 1], so truncation (`| 0`) is floor, and int32 indices
 * keep the address arithmetic in integers.
 *
 * The loop for rows whose input y is an integer (linearOnY) exists for uint8 and uint16 only:
 * it skips terms that are exactly +0 for finite voxels, which float32 (±Infinity, NaN) may not.
 *
 * @example
 * const rows = affineRowsFor(input.data);
 * rows.linearY(input.data, out, geometry, b0, b2, p1, q1, a1, w1, row + lo, lo, hi);
 */
import type { VoxelArray } from '../types.ts';

/** Constants of one resampling call that the row loops read. */
export interface AffineGeometry {
  /** The x column of the matrix (output x → input z, y, x). */
  m02: number;
  m12: number;
  m22: number;
  /** Offsets added after the x term (parity scipy-1.10), else 0. */
  g0: number;
  g1: number;
  g2: number;
  /** Input strides of z and y (x is 1). */
  s0: number;
  n2: number;
  /** Input n − 1 per axis. */
  e0: number;
  e1: number;
  e2: number;
  /** The second neighbour read at c = n − 1 (weight 0): n − 2, as scipy does (0 for a 1-voxel axis). */
  last0: number;
  last1: number;
  last2: number;
}

/** Order 0, any matrix: nearest voxel, ties up. */
type NearestRow<T> = (src: T, out: T, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number) => void;
/** Order 0 when the input y index is constant along the row (`p1` = its row offset). */
type NearestRowY<T> = (src: T, out: T, g: AffineGeometry, b0: number, b2: number, p1: number, at: number, lo: number, hi: number) => void;
/** Order 1, any matrix: the 8 corners in C order, each `v·w0·w1·w2` left to right, summed in order. */
type LinearRow<T> = NearestRow<T>;
/** Order 1 when y is constant along the row: y's row offsets `p1`, `q1` and weights `a1`, `w1` hoisted. */
type LinearRowY<T> = (src: T, out: T, g: AffineGeometry, b0: number, b2: number, p1: number, q1: number, a1: number, w1: number, at: number, lo: number, hi: number) => void;

/**
 * Per output voxel of a plane, its input z and x taps (affine.ts builds it once per plane when z
 * and x do not depend on the output y): `base` = i0·s0 + i2, `dz` = (second z neighbour − i0)·s0,
 * `dx` = second x neighbour − i2, and the weights a0 (`w[2k]`) and a2 (`w[2k + 1]`); w0 = 1 − a0,
 * w2 = 1 − a2 are formed in the loop as in the other loops.
 */
export interface PlaneTaps {
  base: Int32Array;
  dz: Int32Array;
  dx: Int32Array;
  w: Float64Array;
}

/**
 * Order 1 when the input y coordinate is an integer all along the row (y's weights exactly 1
 * and 0, as in rotations about y) and z, x come from PlaneTaps (`k` = the tap of output x 0),
 * integer voxel types only: the four corners with y weight 0 are skipped and the factor 1
 * dropped. Bit-identical to linearY: every term is ≥ +0, a term `v·w0·0·w2` of a finite voxel is
 * +0, `t + +0` is t (t starts at +0 and never becomes −0), and `x·1` is x. (Not for float32,
 * where an infinite or NaN voxel times 0 is NaN.)
 */
type LinearRowOnY<T> = (src: T, out: T, taps: PlaneTaps, k: number, p1: number, at: number, lo: number, hi: number) => void;

export interface AffineRows<T extends VoxelArray> {
  nearest: NearestRow<T>;
  nearestY: NearestRowY<T>;
  linear: LinearRow<T>;
  linearY: LinearRowY<T>;
  /** Null for float32. */
  linearOnY: LinearRowOnY<T> | null;
}

// ---- order 0 -------------------------------------------------------------------------------

function nearestU8(src: Uint8Array, out: Uint8Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i1 = (b1 + o2 * m12 + g1 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + i1 * n2 + i2]!;
  }
}

function nearestU16(src: Uint16Array, out: Uint16Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i1 = (b1 + o2 * m12 + g1 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + i1 * n2 + i2]!;
  }
}

function nearestF32(src: Float32Array, out: Float32Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i1 = (b1 + o2 * m12 + g1 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + i1 * n2 + i2]!;
  }
}

function nearestYU8(src: Uint8Array, out: Uint8Array, g: AffineGeometry, b0: number, b2: number, p1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + p1 + i2]!;
  }
}

function nearestYU16(src: Uint16Array, out: Uint16Array, g: AffineGeometry, b0: number, b2: number, p1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + p1 + i2]!;
  }
}

function nearestYF32(src: Float32Array, out: Float32Array, g: AffineGeometry, b0: number, b2: number, p1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const i0 = (b0 + o2 * m02 + g0 + 0.5) | 0, i2 = (b2 + o2 * m22 + g2 + 0.5) | 0;
    out[at] = src[i0 * s0 + p1 + i2]!;
  }
}

// ---- order 1, any matrix -------------------------------------------------------------------

function linearU8(src: Uint8Array, out: Uint8Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2, e0, e1, e2, last0, last1, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c1 = b1 + o2 * m12 + g1, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i1 = c1 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a1 = 1 - (c1 - i1), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w1 = 1 - a1, w2 = 1 - a2;
    const p0 = i0 * s0, q0 = (i0 < e0 ? i0 + 1 : last0) * s0;
    const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : last1) * n2;
    const q2 = i2 < e2 ? i2 + 1 : last2;
    let t = 0.0;
    t += src[p0 + p1 + i2]! * a0 * a1 * a2;
    t += src[p0 + p1 + q2]! * a0 * a1 * w2;
    t += src[p0 + q1 + i2]! * a0 * w1 * a2;
    t += src[p0 + q1 + q2]! * a0 * w1 * w2;
    t += src[q0 + p1 + i2]! * w0 * a1 * a2;
    t += src[q0 + p1 + q2]! * w0 * a1 * w2;
    t += src[q0 + q1 + i2]! * w0 * w1 * a2;
    t += src[q0 + q1 + q2]! * w0 * w1 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 255) v = 255;
    out[at] = v;
  }
}

function linearU16(src: Uint16Array, out: Uint16Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2, e0, e1, e2, last0, last1, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c1 = b1 + o2 * m12 + g1, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i1 = c1 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a1 = 1 - (c1 - i1), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w1 = 1 - a1, w2 = 1 - a2;
    const p0 = i0 * s0, q0 = (i0 < e0 ? i0 + 1 : last0) * s0;
    const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : last1) * n2;
    const q2 = i2 < e2 ? i2 + 1 : last2;
    let t = 0.0;
    t += src[p0 + p1 + i2]! * a0 * a1 * a2;
    t += src[p0 + p1 + q2]! * a0 * a1 * w2;
    t += src[p0 + q1 + i2]! * a0 * w1 * a2;
    t += src[p0 + q1 + q2]! * a0 * w1 * w2;
    t += src[q0 + p1 + i2]! * w0 * a1 * a2;
    t += src[q0 + p1 + q2]! * w0 * a1 * w2;
    t += src[q0 + q1 + i2]! * w0 * w1 * a2;
    t += src[q0 + q1 + q2]! * w0 * w1 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 65535) v = 65535;
    out[at] = v;
  }
}

function linearF32(src: Float32Array, out: Float32Array, g: AffineGeometry, b0: number, b1: number, b2: number, at: number, lo: number, hi: number): void {
  const { m02, m12, m22, g0, g1, g2, s0, n2, e0, e1, e2, last0, last1, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c1 = b1 + o2 * m12 + g1, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i1 = c1 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a1 = 1 - (c1 - i1), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w1 = 1 - a1, w2 = 1 - a2;
    const p0 = i0 * s0, q0 = (i0 < e0 ? i0 + 1 : last0) * s0;
    const p1 = i1 * n2, q1 = (i1 < e1 ? i1 + 1 : last1) * n2;
    const q2 = i2 < e2 ? i2 + 1 : last2;
    let t = 0.0;
    t += src[p0 + p1 + i2]! * a0 * a1 * a2;
    t += src[p0 + p1 + q2]! * a0 * a1 * w2;
    t += src[p0 + q1 + i2]! * a0 * w1 * a2;
    t += src[p0 + q1 + q2]! * a0 * w1 * w2;
    t += src[q0 + p1 + i2]! * w0 * a1 * a2;
    t += src[q0 + p1 + q2]! * w0 * a1 * w2;
    t += src[q0 + q1 + i2]! * w0 * w1 * a2;
    t += src[q0 + q1 + q2]! * w0 * w1 * w2;
    out[at] = t;
  }
}

// ---- order 1, input y constant along the row (rotations about y) ---------------------------

function linearYU8(src: Uint8Array, out: Uint8Array, g: AffineGeometry, b0: number, b2: number, p1: number, q1: number, a1: number, w1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0, e0, e2, last0, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w2 = 1 - a2;
    const p0 = i0 * s0 + i2, q0 = (i0 < e0 ? i0 + 1 : last0) * s0 + i2;
    const d2 = (i2 < e2 ? i2 + 1 : last2) - i2;
    let t = 0.0;
    t += src[p0 + p1]! * a0 * a1 * a2;
    t += src[p0 + p1 + d2]! * a0 * a1 * w2;
    t += src[p0 + q1]! * a0 * w1 * a2;
    t += src[p0 + q1 + d2]! * a0 * w1 * w2;
    t += src[q0 + p1]! * w0 * a1 * a2;
    t += src[q0 + p1 + d2]! * w0 * a1 * w2;
    t += src[q0 + q1]! * w0 * w1 * a2;
    t += src[q0 + q1 + d2]! * w0 * w1 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 255) v = 255;
    out[at] = v;
  }
}

function linearYU16(src: Uint16Array, out: Uint16Array, g: AffineGeometry, b0: number, b2: number, p1: number, q1: number, a1: number, w1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0, e0, e2, last0, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w2 = 1 - a2;
    const p0 = i0 * s0 + i2, q0 = (i0 < e0 ? i0 + 1 : last0) * s0 + i2;
    const d2 = (i2 < e2 ? i2 + 1 : last2) - i2;
    let t = 0.0;
    t += src[p0 + p1]! * a0 * a1 * a2;
    t += src[p0 + p1 + d2]! * a0 * a1 * w2;
    t += src[p0 + q1]! * a0 * w1 * a2;
    t += src[p0 + q1 + d2]! * a0 * w1 * w2;
    t += src[q0 + p1]! * w0 * a1 * a2;
    t += src[q0 + p1 + d2]! * w0 * a1 * w2;
    t += src[q0 + q1]! * w0 * w1 * a2;
    t += src[q0 + q1 + d2]! * w0 * w1 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 65535) v = 65535;
    out[at] = v;
  }
}

function linearYF32(src: Float32Array, out: Float32Array, g: AffineGeometry, b0: number, b2: number, p1: number, q1: number, a1: number, w1: number, at: number, lo: number, hi: number): void {
  const { m02, m22, g0, g2, s0, e0, e2, last0, last2 } = g;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const c0 = b0 + o2 * m02 + g0, c2 = b2 + o2 * m22 + g2;
    const i0 = c0 | 0, i2 = c2 | 0;
    const a0 = 1 - (c0 - i0), a2 = 1 - (c2 - i2);
    const w0 = 1 - a0, w2 = 1 - a2;
    const p0 = i0 * s0 + i2, q0 = (i0 < e0 ? i0 + 1 : last0) * s0 + i2;
    const d2 = (i2 < e2 ? i2 + 1 : last2) - i2;
    let t = 0.0;
    t += src[p0 + p1]! * a0 * a1 * a2;
    t += src[p0 + p1 + d2]! * a0 * a1 * w2;
    t += src[p0 + q1]! * a0 * w1 * a2;
    t += src[p0 + q1 + d2]! * a0 * w1 * w2;
    t += src[q0 + p1]! * w0 * a1 * a2;
    t += src[q0 + p1 + d2]! * w0 * a1 * w2;
    t += src[q0 + q1]! * w0 * w1 * a2;
    t += src[q0 + q1 + d2]! * w0 * w1 * w2;
    out[at] = t;
  }
}

// ---- order 1, input y an integer along the row (integer types) ----------------------------

function linearOnYU8(src: Uint8Array, out: Uint8Array, taps: PlaneTaps, k: number, p1: number, at: number, lo: number, hi: number): void {
  const { base, dz, dx, w } = taps;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const j = k + o2;
    const p = base[j]! + p1, z = dz[j]!, x = dx[j]!;
    const a0 = w[2 * j]!, a2 = w[2 * j + 1]!;
    const w0 = 1 - a0, w2 = 1 - a2;
    let t = 0.0;
    t += src[p]! * a0 * a2;
    t += src[p + x]! * a0 * w2;
    t += src[p + z]! * w0 * a2;
    t += src[p + z + x]! * w0 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 255) v = 255;
    out[at] = v;
  }
}

function linearOnYU16(src: Uint16Array, out: Uint16Array, taps: PlaneTaps, k: number, p1: number, at: number, lo: number, hi: number): void {
  const { base, dz, dx, w } = taps;
  for (let o2 = lo; o2 < hi; o2++, at++) {
    const j = k + o2;
    const p = base[j]! + p1, z = dz[j]!, x = dx[j]!;
    const a0 = w[2 * j]!, a2 = w[2 * j + 1]!;
    const w0 = 1 - a0, w2 = 1 - a2;
    let t = 0.0;
    t += src[p]! * a0 * a2;
    t += src[p + x]! * a0 * w2;
    t += src[p + z]! * w0 * a2;
    t += src[p + z + x]! * w0 * w2;
    let v = t > 0 ? t + 0.5 : 0;
    if (v > 65535) v = 65535;
    out[at] = v;
  }
}

const U8: AffineRows<Uint8Array> = { nearest: nearestU8, nearestY: nearestYU8, linear: linearU8, linearY: linearYU8, linearOnY: linearOnYU8 };
const U16: AffineRows<Uint16Array> = { nearest: nearestU16, nearestY: nearestYU16, linear: linearU16, linearY: linearYU16, linearOnY: linearOnYU16 };
const F32: AffineRows<Float32Array> = { nearest: nearestF32, nearestY: nearestYF32, linear: linearF32, linearY: linearYF32, linearOnY: null };

/** The row loops for `src`'s voxel type (the one dtype dispatch of a call). */
export function affineRowsFor<T extends VoxelArray>(src: T): AffineRows<T> {
  return (src instanceof Uint16Array ? U16 : src instanceof Uint8Array ? U8 : F32) as unknown as AffineRows<T>;
}
