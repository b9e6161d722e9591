/**
 * The Gaussian filter on WebAssembly SIMD (f64x2), bit-identical to the scalar kernel in
 * ../gaussian.ts (same per-lane operations in the same order). Per chunk of output planes the
 * needed input planes are copied into this thread's WebAssembly memory; per plane the z pass runs
 * once over the plane, then per row the y pass writes a padded line, the reflected pads are filled
 * and the x pass writes the output row; finished planes are copied out.
 *
 * @example
 * if (!gaussianFilterSimd(input, out, [1, 1, 1], 4, 0, nz)) gaussianFilterScalar(…);
 */
import type { Volume, VoxelArray } from '../../types.ts';
import { gaussianRadius, gaussianWeights } from '../gaussian-weights.ts';
import { reflectIndex } from '../reflect.ts';
import { combineKernel } from './combine.ts';
import type { CombineFn, DstKind, SrcKind } from './combine.ts';

let supported: boolean | null = null;

/** Whether this runtime compiles WebAssembly SIMD. */
export function simdSupported(): boolean {
  if (supported === null) {
    try {
      // A function returning v128.const 0 (any SIMD use fails validation without SIMD support).
      const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
    } catch {
      supported = false;
    }
  }
  return supported;
}

let memory: WebAssembly.Memory | null = null;
const kernels = new Map<string, CombineFn>();

function ensureMemory(bytes: number): WebAssembly.Memory {
  memory ??= new WebAssembly.Memory({ initial: 1 });
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory;
}

function kernel(src: SrcKind, dst: DstKind, offsets: number[], weights: Float64Array): CombineFn {
  const key = `${src}|${dst}|${offsets.join(',')}|${Array.from(weights).join(',')}`;
  let f = kernels.get(key);
  if (!f) {
    f = combineKernel(ensureMemory(0), { src, dst, offsets, weights });
    if (kernels.size > 512) kernels.clear();
    kernels.set(key, f);
  }
  return f;
}

/** Half kernel w0 … wr of one axis; a skipped axis (σ ≤ 1e-15) is the identity (r = 0, w0 = 1), exact. */
function half(sigma: number, truncate: number): Float64Array {
  if (!(sigma > 1e-15)) return new Float64Array([1]);
  return gaussianWeights(sigma, truncate).slice(gaussianRadius(sigma, truncate));
}

/** Reflected references [i, i−1, i+1, …, i−r, i+r] as offsets from the smallest, in units of `unit`. */
function refs(i: number, n: number, r: number, unit: number): { base: number; offsets: number[] } {
  const idx = [i];
  for (let j = 1; j <= r; j++) idx.push(reflectIndex(i - j, n), reflectIndex(i + j, n));
  const base = Math.min(...idx);
  return { base, offsets: idx.map((k) => (k - base) * unit) };
}

/**
 * The y and x passes of one plane, row by row: the y pass writes a padded line, the reflected pads
 * are filled, the x pass writes the output row. Kept small and separate so V8 optimizes it within
 * the first plane (the large caller takes tens of ms to optimize, and runs slowly until then).
 */
function planeRows(yfn: readonly CombineFn[], ysrc: Int32Array, xf: CombineFn, line: Float64Array, pads: Int32Array, rx: number, nx: number, ny: number, LINE: number, OUTP: number, rowBytes: number): void {
  const lineAt = LINE + rx * 8;
  for (let y = 0; y < ny; y++) {
    yfn[y]!(ysrc[y]!, lineAt, nx);
    for (let k = 0; k < rx; k++) {
      line[rx - 1 - k] = line[rx + pads[2 * k]!]!;
      line[rx + nx + k] = line[rx + pads[2 * k + 1]!]!;
    }
    xf(LINE, OUTP + y * rowBytes, nx);
  }
}

/** Planes per chunk copied into WebAssembly memory at once. */
const CHUNK = 32;

/**
 * Filters output planes [zStart, zEnd) into `out`; returns false (doing nothing) when SIMD is
 * unavailable.
 */
export function gaussianFilterSimd<T extends VoxelArray>(
  input: Volume<T>,
  out: T,
  sigma: readonly [number, number, number],
  truncate: number,
  zStart: number,
  zEnd: number,
): boolean {
  if (!simdSupported()) return false;
  const [nz, ny, nx] = input.shape;
  const src = input.data;
  const kind: SrcKind = src instanceof Uint16Array ? 'u16' : src instanceof Uint8Array ? 'u8' : 'f32';
  const tb = src.BYTES_PER_ELEMENT;
  const mid: DstKind = kind === 'f32' ? 'f64-fround' : 'f64-trunc';
  const wz = half(sigma[0], truncate), wy = half(sigma[1], truncate), wx = half(sigma[2], truncate);
  const rz = wz.length - 1, ry = wy.length - 1, rx = wx.length - 1;
  const plane = ny * nx;
  const chunk = Math.min(CHUNK, Math.max(1, zEnd - zStart));
  const inPlanes = Math.min(nz, chunk + 2 * rz);
  // Layout (16-byte aligned regions, each with slack for the one-extra-lane overshoot).
  const align = (n: number) => (n + 15) & ~15;
  const IN = 64;
  const A = align(IN + inPlanes * plane * tb + 64);
  const LINE = align(A + plane * 8 + 64);
  const OUTP = align(LINE + (nx + 2 * rx + 4) * 8);
  const END = align(OUTP + plane * tb + 64);
  const mem = ensureMemory(END);
  const xf = kernel('f64', kind, refs(rx, nx + 2 * rx, rx, 8).offsets, wx);
  const padLo = Array.from({ length: rx }, (_, k) => reflectIndex(-(k + 1), nx));
  const padHi = Array.from({ length: rx }, (_, k) => reflectIndex(nx + k, nx));
  // The y kernel and source row of every output row (interior rows share one kernel).
  const ysrc = new Int32Array(ny);
  const yfn = Array.from({ length: ny }, (_, y): CombineFn => {
    const yr = refs(y, ny, ry, nx * 8);
    ysrc[y] = A + yr.base * nx * 8;
    return kernel('f64', mid, yr.offsets, wy);
  });
  const pads = new Int32Array(2 * rx);
  for (let k = 0; k < rx; k++) {
    pads[2 * k] = padLo[k]!;
    pads[2 * k + 1] = padHi[k]!;
  }

  for (let z0 = zStart; z0 < zEnd; z0 += chunk) {
    const z1 = Math.min(zEnd, z0 + chunk);
    const lo = Math.max(0, z0 - rz);
    const hi = Math.min(nz, z1 + rz);
    const buffer = mem.buffer;
    const inView = new (src.constructor as { new (b: ArrayBuffer, o: number, n: number): VoxelArray })(buffer, IN, (hi - lo) * plane);
    inView.set(src.subarray(lo * plane, hi * plane) as never);
    const line = new Float64Array(buffer, LINE, nx + 2 * rx + 4);
    const outView = new (src.constructor as { new (b: ArrayBuffer, o: number, n: number): VoxelArray })(buffer, OUTP, plane);
    for (let z = z0; z < z1; z++) {
      const zr = refs(z, nz, rz, plane * tb);
      kernel(kind, mid, zr.offsets, wz)(IN + (zr.base - lo) * plane * tb, A, plane);
      planeRows(yfn, ysrc, xf, line, pads, rx, nx, ny, LINE, OUTP, nx * tb);
      out.set(outView as never, z * plane);
    }
  }
  return true;
}
