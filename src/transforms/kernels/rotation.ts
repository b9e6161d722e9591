/**
 * Rotation matrices and centre offsets exactly as scipy's `Rotation.from_euler(...).as_matrix()`
 * and numpy's `c − M·c` compute them (specs/benchmark.md §5.3–§5.4).
 *
 * @example
 * const { matrix, offset } = rotationAffine([200, 200, 200], 'y', 15);
 * // matrix[0] === 0.9659258262890682, offset[2] === 29.28932188134526 (OpenBLAS with FMA)
 */
import type { Shape3 } from '../types.ts';
import { sinCos } from './trig.ts';

export type RotationAxis = 'x' | 'y' | 'z';

/**
 * How `M·c` is summed: `fma` as OpenBLAS's dgemv kernel on an x86-64 CPU with FMA
 * (`fma(M2, c2, fma(M1, c1, M0·c0))`, the spec's reference table), `plain` as separate
 * multiplies and adds left to right (numpy without FMA kernels).
 */
export type OffsetArithmetic = 'fma' | 'plain';

/**
 * The 3×3 row-major output → input matrix for a rotation by `angleDeg` about the physical axis
 * `axis` (x = array axis 2, y = array axis 1, z = array axis 0), built through the unit
 * quaternion the way scipy does.
 */
export function rotationMatrix(axis: RotationAxis, angleDeg: number): number[] {
  const theta = angleDeg * (Math.PI / 180);
  const [s, w] = sinCos(theta / 2);
  // scipy's letter is the swapped one: x → "z" (quaternion z), y → "y", z → "x".
  const x = axis === 'z' ? s : 0;
  const y = axis === 'y' ? s : 0;
  const z = axis === 'x' ? s : 0;
  const xx = x * x;
  const yy = y * y;
  const zz = z * z;
  const ww = w * w;
  const xy = x * y;
  const zw = z * w;
  const xz = x * z;
  const yw = y * w;
  const yz = y * z;
  const xw = x * w;
  return [
    xx - yy - zz + ww, 2 * (xy - zw), 2 * (xz + yw),
    2 * (xy + zw), -xx + yy - zz + ww, 2 * (yz - xw),
    2 * (xz - yw), 2 * (yz + xw), -xx - yy + zz + ww,
  ];
}

const scratch = new DataView(new ArrayBuffer(8));

/** A finite double as an exact integer mantissa and a power-of-two exponent. */
function decompose(v: number): [bigint, number] {
  scratch.setFloat64(0, v);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e !== 0) m |= 1n << 52n;
  return [hi >>> 31 ? -m : m, e === 0 ? -1074 : e - 1075];
}

/** `a·b + c` with a single rounding (fused multiply-add), for finite arguments of moderate size. */
export function fusedMultiplyAdd(a: number, b: number, c: number): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const product = ma * mb;
  if (product === 0n) return c + a * b;
  const [mc, ecRaw] = decompose(c);
  let ec = ecRaw;
  const ep = ea + eb;
  if (mc === 0n) ec = ep;
  const e = Math.min(ep, ec);
  const sum = (product << BigInt(ep - e)) + (mc << BigInt(ec - e));
  // Number(bigint) rounds to nearest (ties to even); scaling by a power of two is exact here.
  return Number(sum) * 2 ** e;
}

/** `c − M·c` with `c = shape / 2` (spec §5.4). */
export function rotationOffset(shape: Shape3, matrix: readonly number[], arithmetic: OffsetArithmetic = 'fma'): [number, number, number] {
  const c = [shape[0] / 2, shape[1] / 2, shape[2] / 2] as const;
  const out: [number, number, number] = [0, 0, 0];
  for (let h = 0; h < 3; h++) {
    const m0 = matrix[3 * h] ?? 0;
    const m1 = matrix[3 * h + 1] ?? 0;
    const m2 = matrix[3 * h + 2] ?? 0;
    const dot =
      arithmetic === 'fma'
        ? fusedMultiplyAdd(m2, c[2], fusedMultiplyAdd(m1, c[1], m0 * c[0]))
        : m0 * c[0] + m1 * c[1] + m2 * c[2];
    out[h] = c[h]! - dot;
  }
  return out;
}

/** The matrix and offset of a rotation about the volume centre, as the benchmark builds them. */
export function rotationAffine(
  shape: Shape3,
  axis: RotationAxis,
  angleDeg: number,
  arithmetic: OffsetArithmetic = 'fma',
): { matrix: number[]; offset: [number, number, number] } {
  const matrix = rotationMatrix(axis, angleDeg);
  return { matrix, offset: rotationOffset(shape, matrix, arithmetic) };
}
