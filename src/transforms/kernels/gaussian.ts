/**
 * Gaussian filter of a 3-D volume, bit-exact with scipy.ndimage.gaussian_filter (mode
 * 'reflect'; specs/benchmark.md §5.2): separable passes along z, y, x, each accumulating in
 * double as `x[i]·w0 + Σ_{j=r..1} (x[i−j] + x[i+j])·wj` and storing the voxel type before the
 * next pass. Output planes are independent, so any z-range [zStart, zEnd) can be computed alone:
 * per plane, the z pass reads 2r+1 input planes, then the y and x passes stay in the plane.
 *
 * @example
 * gaussianFilter(input, out, [1, 1, 1], 4, 0, input.shape[0]);
 */
import type { Volume, VoxelArray } from '../types.ts';
import { gaussianRadius, gaussianWeights } from './gaussian-weights.ts';
import { reflectIndex } from './reflect.ts';
import { gaussianFilterSimd } from './wasm/gaussian-simd.ts';

export { reflectIndex };

export type GaussianImplementation = 'wasm-simd-f64x2' | 'js-scalar';
let preferScalar = false;

/** Chooses the implementation: 'auto' (SIMD where available) or 'js-scalar'. Both give identical output. */
export function setGaussianImplementation(choice: 'auto' | 'js-scalar'): void {
  preferScalar = choice === 'js-scalar';
}

interface Axis {
  r: number;
  w: Float64Array; // w[j] for j = 0..r (half kernel, centre first)
}

function axisOf(sigma: number, truncate: number): Axis | null {
  if (!(sigma > 1e-15)) return null;
  const full = gaussianWeights(sigma, truncate);
  const r = gaussianRadius(sigma, truncate);
  return { r, w: full.slice(r) };
}

let scratchA = new Float64Array(0);
let scratchB = new Float64Array(0);
let scratchLine = new Float64Array(0);
let scratchOffsets = new Int32Array(0);

/**
 * dst[i] = round_T(src[c+i]·w0 + Σ_{j=r..1} (src[lo_j+i] + src[hi_j+i])·wj) for i < len, where
 * offs = [c, lo_1, hi_1, …, lo_r, hi_r] and round_T is truncation (integers) or float32 rounding.
 */
function combineF64(src: Float64Array, offs: Int32Array, w: Float64Array, r: number, len: number, dst: Float64Array, d: number, integer: boolean): void {
  const c = offs[0]!;
  if (r === 4) {
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!, w4 = w[4]!;
    const l1 = offs[1]!, h1 = offs[2]!, l2 = offs[3]!, h2 = offs[4]!, l3 = offs[5]!, h3 = offs[6]!, l4 = offs[7]!, h4 = offs[8]!;
    if (integer) {
      for (let i = 0; i < len; i++) {
        let acc = src[c + i]! * w0;
        acc += (src[l4 + i]! + src[h4 + i]!) * w4;
        acc += (src[l3 + i]! + src[h3 + i]!) * w3;
        acc += (src[l2 + i]! + src[h2 + i]!) * w2;
        acc += (src[l1 + i]! + src[h1 + i]!) * w1;
        dst[d + i] = Math.trunc(acc);
      }
    } else {
      for (let i = 0; i < len; i++) {
        let acc = src[c + i]! * w0;
        acc += (src[l4 + i]! + src[h4 + i]!) * w4;
        acc += (src[l3 + i]! + src[h3 + i]!) * w3;
        acc += (src[l2 + i]! + src[h2 + i]!) * w2;
        acc += (src[l1 + i]! + src[h1 + i]!) * w1;
        dst[d + i] = Math.fround(acc);
      }
    }
    return;
  }
  const w0 = w[0]!;
  for (let i = 0; i < len; i++) {
    let acc = src[c + i]! * w0;
    for (let j = r; j >= 1; j--) acc += (src[offs[2 * j - 1]! + i]! + src[offs[2 * j]! + i]!) * w[j]!;
    dst[d + i] = integer ? Math.trunc(acc) : Math.fround(acc);
  }
}

