/**
 * Frame synthesis with caching (pure). A frame is described by what the camera sees
 * (stage position, ROI, pixel size, illumination); its clean plane (offset + signal, as
 * uint16) is rendered once and cached by that description within a byte budget, and
 * each frame adds fresh camera noise into a pooled buffer.
 *
 * By default every frame `next` returns shows what the camera sees at its request, however
 * long that takes: a busy machine slows the camera down instead of sending wrong pixels.
 * With `replayWhenBehind` (throughput benchmarks, where the rate matters more than the
 * pixels), when the acquisition clock runs ahead of what synthesis can sustain, frames are
 * made by a background job in short slices and the clock replays the last noisy buffer until
 * a new one is done: those frames carry another request's pixels. "Can sustain" looks at the
 * cheapest of the last few frames, so one stall (a garbage collection, a busy CPU, the first
 * unoptimised frames) does not start replays.
 *
 * @example
 * const src = new FrameSource(createPhantom(1));
 * const f = src.frame({ xMm: 8, yMm: 14, zMm: 18.6, width: 128, height: 128, pixelSizeUm: 1.0475,
 *   side: 'left', sources: [{ channel: 0, scale: 1 }] });
 * f.payload.bytes; // 128 × 128 × 2 bytes, little-endian
 * f.payload.release();
 */

import { CameraModel, displayRange } from './camera.ts';
import { PayloadPool, type PooledPayload } from './payload-pool.ts';
import type { Phantom } from './phantom.ts';
import { Rng, deriveSeed } from './random.ts';

export interface FrameRequest {
  xMm: number;
  yMm: number;
  zMm: number;
  width: number;
  height: number;
  pixelSizeUm: number;
  side: 'left' | 'right';
  /** What is illuminated: channel ids (see PlaneView) with a brightness factor each (power/10 % × exposure/10 ms). Empty = dark frame. */
  sources: ReadonlyArray<{ channel: number; scale: number }>;
}

export interface SynthFrame {
  /** One reference belongs to the caller. */
  payload: PooledPayload;
  scaleMin: number;
  scaleMax: number;
  replayed: boolean;
}

export interface FrameSourceStats {
  fresh: number;
  replayed: number;
  planeRenders: number;
  planeCacheHits: number;
  /** Exponential mean of the time for one fresh frame (render when needed, and noise), ms. */
  synthMsMean: number;
  /** Exponential mean of a clean-plane render, ms. */
  renderMsMean: number;
  /** Exponential mean of adding noise to one frame, ms. */
  noiseMsMean: number;
}

/** A frame being made in the background, a slice at a time. */
interface Job {
  req: FrameRequest;
  plane: CleanPlane | null;
  payload: PooledPayload | null;
  /** Rows of noise done. */
  row: number;
  busyMs: number;
  noiseMs: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/** Background slices last about this long, ms. */
const SLICE_MS = 2;
/** Pause between background frames, as a fraction of the last frame's busy time (caps the CPU share). */
const JOB_PAUSE = 1.5;
/** How many recent timings the cost estimate takes its minimum over. */
const RECENT = 3;
/** Fresh frames always made on the spot first (the first one runs unoptimised code). */
const WARMUP_FRAMES = 2;

interface CleanPlane {
  base: Uint16Array;
  min: number;
  max: number;
}

const now = (): number => performance.now();

export class FrameSource {
  readonly phantom: Phantom;
  readonly camera: CameraModel;
  readonly pool = new PayloadPool();
  readonly stats: FrameSourceStats = {
    fresh: 0,
    replayed: 0,
    planeRenders: 0,
    planeCacheHits: 0,
    synthMsMean: 0,
    renderMsMean: 0,
    noiseMsMean: 0,
  };
  private readonly cache = new Map<string, CleanPlane>();
  private cacheBytes = 0;
  private readonly cacheBudget: number;
  private readonly rng: Rng;
  private scratch: Float32Array | null = null;
  private accum: Float32Array | null = null;
  private last: SynthFrame | null = null;
  private spare: Uint16Array | null = null;
  private job: Job | null = null;
  private ready: SynthFrame | null = null;
  private lastJobBusyMs = 0;
  /** The last few clean-plane render and noise timings, ms (newest last). */
  private readonly recentRenderMs: number[] = [];
  private readonly recentNoiseMs: number[] = [];

  /** Whether `next` may replay frames to keep the clock's rate (see the module comment). */
  readonly replayWhenBehind: boolean;

