/**
 * A `LiveImage` is what the viewer shows of one image: the session being written (its store
 * plus the live display cache), a finished session, or any loaded image (`.zarr`, `.tif`,
 * `.npy` — any `ImageDescription`). It hands Viv `PixelSource`s, one per pyramid level, whose
 * tiles combine:
 *
 * - the display level and every coarser level: the display volume (from `volume` events),
 *   reduced with the session's reduction — where the viewer holds that plane; else the store;
 * - finer levels: the store (flushed chunks), with the newest plane (`plane` events) overlaid
 *   at its z — its non-zero pixels win at its own level and coarser; at finer levels it is
 *   upsampled and fills only pixels the store does not have yet (they read 0).
 *
 * While a session is being acquired the store is not asked for what it cannot hold yet: z-slabs
 * this viewer got planes of and no `flushed` event announced read as 0 (plus the newest plane),
 * and the MIP and contrast read only announced slabs for planes the display volume lacks.
 *
 * Every data change bumps `version`; `loaders()` (and `mipLoader()`, `volumeLoader()`) return
 * the same objects until it changes, so Viv refreshes exactly when the data did. Throttle the
 * hand-over with `LoaderThrottle`.
 *
 * @example
 * const image = await LiveImage.open(info, httpStore(info.storeUrl));
 * backend.subscribe((e) => image.apply(e));
 * image.onChange(() => render(image.loaders()));
 * const still = LiveImage.fromDescription(await openImage(store));
 */
import type { LiveEvent, LiveSessionInfo, PlaneEvent } from '../acquisition/live-backend.ts';
import { DisplayCache, displayLevelFor } from '../acquisition/volume/display-cache.ts';
import { reducePlane } from '../acquisition/volume/reduce.ts';
import type { ReductionKind } from '../acquisition/volume/reduce.ts';
import { TaggedError } from '../tagged-error.ts';
import type { ImageDescription, LevelDescription, OpenOptions, PixelArray } from '../session/read/description.ts';
import { CHUNK_EDGE } from '../session/metadata/layout.ts';
import { openImage } from '../session/read/open.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';
import { VIV_SIGNAL_ABORTED, vivDtype } from './types.ts';
import type { LivePixelSource, PhysicalSize, PixelData, Selection, VivDtype, VivTypedArray } from './types.ts';

/** Key of the z-slab (one chunk deep) holding plane z of channel c. */
function slabKey(c: number, z: number): string {
  return `${c}/${Math.floor(z / CHUNK_EDGE)}`;
}

export type LayerErrorCode = 'unsupported' | 'bad-selection' | 'no-store-url';

export class LayerError extends TaggedError<LayerErrorCode> {
  override readonly name = 'LayerError';
}

export function isLayerError(err: unknown, code?: LayerErrorCode): err is LayerError {
  return err instanceof LayerError && (code === undefined || err.code === code);
}

export interface LiveImageOptions {
  /** Passed to `openImage` (zstd decoder, chunk cache size, warnings). */
  open?: Omit<OpenOptions, 'signal'>;
  /** Index along a `t` axis to show (default 0). */
  t?: number;
  /** Tile edge handed to Viv (a power of two; default 512). */
  tileSize?: number;
  /** The session's pyramid reduction (default: from the session metadata, else `mean`). */
  reduction?: ReductionKind;
  /** Called for each tile that failed (besides Viv's own handling). */
  onTileError?: (err: Error) => void;
}

/** What changed, after `version` grew. */
export interface LiveImageChange {
  version: number;
  reason: 'plane' | 'volume' | 'flushed' | 'finished' | 'store';
  /** A volume event reached the last plane, or the acquisition finished: 3D should refresh now. */
  stackComplete: boolean;
}

/** Where the axes of a description sit. */
interface AxisMap {
  c: number;
  z: number;
  t: number;
  y: number;
  x: number;
  n: number;
}

