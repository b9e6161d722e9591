/**
 * Every voxel type's own kernel copy (uint8, uint16, float32) against scipy.ndimage (python3):
 * the benchmark parameters bit-exact (affine order 0/1 as the y rotations, the integer shift,
 * downsample max, and downsample mean for integer types), rotations by exactly 90° about each
 * axis and random rotations and affine maps in both orders (odd sizes, 1-voxel axes, cval ≠ 0,
 * coordinates exactly at n − 1), fractional shifts and the other downsamples within ≤ 1 unit /
 * 1e-4 relative; float32 inputs with NaN and ±Infinity bit-exact.
 */
import { describe, expect, it } from 'vitest';
import { applyPipeline } from '../../src/transforms/apply.ts';
import type { Shape3, TransformOp, Volume, VoxelType } from '../../src/transforms/types.ts';
import { prng } from '../support.ts';
import { diff, randomVolume, scipyReference } from './scipy.ts';

const TYPES: VoxelType[] = ['uint8', 'uint16', 'float32'];

function withParity(op: TransformOp, profile: 'scipy-1.10' | 'scipy-1.17'): TransformOp {
  return op.op === 'rotate' || op.op === 'affine' ? { ...op, parity: profile } : op;
}

/** Runs each op on `vol` here and in scipy (one python call) and hands `check` both outputs and their `diff`. */
function againstScipy(vol: Volume, ops: TransformOp[], check: (c: { op: TransformOp; got: Volume; want: Volume; d: ReturnType<typeof diff> }) => void): void {
  const ref = scipyReference(ops.map((op) => ({ input: vol, ops: [op] })));
  ops.forEach((op, i) => {
    const got = applyPipeline(vol, withParity(op, ref.profile));
    const want = ref.results[i]!.output;
    check({ op, got, want, d: diff(got.data, want.data) });
  });
}

/** The benchmark's ops on any dtype: all exact except the float32 mean (numpy sums float32 its own way). */
function exactOps(): TransformOp[] {
  const ops: TransformOp[] = [];
  for (const order of [0, 1] as const) {
    for (const angleDeg of [15, 45, 90]) ops.push({ op: 'rotate', axis: 'y', angleDeg, order, offsetArithmetic: 'plain' });
    for (const axis of ['x', 'y', 'z'] as const) ops.push({ op: 'rotate', axis, angleDeg: 90, order, offsetArithmetic: 'plain' });
    ops.push({ op: 'shift', offset: [10, 5, -3], order });
  }
  ops.push({ op: 'downsample', factor: 3, reduce: 'max' });
  ops.push({ op: 'downsample', factor: 3, reduce: 'mean' });
  return ops;
}

function randomOps(rand: () => number): TransformOp[] {
  const r = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const ops: TransformOp[] = [
    { op: 'shift', offset: [r(-5, 5), r(-5, 5), r(-5, 5)], order: 1, cval: r(1, 60) },
    { op: 'shift', offset: [r(-5, 5), r(-5, 5), r(-5, 5)], order: 0 },
    { op: 'downsample', factor: 2, reduce: 'mean' },
    { op: 'downsample', factor: 2, reduce: 'max' },
  ];
  for (const order of [0, 1] as const) {
    for (const axis of ['x', 'y', 'z'] as const) ops.push({ op: 'rotate', axis, angleDeg: r(-180, 180), order, cval: r(0, 90), offsetArithmetic: 'plain' });
    const th = r(0, Math.PI);
    ops.push({
      op: 'affine',
      matrix: [Math.cos(th), r(-0.2, 0.2), Math.sin(th), r(-0.1, 0.1), r(0.7, 1.4), r(-0.3, 0.3), -Math.sin(th), 0.05, Math.cos(th)],
      offset: [r(-6, 6), r(-6, 6), r(-6, 6)],
      order,
      cval: r(1, 100),
      outputShape: [17, 24, 29],
    });
    // m12 = 0 with an integer y coordinate along every row (the "on y" rows), cval ≠ 0.
    ops.push({ op: 'affine', matrix: [Math.cos(th), 0, Math.sin(th), 0, 1, 0, -Math.sin(th), 0, Math.cos(th)], offset: [r(-4, 4), 2, r(-4, 4)], order, cval: 33 });
  }
  return ops;
}

