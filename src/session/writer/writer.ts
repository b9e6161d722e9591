/**
 * The streaming session writer (spec §5; pure: no Node built-ins, the encoder and store are
 * handed in). Sessions of `<u2` (uint16), `|u1` (uint8) or `<f4` (float32) take frames of that
 * pixel type (`WriterFrame`; the connector's uint16 `Frame` is one). Frames go through a
 * bounded ingest queue into per-channel z-slab buffers (64 planes × the whole canvas, stored
 * chunk-major so each chunk is encoded straight from the slab, `kernel.ts`), combined by the
 * accumulation mode with one monomorphic kernel per dtype (`accumulate.ts`); for `<f4` the
 * observed data range goes into the omero windows at every flush. A slab is encoded once, when it is complete (every plane
 * the plan sends to it has been placed, the stack moved on, or finalize), level 0 and its
 * pyramid together, off the ingest path; only touched chunks are written and all-fill chunks
 * are skipped; every file lands atomically through the store; `.zattrs` is rewritten (and
 * validated) after each flush, every 5 s while acquiring, and at finalize.
 *
 * Modes (§5.4): `resident` keeps every slab in memory (when the whole volume fits the
 * budget), `streaming` holds at most K slabs per channel and reopens a flushed slab by
 * decoding its level-0 chunks when a later frame lands in it (overlapping tiles).
 *
 * Back-pressure (§5.8): `write(frame)` resolves once the frame is queued and the queue is
 * below its high-water mark (75 %); a frame that finds the queue full waits up to
 * `stallTimeoutMs` (2 s) for room and is then dropped and counted (`queue_full`).
 * `tryWrite` never waits. Frames with a wrong size or metadata count as `invalid_frame`,
 * frames wholly outside the canvas as `out_of_bounds`; a `dropped` event names each.
 *
 * @example
 * const writer = await SessionWriter.create({ store, encoder, codec, layout, info });
 * for await (const frame of run.frames) await writer.write(frame);
 * const summary = await writer.finalize();          // or writer.abort('user abort')
 */
import { TaggedError } from '../../tagged-error.ts';
import type { FrameMeta } from '../../acquisition/connector.ts';
import type { ChunkCodec } from '../codec/types.ts';
import type { Accumulation, DroppedByReason, SessionDtype, SessionStatus, Zyx } from '../metadata/types.ts';
import type { SessionStore } from '../store/types.ts';
import type { SlabEncoder } from './encoder.ts';
import { CHUNK, EDGE, LEVELS_PER_PASS, REGION_CHUNKS, allocSlab, dtypeBytes, slabElements, typedFromBytes } from './kernel.ts';
import type { RegionResult, RegionTask, SlabData } from './kernel.ts';
import { accumulators, averageSum } from './accumulate.ts';
import type { Accumulators } from './accumulate.ts';
import { initialFlamingo, levelZarrayBytes, sessionLayout, validatedZattrs, zgroupBytes } from './metadata.ts';
import type { FlamingoAttrs, InitialFlamingoInfo, SessionLayout, SessionLayoutInit } from './metadata.ts';
import { DEFAULT_ORIENTATION, frameOffset } from './placement.ts';
import type { Orientation } from './placement.ts';
import { jsonEqual } from '../metadata/json.ts';

export type WriterErrorCode = 'closed' | 'over-budget' | 'unsupported' | 'faulted' | 'invalid-metadata';

export class WriterError extends TaggedError<WriterErrorCode> {
  override readonly name = 'WriterError';
}

export type DropReason = keyof DroppedByReason;
export type BufferingMode = 'resident' | 'streaming';

export type WriterEvent =
  | { type: 'dropped'; reason: DropReason; frameNumber: number | null; channel: number | null; plane: number | null; message: string }
  | { type: 'flushed'; channel: number; zChunk: number; chunks: number; bytes: number; frames: number }
  | { type: 'metadata'; status: SessionStatus }
  | { type: 'fault'; message: string };

/** Pixels the writer takes: the session dtype's array (uint16 `<u2`, uint8 `|u1`, float32 `<f4`). */
export type WriterPixels = Uint16Array | Uint8Array | Float32Array;

/** A frame for the writer: the connector's `Frame`, widened to the three session dtypes. */
export interface WriterFrame<M = FrameMeta> {
  /** Row-major, height × width, of the session's dtype. */
  pixels: WriterPixels;
  width: number;
  height: number;
  meta: M;
}

/** Where a frame lands: channel (c index), plane (level-0 z) and the canvas voxel of its pixel (0, 0). */
export interface FramePlacement {
  channel: number;
  z: number;
  y: number;
  x: number;
}

