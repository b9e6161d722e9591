/**
 * `ThreadDisplaySource`: the session's `DisplayProducer` on a worker thread (Node), so that
 * placing frames into the display volume and reducing planes never takes time from ingest
 * and writing. `putFrame` copies the pixels (the writer keeps the original) and posts them;
 * at most `maxFramesInFlight` frames wait for the worker — beyond that a frame is left out
 * of the display (counted in `framesSkipped`, logged once), never held up.
 *
 * @example
 * const source = new ThreadDisplaySource({ session: 'stack', levelShapes, displayLevel: 1 });
 * source.putFrame(frame);
 * const planes = await source.planes([{ channel: 0, level: 1 }]);
 * await source.close();
 */
import { Worker } from 'node:worker_threads';
import type { DisplayFrame, DisplayProducerOptions } from '../acquisition/volume/display-producer.ts';
import type { DirtyRange, DisplaySource, EncodedPlane } from './display-source.ts';
import { workerCode } from './worker-code.ts';

export interface ThreadDisplayOptions extends DisplayProducerOptions {
  /** Frames posted but not yet placed by the worker, at most (default 32). */
  maxFramesInFlight?: number;
  /** Told once when frames start being left out of the display. */
  onSkip?: (message: string) => void;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class ThreadDisplaySource implements DisplaySource {
  readonly session: string;
  readonly levelShapes: number[][];
  readonly displayLevel: number;
  /** Frames left out of the display because the worker was too far behind. */
  framesSkipped = 0;
  private versionValue = 0;
  private readonly worker: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly onSkip: ((message: string) => void) | undefined;
  private failed: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: ThreadDisplayOptions) {
    const { maxFramesInFlight, onSkip, ...producer } = options;
    this.session = producer.session;
    this.levelShapes = producer.levelShapes.map((s) => [...s]);
    this.displayLevel = producer.displayLevel;
    this.maxInFlight = maxFramesInFlight ?? 32;
    this.onSkip = onSkip;
    this.worker = new Worker(workerCode(new URL('./display-worker.node.ts', import.meta.url)), { eval: true, workerData: { ...producer, levelShapes: this.levelShapes } });
    this.worker.unref();
    this.worker.on('message', (m: { t: string; id?: number; version?: number; result?: unknown; error?: string }) => {
      if (typeof m.version === 'number' && m.version > this.versionValue) this.versionValue = m.version;
      if (m.t === 'ack') {
        this.inFlight--;
      } else if (m.t === 'reply' && m.id !== undefined) {
        const w = this.waiters.get(m.id);
        this.waiters.delete(m.id);
        if (m.error !== undefined) w?.reject(new Error(m.error));
        else w?.resolve(m.result);
      }
    });
    const fail = (err: Error): void => {
      this.failed ??= err;
      for (const w of this.waiters.values()) w.reject(err);
      this.waiters.clear();
    };
    this.worker.on('error', (err) => fail(new Error(`The display thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => fail(new Error(`The display thread exited (code ${code}).`)));
  }

  get version(): number {
    return this.versionValue;
  }

  putFrame(f: DisplayFrame): void {
    if (this.failed || this.closing) return;
    if (this.inFlight >= this.maxInFlight) {
      if (this.framesSkipped++ === 0) this.onSkip?.(`The display thread is ${this.inFlight} frames behind; frames are left out of the live display (never out of the session) until it catches up.`);
      return;
    }
    const pixels = f.pixels.slice();
    this.inFlight++;
    const { pixels: _p, ...meta } = f;
    this.worker.postMessage({ t: 'frame', f: meta, buffer: pixels.buffer }, [pixels.buffer]);
  }

  private ask<T>(message: Record<string, unknown>): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closing) return Promise.reject(new Error('The display thread is closed.'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  planes(requests: ReadonlyArray<{ channel: number; level: number }>): Promise<EncodedPlane[]> {
    return this.ask({ t: 'planes', requests });
  }

  takeDirty(): Promise<DirtyRange[]> {
    return this.ask({ t: 'dirty' });
  }

  volume(channel: number, zStart: number, zEnd: number): Promise<Uint8Array> {
    return this.ask({ t: 'volume', channel, zStart, zEnd });
  }

  close(): Promise<void> {
    this.closing ??= this.worker.terminate().then(() => undefined);
    return this.closing;
  }
}
