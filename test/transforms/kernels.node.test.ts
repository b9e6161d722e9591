/**
 * The kernels against scipy.ndimage (python3) on the same inputs: the seven benchmark tests
 * bit-exact in both modes, random other parameters in every dtype within ≤ 1 unit / 1e-4
 * relative, and the spec's reference constants.
 */
import { describe, expect, it } from 'vitest';
import { applyPipeline } from '../../src/transforms/apply.ts';
import { gaussianWeights } from '../../src/transforms/kernels/gaussian-weights.ts';
import { rotationAffine, rotationMatrix } from '../../src/transforms/kernels/rotation.ts';
import type { TransformOp, Volume, VoxelType } from '../../src/transforms/types.ts';
import { prng } from '../support.ts';
import { diff, randomVolume, scipyReference } from './scipy.ts';

/** The seven tests of specs/benchmark.md §3 in mode q, as our ops. */
function benchmarkOps(q: 0 | 1, profile: 'scipy-1.10' | 'scipy-1.17'): { name: string; ops: TransformOp[] }[] {
  const rot = (a: number): TransformOp => ({ op: 'rotate', axis: 'y', angleDeg: a, order: q, parity: profile, offsetArithmetic: 'plain' });
  return [
    { name: 'Gaussian Smoothing', ops: [{ op: 'gaussian', sigma: [1, 1, 1], truncate: 4 }] },
    { name: 'Rotation 15°', ops: [rot(15)] },
    { name: 'Rotation 45°', ops: [rot(45)] },
    { name: 'Rotation 90°', ops: [rot(90)] },
    { name: 'Translation Shift', ops: [{ op: 'shift', offset: [10, 5, -3], order: q }] },
    { name: 'Downsample 3x', ops: [{ op: 'downsample', factor: 3, reduce: 'mean' }] },
    { name: 'Full Pipeline', ops: [{ op: 'gaussian', sigma: [1, 1, 1] }, rot(15), { op: 'shift', offset: [5, 5, 5], order: q }] },
  ];
}

describe('the seven benchmark tests are bit-exact with scipy', () => {
  it('at 40³ in FAST and QUALITY, with the installed scipy’s parity profile', () => {
    const vol = randomVolume('uint16', [40, 40, 40], prng(2718));
    const probe = scipyReference([]);
    const cases = [...benchmarkOps(0, probe.profile), ...benchmarkOps(1, probe.profile)];
    const ref = scipyReference(cases.map((c) => ({ input: vol, ops: c.ops })));
    cases.forEach((c, i) => {
      const want = ref.results[i]!.output;
      const got = applyPipeline(vol, c.ops);
      expect(got.shape, c.name).toEqual(want.shape);
      expect(diff(got.data, want.data).count, `${c.name}: differing voxels`).toBe(0);
      for (const r of ref.results[i]!.rotations) {
        const ours = rotationAffine(vol.shape, 'y', Number(/\d+/.exec(c.name === 'Full Pipeline' ? '15' : c.name)![0]), 'plain');
        expect(ours.matrix).toEqual(r.matrix);
        expect(ours.offset).toEqual(r.offset);
      }
    });
  });

  it('gives the same output with the spec’s FMA offsets (§5.4) as with plain ones at 40³', () => {
    const vol = randomVolume('uint16', [40, 40, 40], prng(3));
    for (const a of [15, 45, 90]) {
      for (const order of [0, 1] as const) {
        const fma = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: a, order });
        const plain = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: a, order, offsetArithmetic: 'plain' });
        expect(diff(fma.data, plain.data).count).toBe(0);
      }
    }
  });
});

describe('parity profiles (§5.13)', () => {
  it('differ exactly where the spec says: 100 voxels of Rotation 90° at 100³, both orders', () => {
    const rand = prng(100);
    const data = new Uint16Array(100 ** 3);
    for (let i = 0; i < data.length; i++) data[i] = 1 + Math.floor(rand() * 65534); // no zeros, so every difference shows
    const vol: Volume = { data, shape: [100, 100, 100] };
    for (const order of [0, 1] as const) {
      const a = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: 90, order, parity: 'scipy-1.17' });
      const b = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: 90, order, parity: 'scipy-1.10' });
      expect(diff(a.data, b.data).count).toBe(100);
      const c = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: 15, order, parity: 'scipy-1.17' });
      const d = applyPipeline(vol, { op: 'rotate', axis: 'y', angleDeg: 15, order, parity: 'scipy-1.10' });
      expect(diff(c.data, d.data).count).toBe(0);
    }
  });
});

