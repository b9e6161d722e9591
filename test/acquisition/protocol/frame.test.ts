/**
 * The live port (spec §6): the 40-byte header, frames at every split point, options-only
 * headers (imageSize = 0), size mismatches, the size bound, the MIP flag, close().
 *
 * @example
 * npx vitest run test/acquisition/protocol/frame.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_SIZE,
  FrameStreamParser,
  ImageOptions,
  decodeFrameHeader,
  encodeFrame,
  encodeFrameHeader,
  isMaxProjection,
  isProtocolError,
  writeFrameHeader,
  type FrameHeader,
  type FrameMessage,
  type ProtocolErrorCode,
} from '../../../src/acquisition/protocol/index.ts';
import { concat, feed } from '../../support.ts';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode): void {
  const e = caught(fn);
  expect(isProtocolError(e, code), `expected ProtocolError '${code}', got ${String(e)}`).toBe(true);
}

/** A compact form for fast comparison: kind, header, and the payload bytes as hex. */
function summary(messages: readonly FrameMessage[]): string[] {
  return messages.map((m) => {
    const body =
      m.kind === 'frame'
        ? Buffer.from(m.pixels.buffer, m.pixels.byteOffset, m.pixels.byteLength).toString('hex')
        : m.kind === 'mismatch'
          ? `${Buffer.from(m.bytes).toString('hex')} ${m.error.code}`
          : '';
    return `${m.kind} ${JSON.stringify(m.header)} ${body}`;
  });
}

function ramp(n: number, start = 0): Uint16Array {
  return Uint16Array.from({ length: n }, (_, i) => (start + i * 257) & 0xffff);
}

function fullHeader(init: Partial<FrameHeader> & Pick<FrameHeader, 'width' | 'height'>): FrameHeader {
  return {
    imageSize: init.width * init.height * 2,
    scaleMin: 0,
    scaleMax: 0,
    deviceIndex: 0,
    optionsSettings1: ImageOptions.IMAGE_DATA,
    optionsSettings2: 0,
    imageIndexStart: 0,
    imageIndexStop: 0,
    ...init,
  };
}

describe('header', () => {
  it('encodes ten little-endian words in the §6.1 order', () => {
    const bytes = encodeFrameHeader({
      imageSize: 0x01020304,
      width: 5,
      height: 6,
      scaleMin: 7,
      scaleMax: 0xfffe,
      deviceIndex: 3,
      optionsSettings1: 0x20,
      optionsSettings2: (100 << 16) | 200,
      imageIndexStart: -1,
      imageIndexStop: 0x7fffffff,
    });
    expect(bytes.length).toBe(FRAME_HEADER_SIZE);
    expect(Array.from(bytes)).toEqual([
      0x04, 0x03, 0x02, 0x01, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 0xfe, 0xff, 0, 0, 3, 0, 0, 0, 0x20, 0, 0, 0, 200, 0, 100, 0,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ]);
  });

  it('decodes what it encodes, signed index words included', () => {
    const h = fullHeader({ width: 2048, height: 2048, scaleMin: 100, scaleMax: 0xffffffff, imageIndexStart: -5, imageIndexStop: -0x80000000 });
    expect(decodeFrameHeader(encodeFrameHeader(h))).toEqual(h);
    const big = new Uint8Array(FRAME_HEADER_SIZE + 9);
    writeFrameHeader(h, big, 9);
    expect(decodeFrameHeader(big, 9)).toEqual(h);
    expect(decodeFrameHeader(big.subarray(9))).toEqual(h);
  });

  it('defaults: imageSize = width × height × 2, optionsSettings1 = IMAGE_DATA, the rest 0', () => {
    expect(decodeFrameHeader(encodeFrameHeader({ width: 640, height: 480 }))).toEqual(fullHeader({ width: 640, height: 480 }));
    expect(decodeFrameHeader(encodeFrameHeader({ width: 640, height: 480 })).imageSize).toBe(614400);
  });

  it('refuses out-of-range fields (bad-field) and short buffers (bad-length)', () => {
    expectProtocolError(() => encodeFrameHeader({ width: -1, height: 1 }), 'bad-field');
    expectProtocolError(() => encodeFrameHeader({ width: 1, height: 1, imageIndexStart: 2 ** 31 }), 'bad-field');
    expectProtocolError(() => encodeFrameHeader({ width: 1, height: 1, scaleMax: 1.5 }), 'bad-field');
    expectProtocolError(() => encodeFrameHeader({ width: 65536, height: 65536 }), 'bad-field'); // imageSize would need 33 bits
    expectProtocolError(() => writeFrameHeader({ width: 1, height: 1 }, new Uint8Array(39)), 'bad-length');
    expectProtocolError(() => writeFrameHeader({ width: 1, height: 1 }, new Uint8Array(50), 11), 'bad-length');
    expectProtocolError(() => writeFrameHeader({ width: 1, height: 1 }, new Uint8Array(50), -1), 'bad-length');
    expectProtocolError(() => decodeFrameHeader(new Uint8Array(39)), 'bad-length');
    expectProtocolError(() => decodeFrameHeader(new Uint8Array(80), 41), 'bad-length');
  });

  it('encodeFrame writes uint16 little-endian pixels after the header', () => {
    const bytes = encodeFrame({ width: 2, height: 1 }, Uint16Array.of(0x1234, 0xabcd));
    expect(Array.from(bytes.subarray(FRAME_HEADER_SIZE))).toEqual([0x34, 0x12, 0xcd, 0xab]);
    expect(decodeFrameHeader(bytes).imageSize).toBe(4);
    expectProtocolError(() => encodeFrame({ width: 2, height: 2 }, Uint16Array.of(1, 2, 3)), 'bad-frame');
  });

  it('the MIP flag (optionsSettings1 0x20) tells a projection from a plane (0x10)', () => {
    expect(isMaxProjection(fullHeader({ width: 1, height: 1, optionsSettings1: ImageOptions.MAX_PROJECTION }))).toBe(true);
    expect(isMaxProjection(fullHeader({ width: 1, height: 1, optionsSettings1: ImageOptions.IMAGE_DATA }))).toBe(false);
    expect(isMaxProjection(fullHeader({ width: 1, height: 1, optionsSettings1: 0xffff0020 }))).toBe(true);
    expect(isMaxProjection(fullHeader({ width: 1, height: 1, optionsSettings1: 0xffffffdf }))).toBe(false);
  });
});

