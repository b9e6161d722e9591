/**
 * The 128-byte command record (spec §2.1, §2.5): the annotated example byte for byte,
 * the idle SYSTEM_STATE_GET reply, seeded random round trips and every refusal.
 *
 * @example
 * npx vitest run test/acquisition/protocol/record.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  Axis,
  Command,
  END_MARKER,
  Flags,
  MAX_TEXT_BYTES,
  RECORD_SIZE,
  START_MARKER,
  SystemState,
  decodeRecord,
  encodeRecord,
  encodeRecordText,
  encodeRecordWithPayload,
  hasCallbackFlag,
  hasValidMarkers,
  isProtocolError,
  makeRecord,
  writeRecord,
  type FlamingoRecord,
  type ProtocolErrorCode,
} from '../../../src/acquisition/protocol/index.ts';
import { prng } from '../../support.ts';

/** The §2.5 listing, copied from the spec: offset, bytes, field. */
const ANNOTATED_EXAMPLE = `
0000    54 e6 21 f3                                      start marker 0xF321E654
0004    04 60 00 00                                      cmd 0x00006004 = 24580
0008    00 00 00 00                                      status 0
000c    00 00 00 00  00 00 00 00  00 00 00 00            hardwareID, subsystemID, clientID
0018    01 00 00 00                                      int32Data0 = 1 (axis X)
001c    00 00 00 00  00 00 00 00                         int32Data1, int32Data2
0024    00 00 00 80                                      cmdDataBits0 = 0x80000000
0028    0a d7 a3 70 3d 8a 1e 40                          doubleData = 7.635 (f64 LE)
0030    00 00 00 00                                      addDataBytes = 0
0034    00 × 72                                          buffer (empty)
007c    21 43 dc fe                                      end marker 0xFEDC4321
`;

/** Turns a hex listing into bytes, checking each line's offset against the bytes so far. */
function bytesFromListing(listing: string): Uint8Array {
  const out: number[] = [];
  for (const line of listing.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const offsetToken = tokens.shift();
    if (!offsetToken) continue;
    expect(Number.parseInt(offsetToken, 16), `offset of line "${line.trim()}"`).toBe(out.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!/^[0-9a-f]{2}$/.test(t)) break;
      if (tokens[i + 1] === '×') {
        const count = Number(tokens[i + 2]);
        for (let j = 0; j < count; j++) out.push(Number.parseInt(t, 16));
        break;
      }
      out.push(Number.parseInt(t, 16));
    }
  }
  return Uint8Array.from(out);
}

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isProtocolError(caught, code), `expected ProtocolError '${code}', got ${String(caught)}`).toBe(true);
}

describe('§2.5 annotated example', () => {
  const expected = bytesFromListing(ANNOTATED_EXAMPLE);
  const move = {
    cmd: Command.STAGE_POSITION_SET,
    int32Data0: Axis.X,
    doubleData: 7.635,
    cmdDataBits0: Flags.TRIGGER_CALL_BACK,
  };

  it('the listing is one whole record', () => {
    expect(expected.length).toBe(RECORD_SIZE);
  });

  it('encodes byte for byte', () => {
    expect(Array.from(encodeRecord(move))).toEqual(Array.from(expected));
  });

  it('decodes every field', () => {
    expect(decodeRecord(expected)).toEqual(makeRecord(move));
    const r = decodeRecord(expected);
    expect(r.cmd).toBe(24580);
    expect(r.cmd).toBe(0x6004);
    expect(r.cmdDataBits0).toBe(0x80000000);
    expect(hasCallbackFlag(r.cmdDataBits0)).toBe(true);
    expect(r.doubleData).toBe(7.635);
    expect(r.text).toBe('');
  });

  it('writes at an offset inside a larger buffer and decodes from there', () => {
    const big = new Uint8Array(RECORD_SIZE + 13).fill(0xaa);
    writeRecord(move, big, 7);
    expect(Array.from(big.subarray(7, 7 + RECORD_SIZE))).toEqual(Array.from(expected));
    expect(big.subarray(0, 7).every((b) => b === 0xaa)).toBe(true);
    expect(big.subarray(7 + RECORD_SIZE).every((b) => b === 0xaa)).toBe(true);
    expect(hasValidMarkers(big, 7)).toBe(true);
    expect(decodeRecord(big, 7)).toEqual(makeRecord(move));
    // A subarray view whose byteOffset is not 0.
    expect(decodeRecord(big.subarray(7))).toEqual(makeRecord(move));
  });

  it('markers sit where §2.1 says', () => {
    const view = new DataView(expected.buffer);
    expect(view.getUint32(0, true)).toBe(START_MARKER);
    expect(view.getUint32(124, true)).toBe(END_MARKER);
  });
});

