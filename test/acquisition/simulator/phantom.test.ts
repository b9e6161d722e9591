import { describe, expect, it } from 'vitest';
import { createPhantom, LED_CHANNEL, type PlaneView } from '../../../src/acquisition/simulator/phantom.ts';

const P_UM = 1.0475;

function view(over: Partial<PlaneView>): PlaneView {
  return { centerXMm: 8, centerYMm: 14, zMm: 19, width: 64, height: 48, pixelSizeUm: P_UM, channel: 0, side: 'left', ...over };
}

const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

describe('phantom', () => {
  const ph = createPhantom(11);

  it('is deterministic per seed and differs between seeds', () => {
    const again = createPhantom(11);
    expect(again.nuclei.length).toBe(ph.nuclei.length);
    expect(again.nuclei.slice(0, 50)).toEqual(ph.nuclei.slice(0, 50));
    expect(again.fibres).toEqual(ph.fibres);
    const v = view({});
    expect(again.renderPlane(v)).toEqual(ph.renderPlane(v));
    const other = createPhantom(12);
    expect(other.nuclei[0]).not.toEqual(ph.nuclei[0]);
  });

  it('places nuclei inside the capillary, with per-channel structures', () => {
    const cap = ph.capillary;
    for (const n of ph.nuclei) expect(Math.hypot(n.xMm - cap.xMm, n.zMm - cap.zMm)).toBeLessThan(cap.innerRadiusMm);
    const count = (ch: number): number => ph.nuclei.filter((n) => n.channels.includes(ch)).length;
    expect(count(0)).toBe(ph.nuclei.length);
    expect(count(1)).toBeGreaterThan(0);
    expect(count(1)).toBeLessThan(ph.nuclei.length);
    expect(count(3)).toBeLessThan(count(1));
    const planes = [0, 1, 2, 3].map((channel) => ph.renderPlane(view({ channel })));
    for (let i = 1; i < 4; i++) expect(planes[i]).not.toEqual(planes[0]);
    expect(ph.fibres.every((f) => f.channels.includes(2))).toBe(true);
  });

  it('shows a nucleus at the expected pixel, bright in its channels and dark off its plane', () => {
    const n = ph.nuclei.find((k) => k.kind === 'scattered' && k.channels.includes(3) && !k.channels.includes(1))!;
    // Stage so that the nucleus sits at column 40.5 + 0.5, row 10: pixel (row 10, col 41) is its centre.
    const p = P_UM / 1000;
    const v = view({ centerXMm: n.xMm - (41 - 31.5) * p, centerYMm: n.yMm - (10 - 23.5) * p, zMm: n.zMm, channel: 3 });
    const img = ph.renderPlane(v);
    const centre = img[10 * 64 + 41]!;
    expect(centre).toBeGreaterThan(n.brightness[3]! * 0.5);
    expect(centre).toBeGreaterThan(mean(img) * 2);
    // The same spot in a channel it lacks, and 50 µm off its plane, holds background only.
    expect(ph.renderPlane({ ...v, channel: 1 })[10 * 64 + 41]!).toBeLessThan(centre / 3);
    expect(ph.renderPlane({ ...v, zMm: n.zMm + 0.05 })[10 * 64 + 41]!).toBeLessThan(centre / 3);
  });

  it('falls off across the sample from the illuminated side', () => {
    const wide = { centerXMm: ph.capillary.xMm, zMm: ph.capillary.zMm, centerYMm: 20, width: 160, height: 8, pixelSizeUm: 10, channel: 0 };
    const left = ph.renderPlane(view({ ...wide, side: 'left' }));
    const right = ph.renderPlane(view({ ...wide, side: 'right' }));
    const cols = (img: Float32Array, c0: number, c1: number): number => {
      const vals: number[] = [];
      for (let r = 0; r < 8; r++) for (let c = c0; c < c1; c++) vals.push(img[r * 160 + c]!);
      return mean(vals);
    };
    // Inside the capillary (±0.9 mm = ±90 columns of 10 µm): compare the outer thirds.
    expect(cols(left, 20, 50)).toBeGreaterThan(cols(left, 110, 140));
    expect(cols(right, 110, 140)).toBeGreaterThan(cols(right, 20, 50));
  });

  it('renders LED light as a bright background with darker nuclei', () => {
    const led = ph.renderPlane(view({ channel: LED_CHANNEL }));
    expect(mean(led)).toBeGreaterThan(1500);
    expect(Math.min(...led)).toBeLessThan(Math.max(...led));
  });

  it('renders counts in one pass: offset + electrons × scale, rounded and capped', () => {
    const v = view({ channel: 1 });
    const e = ph.renderPlane(v);
    const counts = ph.renderCounts(v, 2, 100, 60000, new Uint16Array(64 * 48));
    for (let i = 0; i < e.length; i++) expect(Math.abs(counts[i]! - (100 + 2 * e[i]!))).toBeLessThanOrEqual(2);
    const capped = ph.renderCounts(v, 1000, 100, 500, new Uint16Array(64 * 48));
    expect(Math.max(...capped)).toBe(500);
  });

  it('refuses a bad plane size', () => {
    expect(() => ph.renderPlane(view({ width: 0 }))).toThrow(/positive integers/);
    expect(() => ph.renderPlane(view({ pixelSizeUm: 0 }))).toThrow(/Pixel size/);
  });
});