/** The z pass of one plane from the typed input (same contract as combineF64). */
function combineInput(src: VoxelArray, offs: Int32Array, w: Float64Array, r: number, len: number, dst: Float64Array, integer: boolean): void {
  if (src instanceof Uint16Array) combineU16(src, offs, w, r, len, dst);
  else if (src instanceof Uint8Array) combineU8(src, offs, w, r, len, dst);
  else combineF32(src, offs, w, r, len, dst);
  void integer;
}

function combineU16(src: Uint16Array, offs: Int32Array, w: Float64Array, r: number, len: number, dst: Float64Array): void {
  const c = offs[0]!;
  if (r === 4) {
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!, w4 = w[4]!;
    const l1 = offs[1]!, h1 = offs[2]!, l2 = offs[3]!, h2 = offs[4]!, l3 = offs[5]!, h3 = offs[6]!, l4 = offs[7]!, h4 = offs[8]!;
    for (let i = 0; i < len; i++) {
      let acc = src[c + i]! * w0;
      acc += (src[l4 + i]! + src[h4 + i]!) * w4;
      acc += (src[l3 + i]! + src[h3 + i]!) * w3;
      acc += (src[l2 + i]! + src[h2 + i]!) * w2;
      acc += (src[l1 + i]! + src[h1 + i]!) * w1;
      dst[i] = Math.trunc(acc);
    }
    return;
  }
  const w0 = w[0]!;
  for (let i = 0; i < len; i++) {
    let acc = src[c + i]! * w0;
    for (let j = r; j >= 1; j--) acc += (src[offs[2 * j - 1]! + i]! + src[offs[2 * j]! + i]!) * w[j]!;
    dst[i] = Math.trunc(acc);
  }
}

function combineU8(src: Uint8Array, offs: Int32Array, w: Float64Array, r: number, len: number, dst: Float64Array): void {
  const c = offs[0]!;
  const w0 = w[0]!;
  for (let i = 0; i < len; i++) {
    let acc = src[c + i]! * w0;
    for (let j = r; j >= 1; j--) acc += (src[offs[2 * j - 1]! + i]! + src[offs[2 * j]! + i]!) * w[j]!;
    dst[i] = Math.trunc(acc);
  }
}

function combineF32(src: Float32Array, offs: Int32Array, w: Float64Array, r: number, len: number, dst: Float64Array): void {
  const c = offs[0]!;
  const w0 = w[0]!;
  for (let i = 0; i < len; i++) {
    let acc = src[c + i]! * w0;
    for (let j = r; j >= 1; j--) acc += (src[offs[2 * j - 1]! + i]! + src[offs[2 * j]! + i]!) * w[j]!;
    dst[i] = Math.fround(acc);
  }
}

/** The x pass of one row: `line` holds the row with r reflected voxels on each side. */
function rowPass(line: Float64Array, w: Float64Array, r: number, nx: number, out: VoxelArray, at: number): void {
  if (r === 4) {
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!, w4 = w[4]!;
    for (let x = 0; x < nx; x++) {
      const p = x + 4;
      let acc = line[p]! * w0;
      acc += (line[p - 4]! + line[p + 4]!) * w4;
      acc += (line[p - 3]! + line[p + 3]!) * w3;
      acc += (line[p - 2]! + line[p + 2]!) * w2;
      acc += (line[p - 1]! + line[p + 1]!) * w1;
      out[at + x] = acc;
    }
    return;
  }
  const w0 = w[0]!;
  for (let x = 0; x < nx; x++) {
    const p = x + r;
    let acc = line[p]! * w0;
    for (let j = r; j >= 1; j--) acc += (line[p - j]! + line[p + j]!) * w[j]!;
    out[at + x] = acc;
  }
}

