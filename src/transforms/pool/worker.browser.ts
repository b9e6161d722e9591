/**
 * The browser transform worker (a module worker): exposes `run(task)` through comlink; the task's
 * buffers are SharedArrayBuffers, so nothing is copied. Answers `null` or `{ error, code }`.
 *
 * @example
 * const api = wrap<TransformWorkerApi>(new Worker(new URL('./worker.browser.ts', import.meta.url), { type: 'module' }));
 */
import { expose } from 'comlink';
import { isTransformError } from '../types.ts';
import type { TransformErrorCode } from '../types.ts';
import { runSlab } from './slab.ts';
import type { SlabTask } from './slab.ts';

export interface TransformWorkerApi {
  run(task: SlabTask): { error: string; code: TransformErrorCode } | null;
}

const api: TransformWorkerApi = {
  run(task) {
    try {
      runSlab(task);
      return null;
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e), code: isTransformError(e) ? e.code : 'worker-failed' };
    }
  },
};

expose(api);
