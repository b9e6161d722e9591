/**
 * The command port (spec §2, §3, §4.2, §5, §11.3 items 1–3 and 13): one socket, one
 * reader that never stops reading, one serialised writer that every record goes
 * through (workflow start and stop and the settings transfer included), at most one
 * outstanding request per reply code with the others queued, and a timeout on every
 * wait. Incoming records go first to the pending request with that code (so a 0x3011
 * answers a ROI_TOP_SET before it counts as stack-complete), then to armed waiters,
 * then to unsolicited listeners. The channel object outlives its socket: `connect()`
 * again after a drop, and waiters and listeners carry over. Pure: the byte stream comes
 * from a `Transport` (TCP in Node through `CommandChannel`, memory for the simulator in a
 * worker).
 *
 * @example
 * const ch = new CommandLink({ host: '127.0.0.1', port: 53717, transport: tcpTransport });
 * await ch.connect();
 * const stopped = ch.waitFor((r) => r.cmd === Command.STAGE_MOTION_STOPPED && r.int32Data0 === Axis.X,
 *   { timeoutMs: 30_000, what: 'X to stop moving' });            // armed before the move
 * await ch.request({ cmd: Command.STAGE_POSITION_SET, int32Data0: Axis.X, doubleData: 7.5,
 *   cmdDataBits0: Flags.TRIGGER_CALL_BACK });
 * await stopped.promise;
 */
import {
  CommandStreamParser,
  commandName,
  encodeRecord,
  encodeRecordWithPayload,
  type CommandMessage,
  type FlamingoRecord,
  type RecordInit,
} from '../protocol/index.ts';
import { ConnectorError, errorMessage } from './errors.ts';
import type { Transport, TransportSocket } from './transport.ts';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface CommandLinkOptions {
  host: string;
  port: number;
  /** Where the bytes go: TCP (`tcpTransport`) or memory. */
  transport: Transport;
  /** Connect timeout (default 2000 ms, spec §1). */
  connectTimeoutMs?: number;
  /** Default reply timeout (default 3000 ms, spec §11.3 item 3). */
  replyTimeoutMs?: number;
  /** Quiet time that ends an unframed payload (default 75 ms; spec §9.1 asks for 50–100). */
  rawQuietMs?: number;
  /**
   * How long an unframed payload may take to start after its record (default 500 ms): a
   * server that writes the settings text after the ack, rather than in the same write,
   * still gets it read (py2flamingo waits 100 ms, then 50 ms of quiet).
   */
  rawStartMs?: number;
  /** Largest `addDataBytes` accepted (default: the codec's 16 MiB). */
  maxPayloadBytes?: number;
  log?: LogFn;
}

export interface RequestOptions {
  /** Codes whose records answer this request (default: the request's own code). */
  replyCodes?: readonly number[];
  /** Reply timeout (default: the channel's). */
  timeoutMs?: number;
  /** Additional data sent after the record, with `addDataBytes` set to its length (spec §3.1). */
  payload?: Uint8Array;
  /**
   * The reply may be followed by text it does not declare in `addDataBytes`: capture it
   * until the socket is quiet or the next start marker (ScopeSettings load, spec §9.1).
   */
  rawPayload?: boolean;
  /** Words added to the description used in errors, e.g. "axis X". */
  what?: string;
  signal?: AbortSignal;
}

export interface Waiter<T> {
  readonly promise: Promise<T>;
  cancel(): void;
}

export interface CommandChannelStats {
  connects: number;
  recordsReceived: number;
  recordsSent: number;
  bytesReceived: number;
  /** Bytes the parsers threw away while resynchronising (all connections). */
  discardedBytes: number;
}

interface Pending {
  codes: readonly number[];
  what: string;
  settle(msg: CommandMessage): void;
  fail(err: Error): void;
}

interface WaiterEntry {
  match(record: FlamingoRecord): boolean;
  resolve(record: FlamingoRecord): void;
  reject(err: Error): void;
}

/** "STAGE_POSITION_GET (24584) for axis X" */
export function describeCommand(cmd: number, what?: string): string {
  return `${commandName(cmd)} (${cmd})${what ? ` for ${what}` : ''}`;
}

export class CommandLink {
  readonly host: string;
  readonly port: number;
  readonly replyTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly rawQuietMs: number;
  private readonly rawStartMs: number;
  private readonly maxPayloadBytes: number | undefined;
  private readonly log: LogFn;
  private readonly transport: Transport;
  private socket: TransportSocket | null = null;
  private parser: CommandStreamParser;
  private discardedBefore = 0;
  private lastError: Error | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly rawCodes = new Set<number>();
  private readonly lockTails = new Map<number, Promise<void>>();
  private writeTail: Promise<void> = Promise.resolve();
  private readonly waiters = new Set<WaiterEntry>();
  private readonly listeners = new Set<(msg: CommandMessage) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private quietTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly counts = { connects: 0, recordsReceived: 0, recordsSent: 0, bytesReceived: 0 };

