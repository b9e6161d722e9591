/**
 * What the benchmark worker exposes over comlink: `run(options, onProgress)` runs the reference
 * suite in the worker's thread (one worker: the kernels inline; more: a transform pool started
 * inside the worker) and resolves with the run; `cancel()` stops the run in progress (an
 * `AbortSignal` cannot cross comlink, so the worker keeps its own). Plain object, so a test can
 * expose it over any `MessagePort`.
 *
 * @example
 * expose(createBenchApi()); // in bench.worker.ts
 * const api = wrap<BenchApi>(worker);
 * const run = await api.run({ sizes: [100], iterations: 3, workers: 2 }, proxy((p) => show(p)));
 * await api.cancel(); // from a Cancel button while `run` is pending: resolves with `cancelled: true`
 */
import { describeEnvironment } from './environment.ts';
import { inlineExecutor, poolExecutor } from './executor.ts';
import { runSuite, type SuiteOptions, type SuiteProgress, type SuiteRun, type TransformExecutor } from './runner.ts';
import { createBrowserTransformPool } from '../transforms/pool/browser-pool.ts';
import type { TransformPool } from '../transforms/pool/types.ts';

/** The suite's options as they cross to the worker (no signal, no callbacks). */
export interface BenchRunOptions extends Omit<SuiteOptions, 'environment' | 'signal' | 'onProgress' | 'onTestDone' | 'now' | 'offsets'> {
  /** Compute threads: 1 runs the kernels in the benchmark worker itself; more start a pool. Default 1. */
  workers?: number;
  /** The app version recorded in the environment. */
  appVersion?: string;
  /** URL of the transform pool's module worker (default: resolved next to the pool module). */
  transformWorkerUrl?: string;
}

export interface BenchApi {
  run(options: BenchRunOptions, onProgress?: (p: SuiteProgress) => void): Promise<SuiteRun>;
  /** Stops the run in progress (within one slab); no effect when none runs. */
  cancel(): void;
}

/** The API over fresh state; `makePool` may replace how a worker pool starts (tests). */
export function createBenchApi(makePool: (workers: number, url?: string) => TransformPool = defaultPool): BenchApi {
  let current: AbortController | null = null;
  return {
    async run(options, onProgress) {
      if (current) throw new Error('A benchmark run is already in progress in this worker; cancel it or wait for it to end.');
      const controller = new AbortController();
      current = controller;
      const { workers = 1, appVersion = 'unknown', transformWorkerUrl, ...suite } = options;
      let pool: TransformPool | null = null;
      try {
        const t0 = performance.now();
        let executor: TransformExecutor;
        if (workers > 1) {
          pool = makePool(workers, transformWorkerUrl);
          executor = poolExecutor(pool);
        } else {
          executor = inlineExecutor();
        }
        const environment = describeEnvironment({ appVersion, setupMs: pool ? performance.now() - t0 : null });
        return await runSuite(executor, { ...suite, environment, signal: controller.signal, ...(onProgress ? { onProgress } : {}) });
      } finally {
        current = null;
        await pool?.close();
      }
    },
    cancel() {
      current?.abort(new Error('The benchmark was cancelled.'));
    },
  };
}

function defaultPool(workers: number, url?: string): TransformPool {
  return createBrowserTransformPool(workers, url === undefined ? {} : { createWorker: () => new Worker(url, { type: 'module' }) });
}
