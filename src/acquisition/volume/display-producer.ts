/**
 * The live display's producer side (pure; runs in the bridge and in the browser-only
 * worker, beside the session writer, and sees every frame). It keeps, per channel:
 *
 * - the display volume: every plane of one pyramid level (`displayLevel`), built exactly as
 *   the writer builds that level — frames accumulate into level-0 planes with the session's
 *   accumulation mode (background 0), and each touched, 2^level-aligned window is reduced
 *   level by level with the session's reduction — so what is shown equals what is saved;
 * - the newest plane: frames placed at the newest z since that z became newest, at level 0,
 *   reduced on demand to the level a viewer asks for (`planeEvent`).
 *
 * Level-0 planes are kept within a byte budget (least recently used out; a channel's newest
 * plane stays). A frame that lands on a plane whose level-0 data were evicted is merged at the
 * display level instead (exact for `maximum` accumulation with `max` reduction, close
 * otherwise) and counted in `stats().inexactFrames`.
 *
 * @example
 * const producer = new DisplayProducer({ session: 'stack 1', levelShapes, displayLevel: displayLevelFor(levelShapes) });
 * producer.putFrame({ channel: 0, z: 3, y: 0, x: 0, width, height, pixels, frameNumber: 7, acquiredAtMs: performance.now() });
 * for (const e of producer.takeVolumeEvents()) send(e);   // coalesced z-ranges per channel
 * const plane = producer.planeEvent(0, 1);                 // newest plane of channel 0 at level 1
 */
import type { PlaneEvent, VolumeEvent } from '../live-backend.ts';
import { DisplayError, checkPyramid } from './levels.ts';
import { reducePlane, reduceWindow } from './reduce.ts';
import type { ReductionKind } from './reduce.ts';

/** The session's accumulation mode (`max` is accepted for `maximum`). */
export type DisplayAccumulation = 'maximum' | 'max' | 'latest' | 'average' | 'additive';

export interface DisplayProducerOptions {
  session: string;
  /** `[c, z, y, x]` per level, finest first (the writer's levels). */
  levelShapes: readonly (readonly number[])[];
  /** The level the display volume holds. */
  displayLevel: number;
  /** Default `maximum` (the writer's default). */
  accumulation?: DisplayAccumulation;
  /** The session's pyramid reduction; default `mean` (the layout's default). */
  reduction?: ReductionKind;
  /** Bytes of level-0 planes kept for exact accumulation (default 256 MiB). */
  level0BudgetBytes?: number;
}

/** One frame as placed by the writer: `y`, `x` = level-0 canvas voxel of pixel (0, 0). */
export interface DisplayFrame {
  channel: number;
  z: number;
  y: number;
  x: number;
  width: number;
  height: number;
  pixels: Uint16Array;
  frameNumber: number;
  acquiredAtMs: number;
}

export interface DisplayProducerStats {
  framesPlaced: number;
  /** Frames with a wrong size, channel or z, or wholly outside the canvas. */
  framesIgnored: number;
  /** Frames merged at the display level because their plane's level-0 data had been evicted. */
  inexactFrames: number;
  level0Bytes: number;
  displayBytes: number;
}

type Mode = 'maximum' | 'latest' | 'average' | 'additive';

/** Edge of the blocks whose first data are copied rather than combined. */
const BLOCK = 64;

/** An accumulating level-0 plane (sum/count only for `average`). */
interface Acc {
  data: Uint16Array;
  /** Per 64 × 64 block: 1 once any frame placed data in it (until then it is all zeros). */
  touched: Uint8Array;
  sum: Uint32Array | null;
  count: Uint16Array | null;
  bytes: number;
  /** Created after this plane's earlier level-0 data were evicted: holds only later frames. */
  partial: boolean;
}

