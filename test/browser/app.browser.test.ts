/**
 * The viewer app in Chromium, browser-only mode (simulated microscope in a worker, sessions in
 * OPFS), driven by role like a person: connect, start a z-stack, watch the counters move, see
 * the phantom in the 2D canvas, switch to 3D and back, stop, save, reload and open the session
 * again; a bad session URL shows an error in the panel and the app stays usable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';
import { createPhantom } from '../../src/acquisition/simulator/phantom.ts';
import { SimulatedConnector } from '../../src/acquisition/simulator/connector.ts';

let h: Harness;
let outDir: string;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'fv-app-'));
  await build({ configFile: 'app/vite.config.ts', logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false, minify: false } });
  h = await openBrowser({
    // The harness waits for `window.__harnessReady`; the app renders on its own.
    html: readFileSync(path.join(outDir, 'index.html'), 'utf8').replace('<head>', '<head><script>window.__harnessReady = Promise.resolve(true);</script>'),
    dirs: { '/assets/': path.join(outDir, 'assets') },
    viewport: { width: 1280, height: 900 },
  });
}, 240_000);

afterAll(async () => {
  if (process.env.FV_SHOTS) console.log(h?.errors.join('\n'));
  await h?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});


/** RGBA pixels of an 8-bit RGB/RGBA PNG (what Chromium screenshots are). */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || (data[9] !== 6 && data[9] !== 2) || data[12] !== 0) throw new Error('Only 8-bit RGB/RGBA non-interlaced PNGs are decoded here.');
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let v = src[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([out[i * 3]!, out[i * 3 + 1]!, out[i * 3 + 2]!, 255], i * 4);
  return { width, height, rgba };
}

/** Mean absolute difference per colour component of two screenshots of one size (0–255). */
function meanDifference(a: { rgba: Uint8Array }, b: { rgba: Uint8Array }): number {
  if (a.rgba.length !== b.rgba.length) return 255;
  let sum = 0;
  for (let i = 0; i < a.rgba.length; i++) if ((i & 3) !== 3) sum += Math.abs(a.rgba[i]! - b.rgba[i]!);
  return sum / ((a.rgba.length / 4) * 3);
}

/** Brightest colour component of the screenshot at screen point (x, y). */
function brightness(img: { width: number; rgba: Uint8Array }, x: number, y: number): number {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return Math.max(img.rgba[i]!, img.rgba[i + 1]!, img.rgba[i + 2]!);
}

/** Image pixels (col, row) where the phantom is brightest and darkest in one plane, spread over the frame. */
function knownPositions(expected: Float32Array, width: number, height: number): { bright: Array<[number, number]>; dark: Array<[number, number]> } {
  const sorted = Float32Array.from(expected).sort();
  const hi = sorted[Math.floor(sorted.length * 0.99)]!;
  const lo = sorted[Math.floor(sorted.length * 0.3)]!;
  const bright: Array<[number, number]> = [];
  const dark: Array<[number, number]> = [];
  for (let r = 4; r < height - 4; r += 3) {
    for (let c = 4; c < width - 4; c += 3) {
      const v = expected[r * width + c]!;
      if (v >= hi) bright.push([c, r]);
      else if (v <= lo) dark.push([c, r]);
    }
  }
  return { bright, dark };
}

function counters(page: Page): Promise<string> {
  return page.getByRole('status', { name: 'Counters' }).innerText();
}

