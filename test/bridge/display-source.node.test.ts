import { describe, expect, it } from 'vitest';
import { decodeDataEvent } from '../../src/acquisition/remote/wire.ts';
import { InlineDisplaySource } from '../../src/bridge/display-source.ts';
import { ThreadDisplaySource } from '../../src/bridge/display-thread.ts';
import { prng } from '../support.ts';

const levelShapes = [
  [2, 6, 96, 80],
  [2, 6, 48, 40],
  [2, 6, 24, 20],
];

function frames(): Array<{ channel: number; z: number; y: number; x: number; width: number; height: number; pixels: Uint16Array; frameNumber: number; acquiredAtMs: number }> {
  const rnd = prng(11);
  const out = [];
  let n = 0;
  for (let channel = 0; channel < 2; channel++) {
    for (let z = 0; z < 6; z++) {
      // Two overlapping tiles per plane, so accumulation and window reduction both matter.
      for (const [y, x] of [[0, 0], [30, 24]] as const) {
        const pixels = new Uint16Array(64 * 56).map(() => Math.floor(rnd() * 4000));
        out.push({ channel, z, y, x, width: 56, height: 64, pixels, frameNumber: n++, acquiredAtMs: n });
      }
    }
  }
  return out;
}

/** Waits until the thread has placed `frames` frames (its data version counts them). */
async function caughtUp(thread: ThreadDisplaySource, frames: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (thread.version < frames && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(thread.version).toBe(frames);
}

describe('display sources', () => {
  it('the worker-thread source answers exactly what the inline producer answers, and skips nothing when it keeps up', async () => {
    const options = { session: 'tiles', levelShapes, displayLevel: 1 };
    const inline = new InlineDisplaySource(options);
    const thread = new ThreadDisplaySource({ ...options, maxFramesInFlight: 1000 });
    try {
      const all = frames();
      for (const f of all.slice(0, 13)) {
        inline.putFrame(f);
        thread.putFrame(f);
      }
      const ask = [0, 1, 2].flatMap((level) => [0, 1].map((channel) => ({ channel, level })));
      const a = await inline.planes(ask);
      const b = await thread.planes(ask);
      expect(b.map((p) => p.bytes === null)).toEqual(a.map((p) => p.bytes === null));
      expect(a.filter((p) => p.bytes).map((p) => decodeDataEvent(p.bytes!))).toMatchObject([
        { channel: 0, level: 0, width: 80, height: 96, z: 5, frameNumber: 11 },
        { channel: 1, level: 0, z: 0, frameNumber: 12 },
        { channel: 0, level: 1, width: 40, height: 48 },
        { channel: 1, level: 1 },
        { channel: 0, level: 2, width: 20, height: 24 },
        { channel: 1, level: 2 },
      ]);
      // The same planes; only the data version in them may differ (the thread may not have placed every frame yet).
      const sansVersion = (bytes: Uint8Array) => ({ ...decodeDataEvent(bytes), version: 0 });
      for (let i = 0; i < a.length; i++) expect(sansVersion(b[i]!.bytes!)).toEqual(sansVersion(a[i]!.bytes!));
      for (const f of all.slice(13)) {
        inline.putFrame(f);
        thread.putFrame(f);
      }
      await caughtUp(thread, all.length);
      const da = await inline.takeDirty();
      expect(await thread.takeDirty()).toEqual(da);
      expect(da).toEqual([
        { channel: 0, zStart: 0, zEnd: 6 },
        { channel: 1, zStart: 0, zEnd: 6 },
      ]);
      const va = await inline.volume(1, 2, 5);
      const vb = await thread.volume(1, 2, 5);
      expect(Buffer.from(vb).equals(Buffer.from(va))).toBe(true);
      expect(decodeDataEvent(va)).toMatchObject({ type: 'volume', channel: 1, level: 1, zStart: 2, zEnd: 5, width: 40, height: 48, version: all.length });
      expect(thread.version).toBe(all.length);
      expect(thread.framesSkipped).toBe(0);
      expect(await thread.takeDirty()).toEqual([]);
    } finally {
      await thread.close();
    }
    await expect(thread.planes([{ channel: 0, level: 0 }])).rejects.toThrow(/closed|exited/);
  }, 30_000);

  it('answers a plane request with the newest frame while the thread still works through a backlog, and ends with the same display volume', async () => {
    // Large planes, so that 40 frames take the thread a while to place.
    const shapes = [
      [1, 40, 1024, 1024],
      [1, 40, 512, 512],
      [1, 40, 256, 256],
    ];
    const options = { session: 'backlog', levelShapes: shapes, displayLevel: 2 };
    const inline = new InlineDisplaySource(options);
    const thread = new ThreadDisplaySource({ ...options, maxFramesInFlight: 1000 });
    try {
      const rnd = prng(5);
      const stack = Array.from({ length: 40 }, (_, z) => ({ channel: 0, z, y: 0, x: 0, width: 1024, height: 1024, pixels: new Uint16Array(1024 * 1024).map(() => Math.floor(rnd() * 4000)), frameNumber: z, acquiredAtMs: z }));
      for (const f of stack) thread.putFrame(f);
      const [plane] = await thread.planes([{ channel: 0, level: 1 }]);
      expect(thread.version).toBeLessThan(40); // not every frame was placed yet …
      const got = decodeDataEvent(plane!.bytes!);
      for (const f of stack) inline.putFrame(f);
      const [want] = await inline.planes([{ channel: 0, level: 1 }]);
      expect(got).toMatchObject({ z: 39, frameNumber: 39 }); // … but the plane is the newest
      expect({ ...got, version: 0 }).toEqual({ ...decodeDataEvent(want!.bytes!), version: 0 });
      await caughtUp(thread, 40);
      // Older frames placed afterwards did not become the newest plane.
      expect(decodeDataEvent((await thread.planes([{ channel: 0, level: 1 }]))[0]!.bytes!)).toMatchObject({ z: 39, frameNumber: 39 });
      expect(Buffer.from(await thread.volume(0, 0, 40)).equals(Buffer.from(await inline.volume(0, 0, 40)))).toBe(true);
      expect(thread.framesSkipped).toBe(0);
    } finally {
      await thread.close();
    }
  }, 60_000);
});