export interface SessionWriterOptions {
  store: SessionStore;
  /** Runs the slab kernel (inline or a worker pool). */
  encoder: SlabEncoder;
  /** Decodes chunks when a flushed slab is reopened (streaming mode). */
  codec: ChunkCodec;
  /** Geometry: name, `[c, z, y, x]` shape, voxel size, world origin, channels, compressor, levels. */
  layout: SessionLayoutInit;
  /** App version, microscope, plan, description, stage reference, frames expected. `now` defaults to the clock. */
  info: Omit<InitialFlamingoInfo, 'now' | 'accumulation'> & { now?: string };
  accumulation?: Accumulation;
  /**
   * Where a frame lands. Default: c = `meta.channelIndex`, z = `meta.zIndex`, y/x from
   * `meta.stage` (tile centre) by the microscope orientation and the layout's world origin.
   */
  place?(frame: WriterFrame): FramePlacement;
  /** Frames that will land in each plane (tiles × repeats); a slab is complete when all have. Default 1. */
  framesPerPlane?: number;
  /** `"auto"` (default): resident when the volume fits the budget, else streaming. */
  mode?: 'auto' | BufferingMode;
  /** K: slabs per channel in streaming mode (default 2). */
  slabsPerChannel?: number;
  /**
   * Streaming mode: allocate the K × C slab buffers when the session is created and touch every
   * page, so the first slabs of the acquisition do not pay the page faults (about 1 ms per 4 MB)
   * while frames arrive. Costs that time and memory up front (default false).
   */
  preallocate?: boolean;
  /** Memory budget in bytes (default 4 GiB). */
  memoryBudgetBytes?: number;
  /** Ingest queue capacity in bytes (default 256 MiB). */
  queueBytes?: number;
  /** How long a frame waits for room in a full queue before it is dropped (default 2000 ms). */
  stallTimeoutMs?: number;
  /** Metadata heartbeat while acquiring (default 5000 ms; 0 disables). */
  heartbeatMs?: number;
  /** Whether `finalize` closes the encoder (default true). */
  closeEncoder?: boolean;
  onEvent?: (event: WriterEvent) => void;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

export interface WriterStats {
  framesReceived: number;
  framesWritten: number;
  framesDropped: number;
  droppedByReason: DroppedByReason;
  framesQueued: number;
  queuedBytes: number;
  openSlabs: number;
  slabsFlushed: number;
  chunksWritten: number;
  /** Encoded bytes written to chunk files. */
  bytesWritten: number;
  /** Raw bytes that went through the encoder (all levels). */
  rawBytesEncoded: number;
  mode: BufferingMode;
}

export interface WriterSummary extends WriterStats {
  status: SessionStatus;
  statusReason: string | null;
  levels: number;
  shape: number[];
  seconds: number;
  /** Validation or write problems met on the way (empty on a clean run). */
  errors: string[];
}

interface Slab {
  key: number;
  c: number;
  zc: number;
  /** Chunk-major (`kernel.ts`): chunk (cy, cx) at `(cy·ncx + cx)·64³`, element (z, y, x) at `z·4096 + y·64 + x`. */
  data: SlabData;
  sum: Uint32Array | Float64Array | null;
  count: Uint16Array | null;
  /** `[64][ncy][ncx]`: plane of a chunk column received data. */
  planeTouched: Uint8Array;
  state: 'filling' | 'flushing';
  flushing: Promise<void> | null;
  placedSinceFlush: number;
  /** Level-0 voxel bounding box of data placed since the last flush: z0, y0, x0, z1, y1, x1 (inclusive). */
  box: number[] | null;
  /** Chunk keys of this slab on disk (all levels). */
  written: Set<string>;
}

interface Queued {
  frame: WriterFrame;
  at: FramePlacement;
  bytes: number;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The pixel array each dtype takes, and its name in messages. */
const PIXELS: Record<SessionDtype, { type: typeof Uint16Array | typeof Uint8Array | typeof Float32Array; name: string }> = {
  '<u2': { type: Uint16Array, name: 'uint16' },
  '|u1': { type: Uint8Array, name: 'uint8' },
  '<f4': { type: Float32Array, name: 'float32' },
};

const yieldToEvents = (): Promise<void> =>
  new Promise((resolve) => {
    const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
    if (si) si(resolve);
    else setTimeout(resolve, 0);
  });

export class SessionWriter {
  readonly layout: SessionLayout;
  readonly mode: BufferingMode;
  /** K: slabs per channel held at once (Infinity in resident mode). */
  readonly slabLimit: number;
  private readonly store: SessionStore;
  private readonly encoder: SlabEncoder;
  private readonly codec: ChunkCodec;
  private readonly accumulation: Accumulation;
  private readonly placeFn: (frame: WriterFrame) => FramePlacement;
  private readonly dtype: SessionDtype;
  private readonly acc: Accumulators;
  /** `<f4`: observed finite minimum and maximum per channel (omero `window.min/max`, §3.8). */
  private readonly ranges: ([number, number] | undefined)[];
  private readonly framesPerPlane: number;
  private readonly queueCapacity: number;
  private readonly stallTimeoutMs: number;
  private readonly closeEncoder: boolean;
  private readonly onEvent: (event: WriterEvent) => void;
  private readonly now: () => Date;
  private readonly C: number;
  private readonly Z: number;
  private readonly Y: number;
  private readonly X: number;
  private readonly ncy: number;
  private readonly ncx: number;
  private readonly nzc: number;
  private readonly shapes: [number, number][];
  private readonly startedAt: number;

