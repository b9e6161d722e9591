/**
 * The Benchmark panel's side of the benchmark worker: starts `src/bench/bench.worker.ts` as a
 * module worker and calls it through comlink. `run` resolves with the suite's run (partial and
 * `cancelled: true` after `cancel()`); `close` ends the worker.
 *
 * @example
 * const bench = BenchClient.inWorker();
 * const run = await bench.run({ sizes: [100], iterations: 3 }, (p) => setProgress(p.fraction));
 * bench.close();
 */
import { proxy, wrap } from 'comlink';
import type { Endpoint, Remote } from 'comlink';
import type { BenchApi, BenchRunOptions } from '../bench/bench-api.ts';
import type { SuiteProgress, SuiteRun } from '../bench/runner.ts';

export class BenchClient {
  private readonly remote: Remote<BenchApi>;
  private readonly stop: () => void;

  /** A client over any comlink endpoint (a worker, a `MessagePort`); `stop` ends it. */
  constructor(endpoint: Endpoint, stop: () => void = () => undefined) {
    this.remote = wrap<BenchApi>(endpoint);
    this.stop = stop;
  }

  /** Starts the benchmark worker (browsers, bundlers that resolve `new URL(…, import.meta.url)`). */
  static inWorker(createWorker?: () => Worker): BenchClient {
    const worker = createWorker ? createWorker() : new Worker(new URL('../bench/bench.worker.ts', import.meta.url), { type: 'module', name: 'flamingo-viv benchmark' });
    return new BenchClient(worker, () => worker.terminate());
  }

  run(options: BenchRunOptions, onProgress?: (p: SuiteProgress) => void): Promise<SuiteRun> {
    return this.remote.run(options, onProgress ? proxy(onProgress) : undefined) as Promise<SuiteRun>;
  }

  /** Stops the run in progress: `run` then resolves with the tests done so far. */
  async cancel(): Promise<void> {
    await this.remote.cancel();
  }

  close(): void {
    this.stop();
  }
}
