/**
 * The session's display transforms (`flamingo.transforms`, session-format §4.6) as kernel
 * operations and back. Entries are in physical or voxel units as the spec names them; the
 * kernels work in voxels, so the level's voxel size converts. An entry this version cannot
 * apply (an unknown op, a per-axis downsample) is kept as it is and reported, never dropped.
 *
 * @example
 * const { ops, skipped } = opsFromEntries(flamingo.transforms, { shape: [70, 130, 100], voxelUm: [2, 0.5, 0.5] });
 * const entries = entriesFromOps(ops, { shape: [70, 130, 100], voxelUm: [2, 0.5, 0.5] });
 */
import { rotationMatrix } from '../kernels/rotation.ts';
import { checkOp, type Shape3, type TransformOp } from '../types.ts';

export interface SessionTransformEntry {
  op: string;
  params: Record<string, unknown>;
}

export interface EntryGeometry {
  /** Level-0 shape z, y, x. */
  shape: Shape3;
  /** Voxel size z, y, x in µm. */
  voxelUm: Shape3;
}

export interface SkippedEntry {
  index: number;
  op: string;
  reason: string;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const triple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every(num);
const order = (v: unknown): 0 | 1 | null => (v === 0 || v === 1 ? v : null);

/** One entry as a kernel op, or the reason it cannot be applied. */
export function opFromEntry(entry: SessionTransformEntry, geo: EntryGeometry): TransformOp | string {
  const p = entry.params ?? {};
  switch (entry.op) {
    case 'rotate': {
      const axis = p['axis'];
      const o = order(p['order']);
      if ((axis !== 'x' && axis !== 'y' && axis !== 'z') || !num(p['angle_deg']) || o === null) return 'rotate needs axis x|y|z, a finite angle_deg and order 0|1';
      const centre = p['center_um'];
      if (centre === null || centre === undefined) return { op: 'rotate', axis, angleDeg: p['angle_deg'], order: o };
      if (!triple(centre)) return 'rotate center_um must be null or three numbers (z, y, x)';
      // About a chosen centre: the affine form in = M·(out − c) + c.
      const m = rotationMatrix(axis, p['angle_deg']);
      const c = centre.map((v, i) => v / geo.voxelUm[i]!) as [number, number, number];
      const offset = [0, 1, 2].map((r) => c[r]! - (m[3 * r]! * c[0] + m[3 * r + 1]! * c[1] + m[3 * r + 2]! * c[2])) as [number, number, number];
      return { op: 'affine', matrix: m, offset, order: o };
    }
    case 'affine': {
      const rows = p['matrix'];
      const o = order(p['order']);
      if (!Array.isArray(rows) || rows.length !== 3 || !rows.every(triple) || !triple(p['offset_voxels']) || o === null) {
        return 'affine needs a 3×3 matrix, offset_voxels (z, y, x) and order 0|1';
      }
      return { op: 'affine', matrix: (rows as number[][]).flat(), offset: p['offset_voxels'], order: o };
    }
    case 'shift': {
      const o = order(p['order']);
      if (!triple(p['offset_um']) || o === null) return 'shift needs offset_um (z, y, x) and order 0|1';
      const off = p['offset_um'].map((v, i) => v / geo.voxelUm[i]!) as [number, number, number];
      return { op: 'shift', offset: off, order: o };
    }
    case 'gaussian': {
      if (!triple(p['sigma_voxels'])) return 'gaussian needs sigma_voxels (z, y, x)';
      const truncate = p['truncate'] === undefined ? 4 : p['truncate'];
      if (!num(truncate)) return 'gaussian truncate must be a number';
      return { op: 'gaussian', sigma: p['sigma_voxels'], truncate };
    }
    case 'downsample': {
      const f = p['factor'];
      const reduce = p['reduce'];
      if (!triple(f) || (reduce !== 'mean' && reduce !== 'max')) return 'downsample needs factor (z, y, x) and reduce mean|max';
      if (f[0] !== f[1] || f[1] !== f[2]) return `downsample by different factors per axis (${f.join(', ')}) is not supported yet`;
      return { op: 'downsample', factor: f[0], reduce };
    }
    default:
      return `the transform op '${entry.op}' is unknown to this version`;
  }
}

/** Every entry that can be applied, in order, and the ones that cannot (kept in the session as they are). */
export function opsFromEntries(entries: readonly SessionTransformEntry[], geo: EntryGeometry): { ops: TransformOp[]; skipped: SkippedEntry[] } {
  const ops: TransformOp[] = [];
  const skipped: SkippedEntry[] = [];
  entries.forEach((entry, index) => {
    const op = opFromEntry(entry, geo);
    if (typeof op === 'string') {
      skipped.push({ index, op: entry.op, reason: op });
      return;
    }
    try {
      checkOp(op);
      ops.push(op);
    } catch (err) {
      skipped.push({ index, op: entry.op, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return { ops, skipped };
}

/** Kernel ops as session entries (the inverse of `opFromEntry` for the ops it produces). */
export function entriesFromOps(ops: readonly TransformOp[], geo: EntryGeometry): SessionTransformEntry[] {
  return ops.map((op): SessionTransformEntry => {
    switch (op.op) {
      case 'rotate':
        return { op: 'rotate', params: { axis: op.axis, angle_deg: op.angleDeg, center_um: null, order: op.order } };
      case 'affine': {
        const m = op.matrix;
        return { op: 'affine', params: { matrix: [[m[0], m[1], m[2]], [m[3], m[4], m[5]], [m[6], m[7], m[8]]], offset_voxels: [...op.offset], order: op.order } };
      }
      case 'shift':
        return { op: 'shift', params: { offset_um: op.offset.map((v, i) => v * geo.voxelUm[i]!), order: op.order } };
      case 'gaussian':
        return { op: 'gaussian', params: { sigma_voxels: [...op.sigma], truncate: op.truncate ?? 4 } };
      case 'downsample':
        return { op: 'downsample', params: { factor: [op.factor, op.factor, op.factor], reduce: op.reduce } };
    }
  });
}
