/**
 * The page of the transform pool's browser test: a pool of module workers (worker.browser.ts
 * bundled as /transform-worker.js), checked against the single-thread kernels in the page.
 *
 * @example
 * await page.evaluate(() => transformsPage.compare(2));
 */
import { applyPipeline } from '../../../src/transforms/apply.ts';
import { createBrowserTransformPool } from '../../../src/transforms/pool/browser-pool.ts';
import type { TransformOp, Volume } from '../../../src/transforms/types.ts';

function volume(n: number): Volume<Uint16Array> {
  const data = new Uint16Array(n * n * n);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = s % 65535;
  }
  return { data, shape: [n, n, n] };
}

const pipeline: TransformOp[] = [
  { op: 'gaussian', sigma: [1, 1, 1] },
  { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 },
  { op: 'shift', offset: [5, 5, 5], order: 1 },
];

const transformsPage = {
  async compare(workers: number): Promise<{ same: boolean[]; shared: boolean; progress: number[]; isolated: boolean }> {
    const pool = createBrowserTransformPool(workers, { createWorker: () => new Worker('/transform-worker.js', { type: 'module' }) });
    await pool.ready();
    const vol = volume(24);
    const ops: (TransformOp | TransformOp[])[] = [pipeline, { op: 'rotate', axis: 'z', angleDeg: 30, order: 0 }, { op: 'downsample', factor: 3, reduce: 'mean' }];
    const same: boolean[] = [];
    const progress: number[] = [];
    let shared = true;
    for (const op of ops) {
      const got = await pool.run(vol, op, { onProgress: (d) => progress.push(d) });
      const want = applyPipeline(vol, op);
      shared &&= got.data.buffer instanceof SharedArrayBuffer;
      same.push(got.data.length === want.data.length && got.data.every((v, i) => v === want.data[i]));
    }
    await pool.close();
    return { same, shared, progress, isolated: globalThis.crossOriginIsolated };
  },

  async cancel(): Promise<{ code: string; done: number; after: number[] }> {
    const pool = createBrowserTransformPool(2, { createWorker: () => new Worker('/transform-worker.js', { type: 'module' }) });
    const vol = volume(32);
    const ctrl = new AbortController();
    let done = 0;
    const code = await pool
      .run(vol, pipeline, { signal: ctrl.signal, onProgress: (d) => ((done = d), d === 2 && ctrl.abort()) })
      .then(() => 'none', (e: { code?: string }) => e.code ?? 'no code');
    const after = (await pool.run(vol, { op: 'downsample', factor: 2, reduce: 'max' })).shape.slice();
    await pool.close();
    const closed = await pool.run(vol, pipeline).then(() => 'none', (e: { code?: string }) => e.code ?? 'no code');
    return { code: `${code}/${closed}`, done, after };
  },
};

Object.assign(globalThis, { transformsPage });