  private flamingo: FlamingoAttrs;
  private status: SessionStatus = 'acquiring';
  private statusReason: string | null = null;
  private readonly open = new Map<number, Slab>();
  /** Chunk keys on disk of slabs that were flushed and released (streaming). */
  private readonly flushedKeys = new Map<number, Set<string>>();
  /** Frames placed per slab over the whole session (completion). */
  private readonly placedPerSlab = new Map<number, number>();
  private readonly freeBuffers: SlabData[] = [];
  private readonly flushes = new Set<Promise<void>>();
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private readonly roomWaiters: (() => void)[] = [];
  private readonly lowWaiters: (() => void)[] = [];
  private pumping: Promise<void> | null = null;
  private closed = false;
  private finalizing: Promise<WriterSummary> | null = null;
  private fault: Error | null = null;
  private readonly errors: string[] = [];
  private metaChain: Promise<void> = Promise.resolve();
  private lastMetaAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Flushed level-0 bounding box (z0, y0, x0, z1, y1, x1). */
  private bounds: number[] | null = null;

  private received = 0;
  private written = 0;
  private readonly dropped: DroppedByReason = { queue_full: 0, out_of_bounds: 0, invalid_frame: 0 };
  private slabsFlushed = 0;
  private chunksWritten = 0;
  private bytesWritten = 0;
  private rawBytesEncoded = 0;

  private constructor(options: SessionWriterOptions, layout: SessionLayout) {
    this.layout = layout;
    this.store = options.store;
    this.encoder = options.encoder;
    this.codec = options.codec;
    this.accumulation = options.accumulation ?? 'maximum';
    this.framesPerPlane = options.framesPerPlane ?? 1;
    this.queueCapacity = options.queueBytes ?? 256 * 2 ** 20;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 2000;
    this.closeEncoder = options.closeEncoder ?? true;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    const shape0 = layout.levels[0]!.shape;
    [this.C, this.Z, this.Y, this.X] = shape0 as [number, number, number, number];
    this.ncy = Math.ceil(this.Y / EDGE);
    this.ncx = Math.ceil(this.X / EDGE);
    this.nzc = Math.ceil(this.Z / EDGE);
    this.shapes = layout.levels.map((l) => [l.shape[2]!, l.shape[3]!]);
    this.dtype = layout.dtype;
    this.acc = accumulators(this.dtype);
    this.ranges = new Array<[number, number] | undefined>(this.C).fill(undefined);
    const nowIso = options.info.now ?? this.now().toISOString();
    this.flamingo = initialFlamingo(layout, { ...options.info, now: nowIso, accumulation: this.accumulation });
    this.startedAt = Date.now();

    // Memory budget (§5.8).
    const budget = options.memoryBudgetBytes ?? 4 * 2 ** 30;
    const bpe = dtypeBytes(this.dtype);
    // Slab, plus the running sum and count in mode average; the pyramid adds at most a third.
    const perVoxel = bpe + (this.accumulation === 'average' ? (this.dtype === '<f4' ? 8 : 4) + 2 : 0);
    const slabBytes = (slabElements(this.Y, this.X) * perVoxel * 4) / 3;
    const residentNeed = this.C * this.nzc * slabBytes;
    const wanted = options.mode ?? 'auto';
    if (wanted === 'resident' || (wanted === 'auto' && residentNeed + this.queueCapacity <= budget)) {
      if (residentNeed + this.queueCapacity > budget) {
        throw new WriterError('over-budget', `Resident mode needs ${fmtBytes(residentNeed + this.queueCapacity)} but the memory budget is ${fmtBytes(budget)}.`);
      }
      this.mode = 'resident';
      this.slabLimit = Infinity;
    } else {
      let k = Math.min(options.slabsPerChannel ?? 2, this.nzc);
      const need = (n: number): number => n * this.C * slabBytes + this.queueCapacity;
      if (need(1) > budget) {
        throw new WriterError('over-budget', `The writer needs ${fmtBytes(need(1))} (one slab of 64 planes per channel plus the ingest queue) but the memory budget is ${fmtBytes(budget)}; bin the frames or reduce the region.`);
      }
      while (k > 1 && need(k) > budget) k--;
      this.mode = 'streaming';
      this.slabLimit = Math.max(1, k);
    }

    const orientation: Orientation = options.info.microscope.orientation ?? DEFAULT_ORIENTATION;
    const voxel = layout.voxelSizeUm;
    const origin: [number, number] = [layout.worldOriginUm[1], layout.worldOriginUm[2]];
    const place = options.place;
    this.placeFn =
      (place && ((frame: WriterFrame): FramePlacement => place.call(options, frame))) ??
      ((frame: WriterFrame<FrameMeta>): FramePlacement => {
        const [y, x] = frameOffset(frame.meta.stage, frame, voxel, origin, orientation);
        return { channel: frame.meta.channelIndex, z: frame.meta.zIndex, y, x };
      });
    const hb = options.heartbeatMs ?? 5000;
    if (hb > 0) {
      this.heartbeat = setInterval(() => {
        if (!this.closed && Date.now() - this.lastMetaAt >= hb) void this.metadataFlush().catch(() => undefined);
      }, hb);
      (this.heartbeat as { unref?: () => void }).unref?.();
    }
  }

