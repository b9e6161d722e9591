/**
 * The 128-byte command record (spec §2.1): encode and decode, little-endian, named
 * fields only. `int32Data0..2` are signed; the IDs, status, flags and `addDataBytes`
 * are unsigned; `buffer` is NUL-padded UTF-8 of at most 71 bytes.
 *
 * @example
 * const bytes = encodeRecord({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X,
 *   doubleData: 7.635, cmdDataBits0: Flags.TRIGGER_CALL_BACK });
 * decodeRecord(bytes).doubleData // 7.635
 */
import { END_MARKER, MAX_TEXT_BYTES, RECORD_SIZE, START_MARKER, TEXT_BUFFER_SIZE } from './constants.ts';
import { ProtocolError } from './errors.ts';

export interface FlamingoRecord {
  cmd: number;
  status: number;
  hardwareID: number;
  subsystemID: number;
  clientID: number;
  int32Data0: number;
  int32Data1: number;
  int32Data2: number;
  cmdDataBits0: number;
  doubleData: number;
  addDataBytes: number;
  /** Decoded text of the 72-byte buffer, up to the first NUL. */
  text: string;
}

export type RecordInit = Partial<FlamingoRecord> & { cmd: number };

const OFFSET = {
  start: 0,
  cmd: 4,
  status: 8,
  hardwareID: 12,
  subsystemID: 16,
  clientID: 20,
  int32Data0: 24,
  int32Data1: 28,
  int32Data2: 32,
  cmdDataBits0: 36,
  doubleData: 40,
  addDataBytes: 48,
  buffer: 52,
  end: 124,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * A record with every field set: zeros and empty text except what `init` gives. A field
 * given as `undefined` takes its default too (the type allows it).
 */
export function makeRecord(init: RecordInit): FlamingoRecord {
  return {
    cmd: init.cmd,
    status: init.status ?? 0,
    hardwareID: init.hardwareID ?? 0,
    subsystemID: init.subsystemID ?? 0,
    clientID: init.clientID ?? 0,
    int32Data0: init.int32Data0 ?? 0,
    int32Data1: init.int32Data1 ?? 0,
    int32Data2: init.int32Data2 ?? 0,
    cmdDataBits0: init.cmdDataBits0 ?? 0,
    doubleData: init.doubleData ?? 0,
    addDataBytes: init.addDataBytes ?? 0,
    text: init.text ?? '',
  };
}

/** Whether `offset` is a whole index leaving `RECORD_SIZE` bytes in a buffer of `byteLength`. */
function fitsRecord(byteLength: number, offset: number): boolean {
  return Number.isInteger(offset) && offset >= 0 && byteLength - offset >= RECORD_SIZE;
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new ProtocolError('bad-field', `Record field ${name} must be an unsigned 32-bit integer, got ${v}.`);
  }
}

function checkInt32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new ProtocolError('bad-field', `Record field ${name} must be a signed 32-bit integer, got ${v}.`);
  }
}

/** Encodes `text` for the record buffer, refusing more than 71 bytes of UTF-8. */
export function encodeRecordText(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length > MAX_TEXT_BYTES) {
    throw new ProtocolError(
      'text-too-long',
      `Record text is ${bytes.length} bytes of UTF-8; the buffer holds at most ${MAX_TEXT_BYTES} plus a NUL.`,
    );
  }
  return bytes;
}