describe('stream', () => {
  const plane = encodeFrame({ width: 3, height: 2, scaleMin: 10, scaleMax: 900, imageIndexStart: 0, imageIndexStop: 4 }, ramp(6));
  const options = encodeFrameHeader({ imageSize: 0, width: 0, height: 0, scaleMin: 5, scaleMax: 60000, optionsSettings1: ImageOptions.ZOOM | ImageOptions.CROSSHAIR, optionsSettings2: 0x00400030 });
  const mip = encodeFrame({ width: 2, height: 2, optionsSettings1: ImageOptions.MAX_PROJECTION, imageIndexStart: 4, imageIndexStop: 4 }, ramp(4, 999));
  const wrongSize = concat(encodeFrameHeader({ imageSize: 10, width: 2, height: 2 }), Uint8Array.from({ length: 10 }, (_, i) => i));
  const stream = concat(options, plane, options, options, mip, wrongSize, plane, options);
  const reference = (() => {
    const p = new FrameStreamParser();
    return { messages: p.push(stream), stats: { ...p.stats } };
  })();

  it('one push: frames, options headers, the MIP and the mismatch, in order', () => {
    expect(reference.messages.map((m) => m.kind)).toEqual(['options', 'frame', 'options', 'options', 'frame', 'mismatch', 'frame', 'options']);
    const [first, second] = reference.messages;
    expect(first!.kind === 'options' && first!.header.optionsSettings2).toBe(0x00400030);
    expect(second!.kind === 'frame' && Array.from(second!.pixels)).toEqual(Array.from(ramp(6)));
    const m = reference.messages[4]!;
    expect(m.kind === 'frame' && isMaxProjection(m.header)).toBe(true);
    expect(isMaxProjection(reference.messages[1]!.header)).toBe(false);
    expect(reference.stats).toEqual({ frames: 3, optionHeaders: 4, mismatches: 1, pixelBytes: 12 + 8 + 12 });
  });

  it('every single split point gives the same messages', () => {
    const want = summary(reference.messages);
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new FrameStreamParser();
      expect(summary(feed(p, stream, [cut])), `cut ${cut}`).toEqual(want);
      expect(p.bufferedBytes).toBe(0);
      expect(p.stats).toEqual(reference.stats);
    }
  });

  it('every pair of split points of a frame followed by an options header', () => {
    const small = concat(plane, options, mip);
    const want = summary(new FrameStreamParser().push(small));
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        expect(summary(feed(new FrameStreamParser(), small, [a, b])), `cuts ${a}, ${b}`).toEqual(want);
      }
    }
  });

  it('one byte at a time', () => {
    const cuts = Array.from({ length: stream.length }, (_, i) => i);
    expect(summary(feed(new FrameStreamParser(), stream, cuts))).toEqual(summary(reference.messages));
  });

  it('pixels own their ArrayBuffer (transferable) and do not alias the pushed chunk', () => {
    const chunk = plane.slice();
    const [m] = new FrameStreamParser().push(chunk);
    chunk.fill(0);
    if (m?.kind !== 'frame') throw new Error(`expected a frame, got ${m?.kind}`);
    expect(m.pixels.byteOffset).toBe(0);
    expect(m.pixels.buffer.byteLength).toBe(12);
    expect(Array.from(m.pixels)).toEqual(Array.from(ramp(6)));
  });

  it('a size mismatch is consumed, reported with bad-frame, and the stream stays in step', () => {
    const p = new FrameStreamParser();
    const out = p.push(concat(wrongSize, plane));
    expect(out.map((m) => m.kind)).toEqual(['mismatch', 'frame']);
    const bad = out[0]!;
    if (bad.kind !== 'mismatch') throw new Error('expected a mismatch');
    expect(isProtocolError(bad.error, 'bad-frame')).toBe(true);
    expect(bad.error.message).toMatch(/10 bytes but 2 × 2 × 2 = 8/);
    expect(Array.from(bad.bytes)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.stats.mismatches).toBe(1);
    expect(p.stats.frames).toBe(1);
  });

  it('an odd-sized payload and a payload with a 0 × 0 header are mismatches too', () => {
    const odd = concat(encodeFrameHeader({ imageSize: 3, width: 1, height: 1 }), Uint8Array.of(1, 2, 3));
    const zero = concat(encodeFrameHeader({ imageSize: 4, width: 0, height: 0 }), Uint8Array.of(1, 2, 3, 4));
    expect(new FrameStreamParser().push(concat(odd, zero, plane)).map((m) => m.kind)).toEqual(['mismatch', 'mismatch', 'frame']);
  });

  it('an options header with width and height set still has no payload', () => {
    const h = encodeFrameHeader({ imageSize: 0, width: 2048, height: 2048 });
    const out = new FrameStreamParser().push(concat(h, plane));
    expect(out.map((m) => m.kind)).toEqual(['options', 'frame']);
  });
});

