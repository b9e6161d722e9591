import { describe, expect, it } from 'vitest';
import { accumulators } from '../../../src/session/writer/accumulate.ts';
import { CHUNK, EDGE, allocSlab, processRegion, slabElements } from '../../../src/session/writer/kernel.ts';
import type { ReductionKind, SlabData } from '../../../src/session/writer/kernel.ts';
import type { SessionDtype } from '../../../src/session/metadata/types.ts';
import { rng } from './helpers.ts';

/** A row-major [64, Y, X] plane stack of a dtype with values that exercise rounding. */
function volume(dtype: SessionDtype, Y: number, X: number, seed: number): SlabData {
  const r = rng(seed);
  const out = allocSlab(dtype, EDGE * Y * X, false);
  for (let i = 0; i < out.length; i++) out[i] = dtype === '<f4' ? ((r() % 2 ** 22) - 2 ** 21) / 8 : r() % (dtype === '|u1' ? 256 : 65536);
  return out;
}

/** §3.5 reduction of a row-major [64, Y, X] stack, computed the plain way (f32 mean in double, summed in block order). */
function reduceRef(a: SlabData, Y: number, X: number, kind: ReductionKind, dtype: SessionDtype): { data: SlabData; Y: number; X: number } {
  const h = Math.ceil(Y / 2);
  const w = Math.ceil(X / 2);
  const out = allocSlab(dtype, EDGE * h * w, false);
  for (let z = 0; z < EDGE; z++) {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const vals: number[] = [];
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
          const y = 2 * j + dy;
          const x = 2 * i + dx;
          if (y < Y && x < X) vals.push(a[(z * Y + y) * X + x]!);
        }
        const n = vals.length;
        const s = vals.reduce((p, v) => p + v, 0);
        out[(z * h + j) * w + i] = kind === 'max' ? Math.max(...vals) : dtype === '<f4' ? s / n : Math.floor((2 * s + n) / (2 * n));
      }
    }
  }
  return { data: out, Y: h, X: w };
}

/** Chunk (cy, cx) of a row-major stack, C order, padded with 0. */
function chunkOf(a: SlabData, Y: number, X: number, cy: number, cx: number, dtype: SessionDtype): SlabData {
  const out = allocSlab(dtype, CHUNK, false);
  for (let z = 0; z < EDGE; z++) {
    for (let y = 0; y < EDGE && cy * EDGE + y < Y; y++) {
      for (let x = 0; x < EDGE && cx * EDGE + x < X; x++) out[(z * EDGE + y) * EDGE + x] = a[(z * Y + cy * EDGE + y) * X + cx * EDGE + x]!;
    }
  }
  return out;
}

describe('processRegion (chunk-major slabs)', () => {
  it.each<[SessionDtype, ReductionKind]>([
    ['<u2', 'mean'],
    ['<u2', 'max'],
    ['|u1', 'mean'],
    ['|u1', 'max'],
    ['<f4', 'mean'],
    ['<f4', 'max'],
  ])('%s %s: every chunk of every level equals the plain reduction, edge chunks padded with 0', async (dtype, kind) => {
    const Y = 150;
    const X = 131;
    const shapes: [number, number][] = [[150, 131], [75, 66], [38, 33]];
    const vol = volume(dtype, Y, X, 7);
    // Fill a stale (non-zero) slab chunk-major through the copy kernel, as the writer does.
    const slab = allocSlab(dtype, slabElements(Y, X), false);
    slab.fill(9);
    const ncx = Math.ceil(X / EDGE);
    const ncy = Math.ceil(Y / EDGE);
    const acc = accumulators(dtype);
    for (let z = 0; z < EDGE; z++) {
      for (let cy = 0; cy < ncy; cy++) {
        for (let cx = 0; cx < ncx; cx++) {
          const plane = (cy * ncx + cx) * CHUNK + z * EDGE * EDGE;
          slab.fill(0, plane, plane + EDGE * EDGE);
          const rows = Math.min(EDGE, Y - cy * EDGE);
          acc.copy(slab, plane, vol, (z * Y + cy * EDGE) * X + cx * EDGE, Math.min(EDGE, X - cx * EDGE), rows, X);
        }
      }
    }
    const planeTouched = new Uint8Array(EDGE * ncy * ncx).fill(1);
    const r = await processRegion({ dtype, src: slab, planeTouched, chunkTouched: null, shapes, base: 0, last: 2, next: null, ry: 0, rx: 0, reduction: kind }, (b) => b.slice());
    let level = { data: vol, Y, X };
    for (let l = 0; l < 3; l++) {
      const got = r.chunks.filter((c) => c.level === l);
      expect(got).toHaveLength(Math.ceil(level.Y / EDGE) * Math.ceil(level.X / EDGE));
      for (const c of got) {
        const want = chunkOf(level.data, level.Y, level.X, c.cy, c.cx, dtype);
        expect(Buffer.from(c.bytes!).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `level ${l} chunk ${c.cy}/${c.cx}`).toBe(true);
      }
      level = reduceRef(level.data, level.Y, level.X, kind, dtype);
    }
    if (dtype === '<f4') {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of vol) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(r.range).toEqual([lo, hi]);
    } else expect(r.range).toBeNull();
  });

  it('skips all-zero chunks (null bytes) but keeps a chunk holding only -0.0 (its bits are not the fill)', async () => {
    const shapes: [number, number][] = [[64, 128]];
    const slab = allocSlab('<f4', slabElements(64, 128), false);
    slab.fill(-0, CHUNK, CHUNK + 10);
    const planeTouched = new Uint8Array(EDGE * 2).fill(1);
    const r = await processRegion({ dtype: '<f4', src: slab, planeTouched, chunkTouched: null, shapes, base: 0, last: 0, next: null, ry: 0, rx: 0, reduction: 'mean' }, (b) => b.slice());
    expect(r.chunks.map((c) => [c.cx, c.bytes === null])).toEqual([[0, true], [1, false]]);
  });
});
