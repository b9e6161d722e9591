/**
 * Raw protocol clients for the simulator tests: they speak the wire format through the
 * codec only (records, payloads, frame headers), not through the connector.
 *
 * @example
 * const c = await RawClient.connect(sim.port);
 * const reply = await c.request({ cmd: Command.SYSTEM_STATE_GET });
 * const live = await LiveClient.connect(sim.livePort);
 * await live.waitFrames(3);
 */
import { connect, type Socket } from 'node:net';
import {
  CommandStreamParser,
  encodeRecord,
  encodeRecordWithPayload,
  Flags,
  FrameStreamParser,
  commandName,
  type CommandMessage,
  type FrameMessage,
  type RecordInit,
} from '../../../src/acquisition/protocol/index.ts';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export interface Received extends CommandMessage {
  at: number;
}

/** Every client opened by the tests, so that `closeAllClients()` can clean up after a failure. */
const opened = new Set<{ close(): void }>();

export function closeAllClients(...keep: Array<{ close(): void }>): void {
  for (const c of opened) {
    if (keep.includes(c)) continue;
    c.close();
    opened.delete(c);
  }
}

export class RawClient {
  readonly socket: Socket;
  readonly parser = new CommandStreamParser();
  /** Every message received, in order. */
  readonly messages: Received[] = [];
  /** Every data chunk with its arrival time. */
  readonly chunks: Array<{ at: number; length: number }> = [];
  private readonly consumed = new Set<Received>();
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const at = performance.now();
      this.chunks.push({ at, length: chunk.length });
      for (const m of this.parser.push(chunk)) this.messages.push({ ...m, at });
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawClient> {
    const c = new RawClient(await open(port));
    opened.add(c);
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends one record (with the callback flag unless `flag: false`), optionally with a payload. */
  send(init: RecordInit, options: { flag?: boolean; payload?: Uint8Array | string } = {}): void {
    const rec = { cmdDataBits0: options.flag === false ? 0 : Flags.TRIGGER_CALL_BACK, ...init };
    this.socket.write(options.payload !== undefined ? encodeRecordWithPayload(rec, options.payload) : encodeRecord(rec));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The first unconsumed message matching `pred`, waiting up to `timeoutMs`. */
  async waitFor(pred: (m: Received) => boolean, timeoutMs = 5000, what = 'a matching record'): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find((x) => !this.consumed.has(x) && pred(x));
      if (m) {
        this.consumed.add(m);
        return m;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        const seen = this.messages.map((x) => commandName(x.record.cmd)).join(', ');
        throw new Error(`Timed out waiting for ${what}${this.closed ? ' (connection closed)' : ''}; received: ${seen || 'nothing'}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitForCode(cmd: number, timeoutMs = 5000): Promise<Received> {
    return this.waitFor((m) => m.record.cmd === cmd, timeoutMs, commandName(cmd));
  }

  /** Sends with the flag and waits for the record with the same (or the given) code. */
  async request(init: RecordInit, options: { flag?: boolean; payload?: Uint8Array | string; replyCode?: number } = {}): Promise<Received> {
    this.send(init, options);
    return this.waitForCode(options.replyCode ?? init.cmd);
  }

  async waitUntilClosed(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed) {
      if (performance.now() > deadline) throw new Error('Timed out waiting for the connection to close.');
      await sleep(10);
    }
  }

  /** Messages (unconsumed) matching `pred` that arrive within `ms`. */
  async collect(ms: number, pred: (m: Received) => boolean = () => true): Promise<Received[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.filter((m) => !this.consumed.has(m) && pred(m));
  }

  /** Marks every message received so far as consumed. */
  drain(): void {
    for (const m of this.messages) this.consumed.add(m);
  }

  close(): void {
    this.socket.destroy();
  }
}

export class LiveClient {
  readonly socket: Socket;
  readonly parser = new FrameStreamParser();
  readonly messages: FrameMessage[] = [];
  bytes = 0;
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket, paused: boolean) {
    this.socket = socket;
    if (paused) socket.pause();
    socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      this.messages.push(...this.parser.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Connects; `paused` makes a viewer that does not read (to fill its queue). */
  static async connect(port: number, paused = false): Promise<LiveClient> {
    const c = new LiveClient(await open(port), paused);
    opened.add(c);
    return c;
  }

  get frames(): Array<Extract<FrameMessage, { kind: 'frame' }>> {
    return this.messages.filter((m): m is Extract<FrameMessage, { kind: 'frame' }> => m.kind === 'frame');
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async waitUntil(cond: () => boolean, timeoutMs = 5000, what = 'frames'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        throw new Error(`Timed out waiting for ${what}${this.closed ? ' (live socket closed)' : ''}; have ${this.frames.length} frames`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitFrames(n: number, timeoutMs = 5000): Promise<void> {
    return this.waitUntil(() => this.frames.length >= n, timeoutMs, `${n} frames`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
