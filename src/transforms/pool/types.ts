/**
 * The worker-pool contract shared by the Node (worker_threads) and browser (module workers +
 * comlink) pools: run an op or a pipeline on a volume, split into z-slabs across the workers,
 * with cancellation between slabs and progress per finished slab.
 *
 * @example
 * const pool = createNodeTransformPool(2);
 * const out = await pool.run(vol, { op: 'gaussian', sigma: [1, 1, 1] }, { onProgress: (d, t) => log(d / t) });
 * await pool.close();
 */
import type { TransformOp, Volume, VoxelArray } from '../types.ts';

export interface RunOptions {
  /** Aborting rejects the run with TransformError 'cancelled' after the slabs in flight finish. */
  signal?: AbortSignal;
  /** Called after each finished slab: slabs done so far and in all (over every stage of a pipeline). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Output array to fill (the final stage's shape, the input's type, ideally on a SharedArrayBuffer
   * so nothing is copied, best from `sharedVolumeBuffer`, where integer shifts write fastest); lets a
   * caller reuse one buffer across runs. Default: a new one.
   */
  out?: VoxelArray;
}

export interface TransformPool {
  /** Number of workers. */
  readonly size: number;
  /** The output of `ops` (one or a pipeline) applied to `input`; dtype = input's. */
  run<T extends VoxelArray>(input: Volume<T>, ops: TransformOp | readonly TransformOp[], options?: RunOptions): Promise<Volume<T>>;
  /** Resolves once every worker is started and loaded (one-time setup, to keep out of timings). */
  ready?(): Promise<void>;
  /** Stops the workers; runs in flight reject with TransformError 'closed'. */
  close(): Promise<void>;
}
