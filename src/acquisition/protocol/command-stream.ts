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
   * record is emitted when the next marker arrives, on `flushRaw()` or `close()`, or
   * when the text reaches `maxPayloadBytes` (what follows is then parsed as records).
   */
  rawPayloadAfter?: (record: FlamingoRecord) => boolean;
}

export interface CommandStreamStats {
  records: number;
  payloadBytes: number;
  /** Bytes thrown away while searching for a start marker. */
  discardedBytes: number;
  /** Times the parser lost step and searched for a start marker: one per run of bad bytes, however long. */
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

/** Length of the longest suffix of `bytes[from..to)` that is a proper prefix of the marker (0–3). */
function markerPrefixSuffix(bytes: Uint8Array, from: number, to: number): number {
  for (let k = Math.min(3, to - from); k > 0; k--) {
    let ok = true;
    for (let j = 0; j < k; j++) {
      if (bytes[to - k + j] !== START_MARKER_BYTES[j]) {
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
  /** True from a bad record until the next good one, so that one run of garbage counts as one resync. */
  private searching = false;
  readonly stats: CommandStreamStats = { records: 0, payloadBytes: 0, discardedBytes: 0, resyncs: 0, oversizedPayloads: 0 };

  constructor(options: CommandStreamOptions = {}) {
    const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(max) || max < 0) {
      throw new ProtocolError('bad-field', `maxPayloadBytes must be a non-negative integer, got ${max}.`);
    }
    this.maxPayloadBytes = max;
    this.rawPayloadAfter = options.rawPayloadAfter;
  }

  /**
   * Bytes held inside the parser (a partial record, payload or raw capture); never more
   * than `RECORD_SIZE + maxPayloadBytes`.
   */
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
   * completes, if any. Nothing is lost: every captured byte, including a trailing 1–3
   * bytes that looked like the start of a marker, becomes that record's payload (up to
   * `maxPayloadBytes`; bytes beyond it are parsed as records).
   */
  flushRaw(): CommandMessage[] {
    if (!this.raw) return [];
    const out: CommandMessage[] = [];
    const n = Math.min(this.headLen, this.maxPayloadBytes - this.rawLen);
    this.appendRaw(this.head.subarray(0, n));
    this.head.copyWithin(0, n, this.headLen);
    this.headLen -= n;
    this.endRaw(out);
    return out;
  }

  /**
   * Marks the end of the stream. A raw capture in progress is handed over as a message;
   * the bytes of anything else left unfinished (a partial record, or a record and the part
   * of its payload that arrived) are returned as `incompleteBytes` and counted as discarded.
   */
  close(): { incompleteBytes: number; messages: CommandMessage[] } {
    const messages = this.flushRaw();
    const incompleteBytes = this.headLen + (this.pending ? RECORD_SIZE + this.payloadLen : 0);
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
    this.searching = false;
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
    if (!this.searching) this.stats.resyncs++;
    this.searching = true;
    let cut = findStartMarker(this.head, from, this.headLen);
    if (cut < 0) cut = this.headLen - markerPrefixSuffix(this.head, from, this.headLen);
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

  /**
   * Raw mode. The capture is the text up to the first start marker, or its first
   * `maxPayloadBytes` bytes when it runs longer (the rest is then parsed as records), so
   * the result does not depend on how the bytes were chunked. `raw` holds text known
   * not to begin a marker; a 1–3-byte marker prefix at the end of what has arrived waits
   * in `head` until later bytes complete it (a record starts) or break it (it is text).
   */
  private feedRaw(chunk: Uint8Array, pos: number, out: CommandMessage[]): number {
    while (this.headLen > 0 && pos < chunk.length) {
      if (chunk[pos] === START_MARKER_BYTES[this.headLen]) {
        this.head[this.headLen++] = chunk[pos++]!;
        if (this.headLen === START_MARKER_BYTES.length) this.endRaw(out); // a record starts: head keeps the marker
        if (!this.raw) return pos;
        continue;
      }
      // Not a marker after all. The marker's four bytes all differ, so no later byte of
      // the prefix can start one either: the whole prefix is text.
      const room = this.maxPayloadBytes - this.rawLen;
      if (this.headLen > room) {
        this.appendRaw(this.head.subarray(0, room));
        this.head.copyWithin(0, room, this.headLen);
        this.headLen -= room;
        this.endRaw(out); // the capture is full; what is left of head is parsed as a record
        return pos;
      }
      this.appendRaw(this.head.subarray(0, this.headLen));
      this.headLen = 0;
    }
    if (pos >= chunk.length) return pos;

    const marker = findStartMarker(chunk, pos);
    const tail = marker < 0 ? markerPrefixSuffix(chunk, pos, chunk.length) : 0;
    const end = marker < 0 ? chunk.length - tail : marker;
    const room = this.maxPayloadBytes - this.rawLen;
    if (end - pos > room) {
      // The text runs past the bound: the capture ends there and the rest is parsed as records.
      this.appendRaw(chunk.subarray(pos, pos + room));
      this.endRaw(out);
      return pos + room;
    }
    this.appendRaw(chunk.subarray(pos, end));
    if (marker >= 0) {
      this.endRaw(out);
      return marker;
    }
    this.head.set(chunk.subarray(end), 0);
    this.headLen = tail;
    return chunk.length;
  }

  /** Emits the record waiting for its raw payload, with the text captured so far. */
  private endRaw(out: CommandMessage[]): void {
    const text = this.raw!.slice(0, this.rawLen);
    this.raw = null;
    this.rawLen = 0;
    this.emitPending(text, out);
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
