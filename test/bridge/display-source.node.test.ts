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
      for (let i = 0; i < a.length; i++) expect(Buffer.from(b[i]!.bytes!).equals(Buffer.from(a[i]!.bytes!))).toBe(true);
      for (const f of all.slice(13)) {
        inline.putFrame(f);
        thread.putFrame(f);
      }
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
});