const UNITS: Record<string, string> = { micrometer: 'µm', nanometer: 'nm', millimeter: 'mm', meter: 'm', angstrom: 'Å' };

function axisMap(desc: ImageDescription): AxisMap {
  const names = desc.axes.map((a) => a.name.toLowerCase());
  const find = (name: string, type?: string): number => {
    const i = names.indexOf(name);
    return i >= 0 ? i : type ? desc.axes.findIndex((a) => a.type === type) : -1;
  };
  const m = { c: find('c', 'channel'), z: find('z'), t: find('t', 'time'), y: find('y'), x: find('x'), n: names.length };
  if (m.y < 0 || m.x < 0 || m.y > m.x) {
    throw new LayerError('unsupported', `${desc.location} has axes [${names.join(', ')}]; the viewer needs y and x axes, y before x.`);
  }
  return m;
}

function czyx(shape: readonly number[], m: AxisMap): number[] {
  const at = (i: number): number => (i >= 0 ? shape[i]! : 1);
  return [at(m.c), at(m.z), shape[m.y]!, shape[m.x]!];
}

function unitOf(desc: ImageDescription, i: number): string {
  const u = i >= 0 ? desc.axes[i]?.unit : undefined;
  return u === undefined ? 'µm' : (UNITS[u] ?? u);
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw VIV_SIGNAL_ABORTED;
}

/** A live session's info made up for a loaded image. */
function infoFor(desc: ImageDescription, m: AxisMap, shapes: number[][]): LiveSessionInfo {
  const s = desc.levels[0]!.scale;
  const size = (i: number): number => (i >= 0 ? (s[i] ?? 1) : 1);
  const status = desc.flamingo?.status;
  return {
    name: desc.name,
    storeUrl: null,
    status: status === 'acquiring' || status === 'interrupted' || status === 'complete' ? status : 'external',
    levelShapes: shapes,
    voxelSizeUm: { z: size(m.z), y: size(m.y), x: size(m.x) },
    channels: desc.channels.map((c) => ({ name: c.name, color: c.color, wavelengthNm: null, contrast: [c.window.start, c.window.end], visible: c.visible })),
    displayLevel: displayLevelFor(shapes),
    version: 0,
  };
}

interface Snapshot {
  version: number;
  levels: LivePixelSource[];
  mip: LivePixelSource;
  volume: LivePixelSource;
}

export class LiveImage {
  /** The display cache fed by `apply`; null for an image with no live data. */
  readonly cache: DisplayCache | null;
  readonly levelShapes: readonly number[][];
  readonly dtype: VivDtype;
  readonly displayLevel: number;
  readonly reduction: ReductionKind;
  readonly tileSize: number;
  /** Grows whenever data that a source returns may have changed. */
  version = 0;
  /** Tile and store-reopen errors seen (newest last, at most 20). */
  readonly errors: Error[] = [];

  private infoValue: LiveSessionInfo;
  private desc: ImageDescription | null;
  private map: AxisMap | null;
  private readonly store: ReadableSessionStore | null;
  private readonly options: LiveImageOptions;
  private readonly listeners = new Set<(change: LiveImageChange) => void>();
  private snap: Snapshot | null = null;
  private reopening: Promise<void> | null = null;
  private reopenAgain = false;
  private storeGeneration = 0;
  private readonly displayMemo = new Map<string, { stamp: number; data: Uint16Array }>();
  /** The z-slabs (`slabKey`) announced flushed: their chunks exist in the store. */
  private readonly flushedSlabs = new Set<string>();
  /** The z-slabs this viewer got planes of while they were being acquired. */
  private readonly writtenSlabs = new Set<string>();
  private readonly newestMemo = new Map<string, { event: PlaneEvent; data: Uint16Array }>();
  /** Per channel: the running MIP of the display planes held (see `heldMip`) and the plane stamps folded into it. */
  private readonly heldMips = new Map<number, { data: PixelArray | null; folded: Float64Array }>();
  private readonly mipMemo = new Map<number, { key: string; data: PixelArray }>();
  private readonly storeReads = new Map<string, { generation: number; data: Promise<PixelArray> }>();

