/**
 * The command-port stream parser (spec §2.6, §3, §9.1): exact cuts at every split point,
 * payloads, resync with exact discard counts, the payload bound, raw capture, close().
 *
 * @example
 * npx vitest run test/acquisition/protocol/command-stream.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  Command,
  CommandStreamParser,
  Flags,
  RECORD_SIZE,
  SystemState,
  encodeRecord,
  encodeRecordWithPayload,
  findStartMarker,
  isProtocolError,
  makeRecord,
  type CommandMessage,
  type CommandStreamOptions,
  type RecordInit,
} from '../../../src/acquisition/protocol/index.ts';
import { concat, feed } from '../../support.ts';

/** What a parser should emit for a record (with its payload, if any). */
function message(init: RecordInit, payload: Uint8Array | string | null = null): CommandMessage {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return { record: makeRecord({ ...init, addDataBytes: body && init.addDataBytes === undefined ? body.length : init.addDataBytes }), payload: body };
}

/** A compact, fast-to-compare form of messages: each record as JSON plus its payload as hex. */
function summary(messages: readonly CommandMessage[]): string[] {
  return messages.map((m) => `${JSON.stringify(m.record)} ${m.payload === null ? 'null' : Buffer.from(m.payload).toString('hex')}`);
}

function garbage(n: number, byte = 0x11): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

const IDLE: RecordInit = { cmd: Command.SYSTEM_STATE_IDLE, status: 1 };
const POS: RecordInit = { cmd: Command.STAGE_POSITION_GET, status: 1, int32Data0: 1, doubleData: 7.635, cmdDataBits0: Flags.TRIGGER_CALL_BACK };
const LASER: RecordInit = { cmd: Command.LASER_LEVEL_GET, int32Data0: 2, text: '10.70' };
const PATHS = '/media/deploy/ctlsm1\n/media/deploy/ctlsm2\n';
const ONE = Uint8Array.of(0x54); // a 1-byte payload that is the first marker byte

/** A multi-record stream: plain records, a text payload, a 1-byte payload, a payload holding a marker. */
function sampleStream(): { bytes: Uint8Array; expected: CommandMessage[] } {
  const markerPayload = concat(Uint8Array.of(0x54, 0xe6, 0x21, 0xf3), garbage(9, 0xfe));
  const parts: [RecordInit, Uint8Array | string | null][] = [
    [IDLE, null],
    [{ cmd: Command.STORAGE_PATH_GET, status: 1 }, PATHS],
    [POS, null],
    [{ cmd: Command.CAMERA_CHECK_STACK, status: 1 }, ONE],
    [LASER, null],
    [{ cmd: Command.CAMERA_WORK_FLOW_STOP, status: 1 }, markerPayload],
    [IDLE, null],
  ];
  const bytes = concat(...parts.map(([init, payload]) => (payload === null ? encodeRecord(init) : encodeRecordWithPayload(init, payload))));
  return { bytes, expected: parts.map(([init, payload]) => message(init, payload)) };
}