/**
 * Filters output planes [zStart, zEnd) of `input` into `out` (same shape and type). Storing into
 * the typed output truncates (uint8/uint16) or rounds to float32, as scipy's per-pass casts do.
 */
export function gaussianFilter<T extends VoxelArray>(
  input: Volume<T>,
  out: T,
  sigma: readonly [number, number, number],
  truncate: number,
  zStart: number,
  zEnd: number,
): GaussianImplementation {
  if (!preferScalar && gaussianFilterSimd(input, out, sigma, truncate, zStart, zEnd)) return 'wasm-simd-f64x2';
  gaussianFilterScalar(input, out, sigma, truncate, zStart, zEnd);
  return 'js-scalar';
}

/** The scalar JavaScript kernel (the reference for the SIMD one). */
export function gaussianFilterScalar<T extends VoxelArray>(
  input: Volume<T>,
  out: T,
  sigma: readonly [number, number, number],
  truncate: number,
  zStart: number,
  zEnd: number,
): void {
  const [nz, ny, nx] = input.shape;
  const src = input.data;
  const plane = ny * nx;
  const integer = !(src instanceof Float32Array);
  const az = axisOf(sigma[0], truncate);
  const ay = axisOf(sigma[1], truncate);
  const ax = axisOf(sigma[2], truncate);
  if (scratchA.length < plane) {
    scratchA = new Float64Array(plane);
    scratchB = new Float64Array(plane);
  }
  const rx = ax ? ax.r : 0;
  if (scratchLine.length < nx + 2 * rx) scratchLine = new Float64Array(nx + 2 * rx);
  const rmax = Math.max(az?.r ?? 0, ay?.r ?? 0);
  if (scratchOffsets.length < 2 * rmax + 1) scratchOffsets = new Int32Array(2 * rmax + 1);
  const A = scratchA;
  const B = scratchB;
  const line = scratchLine;
  const offs = scratchOffsets;
  // Reflected x indices of the row padding.
  const padLo = new Int32Array(rx);
  const padHi = new Int32Array(rx);
  for (let j = 1; j <= rx; j++) {
    padLo[j - 1] = reflectIndex(-j, nx);
    padHi[j - 1] = reflectIndex(nx - 1 + j, nx);
  }

  for (let z = zStart; z < zEnd; z++) {
    // z pass → A
    if (az) {
      offs[0] = z * plane;
      for (let j = 1; j <= az.r; j++) {
        offs[2 * j - 1] = reflectIndex(z - j, nz) * plane;
        offs[2 * j] = reflectIndex(z + j, nz) * plane;
      }
      combineInput(src, offs, az.w, az.r, plane, A, integer);
    } else {
      const base = z * plane;
      for (let i = 0; i < plane; i++) A[i] = src[base + i]!;
    }
    // y pass → B, one output row at a time (rows are combined whole)
    let rows: Float64Array = A;
    if (ay) {
      const r = ay.r;
      for (let y = 0; y < ny; y++) {
        offs[0] = y * nx;
        for (let j = 1; j <= r; j++) {
          offs[2 * j - 1] = reflectIndex(y - j, ny) * nx;
          offs[2 * j] = reflectIndex(y + j, ny) * nx;
        }
        combineF64(A, offs, ay.w, r, nx, B, y * nx, integer);
      }
      rows = B;
    }
    // x pass → out
    const outBase = z * plane;
    if (ax) {
      const r = ax.r;
      for (let y = 0; y < ny; y++) {
        const rowAt = y * nx;
        for (let x = 0; x < nx; x++) line[r + x] = rows[rowAt + x]!;
        for (let j = 1; j <= r; j++) {
          line[r - j] = rows[rowAt + padLo[j - 1]!]!;
          line[r + nx - 1 + j] = rows[rowAt + padHi[j - 1]!]!;
        }
        rowPass(line, ax.w, r, nx, out, outBase + rowAt);
      }
    } else {
      for (let i = 0; i < plane; i++) out[outBase + i] = rows[i]!;
    }
  }
}
