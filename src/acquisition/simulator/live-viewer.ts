/**
 * One viewer on the live port (Node): a bounded queue of frames (drop-oldest, counted)
 * in front of the socket, so a slow viewer never stalls the acquisition. Each frame's
 * header and pixels are written back to back (corked into one writev); the next frame
 * goes out only when the socket has taken the previous ones (at most two in flight).
 *
 * @example
 * const viewer = new LiveViewer(socket, { capacity: 16 });
 * viewer.enqueue(frame);        // retains frame.payload while queued
 * viewer.dropped;               // frames thrown away because the viewer was slow
 */

import type { Socket } from 'node:net';
import type { LiveFrame } from './engine.ts';

export interface LiveViewerOptions {
  /** Frames waiting per viewer (10–64, default 16). */
  capacity?: number;
  /** Called once before each frame is written; return 'cut' to send half of it and close (a test quirk). */
  beforeWrite?: (frame: LiveFrame) => 'write' | 'cut';
  onFrameSent?: () => void;
}

const MAX_IN_FLIGHT = 2;

export class LiveViewer {
  readonly socket: Socket;
  readonly capacity: number;
  dropped = 0;
  sent = 0;
  private readonly queue: LiveFrame[] = [];
  private inFlight = 0;
  private closed = false;
  private readonly beforeWrite: LiveViewerOptions['beforeWrite'];
  private readonly onFrameSent: LiveViewerOptions['onFrameSent'];

  constructor(socket: Socket, options: LiveViewerOptions = {}) {
    this.socket = socket;
    this.capacity = Math.min(64, Math.max(10, options.capacity ?? 64));
    this.beforeWrite = options.beforeWrite;
    this.onFrameSent = options.onFrameSent;
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(frame: LiveFrame): void {
    if (this.closed) return;
    frame.payload?.retain();
    this.queue.push(frame);
    while (this.queue.length > this.capacity) {
      const old = this.queue.shift()!;
      old.payload?.release();
      this.dropped++;
    }
    this.pump();
  }

  /** Releases everything queued; nothing is written afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.queue) f.payload?.release();
    this.queue.length = 0;
  }

  private pump(): void {
    while (!this.closed && this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      if (this.socket.destroyed || !this.socket.writable) {
        this.close();
        return;
      }
      const frame = this.queue.shift()!;
      if (this.beforeWrite?.(frame) === 'cut') {
        this.cut(frame);
        return;
      }
      this.inFlight++;
      const done = (err?: Error | null): void => {
        this.inFlight--;
        frame.payload?.release();
        if (err) {
          this.close();
          return;
        }
        if (frame.payload) {
          this.sent++;
          this.onFrameSent?.();
        }
        this.pump();
      };
      const s = this.socket;
      s.cork();
      if (frame.payload) {
        s.write(frame.header);
        s.write(frame.payload.bytes, done);
      } else {
        s.write(frame.header, done);
      }
      s.uncork();
    }
  }

  /** Writes the header and half of the pixels, then closes the socket (the drop-mid-frame quirk). */
  private cut(frame: LiveFrame): void {
    const s = this.socket;
    const payload = frame.payload;
    s.cork();
    s.write(frame.header);
    if (payload) {
      // A copy: the pooled buffer goes back to the pool right away.
      s.write(payload.bytes.slice(0, payload.bytes.length >> 1));
      payload.release();
    }
    s.uncork();
    this.close();
    s.end();
  }
}
