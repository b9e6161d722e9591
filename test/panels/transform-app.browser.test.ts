/**
 * The transforms in the built viewer app (Chromium, browser-only mode): after a short stack,
 * the 3D view's "Transformed volume" layer shows a rotation at once and a gaussian computed by
 * the worker pool (the cache counts it), with no layer error and no page error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'vite';
import { openBrowser } from '../browser/harness.ts';
import type { Harness } from '../browser/harness.ts';

let h: Harness;
let outDir: string;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'fv-xf-app-'));
  await build({ configFile: 'app/vite.config.ts', logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false, minify: false } });
  h = await openBrowser({
    html: readFileSync(path.join(outDir, 'index.html'), 'utf8').replace('<head>', '<head><script>window.__harnessReady = Promise.resolve(true);</script>'),
    dirs: { '/assets/': path.join(outDir, 'assets') },
    viewport: { width: 1280, height: 900 },
  });
}, 240_000);

afterAll(async () => {
  await h?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

it('rotates at once and smooths in the workers in the 3D view of the app', async () => {
  const page = h.page;
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByText(/^Connected to /).waitFor({ timeout: 30_000 });
  await page.getByRole('form', { name: 'Acquisition plan' }).getByLabel('Session name').fill('xf-test');
  await page.getByRole('button', { name: 'Start acquisition' }).click();
  await page.getByRole('button', { name: 'Start acquisition' }).waitFor({ timeout: 120_000 }); // the stack is done
  await page.getByRole('tab', { name: '3D' }).click();
  await page.getByRole('radio', { name: 'Transformed volume' }).check();
  const panel = page.getByRole('region', { name: 'Transforms' });
  await panel.getByLabel('Operation').selectOption('rotate');
  await panel.getByRole('button', { name: 'Add' }).click();
  await panel.getByLabel('Angle (°)').fill('30');
  await panel.getByRole('button', { name: 'Apply' }).click();
  if (process.env.FV_SHOTS) await page.screenshot({ path: `${process.env.FV_SHOTS}/transform-rotated.png` });
  await panel.getByLabel('Operation').selectOption('gaussian');
  await panel.getByRole('button', { name: 'Add' }).click();
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect.poll(async () => panel.getByLabel('Cache statistics').textContent(), { timeout: 60_000 }).toMatch(/^Cache: 0 hits, [1-9]\d* misses, [1-9]/);
  await panel.getByText('Idle').waitFor({ timeout: 60_000 });
  expect(await page.locator('main [role=alert]').allTextContents()).toEqual([]);
  expect(await panel.locator('[role=alert]').allTextContents()).toEqual([]);
  if (process.env.FV_SHOTS) {
    await page.waitForTimeout(3000); // the volume layer loads the result's planes
    await page.screenshot({ path: `${process.env.FV_SHOTS}/transform-resampled.png` });
  }
  // Only what concerns this feature (the viewer's own start-up messages are the shell's business).
  expect(h.errors.filter((e) => /transform|TransformPanel|setState|Cannot update a component/i.test(e))).toEqual([]);
}, 240_000);
