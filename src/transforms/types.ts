/**
 * The transform vocabulary shared by kernels, pools, the manager and the benchmark: volumes
 * (3-D, C order, z y x), the five operations, their output shapes and parameter checks.
 * Numerics follow specs/benchmark.md §5 (scipy.ndimage is the reference).
 *
 * @example
 * const vol: Volume<Uint16Array> = { data: new Uint16Array(8 * 8 * 8), shape: [8, 8, 8] };
 * const op: TransformOp = { op: 'downsample', factor: 2, reduce: 'mean' };
 * outputShape(vol.shape, op); // [4, 4, 4]
 */
import { TaggedError } from '../tagged-error.ts';

export type VoxelArray = Uint8Array | Uint16Array | Float32Array;
export type VoxelType = 'uint8' | 'uint16' | 'float32';
export type Shape3 = readonly [number, number, number];

/** A 3-D volume: `data` holds shape[0]·shape[1]·shape[2] voxels, z slowest, x fastest. */
export interface Volume<T extends VoxelArray = VoxelArray> {
  data: T;
  shape: Shape3;
}

/**
 * How affine input coordinates are accumulated (spec §5.5/§5.13): `scipy-1.17` starts from the
 * offset, `scipy-1.10` adds it last. Default `scipy-1.17`.
 */
export type ParityProfile = 'scipy-1.17' | 'scipy-1.10';
export const PARITY_PROFILES: readonly ParityProfile[] = ['scipy-1.17', 'scipy-1.10'];

export type TransformOp =
  /** scipy.ndimage.gaussian_filter, mode 'reflect'; truncate defaults to 4. */
  | { op: 'gaussian'; sigma: Shape3; truncate?: number }
  /** scipy.ndimage.affine_transform: matrix is 9 numbers, row-major, output → input; constant boundary. */
  | {
      op: 'affine';
      matrix: readonly number[];
      offset: Shape3;
      order: 0 | 1;
      cval?: number;
      outputShape?: Shape3;
      parity?: ParityProfile;
    }
  /** Rotation about the volume centre (shape / 2), shape kept; matrix and offset per §5.3–§5.4. */
  | {
      op: 'rotate';
      axis: 'x' | 'y' | 'z';
      angleDeg: number;
      order: 0 | 1;
      cval?: number;
      parity?: ParityProfile;
      /** How the centre offset c − M·c is summed: 'fma' (default; the spec's §5.4 table) or 'plain'. */
      offsetArithmetic?: 'fma' | 'plain';
    }
  /**
   * out[i] = in[i − offset]. Order 0: roll and zero by the offsets rounded to integers (§5.10 FAST);
   * order 1: linear shift with constant cval outside (§5.10 QUALITY). Integer offsets: a masked copy.
   */
  | { op: 'shift'; offset: Shape3; order: 0 | 1; cval?: number }
  /** Trim each axis to a multiple of factor, then the mean (truncated for integers) or max of each block. */
  | { op: 'downsample'; factor: number; reduce: 'mean' | 'max' };

export type TransformOpName = TransformOp['op'];

export type TransformErrorCode = 'bad-parameter' | 'bad-volume' | 'bad-dtype' | 'cancelled' | 'worker-failed' | 'closed';

/** A transform refused or stopped; `code` says why ('cancelled' for an aborted run). */
export class TransformError extends TaggedError<TransformErrorCode> {
  override readonly name = 'TransformError';
}

export function isTransformError(err: unknown, code?: TransformErrorCode): err is TransformError {
  return err instanceof TransformError && (code === undefined || err.code === code);
}

/** The voxel type of a typed array, or a 'bad-dtype' TransformError. */
export function voxelTypeOf(data: unknown): VoxelType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Float32Array) return 'float32';
  const name = (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof data;
  throw new TransformError('bad-dtype', `Voxel data of type ${name} is not supported; expected Uint8Array, Uint16Array or Float32Array.`);
}

/** A new zeroed array of the given voxel type and length (on a SharedArrayBuffer when `shared`). */
export function allocVoxels(type: VoxelType, length: number, shared = false): VoxelArray {
  const bytes = type === 'uint8' ? 1 : type === 'uint16' ? 2 : 4;
  const buffer = shared ? new SharedArrayBuffer(length * bytes) : new ArrayBuffer(length * bytes);
  return type === 'uint8' ? new Uint8Array(buffer) : type === 'uint16' ? new Uint16Array(buffer) : new Float32Array(buffer);
}

function bad(message: string): TransformError {
  return new TransformError('bad-parameter', message);
}