describe('idle SYSTEM_STATE_GET reply (§2.5)', () => {
  it('starts 54 e6 21 f3 07 a0 00 00 01 00 00 00 and holds 02 a0 00 00 at offset 24', () => {
    const reply = encodeRecord({
      cmd: Command.SYSTEM_STATE_GET,
      status: 1,
      int32Data0: SystemState.IDLE,
      cmdDataBits0: Flags.TRIGGER_CALL_BACK,
    });
    expect(Array.from(reply.subarray(0, 12))).toEqual([0x54, 0xe6, 0x21, 0xf3, 0x07, 0xa0, 0, 0, 0x01, 0, 0, 0]);
    expect(Array.from(reply.subarray(24, 28))).toEqual([0x02, 0xa0, 0x00, 0x00]);
    const r = decodeRecord(reply);
    expect(r.cmd).toBe(0xa007);
    expect(r.status).toBe(1);
    expect(r.int32Data0).toBe(40962);
  });
});

/** A random string of 0..maxBytes bytes of UTF-8 mixing 1- to 4-byte characters. */
function randomText(rand: () => number, maxBytes: number): string {
  const pool = ['a', 'Z', '7', ' ', '=', '\n', 'µ', 'é', '°', '€', '中', '😀', '𝄞'];
  let s = '';
  let bytes = 0;
  const target = Math.floor(rand() * (maxBytes + 1));
  for (;;) {
    const c = pool[Math.floor(rand() * pool.length)]!;
    const n = new TextEncoder().encode(c).length;
    if (bytes + n > target) break;
    s += c;
    bytes += n;
  }
  return s;
}

function pick<T>(rand: () => number, values: readonly T[]): T {
  return values[Math.floor(rand() * values.length)]!;
}

function randomUint32(rand: () => number): number {
  return pick(rand, [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, Math.floor(rand() * 0x100000000)]);
}

function randomInt32(rand: () => number): number {
  return pick(rand, [0, -1, 1, -0x80000000, 0x7fffffff, Math.floor(rand() * 0x100000000) - 0x80000000]);
}

function randomDouble(rand: () => number): number {
  return pick(rand, [
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MIN_VALUE,
    -Number.MAX_VALUE,
    7.635,
    (rand() - 0.5) * 1e6,
  ]);
}

describe('round trips', () => {
  it('random field values survive encode → decode exactly (seeded)', () => {
    const seed = 0x5eed2;
    const rand = prng(seed);
    for (let i = 0; i < 2000; i++) {
      const r: FlamingoRecord = {
        cmd: randomUint32(rand),
        status: randomUint32(rand),
        hardwareID: randomUint32(rand),
        subsystemID: randomUint32(rand),
        clientID: randomUint32(rand),
        int32Data0: randomInt32(rand),
        int32Data1: randomInt32(rand),
        int32Data2: randomInt32(rand),
        cmdDataBits0: randomUint32(rand),
        doubleData: randomDouble(rand),
        addDataBytes: randomUint32(rand),
        text: randomText(rand, MAX_TEXT_BYTES),
      };
      const back = decodeRecord(encodeRecord(r));
      // toEqual uses Object.is for numbers: NaN equals NaN, -0 differs from 0.
      expect(back, `seed ${seed} case ${i}: ${JSON.stringify(r)}`).toEqual(r);
      expect(Object.is(back.doubleData, r.doubleData)).toBe(true);
    }
  });

  it('negative int32Data and the 0x80000000 flag', () => {
    const r = decodeRecord(
      encodeRecord({ cmd: 1, int32Data0: -1, int32Data1: -2147483648, int32Data2: -42, cmdDataBits0: 0x80000000 }),
    );
    expect([r.int32Data0, r.int32Data1, r.int32Data2]).toEqual([-1, -2147483648, -42]);
    expect(r.cmdDataBits0).toBe(2147483648);
    expect(hasCallbackFlag(r.cmdDataBits0)).toBe(true);
    expect(hasCallbackFlag(0x7fffffff)).toBe(false);
    expect(hasCallbackFlag(0xffffffff)).toBe(true);
    expect(hasCallbackFlag(-0x80000000)).toBe(true); // the same bit pattern read as signed
  });

  it('special doubles keep their bits: NaN, ±Infinity, -0', () => {
    for (const d of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0]) {
      expect(Object.is(decodeRecord(encodeRecord({ cmd: 1, doubleData: d })).doubleData, d)).toBe(true);
    }
    expect(Array.from(encodeRecord({ cmd: 1, doubleData: -0 }).subarray(40, 48))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80]);
  });

  it('text of exactly 71 UTF-8 bytes with multi-byte characters, NUL-terminated', () => {
    const text = '€'.repeat(23) + 'ab'; // 23 × 3 + 2 = 71 bytes
    expect(new TextEncoder().encode(text).length).toBe(71);
    const bytes = encodeRecord({ cmd: 1, text });
    expect(bytes[52 + 71]).toBe(0);
    expect(decodeRecord(bytes).text).toBe(text);
    const emoji = '😀'.repeat(17) + 'xyz'; // 17 × 4 + 3 = 71
    expect(decodeRecord(encodeRecord({ cmd: 1, text: emoji })).text).toBe(emoji);
  });

  it('a shorter text overwrites stale bytes in a reused target (NUL padding)', () => {
    const target = new Uint8Array(RECORD_SIZE);
    writeRecord({ cmd: 1, text: 'x'.repeat(71) }, target);
    writeRecord({ cmd: 1, text: 'hi' }, target);
    expect(target.subarray(54, 124).every((b) => b === 0)).toBe(true);
    expect(decodeRecord(target).text).toBe('hi');
  });

  it('a 72-byte buffer with no NUL decodes all 72 bytes (py2flamingo writes such records)', () => {
    const bytes = encodeRecord({ cmd: 8194 });
    bytes.fill(0x41, 52, 124);
    expect(decodeRecord(bytes).text).toBe('A'.repeat(72));
  });

  it('text stops at the first NUL; bytes after it are ignored', () => {
    const bytes = encodeRecord({ cmd: 8194, text: '10.70' });
    bytes[60] = 0x42;
    expect(decodeRecord(bytes).text).toBe('10.70');
  });

  it('encodeRecordWithPayload sets addDataBytes and appends the payload', () => {
    const text = 'Work flow text ✓';
    const bytes = encodeRecordWithPayload({ cmd: Command.CAMERA_WORK_FLOW_START, cmdDataBits0: Flags.TRIGGER_CALL_BACK }, text);
    const n = new TextEncoder().encode(text).length;
    expect(bytes.length).toBe(RECORD_SIZE + n);
    expect(decodeRecord(bytes).addDataBytes).toBe(n);
    expect(new TextDecoder().decode(bytes.subarray(RECORD_SIZE))).toBe(text);
    // The §3.1 header bytes 36–51 for a 2261-byte file.
    const h = encodeRecordWithPayload({ cmd: 12292, cmdDataBits0: Flags.TRIGGER_CALL_BACK }, new Uint8Array(2261));
    expect(Array.from(h.subarray(36, 52))).toEqual([0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xd5, 0x08, 0, 0]);
  });

  it('fields given as undefined take their defaults', () => {
    expect(decodeRecord(encodeRecord({ cmd: 5, status: undefined, text: undefined }))).toEqual(makeRecord({ cmd: 5 }));
  });
});