  private constructor(info: LiveSessionInfo, desc: ImageDescription | null, store: ReadableSessionStore | null, cache: DisplayCache | null, options: LiveImageOptions) {
    this.infoValue = info;
    this.desc = desc;
    this.map = desc ? axisMap(desc) : null;
    this.store = store;
    this.cache = cache;
    this.options = options;
    this.levelShapes = info.levelShapes.map((s) => [...s]);
    this.dtype = desc ? vivDtype(desc.levels[0]!.dtype) : 'Uint16';
    this.displayLevel = info.displayLevel;
    const fromMeta = desc?.attributes && reductionOf(desc.attributes);
    this.reduction = options.reduction ?? fromMeta ?? 'mean';
    this.tileSize = options.tileSize ?? 512;
    cache?.onChange((change) => {
      const stackComplete = change.kind === 'volume' && change.zEnd === cache.depth;
      this.bump({ reason: change.kind, stackComplete });
    });
  }

  /**
   * Opens a live or stored session: `store` is the session's store (HTTP, OPFS, memory) or
   * null when only live data are shown. The level shapes come from `info`.
   */
  static async open(info: LiveSessionInfo, store: ReadableSessionStore | null, options: LiveImageOptions = {}): Promise<LiveImage> {
    let desc: ImageDescription | null = null;
    if (store) {
      desc = await openImage(store, options.open ?? {});
      const m = axisMap(desc);
      const shapes = desc.levels.map((l) => czyx(l.shape, m));
      const same = shapes.length === info.levelShapes.length && shapes.every((s, i) => s.every((v, k) => v === info.levelShapes[i]![k]));
      if (!same) {
        throw new LayerError('unsupported', `Session '${info.name}' announces levels ${JSON.stringify(info.levelShapes)} but its store holds ${JSON.stringify(shapes)}.`);
      }
    }
    const cache = info.status === 'external' ? null : new DisplayCache({ session: info.name, levelShapes: info.levelShapes, displayLevel: info.displayLevel });
    return new LiveImage(info, desc, store, cache, options);
  }

  /** Any loaded image (session, OME-Zarr, TIFF, NPY) with no live data. */
  static fromDescription(desc: ImageDescription, options: LiveImageOptions = {}): LiveImage {
    const m = axisMap(desc);
    const shapes = desc.levels.map((l) => czyx(l.shape, m));
    return new LiveImage(infoFor(desc, m, shapes), desc, null, null, options);
  }

  /** The session as last announced (a `session` event with this name replaces it). */
  get info(): LiveSessionInfo {
    return this.infoValue;
  }

  get description(): ImageDescription | null {
    return this.desc;
  }

  /** Takes any backend event; returns whether it concerned this image. */
  apply(event: LiveEvent): boolean {
    switch (event.type) {
      case 'plane': {
        const taken = this.cache?.apply(event) ?? false;
        if (taken) this.writtenSlabs.add(slabKey(event.channel, event.z));
        return taken;
      }
      case 'volume':
        return this.cache?.apply(event) ?? false;
      case 'flushed':
        if (event.session !== this.infoValue.name || !this.store) return false;
        for (let z = Math.floor(event.zStart / CHUNK_EDGE) * CHUNK_EDGE; z < event.zEnd; z += CHUNK_EDGE) this.flushedSlabs.add(slabKey(event.channel, z));
        void this.refresh();
        return true;
      case 'session':
        if (event.session.name !== this.infoValue.name) return false;
        this.infoValue = event.session;
        return true;
      case 'acquisition':
        if (event.session !== this.infoValue.name || event.phase !== 'finished') return false;
        if (event.status) this.infoValue = { ...this.infoValue, status: event.status };
        this.bump({ reason: 'finished', stackComplete: true });
        if (this.store) void this.refresh();
        return true;
      default:
        return false;
    }
  }

