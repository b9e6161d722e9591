/**
 * The Blosc-1 chunk container (pure; the inner compressor is passed in), as the `.zarray`
 * compressor `{"id": "blosc", "cname": "zstd", "clevel": N, "shuffle": S, "blocksize": 0}`
 * names it (session-format §3.3). Chunks read back with python numcodecs' `Blosc`, numcodecs'
 * WebAssembly blosc and c-blosc itself, and this decoder reads theirs.
 *
 * Layout (little-endian): a 16-byte header — version 2, inner-format version (1 for zstd),
 * flags (bit 0 byte shuffle, bit 1 stored uncompressed, bit 2 bit shuffle, bit 4 blocks not
 * split, bits 5–7 the inner format: 4 = zstd), typesize, nbytes, blocksize, cbytes — then one
 * int32 start offset per block, then the blocks. Each block is shuffled on its own and stored
 * as one or more streams (`typesize` streams when split), each an int32 length and either an
 * inner frame or, when the length equals the stream's size, the raw bytes. Blocks this encoder
 * writes are never split, as c-blosc does for zstd.
 *
 * @example
 * const bytes = bloscEncode(chunk, { typesize: 2, shuffle: 1, clevel: 1 }, (b) => zstd(b));
 * const raw = bloscDecode(bytes, (frame, size) => unzstd(frame, size));
 */
import { CodecError, bytesOf } from './types.ts';

/** 0 none, 1 byte shuffle, 2 bit shuffle. */
export type BloscShuffle = 0 | 1 | 2;

export interface BloscEncodeOptions {
  /** Bytes per element (1–255): what the shuffles transpose by. */
  typesize: number;
  shuffle: BloscShuffle;
  /** 0 stores the data uncompressed; 1–9 otherwise (the inner level is chosen by the caller). */
  clevel: number;
  /** Bytes per block (default 256 KiB), rounded down to a multiple of 8 × typesize. */
  blocksize?: number;
}

/** Compresses one stream into a self-contained inner frame (e.g. a zstd frame). */
export type StreamCompress = (stream: Uint8Array) => Uint8Array;
/** Decompresses one inner frame that must expand to exactly `size` bytes. */
export type StreamDecompress = (frame: Uint8Array, size: number) => Uint8Array;

export interface BloscHeader {
  version: number;
  versionlz: number;
  flags: number;
  typesize: number;
  nbytes: number;
  blocksize: number;
  cbytes: number;
  shuffle: BloscShuffle;
  memcpyed: boolean;
  split: boolean;
  /** The inner format code (0 blosclz, 1 lz4, 3 zlib, 4 zstd). */
  format: number;
}

const HEADER = 16;
const MIN_BUFFERSIZE = 128;
const MAX_SPLITS = 16;
const FLAG_SHUFFLE = 0x1;
const FLAG_MEMCPYED = 0x2;
const FLAG_BITSHUFFLE = 0x4;
const FLAG_DONT_SPLIT = 0x10;
const ZSTD_FORMAT = 4;
const ZSTD_VERSION_FORMAT = 1;
/** The largest input c-blosc accepts (2³¹ − 1 − header). */
const MAX_BUFFERSIZE = 0x7fffffff - HEADER;
const DEFAULT_BLOCKSIZE = 256 * 1024;

const FORMAT_NAMES: Record<number, string> = { 0: 'blosclz', 1: 'lz4', 2: 'snappy', 3: 'zlib', 4: 'zstd' };

// ---------------------------------------------------------------------------------------------
// Shuffles (one block at a time; `n` bytes of `src` into `dst`).