interface Newest {
  z: number;
  /** Grows with every frame placed into this newest plane. */
  stamp: number;
  acc: Acc;
  /** `acc` is the cached level-0 plane itself (it held nothing before this z became newest). */
  shared: boolean;
  frameNumber: number;
  acquiredAtMs: number;
}

interface ChannelState {
  display: (Uint16Array | null)[];
  dirty: Uint8Array;
  touched: Uint8Array;
  newest: Newest | null;
  /** Reductions of the newest plane by level, while its stamp holds. */
  reduced: Map<number, { newest: Newest; stamp: number; data: Uint16Array; height: number; width: number }>;
}

export class DisplayProducer {
  readonly session: string;
  readonly levelShapes: readonly (readonly number[])[];
  readonly displayLevel: number;
  readonly accumulation: Mode;
  readonly reduction: ReductionKind;
  /** Grows by one for every frame placed. */
  version = 0;

  private readonly C: number;
  private readonly Z: number;
  private readonly Y: number;
  private readonly X: number;
  private readonly DY: number;
  private readonly DX: number;
  private readonly budget: number;
  private readonly channels: ChannelState[];
  /** Level-0 planes by `c * Z + z`, least recently used first. */
  private readonly level0 = new Map<number, Acc>();
  private level0Bytes = 0;
  /** Intermediate reduction buffers, reused frame to frame. */
  private readonly scratch: Uint16Array[] = [];
  private placed = 0;
  private ignored = 0;
  private inexact = 0;

  constructor(options: DisplayProducerOptions) {
    const [C, Z] = checkPyramid(options.levelShapes);
    const L = options.levelShapes.length;
    if (!Number.isInteger(options.displayLevel) || options.displayLevel < 0 || options.displayLevel >= L) {
      throw new DisplayError('bad-level', `Display level ${options.displayLevel} does not exist; the session has levels 0–${L - 1}.`);
    }
    const acc = options.accumulation ?? 'maximum';
    if (!['maximum', 'max', 'latest', 'average', 'additive'].includes(acc)) {
      throw new DisplayError('bad-option', `Accumulation ${JSON.stringify(acc)} is not "maximum", "latest", "average" or "additive".`);
    }
    const red = options.reduction ?? 'mean';
    if (red !== 'mean' && red !== 'max') throw new DisplayError('bad-option', `Reduction ${JSON.stringify(red)} is not "mean" or "max".`);
    this.session = options.session;
    this.levelShapes = options.levelShapes.map((s) => [...s]);
    this.displayLevel = options.displayLevel;
    this.accumulation = acc === 'max' ? 'maximum' : acc;
    this.reduction = red;
    this.budget = options.level0BudgetBytes ?? 256 * 2 ** 20;
    this.C = C;
    this.Z = Z;
    [, , this.Y, this.X] = options.levelShapes[0] as [number, number, number, number];
    [, , this.DY, this.DX] = options.levelShapes[this.displayLevel] as [number, number, number, number];
    this.channels = Array.from({ length: C }, () => ({
      display: new Array<Uint16Array | null>(Z).fill(null),
      dirty: new Uint8Array(Z),
      touched: new Uint8Array(Z),
      newest: null,
      reduced: new Map(),
    }));
  }

  stats(): DisplayProducerStats {
    let displayBytes = 0;
    for (const ch of this.channels) for (const p of ch.display) if (p) displayBytes += p.byteLength;
    return { framesPlaced: this.placed, framesIgnored: this.ignored, inexactFrames: this.inexact, level0Bytes: this.level0Bytes, displayBytes };
  }

