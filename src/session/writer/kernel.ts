/**
 * The slab kernel (pure): from one z-slab of one level (64 planes × Y × X, uint16, plane
 * major), a square region of 8 × 8 chunk columns is cut into 64³ chunks, reduced 2×2 in y
 * and x level by level (spec §3.5: mean rounded half up over the existing voxels, or max),
 * and every touched chunk of every level in the region is encoded. The same code runs in
 * worker threads (Node) and inline (browser, tests).
 *
 * Regions are aligned to 8 chunks (512 voxels at the base level), so no 2×2 block of any
 * level the region reduces to straddles two regions. A pass covers up to four levels
 * (base, and three reductions); when more levels remain, the region's next reduction goes
 * into a shared buffer of that level and the writer runs another pass from there.
 */

/** Chunk edge along z, y and x (§3.3). */
export const EDGE = 64;
/** Region side in chunks at a pass's base level. */
export const REGION_CHUNKS = 8;
/** Levels one pass encodes: the base level and up to three reductions. */
export const LEVELS_PER_PASS = 4;
/** Scratch elements `processRegion` uses best: one row of a region's chunks (8 × 64³ uint16, 4 MiB). */
export const SCRATCH_LENGTH = REGION_CHUNKS * EDGE ** 3;

export type ReductionKind = 'mean' | 'max';

export interface RegionTask {
  /** The base level's slab: 64 planes × `shapes[base]` (y, x), plane-major. */
  src: Uint16Array;
  /** Level-0 passes only: `[64][ncy][ncx]` flags, 1 where a plane of a chunk column received data. */
  planeTouched: Uint8Array | null;
  /** Later passes: `[ncy][ncx]` flags of the base level's chunks that hold data. */
  chunkTouched: Uint8Array | null;
  /** y, x size of every level of the session. */
  shapes: ReadonlyArray<readonly [number, number]>;
  base: number;
  /** Last level this pass encodes (≤ base + 3). */
  last: number;
  /** Buffer of level `last + 1` (64 × y × x) to receive the region's reduction, or null. */
  next: Uint16Array | null;
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
}

