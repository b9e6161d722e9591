/**
 * applyTransform's contract without scipy: slab splits give the whole-volume output, output
 * shapes and types, pipelines, and clear errors for bad parameters.
 */
import { describe, expect, it } from 'vitest';
import { applyPipeline, applyTransform } from '../../src/transforms/apply.ts';
import { gaussianFilter, gaussianFilterScalar, setGaussianImplementation } from '../../src/transforms/kernels/gaussian.ts';
import { TransformError, allocVoxels, outputShape, voxelTypeOf } from '../../src/transforms/types.ts';
import type { TransformOp, Volume, VoxelType } from '../../src/transforms/types.ts';
import { errorOf, prng } from '../support.ts';

function volume(type: VoxelType, shape: [number, number, number], seed: number): Volume {
  const rand = prng(seed);
  const n = shape[0] * shape[1] * shape[2];
  const data = allocVoxels(type, n);
  const max = type === 'uint8' ? 255 : type === 'uint16' ? 65535 : 1000;
  for (let i = 0; i < n; i++) data[i] = type === 'float32' ? rand() * max : Math.floor(rand() * max);
  return { data, shape };
}

const ops: TransformOp[] = [
  { op: 'gaussian', sigma: [1, 1.4, 0.6] },
  { op: 'gaussian', sigma: [0, 2, 1], truncate: 3 },
  { op: 'rotate', axis: 'x', angleDeg: 33, order: 1 },
  { op: 'rotate', axis: 'z', angleDeg: -70, order: 0, cval: 7 },
  { op: 'affine', matrix: [1, 0.1, 0, 0, 0.9, 0.2, 0.05, 0, 1.1], offset: [1.5, -2, 0.25], order: 1, outputShape: [9, 14, 12] },
  { op: 'shift', offset: [2.5, -1.25, 3], order: 1, cval: 3 },
  { op: 'shift', offset: [2, -1, 30], order: 0 },
  { op: 'downsample', factor: 2, reduce: 'max' },
  { op: 'downsample', factor: 3, reduce: 'mean' },
];

describe('slab splits', () => {
  for (const type of ['uint8', 'uint16', 'float32'] as const) {
    it(`${type}: any split into z-slabs equals the whole-volume run`, () => {
      const vol = volume(type, [13, 17, 15], 42);
      const rand = prng(9);
      for (const op of ops) {
        const whole = applyTransform(vol, op);
        const shape = outputShape(vol.shape, op);
        const out = allocVoxels(voxelTypeOf(vol.data), whole.data.length);
        let z = 0;
        while (z < shape[0]) {
          const zEnd = Math.min(shape[0], z + 1 + Math.floor(rand() * 4));
          const res = applyTransform(vol, op, { zStart: z, zEnd, out });
          expect(res.data).toBe(out);
          z = zEnd;
        }
        expect(out, JSON.stringify(op)).toEqual(whole.data);
        expect(whole.data.constructor).toBe(vol.data.constructor);
        expect(whole.shape).toEqual(shape);
      }
    });
  }
});

describe('pipelines and shapes', () => {
  it('feeds each stage into the next', () => {
    const vol = volume('uint16', [12, 12, 12], 1);
    const a = applyTransform(vol, ops[0]!);
    const b = applyTransform(a, ops[7]!);
    expect(applyPipeline(vol, [ops[0]!, ops[7]!])).toEqual(b);
    expect(b.shape).toEqual([6, 6, 6]);
    expect(applyPipeline(vol, [])).toBe(vol);
  });

  it('keeps integer shifts a masked copy in both orders', () => {
    const vol = volume('uint16', [6, 7, 8], 3);
    const s0 = applyTransform(vol, { op: 'shift', offset: [1, -2, 3], order: 0 });
    const s1 = applyTransform(vol, { op: 'shift', offset: [1, -2, 3], order: 1 });
    expect(s0.data).toEqual(s1.data);
    // out[z][y][x] = in[z-1][y+2][x-3]
    expect(s0.data[(2 * 7 + 1) * 8 + 5]).toBe(vol.data[(1 * 7 + 3) * 8 + 2]);
    expect(s0.data[0]).toBe(0);
  });
});

