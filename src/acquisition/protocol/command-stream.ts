/**
 * Incremental parser for the command port (spec §2.6, §3): push TCP chunks of any
 * size in, get whole records (with their `addDataBytes` payloads) out. "Need more
 * bytes" never leaves the parser. Bad markers resync at the next start marker with
 * every discarded byte counted; an `addDataBytes` above the bound is treated as
 * corruption, so a bogus length never allocates more than `maxPayloadBytes`.
 *
 * @example
 * const parser = new CommandStreamParser();
 * socket.on('data', (chunk) => { for (const m of parser.push(chunk)) route(m) });
 */
import { DEFAULT_MAX_PAYLOAD_BYTES, RECORD_SIZE, START_MARKER_BYTES } from './constants.ts';
import { ProtocolError } from './errors.ts';
import { decodeRecord, hasValidMarkers, type FlamingoRecord } from './record.ts';

export interface CommandMessage {
  record: FlamingoRecord;
  /** The `addDataBytes` payload, or text captured in raw mode; null when there is none. */
  payload: Uint8Array | null;
}

export interface CommandStreamOptions {
  /** Largest `addDataBytes` accepted; larger is corruption (default 16 MiB). */
  maxPayloadBytes?: number;
  /**
   * For records this returns true for, and that declare no payload, the bytes that
   * follow up to the next start marker are captured as the payload (the settings text
   * of a 4103 reply from a server that leaves `addDataBytes` at 0, spec §9.1). The
   * record is emitted when the next marker arrives or on `flushRaw()`.
   */
  rawPayloadAfter?: (record: FlamingoRecord) => boolean;
}

export interface CommandStreamStats {
  records: number;
  payloadBytes: number;
  /** Bytes thrown away while searching for a start marker. */
  discardedBytes: number;
  /** Times the parser had to resynchronise. */
  resyncs: number;
  /** Records whose `addDataBytes` exceeded the bound. */
  oversizedPayloads: number;
}

const M0 = START_MARKER_BYTES[0]!;
const M1 = START_MARKER_BYTES[1]!;
const M2 = START_MARKER_BYTES[2]!;
const M3 = START_MARKER_BYTES[3]!;

/** Index of the first full start marker in `bytes[from..to)`, or -1. */
export function findStartMarker(bytes: Uint8Array, from = 0, to = bytes.length): number {
  for (let i = bytes.indexOf(M0, from); i >= 0 && i + 3 < to; i = bytes.indexOf(M0, i + 1)) {
    if (bytes[i + 1] === M1 && bytes[i + 2] === M2 && bytes[i + 3] === M3) return i;
  }
  return -1;
}