  /**
   * Creates the session (§5.2): `.zgroup`, every level's `.zarray`, then `.zattrs` with
   * status `acquiring`; only then is the writer returned. Level-0 shape must be `[c, z, y, x]`
   * (dtype `<u2`, `|u1` or `<f4`) and the compressor the codec's.
   */
  static async create(options: SessionWriterOptions): Promise<SessionWriter> {
    const layout = sessionLayout(options.layout);
    if (layout.layout !== 'CZYX') throw new WriterError('unsupported', `The streaming writer writes CZYX sessions; a ${layout.layout} shape [${layout.levels[0]!.shape.join(', ')}] is not supported yet.`);
    if (!jsonEqual(layout.compressor, options.codec.config)) {
      throw new WriterError('unsupported', `The layout compressor ${JSON.stringify(layout.compressor)} does not match the codec's ${JSON.stringify(options.codec.config)}.`);
    }
    const writer = new SessionWriter(options, layout);
    if (options.preallocate && writer.mode === 'streaming') writer.preallocateSlabs();
    try {
      await options.store.set('.zgroup', zgroupBytes());
      for (let l = 0; l < layout.levels.length; l++) await options.store.set(`${l}/.zarray`, levelZarrayBytes(layout, l));
      await writer.metadataFlush();
      if (writer.fault) throw writer.fault;
    } catch (err) {
      writer.stopHeartbeat();
      throw err;
    }
    return writer;
  }

  private preallocateSlabs(): void {
    const n = slabElements(this.Y, this.X);
    while (this.freeBuffers.length < this.slabLimit * this.C) {
      const data = allocSlab(this.dtype, n, this.encoder.needsSharedMemory);
      // Writing faults the pages in (reading a fresh zero page would not).
      data.fill(0);
      this.freeBuffers.push(data);
    }
  }

  /** Counters and queue state right now. */
  stats(): WriterStats {
    return {
      framesReceived: this.received,
      framesWritten: this.written,
      framesDropped: this.dropped.queue_full + this.dropped.out_of_bounds + this.dropped.invalid_frame,
      droppedByReason: { ...this.dropped },
      framesQueued: this.queue.length,
      queuedBytes: this.queuedBytes,
      openSlabs: this.open.size,
      slabsFlushed: this.slabsFlushed,
      chunksWritten: this.chunksWritten,
      bytesWritten: this.bytesWritten,
      rawBytesEncoded: this.rawBytesEncoded,
      mode: this.mode,
    };
  }

  /**
   * Queues a frame. Resolves `"queued"` once the queue is below its high-water mark again
   * (await it to pause the source), or `"dropped"` when the frame was invalid, outside the
   * canvas, or found the queue full for `stallTimeoutMs`. The writer keeps a reference to
   * `frame.pixels` until the frame is placed: do not reuse that buffer.
   */
  async write(frame: WriterFrame): Promise<'queued' | 'dropped'> {
    const item = this.admit(frame);
    if (!item) return 'dropped';
    if (this.queuedBytes + item.bytes > this.queueCapacity || this.roomWaiters.length > 0) {
      const room = await this.waitForRoom(item.bytes);
      if (!room) {
        this.drop('queue_full', frame, `the ingest queue (${fmtBytes(this.queueCapacity)}) stayed full for ${this.stallTimeoutMs} ms`);
        return 'dropped';
      }
    }
    this.enqueue(item);
    if (this.queuedBytes > 0.75 * this.queueCapacity) await new Promise<void>((resolve) => this.lowWaiters.push(resolve));
    return 'queued';
  }

  /** Queues a frame without waiting (for sources that cannot pause): a full queue drops it at once. */
  tryWrite(frame: WriterFrame): 'queued' | 'dropped' {
    const item = this.admit(frame);
    if (!item) return 'dropped';
    if (this.queuedBytes + item.bytes > this.queueCapacity || this.roomWaiters.length > 0) {
      this.drop('queue_full', frame, `the ingest queue (${fmtBytes(this.queueCapacity)}) is full`);
      return 'dropped';
    }
    this.enqueue(item);
    return 'queued';
  }

  /** Places every queued frame, flushes every slab (partial ones padded with fill), writes `complete` metadata. */
  finalize(): Promise<WriterSummary> {
    return this.finish('complete', null);
  }

  /** Like `finalize`, but the session ends `interrupted` with `reason` (user abort, microscope lost, …). */
  abort(reason: string): Promise<WriterSummary> {
    return this.finish('interrupted', reason);
  }

  // ---------------------------------------------------------------- ingest