describe('refusals', () => {
  it('refuses 72 bytes of text (text-too-long), also when multi-byte pushes it over', () => {
    expectProtocolError(() => encodeRecord({ cmd: 1, text: 'x'.repeat(72) }), 'text-too-long');
    expectProtocolError(() => encodeRecord({ cmd: 1, text: 'x'.repeat(70) + 'é' }), 'text-too-long');
    expectProtocolError(() => encodeRecordText('€'.repeat(24)), 'text-too-long');
    expect(encodeRecordText('x'.repeat(71)).length).toBe(71);
  });

  it('refuses out-of-range and non-integer fields (bad-field)', () => {
    const bad: [keyof FlamingoRecord, number][] = [
      ['cmd', -1],
      ['cmd', 0x100000000],
      ['status', 1.5],
      ['hardwareID', Number.NaN],
      ['subsystemID', -1],
      ['clientID', Number.POSITIVE_INFINITY],
      ['cmdDataBits0', -0x80000000],
      ['addDataBytes', 2 ** 32],
      ['int32Data0', 0x80000000],
      ['int32Data1', -0x80000001],
      ['int32Data2', 0.25],
    ];
    for (const [field, value] of bad) {
      expectProtocolError(() => encodeRecord({ cmd: 1, [field]: value }), 'bad-field');
    }
  });

  it('a refused record leaves the target untouched', () => {
    const target = new Uint8Array(RECORD_SIZE).fill(7);
    expectProtocolError(() => writeRecord({ cmd: 1, int32Data0: 2 ** 31 }, target), 'bad-field');
    expectProtocolError(() => writeRecord({ cmd: 1, text: 'x'.repeat(72) }, target), 'text-too-long');
    expect(target.every((b) => b === 7)).toBe(true);
  });

  it('refuses short buffers and bad offsets (bad-length)', () => {
    expectProtocolError(() => decodeRecord(new Uint8Array(127)), 'bad-length');
    expectProtocolError(() => decodeRecord(new Uint8Array(200), 100), 'bad-length');
    expectProtocolError(() => decodeRecord(new Uint8Array(200), -1), 'bad-length');
    expectProtocolError(() => writeRecord({ cmd: 1 }, new Uint8Array(127)), 'bad-length');
    expectProtocolError(() => writeRecord({ cmd: 1 }, new Uint8Array(200), 73), 'bad-length');
    expectProtocolError(() => writeRecord({ cmd: 1 }, new Uint8Array(200), 1.5), 'bad-length');
    expect(hasValidMarkers(new Uint8Array(127))).toBe(false);
    expect(hasValidMarkers(encodeRecord({ cmd: 1 }), -1)).toBe(false);
  });

  it('refuses bad start or end markers (bad-marker)', () => {
    for (const at of [0, 3, 124, 127]) {
      const bytes = encodeRecord({ cmd: 1 });
      bytes[at]! ^= 0x01;
      expect(hasValidMarkers(bytes)).toBe(false);
      expectProtocolError(() => decodeRecord(bytes), 'bad-marker');
    }
  });
});
