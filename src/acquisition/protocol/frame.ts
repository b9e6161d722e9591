/**
 * The live port (spec §6): a 40-byte header of ten little-endian 32-bit words, then
 * `imageSize` bytes of uint16 LE pixels, row-major. There is no marker and no resync
 * point, so the parser reads exact lengths and never guesses. `imageSize = 0` is an
 * options-only header with no payload (spec §6.3).
 *
 * @example
 * const parser = new FrameStreamParser();
 * live.on('data', (c) => { for (const m of parser.push(c)) if (m.kind === 'frame') show(m) });
 */
import { BYTES_PER_PIXEL, DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_SIZE, ImageOptions } from './constants.ts';
import { ProtocolError } from './errors.ts';

export interface FrameHeader {
  /** Bytes of pixel data that follow; 0 for an options-only header. */
  imageSize: number;
  width: number;
  height: number;
  /** Display range the server suggests. */
  scaleMin: number;
  scaleMax: number;
  /** Camera 0–3. */
  deviceIndex: number;
  /** Bit field, see `ImageOptions` (0x10 plane, 0x20 MIP). */
  optionsSettings1: number;
  /** Crosshair X/Y in the high/low 16 bits. */
  optionsSettings2: number;
  /** Plane index within the stack (signed; meaning unconfirmed on a rig). */
  imageIndexStart: number;
  /** Stack size − 1 (signed; meaning unconfirmed on a rig). */
  imageIndexStop: number;
}

export type FrameMessage =
  | { kind: 'frame'; header: FrameHeader; pixels: Uint16Array }
  | { kind: 'options'; header: FrameHeader }
  /** A payload whose size disagrees with width × height × 2: consumed (to stay in step) and reported. */
  | { kind: 'mismatch'; header: FrameHeader; bytes: Uint8Array; error: ProtocolError };

export interface FrameStreamOptions {
  /** Largest `imageSize` accepted (default 32 MiB). Larger is unrecoverable corruption. */
  maxFrameBytes?: number;
  /**
   * Allocates the buffer a frame's pixels are read into (default: a zeroed
   * `Uint8Array`). It must return exactly `bytes` bytes starting at an even offset of
   * a buffer the frame may keep; Node passes `Buffer.allocUnsafeSlow` to skip zeroing.
   */
  allocate?: (bytes: number) => Uint8Array;
}

export interface FrameStreamStats {
  frames: number;
  optionHeaders: number;
  mismatches: number;
  pixelBytes: number;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeFrameHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (!Number.isInteger(offset) || offset < 0 || bytes.byteLength - offset < FRAME_HEADER_SIZE) {
    throw new ProtocolError('bad-length', `A frame header is ${FRAME_HEADER_SIZE} bytes; fewer were given.`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_SIZE);
  return {
    imageSize: v.getUint32(0, true),
    width: v.getUint32(4, true),
    height: v.getUint32(8, true),
    scaleMin: v.getUint32(12, true),
    scaleMax: v.getUint32(16, true),
    deviceIndex: v.getUint32(20, true),
    optionsSettings1: v.getUint32(24, true),
    optionsSettings2: v.getUint32(28, true),
    imageIndexStart: v.getInt32(32, true),
    imageIndexStop: v.getInt32(36, true),
  };
}

export type FrameHeaderInit = Partial<FrameHeader> & Pick<FrameHeader, 'width' | 'height'>;

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new ProtocolError('bad-field', `Frame header field ${name} must be an unsigned 32-bit integer, got ${v}.`);
  }
  return v;
}

function i32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new ProtocolError('bad-field', `Frame header field ${name} must be a signed 32-bit integer, got ${v}.`);
  }
  return v;
}

/** Writes a header into `target` at `offset`. `imageSize` defaults to width × height × 2. */
export function writeFrameHeader(init: FrameHeaderInit, target: Uint8Array, offset = 0): void {
  if (!Number.isInteger(offset) || offset < 0 || target.byteLength - offset < FRAME_HEADER_SIZE) {
    throw new ProtocolError('bad-length', `A frame header needs ${FRAME_HEADER_SIZE} bytes at offset ${offset}.`);
  }
  const v = new DataView(target.buffer, target.byteOffset + offset, FRAME_HEADER_SIZE);
  v.setUint32(0, u32('imageSize', init.imageSize ?? init.width * init.height * BYTES_PER_PIXEL), true);
  v.setUint32(4, u32('width', init.width), true);
  v.setUint32(8, u32('height', init.height), true);
  v.setUint32(12, u32('scaleMin', init.scaleMin ?? 0), true);
  v.setUint32(16, u32('scaleMax', init.scaleMax ?? 0), true);
  v.setUint32(20, u32('deviceIndex', init.deviceIndex ?? 0), true);
  v.setUint32(24, u32('optionsSettings1', init.optionsSettings1 ?? ImageOptions.IMAGE_DATA), true);
  v.setUint32(28, u32('optionsSettings2', init.optionsSettings2 ?? 0), true);
  v.setInt32(32, i32('imageIndexStart', init.imageIndexStart ?? 0), true);
  v.setInt32(36, i32('imageIndexStop', init.imageIndexStop ?? 0), true);
}

export function encodeFrameHeader(init: FrameHeaderInit): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE);
  writeFrameHeader(init, out);
  return out;
}

