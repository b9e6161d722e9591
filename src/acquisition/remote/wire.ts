/**
 * The bridge's WebSocket wire format (pure: runs in browsers, workers and Node).
 *
 * Binary messages carry `plane` and `volume` events: an 8-byte preamble (`F`, `V`, format
 * version 1, kind 1 = plane / 2 = volume, then the header length as uint32 little-endian),
 * a UTF-8 JSON header with the event's scalar fields, zero padding up to a multiple of 8,
 * then the pixels as raw uint16 little-endian (`height × width` for a plane,
 * `(zEnd − zStart) × height × width` for a volume).
 *
 * Text messages are JSON objects with a `kind`:
 * - server → client: `hello` (once per connection: whether it may control), `event` (any
 *   other `LiveEvent`), `reply` (to a request: `ok` with `result`, or an `error` sentence);
 * - client → server: `request` (`id`, `op`, `args`), `planeLevel` (which pyramid level this
 *   viewer wants `plane` events at), `window` (this viewer acknowledges binary messages: at most
 *   `messages` unacknowledged ones may be on the way to it) and `ack` (one binary message was
 *   taken in). Windowed flow keeps the queue between the bridge and a busy viewer short, so what
 *   the viewer shows is at most a few frames old; a viewer that never sends `window` is limited
 *   by the socket backlog alone.
 *
 * @example
 * const bytes = encodeDataEvent(planeEvent);          // one binary WebSocket message
 * const back = decodeDataEvent(bytes);                 // PlaneEvent again (pixels equal)
 * const text = JSON.stringify(requestMessage(7, 'moveTo', { target: { xMm: 1 } }));
 * const msg = parseClientMessage(text);                // { kind: 'request', id: 7, op: 'moveTo', ... }
 */
import { TaggedError } from '../../tagged-error.ts';
import type { MicroscopeInfo, StagePosition } from '../connector.ts';
import type { AcquisitionRequest, LiveEvent, LiveSessionInfo, PlaneEvent, SessionEntry, VolumeEvent } from '../live-backend.ts';

export const WIRE_VERSION = 1;
const KIND_PLANE = 1;
const KIND_VOLUME = 2;
const PREAMBLE = 8;

/** A malformed wire message. */
export class WireError extends TaggedError<'bad-message'> {
  override readonly name = 'WireError';

  constructor(message: string) {
    super('bad-message', message);
  }
}

/** What each request op takes and returns. */
export interface BridgeOps {
  connect: { args: { microscope?: string }; result: MicroscopeInfo };
  disconnect: { args: Record<string, never>; result: null };
  getPosition: { args: Record<string, never>; result: StagePosition };
  moveTo: { args: { target: Partial<StagePosition> }; result: StagePosition };
  startLiveView: { args: Record<string, never>; result: null };
  stopLiveView: { args: Record<string, never>; result: null };
  startAcquisition: { args: { request: AcquisitionRequest }; result: LiveSessionInfo };
  stopAcquisition: { args: Record<string, never>; result: null };
  listSessions: { args: Record<string, never>; result: SessionEntry[] };
  openSession: { args: { name: string }; result: LiveSessionInfo };
  saveSession: { args: { name: string; state: { description?: string; viewer?: Record<string, unknown> } }; result: SessionEntry };
}
export type BridgeOp = keyof BridgeOps;

/** Ops that change the microscope or the disk: they need the bridge's token. */
export const CONTROL_OPS: ReadonlySet<BridgeOp> = new Set<BridgeOp>([
  'connect',
  'disconnect',
  'moveTo',
  'startLiveView',
  'stopLiveView',
  'startAcquisition',
  'stopAcquisition',
  'saveSession',
]);
/** Ops anyone who can view may use. */
export const VIEW_OPS: ReadonlySet<BridgeOp> = new Set<BridgeOp>(['getPosition', 'listSessions', 'openSession']);
export const ALL_OPS: ReadonlySet<BridgeOp> = new Set<BridgeOp>([...CONTROL_OPS, ...VIEW_OPS]);

export function isBridgeOp(op: unknown): op is BridgeOp {
  return typeof op === 'string' && ALL_OPS.has(op as BridgeOp);
}

/** Events sent as JSON (everything but plane and volume). */
export type JsonLiveEvent = Exclude<LiveEvent, PlaneEvent | VolumeEvent>;

