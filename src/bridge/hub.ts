/**
 * The bridge's WebSocket fan-out: one `LiveHub` serves every connected viewer.
 *
 * - Latest wins per viewer: `notePlane` only marks a channel as owed to every viewer; once per
 *   event-loop turn (and never more than one request at a time) the display source encodes the
 *   newest plane of each owed channel once per pyramid level wanted, and it goes to every viewer
 *   that can take it: its socket has room (`bufferedAmount` below `maxBufferedBytes`) and, for
 *   a viewer that asked for windowed flow, fewer than its window of binary messages are
 *   unacknowledged. A viewer that cannot take it stays owed the channel and gets the newest
 *   plane when it can (its next `ack`, or the next frame); the frames it never got are counted
 *   in its `framesDisplayDropped`. Nothing here is ever awaited by the acquisition: sends are
 *   fire-and-forget.
 * - Volumes coalesce: changed display-volume z-ranges are merged per viewer and channel and
 *   sent (fresh from the display source) when its socket has room, so a slow viewer gets fewer,
 *   larger volume events but never loses one.
 * - Change notifications (`flushed`, `counters`) go out at most `tickHz` times a second.
 * - Requests: read-only ops from anyone; control ops only from connections that presented
 *   the token (others get a `forbidden` reply).
 *
 * @example
 * const hub = new LiveHub({ handle: (op, args, ctx) => controller.dispatch(op, args, ctx), counters: () => controller.counters() });
 * wss.on('connection', (ws, req) => hub.add(ws, { control: tokenOk, baseUrl: 'http://127.0.0.1:8600' }));
 * hub.setSource(source);         // a DisplaySource, when an acquisition starts
 * hub.notePlane(channel);        // after each frame went into the source
 */
import type { WebSocket } from 'ws';
import { defaultPlaneLevel } from '../acquisition/volume/levels.ts';
import type { LiveCounters, LiveSessionInfo, PlaneEvent } from '../acquisition/live-backend.ts';
import { CONTROL_OPS, WIRE_VERSION, encodeDataEvent, parseClientMessage, type BridgeOp, type JsonLiveEvent, type ServerMessage } from '../acquisition/remote/wire.ts';
import type { DisplaySource } from './display-source.ts';
import { BridgeError, errorReply } from './errors.ts';

/** Who asked: whether the connection may control, and the URL base it reached the bridge by. */
export interface RequestContext {
  control: boolean;
  baseUrl: string;
}

export interface LiveHubOptions {
  /** Answers a request (control ops only reach it from token holders). */
  handle: (op: BridgeOp, args: Record<string, unknown>, ctx: RequestContext) => Promise<unknown>;
  /** The acquisition's counters (the display fields are filled per viewer). */
  counters: () => LiveCounters;
  /** Events a viewer gets when it connects (microscope, current session, position). */
  greeting?: (ctx: RequestContext) => JsonLiveEvent[];
  /** Socket backlog above which planes are skipped and volumes held back (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Change notifications per second at most (default 10). */
  tickHz?: number;
  /** Volume events per second at most (default 4). */
  volumeHz?: number;
}

interface Client {
  ws: WebSocket;
  ctx: RequestContext;
  /** Plane level asked for, or null for the session's default. */
  planeLevel: number | null;
  displayDropped: number;
  /** Channels whose newest plane this viewer has not been sent yet. */
  owed: Set<number>;
  /** Windowed flow: most unacknowledged binary messages (null: the socket backlog alone limits). */
  window: number | null;
  unacked: number;
  /** Pending display-volume ranges per channel, `[zStart, zEnd)`. */
  pendingVolume: Map<number, [number, number]>;
  lastCounters: string;
}

const OPEN = 1;

/**
 * `task` run one call at a time: a request while it runs queues one more run (requests meanwhile
 * share it); the returned promise settles when that run has (failures are swallowed).
 */
function oneAfterAnother(task: () => Promise<void>): () => Promise<void> {
  let queued = false;
  let chain: Promise<void> = Promise.resolve();
  return () => {
    if (!queued) {
      queued = true;
      chain = chain.then(() => {
        queued = false;
        return task().catch(() => undefined);
      });
    }
    return chain;
  };
}