export type EncodeFn = (chunk: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** A view of one level inside a region: element (z, y, x) at `base + z·ps + (y − y0)·rs + (x − x0)`. */
interface View {
  data: Uint16Array;
  off: number;
  ps: number;
  rs: number;
  y0: number;
  x0: number;
  /** Extent of the region at this level, clipped to the level. */
  h: number;
  w: number;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Zeroes the planes of chunk columns that never received data (their buffer bytes are stale). */
function clearUntouched(src: Uint16Array, Y: number, X: number, touched: Uint8Array, cy0: number, cy1: number, cx0: number, cx1: number): void {
  const ncy = ceilDiv(Y, EDGE);
  const ncx = ceilDiv(X, EDGE);
  for (let z = 0; z < EDGE; z++) {
    for (let cy = cy0; cy < cy1; cy++) {
      for (let cx = cx0; cx < cx1; cx++) {
        if (touched[(z * ncy + cy) * ncx + cx]) continue;
        const xs = cx * EDGE;
        const xe = Math.min(xs + EDGE, X);
        const ye = Math.min((cy + 1) * EDGE, Y);
        for (let y = cy * EDGE; y < ye; y++) {
          const o = (z * Y + y) * X;
          src.fill(0, o + xs, o + xe);
        }
      }
    }
  }
}

/** Copies chunk (cy, cx) of a view into `out` (64³, C order, padded with 0); returns whether any element is non-zero. */
function gather(v: View, Y: number, X: number, cy: number, cx: number, out: Uint16Array): boolean {
  // Whole 64-voxel rows at even offsets: copy as 32-bit words (integers, so bit-exact).
  if (wordAligned(v, X, cy, cx, out)) {
    gatherRow(v, Y, cy, [cx], [out]);
    return anyNonZero(out);
  }
  const ys = cy * EDGE;
  const xs = cx * EDGE;
  const ny = Math.min(EDGE, Y - ys);
  const nx = Math.min(EDGE, X - xs);
  if (ny < EDGE || nx < EDGE) out.fill(0);
  let any = 0;
  const data = v.data;
  const rowBase = v.off + (ys - v.y0) * v.rs + (xs - v.x0);
  for (let z = 0; z < EDGE; z++) {
    for (let y = 0; y < ny; y++) {
      const s = rowBase + z * v.ps + y * v.rs;
      const d = (z * EDGE + y) * EDGE;
      const row = data.subarray(s, s + nx);
      out.set(row, d);
      if (any === 0) for (let i = 0; i < nx; i++) any |= row[i]!;
    }
  }
  return any !== 0;
}

/** Whether chunk (cy, cx) of a view can be copied as whole 32-bit words (full-width rows at even offsets). */
function wordAligned(v: View, X: number, cy: number, cx: number, out: Uint16Array): boolean {
  const xs = cx * EDGE;
  const rowBase = v.off + (cy * EDGE - v.y0) * v.rs + (xs - v.x0);
  return X - xs >= EDGE && (rowBase & 1) === 0 && (v.ps & 1) === 0 && (v.rs & 1) === 0 && (v.data.byteOffset & 3) === 0 && (out.byteOffset & 3) === 0;
}

/**
 * Copies several word-aligned chunks of one chunk row (`cxs`, each passing `wordAligned`) into
 * `outs` at once: each source row is read across all of them, so the slab's planes are walked
 * once per row band instead of once per chunk (a 64-voxel row is 128 bytes; a plane row of
 * the slab is a page or more apart from the next). Returns nothing; callers test for data.
 */
function gatherRow(v: View, Y: number, cy: number, cxs: readonly number[], outs: readonly Uint16Array[]): void {
  const ys = cy * EDGE;
  const ny = Math.min(EDGE, Y - ys);
  const n = cxs.length;
  const data = v.data;
  const src32 = new Int32Array(data.buffer, data.byteOffset, data.length >> 1);
  const dsts: Int32Array[] = [];
  const offs: number[] = [];
  for (let k = 0; k < n; k++) {
    const out = outs[k]!;
    if (ny < EDGE) out.fill(0);
    dsts.push(new Int32Array(out.buffer, out.byteOffset, out.length >> 1));
    offs.push((v.off + (ys - v.y0) * v.rs + (cxs[k]! * EDGE - v.x0)) >> 1);
  }
  const ps32 = v.ps >> 1;
  const rs32 = v.rs >> 1;
  for (let z = 0; z < EDGE; z++) {
    for (let y = 0; y < ny; y++) {
      const row = z * ps32 + y * rs32;
      const d = (z * EDGE + y) * (EDGE >> 1);
      for (let k = 0; k < n; k++) {
        const dst32 = dsts[k]!;
        const s = offs[k]! + row;
        for (let i = 0; i < 32; i += 8) {
          dst32[d + i] = src32[s + i]!;
          dst32[d + i + 1] = src32[s + i + 1]!;
          dst32[d + i + 2] = src32[s + i + 2]!;
          dst32[d + i + 3] = src32[s + i + 3]!;
          dst32[d + i + 4] = src32[s + i + 4]!;
          dst32[d + i + 5] = src32[s + i + 5]!;
          dst32[d + i + 6] = src32[s + i + 6]!;
          dst32[d + i + 7] = src32[s + i + 7]!;
        }
      }
    }
  }
}

/** Whether a chunk buffer holds any non-zero element. */
function anyNonZero(out: Uint16Array): boolean {
  for (let i = 0; i < out.length; i++) if (out[i] !== 0) return true;
  return false;
}

/** 2×2 reduction of a view into a fresh region buffer (or into `into`, a full level buffer). */
function reduce(v: View, kind: ReductionKind, into: { data: Uint16Array; Y: number; X: number } | null, alloc: (n: number) => Uint16Array): View {
  const h = ceilDiv(v.h, 2);
  const w = ceilDiv(v.w, 2);
  const y0 = v.y0 >> 1;
  const x0 = v.x0 >> 1;
  const out: View = into
    ? { data: into.data, off: y0 * into.X + x0, ps: into.Y * into.X, rs: into.X, y0, x0, h, w }
    : { data: alloc(EDGE * h * w), off: 0, ps: h * w, rs: w, y0, x0, h, w };
  const src = v.data;
  const dst = out.data;
  const src32 = LITTLE_ENDIAN && (src.byteOffset & 3) === 0 ? new Uint32Array(src.buffer, src.byteOffset, src.length >> 1) : null;
  const fullW = v.w >> 1;
  for (let z = 0; z < EDGE; z++) {
    for (let oy = 0; oy < h; oy++) {
      const r0 = v.off + z * v.ps + 2 * oy * v.rs;
      const twoRows = 2 * oy + 1 < v.h;
      const r1 = twoRows ? r0 + v.rs : r0;
      const d = out.off + z * out.ps + oy * out.rs;
      if (kind === 'mean') {
        if (twoRows && src32 && (r0 & 1) === 0 && (r1 & 1) === 0) {
          // Two voxels per 32-bit read (little-endian: the even voxel is the low half).
          const a0 = r0 >> 1;
          const b0 = r1 >> 1;
          for (let ox = 0; ox < fullW; ox++) {
            const a = src32[a0 + ox]!;
            const b = src32[b0 + ox]!;
            dst[d + ox] = ((a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) + 2) >> 2;
          }
          if (fullW < w) {
            const i = 2 * fullW;
            dst[d + fullW] = (src[r0 + i]! + src[r1 + i]! + 1) >> 1;
          }
        } else if (twoRows) {
          for (let ox = 0; ox < fullW; ox++) {
            const i = 2 * ox;
            dst[d + ox] = (src[r0 + i]! + src[r0 + i + 1]! + src[r1 + i]! + src[r1 + i + 1]! + 2) >> 2;
          }
          if (fullW < w) {
            const i = 2 * fullW;
            dst[d + fullW] = (src[r0 + i]! + src[r1 + i]! + 1) >> 1;
          }
        } else {
          for (let ox = 0; ox < fullW; ox++) {
            const i = 2 * ox;
            dst[d + ox] = (src[r0 + i]! + src[r0 + i + 1]! + 1) >> 1;
          }
          if (fullW < w) dst[d + fullW] = src[r0 + 2 * fullW]!;
        }
      } else {
        for (let ox = 0; ox < w; ox++) {
          const i = 2 * ox;
          let m = src[r0 + i]!;
          const hasX = i + 1 < v.w;
          if (hasX && src[r0 + i + 1]! > m) m = src[r0 + i + 1]!;
          if (src[r1 + i]! > m) m = src[r1 + i]!;
          if (hasX && src[r1 + i + 1]! > m) m = src[r1 + i + 1]!;
          dst[d + ox] = m;
        }
      }
    }
  }
  return out;
}

/**
 * Reduced-level region buffers kept with each scratch buffer: callers that share a scratch run
 * one region at a time, and fresh buffers (about 10 MiB per region) cost page faults and GC.
 */
const regionBuffers = new WeakMap<Uint16Array, Uint16Array[]>();

/** Encodes the region's chunks at levels `base … last` and fills `next` (see `RegionTask`). */
export async function processRegion(task: RegionTask, encode: EncodeFn, scratch: Uint16Array = new Uint16Array(EDGE ** 3)): Promise<RegionResult> {
  const [Y, X] = task.shapes[task.base]!;
  const ncy = ceilDiv(Y, EDGE);
  const ncx = ceilDiv(X, EDGE);
  const cy0 = task.ry * REGION_CHUNKS;
  const cx0 = task.rx * REGION_CHUNKS;
  const cy1 = Math.min(cy0 + REGION_CHUNKS, ncy);
  const cx1 = Math.min(cx0 + REGION_CHUNKS, ncx);

  // Which base chunks hold data.
  let touched = new Uint8Array((cy1 - cy0) * (cx1 - cx0));
  let tw = cx1 - cx0;
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
  if (task.planeTouched) clearUntouched(task.src, Y, X, task.planeTouched, cy0, cy1, cx0, cx1);

  const y0 = cy0 * EDGE;
  const x0 = cx0 * EDGE;
  let view: View = { data: task.src, off: y0 * X + x0, ps: Y * X, rs: X, y0, x0, h: Math.min(Y, cy1 * EDGE) - y0, w: Math.min(X, cx1 * EDGE) - x0 };
  const chunks: EncodedChunk[] = [];
  const nextTouched: number[] = [];
  let rawBytes = 0;
  let lcy0 = cy0;
  let lcx0 = cx0;
  // The scratch holds one chunk or, when large enough, a row of a region's chunks (`SCRATCH_LENGTH`).
  const nslots = Math.max(1, Math.min(REGION_CHUNKS, Math.floor(scratch.length / EDGE ** 3)));
  const slots: Uint16Array[] = [];
  const slotBytes: Uint8Array[] = [];
  for (let k = 0; k < nslots; k++) {
    const slot = scratch.subarray(k * EDGE ** 3, (k + 1) * EDGE ** 3);
    slots.push(slot);
    slotBytes.push(new Uint8Array(slot.buffer, slot.byteOffset, slot.byteLength));
  }
  let reductionBuffers = regionBuffers.get(scratch);
  if (!reductionBuffers) regionBuffers.set(scratch, (reductionBuffers = []));
  const group: number[] = [];
  const fast: number[] = [];
  const fastOuts: Uint16Array[] = [];
  for (let level = task.base; ; level++) {
    const [LY, LX] = task.shapes[level]!;
    const th = touched.length / tw;
    for (let i = 0; i < th; i++) {
      const cy = lcy0 + i;
      for (let j0 = 0; j0 < tw; ) {
        // The next touched chunks of this row, as many as there are slots.
        group.length = 0;
        for (; j0 < tw && group.length < nslots; j0++) if (touched[i * tw + j0]) group.push(lcx0 + j0);
        if (group.length === 0) continue;
        fast.length = 0;
        fastOuts.length = 0;
        if (nslots > 1) {
          for (let k = 0; k < group.length; k++) {
            if (wordAligned(view, LX, cy, group[k]!, slots[k]!)) {
              fast.push(group[k]!);
              fastOuts.push(slots[k]!);
            }
          }
          if (fast.length > 0) gatherRow(view, LY, cy, fast, fastOuts);
        }
        for (let k = 0, f = 0; k < group.length; k++) {
          const cx = group[k]!;
          let any: boolean;
          if (f < fast.length && fast[f] === cx) {
            f++;
            any = anyNonZero(slots[k]!);
          } else {
            any = gather(view, LY, LX, cy, cx, slots[k]!);
          }
          rawBytes += EDGE ** 3 * 2;
          chunks.push({ level, cy, cx, bytes: any ? await encode(slotBytes[k]!) : null });
        }
      }
    }
    if (level === task.last && !task.next) break;
    // Reduce to the next level; chunk (i, j) there is touched when any of its 2×2 sources is.
    const nh = ceilDiv(th, 2);
    const nw = ceilDiv(tw, 2);
    const nt = new Uint8Array(nh * nw);
    for (let i = 0; i < th; i++) for (let j = 0; j < tw; j++) if (touched[i * tw + j]) nt[(i >> 1) * nw + (j >> 1)] = 1;
    const [NY, NX] = task.shapes[level + 1]!;
    const isNext = level === task.last;
    const depth = level - task.base;
    view = reduce(view, task.reduction, isNext ? { data: task.next!, Y: NY, X: NX } : null, (n) => {
      // Every element of a region buffer is written by `reduce` before it is read: reuse them.
      let buf = reductionBuffers[depth];
      if (!buf || buf.length < n) reductionBuffers[depth] = buf = new Uint16Array(n);
      return buf.subarray(0, n);
    });
    touched = nt;
    tw = nw;
    lcy0 >>= 1;
    lcx0 >>= 1;
    if (isNext) {
      for (let i = 0; i < nh; i++) for (let j = 0; j < nw; j++) if (nt[i * nw + j]) nextTouched.push(lcy0 + i, lcx0 + j);
      break;
    }
  }
  return { chunks, nextTouched, rawBytes };
}
