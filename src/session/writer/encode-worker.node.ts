/**
 * Worker-thread body of the encoder pool (Node): runs `processRegion` with native zstd
 * (WebAssembly when the addon does not load) and posts the encoded chunks back, transferring
 * their buffers. Slab buffers arrive over SharedArrayBuffer, so nothing large is copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createWasmZstdCodec } from '../codec/zstd-wasm.ts';
import { EDGE, processRegion } from './kernel.ts';
import type { EncodeFn, RegionTask } from './kernel.ts';

interface Job {
  id: number;
  task: RegionTask;
}

const level = (workerData as { level: number }).level;
let encode: EncodeFn;
try {
  const { createNativeZstdCodec } = await import('../codec/zstd-native.node.ts');
  const codec = createNativeZstdCodec(level);
  encode = (b) => codec.encodeSync(b);
} catch {
  const codec = createWasmZstdCodec(level);
  encode = (b) => codec.encode(b);
}
const scratch = new Uint16Array(EDGE ** 3);

// Jobs run one after another (they share the scratch chunk, and an async codec could interleave them).
let tail: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (job: Job) => {
  tail = tail.then(() => processRegion(job.task, encode, scratch)).then(
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
