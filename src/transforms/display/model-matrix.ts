/**
 * The geometric part of a transform list as a deck.gl `modelMatrix`, so a rotation or a shift
 * shows at once on the untransformed data, with no compute. Kernel ops map output voxels to
 * input voxels (`in = M·out + o`, z y x); the layer needs the inverse, from input positions to
 * displayed ones, in Viv's coordinates (x = column, y = row, z = plane; pixel i spans [i, i+1],
 * so a voxel centre is at i + ½).
 *
 * @example
 * const { matrix, exact } = previewModelMatrix([{ op: 'rotate', axis: 'z', angleDeg: 15, order: 1 }], [70, 130, 100]);
 * new VolumeLayer({ ..., modelMatrix: matrix }); // `exact`: no resampled result is needed to show it
 */
import { rotateAsAffine } from '../apply.ts';
import { outputShape, type Shape3, type TransformOp } from '../types.ts';

/** 3×4 affine in z y x index space: in = M·out + o, as rows [m0 m1 m2 o]. */
type Affine = number[];

const IDENTITY: Affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

/** (A ∘ B)(p) = A(B(p)). */
function compose(a: Affine, b: Affine): Affine {
  const out = new Array<number>(12);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      let s = c === 3 ? a[4 * r + 3]! : 0;
      for (let k = 0; k < 3; k++) s += a[4 * r + k]! * b[4 * k + c]!;
      out[4 * r + c] = s;
    }
  }
  return out;
}

function invert(a: Affine): Affine {
  const [m0, m1, m2, , m3, m4, m5, , m6, m7, m8] = a as [number, number, number, number, number, number, number, number, number, number, number];
  const det = m0 * (m4 * m8 - m5 * m7) - m1 * (m3 * m8 - m5 * m6) + m2 * (m3 * m7 - m4 * m6);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('The transform matrix is singular; it has no displayable inverse.');
  const inv = [
    (m4 * m8 - m5 * m7) / det, (m2 * m7 - m1 * m8) / det, (m1 * m5 - m2 * m4) / det,
    (m5 * m6 - m3 * m8) / det, (m0 * m8 - m2 * m6) / det, (m2 * m3 - m0 * m5) / det,
    (m3 * m7 - m4 * m6) / det, (m1 * m6 - m0 * m7) / det, (m0 * m4 - m1 * m3) / det,
  ];
  const o = [a[3]!, a[7]!, a[11]!];
  const out: Affine = [];
  for (let r = 0; r < 3; r++) {
    out.push(inv[3 * r]!, inv[3 * r + 1]!, inv[3 * r + 2]!, -(inv[3 * r]! * o[0]! + inv[3 * r + 1]! * o[1]! + inv[3 * r + 2]! * o[2]!));
  }
  return out;
}

/** The output → input map of one op on a volume of `shape`. */
function affineOf(op: TransformOp, shape: Shape3): Affine {
  switch (op.op) {
    case 'rotate': {
      const a = rotateAsAffine(shape, op);
      const m = a.matrix;
      return [m[0]!, m[1]!, m[2]!, a.offset[0], m[3]!, m[4]!, m[5]!, a.offset[1], m[6]!, m[7]!, m[8]!, a.offset[2]];
    }
    case 'affine': {
      const m = op.matrix;
      return [m[0]!, m[1]!, m[2]!, op.offset[0], m[3]!, m[4]!, m[5]!, op.offset[1], m[6]!, m[7]!, m[8]!, op.offset[2]];
    }
    case 'shift': {
      // Order 0 moves by whole voxels (rounded, §5.10), order 1 by the exact offset.
      const d = op.order === 0 ? op.offset.map((v) => Math.round(v)) : op.offset;
      return [1, 0, 0, -d[0]!, 0, 1, 0, -d[1]!, 0, 0, 1, -d[2]!];
    }
    case 'downsample': {
      const f = op.factor;
      const c = (f - 1) / 2;
      return [f, 0, 0, c, 0, f, 0, c, 0, 0, f, c];
    }
    case 'gaussian':
      return IDENTITY;
  }
}

export interface PreviewMatrix {
  /** Column-major 4×4 for deck.gl's `modelMatrix`, from input (Viv x, y, z) to displayed positions. */
  matrix: number[];
  /** True when the ops only move data (rotate, shift, affine): the preview is the whole result. */
  exact: boolean;
}

/** The model matrix that shows `ops` applied to a volume of `shape` (z, y, x) without resampling it. */
export function previewModelMatrix(ops: readonly TransformOp[], shape: Shape3): PreviewMatrix {
  let total = IDENTITY;
  let s: Shape3 = shape;
  let exact = true;
  for (const op of ops) {
    // Pipelines chain: out₂ → in₂ = out₁ → in₁.
    total = compose(total, affineOf(op, s));
    if (op.op === 'gaussian' || op.op === 'downsample') exact = false;
    s = outputShape(s, op);
  }
  const inv = invert(total); // input index (z y x) → displayed index
  // Viv coordinates: x = axis 2, y = axis 1, z = axis 0, centres at index + ½.
  const perm = [2, 1, 0];
  const m = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    const ri = perm[r]!;
    let t = inv[4 * ri + 3]! + 0.5;
    for (let c = 0; c < 3; c++) {
      const ci = perm[c]!;
      const v = inv[4 * ri + ci]!;
      m[4 * c + r] = v; // column-major
      t -= v * 0.5;
    }
    m[12 + r] = t;
  }
  m[15] = 1;
  return { matrix: m, exact };
}
