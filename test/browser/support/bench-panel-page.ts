/**
 * The page of the Benchmark panel's browser test: the panel mounted alone with React, its
 * worker bundled as /bench-worker.js (and the transform pool's as /transform-worker.js), and
 * small sizes on offer so a run takes moments.
 *
 * @example
 * await page.getByRole('button', { name: 'Run benchmark' }).click();
 */
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { BenchmarkPanel } from '../../../src/panels/benchmark-panel.tsx';

const el = document.createElement('div');
document.body.append(el);
createRoot(el).render(
  createElement(BenchmarkPanel, {
    createWorker: () => new Worker('/bench-worker.js', { type: 'module' }),
    transformWorkerUrl: '/transform-worker.js',
    sizes: [8, 64],
  }),
);