function finite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${name} is ${String(v)}; expected a finite number.`);
  return v;
}

function triple(name: string, v: unknown): Shape3 {
  if (!Array.isArray(v) || v.length !== 3) throw bad(`${name} must have 3 values (z, y, x); got ${Array.isArray(v) ? v.length : String(v)}.`);
  v.forEach((x, i) => finite(`${name}[${i}]`, x));
  return v as unknown as Shape3;
}

function order(v: unknown): void {
  if (v !== 0 && v !== 1) throw bad(`order is ${String(v)}; expected 0 (nearest) or 1 (linear).`);
}

function parity(v: unknown): void {
  if (v !== undefined && !PARITY_PROFILES.includes(v as ParityProfile)) throw bad(`parity profile ${String(v)} is unknown; expected ${PARITY_PROFILES.join(' or ')}.`);
}

/** Largest sigma·truncate accepted: a kernel radius above this is a mistake, not a filter. */
export const MAX_GAUSSIAN_RADIUS = 1024;

/** Throws a 'bad-volume' TransformError when the shape and data disagree. */
export function checkVolume(vol: Volume): void {
  voxelTypeOf(vol.data);
  const s = vol.shape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new TransformError('bad-volume', `Volume shape ${JSON.stringify(s)} is not three positive integers (z, y, x).`);
  }
  const n = s[0] * s[1] * s[2];
  if (vol.data.length !== n) {
    throw new TransformError('bad-volume', `Volume data has ${vol.data.length} voxels but shape ${s.join('×')} needs ${n}.`);
  }
}

/** Throws a 'bad-parameter' TransformError naming the first bad parameter of `op`. */
export function checkOp(op: TransformOp): void {
  const o = op as { op?: unknown } & Record<string, unknown>;
  switch (o.op) {
    case 'gaussian': {
      const sigma = triple('gaussian sigma', o.sigma);
      const truncate = o.truncate === undefined ? 4 : finite('gaussian truncate', o.truncate);
      if (truncate < 0) throw bad(`gaussian truncate is ${truncate}; expected ≥ 0.`);
      sigma.forEach((s, i) => {
        if (s < 0) throw bad(`gaussian sigma[${i}] is ${s}; expected ≥ 0.`);
        if (s * truncate + 0.5 > MAX_GAUSSIAN_RADIUS) throw bad(`gaussian sigma[${i}] = ${s} with truncate ${truncate} gives a kernel radius above ${MAX_GAUSSIAN_RADIUS} voxels.`);
      });
      return;
    }
    case 'affine': {
      const m = o.matrix;
      if (!Array.isArray(m) || m.length !== 9) throw bad(`affine matrix must have 9 values (3×3, row-major); got ${Array.isArray(m) ? m.length : String(m)}.`);
      m.forEach((x, i) => finite(`affine matrix[${i}]`, x));
      triple('affine offset', o.offset);
      order(o.order);
      if (o.cval !== undefined) finite('affine cval', o.cval);
      if (o.outputShape !== undefined) {
        const s = triple('affine outputShape', o.outputShape);
        if (!s.every((n) => Number.isInteger(n) && n >= 1)) throw bad(`affine outputShape ${s.join('×')} is not three positive integers.`);
      }
      parity(o.parity);
      return;
    }
    case 'rotate':
      if (o.axis !== 'x' && o.axis !== 'y' && o.axis !== 'z') throw bad(`rotate axis is ${String(o.axis)}; expected x, y or z.`);
      finite('rotate angleDeg', o.angleDeg);
      order(o.order);
      if (o.cval !== undefined) finite('rotate cval', o.cval);
      parity(o.parity);
      if (o.offsetArithmetic !== undefined && o.offsetArithmetic !== 'fma' && o.offsetArithmetic !== 'plain') {
        throw bad(`rotate offsetArithmetic is ${String(o.offsetArithmetic)}; expected fma or plain.`);
      }
      return;
    case 'shift':
      triple('shift offset', o.offset);
      order(o.order);
      if (o.cval !== undefined) finite('shift cval', o.cval);
      return;
    case 'downsample':
      if (typeof o.factor !== 'number' || !Number.isInteger(o.factor) || o.factor < 1) throw bad(`downsample factor is ${String(o.factor)}; expected an integer ≥ 1.`);
      if (o.reduce !== 'mean' && o.reduce !== 'max') throw bad(`downsample reduce is ${String(o.reduce)}; expected mean or max.`);
      return;
    default:
      throw bad(`Transform op ${JSON.stringify(o.op)} is unknown; expected gaussian, affine, rotate, shift or downsample.`);
  }
}

/** The shape `op` produces from an input of `shape` (checks the op; throws TransformError). */
export function outputShape(shape: Shape3, op: TransformOp): [number, number, number] {
  checkOp(op);
  switch (op.op) {
    case 'affine':
      return op.outputShape ? [op.outputShape[0], op.outputShape[1], op.outputShape[2]] : [shape[0], shape[1], shape[2]];
    case 'downsample': {
      const f = op.factor;
      const out: [number, number, number] = [Math.floor(shape[0] / f), Math.floor(shape[1] / f), Math.floor(shape[2] / f)];
      if (out.some((n) => n < 1)) throw bad(`downsample factor ${f} exceeds the volume's size ${shape.join('×')}.`);
      return out;
    }
    default:
      return [shape[0], shape[1], shape[2]];
  }
}
