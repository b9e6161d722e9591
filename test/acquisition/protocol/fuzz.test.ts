/**
 * Seeded fuzzing of both stream parsers. Random valid streams are mutated (bit flips,
 * insertions, deletions, duplicated regions, marker bytes, bogus lengths) and truncated,
 * then pushed in random chunk sizes (1 byte to the whole stream). Each result is checked
 * against a small whole-buffer reference model of the spec (§2.6, §3, §6, §9.1), so the
 * parsers must give the same answer whatever the chunking. Small bounds (4096 bytes or
 * less) make bogus lengths common.
 *
 * A failure names its seed and case; replay one with
 * FUZZ_SEED=<seed> FUZZ_CASE=<case> npx vitest run test/acquisition/protocol/fuzz.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  CommandStreamParser,
  FRAME_HEADER_SIZE,
  FrameStreamParser,
  ImageOptions,
  RECORD_SIZE,
  decodeFrameHeader,
  decodeRecord,
  encodeFrame,
  encodeFrameHeader,
  findStartMarker,
  hasValidMarkers,
  isProtocolError,
  writeRecord,
  type CommandMessage,
  type FlamingoRecord,
  type FrameHeader,
  type FrameMessage,
} from '../../../src/acquisition/protocol/index.ts';
import { concat, prng } from '../../support.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0x0f1a3e60;
const ONLY_CASE = process.env.FUZZ_CASE ? Number(process.env.FUZZ_CASE) : null;
const COMMAND_CASES = 45_000;
const RAW_CASES = 20_000;
const FRAME_CASES = 40_000;
const SETTINGS_CODE = 4103;

/** How often the interesting paths were reached, so a weakened generator cannot pass silently. */
const reached = {
  exactStreams: 0,
  resyncCases: 0,
  oversizedCases: 0,
  payloadMessages: 0,
  rawByMarker: 0,
  rawAtBound: 0,
  frameExactStreams: 0,
  tooLarge: 0,
  mismatches: 0,
  options: 0,
  mips: 0,
  splitFrames: 0,
};

// ---------------------------------------------------------------------------------------
// Randomness

type Rand = () => number;

function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

const int = (rand: Rand, n: number) => Math.floor(rand() * n);
const chance = (rand: Rand, p: number) => rand() < p;
function pick<T>(rand: Rand, values: readonly T[]): T {
  return values[int(rand, values.length)]!;
}

function randomBytes(rand: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(rand, 256);
  return out;
}

const MARKER = Uint8Array.of(0x54, 0xe6, 0x21, 0xf3);

/** Mutates a valid stream; returns the new bytes and a description for failure messages. */
function mutate(rand: Rand, input: Uint8Array, lengthOffsets: readonly number[]): { bytes: Uint8Array; what: string[] } {
  let bytes = input;
  const what: string[] = [];
  const rounds = 1 + int(rand, 4);
  for (let r = 0; r < rounds; r++) {
    const at = int(rand, bytes.length + 1);
    switch (int(rand, 8)) {
      case 0: {
        if (bytes.length === 0) break;
        const i = Math.min(at, bytes.length - 1);
        bytes = bytes.slice();
        bytes[i]! ^= 1 << int(rand, 8);
        what.push(`flip@${i}`);
        break;
      }
      case 1: {
        const ins = randomBytes(rand, 1 + int(rand, 40));
        bytes = concat(bytes.subarray(0, at), ins, bytes.subarray(at));
        what.push(`insert${ins.length}@${at}`);
        break;
      }
      case 2: {
        const n = Math.min(1 + int(rand, 200), bytes.length - at);
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + n));
        what.push(`delete${n}@${at}`);
        break;
      }
      case 3: {
        const from = int(rand, bytes.length + 1);
        const n = Math.min(1 + int(rand, 300), bytes.length - from);
        bytes = concat(bytes.subarray(0, at), bytes.subarray(from, from + n), bytes.subarray(at));
        what.push(`dup${n}from${from}@${at}`);
        break;
      }
      case 4: {
        // A whole or partial start marker, so resync meets false markers and split prefixes.
        const m = MARKER.subarray(0, 1 + int(rand, 4));
        bytes = concat(bytes.subarray(0, at), m, bytes.subarray(at));
        what.push(`marker${m.length}@${at}`);
        break;
      }
      case 5: {
        // A bogus length where a length field is (addDataBytes or imageSize).
        if (lengthOffsets.length === 0) break;
        const off = pick(rand, lengthOffsets);
        if (off + 4 > bytes.length) break;
        bytes = bytes.slice();
        const v = pick(rand, [int(rand, 8192), int(rand, 0x100000000), 0xffffffff, 4096, 4097, 0]);
        new DataView(bytes.buffer, bytes.byteOffset).setUint32(off, v, true);
        what.push(`length${v}@${off}`);
        break;
      }
      case 6: {
        bytes = bytes.subarray(0, at);
        what.push(`truncate@${at}`);
        break;
      }
      default: {
        bytes = bytes.subarray(Math.min(at, 1 + int(rand, 130)));
        what.push(`drop-head@${Math.min(at, 1 + int(rand, 130))}`);
      }
    }
  }
  return { bytes, what };
}

