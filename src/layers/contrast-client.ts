/**
 * Contrast limits off the main thread: `ContrastClient.inWorker()` starts the module worker
 * `contrast.worker.ts` and calls it through comlink; the sample is taken on this side (at most
 * `maxSamples` values, default 65536) and copied to the worker, so the source array stays usable.
 *
 * @example
 * const contrast = ContrastClient.inWorker();
 * const [lo, hi] = await contrast.limits(plane.data, { lowPercentile: 1, highPercentile: 99.9 });
 * contrast.close();
 */
import { wrap } from 'comlink';
import type { Endpoint, Remote } from 'comlink';
import type { ContrastApi } from './contrast-api.ts';
import { DEFAULT_SAMPLE_SIZE, sampleForContrast } from './contrast.ts';
import type { ContrastOptions, NumericArray } from './contrast.ts';

export class ContrastClient {
  private readonly remote: Remote<ContrastApi>;
  private readonly stop: () => void;

  /** A client over any comlink endpoint (a worker, a `MessagePort`); `stop` ends it. */
  constructor(endpoint: Endpoint, stop: () => void = () => undefined) {
    this.remote = wrap<ContrastApi>(endpoint);
    this.stop = stop;
  }

  /** Starts `contrast.worker.ts` as a module worker (browsers). */
  static inWorker(): ContrastClient {
    const worker = new Worker(new URL('./contrast.worker.ts', import.meta.url), { type: 'module', name: 'flamingo-viv contrast' });
    return new ContrastClient(worker, () => worker.terminate());
  }

  /** `[low, high]` percentiles of a bounded sample of `data`. */
  async limits(data: NumericArray, options: ContrastOptions & { maxSamples?: number } = {}): Promise<[number, number]> {
    const { maxSamples = DEFAULT_SAMPLE_SIZE, ...percentiles } = options;
    const sample = sampleForContrast(data, maxSamples);
    return this.remote.limits(sample, percentiles);
  }

  close(): void {
    this.stop();
  }
}