describe('exact cuts', () => {
  const { bytes, expected } = sampleStream();

  it('one push of the whole stream', () => {
    const p = new CommandStreamParser();
    expect(p.push(bytes)).toEqual(expected);
    expect(p.bufferedBytes).toBe(0);
    expect(p.stats).toEqual({
      records: expected.length,
      payloadBytes: expected.reduce((n, m) => n + (m.payload?.length ?? 0), 0),
      discardedBytes: 0,
      resyncs: 0,
      oversizedPayloads: 0,
    });
  });

  it('every single split point', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new CommandStreamParser();
      expect(summary(feed(p, bytes, [cut])), `cut at ${cut}`).toEqual(summary(expected));
      expect(p.stats.discardedBytes).toBe(0);
      expect(p.bufferedBytes).toBe(0);
    }
  });

  it('every pair of split points of a record, its payload and the next record', () => {
    const small = concat(encodeRecordWithPayload({ cmd: Command.STORAGE_PATH_GET }, 'abcdefg'), encodeRecord(IDLE));
    const want = [message({ cmd: Command.STORAGE_PATH_GET }, 'abcdefg'), message(IDLE)];
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        expect(summary(feed(new CommandStreamParser(), small, [a, b])), `cuts ${a}, ${b}`).toEqual(summary(want));
      }
    }
  });

  it('a header and its payload in two separate pushes (py2flamingo writes them apart)', () => {
    const p = new CommandStreamParser();
    const full = encodeRecordWithPayload({ cmd: Command.CAMERA_WORK_FLOW_START, cmdDataBits0: Flags.TRIGGER_CALL_BACK }, 'x'.repeat(2261));
    expect(p.push(full.subarray(0, RECORD_SIZE))).toEqual([]);
    expect(p.bufferedBytes).toBe(0); // the record is decoded; no payload byte yet
    const out = p.push(full.subarray(RECORD_SIZE));
    expect(out).toHaveLength(1);
    expect(out[0]!.record.addDataBytes).toBe(2261);
    expect(out[0]!.payload!.length).toBe(2261);
  });

  it('one byte at a time', () => {
    const p = new CommandStreamParser();
    const out: CommandMessage[] = [];
    for (let i = 0; i < bytes.length; i++) {
      out.push(...p.push(bytes.subarray(i, i + 1)));
      expect(p.bufferedBytes).toBeLessThan(RECORD_SIZE + PATHS.length);
    }
    expect(out).toEqual(expected);
  });

  it('merged chunks: several streams in one push, then in pushes that cut across them', () => {
    const triple = concat(bytes, bytes, bytes);
    expect(new CommandStreamParser().push(triple)).toEqual([...expected, ...expected, ...expected]);
    const cuts = [1, 129, 130, 500, bytes.length + 3, 2 * bytes.length - 1];
    expect(feed(new CommandStreamParser(), triple, cuts)).toEqual([...expected, ...expected, ...expected]);
  });

  it('payloads are copies, not views of the pushed chunk', () => {
    const p = new CommandStreamParser();
    const chunk = encodeRecordWithPayload({ cmd: 1 }, 'hello');
    const [m] = p.push(chunk);
    chunk.fill(0);
    expect(new TextDecoder().decode(m!.payload!)).toBe('hello');
  });
});