describe('the size bound', () => {
  const plane = encodeFrame({ width: 4, height: 4 }, ramp(16));
  const tooBig = encodeFrameHeader({ width: 33, height: 1 }); // 66 bytes announced

  it('imageSize equal to maxFrameBytes is accepted', () => {
    const p = new FrameStreamParser({ maxFrameBytes: 32 });
    expect(p.push(plane).map((m) => m.kind)).toEqual(['frame']);
  });

  it('imageSize over maxFrameBytes throws payload-too-large and the parser stays failed', () => {
    const p = new FrameStreamParser({ maxFrameBytes: 64 });
    expect(p.failure).toBeNull();
    const first = caught(() => p.push(concat(tooBig, plane)));
    expect(isProtocolError(first, 'payload-too-large')).toBe(true);
    expect((first as Error).message).toMatch(/66 bytes \(33 × 1\), over the 64-byte bound/);
    expect(p.failure).toBe(first);
    expect(p.bufferedBytes).toBe(0);
    expect(caught(() => p.push(plane))).toBe(first);
    expect(caught(() => p.push(new Uint8Array(0)))).toBe(first);
    p.close();
    expect(caught(() => p.push(plane))).toBe(first);
  });

  it('a header split over pushes fails when its last byte arrives', () => {
    const p = new FrameStreamParser({ maxFrameBytes: 64 });
    expect(p.push(tooBig.subarray(0, 39))).toEqual([]);
    expectProtocolError(() => p.push(tooBig.subarray(39)), 'payload-too-large');
  });

  it('frames completed earlier in the same push are returned; the next push throws', () => {
    const p = new FrameStreamParser({ maxFrameBytes: 64 });
    const out = p.push(concat(plane, plane, tooBig, plane));
    expect(out.map((m) => m.kind)).toEqual(['frame', 'frame']);
    expect(isProtocolError(p.failure, 'payload-too-large')).toBe(true);
    expectProtocolError(() => p.push(plane), 'payload-too-large');
  });

  it('a bogus 4 GiB imageSize never allocates (default bound)', () => {
    const p = new FrameStreamParser();
    expectProtocolError(() => p.push(encodeFrameHeader({ imageSize: 0xffffffff, width: 1, height: 1 })), 'payload-too-large');
  });

  it('refuses a bad bound', () => {
    for (const max of [-1, 0.5, Number.NaN]) expect(() => new FrameStreamParser({ maxFrameBytes: max })).toThrow(/maxFrameBytes/);
  });
});

describe('close()', () => {
  const plane = encodeFrame({ width: 4, height: 4 }, ramp(16));

  it('reports a partial header', () => {
    const p = new FrameStreamParser();
    p.push(plane.subarray(0, 17));
    expect(p.bufferedBytes).toBe(17);
    expect(p.close()).toEqual({ incompleteBytes: 17 });
  });

  it('reports a whole header plus the pixels that arrived', () => {
    const p = new FrameStreamParser();
    p.push(concat(plane, plane.subarray(0, FRAME_HEADER_SIZE + 5)));
    expect(p.bufferedBytes).toBe(5);
    expect(p.close()).toEqual({ incompleteBytes: FRAME_HEADER_SIZE + 5 });
  });

  it('a closed parser refuses bytes with parser-closed; closing again reports nothing', () => {
    const p = new FrameStreamParser();
    expect(p.close()).toEqual({ incompleteBytes: 0 });
    expect(p.close()).toEqual({ incompleteBytes: 0 });
    expectProtocolError(() => p.push(plane), 'parser-closed');
    expect(isProtocolError(p.failure, 'parser-closed')).toBe(true);
  });
});