  private admit(frame: WriterFrame): Queued | null {
    if (this.closed) throw new WriterError('closed', `The session writer for '${this.layout.name}' is finalized; it takes no more frames.`);
    if (this.fault) throw new WriterError('faulted', `The session writer stopped after a fault: ${this.fault.message}`, { cause: this.fault });
    this.received++;
    const { width, height, pixels } = frame ?? ({} as WriterFrame);
    const want = PIXELS[this.dtype];
    if (!isInt(width) || !isInt(height) || width < 1 || height < 1 || !(pixels instanceof want.type) || pixels.length !== width * height) {
      const got = ArrayBuffer.isView(pixels) ? `${pixels.constructor.name} of ${(pixels as WriterPixels).length}` : typeof pixels;
      this.drop('invalid_frame', frame, `it is not a ${isInt(width) ? width : '?'} × ${isInt(height) ? height : '?'} ${want.name} image (pixels: ${got})`);
      return null;
    }
    let at: FramePlacement;
    try {
      at = this.placeFn(frame);
    } catch (err) {
      this.drop('invalid_frame', frame, `its placement failed (${err instanceof Error ? err.message : String(err)})`);
      return null;
    }
    if (!isInt(at.channel) || !isInt(at.z) || !Number.isFinite(at.y) || !Number.isFinite(at.x)) {
      this.drop('invalid_frame', frame, `its channel ${String(at.channel)} or plane ${String(at.z)} is not an integer`);
      return null;
    }
    if (at.channel < 0 || at.channel >= this.C || at.z < 0 || at.z >= this.Z || at.y >= this.Y || at.x >= this.X || at.y + height <= 0 || at.x + width <= 0) {
      this.drop('out_of_bounds', frame, `channel ${at.channel}, plane ${at.z}, offset (${at.y}, ${at.x}) lies outside the ${this.C} × ${this.Z} × ${this.Y} × ${this.X} canvas`);
      return null;
    }
    return { frame, at, bytes: pixels.byteLength };
  }

  private drop(reason: DropReason, frame: WriterFrame | undefined, why: string): void {
    this.dropped[reason]++;
    const meta = (frame?.meta ?? {}) as Partial<FrameMeta>;
    const frameNumber = isInt(meta.frameNumber) ? meta.frameNumber : null;
    const channel = isInt(meta.channelIndex) ? meta.channelIndex : null;
    const plane = isInt(meta.zIndex) ? meta.zIndex : null;
    this.onEvent({
      type: 'dropped',
      reason,
      frameNumber,
      channel,
      plane,
      message: `Frame ${frameNumber ?? '?'} (channel ${channel ?? '?'}, plane ${plane ?? '?'}) was dropped (${reason}): ${why}.`,
    });
  }

