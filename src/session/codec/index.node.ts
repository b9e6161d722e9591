/**
 * The Node codec factory: native zstd when `zstd-napi` loads, else the WebAssembly one.
 *
 * @example
 * const codec = await createZstdCodec(3);        // native in Node
 * const wasm = await createZstdCodec(3, { prefer: 'wasm' });
 */
import { createWasmZstdCodec } from './zstd-wasm.ts';
import { checkZstdLevel } from './types.ts';
import type { ChunkCodec, CodecImplementation } from './types.ts';

export async function createZstdCodec(level: number, options: { prefer?: CodecImplementation } = {}): Promise<ChunkCodec> {
  checkZstdLevel(level);
  if (options.prefer !== 'wasm') {
    try {
      const { createNativeZstdCodec } = await import('./zstd-native.node.ts');
      return createNativeZstdCodec(level);
    } catch {
      // The native addon did not load (not built here): the WebAssembly codec writes the same chunks.
    }
  }
  return createWasmZstdCodec(level);
}