export class LiveHub {
  private readonly o: Required<Omit<LiveHubOptions, 'greeting'>> & Pick<LiveHubOptions, 'greeting'>;
  private readonly clients = new Set<Client>();
  private source: DisplaySource | null = null;
  /** Plane source outside a session (live view): channel → newest plane. */
  private loosePlanes = new Map<number, PlaneEvent>();
  private flushScheduled = false;
  /** A plane flush after the one in progress (at most one waits). */
  private readonly requestPlanes = oneAfterAnother(() => this.flushPlanes());
  /** A volume round after the one in progress (at most one waits). */
  private readonly requestVolumes = oneAfterAnother(() => this.sendVolumes());
  private readonly flushed = new Map<number, { session: string; zStart: number; zEnd: number }>();
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private volumeTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(options: LiveHubOptions) {
    this.o = { maxBufferedBytes: 8 * 2 ** 20, tickHz: 10, volumeHz: 4, ...options };
    this.tickTimer = setInterval(() => this.tick(), 1000 / this.o.tickHz);
    this.volumeTimer = setInterval(() => void this.requestVolumes(), 1000 / this.o.volumeHz);
    this.tickTimer.unref();
    this.volumeTimer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes a new viewer connection. */
  add(ws: WebSocket, ctx: RequestContext): void {
    const client: Client = { ws, ctx, planeLevel: null, displayDropped: 0, owed: new Set(), window: null, unacked: 0, pendingVolume: new Map(), lastCounters: '' };
    this.clients.add(client);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.send(client, { kind: 'reply', id: -1, ok: false, error: { code: 'bad-request', message: 'The bridge takes JSON text messages only.' } });
        return;
      }
      this.onMessage(client, String(data));
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    this.send(client, { kind: 'hello', protocol: WIRE_VERSION, control: ctx.control });
    for (const event of this.o.greeting?.(ctx) ?? []) this.send(client, { kind: 'event', event });
    if (this.source) this.markWholeVolume(client);
  }

  /** The display source of the session being (or last) acquired; null for none or live view. */
  setSource(source: DisplaySource | null): void {
    this.source = source;
    this.loosePlanes.clear();
    for (const c of this.clients) {
      c.owed.clear();
      c.pendingVolume.clear();
      c.displayDropped = 0;
    }
  }

  /** A frame of `channel` went into the source: its newest plane goes out soon. */
  notePlane(channel: number): void {
    for (const c of this.clients) {
      // The plane it was owed is replaced by this newer one: that frame will not be shown.
      if (c.owed.has(channel)) c.displayDropped++;
      else c.owed.add(channel);
    }
    this.scheduleFlush();
  }

  /** A plane outside any session (live view): sent latest-wins like session planes. */
  noteLoosePlane(plane: PlaneEvent): void {
    this.loosePlanes.set(plane.channel, plane);
    this.notePlane(plane.channel);
  }

  /** Chunks of `channel` in `[zStart, zEnd)` were flushed (sent with the next tick). */
  noteFlushed(session: string, channel: number, zStart: number, zEnd: number): void {
    const f = this.flushed.get(channel);
    if (f && f.session === session) this.flushed.set(channel, { session, zStart: Math.min(f.zStart, zStart), zEnd: Math.max(f.zEnd, zEnd) });
    else this.flushed.set(channel, { session, zStart, zEnd });
  }

  /** A JSON event for every viewer (small; sent whatever the backlog). */
  broadcast(event: JsonLiveEvent): void {
    for (const c of this.clients) this.send(c, { kind: 'event', event });
  }

  /** A session event, with the store URL as each viewer reached the bridge. */
  broadcastSession(session: LiveSessionInfo, folder: string | null, storeUrlFor: (baseUrl: string, folder: string) => string): void {
    for (const c of this.clients) this.send(c, { kind: 'event', event: { type: 'session', session: { ...session, storeUrl: folder ? storeUrlFor(c.ctx.baseUrl, folder) : null } } });
  }

  /** Sends what is pending (planes, volumes, notifications); resolves once it is handed to the sockets. */
  async flushNow(): Promise<void> {
    await this.requestPlanes();
    await this.requestVolumes();
    this.tick();
  }

  close(): void {
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  // ------------------------------------------------------------------ internals

  private send(c: Client, m: ServerMessage): void {
    if (c.ws.readyState !== OPEN) return;
    c.ws.send(JSON.stringify(m));
  }

  private onMessage(c: Client, text: string): void {
    let msg;
    try {
      msg = parseClientMessage(text);
    } catch (err) {
      this.send(c, { kind: 'reply', id: -1, ok: false, error: errorReply(err) });
      return;
    }
    if (msg.kind === 'planeLevel') {
      c.planeLevel = msg.level;
      return;
    }
    if (msg.kind === 'window') {
      c.window = msg.messages;
      c.unacked = 0;
      return;
    }
    if (msg.kind === 'ack') {
      if (c.unacked > 0) c.unacked--;
      if (c.owed.size > 0) this.scheduleFlush();
      return;
    }
    const { id, op, args } = msg;
    if (CONTROL_OPS.has(op) && !c.ctx.control) {
      const err = new BridgeError('forbidden', `This connection is read-only: '${op}' needs the bridge's token (open the URL the bridge printed).`);
      this.send(c, { kind: 'reply', id, ok: false, error: errorReply(err) });
      return;
    }
    this.o.handle(op, args, c.ctx).then(
      (result) => this.send(c, { kind: 'reply', id, ok: true, result: result ?? null }),
      (err: unknown) => this.send(c, { kind: 'reply', id, ok: false, error: errorReply(err) }),
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.requestPlanes();
    });
  }

