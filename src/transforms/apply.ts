/**
 * Runs one transform, or a pipeline of them, on one thread. `applyTransform` can compute just the
 * output planes [zStart, zEnd) into a caller's output array, which is how the worker pools split
 * work into z-slabs; the result is identical however the planes are split.
 *
 * @example
 * const out = applyTransform(vol, { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 });
 * const smoothed = applyPipeline(vol, [{ op: 'gaussian', sigma: [1, 1, 1] }, { op: 'downsample', factor: 2, reduce: 'mean' }]);
 */
import { affineResample } from './kernels/affine.ts';
import { downsampleVolume } from './kernels/downsample.ts';
import { gaussianFilter } from './kernels/gaussian.ts';
import { simdSupported } from './kernels/wasm/gaussian-simd.ts';
import { rotationAffine } from './kernels/rotation.ts';
import { shiftVolume } from './kernels/shift.ts';
import { TransformError, allocVoxels, checkVolume, outputShape, voxelTypeOf } from './types.ts';
import type { ParityProfile, Shape3, TransformOp, Volume, VoxelArray } from './types.ts';

export interface ApplyOptions<T extends VoxelArray> {
  /** First output plane to compute (default 0). */
  zStart?: number;
  /** One past the last output plane to compute (default: all). */
  zEnd?: number;
  /** Output array of the full output size and the input's type (default: a new one). */
  out?: T;
}

/** The affine form of a rotate op on a volume of `shape` (matrix and offset per spec §5.3–§5.4). */
export function rotateAsAffine(shape: Shape3, op: Extract<TransformOp, { op: 'rotate' }>): Extract<TransformOp, { op: 'affine' }> {
  const { matrix, offset } = rotationAffine(shape, op.axis, op.angleDeg, op.offsetArithmetic ?? 'fma');
  const affine: Extract<TransformOp, { op: 'affine' }> = { op: 'affine', matrix, offset, order: op.order };
  if (op.cval !== undefined) affine.cval = op.cval;
  if (op.parity !== undefined) affine.parity = op.parity;
  return affine;
}

/** The kernel family that runs `op` here, as the benchmark's `implementation` column names it. */
export function implementationOf(op: TransformOp): 'wasm-simd-f64x2' | 'js-scalar' {
  return op.op === 'gaussian' && simdSupported() ? 'wasm-simd-f64x2' : 'js-scalar';
}

/** Computes output planes [zStart, zEnd) of `op` applied to `input` (all planes by default). */
export function applyTransform<T extends VoxelArray>(input: Volume<T>, op: TransformOp, options: ApplyOptions<T> = {}): Volume<T> {
  checkVolume(input);
  const shape = outputShape(input.shape, op);
  const total = shape[0] * shape[1] * shape[2];
  const out = options.out ?? (allocVoxels(voxelTypeOf(input.data), total) as T);
  if (voxelTypeOf(out) !== voxelTypeOf(input.data)) {
    throw new TransformError('bad-dtype', `The output array is ${voxelTypeOf(out)} but the input is ${voxelTypeOf(input.data)}; they must match.`);
  }
  if (out.length !== total) {
    throw new TransformError('bad-volume', `The output array has ${out.length} voxels but the output shape ${shape.join('×')} needs ${total}.`);
  }
  const zStart = options.zStart ?? 0;
  const zEnd = options.zEnd ?? shape[0];
  if (!Number.isInteger(zStart) || !Number.isInteger(zEnd) || zStart < 0 || zEnd > shape[0] || zStart > zEnd) {
    throw new TransformError('bad-parameter', `Plane range [${zStart}, ${zEnd}) is not within the output's 0…${shape[0]} planes.`);
  }
  const profile: ParityProfile = 'scipy-1.17';
  switch (op.op) {
    case 'gaussian':
      gaussianFilter(input, out, op.sigma, op.truncate ?? 4, zStart, zEnd);
      break;
    case 'affine':
      affineResample(input, out, shape, op.matrix, op.offset, op.order, op.cval ?? 0, op.parity ?? profile, zStart, zEnd);
      break;
    case 'rotate': {
      const a = rotateAsAffine(input.shape, op);
      affineResample(input, out, shape, a.matrix, a.offset, a.order, a.cval ?? 0, a.parity ?? profile, zStart, zEnd);
      break;
    }
    case 'shift':
      shiftVolume(input, out, op.offset, op.order, op.cval ?? 0, zStart, zEnd);
      break;
    case 'downsample':
      downsampleVolume(input, out, op.factor, op.reduce, zStart, zEnd);
      break;
  }
  return { data: out, shape };
}

/** Applies `ops` in order, each stage's output (of the input's type) feeding the next. */
export function applyPipeline<T extends VoxelArray>(input: Volume<T>, ops: TransformOp | readonly TransformOp[]): Volume<T> {
  const list = Array.isArray(ops) ? (ops as readonly TransformOp[]) : [ops as TransformOp];
  let vol = input;
  for (const op of list) vol = applyTransform(vol, op);
  return vol;
}