/** Byte shuffle: byte `j` of element `i` goes to `dst[j·count + i]`; trailing bytes are copied. */
export function shuffleBytes(typesize: number, src: Uint8Array, dst: Uint8Array, n = src.length): void {
  const count = Math.floor(n / typesize);
  const body = count * typesize;
  if (typesize === 2 && count % 4 === 0 && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && count > 0) {
    // Four elements per step: two words in, one word of low bytes and one of high bytes out.
    const q = count >> 2;
    const s = new Uint32Array(src.buffer, src.byteOffset, q * 2);
    const lo = new Uint32Array(dst.buffer, dst.byteOffset, q);
    const hi = new Uint32Array(dst.buffer, dst.byteOffset + count, q);
    for (let k = 0; k < q; k++) {
      const a = s[2 * k]!;
      const b = s[2 * k + 1]!;
      lo[k] = (a & 0xff) | ((a >>> 8) & 0xff00) | ((b & 0xff) << 16) | ((b << 8) & 0xff000000);
      hi[k] = ((a >>> 8) & 0xff) | ((a >>> 16) & 0xff00) | ((b & 0xff00) << 8) | (b & 0xff000000);
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const o = j * count;
      for (let i = 0, p = j; i < count; i++, p += typesize) dst[o + i] = src[p]!;
    }
  }
  for (let p = body; p < n; p++) dst[p] = src[p]!;
}

/** The inverse of `shuffleBytes`. */
export function unshuffleBytes(typesize: number, src: Uint8Array, dst: Uint8Array, n = src.length): void {
  const count = Math.floor(n / typesize);
  const body = count * typesize;
  if (typesize === 2 && count % 4 === 0 && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && count > 0) {
    const q = count >> 2;
    const lo = new Uint32Array(src.buffer, src.byteOffset, q);
    const hi = new Uint32Array(src.buffer, src.byteOffset + count, q);
    const d = new Uint32Array(dst.buffer, dst.byteOffset, q * 2);
    for (let k = 0; k < q; k++) {
      const l = lo[k]!;
      const h = hi[k]!;
      d[2 * k] = (l & 0xff) | ((h & 0xff) << 8) | ((l & 0xff00) << 8) | ((h & 0xff00) << 16);
      d[2 * k + 1] = ((l >>> 16) & 0xff) | ((h >>> 8) & 0xff00) | ((l >>> 8) & 0xff0000) | (h & 0xff000000);
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const o = j * count;
      for (let i = 0, p = j; i < count; i++, p += typesize) dst[p] = src[o + i]!;
    }
  }
  for (let p = body; p < n; p++) dst[p] = src[p]!;
}

/**
 * Transposes an 8×8 bit matrix held as eight bytes (`x` = bytes 0–3, `y` = bytes 4–7): byte
 * `k` of the result has, at bit `j`, bit `k` of input byte `j`. Writes the eight result bytes
 * to `out[at + k·stride]`.
 */
function transpose8(x: number, y: number, out: Uint8Array, at: number, stride: number): void {
  for (let k = 0; k < 8; k++) {
    const a = (x >>> k) & 0x01010101;
    const b = (y >>> k) & 0x01010101;
    out[at + k * stride] = ((a | (a >>> 7) | (a >>> 14) | (a >>> 21)) & 0x0f) | (((b | (b >>> 7) | (b >>> 14) | (b >>> 21)) & 0x0f) << 4);
  }
}

/**
 * Bit shuffle (the bitshuffle library's layout, as c-blosc uses it): for a block of `count`
 * elements (a multiple of 8), row `8·j + k` of `count / 8` bytes holds bit `k` of byte `j` of
 * every element, element `i` at bit `i mod 8` of byte `⌊i / 8⌋`. When `count` is not a
 * multiple of 8 the block is copied unchanged (as c-blosc does); trailing bytes are copied.
 */
