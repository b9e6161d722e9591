/**
 * The reference suite (specs/benchmark.md §1–§5): the seven test names, the modes, the result
 * names, each test as a pipeline of TransformOps, the rotation matrix and offset built the way
 * scipy builds them, and the seeded uint16 test volume. Pure: no Node, no DOM.
 *
 * @example
 * testPipeline('Rotation 15°', 'QUALITY', 200);
 * // [{ op: 'affine', matrix: [0.9659…, 0, 0.2588…, 0, 1, 0, -0.2588…, 0, 0.9659…],
 * //    offset: [-22.474487139158896, 0, 29.28932188134526], order: 1, cval: 0, parity: 'scipy-1.17' }]
 * resultName('Rotation 15°', 'FAST', true); // 'Rotation 15° [FAST]'
 * const vol = makeTestVolume(100, 2718281828); // 100³ uint16, values 0 … 65534
 */
import type { ParityProfile, TransformOp, Volume } from '../transforms/types.ts';

export const TEST_NAMES = [
  'Gaussian Smoothing',
  'Rotation 15°',
  'Rotation 45°',
  'Rotation 90°',
  'Translation Shift',
  'Downsample 3x',
  'Full Pipeline',
] as const;
export type TestName = (typeof TEST_NAMES)[number];

export type Mode = 'FAST' | 'QUALITY';
export const MODES: readonly Mode[] = ['FAST', 'QUALITY'];

/** The sizes the reference dialog offers (n for n³ volumes). */
export const REFERENCE_SIZES = [100, 200, 300] as const;

export function isTestName(name: string): name is TestName {
  return (TEST_NAMES as readonly string[]).includes(name);
}

/** `"<n>³"` (U+00B3), the reference's volume label. */
export function volumeLabel(n: number): string {
  return `${n}\u00b3`;
}

/** The n of a `"<n>³"` label, or null when the label is not one. */
export function parseVolumeLabel(label: string): number | null {
  const m = /^(\d+)\u00b3$/.exec(label.trim());
  return m ? Number(m[1]) : null;
}

/** The result name: the bare test name, or with `" [FAST]"`/`" [QUALITY]"` when both modes run. */
export function resultName(test: string, mode: Mode, bothModes: boolean): string {
  return bothModes ? `${test} [${mode}]` : test;
}

/** Splits a result name into the test name and the mode suffix (null when it has none). */
export function splitResultName(name: string): { test: string; mode: Mode | null } {
  const m = /^(.*) \[(FAST|QUALITY)\]$/.exec(name);
  return m ? { test: m[1]!, mode: m[2] as Mode } : { test: name, mode: null };
}

/**
 * scipy's `Rotation.from_euler(letter, angle, degrees=True).as_matrix()`, evaluated the way it
 * evaluates it (through a unit quaternion, §5.3); row-major 3×3. The letter is scipy's (array
 * axes: "x" mixes axes 1 and 2, "y" mixes 0 and 2, "z" mixes 0 and 1).
 */
export function eulerMatrix(letter: 'x' | 'y' | 'z', angleDeg: number): number[] {
  const theta = angleDeg * (Math.PI / 180);
  const s = Math.sin(theta / 2);
  const w0 = Math.cos(theta / 2);
  let x = letter === 'x' ? s : 0;
  let y = letter === 'y' ? s : 0;
  let z = letter === 'z' ? s : 0;
  let w = w0;
  const norm = Math.sqrt(x * x + y * y + z * z + w * w);
  if (norm !== 1) {
    x /= norm;
    y /= norm;
    z /= norm;
    w /= norm;
  }
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
    xx - yy - zz + ww,
    2 * (xy - zw),
    2 * (xz + yw),
    2 * (xy + zw),
    -xx + yy - zz + ww,
    2 * (yz - xw),
    2 * (xz - yw),
    2 * (yz + xw),
    -xx - yy + zz + ww,
  ];
}

/** The benchmark's offsets (§5.4 table: numpy with OpenBLAS FMA kernels), keyed `n:angle`. */
const OFFSET_TABLE: Readonly<Record<string, readonly [number, number, number]>> = {
  '100:15': [-11.237243569579448, 0.0, 14.64466094067263],
  '100:45': [-20.710678118654755, 0.0, 50.00000000000001],
  '100:90': [-1.4210854715202004e-14, 0.0, 99.99999999999999],
  '200:15': [-22.474487139158896, 0.0, 29.28932188134526],
  '200:45': [-41.42135623730951, 0.0, 100.00000000000001],
  '200:90': [-2.842170943040401e-14, 0.0, 199.99999999999997],
  '300:15': [-33.711730708738344, 0.0, 43.93398282201788],
  '300:45': [-62.132034355964265, 0.0, 150.0],
  '300:90': [-2.842170943040401e-14, 0.0, 300.0],
};

