/**
 * Block downsampling by an integer factor (specs/benchmark.md §5.11): each axis trimmed to a
 * multiple of the factor, then each f×f×f block reduced to its mean (summed in double, divided,
 * truncated for integer types, rounded for float32) or its maximum.
 *
 * The loops that read or write voxels exist once per voxel type (…U8, …U16, …F32: the same loop,
 * only the array type differs; the typed store does the conversion), chosen once per call.
 *
 * @example
 * downsampleVolume(input, out, 3, 'mean', 0, Math.floor(input.shape[0] / 3));
 */
import type { Volume, VoxelArray } from '../types.ts';

/**
 * Folds one input row (from `base`) into `acc`, the running reduction of ox output voxels:
 * mode 0 sums f-voxel groups, 3 sums groups of 3 (unrolled), 1 takes the maximum (NaN wins).
 */
type FoldRow<T> = (src: T, base: number, acc: Float64Array, ox: number, f: number, mode: number) => void;
/** out[at + x] = acc[x] / divisor for x < ox (divisor 1 for max); the typed store converts. */
type StoreRow<T> = (out: T, at: number, acc: Float64Array, ox: number, divisor: number) => void;

const SUM = 0;
const MAX = 1;
const SUM3 = 3;

function foldU8(src: Uint8Array, base: number, acc: Float64Array, ox: number, f: number, mode: number): void {
  if (mode === SUM3) {
    // The benchmark's factor, unrolled (the group is added to the running sum as one term).
    for (let x = 0, p = base; x < ox; x++, p += 3) acc[x] = acc[x]! + (src[p]! + src[p + 1]! + src[p + 2]!);
  } else if (mode === SUM) {
    for (let x = 0, p = base; x < ox; x++) {
      let s = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) s += src[p]!;
      acc[x] = s;
    }
  } else {
    for (let x = 0, p = base; x < ox; x++) {
      let m = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) {
        const v = src[p]!;
        if (v > m || v !== v) m = v;
      }
      acc[x] = m;
    }
  }
}

function foldU16(src: Uint16Array, base: number, acc: Float64Array, ox: number, f: number, mode: number): void {
  if (mode === SUM3) {
    for (let x = 0, p = base; x < ox; x++, p += 3) acc[x] = acc[x]! + (src[p]! + src[p + 1]! + src[p + 2]!);
  } else if (mode === SUM) {
    for (let x = 0, p = base; x < ox; x++) {
      let s = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) s += src[p]!;
      acc[x] = s;
    }
  } else {
    for (let x = 0, p = base; x < ox; x++) {
      let m = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) {
        const v = src[p]!;
        if (v > m || v !== v) m = v;
      }
      acc[x] = m;
    }
  }
}

function foldF32(src: Float32Array, base: number, acc: Float64Array, ox: number, f: number, mode: number): void {
  if (mode === SUM3) {
    for (let x = 0, p = base; x < ox; x++, p += 3) acc[x] = acc[x]! + (src[p]! + src[p + 1]! + src[p + 2]!);
  } else if (mode === SUM) {
    for (let x = 0, p = base; x < ox; x++) {
      let s = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) s += src[p]!;
      acc[x] = s;
    }
  } else {
    for (let x = 0, p = base; x < ox; x++) {
      let m = acc[x]!;
      for (let dx = 0; dx < f; dx++, p++) {
        const v = src[p]!;
        if (v > m || v !== v) m = v;
      }
      acc[x] = m;
    }
  }
}

function storeU8(out: Uint8Array, at: number, acc: Float64Array, ox: number, divisor: number): void {
  for (let x = 0; x < ox; x++) out[at + x] = acc[x]! / divisor;
}

function storeU16(out: Uint16Array, at: number, acc: Float64Array, ox: number, divisor: number): void {
  for (let x = 0; x < ox; x++) out[at + x] = acc[x]! / divisor;
}

function storeF32(out: Float32Array, at: number, acc: Float64Array, ox: number, divisor: number): void {
  for (let x = 0; x < ox; x++) out[at + x] = acc[x]! / divisor;
}

function loopsFor<T extends VoxelArray>(src: T): { fold: FoldRow<T>; store: StoreRow<T> } {
  const loops = src instanceof Uint16Array ? { fold: foldU16, store: storeU16 } : src instanceof Uint8Array ? { fold: foldU8, store: storeU8 } : { fold: foldF32, store: storeF32 };
  return loops as unknown as { fold: FoldRow<T>; store: StoreRow<T> };
}

/** Computes output planes [zStart, zEnd) into `out` of shape floor(shape / factor). */
export function downsampleVolume<T extends VoxelArray>(input: Volume<T>, out: T, factor: number, reduce: 'mean' | 'max', zStart: number, zEnd: number): void {
  const src = input.data;
  const { fold, store } = loopsFor(src);
  const [, ny, nx] = input.shape;
  const f = factor;
  const oy = Math.floor(ny / f), ox = Math.floor(nx / f);
  const plane = ny * nx;
  const isMean = reduce === 'mean';
  const mode = !isMean ? MAX : f === 3 ? SUM3 : SUM;
  const divisor = isMean ? f * f * f : 1;
  const acc = new Float64Array(ox); // per output x: the running reduction over the block
  for (let z = zStart; z < zEnd; z++) {
    for (let y = 0; y < oy; y++) {
      acc.fill(isMean ? 0 : -Infinity);
      for (let dz = 0; dz < f; dz++) {
        for (let dy = 0; dy < f; dy++) fold(src, (z * f + dz) * plane + (y * f + dy) * nx, acc, ox, f, mode);
      }
      store(out, (z * oy + y) * ox, acc, ox, divisor);
    }
  }
}
