/**
 * The browser transform pool in real Chromium (cross-origin isolated): module workers through
 * comlink on SharedArrayBuffers give the single-thread kernels' output; progress, cancellation
 * and closing behave as in Node.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await openBrowser({ entries: { main: 'test/browser/support/transforms-page.ts', 'transform-worker': 'src/transforms/pool/worker.browser.ts' } });
});
afterAll(async () => {
  await h?.close();
});

interface Page {
  compare(workers: number): Promise<{ same: boolean[]; shared: boolean; progress: number[]; isolated: boolean }>;
  cancel(): Promise<{ code: string; done: number; after: number[] }>;
}

it('matches the single-thread kernels with 1 and 2 workers', async () => {
  for (const workers of [1, 2]) {
    const r = await h.page.evaluate((w) => (globalThis as unknown as { transformsPage: Page }).transformsPage.compare(w), workers);
    expect(r.isolated).toBe(true);
    expect(r.shared).toBe(true);
    expect(r.same).toEqual([true, true, true]);
    expect(r.progress.length).toBe(workers * (4 + 4 + 1 + 4 + 1)); // 4 slabs per worker, 1 for copies and downsampling
  }
});

it('cancels between slabs and refuses work once closed', async () => {
  const r = await h.page.evaluate(() => (globalThis as unknown as { transformsPage: Page }).transformsPage.cancel());
  expect(r.code).toBe('cancelled/closed');
  expect(r.done).toBeLessThanOrEqual(4);
  expect(r.after).toEqual([16, 16, 16]);
  expect(h.errors).toEqual([]);
});
