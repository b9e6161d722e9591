/**
 * Transform executors for the benchmark runner: the kernels in the calling thread (one compute
 * thread; in the panel that thread is already a worker), or a worker pool (z-slabs over shared
 * memory). Pure: the pool itself is made by the caller (Node or browser).
 *
 * @example
 * const run = await runSuite(inlineExecutor(), { sizes: [100], environment });
 * const pool = createNodeTransformPool(2);
 * const run2 = await runSuite(poolExecutor(pool), { sizes: [100], environment });
 */
import { applyPipeline, implementationOf } from '../transforms/apply.ts';
import { outputShape, type TransformOp } from '../transforms/types.ts';
import { sharedVolumeBuffer } from '../transforms/kernels/wasm/shared-memories.ts';
import type { TransformPool } from '../transforms/pool/types.ts';
import type { TransformExecutor } from './runner.ts';

/** The kernel family of the TypeScript kernels, as results record it. */
export const DEFAULT_IMPLEMENTATION = 'js-scalar';

/** The kernel families a pipeline runs on, e.g. `wasm-simd-f64x2+js-scalar` for the Full Pipeline. */
export function pipelineImplementation(ops: readonly TransformOp[]): string {
  return [...new Set(ops.map(implementationOf))].join('+');
}

/** One compute thread: the pipeline runs in this thread. */
export function inlineExecutor(implementation = DEFAULT_IMPLEMENTATION): TransformExecutor {
  return {
    implementation,
    workers: 1,
    implementationFor: pipelineImplementation,
    allocate: (length) => new Uint16Array(length),
    run: (input, ops) => Promise.resolve(applyPipeline(input, ops)),
  };
}

/** A worker pool: test volumes live in shared memory so the workers read them without a copy. */
export function poolExecutor(pool: TransformPool, implementation = DEFAULT_IMPLEMENTATION): TransformExecutor {
  let out: Uint16Array | null = null;
  return {
    implementation,
    workers: pool.size,
    implementationFor: pipelineImplementation,
    // Shared where the page may share memory (cross-origin isolated); the pool copies otherwise.
    allocate: (length) => new Uint16Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(length * 2) : new ArrayBuffer(length * 2)),
    // One output buffer per output size, reused across iterations (the reference allocates
    // nothing in the timed region either): a fresh 16 MB output costs page faults, not work.
    // It lies over WebAssembly memory where it can, as the outputs the pool makes for integer
    // shifts do (the masked copy moves planes there with one copy less).
    run: (input, ops, signal) => {
      const shape = ops.reduce<[number, number, number]>((s, op) => outputShape(s, op), [...input.shape]);
      const length = shape[0] * shape[1] * shape[2];
      if (out === null || out.length !== length) out = new Uint16Array(typeof SharedArrayBuffer === 'function' ? sharedVolumeBuffer(length * 2) : new ArrayBuffer(length * 2), 0, length);
      return pool.run(input, ops, { signal, out });
    },
  };
}
