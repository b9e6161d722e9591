import { describe, expect, it } from 'vitest';
import { LiveImage } from '../../src/layers/live-image.ts';
import { LoaderThrottle, THROTTLE_2D_MS, THROTTLE_3D_MS, watchImage } from '../../src/layers/throttle.ts';
import type { ThrottleClock } from '../../src/layers/throttle.ts';
import type { LiveSessionInfo, VolumeEvent } from '../../src/acquisition/live-backend.ts';

/** A manual clock: time moves only when the test says so. */
class FakeClock implements ThrottleClock {
  t = 1000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  get scheduled(): number[] {
    return this.timers.map((x) => x.at);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

describe('LoaderThrottle', () => {
  it('releases a changed value at once after a quiet interval, else once when the interval ends', () => {
    const clock = new FakeClock();
    let value = { v: 0 };
    const released: number[] = [];
    const t = new LoaderThrottle({ read: () => value, minIntervalMs: 100, clock, onRelease: (x) => released.push(x.v) });
    expect(t.current).toBe(value);
    t.notify(); // nothing changed
    expect(t.releases).toBe(0);
    clock.advance(150);
    value = { v: 1 };
    t.notify();
    expect(released).toEqual([1]);
    // Three changes inside the next interval: one release, of the last, when it ends.
    clock.advance(10);
    value = { v: 2 };
    t.notify();
    clock.advance(30);
    value = { v: 3 };
    t.notify();
    t.notify();
    expect(clock.scheduled).toEqual([1250]);
    expect(t.pending).toBe(true);
    expect(released).toEqual([1]);
    clock.advance(59);
    expect(released).toEqual([1]);
    clock.advance(1);
    expect(released).toEqual([1, 3]);
    expect(t.current.v).toBe(3);
    expect(t.pending).toBe(false);
    // Force: at once, whatever the interval.
    value = { v: 4 };
    t.notify({ force: true });
    expect(released).toEqual([1, 3, 4]);
    // Dispose cancels what waits.
    clock.advance(10);
    value = { v: 5 };
    t.notify();
    t.dispose();
    clock.advance(1000);
    expect(released).toEqual([1, 3, 4]);
    expect(t.releases).toBe(3);
  });

  it('keeps the released identity when the value did not change', () => {
    const clock = new FakeClock();
    const value = [1, 2];
    const t = new LoaderThrottle({ read: () => value, minIntervalMs: 100, clock });
    clock.advance(500);
    t.notify({ force: true });
    expect(t.current).toBe(value);
    expect(t.releases).toBe(0);
  });
});

describe('watchImage', () => {
  const info: LiveSessionInfo = {
    name: 's', storeUrl: null, status: 'acquiring', levelShapes: [[1, 4, 8, 8], [1, 4, 4, 4]], voxelSizeUm: { z: 1, y: 1, x: 1 },
    channels: [{ name: 'a', color: 'FFFFFF', wavelengthNm: null, contrast: [0, 10], visible: true }], displayLevel: 1, version: 0,
  };
  const volume = (zStart: number, zEnd: number, version: number): VolumeEvent => ({ type: 'volume', session: 's', channel: 0, level: 1, zStart, zEnd, width: 4, height: 4, data: new Uint16Array(16 * (zEnd - zStart)), version });

  it('2D: at most one new loader array per 100 ms; 3D: one per second or when a stack completes', async () => {
    const clock = new FakeClock();
    const image = await LiveImage.open(info, null);
    const rel2: number[] = [];
    const rel3: number[] = [];
    const t2 = watchImage(image, '2d', { clock, onRelease: (l) => rel2.push(l.version) });
    const t3 = watchImage(image, '3d', { clock, onRelease: (l) => rel3.push(l.version) });
    expect(t2.minIntervalMs).toBe(THROTTLE_2D_MS);
    expect(t3.minIntervalMs).toBe(THROTTLE_3D_MS);
    const first = t2.current;
    expect(first.levels).toBe(image.loaders());
    expect(first.mip).toBe(image.mipLoader());
    // 20 volume events 10 ms apart (200 ms): 2D releases at most every 100 ms.
    for (let i = 0; i < 20; i++) {
      image.apply(volume(0, 1, i + 1));
      clock.advance(10);
    }
    clock.advance(100);
    // Changes at 0–90 ms go out at 100 ms (version 10), those at 100–190 ms at 200 ms (version 20).
    expect(rel2).toEqual([10, 20]);
    expect(t2.current.levels).toBe(image.loaders());
    expect(t2.current.levels).not.toBe(first.levels);
    // 3D got nothing yet (the first change came inside its first second) …
    expect(rel3).toEqual([]);
    // … until a stack completes (the last plane arrives): at once.
    image.apply(volume(3, 4, 30));
    expect(rel3).toEqual([21]);
    expect(t3.current.volume).toBe(image.volumeLoader());
    // And a change a second later is released after the interval.
    image.apply(volume(0, 1, 31));
    clock.advance(999);
    expect(rel3).toEqual([21]);
    clock.advance(1);
    expect(rel3).toEqual([21, 22]);
    t2.dispose();
    t3.dispose();
    image.apply(volume(0, 1, 32));
    clock.advance(5000);
    expect(rel3).toEqual([21, 22]);
  });
});