describe('resync (§2.6)', () => {
  function parse(bytes: Uint8Array, options?: CommandStreamOptions, cuts: readonly number[] = []) {
    const p = new CommandStreamParser(options);
    const messages = feed(p, bytes, cuts);
    return { p, messages };
  }

  it('garbage before the first record: every byte counted', () => {
    for (const n of [1, 3, 4, 5, 127, 128, 129, 300, 1000]) {
      const { p, messages } = parse(concat(garbage(n), encodeRecord(IDLE)));
      expect(messages, `${n} bytes of garbage`).toEqual([message(IDLE)]);
      expect(p.stats.discardedBytes).toBe(n);
      expect(p.stats.resyncs).toBe(1);
      expect(p.bufferedBytes).toBe(0);
    }
  });

  it('garbage between records', () => {
    const { p, messages } = parse(concat(encodeRecord(IDLE), garbage(77), encodeRecord(POS), garbage(5), encodeRecord(LASER)));
    expect(messages).toEqual([message(IDLE), message(POS), message(LASER)]);
    expect(p.stats.discardedBytes).toBe(82);
    expect(p.stats.resyncs).toBe(2);
  });

  it('garbage inside a record loses that record only', () => {
    const a = encodeRecord(POS);
    const bytes = concat(a.subarray(0, 60), garbage(45), a.subarray(60), encodeRecord(IDLE));
    const { p, messages } = parse(bytes);
    expect(messages).toEqual([message(IDLE)]);
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE + 45);
  });

  it('a truncated record followed by a whole one', () => {
    const bytes = concat(encodeRecord(POS).subarray(0, 100), encodeRecord(IDLE), encodeRecord(LASER));
    const { p, messages } = parse(bytes);
    expect(messages).toEqual([message(IDLE), message(LASER)]);
    expect(p.stats.discardedBytes).toBe(100);
  });

  it('a bad end marker resyncs at the first bad record', () => {
    const bad = encodeRecord(POS);
    bad[127] = 0;
    const { p, messages } = parse(concat(encodeRecord(IDLE), bad, encodeRecord(LASER)));
    expect(messages).toEqual([message(IDLE), message(LASER)]);
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE);
    expect(p.stats.resyncs).toBe(1);
  });

  it('a false start marker inside a bad record is tried and given up', () => {
    const bad = encodeRecord({ cmd: 1 });
    bad.set([0x54, 0xe6, 0x21, 0xf3], 60);
    bad[124] = 0;
    const { p, messages } = parse(concat(bad, encodeRecord(IDLE)));
    expect(messages).toEqual([message(IDLE)]);
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE);
  });

  it('garbage ending in marker prefixes (54, 54 e6, 54 e6 21) before a record', () => {
    for (const tail of [[0x54], [0x54, 0xe6], [0x54, 0xe6, 0x21], [0x54, 0x54], [0x54, 0xe6, 0x54]]) {
      const g = concat(garbage(200), Uint8Array.from(tail));
      const bytes = concat(g, encodeRecord(IDLE));
      for (let cut = 190; cut <= g.length + 6; cut++) {
        const { p, messages } = parse(bytes, undefined, [cut]);
        expect(messages, `tail ${tail} cut ${cut}`).toEqual([message(IDLE)]);
        expect(p.stats.discardedBytes).toBe(g.length);
      }
    }
  });

  it('at every split point of a corrupt stream, including splits inside the marker', () => {
    const bytes = concat(garbage(33), encodeRecord(IDLE), garbage(140, 0x54), encodeRecordWithPayload({ cmd: 2 }, 'pq'), garbage(2), encodeRecord(LASER));
    const want = [message(IDLE), message({ cmd: 2 }, 'pq'), message(LASER)];
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { p, messages } = parse(bytes, undefined, [cut]);
      expect(messages, `cut ${cut}`).toEqual(want);
      expect(p.stats.discardedBytes, `cut ${cut}`).toBe(33 + 140 + 2);
    }
  });

  it('the marker split over three pushes', () => {
    const bytes = concat(garbage(10), encodeRecord(IDLE));
    const { p, messages } = parse(bytes, undefined, [11, 12, 13]);
    expect(messages).toEqual([message(IDLE)]);
    expect(p.stats.discardedBytes).toBe(10);
  });

  it('addDataBytes over the bound is corruption: resynced, never allocated', () => {
    const huge = encodeRecord({ cmd: 3, addDataBytes: 0xffffffff }); // 4 GiB would not even allocate
    const p = new CommandStreamParser();
    const out = p.push(concat(huge, garbage(20), encodeRecord(IDLE)));
    expect(out).toEqual([message(IDLE)]);
    expect(p.stats.oversizedPayloads).toBe(1);
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE + 20);

    const small = new CommandStreamParser({ maxPayloadBytes: 4096 });
    const over = encodeRecord({ cmd: 3, addDataBytes: 4097 });
    const atBound = encodeRecordWithPayload({ cmd: 4 }, new Uint8Array(4096));
    const msgs = small.push(concat(over, atBound, encodeRecord(IDLE)));
    expect(msgs.map((m) => m.record.cmd)).toEqual([4, IDLE.cmd]);
    expect(msgs[0]!.payload!.length).toBe(4096);
    expect(small.stats.oversizedPayloads).toBe(1);
    expect(small.stats.discardedBytes).toBe(RECORD_SIZE);
  });

  it('maxPayloadBytes 0 accepts only payload-less records', () => {
    const p = new CommandStreamParser({ maxPayloadBytes: 0 });
    expect(p.push(concat(encodeRecordWithPayload({ cmd: 1 }, 'x'), encodeRecord(IDLE)))).toEqual([message(IDLE)]);
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE + 1);
  });

  it('refuses a bad bound', () => {
    for (const max of [-1, 1.5, Number.NaN]) {
      expect(() => new CommandStreamParser({ maxPayloadBytes: max })).toThrow(/maxPayloadBytes/);
    }
  });
});

describe('findStartMarker', () => {
  it('finds whole markers only, within [from, to)', () => {
    const b = Uint8Array.of(0x54, 0xe6, 0x21, 0x00, 0x54, 0xe6, 0x21, 0xf3, 0x54, 0xe6);
    expect(findStartMarker(b)).toBe(4);
    expect(findStartMarker(b, 5)).toBe(-1);
    expect(findStartMarker(b, 0, 7)).toBe(-1);
    expect(findStartMarker(b, 0, 8)).toBe(4);
  });
});

