/**
 * The byte-stream transport the command and live channels run over (pure): TCP in Node
 * (`tcpTransport`, socket.ts) or memory (`MemoryTransport`, memory-transport.ts, the
 * simulator in a worker). A socket is the small part of Node's `net.Socket` the channels
 * use, so a Node socket is one as it is; connection errors are `ConnectorError`s.
 *
 * @example
 * const socket = await transport.connect({ host: '127.0.0.1', port: 53717, timeoutMs: 2000, what: 'the command port' });
 * socket.on('data', (chunk) => parser.push(chunk));
 * socket.write(bytes, (err) => { if (err) fail(err); });
 */

/** What the channels need of a connected byte stream (a subset of `net.Socket`). */
export interface TransportSocket {
  /** True once the stream is closed or destroyed (nothing more can be written). */
  readonly destroyed: boolean;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Emitted once, after the stream is closed from either end (always asynchronously). */
  on(event: 'close', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  /** Queues bytes in order; `callback` runs once they are handed over, or with the error. */
  write(bytes: Uint8Array, callback: (err?: Error | null) => void): unknown;
  /** Closes after the queued bytes have gone. */
  end(): unknown;
  /** Closes now. */
  destroy(): unknown;
}

export interface TransportTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** For the error message, e.g. "the microscope command port". */
  what: string;
  keepAlive?: boolean;
  signal?: AbortSignal;
}

export interface Transport {
  /** Opens a stream to `host:port`; rejects with a `ConnectorError` (`connect-failed`, `aborted`). */
  connect(target: TransportTarget): Promise<TransportSocket>;
  /**
   * A buffer for one received frame (optional): Node skips zero-filling with
   * `Buffer.allocUnsafeSlow`; the default is a fresh `Uint8Array` of its own.
   */
  allocateFrame?(bytes: number): Uint8Array;
}
