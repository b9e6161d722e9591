/**
 * The live layers drawn by deck.gl/Viv in real Chromium (WebGL2 on SwiftShader): live data
 * from a DisplayProducer reach the canvas at the right place, colour and brightness; the
 * contrast worker answers over comlink.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../browser/harness.ts';
import type { Harness } from '../browser/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await openBrowser({ entries: { main: 'test/layers/support/render-page.ts', 'contrast-worker': 'src/layers/contrast.worker.ts' } });
});
afterAll(async () => {
  await h?.close();
});

interface Drawn {
  size: number;
  rgba: number[];
  errors: string[];
}

async function draw(kind: 'plane' | 'mip' | 'volume'): Promise<Drawn> {
  return h.page.evaluate((k) => (globalThis as unknown as { renderPage: { draw(kind: string): Promise<Drawn> } }).renderPage.draw(k), kind);
}

function px(d: Drawn, x: number, y: number): [number, number, number] {
  const i = (y * d.size + x) * 4;
  return [d.rgba[i]!, d.rgba[i + 1]!, d.rgba[i + 2]!];
}

it('draws plane z 2 of each channel in its colour at its place (2D, zoom −1)', async () => {
  const d = await draw('plane');
  expect(d.errors).toEqual([]);
  // Channel 0's square (z 2) at image (350, 150) → screen (175, 75): green.
  const [r0, g0, b0] = px(d, 175, 75);
  expect(g0).toBeGreaterThan(200);
  expect(r0).toBeLessThan(60);
  expect(b0).toBeLessThan(60);
  // Channel 1's square at image (550, 550) → screen (275, 275): magenta.
  const [r1, g1, b1] = px(d, 275, 275);
  expect(r1).toBeGreaterThan(200);
  expect(b1).toBeGreaterThan(200);
  expect(g1).toBeLessThan(60);
  // Background 100 of 2000 / 3000: dark.
  expect(Math.max(...px(d, 40, 300))).toBeLessThan(40);
});

it('draws the max-intensity projection in level-0 coordinates', async () => {
  const d = await draw('mip');
  expect(d.errors).toEqual([]);
  expect(px(d, 175, 75)[1]).toBeGreaterThan(200);
  expect(px(d, 275, 275)[0]).toBeGreaterThan(200);
  expect(Math.max(...px(d, 40, 300))).toBeLessThan(40);
});

it('draws the display volume in 3D (MIP): the squares of both channels show', async () => {
  const d = await draw('volume');
  expect(d.errors).toEqual([]);
  let green = 0;
  let magenta = 0;
  for (let i = 0; i < d.rgba.length; i += 4) {
    const [r, g, b] = [d.rgba[i]!, d.rgba[i + 1]!, d.rgba[i + 2]!];
    if (g > 150 && r < 80 && b < 80) green++;
    if (r > 150 && b > 150 && g < 80) magenta++;
  }
  // Each square is 100 × 100 level-0 voxels; seen at about a third of that scale: hundreds of pixels each.
  expect(green).toBeGreaterThan(100);
  expect(magenta).toBeGreaterThan(100);
});

it('computes contrast limits in the contrast worker (comlink, module worker)', async () => {
  const r = await h.page.evaluate(() => (globalThis as unknown as { renderPage: { contrast(): Promise<{ worker: [number, number]; here: [number, number] }> } }).renderPage.contrast());
  expect(r.worker).toEqual(r.here);
  // Channel 1: background 100 with a 3000 square covering about 1/59 of each plane.
  expect(r.worker).toEqual([100, 3000]);
});