export type ServerMessage =
  | { kind: 'hello'; protocol: number; control: boolean }
  | { kind: 'event'; event: JsonLiveEvent }
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { code: string; message: string } };

export type ClientMessage =
  | { kind: 'request'; id: number; op: BridgeOp; args: Record<string, unknown> }
  | { kind: 'planeLevel'; level: number }
  | { kind: 'window'; messages: number }
  | { kind: 'ack' };

/** Largest window a viewer may ask for. */
export const MAX_WINDOW = 64;

export function requestMessage<K extends BridgeOp>(id: number, op: K, args: BridgeOps[K]['args']): ClientMessage {
  return { kind: 'request', id, op, args: args as Record<string, unknown> };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string, who: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WireError(`The ${who} message is not JSON (starts with ${JSON.stringify(text.slice(0, 40))}).`);
  }
  if (!isRecord(v)) throw new WireError(`The ${who} message must be a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}.`);
  return v;
}

/** Parses and checks a message from a viewer; throws a `WireError` sentence when it is malformed. */
export function parseClientMessage(text: string): ClientMessage {
  const m = parseJson(text, 'client');
  if (m['kind'] === 'request') {
    const id = m['id'];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new WireError(`A request needs a non-negative integer id, got ${JSON.stringify(id)}.`);
    if (!isBridgeOp(m['op'])) throw new WireError(`Unknown request op ${JSON.stringify(m['op'])}; expected one of ${[...ALL_OPS].join(', ')}.`);
    const args = m['args'] ?? {};
    if (!isRecord(args)) throw new WireError(`The args of request ${id} (${m['op']}) must be an object.`);
    return { kind: 'request', id, op: m['op'], args };
  }
  if (m['kind'] === 'planeLevel') {
    const level = m['level'];
    if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 64) throw new WireError(`planeLevel needs a level between 0 and 64, got ${JSON.stringify(level)}.`);
    return { kind: 'planeLevel', level };
  }
  if (m['kind'] === 'window') {
    const n = m['messages'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_WINDOW) throw new WireError(`window needs a whole number of messages from 1 to ${MAX_WINDOW}, got ${JSON.stringify(n)}.`);
    return { kind: 'window', messages: n };
  }
  if (m['kind'] === 'ack') return { kind: 'ack' };
  throw new WireError(`Unknown client message kind ${JSON.stringify(m['kind'])}; expected 'request', 'planeLevel', 'window' or 'ack'.`);
}

