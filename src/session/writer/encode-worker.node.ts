/**
 * Worker-thread body of the encoder pool (Node): runs `processRegion` with the session's
 * compressor (native zstd or Blosc-zstd; WebAssembly zstd when the addon does not load) and
 * posts the encoded chunks back, transferring their buffers. Slab buffers arrive over
 * SharedArrayBuffer, so nothing large is copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createNodeCodec } from '../codec/index.node.ts';
import type { SyncChunkCodec } from '../codec/types.ts';
import type { SessionCompressor } from '../metadata/types.ts';
import { ReductionBuffers, processRegion } from './kernel.ts';
import type { EncodeFn, RegionTask } from './kernel.ts';

interface Job {
  id: number;
  task: RegionTask;
}

const codec = await createNodeCodec((workerData as { compressor: SessionCompressor }).compressor);
// The native codecs encode synchronously; the WebAssembly fallback only asynchronously.
const sync = 'encodeSync' in codec ? (codec as SyncChunkCodec) : null;
const encode: EncodeFn = sync ? (b) => sync.encodeSync(b) : (b) => codec.encode(b);
const buffers = new ReductionBuffers();

// Jobs run one after another (they share the reduction buffers, and an async codec could interleave them).
let tail: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (job: Job) => {
  tail = tail.then(() => processRegion(job.task, encode, buffers)).then(
    (result) => {
      const transfer: ArrayBuffer[] = [];
      for (const c of result.chunks) {
        if (!c.bytes) continue;
        // zstd-napi may hand back a view into a pooled buffer: give the worker's own copy away only.
        if (c.bytes.byteOffset !== 0 || c.bytes.byteLength !== c.bytes.buffer.byteLength) c.bytes = c.bytes.slice();
        transfer.push(c.bytes.buffer as ArrayBuffer);
      }
      parentPort!.postMessage({ id: job.id, result }, transfer);
    },
    (err: unknown) => {
      parentPort!.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
    },
  );
});
parentPort!.postMessage({ ready: true });
