import { describe, expect, it } from 'vitest';
import { CameraModel, displayRange } from '../../../src/acquisition/simulator/camera.ts';
import { FrameSource } from '../../../src/acquisition/simulator/frame-source.ts';
import { createPhantom } from '../../../src/acquisition/simulator/phantom.ts';
import { Rng } from '../../../src/acquisition/simulator/random.ts';

function stats(a: Uint16Array): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return { mean, variance: s2 / a.length - mean * mean };
}

describe('camera model', () => {
  const cam = new CameraModel();

  it('adds shot noise (variance ≈ signal) and read noise around the offset', () => {
    const rng = new Rng(5);
    const out = new Uint16Array(256 * 256);
    const bright = new Uint16Array(256 * 256).fill(100 + 400);
    cam.addNoise(bright, 256, out, rng);
    const b = stats(out);
    expect(b.mean).toBeGreaterThan(499);
    expect(b.mean).toBeLessThan(501);
    expect(b.variance).toBeGreaterThan(400 * 0.9);
    expect(b.variance).toBeLessThan(400 * 1.1);
    const dark = new Uint16Array(256 * 256).fill(100);
    cam.addNoise(dark, 256, out, rng);
    const d = stats(out);
    expect(d.mean).toBeCloseTo(100, 0);
    expect(Math.sqrt(d.variance)).toBeGreaterThan(1.1);
    expect(Math.sqrt(d.variance)).toBeLessThan(1.8);
    expect(Math.min(...out)).toBeGreaterThan(80);
  });

  it('adds the same noise statistics on odd widths and unaligned rows (the per-pixel path)', () => {
    const rng = new Rng(8);
    const w = 255;
    const base = new Uint16Array(w * 201).fill(100 + 900);
    const out = new Uint16Array(base.length);
    cam.addNoise(base.subarray(w), w, out.subarray(w), rng);
    const s = stats(out.subarray(w));
    expect(s.mean).toBeGreaterThan(998);
    expect(s.mean).toBeLessThan(1002);
    expect(s.variance).toBeGreaterThan(900 * 0.9);
    expect(s.variance).toBeLessThan(900 * 1.1);
    expect(out[0]).toBe(0); // rows outside the subarray untouched
  });

  it('gives fresh noise on every frame', () => {
    const rng = new Rng(6);
    const base = new Uint16Array(64 * 64).fill(300);
    const a = new Uint16Array(base.length);
    const b = new Uint16Array(base.length);
    cam.addNoise(base, 64, a, rng);
    cam.addNoise(base, 64, b, rng);
    expect(a).not.toEqual(b);
  });

  it('converts electrons to capped counts', () => {
    const out = new Uint16Array(3);
    cam.toBase(new Float32Array([0, 10.4, 1e9]), 1, out);
    expect(Array.from(out)).toEqual([100, 110, cam.maxBase]);
  });

  it('computes a display range from percentiles', () => {
    const plane = new Uint16Array(1000).map((_, i) => 100 + i);
    const r = displayRange(plane);
    expect(r.min).toBe(110);
    expect(r.max).toBe(1099);
    expect(displayRange(new Uint16Array(10).fill(7))).toEqual({ min: 7, max: 8 });
  });
});

describe('frame source', () => {
  const req = { xMm: 8, yMm: 14, zMm: 18.6, width: 64, height: 48, pixelSizeUm: 1.0475, side: 'left' as const, sources: [{ channel: 0, scale: 1 }] };

  it('caches clean planes, pools buffers and replays the last frame on request', () => {
    const src = new FrameSource(createPhantom(2));
    const a = src.frame(req);
    const bytes = a.payload.bytes.slice();
    a.payload.release();
    const b = src.frame(req);
    expect(src.stats).toMatchObject({ planeRenders: 1, planeCacheHits: 1, fresh: 2 });
    expect(b.payload.bytes).not.toEqual(bytes);
    const r = src.frame(req, true);
    expect(r.replayed).toBe(true);
    expect(r.payload).toBe(b.payload);
    r.payload.release();
    b.payload.release();
    const dark = src.frame({ ...req, sources: [] });
    expect(Math.max(...dark.payload.pixels)).toBeLessThan(120);
    expect(src.pool.reused).toBeGreaterThan(0); // the first frame's buffer came back
    dark.payload.release();
  });

  it('by default makes every frame for its own request, however far behind the clock is', () => {
    const src = new FrameSource(createPhantom(2));
    const exact = new FrameSource(createPhantom(2));
    const other = { ...req, zMm: 18.62 };
    for (const [i, r] of [req, req, other, req, other].entries()) {
      // An interval far below the synthesis cost: with replays this would resend earlier pixels.
      const f = src.next(r, 1e-6);
      const want = exact.frame(r);
      expect(f.replayed, `frame ${i}`).toBe(false);
      expect(f.payload.bytes, `frame ${i}`).toEqual(want.payload.bytes);
      f.payload.release();
      want.payload.release();
    }
    expect(src.stats.replayed).toBe(0);
    src.clear();
    exact.clear();
  });

  it('with replayWhenBehind, makes frames on the spot when cheap, else in the background while replaying the last one', async () => {
    const src = new FrameSource(createPhantom(2), { replayWhenBehind: true });
    const a = src.next(req, 1000);
    const b = src.next(req, 1000);
    expect([a.replayed, b.replayed]).toEqual([false, false]);
    expect(b.payload).not.toBe(a.payload);
    // An interval far below the synthesis cost: the clock replays until the background frame is done.
    const r = src.next(req, 1e-6);
    expect(r.replayed).toBe(true);
    expect(r.payload).toBe(b.payload);
    let fresh = src.next(req, 1e-6);
    for (let i = 0; i < 200 && fresh.replayed; i++) {
      fresh.payload.release();
      await new Promise((done) => setTimeout(done, 5));
      fresh = src.next(req, 1e-6);
    }
    expect(fresh.replayed).toBe(false);
    expect(fresh.payload).not.toBe(b.payload);
    for (const f of [a, b, r, fresh]) f.payload.release();
    src.clear();
  });
});
