import { Compressor, decompress } from 'zstd-napi';
import { describe, expect, it } from 'vitest';
import { bitShuffle, bitUnshuffle, bloscDecode, bloscEncode, bloscHeader, shuffleBytes, unshuffleBytes } from '../../../src/session/codec/blosc.ts';
import type { BloscShuffle } from '../../../src/session/codec/blosc.ts';
import { bloscZstdLevel, createNativeBloscZstdCodec } from '../../../src/session/codec/blosc-zstd.node.ts';
import { CodecError } from '../../../src/session/codec/types.ts';
import { byteCodec } from '../../../src/session/read/codecs.ts';

const cmp = new Compressor();
cmp.setParameters({ compressionLevel: 1 });
const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(cmp.compress(b));

/** Byte equality without vitest's element-by-element diffing (slow on large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
const unzstd = (b: Uint8Array): Uint8Array => new Uint8Array(decompress(b));

/** Camera-like bytes: small noisy values over an offset, some saturated pixels. */
function cameraBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = i % 2 === 0 ? 100 + (s >>> 28) : i % 997 === 1 ? 0xff : 0;
  }
  return out;
}

function randomBytes(n: number, seed = 9): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('Blosc shuffles', () => {
  it('byte shuffle transposes bytes, keeps trailing bytes, and inverts for every typesize', () => {
    for (const typesize of [1, 2, 3, 4, 8, 16]) {
      for (const n of [0, 1, 7, 8, 64, 100, 1027, 4096]) {
        const src = randomBytes(n, typesize * 1000 + n);
        const dst = new Uint8Array(n);
        shuffleBytes(typesize, src, dst);
        const count = Math.floor(n / typesize);
        for (let i = 0; i < count; i++) for (let j = 0; j < typesize; j++) expect(dst[j * count + i]).toBe(src[i * typesize + j]);
        for (let p = count * typesize; p < n; p++) expect(dst[p]).toBe(src[p]);
        const back = new Uint8Array(n);
        unshuffleBytes(typesize, dst, back);
        expect(same(back, src)).toBe(true);
      }
    }
  });

  it('the word-at-a-time typesize-2 path matches the byte loop (aligned and unaligned views)', () => {
    const big = randomBytes(8192 + 1, 5);
    const aligned = big.subarray(0, 8192);
    const unaligned = big.subarray(1, 8193);
    const a = new Uint8Array(8192);
    const b = new Uint8Array(8192);
    shuffleBytes(2, aligned, a);
    shuffleBytes(2, unaligned.slice(), b); // fresh copy: aligned again
    const c = new Uint8Array(8193);
    shuffleBytes(2, unaligned, c.subarray(1)); // both unaligned: the byte loop
    expect(c.subarray(1)).toEqual(b);
    for (let i = 0; i < 4096; i++) {
      expect(a[i]).toBe(aligned[2 * i]);
      expect(a[4096 + i]).toBe(aligned[2 * i + 1]);
    }
    const back = new Uint8Array(8192);
    unshuffleBytes(2, a, back);
    expect(same(back, aligned)).toBe(true);
  });

  it('bit shuffle puts bit k of byte j of element i at row 8j+k, bit i mod 8 of byte i/8', () => {
    for (const typesize of [1, 2, 3, 4, 8]) {
      for (const count of [8, 16, 72, 1024]) {
        const n = count * typesize + (typesize > 1 ? 1 : 0);
        const src = randomBytes(n, count + typesize);
        const dst = new Uint8Array(n);
        bitShuffle(typesize, src, dst);
        const rowBytes = count / 8;
        for (let i = 0; i < count; i++) {
          for (let j = 0; j < typesize; j++) {
            for (let k = 0; k < 8; k++) {
              const want = (src[i * typesize + j]! >> k) & 1;
              const got = (dst[(8 * j + k) * rowBytes + (i >> 3)]! >> (i & 7)) & 1;
              if (got !== want) expect({ i, j, k, got }).toEqual({ i, j, k, got: want });
            }
          }
        }
        for (let p = count * typesize; p < n; p++) expect(dst[p]).toBe(src[p]);
        const back = new Uint8Array(n);
        bitUnshuffle(typesize, dst, back);
        expect(same(back, src)).toBe(true);
      }
    }
  });

  it('bit shuffle copies a block whose element count is not a multiple of 8', () => {
    const src = randomBytes(2 * 13, 3);
    const dst = new Uint8Array(src.length);
    bitShuffle(2, src, dst);
    expect(dst).toEqual(src);
  });
});