  /**
   * Places one frame (its pixels are copied: the caller keeps its buffer); returns false, and
   * counts it, when it is malformed or wholly outside the canvas (parts outside are clipped).
   * `newest: false` places it without making it the channel's newest plane: for a frame that
   * arrived before one already placed (a caller that placed the newest frame first).
   */
  putFrame(f: DisplayFrame, options: { newest?: boolean } = {}): boolean {
    const { C, Z, Y, X } = this;
    const ok =
      Number.isInteger(f.channel) && f.channel >= 0 && f.channel < C &&
      Number.isInteger(f.z) && f.z >= 0 && f.z < Z &&
      Number.isInteger(f.y) && Number.isInteger(f.x) &&
      Number.isInteger(f.width) && Number.isInteger(f.height) && f.width > 0 && f.height > 0 &&
      f.pixels.length === f.width * f.height;
    const ya = Math.max(0, f.y);
    const yb = Math.min(Y, f.y + f.height);
    const xa = Math.max(0, f.x);
    const xb = Math.min(X, f.x + f.width);
    if (!ok || ya >= yb || xa >= xb) {
      this.ignored++;
      return false;
    }
    const ch = this.channels[f.channel]!;
    const key = f.channel * Z + f.z;
    let plane = this.level0.get(key);
    let fresh = false;
    if (plane) {
      this.level0.delete(key);
      this.level0.set(key, plane);
    } else {
      plane = this.newAcc(ch.touched[f.z] === 1);
      fresh = !plane.partial;
      this.level0.set(key, plane);
      this.level0Bytes += plane.bytes;
    }
    const asNewest = options.newest ?? true;
    if (asNewest && (!ch.newest || ch.newest.z !== f.z)) {
      ch.newest = fresh
        ? { z: f.z, stamp: 0, acc: plane, shared: true, frameNumber: f.frameNumber, acquiredAtMs: f.acquiredAtMs }
        : { z: f.z, stamp: 0, acc: this.newAcc(false), shared: false, frameNumber: f.frameNumber, acquiredAtMs: f.acquiredAtMs };
    }
    const newest = asNewest ? ch.newest! : null;
    if (newest) {
      newest.stamp++;
      newest.frameNumber = f.frameNumber;
      newest.acquiredAtMs = f.acquiredAtMs;
    }

    this.place(plane, f, ya, yb, xa, xb);
    if (newest && !newest.shared) this.place(newest.acc, f, ya, yb, xa, xb);

    // The display window: whole 2^level blocks around the frame.
    const B = 2 ** this.displayLevel;
    const wy0 = Math.floor(ya / B) * B;
    const wx0 = Math.floor(xa / B) * B;
    const wy1 = Math.min(Y, Math.ceil(yb / B) * B);
    const wx1 = Math.min(X, Math.ceil(xb / B) * B);
    let disp = ch.display[f.z];
    if (!disp) disp = ch.display[f.z] = new Uint16Array(this.DY * this.DX);
    if (plane.partial) {
      this.inexact++;
      this.mergeAtDisplay(plane.data, wy0, wx0, wy1 - wy0, wx1 - wx0, disp);
    } else {
      reduceWindow(plane.data, X, wy0, wx0, wy1 - wy0, wx1 - wx0, this.displayLevel, this.reduction, disp, this.DX, this.scratch);
    }
    ch.touched[f.z] = 1;
    ch.dirty[f.z] = 1;
    this.placed++;
    this.version++;
    this.evict();
    return true;
  }

  /**
   * The display-volume z-ranges that changed since the last call, one event per contiguous
   * run of planes per channel (a fresh copy of those planes each).
   */
  takeVolumeEvents(): VolumeEvent[] {
    const out: VolumeEvent[] = [];
    const n = this.DY * this.DX;
    for (let c = 0; c < this.C; c++) {
      const ch = this.channels[c]!;
      let z = 0;
      while (z < this.Z) {
        if (!ch.dirty[z]) {
          z++;
          continue;
        }
        const zStart = z;
        while (z < this.Z && ch.dirty[z]) z++;
        const data = new Uint16Array((z - zStart) * n);
        for (let k = zStart; k < z; k++) {
          const p = ch.display[k];
          if (p) data.set(p, (k - zStart) * n);
          ch.dirty[k] = 0;
        }
        out.push({ type: 'volume', session: this.session, channel: c, level: this.displayLevel, zStart, zEnd: z, width: this.DX, height: this.DY, data, version: this.version });
      }
    }
    return out;
  }

