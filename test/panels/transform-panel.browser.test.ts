/**
 * The Transform panel with the transform layer in Chromium: Apply stores the entries in the
 * viewer state and shows a rotation at once as the layer's modelMatrix (no compute); a gaussian
 * is computed by the worker pool and swapped in; the cache counts it; transforms restored with a
 * session fill the form.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../browser/harness.ts';
import type { Harness } from '../browser/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await openBrowser({ entries: { main: 'test/panels/transform-panel-page.tsx', 'transform-worker': 'src/transforms/pool/worker.browser.ts' } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

interface LayerInfo { id: string; shape: number[]; modelMatrix: number[] | null; resampled: boolean }
interface Page {
  snapshot(): unknown[];
  restore(t: unknown[]): void;
  redraws(): number;
  reported(): string[];
  layerInfo(): LayerInfo[] | null;
  expectedMatrix(angle: number): number[];
  planeSum(z: number): Promise<number>;
}
const call = <T,>(f: (p: Page) => T): Promise<T> => h.page.evaluate(`(${f.toString()})(globalThis.transformPage)`) as Promise<T>;

it('applies a rotation at once as modelMatrix, then computes a gaussian in the workers and swaps it in', async () => {
  const page = h.page;
  expect(await call((p) => p.layerInfo())).toEqual([{ id: 'xf-0-#volume#', shape: [1, 16, 24, 20], modelMatrix: null, resampled: false }]);
  await page.getByLabel('Operation').selectOption('rotate');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByLabel('Angle (°)').fill('30');
  await page.getByRole('button', { name: 'Apply' }).click();
  expect(await call((p) => p.snapshot())).toEqual([{ op: 'rotate', params: { axis: 'z', angle_deg: 30, center_um: null, order: 1 } }]);
  const rotated = await call((p) => p.layerInfo());
  expect(rotated![0]!.modelMatrix).toEqual(await call((p) => p.expectedMatrix(30)));
  expect(rotated![0]!.resampled).toBe(false);
  expect(await page.getByLabel('Cache statistics').textContent()).toBe('Cache: 0 hits, 0 misses, 0 B');

  await page.getByLabel('Operation').selectOption('gaussian');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('button', { name: 'Apply' }).click();
  const before = await call((p) => p.redraws());
  const pending = await call((p) => p.layerInfo()); // asks the workers for the result
  expect(pending![0]!.resampled).toBe(false);
  await page.waitForFunction((n) => (globalThis as unknown as { transformPage: Page }).transformPage.redraws() > n, before);
  const done = await call((p) => p.layerInfo());
  expect(done).toEqual([{ id: expect.stringMatching(/^xf-0-r\d+-#volume#$/) as unknown as string, shape: [1, 16, 24, 20], modelMatrix: null, resampled: true }]);
  // The swapped-in source holds the smoothed data (about the input's mean of ~500 per voxel).
  expect(await call((p) => p.planeSum(8))).toBeGreaterThan(24 * 20 * 300);
  await page.waitForFunction(() => !document.body.textContent!.includes('Computing'));
  expect(await page.getByLabel('Cache statistics').textContent()).toBe('Cache: 0 hits, 1 misses, 15 kB');
  expect(await page.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
  expect(await call((p) => p.reported())).toEqual([]);
});

it('fills the form from transforms restored with a session', async () => {
  const page = h.page;
  await call((p) => p.restore([{ op: 'downsample', params: { factor: [2, 2, 2], reduce: 'max', channels: [0] } }]));
  await page.getByText('No transforms for All channels.').waitFor();
  await page.getByRole('combobox', { name: /^Channel/ }).selectOption('0');
  await page.getByRole('group', { name: '1. downsample ×2 (max)' }).waitFor();
  expect(await page.getByLabel('Factor').inputValue()).toBe('2');
  const info = await call((p) => p.layerInfo());
  expect(info![0]!.modelMatrix).not.toBeNull(); // the preview scales at once; the result follows
  expect(h.errors).toEqual([]);
});