export function bitShuffle(typesize: number, src: Uint8Array, dst: Uint8Array, n = src.length): void {
  const count = Math.floor(n / typesize);
  if (count % 8 !== 0) {
    dst.set(src.subarray(0, n));
    return;
  }
  const rowBytes = count >> 3;
  for (let j = 0; j < typesize; j++) {
    const rowBase = 8 * j * rowBytes;
    for (let g = 0, p = j; g < rowBytes; g++, p += 8 * typesize) {
      const x = src[p]! | (src[p + typesize]! << 8) | (src[p + 2 * typesize]! << 16) | (src[p + 3 * typesize]! << 24);
      const y = src[p + 4 * typesize]! | (src[p + 5 * typesize]! << 8) | (src[p + 6 * typesize]! << 16) | (src[p + 7 * typesize]! << 24);
      transpose8(x, y, dst, rowBase + g, rowBytes);
    }
  }
  for (let p = count * typesize; p < n; p++) dst[p] = src[p]!;
}

/** The inverse of `bitShuffle`. */
export function bitUnshuffle(typesize: number, src: Uint8Array, dst: Uint8Array, n = src.length): void {
  const count = Math.floor(n / typesize);
  if (count % 8 !== 0) {
    dst.set(src.subarray(0, n));
    return;
  }
  const rowBytes = count >> 3;
  for (let j = 0; j < typesize; j++) {
    const rowBase = 8 * j * rowBytes;
    for (let g = 0, p = j; g < rowBytes; g++, p += 8 * typesize) {
      const r = rowBase + g;
      const x = src[r]! | (src[r + rowBytes]! << 8) | (src[r + 2 * rowBytes]! << 16) | (src[r + 3 * rowBytes]! << 24);
      const y = src[r + 4 * rowBytes]! | (src[r + 5 * rowBytes]! << 8) | (src[r + 6 * rowBytes]! << 16) | (src[r + 7 * rowBytes]! << 24);
      transpose8(x, y, dst, p, typesize);
    }
  }
  for (let p = count * typesize; p < n; p++) dst[p] = src[p]!;
}

// ---------------------------------------------------------------------------------------------
// Container.

function checkOptions(o: BloscEncodeOptions): void {
  if (!Number.isInteger(o.typesize) || o.typesize < 1 || o.typesize > 255) {
    throw new CodecError('bad-level', `Blosc typesize ${String(o.typesize)} is not an integer from 1 to 255.`);
  }
  if (o.shuffle !== 0 && o.shuffle !== 1 && o.shuffle !== 2) {
    throw new CodecError('bad-level', `Blosc shuffle ${String(o.shuffle)} is not 0, 1 or 2.`);
  }
  if (!Number.isInteger(o.clevel) || o.clevel < 0 || o.clevel > 9) {
    throw new CodecError('bad-level', `Blosc clevel ${String(o.clevel)} is not an integer from 0 to 9.`);
  }
  if (o.blocksize !== undefined && (!Number.isInteger(o.blocksize) || o.blocksize < 0)) {
    throw new CodecError('bad-level', `Blosc blocksize ${String(o.blocksize)} is not a non-negative integer.`);
  }
}

function shuffleBlock(shuffle: BloscShuffle, typesize: number, src: Uint8Array, tmp: Uint8Array): Uint8Array {
  const n = src.length;
  if (shuffle === 1 && typesize > 1) {
    shuffleBytes(typesize, src, tmp, n);
    return tmp.subarray(0, n);
  }
  if (shuffle === 2 && n >= typesize) {
    bitShuffle(typesize, src, tmp, n);
    return tmp.subarray(0, n);
  }
  return src;
}

/**
 * Packs `data` into one Blosc-1 chunk whose blocks are compressed with `compress` (inner
 * format zstd). Incompressible streams are stored raw, and an incompressible buffer as a
 * whole (flag 0x2), exactly as c-blosc would store them.
 */