/** `c − M·c` with `c = n / 2` on every axis, in plain double arithmetic (row by row, left to right). */
export function centreOffset(matrix: readonly number[], n: number): [number, number, number] {
  const c = n / 2;
  const out: [number, number, number] = [0, 0, 0];
  for (let h = 0; h < 3; h++) {
    const mc = matrix[h * 3]! * c + matrix[h * 3 + 1]! * c + matrix[h * 3 + 2]! * c;
    out[h] = c - mc;
  }
  return out;
}

/** Supplies the offset of the benchmark rotation by `angle` at size n (a harness passes Python's own). */
export type OffsetSource = (n: number, angleDeg: number, matrix: readonly number[]) => readonly [number, number, number];

/** The §5.4 table for the reference sizes, plain double arithmetic otherwise. */
export const referenceOffsets: OffsetSource = (n, angleDeg, matrix) => OFFSET_TABLE[`${n}:${angleDeg}`] ?? centreOffset(matrix, n);

export interface PipelineOptions {
  parity?: ParityProfile;
  offsets?: OffsetSource;
}

function rotation(n: number, angleDeg: number, order: 0 | 1, options: PipelineOptions): TransformOp {
  const matrix = eulerMatrix('y', angleDeg);
  const offset = (options.offsets ?? referenceOffsets)(n, angleDeg, matrix);
  return { op: 'affine', matrix, offset: [offset[0], offset[1], offset[2]], order, cval: 0, parity: options.parity ?? 'scipy-1.17' };
}

/** The operations one iteration of `test` runs in `mode` on an n³ volume (§3, §5). */
export function testPipeline(test: TestName, mode: Mode, n: number, options: PipelineOptions = {}): TransformOp[] {
  const q: 0 | 1 = mode === 'FAST' ? 0 : 1;
  const gaussian: TransformOp = { op: 'gaussian', sigma: [1, 1, 1], truncate: 4 };
  switch (test) {
    case 'Gaussian Smoothing':
      return [gaussian];
    case 'Rotation 15°':
      return [rotation(n, 15, q, options)];
    case 'Rotation 45°':
      return [rotation(n, 45, q, options)];
    case 'Rotation 90°':
      return [rotation(n, 90, q, options)];
    case 'Translation Shift':
      return [{ op: 'shift', offset: [10, 5, -3], order: q, cval: 0 }];
    case 'Downsample 3x':
      return [{ op: 'downsample', factor: 3, reduce: 'mean' }];
    case 'Full Pipeline':
      return [gaussian, rotation(n, 15, q, options), { op: 'shift', offset: [5, 5, 5], order: q, cval: 0 }];
  }
}

/** A 32-bit seed drawn from the platform's cryptographic generator. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * Fills `data` with independent uniform integers in 0 … 65534 (§2) from a seeded generator
 * (splitmix32-style: a Weyl sequence through a 32-bit mixer; same seed, same bytes everywhere).
 */
export function fillTestData(data: Uint16Array, seed: number): Uint16Array {
  let state = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    // ⌊z · 65535 / 2³²⌋ is exact in double (z · 65535 < 2⁴⁸) and never reaches 65535.
    data[i] = Math.floor((z * 65535) / 4294967296);
  }
  return data;
}

/** A new n³ uint16 test volume from `seed` (on `data` when given, e.g. shared memory for a pool). */
export function makeTestVolume(n: number, seed: number, data?: Uint16Array): Volume<Uint16Array> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`A test volume size must be a positive integer, got ${n}.`);
  const length = n * n * n;
  const buf = data ?? new Uint16Array(length);
  if (buf.length !== length) throw new RangeError(`A ${n}³ test volume needs ${length} voxels, got a buffer of ${buf.length}.`);
  return { data: fillTestData(buf, seed), shape: [n, n, n] };
}

/** The seed of the k-th test volume of a run (k from 0), so every test gets fresh data from one run seed. */
export function testSeed(runSeed: number, k: number): number {
  return (Math.imul((runSeed >>> 0) ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(k + 1, 0x165667b1)) >>> 0;
}