/** Chunk boundaries for one feeding: 1-byte steps, small, mixed, a few cuts, or one push. */
function chunking(rand: Rand, length: number): number[] {
  const cuts: number[] = [];
  const mode = int(rand, 6);
  if (mode === 5 || length === 0) return cuts; // whole stream in one push
  if (mode === 0 && length <= 2000) {
    for (let i = 1; i < length; i++) cuts.push(i);
    return cuts;
  }
  if (mode === 1) {
    const k = 1 + int(rand, 3);
    for (let i = 0; i < k; i++) cuts.push(int(rand, length + 1));
    return cuts.sort((a, b) => a - b);
  }
  const maxStep = mode === 2 ? 8 : mode === 3 ? 200 : length;
  for (let at = 0; ; ) {
    at += chance(rand, 0.05) ? 0 : 1 + int(rand, maxStep); // sometimes an empty push
    if (at >= length) break;
    cuts.push(at);
  }
  return cuts;
}

function describeCuts(cuts: readonly number[]): string {
  return cuts.length > 12 ? `${cuts.length} cuts [${cuts.slice(0, 12).join(',')},…]` : `cuts [${cuts.join(',')}]`;
}

// ---------------------------------------------------------------------------------------
// Command port

function randomRecord(rand: Rand, maxPayload: number, raw: boolean): { record: FlamingoRecord; payload: Uint8Array | null } {
  const text = pick(rand, ['', '', '10.70', 'getLevel error', 'µm ° €', 'x'.repeat(71)]);
  const cmd = raw && chance(rand, 0.3) ? SETTINGS_CODE : pick(rand, [24580, 24584, 40962, 40967, 12305, 8194, 4115, int(rand, 0x100000000)]);
  let payload: Uint8Array | null = null;
  if (cmd !== SETTINGS_CODE && maxPayload > 0 && chance(rand, 0.3)) {
    const n = chance(rand, 0.1) ? maxPayload : 1 + int(rand, Math.min(maxPayload, 300));
    payload = chance(rand, 0.5) ? randomBytes(rand, n) : new Uint8Array(n).fill(0x54);
  }
  const record: FlamingoRecord = {
    cmd,
    status: pick(rand, [0, 1, 0xffffffff]),
    hardwareID: 0,
    subsystemID: 0,
    clientID: pick(rand, [0, 26]),
    int32Data0: pick(rand, [0, 1, -1, -0x80000000, 0x7fffffff, 40962]),
    int32Data1: int(rand, 1000) - 500,
    int32Data2: 0,
    cmdDataBits0: pick(rand, [0, 0x80000000, 0xffffffff]),
    doubleData: pick(rand, [0, -0, 7.635, Number.NaN, Number.POSITIVE_INFINITY, -1e-300]),
    addDataBytes: payload?.length ?? 0,
    text,
  };
  if (cmd === SETTINGS_CODE) {
    // A settings text without addDataBytes, never containing a marker; sometimes ending in 'T' (0x54).
    const n = int(rand, Math.min(maxPayload, 600) + 1);
    const t = new Uint8Array(n);
    for (let i = 0; i < n; i++) t[i] = pick(rand, [0x20, 0x3c, 0x3e, 0x0a, 0x54, 0x61, 0x3d, 0x31]);
    payload = t;
  }
  return { record, payload };
}