export function bloscEncode(data: Uint8Array | ArrayBufferView, options: BloscEncodeOptions, compress: StreamCompress): Uint8Array {
  checkOptions(options);
  const src = bytesOf(data);
  const nbytes = src.length;
  if (nbytes > MAX_BUFFERSIZE) throw new CodecError('bad-level', `A Blosc chunk holds at most ${MAX_BUFFERSIZE} bytes, got ${nbytes}.`);
  const { typesize, shuffle, clevel } = options;
  const unit = 8 * typesize;
  let blocksize = options.blocksize || DEFAULT_BLOCKSIZE;
  blocksize = Math.max(unit, blocksize - (blocksize % unit));
  if (blocksize > nbytes) blocksize = nbytes;
  const nblocks = nbytes === 0 ? 0 : Math.ceil(nbytes / blocksize);

  let flags = FLAG_DONT_SPLIT | (ZSTD_FORMAT << 5);
  if (shuffle === 1) flags |= FLAG_SHUFFLE;
  if (shuffle === 2) flags |= FLAG_BITSHUFFLE;

  const stored = (): Uint8Array => {
    const out = new Uint8Array(HEADER + nbytes);
    writeHeader(out, flags | FLAG_MEMCPYED, typesize, nbytes, blocksize, HEADER + nbytes);
    out.set(src, HEADER);
    return out;
  };
  if (clevel === 0 || nbytes < MIN_BUFFERSIZE) return stored();

  const limit = HEADER + nbytes; // beyond this, storing the buffer uncompressed is smaller
  const tmp = new Uint8Array(blocksize);
  const parts: Uint8Array[] = [];
  const starts = new Int32Array(nblocks);
  let total = HEADER + 4 * nblocks;
  for (let b = 0; b < nblocks; b++) {
    starts[b] = total;
    const block = src.subarray(b * blocksize, Math.min(nbytes, (b + 1) * blocksize));
    const stream = shuffleBlock(shuffle, typesize, block, tmp);
    let frame = compress(stream);
    // A stream as long as its input reads back as raw bytes, so anything not shorter is stored raw.
    if (frame.length === 0 || frame.length >= stream.length) frame = stream.slice();
    total += 4 + frame.length;
    if (total > limit) return stored();
    parts.push(frame);
  }
  const out = new Uint8Array(total);
  writeHeader(out, flags, typesize, nbytes, blocksize, total);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nblocks; b++) view.setInt32(HEADER + 4 * b, starts[b]!, true);
  let at = HEADER + 4 * nblocks;
  for (const frame of parts) {
    view.setInt32(at, frame.length, true);
    out.set(frame, at + 4);
    at += 4 + frame.length;
  }
  return out;
}

function writeHeader(out: Uint8Array, flags: number, typesize: number, nbytes: number, blocksize: number, cbytes: number): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER);
  out[0] = 2;
  out[1] = ZSTD_VERSION_FORMAT;
  out[2] = flags;
  out[3] = typesize;
  view.setUint32(4, nbytes, true);
  view.setUint32(8, blocksize, true);
  view.setUint32(12, cbytes, true);
}