/** Writes one record into `target` at `offset` (which must have 128 bytes free). */
export function writeRecord(init: RecordInit, target: Uint8Array, offset = 0): void {
  const r = makeRecord(init);
  if (!fitsRecord(target.byteLength, offset)) {
    throw new ProtocolError('bad-length', `A record needs ${RECORD_SIZE} bytes at offset ${offset}.`);
  }
  checkUint32('cmd', r.cmd);
  checkUint32('status', r.status);
  checkUint32('hardwareID', r.hardwareID);
  checkUint32('subsystemID', r.subsystemID);
  checkUint32('clientID', r.clientID);
  checkInt32('int32Data0', r.int32Data0);
  checkInt32('int32Data1', r.int32Data1);
  checkInt32('int32Data2', r.int32Data2);
  checkUint32('cmdDataBits0', r.cmdDataBits0);
  checkUint32('addDataBytes', r.addDataBytes);
  const text = encodeRecordText(r.text);
  const view = new DataView(target.buffer, target.byteOffset + offset, RECORD_SIZE);
  view.setUint32(OFFSET.start, START_MARKER, true);
  view.setUint32(OFFSET.cmd, r.cmd, true);
  view.setUint32(OFFSET.status, r.status, true);
  view.setUint32(OFFSET.hardwareID, r.hardwareID, true);
  view.setUint32(OFFSET.subsystemID, r.subsystemID, true);
  view.setUint32(OFFSET.clientID, r.clientID, true);
  view.setInt32(OFFSET.int32Data0, r.int32Data0, true);
  view.setInt32(OFFSET.int32Data1, r.int32Data1, true);
  view.setInt32(OFFSET.int32Data2, r.int32Data2, true);
  view.setUint32(OFFSET.cmdDataBits0, r.cmdDataBits0, true);
  view.setFloat64(OFFSET.doubleData, r.doubleData, true);
  view.setUint32(OFFSET.addDataBytes, r.addDataBytes, true);
  target.fill(0, offset + OFFSET.buffer, offset + OFFSET.buffer + TEXT_BUFFER_SIZE);
  target.set(text, offset + OFFSET.buffer);
  view.setUint32(OFFSET.end, END_MARKER, true);
}

/** Encodes one record into a fresh 128-byte array. */
export function encodeRecord(init: RecordInit): Uint8Array {
  const out = new Uint8Array(RECORD_SIZE);
  writeRecord(init, out);
  return out;
}

/**
 * Encodes a record followed by its payload in one buffer, with `addDataBytes` set to
 * the payload length (any `addDataBytes` in `init` is replaced). The text buffer is what
 * `init` gives: leave it empty, as spec §3.1 asks of requests with a payload.
 */
export function encodeRecordWithPayload(init: RecordInit, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const out = new Uint8Array(RECORD_SIZE + body.byteLength);
  writeRecord({ ...init, addDataBytes: body.byteLength }, out);
  out.set(body, RECORD_SIZE);
  return out;
}

/** Whether the 128 bytes at `offset` carry both markers. */
export function hasValidMarkers(bytes: Uint8Array, offset = 0): boolean {
  if (!fitsRecord(bytes.byteLength, offset)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_SIZE);
  return view.getUint32(OFFSET.start, true) === START_MARKER && view.getUint32(OFFSET.end, true) === END_MARKER;
}

/** Decodes the record at `offset`; throws `bad-length` or `bad-marker` on malformed bytes. */
export function decodeRecord(bytes: Uint8Array, offset = 0): FlamingoRecord {
  if (!fitsRecord(bytes.byteLength, offset)) {
    throw new ProtocolError(
      'bad-length',
      `A record is ${RECORD_SIZE} bytes; only ${Math.max(0, bytes.byteLength - offset)} were given at offset ${offset}.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_SIZE);
  const start = view.getUint32(OFFSET.start, true);
  const end = view.getUint32(OFFSET.end, true);
  if (start !== START_MARKER || end !== END_MARKER) {
    throw new ProtocolError(
      'bad-marker',
      `Record markers are 0x${start.toString(16)}/0x${end.toString(16)}, expected 0xf321e654/0xfedc4321.`,
    );
  }
  const buffer = bytes.subarray(offset + OFFSET.buffer, offset + OFFSET.buffer + TEXT_BUFFER_SIZE);
  const nul = buffer.indexOf(0);
  return {
    cmd: view.getUint32(OFFSET.cmd, true),
    status: view.getUint32(OFFSET.status, true),
    hardwareID: view.getUint32(OFFSET.hardwareID, true),
    subsystemID: view.getUint32(OFFSET.subsystemID, true),
    clientID: view.getUint32(OFFSET.clientID, true),
    int32Data0: view.getInt32(OFFSET.int32Data0, true),
    int32Data1: view.getInt32(OFFSET.int32Data1, true),
    int32Data2: view.getInt32(OFFSET.int32Data2, true),
    cmdDataBits0: view.getUint32(OFFSET.cmdDataBits0, true),
    doubleData: view.getFloat64(OFFSET.doubleData, true),
    addDataBytes: view.getUint32(OFFSET.addDataBytes, true),
    text: decoder.decode(nul < 0 ? buffer : buffer.subarray(0, nul)),
  };
}

/** Whether a flag word has TRIGGER_CALL_BACK set (unsigned arithmetic). */
export function hasCallbackFlag(cmdDataBits0: number): boolean {
  return (cmdDataBits0 & 0x80000000) >>> 0 !== 0;
}
