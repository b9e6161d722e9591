/**
 * `BridgeClient`: the `LiveBackend` a viewer uses when the bridge runs the microscope
 * (browsers and Node alike: the global `WebSocket`, or an injected constructor such as the
 * `ws` package's). Requests carry ids and settle with the bridge's reply; a failure is a
 * `RemoteError` whose message is one sentence. When the socket drops, pending requests fail,
 * a `log` event says so, and the client reconnects with back-off; the bridge then sends the
 * current state again (microscope, session, counters). A listener that subscribes late is
 * told the current state first (connected, position, session, a running acquisition,
 * counters; see `LiveBackend.subscribe`).
 *
 * Counters: the bridge's counters, with `framesDisplayDropped` for this viewer (planes the
 * bridge skipped for it, plus planes that reached it but were replaced by a newer plane of
 * the same channel before being shown) and `framesDisplayed` counted here: the viewer calls
 * `markDisplayed(frameNumber)` when a plane's data reached a layer update.
 *
 * @example
 * const backend = await BridgeClient.connect('http://127.0.0.1:8600', token);   // token null: view only
 * backend.subscribe((e) => { if (e.type === 'plane') { show(e); backend.markDisplayed(e.frameNumber); } });
 * const session = await backend.startAcquisition({ zStartMm: 5, zEndMm: 5.2, stepUm: 2, lasers: [488] });
 * // in Node: BridgeClient.connect(url, token, { WebSocket: (await import('ws')).WebSocket })
 */
import { TaggedError } from '../../tagged-error.ts';
import type { MicroscopeInfo, StagePosition } from '../connector.ts';
import type { AcquisitionRequest, LiveBackend, LiveCounters, LiveEvent, LiveSessionInfo, SessionEntry } from '../live-backend.ts';
import { ZERO_COUNTERS } from '../live-backend.ts';
import { LiveStateReplay } from './replay.ts';
import { MAX_WINDOW, decodeDataEvent, parseServerMessage, requestMessage, type BridgeOp, type BridgeOps, type ClientMessage } from './wire.ts';

/**
 * The part of the WebSocket API the client uses; the browser's `WebSocket` and the `ws`
 * package's both fit. (Handlers take `never` so that either implementation's own event
 * types are accepted; the client reads `data` of messages and `code`/`reason` of closes.)
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface BridgeClientOptions {
  /** Default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** How long a request may wait for its reply (default 120 s: starting a run can take a while). */
  requestTimeoutMs?: number;
  /** How long the first connection may take (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect after the socket drops (default true). */
  reconnect?: boolean;
  /** Waits between reconnect attempts; the last repeats (default 250, 500, 1000, 2000, 5000 ms). */
  reconnectDelaysMs?: readonly number[];
  /**
   * Plane and volume messages that may be on the way to this viewer before it acknowledges
   * them (default 2): each is acknowledged once its listeners have taken it, so a viewer whose
   * thread is busy gets fewer, newer planes instead of a queue of old ones.
   */
  window?: number;
}

/** A request the bridge answered with an error (`code` as the bridge tagged it), or could not answer. */
export class RemoteError extends TaggedError<string> {
  override readonly name = 'RemoteError';
}