function encodeMessages(messages: readonly { record: FlamingoRecord; payload: Uint8Array | null }[]): { bytes: Uint8Array; lengthOffsets: number[] } {
  const parts: Uint8Array[] = [];
  const lengthOffsets: number[] = [];
  let at = 0;
  for (const m of messages) {
    const head = new Uint8Array(RECORD_SIZE);
    writeRecord(m.record, head);
    parts.push(head);
    lengthOffsets.push(at + 48);
    at += RECORD_SIZE;
    if (m.payload) {
      parts.push(m.payload);
      at += m.payload.length;
    }
  }
  return { bytes: concat(...parts), lengthOffsets };
}

interface CommandOutcome {
  messages: CommandMessage[];
  records: number;
  payloadBytes: number;
  discardedBytes: number;
  resyncs: number;
  oversizedPayloads: number;
}

/**
 * The reference: the spec's framing applied to the whole buffer at once (no chunks). A
 * good record takes its payload; a bad one (or one over the bound) is skipped to the next
 * whole start marker; a raw capture runs to the next start marker, or to the bound.
 */
function modelCommands(bytes: Uint8Array, max: number, raw: boolean): CommandOutcome {
  const o: CommandOutcome = { messages: [], records: 0, payloadBytes: 0, discardedBytes: 0, resyncs: 0, oversizedPayloads: 0 };
  const n = bytes.length;
  let off = 0;
  let searching = false;
  while (off < n) {
    if (n - off < RECORD_SIZE) break;
    const valid = hasValidMarkers(bytes, off);
    const record = valid ? decodeRecord(bytes, off) : null;
    if (record && record.addDataBytes > max) o.oversizedPayloads++;
    if (!record || record.addDataBytes > max) {
      if (!searching) o.resyncs++;
      searching = true;
      const m = findStartMarker(bytes, off + 1);
      const next = m < 0 ? n : m;
      o.discardedBytes += next - off;
      off = next;
      continue;
    }
    searching = false;
    const start = off + RECORD_SIZE;
    if (record.addDataBytes > 0) {
      if (n - start < record.addDataBytes) break;
      o.messages.push({ record, payload: bytes.slice(start, start + record.addDataBytes) });
      off = start + record.addDataBytes;
    } else if (raw && record.cmd === SETTINGS_CODE) {
      const m = findStartMarker(bytes, start);
      const end = Math.min(m < 0 ? n : m, start + max); // at close the capture is flushed
      o.messages.push({ record, payload: bytes.slice(start, end) });
      off = end;
    } else {
      o.messages.push({ record, payload: null });
      off = start;
    }
  }
  o.discardedBytes += n - off; // the unfinished tail, counted as discarded by close()
  o.records = o.messages.length;
  o.payloadBytes = o.messages.reduce((s, m) => s + (m.payload?.length ?? 0), 0);
  return o;
}