  /** Whether any display plane changed since the last `takeVolumeEvents`. */
  hasVolumeChanges(): boolean {
    return this.channels.some((ch) => ch.dirty.some((d) => d === 1));
  }

  /**
   * The newest plane of `channel` at `level` (a fresh pixel array, the caller's to keep or
   * transfer, over that level's whole yx extent), or null before any frame of the channel or for
   * a level that does not exist. The reduction is kept until the next frame of the channel.
   */
  planeEvent(channel: number, level: number): PlaneEvent | null {
    const ch = this.channels[channel];
    const shape = this.levelShapes[level];
    if (!ch || !ch.newest || !shape || !Number.isInteger(level)) return null;
    const nw = ch.newest;
    let r = ch.reduced.get(level);
    if (level > 0 && (!r || r.newest !== nw || r.stamp !== nw.stamp)) {
      const p = reducePlane(nw.acc.data, this.Y, this.X, level, this.reduction);
      r = { newest: nw, stamp: nw.stamp, ...p };
      ch.reduced.set(level, r);
    }
    const pixels = r ? r.data.slice() : nw.acc.data.slice();
    return {
      type: 'plane',
      session: this.session,
      channel,
      z: ch.newest.z,
      level,
      width: r ? r.width : this.X,
      height: r ? r.height : this.Y,
      pixels,
      version: this.version,
      acquiredAtMs: ch.newest.acquiredAtMs,
      frameNumber: ch.newest.frameNumber,
    };
  }

  /** The z of the newest plane of `channel`, or null before its first frame. */
  newestZ(channel: number): number | null {
    return this.channels[channel]?.newest?.z ?? null;
  }

  /** A copy of display plane `z` of `channel` (zeros where nothing landed yet). */
  displayPlane(channel: number, z: number): Uint16Array {
    const p = this.channels[channel]?.display[z];
    return p ? p.slice() : new Uint16Array(this.DY * this.DX);
  }

  private newAcc(partial: boolean): Acc {
    const n = this.Y * this.X;
    const average = this.accumulation === 'average';
    return {
      data: new Uint16Array(n),
      touched: new Uint8Array(Math.ceil(this.Y / BLOCK) * Math.ceil(this.X / BLOCK)),
      sum: average ? new Uint32Array(n) : null,
      count: average ? new Uint16Array(n) : null,
      bytes: n * (average ? 8 : 2),
      partial,
    };
  }

  /**
   * Accumulates the frame's clipped rows into a level-0 plane, voxel by voxel as the writer
   * does. Blocks that hold no data yet are all zeros, where every mode gives the frame's own
   * values: those runs are copied.
   */
  private place(p: Acc, f: DisplayFrame, ya: number, yb: number, xa: number, xb: number): void {
    const X = this.X;
    const nbx = Math.ceil(X / BLOCK);
    const px = f.pixels;
    const w = f.width;
    const bx0 = Math.floor(xa / BLOCK);
    const bx1 = Math.floor((xb - 1) / BLOCK);
    for (let by = Math.floor(ya / BLOCK); by <= Math.floor((yb - 1) / BLOCK); by++) {
      const ys = Math.max(ya, by * BLOCK);
      const ye = Math.min(yb, (by + 1) * BLOCK);
      // Runs of blocks along x that are all fresh or all touched.
      let bx = bx0;
      while (bx <= bx1) {
        const fresh = p.touched[by * nbx + bx] === 0;
        let end = bx;
        while (end + 1 <= bx1 && (p.touched[by * nbx + end + 1] === 0) === fresh) end++;
        const xs = Math.max(xa, bx * BLOCK);
        const xe = Math.min(xb, (end + 1) * BLOCK);
        for (let y = ys; y < ye; y++) this.placeRow(p, px, (y - f.y) * w + (xs - f.x), y * X + xs, xe - xs, fresh);
        bx = end + 1;
      }
      for (let b = bx0; b <= bx1; b++) p.touched[by * nbx + b] = 1;
    }
  }