/** Parses a message from the bridge (checked only as far as the client relies on it). */
export function parseServerMessage(text: string): ServerMessage {
  const m = parseJson(text, 'server');
  switch (m['kind']) {
    case 'hello':
      return { kind: 'hello', protocol: Number(m['protocol']), control: m['control'] === true };
    case 'event':
      if (!isRecord(m['event']) || typeof m['event']['type'] !== 'string') throw new WireError('An event message carries no event with a type.');
      return { kind: 'event', event: m['event'] as unknown as JsonLiveEvent };
    case 'reply': {
      const id = m['id'];
      if (typeof id !== 'number') throw new WireError(`A reply needs a numeric id, got ${JSON.stringify(id)}.`);
      if (m['ok'] === true) return { kind: 'reply', id, ok: true, result: m['result'] ?? null };
      const e = isRecord(m['error']) ? m['error'] : {};
      return { kind: 'reply', id, ok: false, error: { code: String(e['code'] ?? 'failed'), message: String(e['message'] ?? 'The bridge reported an error without a message.') } };
    }
    default:
      throw new WireError(`Unknown server message kind ${JSON.stringify(m['kind'])}.`);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type DataHeader = Omit<PlaneEvent, 'pixels' | 'type'> | Omit<VolumeEvent, 'data' | 'type'>;

function headerOf(e: PlaneEvent | VolumeEvent): DataHeader {
  if (e.type === 'plane') {
    const { session, channel, z, level, width, height, version, acquiredAtMs, frameNumber } = e;
    return { session, channel, z, level, width, height, version, acquiredAtMs, frameNumber };
  }
  const { session, channel, level, zStart, zEnd, width, height, version } = e;
  return { session, channel, level, zStart, zEnd, width, height, version };
}

/** Pixel count the event's dimensions call for. */
function expectedLength(e: { type: 'plane' | 'volume'; width: number; height: number; zStart?: number; zEnd?: number }): number {
  const planes = e.type === 'plane' ? 1 : (e.zEnd ?? 0) - (e.zStart ?? 0);
  return planes * e.width * e.height;
}

/** One binary message for a `plane` or `volume` event (the pixels are copied once). */
export function encodeDataEvent(e: PlaneEvent | VolumeEvent): Uint8Array {
  const pixels = e.type === 'plane' ? e.pixels : e.data;
  const n = expectedLength(e);
  if (pixels.length !== n) throw new WireError(`The ${e.type} event of channel ${e.channel} holds ${pixels.length} pixels but its size calls for ${n}.`);
  const header = encoder.encode(JSON.stringify(headerOf(e)));
  const dataOffset = Math.ceil((PREAMBLE + header.length) / 8) * 8;
  const out = new Uint8Array(dataOffset + pixels.byteLength);
  out[0] = 0x46;
  out[1] = 0x56;
  out[2] = WIRE_VERSION;
  out[3] = e.type === 'plane' ? KIND_PLANE : KIND_VOLUME;
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, PREAMBLE);
  const target = new Uint16Array(out.buffer, dataOffset, pixels.length);
  target.set(pixels);
  if (!LITTLE_ENDIAN) swap16(target);
  return out;
}

function swap16(a: Uint16Array): void {
  for (let i = 0; i < a.length; i++) a[i] = ((a[i]! & 0xff) << 8) | (a[i]! >> 8);
}

const num = (h: Record<string, unknown>, key: string): number => {
  const v = h[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireError(`The binary event header's '${key}' must be a number, got ${JSON.stringify(v)}.`);
  return v;
};

/**
 * Decodes a binary message into its `plane` or `volume` event. The pixels view the
 * message's bytes when they are aligned (copied otherwise): keep or copy them, never write.
 */
export function decodeDataEvent(message: ArrayBuffer | Uint8Array): PlaneEvent | VolumeEvent {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.length < PREAMBLE || bytes[0] !== 0x46 || bytes[1] !== 0x56) throw new WireError(`A binary message of ${bytes.length} bytes does not start with the 'FV' preamble.`);
  if (bytes[2] !== WIRE_VERSION) throw new WireError(`A binary message has wire version ${bytes[2]}; this client reads version ${WIRE_VERSION}.`);
  const kind = bytes[3];
  if (kind !== KIND_PLANE && kind !== KIND_VOLUME) throw new WireError(`A binary message has unknown kind ${kind}.`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (PREAMBLE + headerLength > bytes.length) throw new WireError(`A binary message's header (${headerLength} bytes) runs past its end (${bytes.length} bytes).`);
  const h = parseJson(decoder.decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)), 'binary event header');
  const dataOffset = Math.ceil((PREAMBLE + headerLength) / 8) * 8;
  const type = kind === KIND_PLANE ? 'plane' : 'volume';
  const width = num(h, 'width');
  const height = num(h, 'height');
  const zStart = type === 'volume' ? num(h, 'zStart') : 0;
  const zEnd = type === 'volume' ? num(h, 'zEnd') : 1;
  const n = expectedLength({ type, width, height, zStart, zEnd });
  if (!(n >= 0) || bytes.length - dataOffset !== n * 2) {
    throw new WireError(`A binary ${type} message carries ${Math.max(0, bytes.length - dataOffset)} data bytes but ${width} × ${height}${type === 'volume' ? ` × ${zEnd - zStart}` : ''} uint16 pixels need ${n * 2}.`);
  }
  const start = bytes.byteOffset + dataOffset;
  let pixels: Uint16Array;
  if (start % 2 === 0 && LITTLE_ENDIAN) {
    pixels = new Uint16Array(bytes.buffer, start, n);
  } else {
    pixels = new Uint16Array(n);
    new Uint8Array(pixels.buffer).set(bytes.subarray(dataOffset, dataOffset + n * 2));
    if (!LITTLE_ENDIAN) swap16(pixels);
  }
  const session = String(h['session'] ?? '');
  const channel = num(h, 'channel');
  const level = num(h, 'level');
  const version = num(h, 'version');
  if (type === 'plane') {
    return { type, session, channel, z: num(h, 'z'), level, width, height, pixels, version, acquiredAtMs: num(h, 'acquiredAtMs'), frameNumber: num(h, 'frameNumber') };
  }
  return { type, session, channel, level, zStart, zEnd, width, height, data: pixels, version };
}