function sameRecord(a: FlamingoRecord, b: FlamingoRecord): boolean {
  return (
    a.cmd === b.cmd &&
    a.status === b.status &&
    a.hardwareID === b.hardwareID &&
    a.subsystemID === b.subsystemID &&
    a.clientID === b.clientID &&
    a.int32Data0 === b.int32Data0 &&
    a.int32Data1 === b.int32Data1 &&
    a.int32Data2 === b.int32Data2 &&
    a.cmdDataBits0 === b.cmdDataBits0 &&
    Object.is(a.doubleData, b.doubleData) &&
    a.addDataBytes === b.addDataBytes &&
    a.text === b.text
  );
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first difference between two message lists, or null. */
function diffCommands(got: readonly CommandMessage[], want: readonly { record: FlamingoRecord; payload: Uint8Array | null }[]): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w) return `message count ${got.length}, expected ${want.length}`;
    if (!sameRecord(g.record, w.record)) return `message ${i}: record ${JSON.stringify(g.record)}, expected ${JSON.stringify(w.record)}`;
    if (!sameBytes(g.payload, w.payload)) return `message ${i}: payload of ${g.payload?.length ?? 'null'} bytes differs from expected ${w.payload?.length ?? 'null'}`;
  }
  return null;
}

function runCommandCase(index: number, raw: boolean): string | null {
  const rand = prng(caseSeed(SEED + (raw ? 1 : 0), index));
  const max = raw ? 16 + int(rand, 700) : pick(rand, [4096, 4096, 1000, 0, 64]);
  const count = int(rand, 8);
  const original = Array.from({ length: count }, () => randomRecord(rand, max, raw));
  const { bytes: clean, lengthOffsets } = encodeMessages(original);
  const mutated = chance(rand, 0.75);
  const { bytes, what } = mutated ? mutate(rand, clean, lengthOffsets) : { bytes: clean, what: ['none'] };
  const cuts = chunking(rand, bytes.length);
  const where = `seed ${SEED} case ${index} (${raw ? 'raw capture' : 'commands'}, max ${max}, ${bytes.length} bytes, mutations ${what.join(' ')}, ${describeCuts(cuts)})`;

  const parser = new CommandStreamParser({ maxPayloadBytes: max, rawPayloadAfter: raw ? (r) => r.cmd === SETTINGS_CODE : undefined });
  const bound = RECORD_SIZE + max;
  const got: CommandMessage[] = [];
  let from = 0;
  try {
    for (const cut of [...cuts, bytes.length]) {
      got.push(...parser.push(bytes.subarray(from, cut)));
      from = cut;
      if (parser.bufferedBytes > bound) return `${where}: bufferedBytes ${parser.bufferedBytes} over ${bound} after ${cut} bytes`;
      const accounted = parser.stats.discardedBytes + RECORD_SIZE * parser.stats.records + parser.stats.payloadBytes + parser.bufferedBytes;
      // A record whose payload is still arriving is held as decoded fields, not bytes: at most one header.
      if (accounted > cut || accounted < cut - RECORD_SIZE) return `${where}: ${accounted} bytes accounted for after ${cut} pushed`;
    }
    const closed = parser.close();
    got.push(...closed.messages);
  } catch (e) {
    return `${where}: threw ${String(e)}`;
  }

  const s = parser.stats;
  const consumed = got.reduce((n, m) => n + RECORD_SIZE + (m.payload?.length ?? 0), 0);
  if (s.discardedBytes + consumed !== bytes.length) return `${where}: discarded ${s.discardedBytes} + consumed ${consumed} ≠ ${bytes.length} input bytes`;
  if (s.records !== got.length) return `${where}: stats.records ${s.records} ≠ ${got.length} messages`;
  if (parser.bufferedBytes !== 0) return `${where}: ${parser.bufferedBytes} bytes still buffered after close()`;

  const model = modelCommands(bytes, max, raw);
  const diff = diffCommands(got, model.messages);
  if (diff) return `${where}: against the reference model, ${diff}`;
  for (const key of ['payloadBytes', 'discardedBytes', 'resyncs', 'oversizedPayloads'] as const) {
    if (s[key] !== model[key]) return `${where}: stats.${key} ${s[key]}, reference model ${model[key]}`;
  }
  if (!mutated) {
    const exact = diffCommands(got, original);
    if (exact) return `${where}: valid stream not reproduced exactly, ${exact}`;
    if (s.discardedBytes !== 0) return `${where}: valid stream discarded ${s.discardedBytes} bytes`;
    reached.exactStreams++;
  }
  if (s.resyncs > 0) reached.resyncCases++;
  if (s.oversizedPayloads > 0) reached.oversizedCases++;
  for (const m of got) {
    if (m.payload && m.record.addDataBytes > 0) reached.payloadMessages++;
    if (raw && m.record.cmd === SETTINGS_CODE && m.record.addDataBytes === 0) {
      if (m.payload?.length === max) reached.rawAtBound++;
      else reached.rawByMarker++;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Live port

function randomFrames(rand: Rand, max: number): { bytes: Uint8Array; lengthOffsets: number[]; expected: FrameMessage[] } {
  const parts: Uint8Array[] = [];
  const lengthOffsets: number[] = [];
  const expected: FrameMessage[] = [];
  let at = 0;
  const count = int(rand, 7);
  for (let i = 0; i < count; i++) {
    const kind = int(rand, 6);
    const base = {
      scaleMin: int(rand, 100),
      scaleMax: 100 + int(rand, 60000),
      deviceIndex: int(rand, 4),
      optionsSettings2: int(rand, 0x100000000),
      imageIndexStart: int(rand, 50) - 1,
      imageIndexStop: int(rand, 50),
    };
    lengthOffsets.push(at);
    if (kind === 0) {
      const header: FrameHeader = { ...base, imageSize: 0, width: 0, height: 0, optionsSettings1: ImageOptions.ZOOM | ImageOptions.CROSSHAIR };
      parts.push(encodeFrameHeader(header));
      expected.push({ kind: 'options', header });
      at += FRAME_HEADER_SIZE;
    } else if (kind === 1) {
      const width = 1 + int(rand, 20);
      const height = 1 + int(rand, 20);
      const imageSize = 1 + int(rand, Math.min(max, 900));
      if (imageSize === width * height * 2) continue;
      const header: FrameHeader = { ...base, imageSize, width, height, optionsSettings1: ImageOptions.IMAGE_DATA };
      const body = randomBytes(rand, imageSize);
      parts.push(encodeFrameHeader(header), body);
      expected.push({ kind: 'mismatch', header, bytes: body, error: undefined as never });
      at += FRAME_HEADER_SIZE + imageSize;
    } else {
      const width = int(rand, 30);
      const height = width === 0 ? 0 : int(rand, Math.min(30, Math.floor(max / 2 / width)) + 1);
      const mip = chance(rand, 0.2);
      const pixels = new Uint16Array(width * height);
      for (let p = 0; p < pixels.length; p++) pixels[p] = int(rand, 65536);
      if (pixels.length === 0) continue; // a 0 × 0 frame is an options header; covered above
      const header: FrameHeader = { ...base, imageSize: pixels.byteLength, width, height, optionsSettings1: mip ? ImageOptions.MAX_PROJECTION : ImageOptions.IMAGE_DATA };
      parts.push(encodeFrame(header, pixels));
      expected.push({ kind: 'frame', header, pixels });
      at += FRAME_HEADER_SIZE + pixels.byteLength;
    }
  }
  return { bytes: concat(...parts), lengthOffsets, expected };
}

interface FrameOutcome {
  messages: FrameMessage[];
  /** Offset just past the header that announced too much, or null if the stream stayed in step. */
  failedAt: number | null;
  consumed: number;
}

/** The reference: exact lengths over the whole buffer; imageSize over the bound stops everything. */
function modelFrames(bytes: Uint8Array, max: number): FrameOutcome {
  const messages: FrameMessage[] = [];
  let off = 0;
  while (bytes.length - off >= FRAME_HEADER_SIZE) {
    const header = decodeFrameHeader(bytes, off);
    if (header.imageSize === 0) {
      messages.push({ kind: 'options', header });
      off += FRAME_HEADER_SIZE;
      continue;
    }
    if (header.imageSize > max) return { messages, failedAt: off + FRAME_HEADER_SIZE, consumed: off + FRAME_HEADER_SIZE };
    if (bytes.length - off - FRAME_HEADER_SIZE < header.imageSize) break;
    const body = bytes.slice(off + FRAME_HEADER_SIZE, off + FRAME_HEADER_SIZE + header.imageSize);
    if (header.imageSize === header.width * header.height * 2) {
      messages.push({ kind: 'frame', header, pixels: new Uint16Array(body.buffer) });
    } else {
      messages.push({ kind: 'mismatch', header, bytes: body, error: undefined as never });
    }
    off += FRAME_HEADER_SIZE + header.imageSize;
  }
  return { messages, failedAt: null, consumed: off };
}

function frameBytes(m: FrameMessage): Uint8Array | null {
  if (m.kind === 'frame') return new Uint8Array(m.pixels.buffer, m.pixels.byteOffset, m.pixels.byteLength);
  if (m.kind === 'mismatch') return m.bytes;
  return null;
}

function diffFrames(got: readonly FrameMessage[], want: readonly FrameMessage[]): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w) return `message count ${got.length}, expected ${want.length}`;
    if (g.kind !== w.kind) return `message ${i} is ${g.kind}, expected ${w.kind}`;
    for (const k of Object.keys(w.header) as (keyof FrameHeader)[]) {
      if (g.header[k] !== w.header[k]) return `message ${i}: header.${k} ${g.header[k]}, expected ${w.header[k]}`;
    }
    if (!sameBytes(frameBytes(g), frameBytes(w))) return `message ${i}: pixel bytes differ`;
    if (g.kind === 'mismatch' && !isProtocolError(g.error, 'bad-frame')) return `message ${i}: mismatch without a bad-frame error`;
  }
  return null;
}

