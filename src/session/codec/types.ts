/**
 * The chunk codec interface (pure): one instance per compressor configuration, encoding a
 * chunk's raw little-endian bytes (or a typed array over them) into what the `.zarray`
 * compressor `{"id": "zstd", "level": N}` names, and back. Two implementations write the
 * same standard zstd frames: native zstd in Node (`zstd-napi`, `zstd-native.node.ts`) and
 * numcodecs' WebAssembly zstd (`zstd-wasm.ts`) for browsers, workers and as the fallback.
 *
 * @example
 * const codec = await createZstdCodec(3);            // index.node.ts (or createWasmZstdCodec)
 * const bytes = await codec.encode(new Uint16Array(64 ** 3));
 * const raw = await codec.decode(bytes);             // Uint8Array of 64³ × 2 bytes
 */
import { TaggedError } from '../../tagged-error.ts';
import type { SessionCompressor } from '../metadata/types.ts';

export type CodecImplementation = 'native' | 'wasm';

export interface ChunkCodec {
  readonly id: 'zstd' | 'blosc';
  /** The zstd level, or the Blosc clevel. */
  readonly level: number;
  /** The `.zarray` compressor this codec writes. */
  readonly config: SessionCompressor;
  readonly implementation: CodecImplementation;
  /** Compresses the bytes of `data` (a typed array is read as its raw bytes). */
  encode(data: Uint8Array | ArrayBufferView): Promise<Uint8Array>;
  /** Decompresses one chunk; a corrupt or truncated input is a `CodecError`. */
  decode(data: Uint8Array): Promise<Uint8Array>;
}

export type CodecErrorCode = 'bad-level' | 'corrupt-chunk' | 'unavailable';

export class CodecError extends TaggedError<CodecErrorCode> {
  override readonly name = 'CodecError';
}

/** The bytes of a typed array or view, without copying. */
export function bytesOf(data: Uint8Array | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks a zstd level for the `.zarray` (§3.3: an integer 1–22). */
/** A codec that also works synchronously (the native ones), as the encoder workers use it. */
export interface SyncChunkCodec extends ChunkCodec {
  encodeSync(data: Uint8Array | ArrayBufferView): Uint8Array;
  decodeSync(data: Uint8Array): Uint8Array;
}

/** Completes a synchronous codec with its promise-returning `encode`/`decode`. */
export function syncCodec<C extends Omit<SyncChunkCodec, 'encode' | 'decode'>>(codec: C): C & SyncChunkCodec {
  return {
    ...codec,
    async encode(data: Uint8Array | ArrayBufferView) {
      return codec.encodeSync(data);
    },
    async decode(data: Uint8Array) {
      return codec.decodeSync(data);
    },
  };
}

export function checkZstdLevel(level: number): number {
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new CodecError('bad-level', `zstd level ${String(level)} is not an integer from 1 to 22.`);
  }
  return level;
}
