/**
 * The slab kernel (pure): encodes one square region of 8 × 8 chunk columns of a z-slab and
 * reduces it 2×2 in y and x level by level (spec §3.5: mean rounded half up over the existing
 * voxels — in double, rounded to float32, for `<f4` — or max), encoding every touched chunk of
 * every level in the region. The same code runs in worker threads (Node) and inline (browser,
 * tests).
 *
 * Slabs are **chunk-major**: chunk (cy, cx) of a level occupies the 64³ elements
 * `[(cy·ncx + cx)·64³, …)`, element (z, y, x) of it at `z·4096 + y·64 + x`, in C order exactly
 * as the chunk file holds it (edge chunks padded with 0). A chunk is therefore encoded straight
 * from the slab (no gather copy), and a reduction reads one contiguous chunk and writes one
 * 32 × 32 quadrant of the next level's chunk.
 *
 * Regions are aligned to 8 chunks at the pass's base level, so no 2×2 block of any level the
 * region reduces to straddles two regions. A pass covers up to four levels (base, and three
 * reductions); when more levels remain, the region's next reduction goes into a shared
 * chunk-major buffer of that level and the writer runs another pass from there.
 *
 * Every hot loop exists once per dtype (`<u2`, `|u1`, `<f4`) and reduction, so each is
 * monomorphic; chunk tests and copies run on 32-bit words and do not depend on the dtype.
 *
 * @example
 * const src = allocSlab('<u2', slabElements(Y, X), false);   // filled chunk-major by the writer
 * const r = await processRegion({ dtype: '<u2', src, planeTouched, chunkTouched: null, shapes, base: 0, last: 3, next: null, ry: 0, rx: 0, reduction: 'mean' }, encode);
 */
import type { SessionDtype } from '../metadata/types.ts';

/** Chunk edge along z, y and x (§3.3). */
export const EDGE = 64;
/** Elements in one 64³ chunk. */
export const CHUNK = EDGE * EDGE * EDGE;
/** Elements in one z plane of a chunk. */
const PLANE = EDGE * EDGE;
/** Region side in chunks at a pass's base level. */
export const REGION_CHUNKS = 8;
/** Levels one pass encodes: the base level and up to three reductions. */
export const LEVELS_PER_PASS = 4;

export type ReductionKind = 'mean' | 'max';
/** A slab or level buffer of one of the session dtypes. */
export type SlabData = Uint16Array | Uint8Array | Float32Array;

export interface RegionTask {
  /** The session dtype: `src` and `next` are Uint16Array (`<u2`), Uint8Array (`|u1`) or Float32Array (`<f4`). */
  dtype: SessionDtype;
  /** The base level's slab, chunk-major (see above), `ceil(Y/64) · ceil(X/64)` chunks of `shapes[base]`. */
  src: SlabData;
  /** Level-0 passes only: `[64][ncy][ncx]` flags, 1 where a plane of a chunk column received data. */
  planeTouched: Uint8Array | null;
  /** Later passes: `[ncy][ncx]` flags of the base level's chunks that hold data. */
  chunkTouched: Uint8Array | null;
  /** y, x size of every level of the session. */
  shapes: ReadonlyArray<readonly [number, number]>;
  base: number;
  /** Last level this pass encodes (≤ base + 3). */
  last: number;
  /** Chunk-major buffer of level `last + 1` (zeroed when allocated) to receive the region's reduction, or null. */
  next: SlabData | null;
  /** Region index in units of 8 chunks at the base level. */
  ry: number;
  rx: number;
  reduction: ReductionKind;
}

export interface EncodedChunk {
  level: number;
  cy: number;
  cx: number;
  /** Encoded bytes, or null when the chunk holds only fill (it must not exist on disk). */
  bytes: Uint8Array | null;
}

export interface RegionResult {
  chunks: EncodedChunk[];
  /** Chunks of level `last + 1` that received data from this region: `[cy, cx]` pairs, flattened. */
  nextTouched: number[];
  /** Raw bytes that went through the encoder. */
  rawBytes: number;
  /** `<f4` level-0 passes: finite minimum and maximum of the region's stored voxels, or null. */
  range: [number, number] | null;
}

