/**
 * Accumulation kernels (pure; spec §4.4): how a frame's pixels combine with what a chunk-major
 * slab already holds, one block at a time — `rows` rows of `n` pixels, read from the frame at
 * `so` with row stride `sw`, written to the slab at `d` with row stride 64 (one plane of one
 * chunk). Every mode exists once per dtype, so each loop is monomorphic: additive clips at the
 * dtype maximum for integers (65535, 255) and does not clip `<f4`; average keeps a per-voxel
 * sum and count and stores `floor(sum / count)` for integers, `sum / count` for `<f4`.
 *
 * @example
 * const ops = accumulators('<u2');
 * ops.max(slab, d, frame.pixels, so, n, rows, frame.width);
 */
import type { SessionDtype } from '../metadata/types.ts';
import type { SlabData } from './kernel.ts';

const ROW = 64;

type Block<T> = (dst: T, d: number, src: T, so: number, n: number, rows: number, sw: number) => void;
type AverageBlock<T, S> = (dst: T, sum: S, count: Uint16Array, d: number, src: T, so: number, n: number, rows: number, sw: number, fresh: boolean) => void;

export interface Accumulators<T extends SlabData = SlabData> {
  /** `new` (first data in a plane of a chunk, or mode `latest`). */
  copy: Block<T>;
  maximum: Block<T>;
  additive: Block<T>;
  /** Sum array: Uint32Array for integers, Float64Array for `<f4`. */
  average: AverageBlock<T, Uint32Array | Float64Array>;
}

const wordViews = new WeakMap<ArrayBufferLike, Int32Array>();

/** The 32-bit words of a whole buffer (its trailing bytes, if any, excluded), made once per buffer. */
function wordView(buffer: ArrayBufferLike): Int32Array {
  let v = wordViews.get(buffer);
  if (!v) wordViews.set(buffer, (v = new Int32Array(buffer, 0, buffer.byteLength >> 2)));
  return v;
}

/** Copies a block as 32-bit words when both sides are word aligned (any dtype); returns false otherwise. */
export function copyWords(dst: SlabData, d: number, src: SlabData, so: number, n: number, rows: number, sw: number): boolean {
  const b = dst.BYTES_PER_ELEMENT;
  const db = dst.byteOffset + d * b;
  const sb = src.byteOffset + so * b;
  if (((db | sb | (n * b) | (sw * b)) & 3) !== 0) return false;
  const dw = wordView(dst.buffer);
  const sWords = wordView(src.buffer);
  const words = (n * b) >> 2;
  const dStep = (ROW * b) >> 2;
  const sStep = (sw * b) >> 2;
  let dp = db >> 2;
  let sp = sb >> 2;
  if (words === 32) {
    // A whole 64-voxel uint16 row (the common case), unrolled.
    for (let r = 0; r < rows; r++, dp += dStep, sp += sStep) {
      for (let i = 0; i < 32; i += 8) {
        dw[dp + i] = sWords[sp + i]!;
        dw[dp + i + 1] = sWords[sp + i + 1]!;
        dw[dp + i + 2] = sWords[sp + i + 2]!;
        dw[dp + i + 3] = sWords[sp + i + 3]!;
        dw[dp + i + 4] = sWords[sp + i + 4]!;
        dw[dp + i + 5] = sWords[sp + i + 5]!;
        dw[dp + i + 6] = sWords[sp + i + 6]!;
        dw[dp + i + 7] = sWords[sp + i + 7]!;
      }
    }
    return true;
  }
  for (let r = 0; r < rows; r++, dp += dStep, sp += sStep) {
    for (let i = 0; i < words; i++) dw[dp + i] = sWords[sp + i]!;
  }
  return true;
}

// ------------------------------------------------------------------ uint16

const copyU16: Block<Uint16Array> = (dst, d, src, so, n, rows, sw) => {
  if (copyWords(dst, d, src, so, n, rows, sw)) return;
  for (let r = 0; r < rows; r++, d += ROW, so += sw) for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
};
const maxU16: Block<Uint16Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      if (v > dst[d + i]!) dst[d + i] = v;
    }
  }
};
const addU16: Block<Uint16Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = dst[d + i]! + src[so + i]!;
      dst[d + i] = v > 65535 ? 65535 : v;
    }
  }
};
const avgU16: AverageBlock<Uint16Array, Uint32Array> = (dst, sum, count, d, src, so, n, rows, sw, fresh) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      const k = d + i;
      const total = fresh ? v : sum[k]! + v;
      const m = fresh ? 1 : count[k]! + 1;
      sum[k] = total;
      count[k] = m;
      dst[k] = Math.floor(total / m);
    }
  }
};

// ------------------------------------------------------------------ uint8

const copyU8: Block<Uint8Array> = (dst, d, src, so, n, rows, sw) => {
  if (copyWords(dst, d, src, so, n, rows, sw)) return;
  for (let r = 0; r < rows; r++, d += ROW, so += sw) for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
};
const maxU8: Block<Uint8Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      if (v > dst[d + i]!) dst[d + i] = v;
    }
  }
};
const addU8: Block<Uint8Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = dst[d + i]! + src[so + i]!;
      dst[d + i] = v > 255 ? 255 : v;
    }
  }
};
const avgU8: AverageBlock<Uint8Array, Uint32Array> = (dst, sum, count, d, src, so, n, rows, sw, fresh) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      const k = d + i;
      const total = fresh ? v : sum[k]! + v;
      const m = fresh ? 1 : count[k]! + 1;
      sum[k] = total;
      count[k] = m;
      dst[k] = Math.floor(total / m);
    }
  }
};

// ------------------------------------------------------------------ float32

const copyF32: Block<Float32Array> = (dst, d, src, so, n, rows, sw) => {
  if (copyWords(dst, d, src, so, n, rows, sw)) return;
  for (let r = 0; r < rows; r++, d += ROW, so += sw) for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
};
const maxF32: Block<Float32Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      if (v > dst[d + i]!) dst[d + i] = v;
    }
  }
};
const addF32: Block<Float32Array> = (dst, d, src, so, n, rows, sw) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) for (let i = 0; i < n; i++) dst[d + i] = dst[d + i]! + src[so + i]!;
};
const avgF32: AverageBlock<Float32Array, Float64Array> = (dst, sum, count, d, src, so, n, rows, sw, fresh) => {
  for (let r = 0; r < rows; r++, d += ROW, so += sw) {
    for (let i = 0; i < n; i++) {
      const v = src[so + i]!;
      const k = d + i;
      const total = fresh ? v : sum[k]! + v;
      const m = fresh ? 1 : count[k]! + 1;
      sum[k] = total;
      count[k] = m;
      dst[k] = total / m;
    }
  }
};

const U16 = { copy: copyU16, maximum: maxU16, additive: addU16, average: avgU16 };
const U8 = { copy: copyU8, maximum: maxU8, additive: addU8, average: avgU8 };
const F32 = { copy: copyF32, maximum: maxF32, additive: addF32, average: avgF32 };

/** The accumulation kernels of a session dtype. */
export function accumulators(dtype: SessionDtype): Accumulators {
  return (dtype === '<u2' ? U16 : dtype === '|u1' ? U8 : F32) as unknown as Accumulators;
}

/** The running-sum array for mode `average`: exact integer sums, or doubles for `<f4`. */
export function averageSum(dtype: SessionDtype, n: number): Uint32Array | Float64Array {
  return dtype === '<f4' ? new Float64Array(n) : new Uint32Array(n);
}
