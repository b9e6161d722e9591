/**
 * Byte streams in memory (pure): `MemoryNetwork` is a `Transport` whose `connect` reaches
 * a listener registered under the same port, joined by a pair of `MemorySocket`s. Bytes
 * arrive in order, whole writes at a time, on a microtask after `write` (never inside
 * the writer's call), and `close` is emitted asynchronously on both ends, as TCP does.
 * The bytes are handed over as they are, not copied: a writer that reuses its buffer
 * waits for the write callback, which runs after the peer's data listeners returned.
 * This lets the simulator run in a worker with the connector speaking real protocol bytes.
 *
 * @example
 * const net = new MemoryNetwork();
 * net.listen(53717, (server) => server.on('data', (b) => server.write(b, () => {})));   // echo
 * const socket = await net.connect({ host: 'memory', port: 53717, timeoutMs: 1000, what: 'the echo port' });
 * socket.on('data', (b) => console.log(b));
 * socket.write(new Uint8Array([1, 2, 3]), () => {});
 */
import { ConnectorError } from './errors.ts';
import type { Transport, TransportSocket, TransportTarget } from './transport.ts';

type DataListener = (chunk: Uint8Array) => void;
type Listener = () => void;

interface Pending {
  bytes: Uint8Array;
  callback: ((err?: Error | null) => void) | undefined;
}

/** One end of an in-memory duplex stream. */
export class MemorySocket implements TransportSocket {
  private peer: MemorySocket | null = null;
  private readonly dataListeners: DataListener[] = [];
  private readonly closeListeners: Array<{ fn: Listener; once: boolean }> = [];
  private readonly outbox: Pending[] = [];
  private flushing = false;
  private ending = false;
  private isDestroyed = false;
  private closeEmitted = false;
  /** Bytes written by this end so far. */
  bytesWritten = 0;

  constructor(private readonly label: string) {}

  /** Joins two ends (used by `MemoryNetwork`). */
  static pair(label: string): [MemorySocket, MemorySocket] {
    const a = new MemorySocket(`${label} (client)`);
    const b = new MemorySocket(`${label} (server)`);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  get destroyed(): boolean {
    return this.isDestroyed;
  }

  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'data' | 'error' | 'close', listener: ((chunk: Uint8Array) => void) | ((err: Error) => void) | (() => void)): this {
    if (event === 'data') this.dataListeners.push(listener as DataListener);
    else if (event === 'close') this.closeListeners.push({ fn: listener as Listener, once: false });
    // 'error': memory streams do not fail; a closed peer shows as 'close'.
    return this;
  }

  once(event: 'close', listener: () => void): this {
    this.closeListeners.push({ fn: listener, once: true });
    return this;
  }

  write(bytes: Uint8Array, callback?: (err?: Error | null) => void): boolean {
    if (this.isDestroyed || this.ending) {
      const err = new ConnectorError('connection-lost', `The in-memory stream ${this.label} is closed.`);
      if (callback) queueMicrotask(() => callback(err));
      return false;
    }
    this.outbox.push({ bytes, callback });
    this.bytesWritten += bytes.byteLength;
    this.scheduleFlush();
    return true;
  }

  end(): this {
    if (this.isDestroyed || this.ending) return this;
    this.ending = true;
    this.scheduleFlush();
    return this;
  }

  destroy(): this {
    if (this.isDestroyed) return this;
    this.isDestroyed = true;
    const dropped = this.outbox.splice(0);
    const peer = this.peer;
    queueMicrotask(() => {
      const err = new ConnectorError('connection-lost', `The in-memory stream ${this.label} was destroyed before the bytes were delivered.`);
      for (const p of dropped) p.callback?.(err);
      this.emitClose();
      if (peer && !peer.isDestroyed) peer.destroy();
    });
    return this;
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => this.flush());
  }

  /** Delivers queued writes to the peer, in order, one whole write per data event. */
  private flush(): void {
    this.flushing = false;
    while (this.outbox.length > 0 && !this.isDestroyed) {
      const p = this.outbox.shift()!;
      const peer = this.peer;
      if (peer && !peer.isDestroyed) {
        for (const l of [...peer.dataListeners]) l(p.bytes);
      }
      p.callback?.(null);
    }
    if (this.ending && !this.isDestroyed) this.destroy();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    const listeners = this.closeListeners.splice(0);
    for (const l of listeners) l.fn();
  }
}

/** A set of in-memory listeners by port; `connect` is the `Transport` side. */
export class MemoryNetwork implements Transport {
  private readonly listeners = new Map<number, (socket: MemorySocket) => void>();

  /** Accepts connections to `port`; returns the function that stops listening. */
  listen(port: number, onConnection: (socket: MemorySocket) => void): () => void {
    if (this.listeners.has(port)) throw new ConnectorError('invalid', `In-memory port ${port} is already listened on.`);
    this.listeners.set(port, onConnection);
    return () => {
      if (this.listeners.get(port) === onConnection) this.listeners.delete(port);
    };
  }

  async connect(target: TransportTarget): Promise<MemorySocket> {
    if (target.signal?.aborted) throw new ConnectorError('aborted', `Connecting to ${target.what} ${target.host}:${target.port} was aborted.`);
    const accept = this.listeners.get(target.port);
    if (!accept) throw new ConnectorError('connect-failed', `Could not connect to ${target.what} ${target.host}:${target.port}: nothing listens there in memory.`);
    const [client, server] = MemorySocket.pair(`${target.host}:${target.port}`);
    accept(server);
    return client;
  }
}