describe('raw capture (§9.1: a 4103 record with addDataBytes = 0, then text)', () => {
  const options: CommandStreamOptions = { rawPayloadAfter: (r) => r.cmd === Command.COMMON_SCOPE_SETTINGS };
  const SETTINGS_REC: RecordInit = { cmd: Command.COMMON_SCOPE_SETTINGS, status: 1 };
  const settingsText = (last: string, repeat: number) =>
    '<Type>\n  Microscope name = n7\n  Microscope address = 10.0.0.2 53717\n  Physical pixel size (µm) = 6.5\n</Type>\n' +
    '  Home x-axis = 12.5\n'.repeat(repeat) +
    last;

  for (const [last, repeat] of [
    ['</Stage limits>', 4],
    ['LEFT', 4],
    ['T', 4],
    ['</Stage limits>', 300], // over 4096 bytes: the capture buffer has to grow
  ] as const) {
    it(`text ending in "${last.slice(-3)}" (${repeat} lines), then records, at every split point`, () => {
      const text = new TextEncoder().encode(settingsText(last, repeat));
      const bytes = concat(encodeRecord(SETTINGS_REC), text, encodeRecord(IDLE), encodeRecordWithPayload({ cmd: 5 }, 'p'));
      const want = summary([{ record: makeRecord(SETTINGS_REC), payload: text }, message(IDLE), message({ cmd: 5 }, 'p')]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const p = new CommandStreamParser(options);
        expect(summary(feed(p, bytes, [cut])), `cut ${cut}`).toEqual(want);
        expect(p.capturingRaw).toBe(false);
        expect(p.stats.discardedBytes).toBe(0);
        expect(p.stats.records).toBe(3);
        expect(p.bufferedBytes).toBe(0);
      }
      // Three cuts around the boundary between the text and the next marker.
      const edge = RECORD_SIZE + text.length;
      for (let a = edge - 4; a <= edge + 4; a++) {
        for (let b = a; b <= edge + 5; b++) {
          expect(summary(feed(new CommandStreamParser(options), bytes, [a, b, b + 1])), `cuts ${a}, ${b}`).toEqual(want);
        }
      }
      // One byte at a time.
      const cuts = Array.from({ length: bytes.length }, (_, i) => i);
      expect(summary(feed(new CommandStreamParser(options), bytes, cuts))).toEqual(want);
    });
  }

  it('a 4103 record with addDataBytes set reads its payload as usual', () => {
    const bytes = concat(encodeRecordWithPayload(SETTINGS_REC, 'abc'), encodeRecord(IDLE));
    const p = new CommandStreamParser(options);
    expect(p.push(bytes)).toEqual([message(SETTINGS_REC, 'abc'), message(IDLE)]);
    expect(p.capturingRaw).toBe(false);
  });

  it('flushRaw ends a capture after quiet; the next record parses', () => {
    const p = new CommandStreamParser(options);
    expect(p.push(encodeRecord(SETTINGS_REC))).toEqual([]);
    expect(p.capturingRaw).toBe(true);
    expect(p.push(new TextEncoder().encode('<Type>\n'))).toEqual([]);
    expect(p.push(new TextEncoder().encode('</Type>'))).toEqual([]);
    expect(p.bufferedBytes).toBe(14);
    expect(p.flushRaw()).toEqual([{ record: makeRecord(SETTINGS_REC), payload: new TextEncoder().encode('<Type>\n</Type>') }]);
    expect(p.capturingRaw).toBe(false);
    expect(p.bufferedBytes).toBe(0);
    expect(p.flushRaw()).toEqual([]);
    expect(p.push(encodeRecord(IDLE))).toEqual([message(IDLE)]);
  });

  it('a capture with no text before the next record gives an empty payload', () => {
    const p = new CommandStreamParser(options);
    const out = p.push(concat(encodeRecord(SETTINGS_REC), encodeRecord(IDLE)));
    expect(out).toEqual([{ record: makeRecord(SETTINGS_REC), payload: new Uint8Array(0) }, message(IDLE)]);
  });

  it('a capture stops at the payload bound; the rest is resynced as records', () => {
    const p = new CommandStreamParser({ ...options, maxPayloadBytes: 100 });
    const out = p.push(concat(encodeRecord(SETTINGS_REC), garbage(150, 0x41), encodeRecord(IDLE)));
    expect(out).toEqual([{ record: makeRecord(SETTINGS_REC), payload: garbage(100, 0x41) }, message(IDLE)]);
    expect(p.stats.discardedBytes).toBe(50);
    expect(p.bufferedBytes).toBe(0);
  });

  it('text one byte short of the bound, then a record, at every split point (the capture must not eat the marker)', () => {
    // Regression: with the text at maxPayloadBytes − 1, the first marker byte used to be
    // taken as the last text byte when the marker arrived split, and the record was lost.
    for (const textLength of [21, 22, 23]) {
      const text = new TextEncoder().encode('T'.repeat(textLength));
      const bytes = concat(encodeRecord(SETTINGS_REC), text, encodeRecord(IDLE));
      const want = summary([{ record: makeRecord(SETTINGS_REC), payload: text }, message(IDLE)]);
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= Math.min(bytes.length, a + 5); b++) {
          const p = new CommandStreamParser({ ...options, maxPayloadBytes: 23 });
          expect(summary(feed(p, bytes, [a, b])), `text ${textLength}, cuts ${a}, ${b}`).toEqual(want);
          expect(p.stats.discardedBytes).toBe(0);
        }
      }
    }
  });

  it('text longer than the bound: the capture is cut at the bound whatever the chunking', () => {
    const text = new TextEncoder().encode('T'.repeat(25));
    const bytes = concat(encodeRecord(SETTINGS_REC), text, encodeRecord(IDLE));
    const want = summary([{ record: makeRecord(SETTINGS_REC), payload: text.subarray(0, 23) }, message(IDLE)]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new CommandStreamParser({ ...options, maxPayloadBytes: 23 });
      expect(summary(feed(p, bytes, [cut])), `cut ${cut}`).toEqual(want);
      expect(p.stats.discardedBytes).toBe(2);
    }
  });

  it('flushRaw keeps a trailing marker-like prefix as text; it is not lost', () => {
    const p = new CommandStreamParser(options);
    p.push(concat(encodeRecord(SETTINGS_REC), Uint8Array.of(0x3e, 0x54, 0xe6)));
    expect(p.bufferedBytes).toBe(3);
    expect(p.flushRaw()).toEqual([{ record: makeRecord(SETTINGS_REC), payload: Uint8Array.of(0x3e, 0x54, 0xe6) }]);
    expect(p.bufferedBytes).toBe(0);
    expect(p.push(encodeRecord(IDLE))).toEqual([message(IDLE)]);
  });

  it('a prefix that turns out not to be a marker is text (54 e6 21 then 00)', () => {
    const p = new CommandStreamParser(options);
    p.push(concat(encodeRecord(SETTINGS_REC), Uint8Array.of(0x54, 0xe6, 0x21)));
    p.push(Uint8Array.of(0x00, 0x54));
    const out = p.push(concat(Uint8Array.of(0x54), encodeRecord(IDLE)));
    expect(out).toEqual([{ record: makeRecord(SETTINGS_REC), payload: Uint8Array.of(0x54, 0xe6, 0x21, 0x00, 0x54, 0x54) }, message(IDLE)]);
  });

  it('records the predicate rejects are not captured', () => {
    const p = new CommandStreamParser(options);
    expect(p.push(concat(encodeRecord(IDLE), garbage(3)))).toEqual([message(IDLE)]);
    expect(p.capturingRaw).toBe(false);
  });
});