/** Header plus little-endian pixels in one buffer, ready for one socket write. */
export function encodeFrame(init: Omit<FrameHeaderInit, 'imageSize'>, pixels: Uint16Array): Uint8Array {
  if (pixels.length !== init.width * init.height) {
    throw new ProtocolError(
      'bad-frame',
      `Frame has ${pixels.length} pixels but its header says ${init.width} × ${init.height}.`,
    );
  }
  const out = new Uint8Array(FRAME_HEADER_SIZE + pixels.byteLength);
  writeFrameHeader({ ...init, imageSize: pixels.byteLength }, out);
  const body = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  out.set(body, FRAME_HEADER_SIZE);
  if (!HOST_IS_LITTLE_ENDIAN) swapPairs(out.subarray(FRAME_HEADER_SIZE));
  return out;
}

function swapPairs(bytes: Uint8Array): void {
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const t = bytes[i]!;
    bytes[i] = bytes[i + 1]!;
    bytes[i + 1] = t;
  }
}

/** Whether the header marks a max-intensity projection rather than a plane. */
export function isMaxProjection(header: FrameHeader): boolean {
  return (header.optionsSettings1 & ImageOptions.MAX_PROJECTION) !== 0;
}

export class FrameStreamParser {
  readonly maxFrameBytes: number;
  private readonly allocate: (bytes: number) => Uint8Array;
  private readonly head = new Uint8Array(FRAME_HEADER_SIZE);
  private headLen = 0;
  private header: FrameHeader | null = null;
  private body: Uint8Array | null = null;
  private bodyLen = 0;
  private failed: ProtocolError | null = null;
  readonly stats: FrameStreamStats = { frames: 0, optionHeaders: 0, mismatches: 0, pixelBytes: 0 };

  constructor(options: FrameStreamOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 0) {
      throw new ProtocolError('bad-field', `maxFrameBytes must be a non-negative integer, got ${max}.`);
    }
    this.maxFrameBytes = max;
    this.allocate = options.allocate ?? ((bytes) => new Uint8Array(bytes));
  }

  /** Bytes of the frame in progress (header or pixels). */
  get bufferedBytes(): number {
    return this.headLen + this.bodyLen;
  }

  /** Why the parser stopped (`payload-too-large` or `parser-closed`), or null while it runs. */
  get failure(): ProtocolError | null {
    return this.failed;
  }

  /**
   * Feeds one chunk and returns every message it completes. An `imageSize` over the
   * bound means the stream is out of step for good: the parser fails with
   * `payload-too-large`, and this push and every later one throw it. Only if this chunk
   * completed messages before the bad header does this push return them (nothing is
   * lost) and leave the throw to the next push; `failure` reports it at once.
   */
  push(chunk: Uint8Array): FrameMessage[] {
    if (this.failed) throw this.failed;
    const out: FrameMessage[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.header) {
        const want = this.header.imageSize - this.bodyLen;
        const n = Math.min(want, chunk.length - pos);
        this.body!.set(chunk.subarray(pos, pos + n), this.bodyLen);
        this.bodyLen += n;
        pos += n;
        if (this.bodyLen === this.header.imageSize) this.finishFrame(out);
      } else {
        const n = Math.min(FRAME_HEADER_SIZE - this.headLen, chunk.length - pos);
        this.head.set(chunk.subarray(pos, pos + n), this.headLen);
        this.headLen += n;
        pos += n;
        if (this.headLen === FRAME_HEADER_SIZE) {
          this.takeHeader(out);
          if (this.failed) {
            if (out.length === 0) throw this.failed;
            return out;
          }
        }
      }
    }
    return out;
  }

  /**
   * The stream ended; returns how many bytes of an unfinished frame were lost (a partial
   * header, or a whole header and the pixels that arrived). Later pushes throw.
   */
  close(): { incompleteBytes: number } {
    const incompleteBytes = this.headLen + (this.header ? FRAME_HEADER_SIZE + this.bodyLen : 0);
    this.headLen = 0;
    this.header = null;
    this.body = null;
    this.bodyLen = 0;
    this.failed ??= new ProtocolError('parser-closed', 'Bytes were pushed into a closed live-frame parser.');
    return { incompleteBytes };
  }

  private takeHeader(out: FrameMessage[]): void {
    const header = decodeFrameHeader(this.head);
    this.headLen = 0;
    if (header.imageSize === 0) {
      this.stats.optionHeaders++;
      out.push({ kind: 'options', header });
      return;
    }
    if (header.imageSize > this.maxFrameBytes) {
      this.failed = new ProtocolError(
        'payload-too-large',
        `Live frame header announces ${header.imageSize} bytes (${header.width} × ${header.height}), ` +
          `over the ${this.maxFrameBytes}-byte bound; the live stream is out of step.`,
      );
      return;
    }
    this.header = header;
    // An ArrayBuffer of its own, so the pixels can be transferred to a worker without copying.
    this.body = this.allocate(header.imageSize);
    this.bodyLen = 0;
  }

  private finishFrame(out: FrameMessage[]): void {
    const header = this.header!;
    const bytes = this.body!;
    this.header = null;
    this.body = null;
    this.bodyLen = 0;
    if (header.imageSize !== header.width * header.height * BYTES_PER_PIXEL) {
      this.stats.mismatches++;
      const error = new ProtocolError(
        'bad-frame',
        `Live frame carries ${header.imageSize} bytes but ${header.width} × ${header.height} × 2 = ` +
          `${header.width * header.height * BYTES_PER_PIXEL}.`,
      );
      out.push({ kind: 'mismatch', header, bytes, error });
      return;
    }
    if (!HOST_IS_LITTLE_ENDIAN) swapPairs(bytes);
    this.stats.frames++;
    this.stats.pixelBytes += bytes.length;
    out.push({ kind: 'frame', header, pixels: new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) });
  }
}