  constructor(options: CommandLinkOptions) {
    this.transport = options.transport;
    this.host = options.host;
    this.port = options.port;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 3000;
    this.rawQuietMs = options.rawQuietMs ?? 75;
    this.rawStartMs = options.rawStartMs ?? 500;
    this.maxPayloadBytes = options.maxPayloadBytes;
    this.log = options.log ?? (() => undefined);
    this.parser = this.newParser();
  }

  get connected(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  stats(): CommandChannelStats {
    return { ...this.counts, discardedBytes: this.discardedBefore + this.parser.stats.discardedBytes };
  }

  /** Opens (or reopens, after a drop) the socket. */
  async connect(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new ConnectorError('closed', 'The command channel is closed; it cannot connect again.');
    if (this.connected) return;
    const socket = await this.transport.connect({
      host: this.host,
      port: this.port,
      timeoutMs: this.connectTimeoutMs,
      what: 'the microscope command port',
      keepAlive: true,
      ...(signal ? { signal } : {}),
    });
    if (this.closed) {
      socket.destroy();
      throw new ConnectorError('closed', 'The command channel was closed while it was connecting.');
    }
    this.attach(socket);
  }

  /** Called with a reason whenever the socket closes without `close()` being asked for. */
  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Every record no pending request took (unsolicited messages, late replies). */
  onUnsolicited(listener: (msg: CommandMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Arms a one-off wait for an unsolicited record (arm it before sending the command
   * that causes it). Rejects with `timeout` naming `what`. Survives reconnects.
   */
  waitFor(match: (record: FlamingoRecord) => boolean, o: { timeoutMs: number; what: string; signal?: AbortSignal }): Waiter<FlamingoRecord> {
    let entry!: WaiterEntry;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      this.waiters.delete(entry);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => entry.reject(new ConnectorError('aborted', `Waiting for ${o.what} was aborted.`));
    const promise = new Promise<FlamingoRecord>((resolve, reject) => {
      entry = {
        match,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
    });
    promise.catch(() => undefined); // a cancelled waiter nobody awaits is not an unhandled rejection
    if (o.signal?.aborted) {
      onAbort();
    } else {
      this.waiters.add(entry);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => entry.reject(new ConnectorError('timeout', `Timed out after ${o.timeoutMs} ms waiting for ${o.what}.`)), o.timeoutMs);
    }
    return { promise, cancel: () => entry.reject(new ConnectorError('aborted', `Stopped waiting for ${o.what}.`)) };
  }

  /**
   * Sends one record and resolves with its reply. Requests sharing a reply code queue
   * behind each other (spec §4.2 item 4); the reply timeout starts when the request is
   * written.
   */
  async request(init: RecordInit, o: RequestOptions = {}): Promise<CommandMessage> {
    const codes = o.replyCodes ?? [init.cmd];
    const what = describeCommand(init.cmd, o.what);
    const release = await this.lock(codes, o.signal, what);
    try {
      return await this.exchange(init, codes, what, o);
    } finally {
      release();
    }
  }

  /** Sends one record (and payload) that gets no reply (workflow start, lasers, spec §4.3). */
  send(init: RecordInit, payload?: Uint8Array): Promise<void> {
    const bytes = payload ? encodeRecordWithPayload(init, payload) : encodeRecord(init);
    return this.write(bytes, describeCommand(init.cmd));
  }

  /** Closes the socket for good; pending requests and waiters fail with `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new ConnectorError('closed', `The command connection to ${this.host}:${this.port} was closed.`);
    for (const p of new Set(this.pending.values())) p.fail(err);
    for (const w of [...this.waiters]) w.reject(err);
    this.clearQuiet();
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 500);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  /** Drops the socket as if the server had (test hook and "connection looks dead" handling). */
  destroySocket(): void {
    this.socket?.destroy();
  }

  // --- internals -------------------------------------------------------------------

  private newParser(): CommandStreamParser {
    return new CommandStreamParser({
      ...(this.maxPayloadBytes !== undefined ? { maxPayloadBytes: this.maxPayloadBytes } : {}),
      rawPayloadAfter: (record) => this.rawCodes.has(record.cmd),
    });
  }

  private attach(socket: TransportSocket): void {
    this.discardedBefore += this.parser.stats.discardedBytes;
    this.parser = this.newParser();
    const parser = this.parser;
    this.socket = socket;
    this.lastError = null;
    this.counts.connects++;
    socket.on('data', (chunk: Uint8Array) => this.onData(parser, chunk));
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', () => this.onSocketClose(socket, parser));
  }

  private onData(parser: CommandStreamParser, chunk: Uint8Array): void {
    if (parser !== this.parser) return;
    this.counts.bytesReceived += chunk.length;
    for (const msg of parser.push(chunk)) this.route(msg);
    if (parser.capturingRaw) this.armQuiet(parser);
    else this.clearQuiet();
  }

  private armQuiet(parser: CommandStreamParser): void {
    this.clearQuiet();
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      if (parser !== this.parser) return;
      for (const msg of parser.flushRaw()) this.route(msg);
    }, parser.bufferedBytes === 0 ? this.rawStartMs : this.rawQuietMs);
  }

  private clearQuiet(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
  }

  private onSocketClose(socket: TransportSocket, parser: CommandStreamParser): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.clearQuiet();
    const { incompleteBytes, messages } = parser.close();
    for (const msg of messages) this.route(msg);
    const reason = this.lastError
      ? `the command connection to ${this.host}:${this.port} failed: ${errorMessage(this.lastError)}`
      : `the microscope closed the command connection ${this.host}:${this.port}`;
    if (incompleteBytes > 0) this.log('warn', `The command connection closed in the middle of a record; ${incompleteBytes} bytes were lost.`);
    for (const p of new Set(this.pending.values())) {
      p.fail(new ConnectorError('connection-lost', `Lost the connection while waiting for the reply to ${p.what}: ${reason}.`));
    }
    if (this.closed) return;
    for (const l of [...this.closeListeners]) {
      try {
        l(reason);
      } catch (err) {
        this.log('error', `A close listener failed: ${errorMessage(err)}`);
      }
    }
  }