function acquired(text: string): number {
  const m = /Frames acquired (\d+) of (\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

describe('viewer app (browser-only)', () => {
  it('starts in browser-only mode with the contributed panels and the 2D/3D switch', async () => {
    const page = h.page;
    await page.getByRole('heading', { name: 'Acquisition' }).waitFor();
    await page.getByRole('heading', { name: 'Session' }).waitFor();
    expect(await page.getByRole('tab', { name: '2D' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByText('In this browser').count()).toBe(1);
  });

  it('connects to the simulator, runs a z-stack and the counters move', async () => {
    const page = h.page;
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText(/^Connected to /).waitFor({ timeout: 30_000 });
    const plan = page.getByRole('form', { name: 'Acquisition plan' });
    await plan.getByLabel('Session name').fill('app-test');
    await page.getByRole('button', { name: 'Start acquisition' }).click();
    await page.getByRole('button', { name: 'Stop' }).waitFor();
    let first = -1;
    await expect.poll(async () => (first = acquired(await counters(page))), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(async () => acquired(await counters(page)), { timeout: 60_000 }).toBeGreaterThan(first);
    expect(await page.getByRole('region', { name: '2D view' }).count()).toBe(1);
    if (process.env.FV_SHOTS) {
      await page.waitForTimeout(3000);
      await page.screenshot({ path: `${process.env.FV_SHOTS}/2d.png` });
    }
  });

  it('switches to 3D and back', async () => {
    const page = h.page;
    await page.getByRole('tab', { name: '3D' }).click();
    expect(await page.getByRole('tab', { name: '3D' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('region', { name: '3D view' }).waitFor();
    if (process.env.FV_SHOTS) {
      await page.waitForTimeout(4000);
      await page.screenshot({ path: `${process.env.FV_SHOTS}/3d.png` });
    }
    await page.getByRole('tab', { name: '2D' }).click();
    await page.getByRole('region', { name: '2D view' }).waitFor();
  });

  it('stops the acquisition and the writer dropped nothing', async () => {
    const page = h.page;
    const stop = page.getByRole('button', { name: 'Stop' });
    // The stack may end on its own meanwhile: then Stop is disabled again and there is nothing to stop.
    await stop.click({ timeout: 5000 }).catch(() => undefined);
    await expect.poll(async () => page.getByRole('button', { name: 'Start acquisition' }).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await counters(page)).toContain('dropped by writer 0');
  });


  it('draws the phantom where the phantom has it in 2D, and renders the volume in 3D', async () => {
    const page = h.page;
    // What the simulator images: seed 1, a 512 × 512 camera at the home position (X 8, Y 14 mm).
    const scope = new SimulatedConnector({ simulator: { seed: 1, frameWidth: 512, frameHeight: 512 } });
    const info = await scope.connect();
    await scope.close();
    const k = 25; // plane 25 of 50 from 19 to 19.1 mm (z step 0.1 mm / 49)
    const expected = createPhantom(1).renderPlane({ centerXMm: 8, centerYMm: 14, zMm: 19 + (k * 0.1) / 49, width: 512, height: 512, pixelSizeUm: info.pixelSizeUm, channel: 0, side: 'left' });
    const { bright, dark } = knownPositions(expected, 512, 512);
    expect(bright.length).toBeGreaterThan(50);

    await page.getByLabel('Follow newest plane').uncheck();
    await page.getByLabel('Plane', { exact: true }).fill(String(k));
    expect(await page.getByLabel('Plane shown').innerText()).toBe(`${k + 1} of 50`);
    const region = page.getByRole('region', { name: '2D view' });
    /** Mean brightness at the bright places minus at the dark ones, in the 2D view's screenshot. */
    const contrastOf = async (places: { bright: Array<[number, number]>; dark: Array<[number, number]> }): Promise<number> => {
      const cam = JSON.parse((await region.getAttribute('data-camera')) ?? 'null') as { target: number[]; zoom: number } | null;
      if (cam === null) return 0;
      const img = decodePng(await region.screenshot());
      const s = 2 ** cam.zoom;
      const at = ([c, r]: [number, number]): [number, number] => [(c + 0.5 - cam.target[0]!) * s + img.width / 2, (r + 0.5 - cam.target[1]!) * s + img.height / 2];
      const inside = ([x, y]: [number, number]): boolean => x >= 0 && y >= 0 && x < img.width && y < img.height && !(x > img.width - 220 && y > img.height - 220);
      const mean = (pts: Array<[number, number]>): number => {
        const vals = pts.map(at).filter(inside).map(([x, y]) => brightness(img, x, y));
        return vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length);
      };
      return mean(places.bright) - mean(places.dark);
    };
    // The phantom's brightest places are drawn much brighter than its darkest ones, and far more
    // so than the same places mirrored (x and y swapped): the structures are where the phantom
    // has them, whatever display range the auto-contrast picked.
    const mirrored = { bright: bright.map(([c, r]): [number, number] => [r, c]), dark: dark.map(([c, r]): [number, number] => [r, c]) };
    await expect
      .poll(async () => {
        const real = await contrastOf({ bright, dark });
        const control = await contrastOf(mirrored);
        return real > 30 && real > 2 * Math.max(control, 1) ? 'placed' : `bright − dark ${real.toFixed(1)}, mirrored ${control.toFixed(1)}; ${await counters(page)}`;
      }, { timeout: 30_000, interval: 1000 })
      .toBe('placed');

    await page.getByRole('tab', { name: '3D' }).click();
    const region3d = page.getByRole('region', { name: '3D view' });
    const litFraction = async (): Promise<number> => {
      const img = decodePng(await region3d.screenshot());
      let lit = 0;
      for (let y = 0; y < img.height; y += 2) for (let x = 0; x < img.width; x += 2) if (brightness(img, x, y) > 60) lit++;
      return lit / ((img.height / 2) * (img.width / 2));
    };
    // The volume shows up: a good part of the view is lit by the phantom's structures.
    await expect.poll(litFraction, { timeout: 30_000, interval: 1000 }).toBeGreaterThan(0.02);
    await page.getByRole('tab', { name: '2D' }).click();
    await page.getByLabel('Follow newest plane').check();
  });

  it('saves the viewer state, and a reloaded page opens the session with it', async () => {
    const page = h.page;
    await page.getByLabel('Follow newest plane').uncheck();
    await page.getByLabel('Plane', { exact: true }).fill('20');
    await page.getByLabel('Contrast maximum of 405 nm').fill('321');
    const region2d = page.getByRole('region', { name: '2D view' });
    // What the 2D view shows before saving, once it has settled.
    let before = decodePng(await region2d.screenshot());
    await expect
      .poll(async () => {
        const now = decodePng(await region2d.screenshot());
        const d = meanDifference(before, now);
        before = now;
        return d;
      }, { timeout: 30_000, interval: 1500 })
      .toBeLessThan(0.5);
    await page.getByRole('tab', { name: '3D' }).click();
    const region3d = page.getByRole('region', { name: '3D view' });
    await expect.poll(async () => region3d.getAttribute('data-camera'), { timeout: 30_000 }).not.toBe('null');
    // Turn the volume a little, as a person would, so the camera to restore is not the default one.
    const box = (await region3d.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 30, { steps: 2 });
    await page.mouse.up();
    const saved = JSON.parse((await region3d.getAttribute('data-camera'))!) as { rotationOrbit: number; rotationX: number; zoom: number };
    expect(Math.abs(saved.rotationOrbit) + Math.abs(saved.rotationX)).toBeGreaterThan(1);
    await page.getByLabel('Description').fill('saved by the app test');
    await page.getByRole('button', { name: 'Save session' }).click();
    await page.getByText(/^Saved app-test/).waitFor({ timeout: 30_000 });

    await h.reload();
    await page.getByRole('heading', { name: 'Session' }).waitFor();
    expect(await page.getByRole('tab', { name: '2D' }).getAttribute('aria-selected')).toBe('true');
    const list = page.getByRole('listbox', { name: 'Stored sessions' });
    await expect.poll(async () => list.locator('option').allInnerTexts(), { timeout: 30_000 }).toContainEqual(expect.stringContaining('app-test'));
    await list.selectOption('app-test');
    await page.getByRole('button', { name: 'Open session' }).click();
    await page.getByText('Opened app-test.').waitFor({ timeout: 30_000 });
    await expect.poll(async () => page.getByLabel('Contrast maximum of 405 nm').inputValue(), { timeout: 30_000 }).toBe('321');
    expect(await page.getByRole('tab', { name: '3D' }).getAttribute('aria-selected')).toBe('true');
    const restored = async (): Promise<number[]> => {
      const cam = JSON.parse((await page.getByRole('region', { name: '3D view' }).getAttribute('data-camera')) ?? 'null') as typeof saved | null;
      return cam === null ? [] : [cam.rotationOrbit, cam.rotationX, cam.zoom].map((v) => Math.round(v * 1000) / 1000);
    };
    await expect.poll(restored, { timeout: 30_000 }).toEqual([saved.rotationOrbit, saved.rotationX, saved.zoom].map((v) => Math.round(v * 1000) / 1000));
    // The same pixels come back in 2D: same plane, contrast and camera.
    await page.getByRole('tab', { name: '2D' }).click();
    expect(await page.getByLabel('Plane shown').innerText()).toBe('21 of 50');
    await expect.poll(async () => meanDifference(before, decodePng(await region2d.screenshot())), { timeout: 30_000, interval: 1500 }).toBeLessThan(1);
  }, 180_000);

  it('shows an error for a bad session URL and stays usable', async () => {
    const page = h.page;
    await page.getByLabel('Session URL').fill(h.url('/nothing-here.ome.zarr/'));
    await page.getByRole('button', { name: 'Open URL' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Open URL failed' });
    await alert.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText(/^Connected to /).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Start acquisition' }).isEnabled()).toBe(true);
    await page.getByRole('tab', { name: '3D' }).click();
    expect(await page.getByRole('tab', { name: '3D' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: '2D' }).click();
  });
  it('loads test data from an .npy file and shows it', async () => {
    const page = h.page;
    // 8 planes of 64 × 64 uint16, a bright square in the middle.
    const values = new Uint16Array(8 * 64 * 64).fill(100);
    for (let z = 0; z < 8; z++) for (let y = 24; y < 40; y++) for (let x = 24; x < 40; x++) values[(z * 64 + y) * 64 + x] = 4000;
    let header = "{'descr': '<u2', 'fortran_order': False, 'shape': (8, 64, 64), }";
    while ((10 + header.length + 1) % 64 !== 0) header += ' ';
    header += '\n';
    const bytes = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length & 255, header.length >> 8]), Buffer.from(header), Buffer.from(values.buffer)]);
    await page.getByLabel('Test data file (.tif, .npy)').setInputFiles({ name: 'square.npy', mimeType: 'application/octet-stream', buffer: bytes });
    await page.getByText(/^Loaded square/).waitFor({ timeout: 30_000 });
    await expect.poll(async () => page.getByRole('region', { name: '2D view' }).getAttribute('data-layers'), { timeout: 30_000 }).toBe('1');
    expect(await page.getByLabel('Plane shown').innerText()).toBe('5 of 8');
    // The display range spans the data: background 100, square 4000.
    const channel = page.locator('.fv-channels li').first();
    await expect.poll(async () => channel.locator('input[type=number]').evaluateAll((els) => els.map((e) => Number((e as HTMLInputElement).value))), { timeout: 30_000 }).toEqual([100, 4000]);
  });
});