describe.each(TYPES)('%s kernels against scipy', (type) => {
  const shape = [21, 26, 19] as const;

  it('are bit-exact for the benchmark parameters and 90° about every axis', () => {
    const vol = randomVolume(type, shape, prng(type.length * 7 + 1));
    againstScipy(vol, exactOps(), ({ op, got, want, d }) => {
      const label = `${type} ${JSON.stringify(op)}`;
      expect(got.shape, label).toEqual(want.shape);
      expect(got.data.constructor, label).toBe(vol.data.constructor);
      if (type === 'float32' && op.op === 'downsample' && op.reduce === 'mean') expect(d.maxRel, label).toBeLessThanOrEqual(1e-4);
      else expect(d.count, label).toBe(0);
    });
  });

  it('agree within tolerance on random parameters', () => {
    const rand = prng(type.length * 13 + 5);
    const vol = randomVolume(type, shape, rand);
    againstScipy(vol, randomOps(rand), ({ op, got, want, d }) => {
      const label = `${type} ${JSON.stringify(op)}`;
      expect(got.shape, label).toEqual(want.shape);
      if (type === 'float32') expect(d.maxRel, label).toBeLessThanOrEqual(1e-4);
      else expect(d.maxAbs, label).toBeLessThanOrEqual(1);
    });
  });
});

describe('small and special inputs', () => {
  /** Identity and exact scalings put coordinates exactly on 0 and n − 1; 1-voxel axes; cval ≠ 0. */
  function edgeOps(shape: Shape3): TransformOp[] {
    const sc = (n: number, m: number) => (m > 1 ? (n - 1) / (m - 1) : 0);
    const big: Shape3 = [shape[0] * 2 - 1, shape[1] * 2 - 1, shape[2] * 2 - 1];
    const ops: TransformOp[] = [];
    for (const order of [0, 1] as const) {
      ops.push({ op: 'affine', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], offset: [0, 0, 0], order, cval: 5 });
      ops.push({ op: 'affine', matrix: [sc(shape[0], big[0]), 0, 0, 0, sc(shape[1], big[1]), 0, 0, 0, sc(shape[2], big[2])], offset: [0, 0, 0], order, cval: 9, outputShape: big });
      for (const axis of ['x', 'y', 'z'] as const) ops.push({ op: 'rotate', axis, angleDeg: -90, order, cval: 3, offsetArithmetic: 'plain' });
      ops.push({ op: 'shift', offset: [0.5, -0.25, 1], order: 1, cval: 4 });
    }
    if (Math.min(...shape) >= 2) ops.push({ op: 'downsample', factor: 2, reduce: 'max' });
    return ops;
  }

  it.each(TYPES)('%s: coordinates at n − 1 and 1-voxel axes', (type) => {
    const rand = prng(type.length * 3 + 2);
    for (const shape of [[9, 7, 11], [1, 5, 2], [3, 1, 4], [4, 3, 1]] as Shape3[]) {
      const vol = randomVolume(type, shape, rand);
      againstScipy(vol, edgeOps(shape), ({ op, d }) => {
        const label = `${type} ${shape.join('×')} ${JSON.stringify(op)}`;
        if (type === 'float32') expect(d.maxRel, label).toBeLessThanOrEqual(1e-4);
        else expect(d.maxAbs, label).toBeLessThanOrEqual(1);
      });
    }
  });

  it('float32 with NaN and ±Infinity is bit-exact with scipy (NaN where scipy has NaN)', () => {
    const rand = prng(31);
    const shape: Shape3 = [9, 12, 11];
    const data = new Float32Array(shape[0] * shape[1] * shape[2]);
    for (let i = 0; i < data.length; i++) {
      const u = rand();
      data[i] = u < 0.04 ? NaN : u < 0.07 ? Infinity : u < 0.1 ? -Infinity : (rand() - 0.3) * 1000;
    }
    const vol: Volume = { data, shape };
    const ops: TransformOp[] = [{ op: 'affine', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], offset: [0, 0, 0], order: 1, cval: 3 }];
    for (const order of [0, 1] as const) {
      for (const axis of ['x', 'y', 'z'] as const) for (const angleDeg of [90, 33]) ops.push({ op: 'rotate', axis, angleDeg, order, offsetArithmetic: 'plain' });
      ops.push({ op: 'shift', offset: [1.5, -0.5, 0.25], order: 1 });
    }
    ops.push({ op: 'downsample', factor: 2, reduce: 'max' });
    // diff counts a NaN against a number as a difference.
    againstScipy(vol, ops, ({ op, d }) => expect(d.count, JSON.stringify(op)).toBe(0));
  });
});
