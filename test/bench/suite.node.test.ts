import { describe, expect, it } from 'vitest';
import { centreOffset, eulerMatrix, makeTestVolume, parseVolumeLabel, referenceOffsets, resultName, splitResultName, testPipeline, testSeed, TEST_NAMES, volumeLabel } from '../../src/bench/suite.ts';
import { python } from './python.ts';

describe('the reference suite (spec §1–§5)', () => {
  it('has the seven test names exactly, with U+00B0 and a plain x', () => {
    expect(TEST_NAMES).toEqual(['Gaussian Smoothing', 'Rotation 15\u00b0', 'Rotation 45\u00b0', 'Rotation 90\u00b0', 'Translation Shift', 'Downsample 3x', 'Full Pipeline']);
    expect(Buffer.from(volumeLabel(200))).toEqual(Buffer.from([0x32, 0x30, 0x30, 0xc2, 0xb3]));
    expect(parseVolumeLabel('300³')).toBe(300);
    expect(parseVolumeLabel('300')).toBeNull();
  });

  it('names results with the mode suffix only when both modes run, and splits them back', () => {
    expect(resultName('Rotation 15°', 'FAST', false)).toBe('Rotation 15°');
    expect(resultName('Rotation 15°', 'QUALITY', true)).toBe('Rotation 15° [QUALITY]');
    expect(splitResultName('Full Pipeline [FAST]')).toEqual({ test: 'Full Pipeline', mode: 'FAST' });
    expect(splitResultName('Downsample 3x')).toEqual({ test: 'Downsample 3x', mode: null });
  });

  it('builds the rotation matrices of §5.3 bit for bit, and agrees with scipy Rotation.from_euler for every letter', () => {
    const table: Record<number, [number, number]> = { 15: [0.9659258262890682, 0.25881904510252074], 45: [0.7071067811865475, 0.7071067811865476], 90: [2.220446049250313e-16, 1.0] };
    for (const [angle, [c, s]] of Object.entries(table)) {
      expect(eulerMatrix('y', Number(angle))).toEqual([c, 0, s, 0, 1, 0, -s, 0, c]);
    }
    const cases = (['x', 'y', 'z'] as const).flatMap((l) => [15, 45, 90, 33.3, -120].map((a) => ({ l, a })));
    const ref = python<number[][]>(
      'import json,sys\nfrom scipy.spatial.transform import Rotation\nprint(json.dumps([Rotation.from_euler(c["l"], c["a"], degrees=True).as_matrix().ravel().tolist() for c in json.load(sys.stdin)]))',
      cases,
    );
    cases.forEach((c, i) => expect(eulerMatrix(c.l, c.a).map((v) => v + 0), `${c.l} ${c.a}`).toEqual(ref[i]!.map((v) => v + 0)));
  });

  it('uses the §5.4 offsets at the reference sizes; plain arithmetic differs only by 1 ulp at 15°', () => {
    expect(referenceOffsets(200, 15, eulerMatrix('y', 15))).toEqual([-22.474487139158896, 0, 29.28932188134526]);
    expect(referenceOffsets(300, 90, eulerMatrix('y', 90))).toEqual([-2.842170943040401e-14, 0, 300]);
    for (const n of [100, 200, 300]) {
      for (const a of [45, 90]) expect(centreOffset(eulerMatrix('y', a), n)).toEqual(referenceOffsets(n, a, eulerMatrix('y', a)));
    }
    expect(centreOffset(eulerMatrix('y', 15), 100)[2]).toBe(14.644660940672622);
    expect(referenceOffsets(16, 15, eulerMatrix('y', 15))).toEqual(centreOffset(eulerMatrix('y', 15), 16));
  });

  it('maps each test onto TransformOps per mode', () => {
    expect(testPipeline('Gaussian Smoothing', 'QUALITY', 100)).toEqual([{ op: 'gaussian', sigma: [1, 1, 1], truncate: 4 }]);
    const rot = testPipeline('Rotation 45°', 'QUALITY', 200, { parity: 'scipy-1.10' })[0]!;
    expect(rot).toMatchObject({ op: 'affine', order: 1, cval: 0, parity: 'scipy-1.10', offset: [-41.42135623730951, 0, 100.00000000000001] });
    expect(testPipeline('Translation Shift', 'FAST', 100)).toEqual([{ op: 'shift', offset: [10, 5, -3], order: 0, cval: 0 }]);
    expect(testPipeline('Downsample 3x', 'FAST', 100)).toEqual([{ op: 'downsample', factor: 3, reduce: 'mean' }]);
    const full = testPipeline('Full Pipeline', 'FAST', 300);
    expect(full.map((o) => o.op)).toEqual(['gaussian', 'affine', 'shift']);
    expect(full[1]).toMatchObject({ order: 0, offset: [-33.711730708738344, 0, 43.93398282201788] });
    expect(full[2]).toEqual({ op: 'shift', offset: [5, 5, 5], order: 0, cval: 0 });
  });

  it('makes the same uniform uint16 volume from the same seed, values 0 … 65534, fresh per test', () => {
    const a = makeTestVolume(40, 123);
    const b = makeTestVolume(40, 123);
    expect(a.shape).toEqual([40, 40, 40]);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    let max = 0;
    let min = 65535;
    let sum = 0;
    for (const v of a.data) {
      max = Math.max(max, v);
      min = Math.min(min, v);
      sum += v;
    }
    expect(max).toBeLessThanOrEqual(65534);
    expect(max).toBeGreaterThan(65000);
    expect(min).toBeLessThan(500);
    expect(sum / a.data.length).toBeGreaterThan(32767 - 400);
    expect(sum / a.data.length).toBeLessThan(32767 + 400);
    expect(testSeed(1, 0)).not.toBe(testSeed(1, 1));
    expect(Buffer.from(makeTestVolume(40, testSeed(5, 0)).data.buffer).equals(Buffer.from(makeTestVolume(40, testSeed(5, 1)).data.buffer))).toBe(false);
    expect(() => makeTestVolume(4, 1, new Uint16Array(10))).toThrow(/needs 64 voxels/);
  });
});