  private waitForRoom(bytes: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let done = false;
      const waiter = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        const i = this.roomWaiters.indexOf(waiter);
        if (i >= 0) this.roomWaiters.splice(i, 1);
        resolve(false);
        this.wakeRoomWaiters();
      }, this.stallTimeoutMs);
      (waiter as { bytes?: number }).bytes = bytes;
      this.roomWaiters.push(waiter);
      this.wakeRoomWaiters();
    });
  }

  private wakeRoomWaiters(): void {
    while (this.roomWaiters.length > 0) {
      const w = this.roomWaiters[0]!;
      const bytes = (w as { bytes?: number }).bytes ?? 0;
      if (this.queuedBytes + bytes > this.queueCapacity && this.queuedBytes > 0) return;
      this.roomWaiters.shift();
      // Reserve the room now; `write` enqueues right after.
      w();
      return;
    }
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    this.kick();
  }

  /** Starts the placing loop unless it runs; restarts it if a frame slipped in as it ended. */
  private kick(): void {
    if (this.pumping || this.fault) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const item = this.queue[0]!;
        const slab = await this.slabFor(item.at.channel, item.at.z >> 6);
        this.place(slab, item);
        this.queue.shift();
        this.queuedBytes -= item.bytes;
        if (this.queuedBytes <= 0.75 * this.queueCapacity) for (const w of this.lowWaiters.splice(0)) w();
        this.wakeRoomWaiters();
        const n = (this.placedPerSlab.get(slab.key) ?? 0) + 1;
        this.placedPerSlab.set(slab.key, n);
        if (n === this.expectedFrames(slab.zc)) this.startFlush(slab);
        await yieldToEvents();
      }
    } catch (err) {
      this.setFault(err);
      // Nothing more can be placed: count what is left as pending and release waiters.
      for (const w of this.lowWaiters.splice(0)) w();
    }
  }

  private expectedFrames(zc: number): number {
    return Math.min(EDGE, this.Z - zc * EDGE) * this.framesPerPlane;
  }

  private async slabFor(c: number, zc: number): Promise<Slab> {
    const key = c * this.nzc + zc;
    for (;;) {
      if (this.fault) throw this.fault;
      const s = this.open.get(key);
      if (s) {
        if (s.state === 'filling') return s;
        await s.flushing;
        continue;
      }
      const mine = [...this.open.values()].filter((o) => o.c === c);
      if (this.mode === 'streaming') {
        // The stack moved on: slabs of this channel being filled are complete.
        for (const o of mine) if (o.state === 'filling') this.startFlush(o);
      }
      if (mine.length >= this.slabLimit) {
        await Promise.race(mine.map((o) => o.flushing ?? Promise.resolve()));
        continue;
      }
      return await this.openSlab(key, c, zc);
    }
  }

  private async openSlab(key: number, c: number, zc: number): Promise<Slab> {
    const n = slabElements(this.Y, this.X);
    const data = this.freeBuffers.pop() ?? allocSlab(this.dtype, n, this.encoder.needsSharedMemory);
    const average = this.accumulation === 'average';
    const slab: Slab = {
      key,
      c,
      zc,
      data,
      sum: average ? averageSum(this.dtype, n) : null,
      count: average ? new Uint16Array(n) : null,
      planeTouched: new Uint8Array(EDGE * this.ncy * this.ncx),
      state: 'filling',
      flushing: null,
      placedSinceFlush: 0,
      box: null,
      written: this.flushedKeys.get(key) ?? new Set(),
    };
    this.open.set(key, slab);
    if (slab.written.size > 0) await this.reopen(slab);
    return slab;
  }

  /** Streaming mode: a frame landed in a flushed slab; decode its level-0 chunks once (§5.4). */
  private async reopen(s: Slab): Promise<void> {
    const { ncy, ncx } = this;
    const bytesPerChunk = CHUNK * dtypeBytes(this.dtype);
    for (const key of s.written) {
      const parts = key.split('/').map(Number);
      if (parts[0] !== 0) continue;
      const cy = parts[3]!;
      const cx = parts[4]!;
      const bytes = await this.store.get(key);
      if (!bytes) continue;
      const raw = await this.codec.decode(bytes);
      if (raw.byteLength !== bytesPerChunk) throw new WriterError('faulted', `Chunk ${key} decoded to ${raw.byteLength} bytes; expected ${bytesPerChunk}.`);
      // The slab is chunk-major: the decoded chunk (padding included) is one block of it.
      const chunk = typedFromBytes(this.dtype, raw);
      const at = (cy * ncx + cx) * CHUNK;
      (s.data as Uint8Array).set(chunk as Uint8Array, at);
      for (let z = 0; z < EDGE; z++) s.planeTouched[(z * ncy + cy) * ncx + cx] = 1;
      if (s.sum && s.count) {
        // The stored value counts as one contribution (§4.4).
        s.sum.set(chunk, at);
        s.count.fill(1, at, at + CHUNK);
      }
    }
  }

  /** Puts one frame's pixels into its slab with the accumulation mode (§4.4), one chunk plane at a time. */
  private place(s: Slab, item: Queued): void {
    const { frame, at } = item;
    const { Y, X, ncy, ncx, acc } = this;
    const w = frame.width;
    const px = frame.pixels;
    const z = at.z & (EDGE - 1);
    const r0 = Math.max(0, -at.y);
    const r1 = Math.min(frame.height, Y - at.y);
    const c0 = Math.max(0, -at.x);
    const c1 = Math.min(w, X - at.x);
    const ya = at.y + r0;
    const yb = at.y + r1; // exclusive
    const xa = at.x + c0;
    const xb = at.x + c1;
    const data = s.data;
    const mode = this.accumulation;
    const zOff = z * EDGE * EDGE;
    const maxFromZero = mode === 'maximum' && this.dtype === '<f4';
    for (let cy = ya >> 6; cy <= (yb - 1) >> 6; cy++) {
      const cya = cy * EDGE;
      const ys = Math.max(ya, cya);
      const ye = Math.min(yb, cya + EDGE);
      const cyb = Math.min(Y, cya + EDGE);
      const rows = ye - ys;
      for (let cx = xa >> 6; cx <= (xb - 1) >> 6; cx++) {
        const cxa = cx * EDGE;
        const xs = Math.max(xa, cxa);
        const xe = Math.min(xb, cxa + EDGE);
        const cxb = Math.min(X, cxa + EDGE);
        const t = (z * ncy + cy) * ncx + cx;
        const fresh = !s.planeTouched[t];
        const plane = (cy * ncx + cx) * CHUNK + zOff;
        // First data in this plane of the chunk: clear what the frame does not cover (stale buffer).
        // `<f4` maximum clears it all: old is 0 where nothing was stored (§4.4), and values may be negative.
        if (fresh && (maxFromZero || ys > cya || ye < cyb || xs > cxa || xe < cxb)) {
          data.fill(0, plane, plane + EDGE * EDGE);
          if (s.sum && s.count) {
            s.sum.fill(0, plane, plane + EDGE * EDGE);
            s.count.fill(0, plane, plane + EDGE * EDGE);
          }
        }
        const d = plane + (ys - cya) * EDGE + (xs - cxa);
        const so = (ys - at.y) * w + (xs - at.x);
        const n = xe - xs;
        if (mode === 'average') acc.average(data, s.sum!, s.count!, d, px, so, n, rows, w, fresh);
        else if ((fresh && !maxFromZero) || mode === 'latest') acc.copy(data, d, px, so, n, rows, w);
        else if (mode === 'maximum') acc.maximum(data, d, px, so, n, rows, w);
        else acc.additive(data, d, px, so, n, rows, w);
        s.planeTouched[t] = 1;
      }
    }
    s.placedSinceFlush++;
    const b = s.box;
    if (!b) s.box = [at.z, ya, xa, at.z, yb - 1, xb - 1];
    else {
      b[0] = Math.min(b[0]!, at.z);
      b[1] = Math.min(b[1]!, ya);
      b[2] = Math.min(b[2]!, xa);
      b[3] = Math.max(b[3]!, at.z);
      b[4] = Math.max(b[4]!, yb - 1);
      b[5] = Math.max(b[5]!, xb - 1);
    }
  }

  // ---------------------------------------------------------------- flush

  private startFlush(s: Slab): void {
    if (s.state === 'flushing') return;
    s.state = 'flushing';
    const p = this.flushSlab(s)
      .catch((err: unknown) => this.setFault(err))
      .finally(() => {
        this.flushes.delete(p);
        s.flushing = null;
        if (this.mode === 'resident' || this.fault) {
          s.state = 'filling';
        } else {
          this.open.delete(s.key);
          this.flushedKeys.set(s.key, s.written);
          if (this.freeBuffers.length < this.slabLimit * this.C) this.freeBuffers.push(s.data);
        }
      });
    s.flushing = p;
    this.flushes.add(p);
  }

  /** Encodes the slab at every level (region tasks, pass by pass) and writes its chunk files, then the metadata (F1). */
  private async flushSlab(s: Slab): Promise<void> {
    const L = this.layout.levels.length;
    const planeTouched = s.planeTouched.slice();
    const frames = s.placedSinceFlush;
    const box = s.box;
    let chunks = 0;
    let bytes = 0;
    const writeResult = async (r: RegionResult): Promise<void> => {
      this.rawBytesEncoded += r.rawBytes;
      if (r.range) {
        const old = this.ranges[s.c];
        this.ranges[s.c] = old ? [Math.min(old[0], r.range[0]), Math.max(old[1], r.range[1])] : [r.range[0], r.range[1]];
      }
      await Promise.all(
        r.chunks.map(async (ch) => {
          const key = `${ch.level}/${s.c}/${s.zc}/${ch.cy}/${ch.cx}`;
          if (ch.bytes) {
            await this.store.set(key, ch.bytes);
            s.written.add(key);
            chunks++;
            bytes += ch.bytes.byteLength;
          } else if (s.written.has(key)) {
            await this.store.delete(key);
            s.written.delete(key);
          }
        }),
      );
    };

    let base = 0;
    let src: SlabData = s.data;
    let chunkTouched: Uint8Array | null = null;
    for (;;) {
      const last = Math.min(base + LEVELS_PER_PASS - 1, L - 1);
      const [BY, BX] = this.shapes[base]!;
      const ncy = Math.ceil(BY / EDGE);
      const ncx = Math.ceil(BX / EDGE);
      let next: SlabData | null = null;
      if (last < L - 1) {
        const [NY, NX] = this.shapes[last + 1]!;
        next = allocSlab(this.dtype, slabElements(NY, NX), this.encoder.needsSharedMemory);
      }
      const tasks: RegionTask[] = [];
      for (let ry = 0; ry * REGION_CHUNKS < ncy; ry++) {
        for (let rx = 0; rx * REGION_CHUNKS < ncx; rx++) {
          let any = false;
          for (let cy = ry * REGION_CHUNKS; cy < Math.min(ncy, (ry + 1) * REGION_CHUNKS) && !any; cy++) {
            for (let cx = rx * REGION_CHUNKS; cx < Math.min(ncx, (rx + 1) * REGION_CHUNKS) && !any; cx++) {
              if (chunkTouched) any = chunkTouched[cy * ncx + cx] === 1;
              else for (let z = 0; z < EDGE && !any; z++) any = planeTouched[(z * ncy + cy) * ncx + cx] === 1;
            }
          }
          if (any) {
            tasks.push({ dtype: this.dtype, src, planeTouched: chunkTouched ? null : planeTouched, chunkTouched, shapes: this.shapes, base, last, next, ry, rx, reduction: this.layout.reduction });
          }
        }
      }
      const results = await Promise.all(tasks.map((t) => this.encoder.run(t).then(async (r) => (await writeResult(r), r))));
      if (!next) break;
      const [NY, NX] = this.shapes[last + 1]!;
      const nncx = Math.ceil(NX / EDGE);
      chunkTouched = new Uint8Array(Math.ceil(NY / EDGE) * nncx);
      for (const r of results) for (let i = 0; i < r.nextTouched.length; i += 2) chunkTouched[r.nextTouched[i]! * nncx + r.nextTouched[i + 1]!] = 1;
      src = next;
      base = last + 1;
    }

    s.placedSinceFlush -= frames;
    if (s.box === box) s.box = null;
    this.written += frames;
    this.slabsFlushed++;
    this.chunksWritten += chunks;
    this.bytesWritten += bytes;
    if (box) {
      const b = this.bounds;
      this.bounds = b ? b.map((v, i) => (i < 3 ? Math.min(v, box[i]!) : Math.max(v, box[i]!))) : [...box];
    }
    await this.metadataFlush();
    this.onEvent({ type: 'flushed', channel: s.c, zChunk: s.zc, chunks, bytes, frames });
  }

  // ---------------------------------------------------------------- metadata

  private metadataFlush(): Promise<void> {
    const run = async (): Promise<void> => {
      const nowIso = this.now().toISOString();
      const v = this.layout.voxelSizeUm;
      const o = this.layout.worldOriginUm;
      const b = this.bounds;
      const world = (i: number): Zyx => [o[0] + b![i]! * v.z, o[1] + b![i + 1]! * v.y, o[2] + b![i + 2]! * v.x];
      const dropped = this.dropped.queue_full + this.dropped.out_of_bounds + this.dropped.invalid_frame;
      const f: FlamingoAttrs = {
        ...this.flamingo,
        status: this.status,
        status_reason: this.statusReason,
        updated: nowIso < this.flamingo.created ? this.flamingo.created : nowIso,
        written_by: { ...this.flamingo.written_by, written_at: nowIso },
        bounds_um: b ? { min: world(0), max: world(3) } : null,
        acquisition: {
          ...this.flamingo.acquisition,
          frames_received: this.received,
          frames_written: this.written,
          frames_dropped: dropped,
          dropped_by_reason: { ...this.dropped },
        },
      };
      const out = validatedZattrs(this.layout, f, this.dtype === '<f4' ? { dataRanges: this.ranges } : {});
      if ('errors' in out) {
        const msg = `The session metadata failed validation and was not written (the last valid .zattrs stays): ${out.errors.join(' ')}`;
        this.errors.push(msg);
        this.setFault(new WriterError('invalid-metadata', msg));
        return;
      }
      await this.store.set('.zattrs', out.bytes);
      this.flamingo = f;
      this.lastMetaAt = Date.now();
      this.onEvent({ type: 'metadata', status: this.status });
    };
    this.metaChain = this.metaChain.then(run, run);
    return this.metaChain;
  }

  private setFault(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.fault) return;
    this.fault = e;
    this.errors.push(e.message);
    this.onEvent({ type: 'fault', message: e.message });
    // Release anyone waiting on the queue: no more frames will be placed.
    for (const w of this.lowWaiters.splice(0)) w();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // ---------------------------------------------------------------- finalize

  private finish(status: SessionStatus, reason: string | null): Promise<WriterSummary> {
    if (!this.finalizing) this.finalizing = this.doFinish(status, reason);
    return this.finalizing;
  }

  private async doFinish(status: SessionStatus, reason: string | null): Promise<WriterSummary> {
    this.closed = true;
    // 1. Place everything still queued (frames waiting for room included).
    while ((this.queue.length > 0 || this.pumping || this.roomWaiters.length > 0) && !this.fault) {
      if (this.pumping) await this.pumping;
      else if (this.queue.length > 0) this.kick();
      else await yieldToEvents();
    }
    // 2. Flush every open slab, the partial ones too.
    for (;;) {
      for (const s of this.open.values()) if (s.state === 'filling' && s.placedSinceFlush > 0 && !this.fault) this.startFlush(s);
      if (this.flushes.size === 0) break;
      await Promise.all([...this.flushes]);
    }
    this.stopHeartbeat();
    await this.metaChain;
    // 3–5. Final .zarray files, then .zattrs with the outcome.
    if (this.fault && status === 'complete') {
      status = 'interrupted';
      reason = `writer fault: ${this.fault.message}`;
    }
    try {
      for (let l = 0; l < this.layout.levels.length; l++) await this.store.set(`${l}/.zarray`, levelZarrayBytes(this.layout, l));
    } catch (err) {
      this.errors.push(err instanceof Error ? err.message : String(err));
    }
    if (this.fault) {
      // Frames that a fault kept from the disk were received but never stored: they count as
      // dropped (§5.8, §5.9). Format version 1 has no reason for write faults; they are counted
      // under queue_full, and the fault itself is in status_reason and the errors.
      const pending = this.received - this.written - this.dropped.queue_full - this.dropped.out_of_bounds - this.dropped.invalid_frame;
      if (pending > 0) this.dropped.queue_full += pending;
    }
    this.status = status;
    this.statusReason = status === 'interrupted' ? (reason ?? 'interrupted') : null;
    await this.metadataFlush().catch((err: unknown) => this.errors.push(err instanceof Error ? err.message : String(err)));
    // 6. Stale temporary files.
    const cleaner = this.store as { removeTemporaryFiles?: () => Promise<number> };
    if (cleaner.removeTemporaryFiles) await cleaner.removeTemporaryFiles().catch(() => 0);
    if (this.closeEncoder) await this.encoder.close();
    this.freeBuffers.length = 0;
    this.open.clear();
    return {
      ...this.stats(),
      status: this.status,
      statusReason: this.statusReason,
      levels: this.layout.levels.length,
      shape: [...this.layout.levels[0]!.shape],
      seconds: (Date.now() - this.startedAt) / 1000,
      errors: [...this.errors],
    };
  }
}

function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}