  /** Whether a binary message may go to `c` now: socket backlog, then its window. */
  private roomFor(c: Client): boolean {
    return c.ws.readyState === OPEN && c.ws.bufferedAmount < this.o.maxBufferedBytes && (c.window === null || c.unacked < c.window);
  }

  private sendBinary(c: Client, bytes: Uint8Array): void {
    c.ws.send(bytes, { binary: true });
    if (c.window !== null) c.unacked++;
  }

  /** Level a viewer gets planes at. */
  private levelFor(c: Client, source: DisplaySource): number {
    return Math.min(c.planeLevel ?? defaultPlaneLevel(source.levelShapes), source.levelShapes.length - 1);
  }

  private async flushPlanes(): Promise<void> {
    const ready = [...this.clients].filter((c) => c.owed.size > 0 && this.roomFor(c));
    if (ready.length === 0) return;
    // What each viewer is owed as of the request; a frame noted while the source encodes is
    // not in these planes and is owed again.
    const taken = new Map(ready.map((c) => [c, [...c.owed]]));
    for (const c of ready) c.owed.clear();
    const source = this.source;
    const levelOf = (c: Client): number => (source ? this.levelFor(c, source) : 0);
    const wanted = new Map<string, { channel: number; level: number }>();
    for (const [c, channels] of taken) for (const channel of channels) wanted.set(`${channel}:${levelOf(c)}`, { channel, level: levelOf(c) });
    const bytesOf = new Map<string, Uint8Array | null>();
    if (source) {
      for (const p of await source.planes([...wanted.values()])) bytesOf.set(`${p.channel}:${p.level}`, p.bytes);
      if (this.source !== source) return;
    } else {
      for (const [key, { channel }] of wanted) {
        const plane = this.loosePlanes.get(channel);
        bytesOf.set(key, plane ? encodeDataEvent(plane) : null);
      }
    }
    for (const [c, channels] of taken) {
      for (const channel of channels) {
        const bytes = bytesOf.get(`${channel}:${levelOf(c)}`);
        const newer = c.owed.has(channel); // a frame noted meanwhile is owed on its own
        if (bytes && this.roomFor(c)) this.sendBinary(c, bytes);
        else if (bytes && !newer) c.owed.add(channel);
        else c.displayDropped++;
      }
    }
  }

  private markWholeVolume(c: Client): void {
    const s = this.source;
    if (!s) return;
    const [C, Z] = [s.levelShapes[0]![0]!, s.levelShapes[0]![1]!];
    for (let ch = 0; ch < C; ch++) c.pendingVolume.set(ch, [0, Z]);
  }

  private async sendVolumes(): Promise<void> {
    const s = this.source;
    if (!s) return;
    const dirty = await s.takeDirty();
    if (this.source !== s) return;
    for (const r of dirty) {
      for (const c of this.clients) {
        const p = c.pendingVolume.get(r.channel);
        c.pendingVolume.set(r.channel, p ? [Math.min(p[0], r.zStart), Math.max(p[1], r.zEnd)] : [r.zStart, r.zEnd]);
      }
    }
    const cache = new Map<string, Uint8Array>();
    for (const c of [...this.clients]) {
      if (c.pendingVolume.size === 0 || !this.roomFor(c)) continue;
      const pending = c.pendingVolume;
      c.pendingVolume = new Map();
      for (const [channel, [zStart, zEnd]] of pending) {
        const key = `${channel}:${zStart}:${zEnd}`;
        let bytes = cache.get(key);
        if (!bytes) {
          bytes = await s.volume(channel, zStart, zEnd);
          cache.set(key, bytes);
        }
        if (this.source !== s) return;
        if (c.ws.readyState === OPEN) this.sendBinary(c, bytes);
      }
    }
  }

  private tick(): void {
    // A viewer whose socket drained (or that acknowledged) gets what it is owed.
    if ([...this.clients].some((c) => c.owed.size > 0 && this.roomFor(c))) this.scheduleFlush();
    for (const [channel, f] of this.flushed) this.broadcast({ type: 'flushed', session: f.session, channel, zStart: f.zStart, zEnd: f.zEnd, version: this.source?.version ?? 0 });
    this.flushed.clear();
    if (this.clients.size === 0) return;
    const base = this.o.counters();
    for (const c of this.clients) {
      const counters: LiveCounters = { ...base, framesDisplayDropped: c.displayDropped };
      const json = JSON.stringify(counters);
      if (json === c.lastCounters) continue;
      c.lastCounters = json;
      this.send(c, { kind: 'event', event: { type: 'counters', counters } });
    }
  }
}