interface Pending {
  op: BridgeOp;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/** The `performance` mark `markDisplayed` leaves for each displayed plane (detail: frameNumber, channel, acquiredAtMs at the bridge, receivedAtMs here). */
export const DISPLAYED_MARK = 'flamingo-viv:displayed';
const MARKS_KEPT = 5000;


function wsUrl(baseUrl: string, token: string | null): string {
  const u = new URL(baseUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`;
  u.search = token ? `?token=${encodeURIComponent(token)}` : '';
  u.hash = '';
  return u.toString();
}

export class BridgeClient implements LiveBackend {
  readonly kind = 'bridge' as const;
  /** The bridge's base URL (`http://HOST:PORT`). */
  readonly baseUrl: string;
  private readonly url: string;
  private readonly Ctor: WebSocketConstructor;
  private readonly o: Required<Omit<BridgeClientOptions, 'WebSocket'>>;
  private ws: WebSocketLike | null = null;
  private controlValue = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private state = new LiveStateReplay();
  /** After a reconnect: the acquisition that ran before the drop (the bridge announces it again). */
  private resumed: string | null = null;
  private planeLevel: number | null = null;
  private serverCounters: LiveCounters = { ...ZERO_COUNTERS };
  private displayed = 0;
  private clientDropped = 0;
  /** Per channel: the newest plane received and not yet displayed (frame number, bridge arrival ms, arrival here ms). */
  private readonly undisplayed = new Map<number, { frameNumber: number; acquiredAtMs: number; receivedAtMs: number }>();
  private closed = false;
  private everOpened = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(baseUrl: string, token: string | null, options: BridgeClientOptions) {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new RemoteError('no-websocket', 'No WebSocket implementation is available here; pass one as options.WebSocket (e.g. the ws package).');
    this.Ctor = Ctor;
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.url = wsUrl(this.baseUrl, token);
    this.o = {
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      reconnect: options.reconnect ?? true,
      reconnectDelaysMs: options.reconnectDelaysMs ?? [250, 500, 1000, 2000, 5000],
      window: options.window ?? 2,
    };
    if (!Number.isInteger(this.o.window) || this.o.window < 1 || this.o.window > MAX_WINDOW) throw new RemoteError('bad-option', `window must be a whole number of messages from 1 to ${MAX_WINDOW}, got ${this.o.window}.`);
  }

  /** Opens the connection; resolves once the bridge has greeted it. `token` null: view only. */
  static async connect(baseUrl: string, token: string | null, options: BridgeClientOptions = {}): Promise<BridgeClient> {
    let client: BridgeClient;
    try {
      client = new BridgeClient(baseUrl, token, options);
    } catch (err) {
      if (err instanceof RemoteError) throw err;
      throw new RemoteError('bad-url', `'${baseUrl}' is not a bridge URL such as http://127.0.0.1:8600.`, { cause: err });
    }
    await client.open(true);
    return client;
  }

  /** Whether this connection may control the microscope (it presented the token). */
  get canControl(): boolean {
    return this.controlValue;
  }

  /** Whether the socket is open now. */
  get isOpen(): boolean {
    return this.ws?.readyState === OPEN;
  }

  // ------------------------------------------------------------------ LiveBackend

  connect(options: { microscope?: string } = {}): Promise<MicroscopeInfo> {
    return this.request('connect', options.microscope === undefined ? {} : { microscope: options.microscope });
  }
  async disconnect(): Promise<void> {
    await this.request('disconnect', {});
  }
  getPosition(): Promise<StagePosition> {
    return this.request('getPosition', {});
  }
  moveTo(target: Partial<StagePosition>): Promise<StagePosition> {
    return this.request('moveTo', { target });
  }
  async startLiveView(): Promise<void> {
    await this.request('startLiveView', {});
  }
  async stopLiveView(): Promise<void> {
    await this.request('stopLiveView', {});
  }
  startAcquisition(request: AcquisitionRequest): Promise<LiveSessionInfo> {
    return this.request('startAcquisition', { request });
  }
  async stopAcquisition(): Promise<void> {
    await this.request('stopAcquisition', {});
  }
  listSessions(): Promise<SessionEntry[]> {
    return this.request('listSessions', {});
  }
  openSession(name: string): Promise<LiveSessionInfo> {
    return this.request('openSession', { name });
  }
  saveSession(name: string, state: { description?: string; viewer?: Record<string, unknown> }): Promise<SessionEntry> {
    return this.request('saveSession', { name, state });
  }

  setPlaneLevel(level: number): void {
    this.planeLevel = level;
    this.sendMessage({ kind: 'planeLevel', level });
  }

  /** Adds a listener; it is told the current state first (in a microtask, before any newer event). */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    return this.state.subscribe(this.listeners, listener);
  }

  counters(): LiveCounters {
    return { ...this.serverCounters, framesDisplayed: this.displayed, framesDisplayDropped: this.serverCounters.framesDisplayDropped + this.clientDropped };
  }

  /**
   * The viewer calls this when the plane with `frameNumber` reached a layer update; a plane
   * replaced by a newer one of its channel before this call counts as display-dropped.
   */
  markDisplayed(frameNumber: number): void {
    for (const [channel, p] of this.undisplayed) {
      if (p.frameNumber === frameNumber) {
        this.undisplayed.delete(channel);
        this.displayed++;
        // For latency measurements (bench:live): when the plane reached a layer update, when it
        // had arrived at the bridge (the bridge's performance.now()) and here (this performance.now()).
        // The timeline keeps the newest few thousand (a viewer open for days must not grow without bound).
        if (this.displayed % MARKS_KEPT === 0) globalThis.performance?.clearMarks?.(DISPLAYED_MARK);
        globalThis.performance?.mark?.(DISPLAYED_MARK, { detail: { frameNumber, channel, acquiredAtMs: p.acquiredAtMs, receivedAtMs: p.receivedAtMs } });
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failPending('the client was closed');
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= OPEN) ws.close(1000, 'client closed');
  }

  // ------------------------------------------------------------------ internals

  private request<K extends BridgeOp>(op: K, args: BridgeOps[K]['args']): Promise<BridgeOps[K]['result']> {
    if (this.closed) return Promise.reject(new RemoteError('closed', `The bridge client is closed; '${op}' was not sent.`));
    if (!this.isOpen) return Promise.reject(new RemoteError('not-connected', `The bridge at ${this.baseUrl} is not connected (reconnecting); '${op}' was not sent.`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RemoteError('timeout', `The bridge did not answer '${op}' within ${Math.round(this.o.requestTimeoutMs / 1000)} s.`));
      }, this.o.requestTimeoutMs);
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject, timer });
      this.sendMessage(requestMessage(id, op, args));
    });
  }

  private sendMessage(m: ClientMessage): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(m));
  }

  private emit(e: LiveEvent): void {
    this.state.note(e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // One listener's failure does not stop the others.
      }
    }
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RemoteError('connection-lost', `The connection to the bridge at ${this.baseUrl} ended before '${p.op}' was answered (${why}).`));
      this.pending.delete(id);
    }
  }

  /** Opens a socket; resolves on the bridge's hello. `first`: reject instead of retrying. */
  private open(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new this.Ctor(this.url);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      const timer = first
        ? setTimeout(() => {
            if (settled) return;
            settled = true;
            ws.onclose = null;
            ws.close();
            reject(new RemoteError('unreachable', `The bridge at ${this.baseUrl} did not answer within ${Math.round(this.o.connectTimeoutMs / 1000)} s.`));
          }, this.o.connectTimeoutMs)
        : null;
      ws.onmessage = (ev: { data: unknown }) => {
        const data = ev.data;
        if (typeof data !== 'string') {
          this.onData(data);
          return;
        }
        let m;
        try {
          m = parseServerMessage(data);
        } catch (err) {
          this.emit({ type: 'log', level: 'error', message: err instanceof Error ? err.message : String(err) });
          return;
        }
        if (m.kind === 'hello') {
          this.controlValue = m.control;
          this.attempt = 0;
          // The bridge sends its state again after the hello; what was known before is dropped.
          this.resumed = this.state.runningSession();
          this.state = new LiveStateReplay();
          this.sendMessage({ kind: 'window', messages: this.o.window });
          if (this.planeLevel !== null) this.sendMessage({ kind: 'planeLevel', level: this.planeLevel });
          if (this.everOpened) this.emit({ type: 'log', level: 'info', message: `Reconnected to the bridge at ${this.baseUrl}.` });
          this.everOpened = true;
          if (!settled) {
            settled = true;
            if (timer) clearTimeout(timer);
            resolve();
          }
        } else if (m.kind === 'reply') {
          const p = this.pending.get(m.id);
          if (!p) {
            if (!m.ok) this.emit({ type: 'log', level: 'error', message: m.error.message });
            return;
          }
          this.pending.delete(m.id);
          clearTimeout(p.timer);
          if (m.ok) p.resolve(m.result);
          else p.reject(new RemoteError(m.error.code, m.error.message));
        } else {
          this.onEvent(m.event);
        }
      };
      ws.onerror = () => undefined;
      ws.onclose = (ev: { code: number; reason: string }) => {
        if (this.ws === ws) this.ws = null;
        const why = ev.reason || `code ${ev.code}`;
        this.failPending(why);
        if (!settled) {
          settled = true;
          if (timer) clearTimeout(timer);
          if (first) {
            reject(new RemoteError('unreachable', `Could not open the bridge's WebSocket at ${this.url.replace(/\?.*$/, '')} (${why}).`));
            return;
          }
        }
        if (this.closed) return;
        this.emit({ type: 'log', level: 'warn', message: `Lost the connection to the bridge at ${this.baseUrl} (${why}); reconnecting.` });
        this.scheduleReconnect();
      };
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.o.reconnect || this.reconnectTimer) return;
    const delays = this.o.reconnectDelaysMs;
    const wait = delays[Math.min(this.attempt, delays.length - 1)] ?? 1000;
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.open(false).catch(() => undefined);
    }, wait);
  }

  /** A binary message: decoded, handed to the listeners, then acknowledged (windowed flow). */
  private onData(data: unknown): void {
    try {
      this.takeData(data);
    } finally {
      this.sendMessage({ kind: 'ack' });
    }
  }

  private takeData(data: unknown): void {
    let e;
    try {
      const bytes = data instanceof ArrayBuffer ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (!bytes) throw new Error(`A binary message arrived as ${typeof data}; expected an ArrayBuffer.`);
      e = decodeDataEvent(bytes);
    } catch (err) {
      this.emit({ type: 'log', level: 'error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (e.type === 'plane') {
      if (this.undisplayed.has(e.channel)) this.clientDropped++;
      this.undisplayed.set(e.channel, { frameNumber: e.frameNumber, acquiredAtMs: e.acquiredAtMs, receivedAtMs: globalThis.performance?.now() ?? Date.now() });
    }
    this.emit(e);
  }

  private onEvent(e: LiveEvent): void {
    if (e.type === 'counters') {
      this.serverCounters = { ...ZERO_COUNTERS, ...e.counters };
    } else if (e.type === 'acquisition' && e.phase === 'started') {
      // A run announced again after a reconnect keeps this viewer's counts.
      if (e.session !== this.resumed) {
        this.displayed = 0;
        this.clientDropped = 0;
        this.undisplayed.clear();
      }
      this.resumed = null;
    }
    this.emit(e);
  }
}