/** Length of the longest suffix of `bytes[0..len)` that is a proper prefix of the marker. */
function markerPrefixSuffix(bytes: Uint8Array, len: number): number {
  for (let k = Math.min(3, len); k > 0; k--) {
    let ok = true;
    for (let j = 0; j < k; j++) {
      if (bytes[len - k + j] !== START_MARKER_BYTES[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return k;
  }
  return 0;
}

export class CommandStreamParser {
  readonly maxPayloadBytes: number;
  private readonly rawPayloadAfter: ((record: FlamingoRecord) => boolean) | undefined;
  private readonly head = new Uint8Array(RECORD_SIZE);
  private headLen = 0;
  private pending: FlamingoRecord | null = null;
  private payload: Uint8Array | null = null;
  private payloadLen = 0;
  private raw: Uint8Array | null = null;
  private rawLen = 0;
  private closed = false;
  readonly stats: CommandStreamStats = { records: 0, payloadBytes: 0, discardedBytes: 0, resyncs: 0, oversizedPayloads: 0 };

  constructor(options: CommandStreamOptions = {}) {
    const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(max) || max < 0) {
      throw new ProtocolError('bad-field', `maxPayloadBytes must be a non-negative integer, got ${max}.`);
    }
    this.maxPayloadBytes = max;
    this.rawPayloadAfter = options.rawPayloadAfter;
  }

  /** Bytes held inside the parser (a partial record, payload or raw capture). */
  get bufferedBytes(): number {
    return this.headLen + this.payloadLen + this.rawLen;
  }

  /** Whether a record is waiting for its raw (unframed) payload to end. */
  get capturingRaw(): boolean {
    return this.raw !== null;
  }

  /** Feeds one chunk; returns every message it completes, in order. */
  push(chunk: Uint8Array): CommandMessage[] {
    if (this.closed) throw new ProtocolError('parser-closed', 'Bytes were pushed into a closed command-stream parser.');
    const out: CommandMessage[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.raw) {
        pos = this.feedRaw(chunk, pos, out);
      } else if (this.pending) {
        const want = this.pending.addDataBytes - this.payloadLen;
        const n = Math.min(want, chunk.length - pos);
        this.payload!.set(chunk.subarray(pos, pos + n), this.payloadLen);
        this.payloadLen += n;
        pos += n;
        if (this.payloadLen === this.pending.addDataBytes) this.emitPending(this.payload!, out);
      } else {
        const n = Math.min(RECORD_SIZE - this.headLen, chunk.length - pos);
        this.head.set(chunk.subarray(pos, pos + n), this.headLen);
        this.headLen += n;
        pos += n;
        if (this.headLen === RECORD_SIZE) this.takeHead(out);
      }
    }
    return out;
  }

  /**
   * Ends a raw capture (the caller saw the socket go quiet) and returns the record it
   * completes, if any. Nothing is lost: the captured bytes become that record's payload.
   */
  flushRaw(): CommandMessage[] {
    if (!this.raw) return [];
    const out: CommandMessage[] = [];
    const text = this.raw.slice(0, this.rawLen);
    this.raw = null;
    this.rawLen = 0;
    this.emitPending(text, out);
    return out;
  }

  /** Marks the end of the stream; returns the number of bytes left incomplete (and counts them as discarded). */
  close(): { incompleteBytes: number; messages: CommandMessage[] } {
    const messages = this.flushRaw();
    const incompleteBytes = this.headLen + this.payloadLen;
    this.stats.discardedBytes += incompleteBytes;
    this.headLen = 0;
    this.pending = null;
    this.payload = null;
    this.payloadLen = 0;
    this.closed = true;
    return { incompleteBytes, messages };
  }

  private takeHead(out: CommandMessage[]): void {
    if (!hasValidMarkers(this.head)) {
      this.resyncHead(1);
      return;
    }
    const record = decodeRecord(this.head);
    if (record.addDataBytes > this.maxPayloadBytes) {
      this.stats.oversizedPayloads++;
      this.resyncHead(1);
      return;
    }
    this.headLen = 0;
    if (record.addDataBytes > 0) {
      this.pending = record;
      this.payload = new Uint8Array(record.addDataBytes);
      this.payloadLen = 0;
    } else if (this.rawPayloadAfter?.(record)) {
      this.pending = record;
      this.raw = new Uint8Array(Math.min(4096, this.maxPayloadBytes));
      this.rawLen = 0;
    } else {
      this.stats.records++;
      out.push({ record, payload: null });
    }
  }

  /** Drops bytes from the head until it starts at a marker (or a possible marker prefix at its end). */
  private resyncHead(from: number): void {
    this.stats.resyncs++;
    let cut = findStartMarker(this.head, from, this.headLen);
    if (cut < 0) cut = this.headLen - markerPrefixSuffix(this.head, this.headLen);
    this.stats.discardedBytes += cut;
    this.head.copyWithin(0, cut, this.headLen);
    this.headLen -= cut;
  }

  private emitPending(payload: Uint8Array, out: CommandMessage[]): void {
    const record = this.pending!;
    this.pending = null;
    this.payload = null;
    this.payloadLen = 0;
    this.stats.records++;
    this.stats.payloadBytes += payload.length;
    out.push({ record, payload });
  }

  /** Raw mode: capture bytes until a start marker shows up (possibly split across chunks). */
  private feedRaw(chunk: Uint8Array, pos: number, out: CommandMessage[]): number {
    // A marker straddling the captured tail and this chunk.
    for (let k = Math.min(3, this.rawLen); k > 0; k--) {
      if (!this.rawEndsWithMarkerPrefix(k)) continue;
      if (chunk.length - pos < 4 - k) continue; // too short to tell yet; checked again next push
      let rest = true;
      for (let j = k; j < 4; j++) if (chunk[pos + j - k] !== START_MARKER_BYTES[j]) rest = false;
      if (!rest) continue;
      this.rawLen -= k;
      out.push(...this.flushRaw());
      this.head.set(START_MARKER_BYTES.slice(0, k), 0);
      this.headLen = k;
      return pos;
    }
    const marker = findStartMarker(chunk, pos);
    const end = marker < 0 ? chunk.length : marker;
    const fit = Math.min(end - pos, this.maxPayloadBytes - this.rawLen);
    this.appendRaw(chunk.subarray(pos, pos + fit));
    if (marker >= 0 || fit < end - pos) {
      // A record starts here, or the capture hit its bound: the rest is parsed as records.
      out.push(...this.flushRaw());
    }
    return pos + fit;
  }

  private rawEndsWithMarkerPrefix(k: number): boolean {
    for (let j = 0; j < k; j++) if (this.raw![this.rawLen - k + j] !== START_MARKER_BYTES[j]) return false;
    return true;
  }

  private appendRaw(bytes: Uint8Array): void {
    let raw = this.raw!;
    if (this.rawLen + bytes.length > raw.length) {
      const grown = new Uint8Array(Math.min(this.maxPayloadBytes, Math.max(raw.length * 2, this.rawLen + bytes.length)));
      grown.set(raw.subarray(0, this.rawLen));
      raw = this.raw = grown;
    }
    raw.set(bytes, this.rawLen);
    this.rawLen += bytes.length;
  }
}
