/**
 * Where slab regions get encoded (pure interface): `InlineEncoder` runs the kernel on the
 * calling thread with any `ChunkCodec` (browser main thread, tests, fallback); the Node
 * worker-thread pool (`worker-pool.node.ts`) runs it off the ingest path.
 *
 * @example
 * const encoder = new InlineEncoder(createWasmZstdCodec(3));
 * const result = await encoder.run(task);
 */
import type { ChunkCodec } from '../codec/types.ts';
import { ReductionBuffers, processRegion } from './kernel.ts';
import type { RegionResult, RegionTask } from './kernel.ts';

export interface SlabEncoder {
  /** Parallel tasks it can run (the writer keeps about this many in flight, plus one). */
  readonly concurrency: number;
  /** Whether tasks may use buffers over SharedArrayBuffer (worker threads need them). */
  readonly needsSharedMemory: boolean;
  run(task: RegionTask): Promise<RegionResult>;
  close(): Promise<void>;
}

export class InlineEncoder implements SlabEncoder {
  readonly concurrency = 1;
  readonly needsSharedMemory = false;
  private readonly buffers = new ReductionBuffers();
  /** Tasks run one after another: they share the reduction buffers and the codec awaits between chunks. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly codec: ChunkCodec) {}

  run(task: RegionTask): Promise<RegionResult> {
    const next = this.tail.then(() => processRegion(task, (b) => this.codec.encode(b), this.buffers));
    this.tail = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {}
}
