/**
 * A chunked level over any chunk loader: index checks, fill for missing chunks, fill plus a
 * `bad-chunk` warning for undecodable ones, and `readRegion` assembling a box from chunks.
 */

import type { DataType, LevelDescription, PixelArray, PixelBlock, ReadOptions, Region } from './description.ts';
import { ReadError } from './description.ts';
import type { WarningSink } from './description.ts';
import { allocate, filled } from './elements.ts';

/** Thrown by loaders for a chunk that exists but cannot be decoded; becomes a warning. */
export class ChunkDecodeError extends Error {
  override readonly name = 'ChunkDecodeError';
}

export interface ChunkLoader {
  /** The key of a chunk, for messages. */
  keyOf(index: readonly number[]): string;
  /** The decoded chunk, C order, exactly `product(chunks)` elements; `undefined` when missing. */
  load(index: readonly number[], signal?: AbortSignal): Promise<PixelArray | undefined>;
}

/**
 * Decoded chunks kept for re-use (z scrolling reads the same 64-deep chunk for 64 planes), least
 * recently used first out, within a byte budget; one cache may serve every level of an image.
 * Concurrent requests for one chunk share one decode.
 */
export class ChunkCache {
  private readonly map = new Map<string, Promise<PixelArray | undefined>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(readonly budgetBytes: number) {}

  get size(): number {
    return this.bytes;
  }

  async get(key: string, load: () => Promise<PixelArray | undefined>): Promise<PixelArray | undefined> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const p = load();
    if (this.budgetBytes <= 0) return p;
    this.map.set(key, p);
    try {
      const v = await p;
      if (this.map.get(key) === p) {
        const n = v?.byteLength ?? 0;
        this.sizes.set(key, n);
        this.bytes += n;
        this.evict();
      }
      return v;
    } catch (err) {
      if (this.map.get(key) === p) this.map.delete(key);
      throw err;
    }
  }

  private evict(): void {
    for (const k of this.map.keys()) {
      if (this.bytes <= this.budgetBytes) break;
      const n = this.sizes.get(k);
      if (n === undefined) continue; // still loading
      this.map.delete(k);
      this.sizes.delete(k);
      this.bytes -= n;
    }
  }
}

/** Chunks `readRegion` decodes at once. */
export const REGION_CONCURRENCY = 8;

/** Default budget of an image's chunk cache. */
export const DEFAULT_CACHE_BYTES = 64 * 2 ** 20;

export function cacheFor(options: { cacheBytes?: number }): ChunkCache {
  return new ChunkCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
}

export interface LevelInit {
  path: string;
  shape: number[];
  chunks: number[];
  dtype: DataType;
  fillValue: number;
  scale: number[];
  translation: number[];
  loader: ChunkLoader;
  warnings: WarningSink;
  /** Shared decoded-chunk cache; none when absent. */
  cache?: ChunkCache;
}

/** Largest block `readRegion` assembles in one call (elements). */
export const MAX_REGION_ELEMENTS = 2 ** 28;

export function product(a: readonly number[]): number {
  let p = 1;
  for (const v of a) p *= v;
  return p;
}

function aborted(signal?: AbortSignal): void {
  signal?.throwIfAborted();
}