  /** Reopens the store so newly flushed chunks are read (also called on `flushed` events, coalesced). */
  refresh(): Promise<void> {
    if (!this.store) return Promise.resolve();
    if (this.reopening) {
      this.reopenAgain = true;
      return this.reopening;
    }
    const store = this.store;
    const run = async (): Promise<void> => {
      do {
        this.reopenAgain = false;
        try {
          this.desc = await openImage(store, this.options.open ?? {});
          this.map = axisMap(this.desc);
          this.storeGeneration++;
          this.bump({ reason: 'flushed', stackComplete: false });
        } catch (err) {
          this.recordError(err instanceof Error ? err : new Error(String(err)));
        }
      } while (this.reopenAgain);
    };
    this.reopening = run().finally(() => {
      this.reopening = null;
    });
    return this.reopening;
  }

  /** Resolves when no store reopen is running or queued (after `flushed` events). */
  async settled(): Promise<void> {
    while (this.reopening) await this.reopening;
  }

  /** Listener after each data change; returns a function that removes it. */
  onChange(listener: (change: LiveImageChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One source per level, finest first; the same array until `version` changes. */
  loaders(): LivePixelSource[] {
    return this.snapshot().levels;
  }

  /** Max over z of the display level, as a source of shape `[c, 1, y, x]` (same object until `version` changes). */
  mipLoader(): LivePixelSource {
    return this.snapshot().mip;
  }

  /** The display level with that level's voxel size as `physicalSizes`, for Viv's `VolumeLayer` at resolution 0. */
  volumeLoader(): LivePixelSource {
    return this.snapshot().volume;
  }

  /** The z of the newest plane of `channel`, or null when there is none. */
  newestZ(channel: number): number | null {
    return this.cache?.newestPlane(channel)?.z ?? null;
  }

  /** Level-0 voxel size with units, per axis. */
  physicalSizes(level = 0): { x: PhysicalSize; y: PhysicalSize; z: PhysicalSize } {
    const f = 2 ** level;
    if (this.desc && this.map) {
      const lv = this.desc.levels[level] ?? this.desc.levels[0]!;
      const m = this.map;
      const size = (i: number): number => (i >= 0 ? (lv.scale[i] ?? 1) : 1);
      return { x: { size: size(m.x), unit: unitOf(this.desc, m.x) }, y: { size: size(m.y), unit: unitOf(this.desc, m.y) }, z: { size: size(m.z), unit: unitOf(this.desc, m.z) } };
    }
    const v = this.infoValue.voxelSizeUm;
    return { x: { size: v.x * f, unit: 'µm' }, y: { size: v.y * f, unit: 'µm' }, z: { size: v.z, unit: 'µm' } };
  }

  // ------------------------------------------------------------------ reading

  /** Pixels of `rect` (level coordinates) of plane (c, z) at `level`, as the sources return them. */
  async read(level: number, sel: Selection, rect: { y: number; x: number; height: number; width: number }, signal?: AbortSignal): Promise<PixelData> {
    aborted(signal);
    const shape = this.levelShapes[level];
    if (!shape) throw new LayerError('bad-selection', `Level ${level} does not exist; the image has levels 0–${this.levelShapes.length - 1}.`);
    const [C, Z, Y, X] = shape as [number, number, number, number];
    const { c, z } = sel;
    if (!Number.isInteger(c) || c < 0 || c >= C || !Number.isInteger(z) || z < 0 || z >= Z) {
      throw new LayerError('bad-selection', `Selection c=${c}, z=${z} is outside the image's ${C} channels and ${Z} planes.`);
    }
    const { y, x, height, width } = rect;
    if (y < 0 || x < 0 || height < 1 || width < 1 || y + height > Y || x + width > X) {
      throw new LayerError('bad-selection', `Region y ${y}+${height}, x ${x}+${width} is outside level ${level} (${Y} × ${X}).`);
    }
    const display = this.displayAt(level, c, z);
    if (display) return { data: crop(display, X, y, x, height, width), width, height };
    let data: VivTypedArray;
    try {
      // A plane in a z-slab the writer has not flushed yet: the store has nothing there, so
      // asking it (a request per chunk) only costs time; the newest plane is laid over below.
      data = this.inUnflushedSlab(c, z) ? emptyOf(this.dtype, height * width) : await this.readStore(level, c, z, rect, signal);
    } catch (err) {
      aborted(signal);
      throw err;
    }
    aborted(signal);
    if (data instanceof Uint16Array) this.overlayNewest(level, c, z, rect, data);
    return { data, width, height };
  }

  /**
   * Whether (c, z) lies in a z-slab the writer is known not to have flushed: the session is being
   * acquired, this viewer got planes of the slab, and no `flushed` event announced it since. (A
   * slab this viewer saw no plane of, e.g. one written before it opened the session, may be in
   * the store and is read from it.)
   */
  private inUnflushedSlab(c: number, z: number): boolean {
    const key = slabKey(c, z);
    return this.infoValue.status === 'acquiring' && this.writtenSlabs.has(key) && !this.flushedSlabs.has(key);
  }

  /** The MIP of channel `c` over z at the display level (whole plane; shared, do not change it). */
  async mip(c: number, signal?: AbortSignal): Promise<PixelData> {
    aborted(signal);
    const [, Z, DY, DX] = this.levelShapes[this.displayLevel] as [number, number, number, number];
    const key = `${this.cache?.volumeVersion ?? 0}/${this.storeGeneration}`;
    const memo = this.mipMemo.get(c);
    if (memo && memo.key === key) return { data: memo.data as VivTypedArray, width: DX, height: DY };
    const n = DY * DX;
    const held = this.cache ? this.heldMip(this.cache, c, Z) : null;
    let out: PixelArray | null = held ? held.slice() : null;
    const take = (src: PixelArray, offset: number): void => {
      if (!out) out = src.slice(offset, offset + n);
      else maxInto(out, src, offset);
    };
    for (const part of await this.storeParts(c, signal)) {
      for (let z = part.z0; z < part.z1; z++) if (!this.cache?.displayPlane(c, z)) take(part.data, (z - part.z0) * n);
    }
    out ??= emptyOf(this.dtype, n);
    this.mipMemo.set(c, { key, data: out });
    return { data: out as VivTypedArray, width: DX, height: DY };
  }

  /**
   * The max over z of the display planes of channel `c` this viewer holds, kept up to date
   * incrementally (the MIP is asked for about once a second while hundreds of planes arrive):
   * planes that arrived since are folded in; a plane that changed after it was folded in
   * (frames accumulating into it, tiles landing beside each other) makes it start over.
   */
  private heldMip(cache: DisplayCache, c: number, Z: number): PixelArray | null {
    let held = this.heldMips.get(c);
    if (!held) this.heldMips.set(c, (held = { data: null, folded: new Float64Array(Z) }));
    const { folded } = held;
    for (let z = 0; z < Z; z++) {
      if (folded[z] !== 0 && cache.planeStamp(c, z) !== folded[z]) {
        held.data = null;
        folded.fill(0);
        break;
      }
    }
    for (let z = 0; z < Z; z++) {
      const stamp = cache.planeStamp(c, z);
      const p = stamp === folded[z] ? null : cache.displayPlane(c, z);
      if (!p) continue;
      if (held.data) maxInto(held.data, p, 0);
      else held.data = p.slice();
      folded[z] = stamp;
    }
    return held.data;
  }

  /**
   * A bounded sample of channel `c` for contrast limits: at most `maxSamples` values taken on a
   * regular stride over the display volume (the planes the viewer holds, the store for the rest).
   */
  async contrastSample(c: number, maxSamples = 65536, signal?: AbortSignal): Promise<VivTypedArray> {
    aborted(signal);
    const [, Z, DY, DX] = this.levelShapes[this.displayLevel] as [number, number, number, number];
    const n = DY * DX;
    const total = Z * n;
    const step = Math.max(1, total / maxSamples);
    const count = Math.min(maxSamples, total);
    const parts = await this.storeParts(c, signal);
    aborted(signal);
    const out = parts[0] ? newLike(parts[0].data, count) : emptyOf(this.dtype, count);
    for (let i = 0; i < count; i++) {
      const k = Math.floor(i * step);
      const z = Math.floor(k / n);
      const p = this.cache?.displayPlane(c, z);
      const part = p ? null : parts.find((s) => z >= s.z0 && z < s.z1);
      out[i] = p ? p[k - z * n]! : part ? part.data[k - part.z0 * n]! : 0;
    }
    return out as VivTypedArray;
  }

  /**
   * Display-level planes of channel `c`, read from the store where the viewer lacks some: every
   * plane of a stored session in one read; for a session being acquired only the z-slabs
   * announced flushed, since the others are not in the store yet (the planes not acquired yet
   * are most of them, and asking for them would fetch every chunk of the level for nothing).
   * Reads are kept per slab until the store is reopened.
   */
  private async storeParts(c: number, signal?: AbortSignal): Promise<Array<{ z0: number; z1: number; data: PixelArray }>> {
    const Z = this.levelShapes[this.displayLevel]![1]!;
    const missing: number[] = [];
    for (let z = 0; z < Z; z++) if (!this.cache?.displayPlane(c, z)) missing.push(z);
    if (missing.length === 0 || !this.desc) return [];
    const ranges: Array<[number, number]> = [];
    if (this.infoValue.status !== 'acquiring') ranges.push([0, Z]);
    else {
      for (const z0 of new Set(missing.map((z) => Math.floor(z / CHUNK_EDGE) * CHUNK_EDGE))) {
        if (this.flushedSlabs.has(slabKey(c, z0))) ranges.push([z0, Math.min(Z, z0 + CHUNK_EDGE)]);
      }
    }
    const parts = [];
    for (const [z0, z1] of ranges) parts.push({ z0, z1, data: await this.storePlanes(c, z0, z1, signal) });
    aborted(signal);
    return parts;
  }

  /** Display-level planes [z0, z1) of channel `c` from the store (kept until the store is reopened). */
  private storePlanes(c: number, z0: number, z1: number, signal?: AbortSignal): Promise<PixelArray> {
    const key = `${c}/${z0}/${z1}`;
    const memo = this.storeReads.get(key);
    if (memo && memo.generation === this.storeGeneration) return memo.data;
    const [, , DY, DX] = this.levelShapes[this.displayLevel] as [number, number, number, number];
    const lv = this.level(this.displayLevel);
    const m = this.map!;
    const data = (async (): Promise<PixelArray> => {
      let out: PixelArray | null = null;
      const n = DY * DX;
      const batch = Math.max(1, Math.floor(2 ** 24 / n));
      for (let a = z0; a < z1; a += batch) {
        const b = Math.min(z1, a + batch);
        const r = await lv.readRegion(this.region(m, lv, c, a, b, 0, DY, 0, DX), signal ? { signal } : {});
        out ??= newLike(r.data, (z1 - z0) * n);
        out.set(r.data as never, (a - z0) * n);
      }
      return out ?? new Uint16Array(0);
    })();
    this.storeReads.set(key, { generation: this.storeGeneration, data });
    data.catch(() => this.storeReads.delete(key));
    return data;
  }

  private level(level: number): LevelDescription {
    const lv = this.desc?.levels[level];
    if (!lv) throw new LayerError('bad-selection', `Level ${level} is not in the store.`);
    return lv;
  }

  private region(m: AxisMap, lv: LevelDescription, c: number, z0: number, z1: number, y0: number, y1: number, x0: number, x1: number): { start: number[]; stop: number[] } {
    const start: number[] = new Array<number>(m.n).fill(0);
    const stop: number[] = new Array<number>(m.n).fill(1);
    const t = Math.min(this.options.t ?? 0, m.t >= 0 ? lv.shape[m.t]! - 1 : 0);
    if (m.t >= 0) [start[m.t], stop[m.t]] = [t, t + 1];
    if (m.c >= 0) [start[m.c], stop[m.c]] = [c, c + 1];
    if (m.z >= 0) [start[m.z], stop[m.z]] = [z0, z1];
    [start[m.y], stop[m.y]] = [y0, y1];
    [start[m.x], stop[m.x]] = [x0, x1];
    return { start, stop };
  }

  private async readStore(level: number, c: number, z: number, rect: { y: number; x: number; height: number; width: number }, signal?: AbortSignal): Promise<VivTypedArray> {
    if (!this.desc || !this.map) return emptyOf(this.dtype, rect.height * rect.width);
    const lv = this.level(level);
    const r = await lv.readRegion(this.region(this.map, lv, c, z, z + 1, rect.y, rect.y + rect.height, rect.x, rect.x + rect.width), signal ? { signal } : {});
    // readRegion allocates its result: a plain ArrayBuffer.
    return r.data as VivTypedArray;
  }

  /** Display plane (c, z) reduced to `level` (≥ the display level), or null when the viewer does not hold it. */
  private displayAt(level: number, c: number, z: number): Uint16Array | null {
    const cache = this.cache;
    if (!cache || level < this.displayLevel) return null;
    const plane = cache.displayPlane(c, z);
    if (!plane) return null;
    if (level === this.displayLevel) return plane;
    const key = `${level}/${c}/${z}`;
    const stamp = cache.planeStamp(c, z);
    const memo = this.displayMemo.get(key);
    if (memo && memo.stamp === stamp) return memo.data;
    const r = reducePlane(plane, cache.height, cache.width, level - this.displayLevel, this.reduction);
    this.displayMemo.set(key, { stamp, data: r.data });
    return r.data;
  }

  /** Overlays the newest plane of channel `c` when it is at `z` (see the module comment). */
  private overlayNewest(level: number, c: number, z: number, rect: { y: number; x: number; height: number; width: number }, out: Uint16Array): void {
    const ev = this.cache?.newestPlane(c);
    if (!ev || ev.z !== z) return;
    const { y: y0, x: x0, height: h, width: w } = rect;
    if (level >= ev.level) {
      let plane = ev.pixels;
      let pw = ev.width;
      if (level > ev.level) {
        const key = `${c}/${level}`;
        let memo = this.newestMemo.get(key);
        if (!memo || memo.event !== ev) {
          memo = { event: ev, data: reducePlane(ev.pixels, ev.height, ev.width, level - ev.level, this.reduction).data };
          this.newestMemo.set(key, memo);
        }
        plane = memo.data;
        pw = this.levelShapes[level]![3]!;
      }
      for (let r = 0; r < h; r++) {
        const s = (y0 + r) * pw + x0;
        const d = r * w;
        for (let i = 0; i < w; i++) {
          const v = plane[s + i]!;
          if (v !== 0) out[d + i] = v;
        }
      }
      return;
    }
    const k = ev.level - level;
    for (let r = 0; r < h; r++) {
      const s = ((y0 + r) >> k) * ev.width;
      const d = r * w;
      for (let i = 0; i < w; i++) {
        if (out[d + i] !== 0) continue;
        const v = ev.pixels[s + ((x0 + i) >> k)]!;
        if (v !== 0) out[d + i] = v;
      }
    }
  }

  // ------------------------------------------------------------------ sources

  private snapshot(): Snapshot {
    if (this.snap && this.snap.version === this.version) return this.snap;
    const version = this.version;
    const levels = this.levelShapes.map((_, l) => this.source(l, version, this.physicalSizes(0)));
    const d = this.displayLevel;
    const [C, , DY, DX] = this.levelShapes[d] as [number, number, number, number];
    const mip = this.makeSource({
      level: d,
      version,
      shape: [C, 1, DY, DX],
      physical: this.physicalSizes(d),
      read: async (sel, rect, signal) => {
        const p = await this.mip(sel.c, signal);
        return { data: crop(p.data, p.width, rect.y, rect.x, rect.height, rect.width), width: rect.width, height: rect.height };
      },
    });
    const volume = this.source(d, version, this.physicalSizes(d));
    this.snap = { version, levels, mip, volume };
    return this.snap;
  }

  private source(level: number, version: number, physical: LivePixelSource['meta']['physicalSizes']): LivePixelSource {
    return this.makeSource({ level, version, shape: [...this.levelShapes[level]!], physical, read: (sel, rect, signal) => this.read(level, sel, rect, signal) });
  }

  private makeSource(s: {
    level: number;
    version: number;
    shape: number[];
    physical: LivePixelSource['meta']['physicalSizes'];
    read: (sel: Selection, rect: { y: number; x: number; height: number; width: number }, signal?: AbortSignal) => Promise<PixelData>;
  }): LivePixelSource {
    const ts = this.tileSize;
    const [, , Y, X] = s.shape as [number, number, number, number];
    return {
      shape: s.shape,
      dtype: this.dtype,
      labels: ['c', 'z', 'y', 'x'],
      tileSize: ts,
      meta: s.physical ? { physicalSizes: s.physical } : {},
      level: s.level,
      version: s.version,
      getRaster: ({ selection, signal }) => s.read(selection, { y: 0, x: 0, height: Y, width: X }, signal),
      getTile: ({ x, y, selection, signal }) => {
        const y0 = y * ts;
        const x0 = x * ts;
        if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || y0 >= Y || x0 >= X) {
          return Promise.reject(new LayerError('bad-selection', `Tile (${x}, ${y}) of ${ts} px is outside level ${s.level} (${Y} × ${X}).`));
        }
        return s.read(selection, { y: y0, x: x0, height: Math.min(ts, Y - y0), width: Math.min(ts, X - x0) }, signal);
      },
      onTileError: (err: Error) => this.recordError(err),
    };
  }

  private recordError(err: Error): void {
    this.errors.push(err);
    if (this.errors.length > 20) this.errors.shift();
    this.options.onTileError?.(err);
  }

  private bump(change: Omit<LiveImageChange, 'version'>): void {
    this.version++;
    const full: LiveImageChange = { version: this.version, ...change };
    for (const l of [...this.listeners]) l(full);
  }
}

function reductionOf(attrs: Record<string, unknown>): ReductionKind | undefined {
  const ms = attrs.multiscales;
  if (!Array.isArray(ms)) return undefined;
  const t = (ms[0] as { type?: unknown } | undefined)?.type;
  return t === 'mean' || t === 'max' ? t : undefined;
}

/** A fresh copy of a box of `src` (always over a plain ArrayBuffer, as Viv wants). */
function crop(src: PixelArray, srcWidth: number, y: number, x: number, h: number, w: number): VivTypedArray {
  if (x === 0 && w === srcWidth && y === 0 && src.length === h * w) return src.slice() as VivTypedArray;
  const out = newLike(src, h * w);
  for (let r = 0; r < h; r++) out.set(src.subarray((y + r) * srcWidth + x, (y + r) * srcWidth + x + w) as never, r * w);
  return out as VivTypedArray;
}

function newLike(a: PixelArray, n: number): PixelArray {
  return new (a.constructor as new (n: number) => PixelArray)(n);
}

function emptyOf(dtype: VivDtype, n: number): VivTypedArray {
  const ctors = { Uint8: Uint8Array, Int8: Int8Array, Uint16: Uint16Array, Int16: Int16Array, Uint32: Uint32Array, Int32: Int32Array, Float32: Float32Array };
  return new ctors[dtype](n);
}

function maxInto(out: PixelArray, src: PixelArray, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const v = src[offset + i]!;
    if (v > out[i]!) out[i] = v;
  }
}
