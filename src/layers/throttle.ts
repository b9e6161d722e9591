/**
 * Hands a layer a new loader (array) at most every `minIntervalMs`: Viv refetches every tile
 * when the loader's identity changes, so a live layer keeps the released value until the
 * data changed AND the interval passed (2D: 100 ms, at most 10 Hz; 3D: 1000 ms), or a change
 * is forced (a stack completed). A change that arrives inside the interval is released when
 * the interval ends, so the last change is never lost. The clock is injectable for tests.
 *
 * @example
 * const t2d = watchImage(image, '2d', { onRelease: () => rerender() });
 * new MultiscaleImageLayer({ loader: t2d.current, ... });
 * t2d.dispose();
 */
import type { LiveImage } from './live-image.ts';
import type { LivePixelSource } from './types.ts';

export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: ThrottleClock = {
  now: () => (globalThis.performance ? globalThis.performance.now() : Date.now()),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** 2D layers: at most 10 loader changes per second. */
export const THROTTLE_2D_MS = 100;
/** 3D layers: about one per second (or when a stack completes). */
export const THROTTLE_3D_MS = 1000;

export interface LoaderThrottleOptions<T> {
  /** The value as of now (e.g. `() => image.loaders()`); a new identity means new data. */
  read: () => T;
  minIntervalMs: number;
  clock?: ThrottleClock;
  /** Called after each release with the new value (re-render here). */
  onRelease?: (value: T) => void;
}

export class LoaderThrottle<T> {
  readonly minIntervalMs: number;
  /** How many values were released after the first. */
  releases = 0;
  private value: T;
  private lastRelease = -Infinity;
  private timer: unknown = null;
  private disposed = false;
  private readonly read: () => T;
  private readonly clock: ThrottleClock;
  private readonly onRelease: ((value: T) => void) | undefined;

  constructor(options: LoaderThrottleOptions<T>) {
    this.read = options.read;
    this.minIntervalMs = options.minIntervalMs;
    this.clock = options.clock ?? systemClock;
    this.onRelease = options.onRelease;
    this.value = this.read();
    this.lastRelease = this.clock.now();
  }

  /** The released value: hand this to the layer. */
  get current(): T {
    return this.value;
  }

  /** Whether a newer value waits for the interval to end. */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** Tell the throttle the data may have changed; `force` releases at once (a completed stack). */
  notify(options: { force?: boolean } = {}): void {
    if (this.disposed) return;
    const now = this.clock.now();
    if (options.force || now - this.lastRelease >= this.minIntervalMs) {
      this.release(now);
      return;
    }
    if (this.timer === null && this.read() !== this.value) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        if (!this.disposed) this.release(this.clock.now());
      }, this.lastRelease + this.minIntervalMs - now);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private release(now: number): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const next = this.read();
    if (next === this.value) return;
    this.value = next;
    this.lastRelease = now;
    this.releases++;
    this.onRelease?.(next);
  }
}

/** The loaders a live layer needs, as released together. */
export interface ReleasedLoaders {
  version: number;
  levels: LivePixelSource[];
  mip: LivePixelSource;
  volume: LivePixelSource;
}

/**
 * A throttle over a `LiveImage`'s loaders, notified by the image: `'2d'` at most every 100 ms,
 * `'3d'` every 1000 ms or at once when a stack completes. Dispose it with the layer.
 */
export function watchImage(image: LiveImage, kind: '2d' | '3d', options: { clock?: ThrottleClock; onRelease?: (value: ReleasedLoaders) => void; minIntervalMs?: number } = {}): LoaderThrottle<ReleasedLoaders> & { dispose(): void } {
  let snap: ReleasedLoaders | null = null;
  const read = (): ReleasedLoaders => {
    const levels = image.loaders();
    if (!snap || snap.levels !== levels) snap = { version: image.version, levels, mip: image.mipLoader(), volume: image.volumeLoader() };
    return snap;
  };
  const throttle = new LoaderThrottle<ReleasedLoaders>({
    read,
    minIntervalMs: options.minIntervalMs ?? (kind === '2d' ? THROTTLE_2D_MS : THROTTLE_3D_MS),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onRelease ? { onRelease: options.onRelease } : {}),
  });
  const off = image.onChange((change) => throttle.notify({ force: kind === '3d' && change.stackComplete }));
  const dispose = throttle.dispose.bind(throttle);
  throttle.dispose = () => {
    off();
    dispose();
  };
  return throttle;
}