export function makeLevel(init: LevelInit): LevelDescription {
  const { shape, chunks, dtype, fillValue, loader, warnings } = init;
  const n = shape.length;
  const grid = shape.map((s, i) => Math.ceil(s / chunks[i]!));
  const chunkSize = product(chunks);

  async function getChunk(index: readonly number[], options: ReadOptions = {}): Promise<PixelBlock> {
    aborted(options.signal);
    if (index.length !== n || index.some((v, i) => !Number.isInteger(v) || v < 0 || v >= grid[i]!)) {
      throw new ReadError('bad-metadata', init.path, `Chunk index [${index.join(', ')}] is outside level ${init.path}'s chunk grid [${grid.join(', ')}].`);
    }
    let data: PixelArray | undefined;
    try {
      const { cache } = init;
      // A cached load is shared, so it runs without one caller's signal; each caller checks its own.
      data = cache ? await cache.get(`${init.path}\u0000${index.join(',')}`, () => loader.load(index)) : await loader.load(index, options.signal);
      if (data && cache) data = data.slice();
    } catch (err) {
      aborted(options.signal);
      if (!(err instanceof ChunkDecodeError)) throw err;
      warnings.add('bad-chunk', `${err.message} It reads as fill value ${fillValue}.`, loader.keyOf(index));
      data = undefined;
    }
    aborted(options.signal);
    return { data: data ?? filled(dtype, chunkSize, fillValue), shape: chunks.slice() };
  }

  async function readRegion(region: Region, options: ReadOptions = {}): Promise<PixelBlock> {
    const { start, stop } = region;
    if (start.length !== n || stop.length !== n || start.some((s, i) => !Number.isInteger(s) || !Number.isInteger(stop[i]) || s < 0 || s > stop[i]! || stop[i]! > shape[i]!)) {
      throw new ReadError('bad-metadata', init.path, `Region [${start.join(', ')}]..[${stop.join(', ')}] is not inside level ${init.path}'s shape [${shape.join(', ')}].`);
    }
    const outShape = start.map((s, i) => stop[i]! - s);
    const total = product(outShape);
    if (total > MAX_REGION_ELEMENTS) {
      throw new ReadError('unsupported', init.path, `Region of ${total} elements is larger than the ${MAX_REGION_ELEMENTS} a single read assembles; read it in parts.`);
    }
    const out = fillValue === 0 ? allocate(dtype, total) : filled(dtype, total, fillValue);
    if (total === 0) return { data: out, shape: outShape };
    const c0 = start.map((s, i) => Math.floor(s / chunks[i]!));
    const c1 = stop.map((s, i) => Math.ceil(s / chunks[i]!));
    const todo: number[][] = [];
    const ci = c0.slice();
    for (;;) {
      todo.push(ci.slice());
      let a = n - 1;
      for (; a >= 0; a--) {
        ci[a]!++;
        if (ci[a]! < c1[a]!) break;
        ci[a] = c0[a]!;
      }
      if (a < 0) break;
    }
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !failed) {
        const index = todo[next++]!;
        try {
          const { data } = await getChunk(index, options);
          copyOverlap(data, index, chunks, out, start, outShape);
        } catch (err) {
          failed = true; // the other workers stop after their current chunk
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REGION_CONCURRENCY, todo.length) }, worker));
    return { data: out, shape: outShape };
  }

  return {
    path: init.path,
    shape: Object.freeze(shape.slice()),
    chunks: Object.freeze(chunks.slice()),
    dtype,
    fillValue,
    scale: Object.freeze(init.scale.slice()),
    translation: Object.freeze(init.translation.slice()),
    getChunk,
    readRegion,
  };
}

/** Copies the part of chunk `ci` (full chunk shape) that falls inside the output box. */
function copyOverlap(src: PixelArray, ci: readonly number[], chunks: readonly number[], out: PixelArray, start: readonly number[], outShape: readonly number[]): void {
  const n = chunks.length;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let a = 0; a < n; a++) {
    const cs = ci[a]! * chunks[a]!;
    lo.push(Math.max(cs, start[a]!));
    hi.push(Math.min(cs + chunks[a]!, start[a]! + outShape[a]!));
    if (hi[a]! <= lo[a]!) return;
  }
  const srcStr = new Array<number>(n).fill(1);
  const outStr = new Array<number>(n).fill(1);
  for (let a = n - 2; a >= 0; a--) {
    srcStr[a] = srcStr[a + 1]! * chunks[a + 1]!;
    outStr[a] = outStr[a + 1]! * outShape[a + 1]!;
  }
  const rowLen = hi[n - 1]! - lo[n - 1]!;
  const pos = lo.slice();
  for (;;) {
    let s = 0;
    let o = 0;
    for (let a = 0; a < n; a++) {
      s += (pos[a]! - ci[a]! * chunks[a]!) * srcStr[a]!;
      o += (pos[a]! - start[a]!) * outStr[a]!;
    }
    (out as Uint8Array).set((src as Uint8Array).subarray(s, s + rowLen), o);
    let a = n - 2;
    for (; a >= 0; a--) {
      pos[a]!++;
      if (pos[a]! < hi[a]!) break;
      pos[a] = lo[a]!;
    }
    if (a < 0) break;
  }
}
