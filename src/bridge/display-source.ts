/**
 * Where the hub gets live display data from: a `DisplayProducer` (acquisition/volume) fed
 * every frame, behind an asynchronous interface so that it can run on its own thread. The
 * frame path (`putFrame`) only copies and posts; planes and volume slices come back encoded
 * as wire messages, ready to send.
 *
 * - `InlineDisplaySource` runs the producer on the calling thread (tests, small frames);
 * - `ThreadDisplaySource` (display-thread.ts) runs it on a worker thread (the bridge's default).
 *
 * @example
 * const source = new InlineDisplaySource({ session: 'stack', levelShapes, displayLevel: 1 });
 * source.putFrame({ channel: 0, z: 3, y: 0, x: 0, width, height, pixels, frameNumber: 7, acquiredAtMs: 12.5 });
 * const [plane] = await source.planes([{ channel: 0, level: 1 }]);    // { channel, level, bytes }
 * for (const r of await source.takeDirty()) send(await source.volume(r.channel, r.zStart, r.zEnd));
 */
import type { DisplayFrame, DisplayProducerOptions } from '../acquisition/volume/display-producer.ts';
import { DisplayProducer } from '../acquisition/volume/display-producer.ts';
import type { VolumeEvent } from '../acquisition/live-backend.ts';
import { encodeDataEvent } from '../acquisition/remote/wire.ts';

export interface DisplaySourceInfo {
  session: string;
  levelShapes: number[][];
  displayLevel: number;
}

export interface EncodedPlane {
  channel: number;
  level: number;
  /** The wire message, or null before the channel's first frame. */
  bytes: Uint8Array | null;
}

export interface DirtyRange {
  channel: number;
  zStart: number;
  zEnd: number;
}

export interface DisplaySource extends DisplaySourceInfo {
  /** Data version as last reported (grows with every frame placed). */
  readonly version: number;
  /** Hands a frame over (copied or placed before this returns: the caller may keep the pixels). */
  putFrame(frame: DisplayFrame): void;
  /** The newest plane of each channel at each level asked for, encoded. */
  planes(requests: ReadonlyArray<{ channel: number; level: number }>): Promise<EncodedPlane[]>;
  /** Display-volume z-ranges changed since the last call. */
  takeDirty(): Promise<DirtyRange[]>;
  /** Display planes `[zStart, zEnd)` of a channel as an encoded volume event. */
  volume(channel: number, zStart: number, zEnd: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The producer's answers, shared by the inline source and the worker body. */
export class ProducerCore {
  readonly producer: DisplayProducer;

  constructor(options: DisplayProducerOptions) {
    this.producer = new DisplayProducer(options);
  }

  planes(requests: ReadonlyArray<{ channel: number; level: number }>): EncodedPlane[] {
    return requests.map(({ channel, level }) => {
      const e = this.producer.planeEvent(channel, level);
      return { channel, level, bytes: e ? encodeDataEvent(e) : null };
    });
  }

  takeDirty(): DirtyRange[] {
    if (!this.producer.hasVolumeChanges()) return [];
    return this.producer.takeVolumeEvents().map((e) => ({ channel: e.channel, zStart: e.zStart, zEnd: e.zEnd }));
  }

  volume(channel: number, zStart: number, zEnd: number): Uint8Array {
    const p = this.producer;
    const shape = p.levelShapes[p.displayLevel]!;
    const height = shape[2]!;
    const width = shape[3]!;
    const n = width * height;
    const data = new Uint16Array((zEnd - zStart) * n);
    for (let z = zStart; z < zEnd; z++) data.set(p.displayPlane(channel, z), (z - zStart) * n);
    const e: VolumeEvent = { type: 'volume', session: p.session, channel, level: p.displayLevel, zStart, zEnd, width, height, data, version: p.version };
    return encodeDataEvent(e);
  }
}

export class InlineDisplaySource implements DisplaySource {
  readonly session: string;
  readonly levelShapes: number[][];
  readonly displayLevel: number;
  private readonly core: ProducerCore;

  constructor(options: DisplayProducerOptions) {
    this.core = new ProducerCore(options);
    this.session = options.session;
    this.levelShapes = options.levelShapes.map((s) => [...s]);
    this.displayLevel = options.displayLevel;
  }

  get version(): number {
    return this.core.producer.version;
  }

  putFrame(frame: DisplayFrame): void {
    this.core.producer.putFrame(frame);
  }

  async planes(requests: ReadonlyArray<{ channel: number; level: number }>): Promise<EncodedPlane[]> {
    return this.core.planes(requests);
  }

  async takeDirty(): Promise<DirtyRange[]> {
    return this.core.takeDirty();
  }

  async volume(channel: number, zStart: number, zEnd: number): Promise<Uint8Array> {
    return this.core.volume(channel, zStart, zEnd);
  }

  async close(): Promise<void> {}
}