  private placeRow(p: Acc, px: Uint16Array, so: number, d: number, n: number, fresh: boolean): void {
    const data = p.data;
    const mode = this.accumulation;
    if (fresh || mode === 'latest') {
      const row = px.subarray(so, so + n);
      data.set(row, d);
      // Only `average` keeps sums, and it comes here only for fresh blocks.
      if (p.sum && p.count) {
        p.sum.set(row, d);
        p.count.fill(1, d, d + n);
      }
    } else if (mode === 'maximum') {
      for (let i = 0; i < n; i++) {
        const v = px[so + i]!;
        if (v > data[d + i]!) data[d + i] = v;
      }
    } else if (mode === 'additive') {
      for (let i = 0; i < n; i++) {
        const v = data[d + i]! + px[so + i]!;
        data[d + i] = v > 65535 ? 65535 : v;
      }
    } else {
      const sum = p.sum!;
      const cnt = p.count!;
      for (let i = 0; i < n; i++) {
        const k = d + i;
        const total = sum[k]! + px[so + i]!;
        const m = cnt[k]! + 1;
        sum[k] = total;
        cnt[k] = m;
        data[k] = Math.floor(total / m);
      }
    }
  }

  /** Fallback when earlier level-0 data are gone: combine the window's reduction into the display plane. */
  private mergeAtDisplay(src: Uint16Array, y0: number, x0: number, h: number, w: number, disp: Uint16Array): void {
    const L = this.displayLevel;
    const B = 2 ** L;
    const oh = Math.ceil(h / B);
    const ow = Math.ceil(w / B);
    const tmp = new Uint16Array(oh * ow);
    // Reduce the window into a small plane whose origin is (0, 0).
    reduceWindowTo(src, this.X, y0, x0, h, w, L, this.reduction, tmp, ow);
    const mode = this.accumulation;
    const oy = y0 / B;
    const ox = x0 / B;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const v = tmp[y * ow + x]!;
        if (v === 0) continue;
        const k = (oy + y) * this.DX + ox + x;
        const old = disp[k]!;
        if (mode === 'maximum') disp[k] = v > old ? v : old;
        else if (mode === 'additive') disp[k] = Math.min(65535, old + v);
        else if (mode === 'average' && old !== 0) disp[k] = (old + v + 1) >> 1;
        else disp[k] = v;
      }
    }
  }

  /** Drops least recently used level-0 planes over the budget, never a channel's newest. */
  private evict(): void {
    if (this.level0Bytes <= this.budget) return;
    const pinned = new Set<Acc>();
    for (const ch of this.channels) if (ch.newest?.shared) pinned.add(ch.newest.acc);
    for (const [key, acc] of this.level0) {
      if (this.level0Bytes <= this.budget) break;
      if (pinned.has(acc)) continue;
      this.level0.delete(key);
      this.level0Bytes -= acc.bytes;
    }
  }
}

/** `reduceWindow` into a destination whose origin is the window's own origin. */
function reduceWindowTo(src: Uint16Array, srcWidth: number, y0: number, x0: number, h: number, w: number, times: number, kind: ReductionKind, dst: Uint16Array, dstWidth: number): void {
  if (times === 0) {
    for (let y = 0; y < h; y++) dst.set(src.subarray((y0 + y) * srcWidth + x0, (y0 + y) * srcWidth + x0 + w), y * dstWidth);
    return;
  }
  const window = new Uint16Array(h * w);
  for (let y = 0; y < h; y++) window.set(src.subarray((y0 + y) * srcWidth + x0, (y0 + y) * srcWidth + x0 + w), y * w);
  reduceWindow(window, w, 0, 0, h, w, times, kind, dst, dstWidth);
}
