import { describe, expect, it } from 'vitest';
import { applyPipeline, rotateAsAffine } from '../../src/transforms/apply.ts';
import { previewModelMatrix } from '../../src/transforms/display/model-matrix.ts';
import { entriesFromOps, opsFromEntries } from '../../src/transforms/display/session-entries.ts';
import type { Shape3, TransformOp } from '../../src/transforms/types.ts';

/** Applies a column-major 4×4 to a point. */
function apply4(m: number[], p: [number, number, number]): [number, number, number] {
  return [0, 1, 2].map((r) => m[r]! * p[0] + m[4 + r]! * p[1] + m[8 + r]! * p[2] + m[12 + r]!) as [number, number, number];
}

describe('previewModelMatrix', () => {
  const shape: Shape3 = [20, 30, 40];

  it('moves each input voxel centre to the output voxel that samples it', () => {
    const rot: TransformOp = { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 };
    const shift: TransformOp = { op: 'shift', offset: [2, -3.5, 1.25], order: 1 };
    const { matrix, exact } = previewModelMatrix([rot, shift], shape);
    expect(exact).toBe(true);
    const r = rotateAsAffine(shape, rot);
    const M = r.matrix;
    for (const q of [[0, 0, 0], [5, 7, 9], [19, 29, 39]] as [number, number, number][]) {
      // Output voxel q of the pipeline: shift first maps q to q − d, the rotation then to M·(q − d) + o.
      const s = [q[0] - 2, q[1] + 3.5, q[2] - 1.25];
      const p = [0, 1, 2].map((i) => M[3 * i]! * s[0]! + M[3 * i + 1]! * s[1]! + M[3 * i + 2]! * s[2]! + r.offset[i]!);
      const shown = apply4(matrix, [p[2]! + 0.5, p[1]! + 0.5, p[0]! + 0.5]);
      expect(shown[0]).toBeCloseTo(q[2] + 0.5, 9);
      expect(shown[1]).toBeCloseTo(q[1] + 0.5, 9);
      expect(shown[2]).toBeCloseTo(q[0] + 0.5, 9);
    }
  });

  it('agrees with the resampled result: a bright voxel lands where the matrix says', () => {
    const data = new Uint16Array(shape[0] * shape[1] * shape[2]);
    const at = [8, 12, 25];
    data[(at[0]! * shape[1] + at[1]!) * shape[2] + at[2]!] = 1000;
    const op: TransformOp = { op: 'shift', offset: [3, -4, 2], order: 0 };
    const out = applyPipeline({ data, shape }, [op]);
    const found = out.data.indexOf(1000);
    const z = Math.floor(found / (shape[1] * shape[2]));
    const y = Math.floor(found / shape[2]) % shape[1];
    const x = found % shape[2];
    const shown = apply4(previewModelMatrix([op], shape).matrix, [at[2]! + 0.5, at[1]! + 0.5, at[0]! + 0.5]);
    expect(shown).toEqual([x + 0.5, y + 0.5, z + 0.5]);
  });

  it('marks smoothing and downsampling as needing the resampled result', () => {
    expect(previewModelMatrix([{ op: 'gaussian', sigma: [1, 1, 1] }], shape).exact).toBe(false);
    const down = previewModelMatrix([{ op: 'downsample', factor: 2, reduce: 'mean' }], shape);
    expect(down.exact).toBe(false);
    // Input voxel centre 0.5 (block 0 of 2) and 1.5 average to output voxel 0's centre 0.5 × 2 = 1.0 → shown at 0.5.
    expect(apply4(down.matrix, [1, 1, 1])).toEqual([0.5, 0.5, 0.5]);
  });

  it('refuses a singular matrix', () => {
    expect(() => previewModelMatrix([{ op: 'affine', matrix: [0, 0, 0, 0, 1, 0, 0, 0, 1], offset: [0, 0, 0], order: 1 }], shape)).toThrow(/singular/);
  });
});

describe('session transform entries', () => {
  const geo = { shape: [20, 30, 40] as Shape3, voxelUm: [2, 0.5, 0.5] as Shape3 };

  it('round-trips every op through the session form', () => {
    const ops: TransformOp[] = [
      { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 },
      { op: 'affine', matrix: [1, 0, 0, 0, 0.9, 0.1, 0, -0.1, 0.9], offset: [1, 2, 3], order: 0 },
      { op: 'shift', offset: [1, 2, -4], order: 1 },
      { op: 'gaussian', sigma: [1, 2, 2], truncate: 3 },
      { op: 'downsample', factor: 2, reduce: 'max' },
    ];
    const entries = entriesFromOps(ops, geo);
    expect(entries[2]).toEqual({ op: 'shift', params: { offset_um: [2, 1, -2], order: 1 } });
    const back = opsFromEntries(JSON.parse(JSON.stringify(entries)), geo);
    expect(back.skipped).toEqual([]);
    expect(back.ops).toEqual(ops);
  });

  it('reads the spec example and keeps what it cannot apply, saying why', () => {
    const { ops, skipped } = opsFromEntries(
      [
        { op: 'rotate', params: { axis: 'y', angle_deg: 15.0, center_um: null, order: 1 } },
        { op: 'gaussian', params: { sigma_voxels: [1.0, 1.0, 1.0], truncate: 4.0 } },
        { op: 'warp', params: {} },
        { op: 'downsample', params: { factor: [1, 2, 2], reduce: 'mean' } },
        { op: 'gaussian', params: { sigma_voxels: [-1, 1, 1], truncate: 4 } },
      ],
      geo,
    );
    expect(ops.map((o) => o.op)).toEqual(['rotate', 'gaussian']);
    expect(skipped.map((s) => [s.index, s.op])).toEqual([[2, 'warp'], [3, 'downsample'], [4, 'gaussian']]);
    expect(skipped[0]!.reason).toMatch(/unknown/);
    expect(skipped[1]!.reason).toMatch(/per axis/);
    expect(skipped[2]!.reason).toMatch(/sigma/);
  });

  it('rotates about a chosen centre as an affine op', () => {
    const { ops } = opsFromEntries([{ op: 'rotate', params: { axis: 'z', angle_deg: 90, center_um: [10, 5, 5], order: 0 } }], geo);
    const op = ops[0]!;
    expect(op.op).toBe('affine');
    if (op.op !== 'affine') return;
    // The centre (in voxels: 5, 10, 10) maps to itself.
    const c = [5, 10, 10];
    const m = op.matrix;
    for (let r = 0; r < 3; r++) expect(m[3 * r]! * c[0]! + m[3 * r + 1]! * c[1]! + m[3 * r + 2]! * c[2]! + op.offset[r]!).toBeCloseTo(c[r]!, 9);
  });
});