describe('reference constants of the spec', () => {
  it('builds the rotation matrices and offsets of §5.3–§5.4', () => {
    const table: [number, number, number, number][] = [
      [100, 15, -11.237243569579448, 14.64466094067263],
      [100, 45, -20.710678118654755, 50.00000000000001],
      [100, 90, -1.4210854715202004e-14, 99.99999999999999],
      [200, 15, -22.474487139158896, 29.28932188134526],
      [200, 45, -41.42135623730951, 100.00000000000001],
      [200, 90, -2.842170943040401e-14, 199.99999999999997],
      [300, 15, -33.711730708738344, 43.93398282201788],
      [300, 45, -62.132034355964265, 150.0],
      [300, 90, -2.842170943040401e-14, 300.0],
    ];
    for (const [n, a, o0, o2] of table) {
      const { offset } = rotationAffine([n, n, n], 'y', a);
      expect(offset).toEqual([o0, 0, o2]);
    }
    expect(rotationAffine([200, 200, 200], 'y', 15, 'plain').offset[2]).toBe(29.289321881345245);
    const m15 = rotationMatrix('y', 15);
    expect([m15[0], m15[2], m15[4], m15[6], m15[8]]).toEqual([0.9659258262890682, 0.25881904510252074, 1, -0.25881904510252074, 0.9659258262890682]);
    expect(rotationMatrix('y', 90)[0]).toBe(2.220446049250313e-16);
    expect(rotationMatrix('y', 45)[2]).toBe(0.7071067811865476);
  });

  it('computes the σ = 1 Gaussian weights of §5.2', () => {
    expect([...gaussianWeights(1, 4)].slice(4)).toEqual([0.39894346935609776, 0.24197144565660073, 0.05399112742070441, 0.0044318616200312655, 0.00013383062461474175]);
    expect(gaussianWeights(1.1, 4).length).toBe(9);
  });
});

describe('random parameters agree with scipy (≤ 1 unit, 1e-4 relative for float32)', () => {
  const types: VoxelType[] = ['uint8', 'uint16', 'float32'];
  const shape = [23, 31, 37] as const;

  function randomOps(rand: () => number): TransformOp[] {
    const r = (lo: number, hi: number) => lo + (hi - lo) * rand();
    const ops: TransformOp[] = [
      { op: 'gaussian', sigma: [r(0.3, 2.5), 0, r(0.5, 1.7)], truncate: r(2, 4.5) },
      { op: 'gaussian', sigma: [r(0.5, 3), r(0.5, 3), r(0.5, 3)] },
      { op: 'downsample', factor: 2, reduce: 'mean' },
      { op: 'downsample', factor: 3, reduce: 'max' },
      { op: 'downsample', factor: 4, reduce: 'mean' },
      { op: 'shift', offset: [r(-6, 6), r(-6, 6), r(-6, 6)], order: 1, cval: r(0, 50) },
      { op: 'shift', offset: [r(-6, 6), r(-6, 6), r(-6, 6)], order: 0 },
      { op: 'shift', offset: [3, -2, 0], order: 1 },
    ];
    for (const order of [0, 1] as const) {
      for (const axis of ['x', 'y', 'z'] as const) ops.push({ op: 'rotate', axis, angleDeg: r(-180, 180), order, offsetArithmetic: 'plain' });
      const th = r(0, Math.PI);
      const s = r(0.8, 1.3);
      ops.push({
        op: 'affine',
        matrix: [s * Math.cos(th), r(-0.2, 0.2), Math.sin(th), r(-0.1, 0.1), r(0.7, 1.4), 0, -Math.sin(th), 0.05, s * Math.cos(th)],
        offset: [r(-10, 10), r(-10, 10), r(-10, 10)],
        order,
        cval: r(0, 100),
        outputShape: [19, 29, 41],
      });
    }
    return ops;
  }

  it.each(types)('%s', (type) => {
    const rand = prng(type === 'uint8' ? 11 : type === 'uint16' ? 12 : 13);
    const vol = randomVolume(type, shape, rand);
    const ops = randomOps(rand);
    const ref = scipyReference(ops.map((op) => ({ input: vol, ops: [op] })));
    ops.forEach((op, i) => {
      const { output: want, rotations } = ref.results[i]!;
      const got = applyPipeline(vol, { ...op, ...(op.op === 'rotate' || op.op === 'affine' ? { parity: ref.profile } : {}) } as TransformOp);
      const label = `${type} ${JSON.stringify(op)}`;
      expect(got.shape, label).toEqual(want.shape);
      expect(got.data.constructor, label).toBe(vol.data.constructor);
      const d = diff(got.data, want.data);
      if (type === 'float32') expect(d.maxRel, label).toBeLessThanOrEqual(1e-4);
      else expect(d.maxAbs, label).toBeLessThanOrEqual(1);
      if (op.op === 'rotate') {
        const a = rotationAffine(vol.shape, op.axis, op.angleDeg, 'plain');
        expect(a.matrix, label).toEqual(rotations[0]!.matrix);
        expect(a.offset, label).toEqual(rotations[0]!.offset);
      }
    });
  });
});

describe('tiny volumes', () => {
  it('handles 1-voxel-thick axes like scipy', () => {
    const vol: Volume = randomVolume('uint16', [1, 5, 2], prng(5));
    const ops: TransformOp[] = [
      { op: 'gaussian', sigma: [1, 1, 1] },
      { op: 'shift', offset: [0, 0.5, -0.25], order: 1 },
      { op: 'affine', matrix: [1, 0, 0, 0, 0.5, 0, 0, 0, 1], offset: [0, 0.5, 0], order: 1 },
    ];
    const ref = scipyReference(ops.map((op) => ({ input: vol, ops: [op] })));
    ops.forEach((op, i) => {
      const got = applyPipeline(vol, op);
      expect(diff(got.data, ref.results[i]!.output.data).maxAbs, JSON.stringify(op)).toBeLessThanOrEqual(1);
    });
  });
});
