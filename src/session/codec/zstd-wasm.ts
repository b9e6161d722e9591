/**
 * zstd through numcodecs' WebAssembly build (pure: browsers, workers, Node fallback).
 * Writes standard zstd frames, so chunks read the same as native ones everywhere
 * (python zarr/numcodecs, zarrita, neuroglancer).
 *
 * @example
 * const codec = createWasmZstdCodec(3);
 * const bytes = await codec.encode(chunk);
 */
import Zstd from 'numcodecs/zstd';
import { CodecError, bytesOf, checkZstdLevel } from './types.ts';
import type { ChunkCodec } from './types.ts';

export function createWasmZstdCodec(level: number): ChunkCodec {
  checkZstdLevel(level);
  const inner = Zstd.fromConfig({ id: 'zstd', level });
  return {
    id: 'zstd',
    level,
    config: { id: 'zstd', level },
    implementation: 'wasm',
    async encode(data) {
      return await inner.encode(bytesOf(data));
    },
    async decode(data) {
      try {
        return await inner.decode(data);
      } catch (cause) {
        throw new CodecError('corrupt-chunk', `A zstd chunk of ${data.byteLength} bytes could not be decoded (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
      }
    },
  };
}