describe('bad parameters', () => {
  const vol = volume('uint16', [4, 4, 4], 1);
  const cases: [unknown, RegExp][] = [
    [{ op: 'gaussian', sigma: [1, 1] }, /sigma must have 3 values/],
    [{ op: 'gaussian', sigma: [1, NaN, 1] }, /sigma\[1\] is NaN/],
    [{ op: 'gaussian', sigma: [1, 1, -1] }, /sigma\[2\] is -1; expected ≥ 0/],
    [{ op: 'gaussian', sigma: [1e6, 1, 1] }, /kernel radius above 1024/],
    [{ op: 'gaussian', sigma: [1, 1, 1], truncate: -1 }, /truncate is -1/],
    [{ op: 'affine', matrix: [1, 0, 0], offset: [0, 0, 0], order: 1 }, /9 values.*got 3/],
    [{ op: 'affine', matrix: [1, 0, 0, 0, 1, 0, 0, 0, Infinity], offset: [0, 0, 0], order: 1 }, /matrix\[8\] is Infinity/],
    [{ op: 'affine', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], offset: [0, 0, 0], order: 3 }, /order is 3/],
    [{ op: 'affine', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], offset: [0, 0, 0], order: 1, outputShape: [0, 2, 2] }, /outputShape/],
    [{ op: 'rotate', axis: 'w', angleDeg: 3, order: 0 }, /axis is w/],
    [{ op: 'rotate', axis: 'x', angleDeg: NaN, order: 0 }, /angleDeg is NaN/],
    [{ op: 'rotate', axis: 'x', angleDeg: 1, order: 0, parity: 'scipy-0.1' }, /parity profile scipy-0.1/],
    [{ op: 'shift', offset: [0, 0, NaN], order: 1 }, /offset\[2\] is NaN/],
    [{ op: 'downsample', factor: 0, reduce: 'mean' }, /factor is 0/],
    [{ op: 'downsample', factor: 1.5, reduce: 'mean' }, /factor is 1.5/],
    [{ op: 'downsample', factor: 5, reduce: 'mean' }, /factor 5 exceeds/],
    [{ op: 'downsample', factor: 2, reduce: 'median' }, /reduce is median/],
    [{ op: 'blur' }, /op "blur" is unknown/],
  ];
  it.each(cases)('%j is refused', (op, message) => {
    const err = errorOf(() => applyTransform(vol, op as TransformOp));
    expect(err).toBeInstanceOf(TransformError);
    expect((err as TransformError).code).toBe('bad-parameter');
    expect(err.message).toMatch(message);
  });

  it('refuses bad volumes, dtypes, outputs and plane ranges', () => {
    const g: TransformOp = { op: 'gaussian', sigma: [1, 1, 1] };
    expect((errorOf(() => applyTransform({ data: new Int16Array(64), shape: [4, 4, 4] } as unknown as Volume, g)) as TransformError).code).toBe('bad-dtype');
    expect(errorOf(() => applyTransform({ data: new Uint16Array(60), shape: [4, 4, 4] }, g)).message).toMatch(/60 voxels but shape 4×4×4 needs 64/);
    expect(errorOf(() => applyTransform({ data: new Uint16Array(0), shape: [0, 4, 4] }, g)).message).toMatch(/not three positive integers/);
    expect(errorOf(() => applyTransform(vol, g, { out: new Float32Array(64) as never })).message).toMatch(/output array is float32 but the input is uint16/);
    expect(errorOf(() => applyTransform(vol, g, { out: new Uint16Array(8) })).message).toMatch(/8 voxels/);
    expect(errorOf(() => applyTransform(vol, g, { zStart: 3, zEnd: 9 })).message).toMatch(/Plane range \[3, 9\)/);
  });
});

describe('the WebAssembly SIMD Gaussian', () => {
  it('is used where SIMD exists and is bit-identical to the scalar kernel in every dtype', () => {
    const rand = prng(77);
    for (const type of ['uint8', 'uint16', 'float32'] as const) {
      for (const shape of [[9, 13, 11], [3, 2, 5], [1, 1, 7], [20, 21, 19]] as [number, number, number][]) {
        for (const sigma of [[1, 1, 1], [0, 1.7, 0.4], [2.2, 0, 1], [0.3, 3, 0], [5, 5, 5]] as [number, number, number][]) {
          const vol = volume(type, shape, Math.floor(rand() * 1000));
          const a = allocVoxels(type, vol.data.length);
          const b = allocVoxels(type, vol.data.length);
          gaussianFilterScalar(vol, a, sigma, 4, 0, shape[0]);
          expect(gaussianFilter(vol, b, sigma, 4, 0, shape[0])).toBe('wasm-simd-f64x2');
          expect(b, `${type} ${shape.join('×')} σ=${sigma.join(',')}`).toEqual(a);
        }
      }
    }
  });

  it('can be switched off (the scalar kernel then runs)', () => {
    const vol = volume('uint16', [5, 6, 7], 1);
    const out = allocVoxels('uint16', vol.data.length);
    setGaussianImplementation('js-scalar');
    try {
      expect(gaussianFilter(vol, out, [1, 1, 1], 4, 0, 5)).toBe('js-scalar');
    } finally {
      setGaussianImplementation('auto');
    }
  });
});
