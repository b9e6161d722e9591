/**
 * The live display's consumer side (pure; the viewer's copy of what a `DisplayProducer`
 * sends): `plane` events keep the newest plane per channel, `volume` events fill the display
 * volume plane by plane. Every accepted event bumps `version` and tells the listeners what
 * changed. Events of another session, or with a level or size that does not match the
 * session's pyramid, are refused (`apply` returns false).
 *
 * This module also re-exports the producer and the level helpers, so the display contract
 * lives behind one import.
 *
 * @example
 * const cache = new DisplayCache({ session: info.name, levelShapes: info.levelShapes, displayLevel: info.displayLevel });
 * backend.subscribe((e) => { if (e.type === 'plane' || e.type === 'volume') cache.apply(e); });
 * cache.onChange((change) => console.log(change.kind, cache.version));
 * cache.displayPlane(0, 12); // Uint16Array of height × width, or null before data arrived
 */
import type { PlaneEvent, VolumeEvent } from '../live-backend.ts';
import { DisplayError, checkPyramid } from './levels.ts';

export { DisplayProducer } from './display-producer.ts';
export type { DisplayAccumulation, DisplayFrame, DisplayProducerOptions, DisplayProducerStats } from './display-producer.ts';
export { DISPLAY_PLANE_VOXELS, DisplayError, PLANE_EVENT_SIDE, checkPyramid, defaultPlaneLevel, displayLevelFor, isDisplayError } from './levels.ts';
export type { DisplayErrorCode } from './levels.ts';
export { reduce2x2, reducePlane, reduceWindow } from './reduce.ts';
export type { Plane, ReductionKind } from './reduce.ts';

export interface DisplayCacheOptions {
  session: string;
  levelShapes: readonly (readonly number[])[];
  displayLevel: number;
}

/** What an accepted event changed. */
export type DisplayChange =
  | { kind: 'plane'; channel: number; z: number; level: number; version: number }
  | { kind: 'volume'; channel: number; zStart: number; zEnd: number; version: number };

export class DisplayCache {
  readonly session: string;
  readonly levelShapes: readonly (readonly number[])[];
  readonly displayLevel: number;
  /** Display volume plane size. */
  readonly width: number;
  readonly height: number;
  readonly channelCount: number;
  readonly depth: number;
  /** Grows by one for every accepted event. */
  version = 0;
  /** The largest producer `version` seen in an accepted event. */
  dataVersion = 0;
  /** Grows by one for every accepted `volume` event only (the display volume changed). */
  volumeVersion = 0;

  private readonly planes: PlaneEvent[] = [];
  private readonly volume: (Uint16Array | null)[][];
  private readonly filled: Uint8Array[];
  /** Per channel, the cache version at which each display plane last changed. */
  private readonly stamps: Uint32Array[];
  private readonly listeners = new Set<(change: DisplayChange) => void>();

  constructor(options: DisplayCacheOptions) {
    const [C, Z] = checkPyramid(options.levelShapes);
    const L = options.levelShapes.length;
    if (!Number.isInteger(options.displayLevel) || options.displayLevel < 0 || options.displayLevel >= L) {
      throw new DisplayError('bad-level', `Display level ${options.displayLevel} does not exist; the session has levels 0–${L - 1}.`);
    }
    this.session = options.session;
    this.levelShapes = options.levelShapes.map((s) => [...s]);
    this.displayLevel = options.displayLevel;
    const s = options.levelShapes[options.displayLevel]!;
    this.height = s[2]!;
    this.width = s[3]!;
    this.channelCount = C;
    this.depth = Z;
    this.volume = Array.from({ length: C }, () => new Array<Uint16Array | null>(Z).fill(null));
    this.filled = Array.from({ length: C }, () => new Uint8Array(Z));
    this.stamps = Array.from({ length: C }, () => new Uint32Array(Z));
  }

  /** Takes a `plane` or `volume` event; false when it is not for this session or does not fit. */
  apply(event: PlaneEvent | VolumeEvent): boolean {
    if (event.session !== this.session) return false;
    if (!Number.isInteger(event.channel) || event.channel < 0 || event.channel >= this.channelCount) return false;
    if (event.type === 'plane') return this.applyPlane(event);
    return this.applyVolume(event);
  }

  /** The newest plane of `channel` (at whatever level it was sent), or null. */
  newestPlane(channel: number): PlaneEvent | null {
    return this.planes[channel] ?? null;
  }

  /** Display-volume plane `z` of `channel` (`height × width`; do not change it), or null before any data. */
  displayPlane(channel: number, z: number): Uint16Array | null {
    return this.volume[channel]?.[z] ?? null;
  }

  /** The cache version at which display plane `z` of `channel` last changed (0: never). */
  planeStamp(channel: number, z: number): number {
    return this.stamps[channel]?.[z] ?? 0;
  }

  /** Whether display plane `z` of `channel` has data. */
  hasDisplayPlane(channel: number, z: number): boolean {
    return this.filled[channel]?.[z] === 1;
  }

  /** The display volume of `channel` as one `depth × height × width` array (zeros where no data arrived). */
  displayVolume(channel: number): Uint16Array {
    const n = this.width * this.height;
    const out = new Uint16Array(this.depth * n);
    const planes = this.volume[channel] ?? [];
    planes.forEach((p, z) => {
      if (p) out.set(p, z * n);
    });
    return out;
  }

  /** Calls `listener` after every accepted event; returns a function that removes it. */
  onChange(listener: (change: DisplayChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyPlane(e: PlaneEvent): boolean {
    const s = this.levelShapes[e.level];
    if (!s || e.height !== s[2] || e.width !== s[3] || e.pixels.length !== e.width * e.height) return false;
    if (!Number.isInteger(e.z) || e.z < 0 || e.z >= this.depth) return false;
    const old = this.planes[e.channel];
    if (old && old.version > e.version) return false; // an older plane arriving late
    this.planes[e.channel] = e;
    this.bump(e.version, { kind: 'plane', channel: e.channel, z: e.z, level: e.level, version: 0 });
    return true;
  }

  private applyVolume(e: VolumeEvent): boolean {
    const n = this.width * this.height;
    if (e.level !== this.displayLevel || e.width !== this.width || e.height !== this.height) return false;
    if (!Number.isInteger(e.zStart) || !Number.isInteger(e.zEnd) || e.zStart < 0 || e.zEnd > this.depth || e.zStart >= e.zEnd) return false;
    if (e.data.length !== (e.zEnd - e.zStart) * n) return false;
    const planes = this.volume[e.channel]!;
    const version = this.version + 1;
    this.volumeVersion++;
    for (let z = e.zStart; z < e.zEnd; z++) {
      let p = planes[z];
      if (!p) p = planes[z] = new Uint16Array(n);
      p.set(e.data.subarray((z - e.zStart) * n, (z - e.zStart + 1) * n));
      this.filled[e.channel]![z] = 1;
      this.stamps[e.channel]![z] = version;
    }
    this.bump(e.version, { kind: 'volume', channel: e.channel, zStart: e.zStart, zEnd: e.zEnd, version: 0 });
    return true;
  }

  private bump(dataVersion: number, change: DisplayChange): void {
    this.version++;
    if (dataVersion > this.dataVersion) this.dataVersion = dataVersion;
    change.version = this.version;
    for (const l of [...this.listeners]) l(change);
  }
}