/** Reads and checks a Blosc-1 header; a malformed one is a `CodecError` (`corrupt-chunk`). */
export function bloscHeader(data: Uint8Array): BloscHeader {
  const bad = (why: string): CodecError => new CodecError('corrupt-chunk', `A Blosc chunk of ${data.length} bytes ${why}.`);
  if (data.length < HEADER) throw bad(`is shorter than the ${HEADER}-byte header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = data[0]!;
  const flags = data[2]!;
  const typesize = data[3]!;
  const nbytes = view.getUint32(4, true);
  const blocksize = view.getUint32(8, true);
  const cbytes = view.getUint32(12, true);
  if (version < 1 || version > 2) throw bad(`has format version ${version}, expected 1 or 2`);
  if (typesize === 0) throw bad('has typesize 0');
  if (cbytes !== data.length) throw bad(`says it holds ${cbytes} bytes`);
  if (nbytes > MAX_BUFFERSIZE) throw bad(`says it expands to ${nbytes} bytes, more than Blosc allows`);
  const memcpyed = (flags & FLAG_MEMCPYED) !== 0;
  if (!memcpyed && nbytes > 0 && (blocksize === 0 || blocksize > nbytes)) throw bad(`has block size ${blocksize} for ${nbytes} bytes`);
  const shuffle: BloscShuffle = flags & FLAG_SHUFFLE ? 1 : flags & FLAG_BITSHUFFLE ? 2 : 0;
  return { version, versionlz: data[1]!, flags, typesize, nbytes, blocksize, cbytes, shuffle, memcpyed, split: (flags & FLAG_DONT_SPLIT) === 0, format: flags >> 5 };
}

/**
 * Unpacks one Blosc-1 chunk whose streams are zstd frames (or stored raw), decompressing each
 * with `decompress`. Every offset and length is checked against the chunk before use.
 */
export function bloscDecode(input: Uint8Array | ArrayBufferView, decompress: StreamDecompress): Uint8Array {
  const data = bytesOf(input);
  const h = bloscHeader(data);
  const bad = (why: string): CodecError => new CodecError('corrupt-chunk', `A Blosc chunk of ${data.length} bytes ${why}.`);
  const out = new Uint8Array(h.nbytes);
  if (h.memcpyed) {
    if (data.length !== HEADER + h.nbytes) throw bad(`is stored uncompressed but is not ${HEADER} + ${h.nbytes} bytes long`);
    out.set(data.subarray(HEADER));
    return out;
  }
  if (h.nbytes === 0) return out;
  if (h.format !== ZSTD_FORMAT) throw bad(`uses the inner compressor ${FORMAT_NAMES[h.format] ?? `#${h.format}`}, but only zstd is supported`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nblocks = Math.ceil(h.nbytes / h.blocksize);
  if (HEADER + 4 * nblocks > data.length) throw bad(`ends inside its table of ${nblocks} block offsets`);
  const tmp = new Uint8Array(h.blocksize);
  for (let b = 0; b < nblocks; b++) {
    const leftover = b === nblocks - 1 && h.nbytes % h.blocksize !== 0;
    const bsize = leftover ? h.nbytes % h.blocksize : h.blocksize;
    const split = h.split && h.typesize <= MAX_SPLITS && Math.floor(h.blocksize / h.typesize) >= MIN_BUFFERSIZE && !leftover;
    const nsplits = split ? h.typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    const shuffled = (h.shuffle === 1 && h.typesize > 1) || (h.shuffle === 2 && bsize >= h.typesize);
    const dest = out.subarray(b * h.blocksize, b * h.blocksize + bsize);
    const target = shuffled ? tmp : dest;
    let at = view.getInt32(HEADER + 4 * b, true);
    for (let j = 0; j < nsplits; j++) {
      if (at < HEADER + 4 * nblocks || at + 4 > data.length) throw bad(`has block ${b} stream ${j} at an offset (${at}) outside the chunk`);
      const cbytes = view.getInt32(at, true);
      at += 4;
      if (cbytes < 0 || cbytes > data.length - at) throw bad(`has block ${b} stream ${j} of ${cbytes} bytes, past its end`);
      const piece = data.subarray(at, at + cbytes);
      if (cbytes === neblock) {
        target.set(piece, j * neblock);
      } else {
        let decoded: Uint8Array;
        try {
          decoded = decompress(piece, neblock);
        } catch (cause) {
          throw new CodecError('corrupt-chunk', `A Blosc chunk of ${data.length} bytes has block ${b} stream ${j} that could not be decompressed (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
        }
        if (decoded.length !== neblock) throw bad(`has block ${b} stream ${j} that expands to ${decoded.length} bytes, expected ${neblock}`);
        target.set(decoded, j * neblock);
      }
      at += cbytes;
    }
    if (nsplits * neblock !== bsize) throw bad(`has block ${b} of ${bsize} bytes that does not split into ${nsplits} streams`);
    if (h.shuffle === 1 && h.typesize > 1) unshuffleBytes(h.typesize, tmp, dest, bsize);
    else if (h.shuffle === 2 && bsize >= h.typesize) bitUnshuffle(h.typesize, tmp, dest, bsize);
  }
  return out;
}
