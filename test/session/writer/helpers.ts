/** Test helpers for the writer: synthetic frames, a reference accumulation, and the python reader. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame, FrameMeta } from '../../../src/acquisition/connector.ts';
import type { Accumulation, SessionDtype } from '../../../src/session/metadata/types.ts';
import type { WriterFrame, WriterPixels } from '../../../src/session/writer/writer.ts';

export const PY_CHECK = path.resolve('test/session/writer/check_session.py');

/** A small seeded generator (xorshift32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Camera-like pixels: offset 100 plus noise and a few bright spots. */
export function pixels(width: number, height: number, seed: number, max = 3000): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = 100 + (r() % 40) + (r() % 97 === 0 ? r() % max : 0);
  return out;
}

export function meta(over: Partial<FrameMeta>): FrameMeta {
  return {
    channel: 0,
    channelIndex: 0,
    laser: 1,
    wavelengthNm: 488,
    side: 'left',
    zIndex: 0,
    zCount: 1,
    stage: { xMm: 0, yMm: 0, zMm: 0, rDeg: 0 },
    tileIndex: 0,
    timepoint: 0,
    stackIndex: 0,
    frameNumber: 0,
    receivedAtMs: 0,
    receivedMonotonicMs: 0,
    ...over,
  };
}

export function frame(width: number, height: number, seed: number, m: Partial<FrameMeta>): Frame {
  return { pixels: pixels(width, height, seed), width, height, meta: meta(m) };
}

/** Reference accumulation into a [C, Z, Y, X] volume of a session dtype (true running mean for "average"). */
export class Reference {
  readonly data: WriterPixels;
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;

  constructor(
    readonly shape: [number, number, number, number],
    readonly mode: Accumulation,
    readonly dtype: SessionDtype = '<u2',
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    this.data = dtype === '<u2' ? new Uint16Array(n) : dtype === '|u1' ? new Uint8Array(n) : new Float32Array(n);
    this.sum = new Float64Array(n);
    this.count = new Uint32Array(n);
  }

  add(f: WriterFrame, c: number, z: number, oy: number, ox: number): void {
    const [, Z, Y, X] = this.shape;
    const top = this.dtype === '<u2' ? 65535 : this.dtype === '|u1' ? 255 : Infinity;
    const float = this.dtype === '<f4';
    for (let r = 0; r < f.height; r++) {
      const y = oy + r;
      if (y < 0 || y >= Y) continue;
      for (let col = 0; col < f.width; col++) {
        const x = ox + col;
        if (x < 0 || x >= X) continue;
        const k = ((c * Z + z) * Y + y) * X + x;
        const v = f.pixels[r * f.width + col]!;
        const old = this.data[k]!;
        // §4.4: old is 0 (the fill) where nothing was stored; the mean counts only real samples.
        this.sum[k]! += v;
        this.count[k]!++;
        if (this.mode === 'latest') this.data[k] = v;
        else if (this.mode === 'maximum') this.data[k] = Math.max(old, v);
        else if (this.mode === 'additive') this.data[k] = Math.min(top, old + v);
        else this.data[k] = float ? this.sum[k]! / this.count[k]! : Math.floor(this.sum[k]! / this.count[k]!);
      }
    }
  }
}

export interface PyCheck {
  ok: boolean;
  errors: string[];
  shapes: number[][];
  chunk_files: number;
  /** numpy's dtype string of level 0 (`<u2`, `|u1`, `<f4`). */
  dtype: string;
  /** Finite minimum and maximum of level 0 as read back. */
  data_range: [number, number] | null;
  attrs: {
    flamingo: Record<string, unknown> & { acquisition: Record<string, unknown> };
    multiscales: { datasets: unknown[] }[];
    omero: { channels: { window: { min: number; max: number; start: number; end: number } }[] };
  };
}

/** Runs the independent python3-zarr check on a session folder. */
export function pyCheck(sessionPath: string, expected: WriterPixels, shape: readonly number[], reduction: 'mean' | 'max' = 'mean', zmax?: number): PyCheck {
  const raw = path.join(path.dirname(sessionPath), `${path.basename(sessionPath)}.expected.raw`);
  writeFileSync(raw, new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength));
  const out = execFileSync('/usr/bin/python3', [PY_CHECK, sessionPath, raw, shape.join(','), reduction, ...(zmax === undefined ? [] : [String(zmax)])], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out) as PyCheck;
}
