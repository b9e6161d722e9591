/**
 * The browser transform pool: module workers driven through comlink, sharing SharedArrayBuffers
 * (the page must be cross-origin isolated: COOP same-origin + COEP require-corp), with the same
 * slab scheduling, progress and cancellation as the Node pool.
 *
 * @example
 * const pool = createBrowserTransformPool(navigator.hardwareConcurrency);
 * const out = await pool.run(vol, { op: 'gaussian', sigma: [1, 1, 1] }, { signal });
 * await pool.close();
 */
import { releaseProxy, wrap } from 'comlink';
import type { Remote } from 'comlink';
import { TransformError } from '../types.ts';
import { SlabPool } from './scheduler.ts';
import type { SlabRunner } from './scheduler.ts';
import type { SlabTask } from './slab.ts';
import type { TransformWorkerApi } from './worker.browser.ts';

export interface BrowserPoolOptions {
  /** Makes one worker running worker.browser.ts (default: a module worker from this module's URL). */
  createWorker?: () => Worker;
}

class BrowserRunner implements SlabRunner {
  private readonly api: Remote<TransformWorkerApi>;
  private dead: TransformError | null = null;
  private readonly pending = new Set<(e: Error) => void>();

  constructor(private readonly worker: Worker) {
    this.api = wrap<TransformWorkerApi>(worker);
    worker.addEventListener('error', (e) => this.fail(new TransformError('worker-failed', `A transform worker failed: ${e.message || 'it could not load'}.`)));
  }

  private fail(e: TransformError): void {
    this.dead ??= e;
    for (const reject of this.pending) reject(this.dead);
    this.pending.clear();
  }

  run(task: SlabTask): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<void>((resolve, reject) => {
      this.pending.add(reject);
      this.api.run(task).then(
        (r) => {
          this.pending.delete(reject);
          if (r) reject(new TransformError(r.code, r.error));
          else resolve();
        },
        (e: unknown) => {
          this.pending.delete(reject);
          reject(new TransformError('worker-failed', `A transform worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
        },
      );
    });
  }

  terminate(): Promise<void> {
    this.fail(new TransformError('closed', 'The transform pool was closed.'));
    this.api[releaseProxy]();
    this.worker.terminate();
    return Promise.resolve();
  }
}

/** A TransformPool of module workers with `ready()` for the one-time start-up. */
export class BrowserTransformPool extends SlabPool {
  constructor(private readonly browserRunners: readonly BrowserRunner[]) {
    super(browserRunners);
  }

  /** Resolves when every worker has loaded its module and answered a one-voxel task. */
  async ready(): Promise<void> {
    const probe = (): SlabTask => ({
      op: { op: 'shift', offset: [0, 0, 0], order: 0 },
      input: { buffer: new SharedArrayBuffer(2), type: 'uint16', shape: [1, 1, 1] },
      output: { buffer: new SharedArrayBuffer(2), type: 'uint16', shape: [1, 1, 1] },
      zStart: 0,
      zEnd: 1,
    });
    await Promise.all(this.browserRunners.map((r) => r.run(probe())));
  }
}

/** Starts `workers` module workers; refuses when SharedArrayBuffer is unavailable (not cross-origin isolated). */
export function createBrowserTransformPool(workers: number, options: BrowserPoolOptions = {}): BrowserTransformPool {
  if (!Number.isInteger(workers) || workers < 1) throw new TransformError('bad-parameter', `Worker count is ${workers}; expected an integer ≥ 1.`);
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new TransformError('bad-parameter', 'The transform pool needs SharedArrayBuffer: serve the page cross-origin isolated (COOP same-origin, COEP require-corp).');
  }
  const make = options.createWorker ?? (() => new Worker(new URL('./worker.browser.ts', import.meta.url), { type: 'module' }));
  return new BrowserTransformPool(Array.from({ length: workers }, () => new BrowserRunner(make())));
}