  constructor(phantom: Phantom, options: { seed?: number; planeCacheBytes?: number; camera?: CameraModel; replayWhenBehind?: boolean } = {}) {
    this.phantom = phantom;
    this.camera = options.camera ?? new CameraModel();
    this.replayWhenBehind = options.replayWhenBehind ?? false;
    this.cacheBudget = options.planeCacheBytes ?? 256 * 1024 * 1024;
    this.rng = new Rng(deriveSeed(options.seed ?? phantom.seed, 'frame-noise'));
  }

  /**
   * Expected wall time of a fresh frame for `req`, ms (render only when its clean plane is
   * not cached): the cheapest of the last few timings of each part, so that only a lasting
   * slowdown, not a single stall, counts.
   */
  expectedCostMs(req: FrameRequest): number {
    return cheapest(this.recentNoiseMs) + (this.cache.has(this.keyOf(req)) ? 0 : cheapest(this.recentRenderMs));
  }

  /**
   * The next frame for a camera clock with this interval: made right here for `req`. Only with
   * `replayWhenBehind`, and only when a fresh frame costs more than half an interval (never for
   * the first two frames), frames are made by a background job in slices of about 2 ms (so
   * socket writes keep flowing between them), and each call returns the newest finished frame,
   * or replays the previous one.
   */
  next(req: FrameRequest, intervalMs: number): SynthFrame {
    const bytes = req.width * req.height * 2;
    const last = this.last;
    if (!this.replayWhenBehind || !last || last.payload.bytes.byteLength !== bytes || this.stats.fresh < WARMUP_FRAMES || this.expectedCostMs(req) <= intervalMs * 0.5) {
      this.dropJob();
      return this.frame(req);
    }
    const ready = this.ready;
    if (ready) {
      this.ready = null;
      if (ready.payload.bytes.byteLength === bytes) {
        last.payload.release();
        this.last = { ...ready, payload: ready.payload.retain() };
        this.stats.fresh++;
        this.startJob(req, this.lastJobBusyMs * JOB_PAUSE);
        return ready;
      }
      ready.payload.release();
    }
    this.startJob(req, 0);
    return this.frame(req, true);
  }

  /** A fresh noisy frame, or (with `replay`) the previous frame's buffer again when it has the same size. */
  frame(req: FrameRequest, replay = false): SynthFrame {
    const bytes = req.width * req.height * 2;
    const last = this.last;
    if (replay && last && last.payload.bytes.byteLength === bytes) {
      this.stats.replayed++;
      return { payload: last.payload.retain(), scaleMin: last.scaleMin, scaleMax: last.scaleMax, replayed: true };
    }
    const t0 = now();
    const plane = this.cleanPlane(req);
    const t1 = now();
    const payload = this.pool.acquire(bytes);
    this.camera.addNoise(plane.base, req.width, payload.pixels, this.rng);
    const t2 = now();
    this.stats.fresh++;
    this.stats.noiseMsMean = ema(this.stats.noiseMsMean, t2 - t1, this.stats.fresh);
    remember(this.recentNoiseMs, t2 - t1);
    this.stats.synthMsMean = ema(this.stats.synthMsMean, t2 - t0, this.stats.fresh);
    const frame: SynthFrame = { payload, scaleMin: plane.min, scaleMax: plane.max, replayed: false };
    this.last?.payload.release();
    this.last = { ...frame, payload: payload.retain() };
    return frame;
  }

  /** Drops the cached planes, the replay buffer and any background job. */
  clear(): void {
    this.dropJob();
    this.cache.clear();
    this.cacheBytes = 0;
    this.spare = null;
    this.last?.payload.release();
    this.last = null;
  }

  /** Starts a background job for `req` after `delayMs`. */
  private startJob(req: FrameRequest, delayMs: number): void {
    if (this.job) return;
    const job: Job = { req, plane: null, payload: null, row: 0, busyMs: 0, noiseMs: 0, timer: null };
    this.job = job;
    job.timer = setTimeout(() => this.step(job), delayMs);
  }

  /** One slice of a background job: the clean plane, or about 2 ms of noise rows. */
  private step(job: Job): void {
    if (this.job !== job) return;
    job.timer = null;
    const t0 = now();
    const { width, height } = job.req;
    if (!job.plane) {
      job.plane = this.cleanPlane(job.req);
    } else {
      job.payload ??= this.pool.acquire(width * height * 2);
      const perRow = this.stats.noiseMsMean / height;
      const rows = perRow > 0 ? Math.min(height, Math.max(8, Math.floor(SLICE_MS / perRow))) : 128;
      const end = Math.min(height, job.row + rows);
      this.camera.addNoise(
        job.plane.base.subarray(job.row * width, end * width),
        width,
        job.payload.pixels.subarray(job.row * width, end * width),
        this.rng,
      );
      job.row = end;
      job.noiseMs += now() - t0;
    }
    job.busyMs += now() - t0;
    if (job.row < height) {
      job.timer = setTimeout(() => this.step(job), 0);
      return;
    }
    this.job = null;
    this.lastJobBusyMs = job.busyMs;
    this.stats.synthMsMean = ema(this.stats.synthMsMean, job.busyMs, this.stats.fresh + 1);
    this.stats.noiseMsMean = ema(this.stats.noiseMsMean, job.noiseMs, this.stats.fresh + 1);
    remember(this.recentNoiseMs, job.noiseMs);
    this.ready?.payload.release();
    this.ready = { payload: job.payload!, scaleMin: job.plane.min, scaleMax: job.plane.max, replayed: false };
  }

