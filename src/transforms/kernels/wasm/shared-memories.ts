/**
 * Shared volumes backed by WebAssembly memory. A `SharedArrayBuffer` made as the buffer of a
 * shared `WebAssembly.Memory` is an ordinary shared buffer to JavaScript, but WebAssembly code
 * working on that memory moves bytes with native `memory.copy`, at any alignment. JavaScript
 * copies shared memory word by word, and only between equally aligned places (see shift.ts).
 *
 * `sharedVolumeBuffer` makes such a buffer where the engine can (a shared memory holds at most
 * 4 GiB), and a plain `SharedArrayBuffer` otherwise; `memoryOf` finds the memory behind a
 * buffer, in the thread that made it or in one that `adoptMemory` was called in with it.
 *
 * @example
 * const out = new Uint16Array(sharedVolumeBuffer(n * 2));
 * memoryOf(out.buffer); // the WebAssembly.Memory, or null
 */
import { MAX_MEMORY_PAGES, PAGE_BYTES } from './emit.ts';

const memories = new WeakMap<ArrayBufferLike, WebAssembly.Memory>();
let threads: boolean | null = null;

/** Whether this engine makes shared WebAssembly memories (cross-origin isolated pages and Node do). */
function sharedMemorySupported(): boolean {
  if (threads === null) {
    try {
      threads = typeof SharedArrayBuffer === 'function' && new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      threads = false;
    }
  }
  return threads;
}

/** A shared buffer of `bytes` (zeros), over a WebAssembly memory where possible. */
export function sharedVolumeBuffer(bytes: number): SharedArrayBuffer {
  const pages = Math.ceil(bytes / PAGE_BYTES);
  if (pages <= MAX_MEMORY_PAGES && sharedMemorySupported()) {
    try {
      // Exactly the pages needed, never grown: the buffer object stays the same.
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
      memories.set(memory.buffer, memory);
      return memory.buffer as unknown as SharedArrayBuffer;
    } catch {
      // Out of address space for another memory: a plain shared buffer does the same job.
    }
  }
  return new SharedArrayBuffer(bytes);
}

/** The WebAssembly memory behind `buffer`, or null. */
export function memoryOf(buffer: ArrayBufferLike): WebAssembly.Memory | null {
  return memories.get(buffer) ?? null;
}

/** Registers a memory received from another thread; returns its buffer. */
export function adoptMemory(memory: WebAssembly.Memory): SharedArrayBuffer {
  const buffer = memory.buffer as unknown as SharedArrayBuffer;
  memories.set(buffer, memory);
  return buffer;
}