function runFrameCase(index: number): string | null {
  const rand = prng(caseSeed(SEED + 2, index));
  const max = pick(rand, [4096, 4096, 2048, 600]);
  const { bytes: clean, lengthOffsets, expected } = randomFrames(rand, max);
  const mutated = chance(rand, 0.75);
  const { bytes, what } = mutated ? mutate(rand, clean, lengthOffsets) : { bytes: clean, what: ['none'] };
  const cuts = chunking(rand, bytes.length);
  const where = `seed ${SEED} case ${index} (frames, max ${max}, ${bytes.length} bytes, mutations ${what.join(' ')}, ${describeCuts(cuts)})`;

  const parser = new FrameStreamParser({ maxFrameBytes: max });
  const bound = FRAME_HEADER_SIZE + max;
  const got: FrameMessage[] = [];
  let failure: string | null = null;
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    try {
      got.push(...parser.push(bytes.subarray(from, cut)));
    } catch (e) {
      if (!isProtocolError(e, 'payload-too-large')) return `${where}: push threw ${String(e)}`;
      failure ??= `after ${cut}`;
    }
    from = cut;
    if (parser.bufferedBytes > bound) return `${where}: bufferedBytes ${parser.bufferedBytes} over ${bound}`;
  }
  const failedInStep = parser.failure;
  let incomplete = 0;
  try {
    incomplete = parser.close().incompleteBytes;
  } catch (e) {
    return `${where}: close() threw ${String(e)}`;
  }
  try {
    parser.push(Uint8Array.of(1));
    return `${where}: a closed parser accepted bytes`;
  } catch (e) {
    if (!isProtocolError(e, 'parser-closed') && !isProtocolError(e, 'payload-too-large')) return `${where}: closed parser threw ${String(e)}`;
  }

  const model = modelFrames(bytes, max);
  const diff = diffFrames(got, model.messages);
  if (diff) return `${where}: against the reference model, ${diff}`;
  if (failure !== null && !isProtocolError(failedInStep, 'payload-too-large')) return `${where}: push threw but failure is ${String(failedInStep)}`;
  if (isProtocolError(failedInStep, 'payload-too-large') !== (model.failedAt !== null)) {
    return `${where}: failure ${failure ?? 'none'}, reference model ${model.failedAt ?? 'none'}`;
  }
  if (model.failedAt === null) {
    const consumed = got.reduce((n, m) => n + FRAME_HEADER_SIZE + (frameBytes(m)?.length ?? 0), 0);
    if (consumed + incomplete !== bytes.length) return `${where}: consumed ${consumed} + incomplete ${incomplete} ≠ ${bytes.length}`;
  }
  if (!mutated) {
    const exact = diffFrames(got, expected);
    if (exact) return `${where}: valid stream not reproduced exactly, ${exact}`;
    reached.frameExactStreams++;
  }
  if (model.failedAt !== null) reached.tooLarge++;
  for (const m of got) {
    if (m.kind === 'mismatch') reached.mismatches++;
    if (m.kind === 'options') reached.options++;
    if (m.kind === 'frame' && m.header.optionsSettings1 & ImageOptions.MAX_PROJECTION) reached.mips++;
    if (m.kind === 'frame' && cuts.length > 0) reached.splitFrames++;
  }
  return null;
}

