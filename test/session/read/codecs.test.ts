import Zstd from 'numcodecs/zstd';
import { describe, expect, it } from 'vitest';
import { byteCodec, zstdFrameCheck } from '../../../src/session/read/codecs.ts';
import { ChunkDecodeError } from '../../../src/session/read/level.ts';
import { parseTolerantJson } from '../../../src/session/read/json.ts';
import { untranspose } from '../../../src/session/read/elements.ts';
import { planeAtLevel, zAxisOf } from '../../../src/session/read/geometry.ts';
import type { LevelDescription } from '../../../src/session/read/description.ts';

const raw = new Uint8Array(new Uint16Array(4 * 64 * 64).map((_, i) => (i * 13) % 4000).buffer);

describe('zstd frame check (before the WebAssembly decoder)', () => {
  it('accepts a whole frame and reads its declared size', async () => {
    const enc = await Zstd.fromConfig({ id: 'zstd', level: 3 }).encode(raw);
    expect(zstdFrameCheck(enc)).toBe(raw.length);
  });

  it('names truncation at every length, and trailing bytes', async () => {
    const enc = await Zstd.fromConfig({ id: 'zstd', level: 3 }).encode(raw);
    for (let n = 0; n < enc.length; n++) expect(typeof zstdFrameCheck(enc.subarray(0, n)), `length ${n}`).toBe('string');
    const longer = new Uint8Array(enc.length + 2);
    longer.set(enc);
    expect(zstdFrameCheck(longer)).toBe('has 2 unexpected bytes after its frame');
  });

  it('turns a corrupt body into a ChunkDecodeError and keeps decoding afterwards', async () => {
    const enc = await Zstd.fromConfig({ id: 'zstd', level: 3 }).encode(raw);
    const codec = byteCodec('zstd');
    const bad = enc.slice();
    for (let i = 20; i < bad.length - 4; i += 7) bad[i] = bad[i]! ^ 0x5a;
    const err = await codec.decode(bad, raw.length).catch((e: unknown) => e);
    // Either the decoder notices, or the frame decodes to wrong data of the right size.
    if (err instanceof Error) expect(err).toBeInstanceOf(ChunkDecodeError);
    expect(Buffer.from(await codec.decode(enc, raw.length)).equals(Buffer.from(raw))).toBe(true);
  });

  it('refuses a size that differs from the chunk size before decoding', async () => {
    const enc = await Zstd.fromConfig({ id: 'zstd', level: 3 }).encode(raw);
    await expect(byteCodec('zstd').decode(enc, 100)).rejects.toThrow(`The zstd chunk declares ${raw.length} decoded bytes; expected 100.`);
  });
});

describe('tolerant JSON', () => {
  it('reads bare Infinity, -Infinity and NaN outside strings and keeps them inside strings', () => {
    const v = parseTolerantJson(new TextEncoder().encode('{"a": [Infinity, -Infinity, NaN], "s": "NaN and -Infinity \\" Infinity", "n": -1.5e3}'), 'x.json') as Record<string, unknown>;
    expect(v.a).toEqual([Infinity, -Infinity, NaN]);
    expect(v.s).toBe('NaN and -Infinity " Infinity');
    expect(v.n).toBe(-1500);
  });

  it('names the file for empty, white-space, non-UTF-8 and bad JSON', () => {
    expect(() => parseTolerantJson(new Uint8Array(0), 'a.json')).toThrow('a.json is empty; expected JSON.');
    expect(() => parseTolerantJson(new TextEncoder().encode('  \n'), 'b.json')).toThrow('b.json holds only white space; expected JSON.');
    expect(() => parseTolerantJson(new Uint8Array([0xff]), 'c.json')).toThrow('c.json is not valid UTF-8 text.');
    expect(() => parseTolerantJson(new TextEncoder().encode('{"a": Infinityx}'), 'd.json')).toThrow(/^d\.json is not valid JSON/);
  });
});

describe('untranspose', () => {
  it('undoes a 3-D permutation', () => {
    // decoded shape [2, 3, 4]; order [2, 0, 1] → encoded shape [4, 2, 3]
    const shape = [2, 3, 4];
    const order = [2, 0, 1];
    const dec = new Uint16Array(24).map((_, i) => i);
    const enc = new Uint16Array(24);
    let k = 0;
    for (let e0 = 0; e0 < 4; e0++) for (let e1 = 0; e1 < 2; e1++) for (let e2 = 0; e2 < 3; e2++) enc[k++] = dec[(e1 * 3 + e2) * 4 + e0]!;
    expect(Array.from(untranspose(enc, shape, order))).toEqual(Array.from(dec));
  });
});

describe('planeAtLevel', () => {
  it('maps level-0 planes by world z on a z-reduced pyramid, and keeps them on a session pyramid', () => {
    const level = (shape: number[], scale: number[], translation: number[]) => ({ shape, scale, translation }) as unknown as LevelDescription;
    const axes = [{ name: 'c' }, { name: 'z' }, { name: 'y' }, { name: 'x' }];
    const zi = zAxisOf(axes);
    expect(zi).toBe(1);
    const reduced = [level([1, 10, 8, 8], [1, 1, 1, 1], [0, 0, 0, 0]), level([1, 5, 4, 4], [1, 2, 2, 2], [0, 0.5, 0.5, 0.5])];
    expect([0, 1, 2, 3, 8, 9].map((z) => planeAtLevel(reduced, zi, z, 1))).toEqual([0, 0, 1, 1, 4, 4]);
    const session = [level([1, 10, 8, 8], [1, 2, 0.5, 0.5], [0, 0, 0, 0]), level([1, 10, 4, 4], [1, 2, 1, 1], [0, 0, 0.25, 0.25])];
    expect([0, 5, 9].map((z) => planeAtLevel(session, zi, z, 1))).toEqual([0, 5, 9]);
    expect(planeAtLevel(session, -1, 5, 1)).toBe(0);
  });
});
