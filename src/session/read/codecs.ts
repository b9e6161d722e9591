/**
 * Chunk decompression for the readers, in WebAssembly (npm `numcodecs`), so it runs in Node,
 * browsers and workers alike. Before any decoder runs, the frame header is checked against the
 * size the chunk must have, so a corrupt or lying chunk never makes a decoder allocate without
 * bound; after decoding, the size is checked again. Failures are `ChunkDecodeError`s naming the
 * problem (they become `bad-chunk` warnings); unknown codecs are `ReadError`s at open time.
 */

import type { Codec } from 'numcodecs';
import { ReadError } from './description.ts';
import { ChunkDecodeError } from './level.ts';

export type ByteCodecId = 'zstd' | 'blosc' | 'gzip' | 'zlib' | 'lz4';

/** A replacement zstd decoder (e.g. native zstd in Node); frames are still checked first. */
export interface ZstdDecoder {
  decode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface ByteCodec {
  id: ByteCodecId;
  /** Decodes `bytes`; `expected` is the exact decoded length, or undefined when unknown. */
  decode(bytes: Uint8Array, expected: number | undefined): Promise<Uint8Array>;
}

const loaded = new Map<string, Promise<Codec>>();

function codec(id: ByteCodecId): Promise<Codec> {
  let p = loaded.get(id);
  if (!p) {
    p = (async () => {
      switch (id) {
        case 'zstd':
          return (await import('numcodecs/zstd')).default.fromConfig({ id: 'zstd', level: 1 });
        case 'blosc':
          return (await import('numcodecs/blosc')).default.fromConfig({ id: 'blosc' });
        case 'lz4':
          return (await import('numcodecs/lz4')).default.fromConfig({ id: 'lz4' });
        case 'gzip':
          return (await import('numcodecs')).GZip.fromConfig({ id: 'gzip' });
        case 'zlib':
          return (await import('numcodecs')).Zlib.fromConfig({ id: 'zlib' });
      }
    })();
    loaded.set(id, p);
  }
  return p;
}

/**
 * Checks a single zstd frame's structure without decoding it: magic number, header, every block
 * header up to the last block, the optional checksum, and nothing after. Returns the declared
 * content size (`null` when the frame does not record it) or an error text. Catching truncated
 * and garbled chunks here keeps them away from the WebAssembly decoder (numcodecs 0.3.2's zstd
 * leaks memory on every decode error and stops working after about 1900 of them).
 */
export function zstdFrameCheck(b: Uint8Array): number | null | string {
  if (b.length < 6) return `is ${b.length} bytes, too short for a zstd frame`;
  if (b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return 'does not start with the zstd magic number';
  const fhd = b[4]!;
  if (fhd & 0x08) return 'has a reserved bit set in its frame header';
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
  const at = 5 + (single ? 0 : 1) + dictBytes;
  if (b.length < at + fcsBytes) return 'ends inside the zstd frame header';
  let size: number | null = null;
  if (fcsBytes > 0) {
    const v = new DataView(b.buffer, b.byteOffset + at, fcsBytes);
    if (fcsBytes === 1) size = v.getUint8(0);
    else if (fcsBytes === 2) size = v.getUint16(0, true) + 256;
    else if (fcsBytes === 4) size = v.getUint32(0, true);
    else size = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  }
  let p = at + fcsBytes;
  for (;;) {
    if (p + 3 > b.length) return `is truncated (it ends inside a block header at byte ${p} of ${b.length})`;
    const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const bsize = h >>> 3;
    if (type === 3) return `has a block of reserved type at byte ${p}`;
    if (bsize > 128 * 1024) return `has a block of ${bsize} bytes at byte ${p}, more than zstd allows`;
    p += 3 + (type === 1 ? 1 : bsize);
    if (p > b.length) return `is truncated (a block runs to byte ${p} of ${b.length})`;
    if (last) break;
  }
  p += checksum ? 4 : 0;
  if (p > b.length) return 'is truncated inside its checksum';
  if (p < b.length) return `has ${b.length - p} unexpected bytes after its frame`;
  return size;
}

function check(decoded: Uint8Array, expected: number | undefined, what: string): Uint8Array {
  if (expected !== undefined && decoded.length !== expected) {
    throw new ChunkDecodeError(`The ${what} chunk decodes to ${decoded.length} bytes; expected ${expected}.`);
  }
  return decoded;
}

/** Codecs whose WebAssembly instance has failed in a way that leaves it unusable. */
const broken = new Set<ByteCodecId>();

async function run(id: ByteCodecId, bytes: Uint8Array, expected: number | undefined, override?: ZstdDecoder): Promise<Uint8Array> {
  if (!override && broken.has(id)) throw new ChunkDecodeError(`The WebAssembly ${id} decoder stopped working after earlier corrupt chunks (a numcodecs fault); reopen the page to read further chunks.`);
  let out: Uint8Array;
  try {
    out = await (override ?? (await codec(id))).decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // numcodecs reports codec errors as "std::runtime_error,…"; anything else is a trap in the module.
    if (!override && (id === 'zstd' || id === 'blosc') && !/runtime_error|invalid|error/i.test(why)) broken.add(id);
    throw new ChunkDecodeError(`The ${id} chunk cannot be decoded (${why.replace(/^std::runtime_error,/, '')}).`, { cause: err });
  }
  return check(out, expected, id);
}

export function byteCodec(id: ByteCodecId, zstd?: ZstdDecoder): ByteCodec {
  switch (id) {
    case 'zstd':
      return {
        id,
        async decode(bytes, expected) {
          const size = zstdFrameCheck(bytes);
          if (typeof size === 'string') throw new ChunkDecodeError(`The zstd chunk ${size}.`);
          if (size === null) throw new ChunkDecodeError('The zstd chunk does not record its decoded size, which this reader needs.');
          if (expected !== undefined && size !== expected) throw new ChunkDecodeError(`The zstd chunk declares ${size} decoded bytes; expected ${expected}.`);
          return run(id, bytes, expected, zstd);
        },
      };
    case 'blosc':
      return {
        id,
        async decode(bytes, expected) {
          if (bytes.length < 16) throw new ChunkDecodeError(`The blosc chunk is ${bytes.length} bytes, shorter than the 16-byte blosc header.`);
          const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
          const nbytes = v.getUint32(4, true);
          const cbytes = v.getUint32(12, true);
          if (cbytes !== bytes.length) throw new ChunkDecodeError(`The blosc chunk is ${bytes.length} bytes but its header says ${cbytes} (truncated or padded).`);
          if (expected !== undefined && nbytes !== expected) throw new ChunkDecodeError(`The blosc chunk declares ${nbytes} decoded bytes; expected ${expected}.`);
          return run(id, bytes, expected);
        },
      };
    case 'lz4':
      return {
        id,
        async decode(bytes, expected) {
          if (bytes.length < 4) throw new ChunkDecodeError(`The lz4 chunk is ${bytes.length} bytes, shorter than its 4-byte size prefix.`);
          const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
          if (expected !== undefined && n !== expected) throw new ChunkDecodeError(`The lz4 chunk declares ${n} decoded bytes; expected ${expected}.`);
          return run(id, bytes, expected);
        },
      };
    case 'gzip':
      return {
        id,
        async decode(bytes, expected) {
          if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new ChunkDecodeError('The gzip chunk has no gzip header.');
          const isize = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
          if (expected !== undefined && isize !== expected % 2 ** 32) throw new ChunkDecodeError(`The gzip chunk declares ${isize} decoded bytes; expected ${expected}.`);
          return run(id, bytes, expected);
        },
      };
    case 'zlib':
      return {
        id,
        async decode(bytes, expected) {
          if (bytes.length < 6) throw new ChunkDecodeError(`The zlib chunk is ${bytes.length} bytes, too short for a zlib stream.`);
          return run(id, bytes, expected);
        },
      };
  }
}

const KNOWN: readonly ByteCodecId[] = ['zstd', 'blosc', 'gzip', 'zlib', 'lz4'];

/** A Zarr v2 `compressor` (or null); throws `unknown-codec` naming the id. */
export function v2Compressor(c: unknown, file: string, zstd?: ZstdDecoder): ByteCodec | null {
  if (c === null) return null;
  if (typeof c !== 'object' || Array.isArray(c)) {
    throw new ReadError('bad-metadata', file, `${file} compressor is ${JSON.stringify(c)}; expected an object with an "id", or null.`);
  }
  const id = (c as Record<string, unknown>).id;
  if (typeof id !== 'string') throw new ReadError('bad-metadata', file, `${file} compressor has no string "id".`);
  if (!(KNOWN as readonly string[]).includes(id)) {
    throw new ReadError('unknown-codec', file, `${file} uses compressor "${id}", which this reader cannot decode (it reads ${KNOWN.join(', ')}).`);
  }
  return byteCodec(id as ByteCodecId, zstd);
}

// ---- crc32c (Castagnoli), for the Zarr v3 `crc32c` codec ----

let CRC_TABLE: Uint32Array | undefined;

export function crc32c(b: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      CRC_TABLE[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < b.length; i++) crc = CRC_TABLE[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
