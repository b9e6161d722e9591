/**
 * Element types: Zarr v2 dtype strings (`<u2`, `|u1`, `>f4`, …), Zarr v3 `data_type` names and
 * NPY `descr` values, and turning raw bytes (either byte order) into typed arrays.
 */

import type { DataType, PixelArray } from './description.ts';

export interface ElementType {
  dtype: DataType;
  /** Bytes per stored element (8 for float64, which reads as float32). */
  bytes: number;
  littleEndian: boolean;
  /** Stored as float64, delivered as float32. */
  fromFloat64: boolean;
  /** Stored as a signed or unsigned integer. */
  integer: boolean;
}

const KINDS: Record<string, { dtype: DataType; bytes: number } | undefined> = {
  u1: { dtype: 'uint8', bytes: 1 },
  i1: { dtype: 'int8', bytes: 1 },
  u2: { dtype: 'uint16', bytes: 2 },
  i2: { dtype: 'int16', bytes: 2 },
  u4: { dtype: 'uint32', bytes: 4 },
  i4: { dtype: 'int32', bytes: 4 },
  f4: { dtype: 'float32', bytes: 4 },
  f8: { dtype: 'float32', bytes: 8 },
};

/** A numpy-style type string (`<u2`, `|u1`, `u1`, `>f4`); `undefined` when this reader cannot read it. */
export function elementFromTypestr(s: string): ElementType | undefined {
  const m = /^([<>|=]?)([uif][1248])$/.exec(s);
  if (!m) return undefined;
  const kind = KINDS[m[2] ?? ''];
  if (!kind) return undefined;
  const order = m[1] ?? '';
  if (kind.bytes > 1 && (order === '|' || order === '')) return undefined;
  return { ...kind, littleEndian: order !== '>', fromFloat64: kind.bytes === 8, integer: !m[2]!.startsWith('f') };
}

const V3_NAMES: Record<string, string> = {
  uint8: 'u1',
  int8: 'i1',
  uint16: 'u2',
  int16: 'i2',
  uint32: 'u4',
  int32: 'i4',
  float32: 'f4',
  float64: 'f8',
};

/** A Zarr v3 `data_type`; byte order comes from the `bytes` codec. */
export function elementFromV3(name: string, littleEndian: boolean): ElementType | undefined {
  const k = V3_NAMES[name];
  if (k === undefined) return undefined;
  const kind = KINDS[k];
  if (!kind) return undefined;
  return { ...kind, littleEndian, fromFloat64: kind.bytes === 8, integer: !k.startsWith('f') };
}

export function allocate(dtype: DataType, n: number): PixelArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float32':
      return new Float32Array(n);
  }
}

export function filled(dtype: DataType, n: number, fill: number): PixelArray {
  const a = allocate(dtype, n);
  if (fill !== 0) a.fill(fill);
  return a;
}

/** `n` elements from `bytes` (which must hold at least `n · bytes`), copied, in the host's order. */
export function toElements(bytes: Uint8Array, el: ElementType, n: number): PixelArray {
  const out = allocate(el.dtype, n);
  if (el.bytes === 1) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, n));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * el.bytes);
  const le = el.littleEndian;
  if (el.fromFloat64) {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
    return out;
  }
  if (le && HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * el.bytes));
    return out;
  }
  switch (el.dtype) {
    case 'uint16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, le);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, le);
      break;
    case 'uint32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, le);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, le);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
  }
  return out;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The data range of an integer type, for windows; `undefined` for floats. */
export function integerRange(dtype: DataType): [number, number] | undefined {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 65535];
    case 'int16':
      return [-32768, 32767];
    case 'uint32':
      return [0, 4294967295];
    case 'int32':
      return [-2147483648, 2147483647];
    default:
      return undefined;
  }
}

/**
 * Reorders a C-order block: `encoded` has shape `encShape[i] = shape[order[i]]`; the result has
 * `shape`, with `result[d] = encoded[e]` where `e[i] = d[order[i]]` (Zarr v3 `transpose`).
 */
export function untranspose<T extends PixelArray>(encoded: T, shape: readonly number[], order: readonly number[]): T {
  const n = shape.length;
  const encShape = order.map((o) => shape[o]!);
  const encStrides = new Array<number>(n).fill(1);
  for (let i = n - 2; i >= 0; i--) encStrides[i] = encStrides[i + 1]! * encShape[i + 1]!;
  // stride in `encoded` of each decoded axis
  const stride = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) stride[order[i]!] = encStrides[i]!;
  const out = encoded.slice(0) as T;
  const idx = new Array<number>(n).fill(0);
  const total = encoded.length;
  let src = 0;
  for (let k = 0; k < total; k++) {
    out[k] = encoded[src]!;
    for (let a = n - 1; a >= 0; a--) {
      idx[a]!++;
      src += stride[a]!;
      if (idx[a]! < shape[a]!) break;
      src -= stride[a]! * shape[a]!;
      idx[a] = 0;
    }
  }
  return out;
}
