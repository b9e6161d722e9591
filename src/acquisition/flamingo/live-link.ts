/**
 * The live image port (spec §6, §11.3 item 11): one socket read continuously through
 * the codec's `FrameStreamParser`, so every header and payload is taken at its exact
 * length. Options-only headers (`imageSize = 0`) are skipped and counted; a payload
 * whose size disagrees with width × height × 2 is consumed, reported and counted. A
 * connection that closes in the middle of a frame is reported with the bytes lost.
 * Frames go synchronously to the listeners, which put them in bounded queues
 * (`FrameQueue`), so reading never waits for a consumer. Pure: the byte stream comes from
 * a `Transport` (TCP in Node through `LiveChannel`, memory for the simulator in a worker).
 *
 * @example
 * const live = new LiveLink({ host: '127.0.0.1', port: 53718, transport: tcpTransport });
 * live.onFrame((f) => ring.push(f));
 * await live.connect();     // before CAMERA_WORK_FLOW_START, without LIVE_VIEW_START
 */
import { FrameStreamParser, isProtocolError, type FrameHeader } from '../protocol/index.ts';
import type { LogFn } from './command-channel.ts';
import { ConnectorError, errorMessage } from './errors.ts';
import type { Transport, TransportSocket } from './transport.ts';

export interface LiveFrame {
  header: FrameHeader;
  pixels: Uint16Array;
  receivedAtMs: number;
  receivedMonotonicMs: number;
}

export interface LiveLinkOptions {
  host: string;
  port: number;
  /** Where the bytes come from: TCP (`tcpTransport`) or memory. */
  transport: Transport;
  connectTimeoutMs?: number;
  /** Largest frame accepted (default: the codec's 32 MiB). */
  maxFrameBytes?: number;
  log?: LogFn;
}

export interface LiveChannelStats {
  connects: number;
  frames: number;
  bytesReceived: number;
  /** Options-only headers skipped (spec §6.3). */
  optionHeaders: number;
  /** Payloads whose size disagreed with their header, consumed and dropped. */
  mismatches: number;
  /** Connections that closed in the middle of a frame. */
  midFrameCloses: number;
  /** Bytes of unfinished frames lost to such closes. */
  bytesLostMidFrame: number;
}

export interface LiveCloseInfo {
  reason: string;
  /** Bytes of an unfinished frame lost with the connection (0 when it closed between frames). */
  incompleteBytes: number;
}

export class LiveLink {
  readonly host: string;
  readonly port: number;
  private readonly connectTimeoutMs: number;
  private readonly maxFrameBytes: number | undefined;
  private readonly log: LogFn;
  private readonly transport: Transport;
  private socket: TransportSocket | null = null;
  private parser: FrameStreamParser | null = null;
  private lastError: Error | null = null;
  private closed = false;
  private connecting: Promise<void> | null = null;
  private readonly frameListeners = new Set<(frame: LiveFrame) => void>();
  private readonly closeListeners = new Set<(info: LiveCloseInfo) => void>();
  private lastDataAt = 0;
  private readonly counts: LiveChannelStats = {
    connects: 0,
    frames: 0,
    bytesReceived: 0,
    optionHeaders: 0,
    mismatches: 0,
    midFrameCloses: 0,
    bytesLostMidFrame: 0,
  };

  constructor(o: LiveLinkOptions) {
    this.transport = o.transport;
    this.host = o.host;
    this.port = o.port;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 2000;
    this.maxFrameBytes = o.maxFrameBytes;
    this.log = o.log ?? (() => undefined);
  }

