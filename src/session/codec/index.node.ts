/**
 * The Node codec factory: native zstd when `zstd-napi` loads, else the WebAssembly one;
 * Blosc with zstd inside (byte or bit shuffle) natively.
 *
 * @example
 * const codec = await createZstdCodec(3);        // native in Node
 * const wasm = await createZstdCodec(3, { prefer: 'wasm' });
 * const blosc = await createNodeCodec({ id: 'blosc', cname: 'zstd', clevel: 1, shuffle: 1, blocksize: 0 });
 */
import { createWasmZstdCodec } from './zstd-wasm.ts';
import { CodecError, checkZstdLevel } from './types.ts';
import type { ChunkCodec, CodecImplementation } from './types.ts';
import type { SessionCompressor } from '../metadata/types.ts';

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

/** The codec that writes `compressor` (a session's `.zarray` compressor). */
export async function createNodeCodec(compressor: SessionCompressor, options: { prefer?: CodecImplementation } = {}): Promise<ChunkCodec> {
  if (compressor.id === 'zstd') return createZstdCodec(compressor.level, options);
  if (options.prefer === 'wasm') {
    throw new CodecError('unavailable', 'Blosc-zstd chunks are written with native zstd only; the WebAssembly codec writes plain zstd.');
  }
  try {
    const { createNativeBloscZstdCodec } = await import('./blosc-zstd.node.ts');
    return createNativeBloscZstdCodec({ clevel: compressor.clevel, shuffle: compressor.shuffle });
  } catch (err) {
    throw new CodecError('unavailable', `Blosc-zstd needs the native zstd addon, which did not load: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