// ---------------------------------------------------------------------------------------

/** Runs the cases (or only FUZZ_CASE); returns whether the full set ran, so coverage can be checked. */
function runCases(count: number, run: (i: number) => string | null): boolean {
  const indices = ONLY_CASE === null ? Array.from({ length: count }, (_, i) => i) : [ONLY_CASE];
  for (const i of indices) {
    const problem = run(i);
    if (problem) throw new Error(`${problem}\nreplay: FUZZ_SEED=${SEED} FUZZ_CASE=${i}`);
  }
  return ONLY_CASE === null;
}

describe(`fuzz (seed ${SEED})`, () => {
  it(`command stream: ${COMMAND_CASES} mutated and chunked streams match the reference model`, () => {
    if (!runCases(COMMAND_CASES, (i) => runCommandCase(i, false))) return;
    expect(reached.exactStreams).toBeGreaterThan(COMMAND_CASES / 10);
    expect(reached.resyncCases).toBeGreaterThan(COMMAND_CASES / 4);
    expect(reached.oversizedCases).toBeGreaterThan(COMMAND_CASES / 50);
    expect(reached.payloadMessages).toBeGreaterThan(COMMAND_CASES / 4);
  });

  it(`command stream with raw capture: ${RAW_CASES} streams`, () => {
    if (!runCases(RAW_CASES, (i) => runCommandCase(i, true))) return;
    expect(reached.rawByMarker).toBeGreaterThan(RAW_CASES / 4);
    expect(reached.rawAtBound).toBeGreaterThan(RAW_CASES / 100);
  });

  it(`live frames: ${FRAME_CASES} mutated and chunked streams match the reference model`, () => {
    if (!runCases(FRAME_CASES, runFrameCase)) return;
    expect(reached.frameExactStreams).toBeGreaterThan(FRAME_CASES / 10);
    expect(reached.tooLarge).toBeGreaterThan(FRAME_CASES / 20);
    expect(reached.mismatches).toBeGreaterThan(FRAME_CASES / 20);
    expect(reached.options).toBeGreaterThan(FRAME_CASES / 20);
    expect(reached.mips).toBeGreaterThan(FRAME_CASES / 50);
    expect(reached.splitFrames).toBeGreaterThan(FRAME_CASES / 5);
    console.log(`fuzz seed ${SEED}: paths reached ${JSON.stringify(reached)}`);
  });
});
