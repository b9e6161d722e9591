/**
 * The Benchmark panel in Chromium: a tiny suite runs in the benchmark worker and fills the
 * table and the chart; the JSON download is a file `parseRunFile` reads; a loaded run becomes
 * the baseline of a comparison (ratio and verdict per test); a long run can be cancelled.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseRunFile } from '../../src/bench/export.ts';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await openBrowser({
    entries: {
      main: 'test/browser/support/bench-panel-page.ts',
      'bench-worker': 'src/bench/bench.worker.ts',
      'transform-worker': 'src/transforms/pool/worker.browser.ts',
    },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function download(name: string): Promise<string> {
  const href = await h.page.getByRole('link', { name }).getAttribute('href');
  expect(href).toMatch(/^blob:/);
  return h.page.evaluate(async (url) => (await fetch(url)).text(), href!);
}

it('runs a tiny suite in the worker, fills the table, exports files the CLI reads, and compares with a loaded run', async () => {
  const page = h.page;
  await page.getByLabel('Iterations').fill('2');
  await page.getByLabel('Warm-up runs').fill('0');
  await page.getByLabel('Workers').fill('2');
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await page.getByRole('status').filter({ hasText: 'Complete: 7 result(s).' }).waitFor({ timeout: 60_000 });
  const table = page.getByRole('table', { name: 'Benchmark results' });
  expect(await table.getByRole('row').count()).toBe(8);
  expect(await table.getByRole('rowheader').allTextContents()).toEqual([
    'Gaussian Smoothing', 'Rotation 15°', 'Rotation 45°', 'Rotation 90°', 'Translation Shift', 'Downsample 3x', 'Full Pipeline',
  ]);
  expect(await page.getByRole('img', { name: /Mean time per test/ }).locator('rect').count()).toBe(7);
  expect(await page.getByRole('progressbar', { name: 'Benchmark progress' }).getAttribute('value')).toBe('100');

  const json = await download('Export JSON');
  const run = parseRunFile(json, 'benchmark_results.json');
  expect(run.source).toBe('flamingo-viv');
  expect(run.results.map((r) => [r.volume_size, r.iterations, r.samples_ms?.length])).toEqual(Array(7).fill(['8³', 2, 2]));
  expect(run.settings?.workers).toBe(2);
  expect(run.environment?.runtime).toBe('browser');
  expect(run.environment?.cross_origin_isolated).toBe(true);
  const csv = await download('Export CSV');
  expect(csv.split('\r\n')[0]!.startsWith('test_name,volume_size,iterations,mean_time_ms,std_time_ms,min_time_ms,max_time_ms,throughput_voxels_per_sec')).toBe(true);
  expect(parseRunFile(csv, 'benchmark_results.csv').results).toHaveLength(7);

  // The exported run as the baseline of the next one.
  await page.getByLabel('Load a previous run (JSON or CSV)').setInputFiles({ name: 'before.json', mimeType: 'application/json', buffer: Buffer.from(json) });
  await page.getByText(/^Baseline: before\.json/).waitFor();
  // The run shown against itself: ratio 1 inside the noise band for every test.
  await page.getByRole('columnheader', { name: 'Verdict' }).waitFor();
  expect(await table.locator('tbody tr td:last-child').allTextContents()).toEqual(Array(7).fill('noise'));
  expect(await table.locator('tbody tr td:nth-last-child(3)').allTextContents()).toEqual(Array(7).fill('×1.00 (+0.0 %)'));
}, 120_000);

it('cancels a long run and keeps the tests already done', async () => {
  const page = h.page;
  await page.getByLabel('8³').uncheck();
  await page.getByLabel('64³').check();
  await page.getByLabel('Iterations').fill('20');
  await page.getByLabel('Mode').selectOption('both');
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await page.getByRole('status').filter({ hasText: /^Running / }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('status').filter({ hasText: /^Cancelled: \d+ test\(s\) done\.$/ }).waitFor({ timeout: 60_000 });
  const status = await page.getByRole('status').textContent();
  const done = Number(/(\d+) test/.exec(status ?? '')![1]);
  expect(done).toBeLessThan(14);
  expect(h.errors).toEqual([]);
}, 120_000);