/** Encodes one chunk's raw bytes; the input is a view into a slab, valid only during the call. */
export type EncodeFn = (chunk: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Bytes per element of a session dtype. */
export function dtypeBytes(dtype: SessionDtype): 1 | 2 | 4 {
  return dtype === '|u1' ? 1 : dtype === '<u2' ? 2 : 4;
}

/** Elements of a chunk-major buffer holding a whole 64-plane slab of a `Y × X` level. */
export function slabElements(Y: number, X: number): number {
  return ceilDiv(Y, EDGE) * ceilDiv(X, EDGE) * CHUNK;
}

/** A zeroed buffer of `n` elements of `dtype`, over a SharedArrayBuffer when `shared`. */
export function allocSlab(dtype: SessionDtype, n: number, shared: boolean): SlabData {
  const bytes = n * dtypeBytes(dtype);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return dtype === '|u1' ? new Uint8Array(buffer) : dtype === '<u2' ? new Uint16Array(buffer) : new Float32Array(buffer);
}

/** A typed array of `dtype` over a copy of little-endian `bytes` (a decoded chunk). */
export function typedFromBytes(dtype: SessionDtype, bytes: Uint8Array): SlabData {
  const own = bytes.slice().buffer;
  return dtype === '|u1' ? new Uint8Array(own) : dtype === '<u2' ? new Uint16Array(own) : new Float32Array(own);
}

/** The 32-bit words of a buffer whose byte offset and length are multiples of 4. */
function wordsOf(a: SlabData, from: number, to: number): Int32Array {
  const b = a.BYTES_PER_ELEMENT;
  return new Int32Array(a.buffer, a.byteOffset + from * b, ((to - from) * b) >> 2);
}

/** Whether any bit of the words is set (a chunk of only +0 fill). */
function anyNonZero(w: Int32Array): boolean {
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return true;
  return false;
}

/** Zeroes the planes of chunk columns that never received data (their buffer holds stale data). */
function clearUntouched(src: SlabData, ncy: number, ncx: number, touched: Uint8Array, cy0: number, cy1: number, cx0: number, cx1: number): void {
  for (let cy = cy0; cy < cy1; cy++) {
    for (let cx = cx0; cx < cx1; cx++) {
      const base = (cy * ncx + cx) * CHUNK;
      for (let z = 0; z < EDGE; z++) {
        if (!touched[(z * ncy + cy) * ncx + cx]) src.fill(0, base + z * PLANE, base + (z + 1) * PLANE);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions, one per dtype and kind: chunk `s` (at `so`, valid extent ny × nx) into the 32 × 32
// quadrant at `d` of a chunk of the next level (every plane); the quadrant's rows and columns
// beyond ceil(ny/2) × ceil(nx/2) are set to 0 (padding).

type Reducer<T extends SlabData> = (s: T, so: number, d: T, dOff: number, ny: number, nx: number) => void;

function padQuadrant(d: SlabData, dOff: number, hy: number, hx: number): void {
  if (hy === 32 && hx === 32) return;
  for (let z = 0; z < EDGE; z++) {
    const dz = dOff + z * PLANE;
    if (hx < 32) for (let oy = 0; oy < hy; oy++) d.fill(0, dz + oy * EDGE + hx, dz + oy * EDGE + 32);
    for (let oy = hy; oy < 32; oy++) d.fill(0, dz + oy * EDGE, dz + oy * EDGE + 32);
  }
}

/** The mean rounded half up (`floor((2S + n) / 2n)`), two uint16 per 32-bit read where rows are whole. */
const meanU16: Reducer<Uint16Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  const fx = nx >> 1;
  const s32 = (s.byteOffset & 3) === 0 ? new Uint32Array(s.buffer, s.byteOffset, s.length >> 1) : null;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const two = 2 * oy + 1 < ny;
      const r1 = two ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      if (two && s32) {
        // Little-endian: the even voxel is the low half (rows start at even element offsets).
        const a0 = r0 >> 1;
        const b0 = r1 >> 1;
        for (let ox = 0; ox < fx; ox++) {
          const a = s32[a0 + ox]!;
          const b = s32[b0 + ox]!;
          d[dr + ox] = ((a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) + 2) >> 2;
        }
      } else if (two) {
        for (let ox = 0; ox < fx; ox++) {
          const i = 2 * ox;
          d[dr + ox] = (s[r0 + i]! + s[r0 + i + 1]! + s[r1 + i]! + s[r1 + i + 1]! + 2) >> 2;
        }
      } else {
        for (let ox = 0; ox < fx; ox++) d[dr + ox] = (s[r0 + 2 * ox]! + s[r0 + 2 * ox + 1]! + 1) >> 1;
      }
      if (fx < hx) d[dr + fx] = two ? (s[r0 + 2 * fx]! + s[r1 + 2 * fx]! + 1) >> 1 : s[r0 + 2 * fx]!;
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

const meanU8: Reducer<Uint8Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  const fx = nx >> 1;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const two = 2 * oy + 1 < ny;
      const r1 = two ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      if (two) {
        for (let ox = 0; ox < fx; ox++) {
          const i = 2 * ox;
          d[dr + ox] = (s[r0 + i]! + s[r0 + i + 1]! + s[r1 + i]! + s[r1 + i + 1]! + 2) >> 2;
        }
      } else {
        for (let ox = 0; ox < fx; ox++) d[dr + ox] = (s[r0 + 2 * ox]! + s[r0 + 2 * ox + 1]! + 1) >> 1;
      }
      if (fx < hx) d[dr + fx] = two ? (s[r0 + 2 * fx]! + s[r1 + 2 * fx]! + 1) >> 1 : s[r0 + 2 * fx]!;
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

/** `<f4`: the mean in double, rounded to float32 by the store. */
const meanF32: Reducer<Float32Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  const fx = nx >> 1;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const two = 2 * oy + 1 < ny;
      const r1 = two ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      if (two) {
        for (let ox = 0; ox < fx; ox++) {
          const i = 2 * ox;
          d[dr + ox] = (s[r0 + i]! + s[r0 + i + 1]! + s[r1 + i]! + s[r1 + i + 1]!) / 4;
        }
      } else {
        for (let ox = 0; ox < fx; ox++) d[dr + ox] = (s[r0 + 2 * ox]! + s[r0 + 2 * ox + 1]!) / 2;
      }
      if (fx < hx) d[dr + fx] = two ? (s[r0 + 2 * fx]! + s[r1 + 2 * fx]!) / 2 : s[r0 + 2 * fx]!;
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

const maxU16: Reducer<Uint16Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const r1 = 2 * oy + 1 < ny ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      for (let ox = 0; ox < hx; ox++) {
        const i = 2 * ox;
        const j = i + 1 < nx ? i + 1 : i;
        let m = s[r0 + i]!;
        if (s[r0 + j]! > m) m = s[r0 + j]!;
        if (s[r1 + i]! > m) m = s[r1 + i]!;
        if (s[r1 + j]! > m) m = s[r1 + j]!;
        d[dr + ox] = m;
      }
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

const maxU8: Reducer<Uint8Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const r1 = 2 * oy + 1 < ny ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      for (let ox = 0; ox < hx; ox++) {
        const i = 2 * ox;
        const j = i + 1 < nx ? i + 1 : i;
        let m = s[r0 + i]!;
        if (s[r0 + j]! > m) m = s[r0 + j]!;
        if (s[r1 + i]! > m) m = s[r1 + i]!;
        if (s[r1 + j]! > m) m = s[r1 + j]!;
        d[dr + ox] = m;
      }
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

const maxF32: Reducer<Float32Array> = (s, so, d, dOff, ny, nx) => {
  const hy = (ny + 1) >> 1;
  const hx = (nx + 1) >> 1;
  for (let z = 0; z < EDGE; z++) {
    const sz = so + z * PLANE;
    const dz = dOff + z * PLANE;
    for (let oy = 0; oy < hy; oy++) {
      const r0 = sz + 2 * oy * EDGE;
      const r1 = 2 * oy + 1 < ny ? r0 + EDGE : r0;
      const dr = dz + oy * EDGE;
      for (let ox = 0; ox < hx; ox++) {
        const i = 2 * ox;
        const j = i + 1 < nx ? i + 1 : i;
        let m = s[r0 + i]!;
        if (s[r0 + j]! > m) m = s[r0 + j]!;
        if (s[r1 + i]! > m) m = s[r1 + i]!;
        if (s[r1 + j]! > m) m = s[r1 + j]!;
        d[dr + ox] = m;
      }
    }
  }
  padQuadrant(d, dOff, hy, hx);
};

/** Finite minimum and maximum of a `<f4` chunk's valid extent (64 × ny × nx), folded into `acc`. */
function rangeF32(s: Float32Array, so: number, ny: number, nx: number, acc: [number, number] | null): [number, number] | null {
  let lo = acc ? acc[0] : Infinity;
  let hi = acc ? acc[1] : -Infinity;
  for (let z = 0; z < EDGE; z++) {
    for (let y = 0; y < ny; y++) {
      const r = so + z * PLANE + y * EDGE;
      for (let x = 0; x < nx; x++) {
        const v = s[r + x]!;
        if (v < lo && v > -Infinity) lo = v;
        if (v > hi && v < Infinity) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : acc;
}

function reducerFor(dtype: SessionDtype, kind: ReductionKind): Reducer<SlabData> {
  const r = dtype === '<u2' ? (kind === 'mean' ? meanU16 : maxU16) : dtype === '|u1' ? (kind === 'mean' ? meanU8 : maxU8) : kind === 'mean' ? meanF32 : maxF32;
  return r as Reducer<SlabData>;
}

/**
 * Region-local buffers of the reduced levels, kept between regions: callers that share a cache
 * run one region at a time, and fresh buffers (about 10 MiB per region) cost page faults and GC.
 */
export class ReductionBuffers {
  private readonly buffers = new Map<string, SlabData>();

  get(dtype: SessionDtype, depth: number, n: number): SlabData {
    const key = `${dtype}:${depth}`;
    let buf = this.buffers.get(key);
    if (!buf || buf.length < n) {
      buf = allocSlab(dtype, n, false);
      this.buffers.set(key, buf);
    }
    return buf.subarray(0, n);
  }
}

/** Encodes the region's chunks at levels `base … last` and fills `next` (see `RegionTask`). */
export async function processRegion(task: RegionTask, encode: EncodeFn, buffers: ReductionBuffers = new ReductionBuffers()): Promise<RegionResult> {
  const { dtype } = task;
  const bpe = dtypeBytes(dtype);
  const reduceChunk = reducerFor(dtype, task.reduction);
  const [Y, X] = task.shapes[task.base]!;
  const ncy = ceilDiv(Y, EDGE);
  const ncx = ceilDiv(X, EDGE);
  const cy0 = task.ry * REGION_CHUNKS;
  const cx0 = task.rx * REGION_CHUNKS;
  const cy1 = Math.min(cy0 + REGION_CHUNKS, ncy);
  const cx1 = Math.min(cx0 + REGION_CHUNKS, ncx);

  // Which base chunks hold data.
  let tw = cx1 - cx0;
  let touched = new Uint8Array((cy1 - cy0) * tw);
  for (let cy = cy0; cy < cy1; cy++) {
    for (let cx = cx0; cx < cx1; cx++) {
      let t = 0;
      if (task.planeTouched) {
        for (let z = 0; z < EDGE && !t; z++) t = task.planeTouched[(z * ncy + cy) * ncx + cx]!;
      } else if (task.chunkTouched) {
        t = task.chunkTouched[cy * ncx + cx]!;
      }
      touched[(cy - cy0) * tw + (cx - cx0)] = t;
    }
  }
  if (task.planeTouched) clearUntouched(task.src, ncy, ncx, task.planeTouched, cy0, cy1, cx0, cx1);

  const chunks: EncodedChunk[] = [];
  const nextTouched: number[] = [];
  let rawBytes = 0;
  let range: [number, number] | null = null;
  // The buffer of the current level: its chunk (cy, cx) is at ((cy − oy)·stride + cx − ox)·CHUNK.
  let buf: SlabData = task.src;
  let stride = ncx;
  let oy = 0;
  let ox = 0;
  let lcy0 = cy0;
  let lcx0 = cx0;
  for (let level = task.base; ; level++) {
    const [LY, LX] = task.shapes[level]!;
    const th = touched.length / tw;
    const reducing = level < task.last || task.next !== null;
    // Where this level reduces to; chunk (i, j) there is touched when any of its 2×2 sources is.
    const nh = ceilDiv(th, 2);
    const nw = ceilDiv(tw, 2);
    const isNext = level === task.last;
    let dst: SlabData = buf;
    let dStride = 0;
    let dOy = 0;
    let dOx = 0;
    if (reducing && isNext) {
      // The shared buffer of the whole level (zeroed when allocated): write only this region's quadrants.
      dst = task.next!;
      dStride = ceilDiv(task.shapes[level + 1]![1], EDGE);
    } else if (reducing) {
      // A region-local buffer (stale contents): every quadrant of its chunks is written, 0 where no source exists.
      dst = buffers.get(dtype, level - task.base, nh * nw * CHUNK);
      dStride = nw;
      dOy = lcy0 >> 1;
      dOx = lcx0 >> 1;
    }
    // Each chunk is encoded and then reduced while it is still in the cache.
    const sh = !reducing || isNext ? th : 2 * nh;
    const sw = !reducing || isNext ? tw : 2 * nw;
    for (let i = 0; i < sh; i++) {
      const cy = lcy0 + i;
      for (let j = 0; j < sw; j++) {
        const cx = lcx0 + j;
        const has = i < th && j < tw && touched[i * tw + j] === 1;
        const at = ((cy - oy) * stride + (cx - ox)) * CHUNK;
        const ny = Math.min(EDGE, LY - cy * EDGE);
        const nx = Math.min(EDGE, LX - cx * EDGE);
        if (has) {
          const any = anyNonZero(wordsOf(buf, at, at + CHUNK));
          if (any && level === 0 && dtype === '<f4') range = rangeF32(buf as Float32Array, at, ny, nx, range);
          rawBytes += CHUNK * bpe;
          const bytes = any ? await encode(new Uint8Array(buf.buffer, buf.byteOffset + at * bpe, CHUNK * bpe)) : null;
          chunks.push({ level, cy, cx, bytes });
        }
        if (!reducing) continue;
        const dAt = (((cy >> 1) - dOy) * dStride + ((cx >> 1) - dOx)) * CHUNK + (cy & 1) * 32 * EDGE + (cx & 1) * 32;
        if (has) reduceChunk(buf, at, dst, dAt, ny, nx);
        else padQuadrant(dst, dAt, 0, 0);
      }
    }
    if (!reducing) break;

    const nt = new Uint8Array(nh * nw);
    for (let i = 0; i < th; i++) for (let j = 0; j < tw; j++) if (touched[i * tw + j]) nt[(i >> 1) * nw + (j >> 1)] = 1;
    touched = nt;
    tw = nw;
    lcy0 >>= 1;
    lcx0 >>= 1;
    buf = dst;
    stride = dStride;
    oy = dOy;
    ox = dOx;
    if (isNext) {
      for (let i = 0; i < nh; i++) for (let j = 0; j < nw; j++) if (nt[i * nw + j]) nextTouched.push(lcy0 + i, lcx0 + j);
      break;
    }
  }
  return { chunks, nextTouched, rawBytes, range };
}