  private route(msg: CommandMessage): void {
    this.counts.recordsReceived++;
    const record = msg.record;
    const pending = this.pending.get(record.cmd);
    if (pending) {
      pending.settle(msg);
      return;
    }
    for (const w of [...this.waiters]) {
      if (w.match(record)) w.resolve(record);
    }
    for (const l of [...this.listeners]) {
      try {
        l(msg);
      } catch (err) {
        this.log('error', `Handling ${describeCommand(record.cmd)} failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Takes the per-code locks of `codes` atomically, so two requests never deadlock. */
  private async lock(codes: readonly number[], signal: AbortSignal | undefined, what: string): Promise<() => void> {
    const unique = [...new Set(codes)];
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const before: Promise<void>[] = [];
    const tails: Array<[number, Promise<void>]> = [];
    for (const code of unique) {
      const prev = this.lockTails.get(code) ?? Promise.resolve();
      before.push(prev);
      const tail = prev.then(() => mine);
      this.lockTails.set(code, tail);
      tails.push([code, tail]);
    }
    const unlock = (): void => {
      release();
      for (const [code, tail] of tails) if (this.lockTails.get(code) === tail) this.lockTails.delete(code);
    };
    if (signal) {
      let onAbort!: () => void;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new ConnectorError('aborted', `The request ${what} was aborted before it was sent.`));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([Promise.all(before), aborted]);
      } catch (err) {
        // Keep the queue intact: release our slot only once the ones before us are done.
        void Promise.all(before).then(unlock);
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } else {
      await Promise.all(before);
    }
    return unlock;
  }

  private exchange(init: RecordInit, codes: readonly number[], what: string, o: RequestOptions): Promise<CommandMessage> {
    return new Promise<CommandMessage>((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectorError('closed', `The command channel is closed; ${what} was not sent.`));
        return;
      }
      if (!this.connected) {
        reject(new ConnectorError('connection-lost', `Not connected to the microscope at ${this.host}:${this.port}; ${what} was not sent.`));
        return;
      }
      const timeoutMs = o.timeoutMs ?? this.replyTimeoutMs;
      const timer: { id?: ReturnType<typeof setTimeout> } = {};
      const onAbort = (): void => entry.fail(new ConnectorError('aborted', `Waiting for the reply to ${what} was aborted.`));
      const cleanup = (): void => {
        clearTimeout(timer.id);
        o.signal?.removeEventListener('abort', onAbort);
        for (const code of codes) {
          if (this.pending.get(code) === entry) this.pending.delete(code);
          if (o.rawPayload) this.rawCodes.delete(code);
        }
      };
      const entry: Pending = {
        codes,
        what,
        settle: (msg) => {
          cleanup();
          resolve(msg);
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      for (const code of codes) {
        this.pending.set(code, entry);
        if (o.rawPayload) this.rawCodes.add(code);
      }
      if (o.signal?.aborted) {
        onAbort();
        return;
      }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      timer.id = setTimeout(() => entry.fail(new ConnectorError('timeout', `No reply to ${what} within ${timeoutMs} ms.`)), timeoutMs);
      const bytes = o.payload ? encodeRecordWithPayload(init, o.payload) : encodeRecord(init);
      this.write(bytes, what).catch((err: unknown) => entry.fail(err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** The single writer: messages go out whole and in order, one after another. */
  private write(bytes: Uint8Array, what: string): Promise<void> {
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const socket = this.socket;
        if (this.closed || !socket || socket.destroyed) {
          reject(new ConnectorError('connection-lost', `Not connected to the microscope at ${this.host}:${this.port}; ${what} was not sent.`));
          return;
        }
        socket.write(bytes, (err) => {
          if (err) reject(new ConnectorError('connection-lost', `Sending ${what} failed: ${errorMessage(err)}.`, { cause: err }));
          else {
            this.counts.recordsSent++;
            resolve();
          }
        });
      });
    const p = this.writeTail.then(run);
    this.writeTail = p.catch(() => undefined);
    return p;
  }
}