describe('Blosc container', () => {
  it('round-trips many sizes, typesizes, shuffles and block sizes', () => {
    for (const n of [0, 1, 127, 128, 129, 1000, 4099, 70_001, 524_288]) {
      for (const typesize of [1, 2, 3, 4, 8]) {
        for (const shuffle of [0, 1, 2] as BloscShuffle[]) {
          for (const blocksize of [undefined, 256, 8192]) {
            if (n === 524_288 && blocksize === 256) continue; // 2048 blocks: slow and adds nothing
            const src = cameraBytes(n, n + typesize);
            const chunk = bloscEncode(src, { typesize, shuffle, clevel: 5, blocksize }, zstd);
            const h = bloscHeader(chunk);
            expect(h).toMatchObject({ version: 2, versionlz: 1, typesize, nbytes: n, cbytes: chunk.length, format: 4 });
            expect(same(bloscDecode(chunk, unzstd), src)).toBe(true);
          }
        }
      }
    }
  });

  it('compresses camera-like uint16 and sets the header flags', () => {
    const src = cameraBytes(64 ** 3 * 2);
    for (const shuffle of [0, 1, 2] as BloscShuffle[]) {
      const chunk = bloscEncode(src, { typesize: 2, shuffle, clevel: 1 }, zstd);
      expect(chunk.length).toBeLessThan(src.length / 2);
      expect(chunk[2]).toBe(0x90 | [0, 0x1, 0x4][shuffle]!);
      expect(bloscHeader(chunk)).toMatchObject({ shuffle, memcpyed: false, split: false, blocksize: 256 * 1024 });
    }
  });

  it('stores incompressible and tiny buffers uncompressed (flag 0x2), as c-blosc does', () => {
    const random = randomBytes(10_000);
    const chunk = bloscEncode(random, { typesize: 2, shuffle: 1, clevel: 1 }, zstd);
    expect(chunk.length).toBe(16 + random.length);
    expect(bloscHeader(chunk).memcpyed).toBe(true);
    expect(same(bloscDecode(chunk, unzstd), random)).toBe(true);
    const tiny = bloscEncode(new Uint8Array(100), { typesize: 2, shuffle: 1, clevel: 1 }, zstd);
    expect(bloscHeader(tiny).memcpyed).toBe(true);
    const level0 = bloscEncode(new Uint8Array(1000), { typesize: 2, shuffle: 1, clevel: 0 }, zstd);
    expect(level0.length).toBe(1016);
  });

  it('rejects bad options and corrupt chunks with CodecErrors naming the problem', () => {
    const src = cameraBytes(50_000);
    expect(() => bloscEncode(src, { typesize: 0, shuffle: 1, clevel: 1 }, zstd)).toThrow(/typesize 0/);
    expect(() => bloscEncode(src, { typesize: 2, shuffle: 3 as BloscShuffle, clevel: 1 }, zstd)).toThrow(/shuffle 3/);
    expect(() => bloscEncode(src, { typesize: 2, shuffle: 1, clevel: 10 }, zstd)).toThrow(/clevel 10/);
    const chunk = bloscEncode(src, { typesize: 2, shuffle: 1, clevel: 1, blocksize: 4096 }, zstd);
    const cases: [Uint8Array, RegExp][] = [
      [chunk.subarray(0, 10), /shorter than the 16-byte header/],
      [chunk.subarray(0, chunk.length - 1), /says it holds/],
    ];
    const badVersion = chunk.slice();
    badVersion[0] = 7;
    cases.push([badVersion, /format version 7/]);
    const badOffset = chunk.slice();
    new DataView(badOffset.buffer).setInt32(16 + 4 * 3, 1 << 30, true);
    cases.push([badOffset, /outside the chunk/]);
    const badFrame = chunk.slice();
    const first = new DataView(badFrame.buffer).getInt32(16, true);
    badFrame[first + 4] = 0; // breaks the zstd magic number
    cases.push([badFrame, /could not be decompressed/]);
    const lz4 = chunk.slice();
    lz4[2] = (lz4[2]! & 0x1f) | (1 << 5);
    cases.push([lz4, /inner compressor lz4/]);
    for (const [bytes, message] of cases) {
      let caught: unknown;
      try {
        bloscDecode(bytes, unzstd);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CodecError);
      expect((caught as CodecError).code).toBe('corrupt-chunk');
      expect((caught as Error).message).toMatch(message);
    }
  });
});

describe('native Blosc-zstd codec', () => {
  it('writes the .zarray config, maps clevel like c-blosc, and round-trips', async () => {
    expect([1, 2, 5, 8, 9].map(bloscZstdLevel)).toEqual([1, 3, 9, 15, 22]);
    const codec = createNativeBloscZstdCodec();
    expect(codec.config).toEqual({ id: 'blosc', cname: 'zstd', clevel: 1, shuffle: 1, blocksize: 0 });
    const data = new Uint16Array(cameraBytes(64 ** 3 * 2).buffer);
    const bytes = await codec.encode(data);
    expect(same(await codec.decode(bytes), new Uint8Array(data.buffer))).toBe(true);
    expect(() => createNativeBloscZstdCodec({ clevel: 0 })).toThrow(CodecError);
  });

  it("the reader's numcodecs WebAssembly blosc decodes our chunks", async () => {
    const reader = byteCodec('blosc');
    const src = cameraBytes(64 ** 3 * 2, 4);
    for (const shuffle of [1, 2] as const) {
      for (const blocksize of [undefined, 32 * 1024]) {
        const codec = createNativeBloscZstdCodec({ shuffle, blocksize });
        expect(same(await reader.decode(codec.encodeSync(src), src.length), src)).toBe(true);
      }
    }
  });
});