  get connected(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  /** `performance.now()` of the last bytes received (0 before any). */
  get lastDataMonotonicMs(): number {
    return this.lastDataAt;
  }

  /** Whether part of a frame is buffered (a header or payload in progress). */
  get midFrame(): boolean {
    return (this.parser?.bufferedBytes ?? 0) > 0;
  }

  stats(): LiveChannelStats {
    return { ...this.counts };
  }

  onFrame(listener: (frame: LiveFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Called whenever the socket closes without `close()` being asked for. */
  onClose(listener: (info: LiveCloseInfo) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Connects if not connected (concurrent calls share one attempt). */
  connect(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectorError('closed', 'The live channel is closed; it cannot connect again.'));
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.transport.connect({
      host: this.host,
      port: this.port,
      timeoutMs: this.connectTimeoutMs,
      what: 'the microscope live image port',
      ...(signal ? { signal } : {}),
    })
      .then((socket) => {
        if (this.closed) {
          socket.destroy();
          throw new ConnectorError('closed', 'The live channel was closed while it was connecting.');
        }
        this.attach(socket);
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  /** Drops the socket as if the server had. */
  destroySocket(): void {
    this.socket?.destroy();
  }

  private attach(socket: TransportSocket): void {
    const parser = new FrameStreamParser({
      ...(this.maxFrameBytes !== undefined ? { maxFrameBytes: this.maxFrameBytes } : {}),
      // Each frame gets a buffer of its own (it outlives the chunk); Node's skips zero-filling.
      ...(this.transport.allocateFrame ? { allocate: (bytes: number) => this.transport.allocateFrame!(bytes) } : {}),
    });
    this.socket = socket;
    this.parser = parser;
    this.lastError = null;
    this.counts.connects++;
    socket.on('data', (chunk: Uint8Array) => this.onData(socket, parser, chunk));
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', () => this.onSocketClose(socket, parser));
  }

  private onData(socket: TransportSocket, parser: FrameStreamParser, chunk: Uint8Array): void {
    if (socket !== this.socket) return;
    this.counts.bytesReceived += chunk.length;
    this.lastDataAt = performance.now();
    let messages;
    try {
      messages = parser.push(chunk);
    } catch (err) {
      this.failStream(socket, err);
      return;
    }
    for (const m of messages) {
      if (m.kind === 'options') {
        this.counts.optionHeaders++;
      } else if (m.kind === 'mismatch') {
        this.counts.mismatches++;
        this.log('warn', `Dropped a live frame: ${m.error.message}`);
      } else {
        this.counts.frames++;
        const frame: LiveFrame = {
          header: m.header,
          pixels: m.pixels,
          receivedAtMs: Date.now(),
          receivedMonotonicMs: performance.now(),
        };
        for (const l of [...this.frameListeners]) {
          try {
            l(frame);
          } catch (e) {
            this.log('error', `Handling a live frame failed: ${errorMessage(e)}`);
          }
        }
      }
    }
    // Frames before an impossible header were delivered above; now give up on the stream.
    if (parser.failure) this.failStream(socket, parser.failure);
  }

  /** An impossible size: the stream is out of step for good (no resync point, §6.1). */
  private failStream(socket: TransportSocket, err: unknown): void {
    this.lastError = err instanceof Error ? err : new Error(String(err));
    const what = isProtocolError(err) ? 'is out of step' : 'could not be parsed';
    this.log('error', `The live stream ${what} and will be reopened: ${errorMessage(err)}`);
    socket.destroy();
  }

  private onSocketClose(socket: TransportSocket, parser: FrameStreamParser): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.parser = null;
    const { incompleteBytes } = parser.close();
    if (incompleteBytes > 0) {
      this.counts.midFrameCloses++;
      this.counts.bytesLostMidFrame += incompleteBytes;
    }
    if (this.closed) return;
    const base = this.lastError
      ? `the live connection to ${this.host}:${this.port} failed: ${errorMessage(this.lastError)}`
      : `the microscope closed the live connection ${this.host}:${this.port}`;
    const reason = incompleteBytes > 0 ? `${base} in the middle of a frame (${incompleteBytes} bytes of it lost)` : base;
    for (const l of [...this.closeListeners]) {
      try {
        l({ reason, incompleteBytes });
      } catch (e) {
        this.log('error', `A live close listener failed: ${errorMessage(e)}`);
      }
    }
  }
}