  private dropJob(): void {
    const job = this.job;
    if (job) {
      if (job.timer) clearTimeout(job.timer);
      job.payload?.release();
      this.job = null;
    }
    this.ready?.payload.release();
    this.ready = null;
  }

  private keyOf(req: FrameRequest): string {
    const src = req.sources.map((s) => `${s.channel}:${s.scale.toFixed(6)}`).join(',');
    return [
      req.xMm.toFixed(6),
      req.yMm.toFixed(6),
      req.zMm.toFixed(7),
      req.width,
      req.height,
      req.pixelSizeUm.toFixed(6),
      req.side,
      src,
    ].join('|');
  }

  private cleanPlane(req: FrameRequest): CleanPlane {
    const key = this.keyOf(req);
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      this.stats.planeCacheHits++;
      return hit;
    }
    const t0 = now();
    const n = req.width * req.height;
    // Reuse the memory of an evicted plane of the same size (no garbage per new plane).
    const spare = this.spare;
    this.spare = null;
    const base = spare && spare.length === n ? spare : new Uint16Array(n);
    if (req.sources.length === 0) {
      base.fill(this.camera.offset);
    } else {
      const view = {
        centerXMm: req.xMm,
        centerYMm: req.yMm,
        zMm: req.zMm,
        width: req.width,
        height: req.height,
        pixelSizeUm: req.pixelSizeUm,
        side: req.side,
      };
      if (req.sources.length === 1) {
        const s = req.sources[0]!;
        this.phantom.renderCounts({ ...view, channel: s.channel }, s.scale, this.camera.offset, this.camera.maxBase, base);
      } else {
        if (!this.scratch || this.scratch.length < n) this.scratch = new Float32Array(n);
        if (!this.accum || this.accum.length < n) this.accum = new Float32Array(n);
        const acc = this.accum.subarray(0, n);
        acc.fill(0);
        for (const s of req.sources) {
          const e = this.phantom.renderPlane({ ...view, channel: s.channel }, this.scratch);
          for (let i = 0; i < n; i++) acc[i] = acc[i]! + e[i]! * s.scale;
        }
        this.camera.toBase(acc, 1, base);
      }
    }
    const { min, max } = displayRange(base);
    const plane: CleanPlane = { base, min, max };
    this.stats.planeRenders++;
    const renderMs = now() - t0;
    this.stats.renderMsMean = ema(this.stats.renderMsMean, renderMs, this.stats.planeRenders);
    remember(this.recentRenderMs, renderMs);
    this.cache.set(key, plane);
    this.cacheBytes += base.byteLength;
    while (this.cacheBytes > this.cacheBudget && this.cache.size > 1) {
      const oldest = this.cache.keys().next().value as string;
      const evicted = this.cache.get(oldest)!;
      this.cacheBytes -= evicted.base.byteLength;
      this.cache.delete(oldest);
      if (evicted !== plane) this.spare = evicted.base;
    }
    return plane;
  }
}

/** An exponential mean that forgets the first (cold, unoptimised) samples quickly. */
function ema(mean: number, sample: number, count: number): number {
  const a = count <= 3 ? 1 : 0.1;
  return mean + a * (sample - mean);
}

/** Appends `sample`, keeping the last RECENT. */
function remember(recent: number[], sample: number): void {
  recent.push(sample);
  if (recent.length > RECENT) recent.shift();
}

/** The smallest of `recent`, 0 when empty. */
function cheapest(recent: readonly number[]): number {
  return recent.length === 0 ? 0 : Math.min(...recent);
}

/** Pixel-wise maximum of `frame` into `acc` (for max-intensity projections). */
export function accumulateMax(acc: Uint16Array, frame: Uint16Array): void {
  const n = Math.min(acc.length, frame.length);
  for (let i = 0; i < n; i++) {
    const v = frame[i]!;
    if (v > acc[i]!) acc[i] = v;
  }
}
