/**
 * The Node transform worker: receives slab tasks over shared memory, runs them, answers
 * `{ id }` or `{ id, error, code }`. Started by node-pool.node.ts.
 *
 * @example
 * // inside the pool: worker.postMessage({ id: 1, task }); → worker posts { id: 1 }
 */
import { parentPort } from 'node:worker_threads';
import { isTransformError } from '../types.ts';
import { runSlab } from './slab.ts';
import type { SlabTask } from './slab.ts';

const port = parentPort;
if (!port) throw new Error('worker.node.ts must run in a worker thread.');
port.on('message', (m: { id: number; task: SlabTask }) => {
  try {
    runSlab(m.task);
    port.postMessage({ id: m.id });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e), code: isTransformError(e) ? e.code : 'worker-failed' });
  }
});
port.postMessage({ ready: true });
