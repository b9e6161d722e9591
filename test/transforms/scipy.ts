/**
 * Runs scipy.ndimage (python3) on the same inputs as the kernels: writes raw inputs and a JSON
 * manifest to a temporary folder, runs scipy_reference.py once for all cases, reads the outputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParityProfile, TransformOp, Volume, VoxelArray, VoxelType } from '../../src/transforms/types.ts';
import { voxelTypeOf } from '../../src/transforms/types.ts';

export interface ReferenceCase {
  input: Volume;
  ops: readonly TransformOp[];
}

export interface ReferenceResult {
  output: Volume;
  rotations: { matrix: number[]; offset: number[] }[];
}

export interface ReferenceRun {
  scipy: string;
  numpy: string;
  /** The parity profile matching the installed scipy (spec §5.13). */
  profile: ParityProfile;
  results: ReferenceResult[];
}

const NUMPY: Record<VoxelType, string> = { uint8: '<u1', uint16: '<u2', float32: '<f4' };

function view(type: string, bytes: Uint8Array): VoxelArray {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (type === 'uint8') return new Uint8Array(buf);
  if (type === 'uint16') return new Uint16Array(buf);
  if (type === 'float32') return new Float32Array(buf);
  throw new Error(`scipy returned dtype ${type}`);
}

/** Runs every case through scipy in one python3 process. */
export function scipyReference(cases: readonly ReferenceCase[]): ReferenceRun {
  const dir = mkdtempSync(join(tmpdir(), 'fv-scipy-'));
  try {
    const manifest = {
      cases: cases.map((c, i) => {
        const input = join(dir, `in${i}.raw`);
        const d = c.input.data;
        writeFileSync(input, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
        return { input, output: join(dir, `out${i}.raw`), dtype: NUMPY[voxelTypeOf(d)], shape: c.input.shape, ops: c.ops };
      }),
    };
    const manifestPath = join(dir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const script = new URL('./scipy_reference.py', import.meta.url).pathname;
    const stdout = execFileSync('/usr/bin/python3', [script, manifestPath], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const summary = JSON.parse(stdout) as { scipy: string; numpy: string; cases: { shape: [number, number, number]; dtype: string; rotations: ReferenceResult['rotations'] }[] };
    const results = summary.cases.map((c, i) => ({
      output: { data: view(c.dtype, readFileSync(manifest.cases[i]!.output)), shape: c.shape },
      rotations: c.rotations,
    }));
    const profile: ParityProfile = summary.scipy.startsWith('1.10.') ? 'scipy-1.10' : 'scipy-1.17';
    return { scipy: summary.scipy, numpy: summary.numpy, profile, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Count of voxels that differ and the largest absolute difference. */
export function diff(a: VoxelArray, b: VoxelArray): { count: number; maxAbs: number; maxRel: number; first: number } {
  let count = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) {
      count++;
      if (first < 0) first = i;
      const d = Math.abs(x - y);
      if (d > maxAbs) maxAbs = d;
      const r = d / Math.max(Math.abs(x), Math.abs(y));
      if (r > maxRel) maxRel = r;
    }
  }
  return { count, maxAbs, maxRel, first };
}

/** A seeded uniform volume: integers in [0, max) for integer types, [0, 1000) for float32. */
export function randomVolume(type: VoxelType, shape: readonly [number, number, number], rand: () => number): Volume {
  const n = shape[0] * shape[1] * shape[2];
  const data = type === 'uint8' ? new Uint8Array(n) : type === 'uint16' ? new Uint16Array(n) : new Float32Array(n);
  const max = type === 'uint8' ? 255 : type === 'uint16' ? 65535 : 1000;
  for (let i = 0; i < n; i++) data[i] = type === 'float32' ? rand() * max : Math.floor(rand() * max);
  return { data, shape };
}
