/**
 * zstd through the native library (`zstd-napi`, Node only): about 4× the WebAssembly
 * encoder's speed on camera data (DESIGN.md), same frames on disk. One `Compressor` per
 * codec instance keeps its context between chunks; `encodeSync` is for worker threads
 * that compress in a tight loop.
 *
 * @example
 * const codec = createNativeZstdCodec(1);
 * const bytes = codec.encodeSync(chunk);
 */
import { Compressor, decompress } from 'zstd-napi';
import { CodecError, bytesOf, checkZstdLevel, syncCodec } from './types.ts';
import type { SyncChunkCodec } from './types.ts';

export type NativeZstdCodec = SyncChunkCodec;

export function createNativeZstdCodec(level: number): NativeZstdCodec {
  checkZstdLevel(level);
  const cmp = new Compressor();
  cmp.setParameters({ compressionLevel: level });
  const encodeSync = (data: Uint8Array | ArrayBufferView): Uint8Array => {
    const out = cmp.compress(bytesOf(data));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
  const decodeSync = (data: Uint8Array): Uint8Array => {
    try {
      const out = decompress(data);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (cause) {
      throw new CodecError('corrupt-chunk', `A zstd chunk of ${data.byteLength} bytes could not be decoded (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
    }
  };
  return syncCodec({ id: 'zstd', level, config: { id: 'zstd', level }, implementation: 'native', encodeSync, decodeSync });
}