describe('close()', () => {
  it('reports a partial record as incomplete and discarded', () => {
    const p = new CommandStreamParser();
    p.push(concat(encodeRecord(IDLE), encodeRecord(POS).subarray(0, 50)));
    expect(p.close()).toEqual({ incompleteBytes: 50, messages: [] });
    expect(p.stats.discardedBytes).toBe(50);
  });

  it('counts the header of a record whose payload never finished', () => {
    const p = new CommandStreamParser();
    p.push(encodeRecordWithPayload({ cmd: 1 }, 'abcdef').subarray(0, RECORD_SIZE + 2));
    expect(p.bufferedBytes).toBe(2);
    expect(p.close()).toEqual({ incompleteBytes: RECORD_SIZE + 2, messages: [] });
    expect(p.stats.discardedBytes).toBe(RECORD_SIZE + 2);
    expect(p.stats.records).toBe(0);
  });

  it('hands over a raw capture in progress', () => {
    const p = new CommandStreamParser({ rawPayloadAfter: () => true });
    p.push(concat(encodeRecord({ cmd: 4103 }), new TextEncoder().encode('abc')));
    expect(p.close()).toEqual({ incompleteBytes: 0, messages: [{ record: makeRecord({ cmd: 4103 }), payload: new TextEncoder().encode('abc') }] });
  });

  it('a closed parser refuses bytes; closing twice is harmless', () => {
    const p = new CommandStreamParser();
    expect(p.close()).toEqual({ incompleteBytes: 0, messages: [] });
    expect(p.close()).toEqual({ incompleteBytes: 0, messages: [] });
    let caught: unknown;
    try {
      p.push(encodeRecord(IDLE));
    } catch (e) {
      caught = e;
    }
    expect(isProtocolError(caught, 'parser-closed')).toBe(true);
  });
});

describe('resync statistics', () => {
  it('one run of bad bytes is one resync however long it is', () => {
    const p = new CommandStreamParser();
    p.push(concat(garbage(5000), encodeRecord({ cmd: SystemState.IDLE }), garbage(1), encodeRecord(IDLE)));
    expect(p.stats.resyncs).toBe(2);
    expect(p.stats.discardedBytes).toBe(5001);
  });
});
