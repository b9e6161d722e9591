/**
 * `BrowserBackend`: the browser-only `LiveBackend` (no bridge). The whole pipeline — the
 * simulated microscope, the session writer (WebAssembly zstd) into the Origin Private File
 * System, and the display producer — runs in a module worker (backend.worker.ts); this
 * main-thread side forwards commands to it with comlink and hands its live events to the
 * subscribers (a late subscriber is told the current state first). Plane events come at most 10 times a second (latest wins; skipped frames
 * are counted as `framesDisplayDropped`), volume events about once a second and when a
 * stack completes, each with its own transferred pixel buffer; a plane's `acquiredAtMs` is
 * on this page's `performance.now()` clock. Sessions are the folders
 * `NAME.ome.zarr` in the OPFS root; read their chunks with `OpfsStore.open('/NAME.ome.zarr')`.
 * Needs a secure context (https or 127.0.0.1) for OPFS, and a bundler that understands
 * `new Worker(new URL(…, import.meta.url))` (Vite) unless `createWorker` is given.
 *
 * @example
 * const backend = new BrowserBackend();              // or: await BrowserBackend.create()
 * backend.subscribe((e) => { if (e.type === 'plane') showPlane(e); });
 * await backend.connect();                            // the built-in simulator
 * const session = await backend.startAcquisition({ zStartMm: 19, zEndMm: 19.2, stepUm: 2, lasers: [488, 640] });
 * // … later
 * await backend.close();
 */
import * as Comlink from 'comlink';
import type { MicroscopeInfo, StagePosition } from '../connector.ts';
import type { AcquisitionRequest, LiveBackend, LiveCounters, LiveEvent, LiveSessionInfo, SessionEntry } from '../live-backend.ts';
import { ZERO_COUNTERS } from '../live-backend.ts';
import { LiveStateReplay } from '../remote/replay.ts';
import type { BackendWorkerApi, BackendWorkerInit } from './backend.worker.ts';

export interface BrowserBackendOptions extends BackendWorkerInit {
  /**
   * Starts the worker. Default: `new Worker(new URL('./backend.worker.ts', import.meta.url), { type: 'module' })`,
   * which Vite (and Storybook on Vite) bundle; pass your own for other bundlers.
   */
  createWorker?: () => Worker;
}


export class BrowserBackend implements LiveBackend {
  readonly kind = 'browser' as const;
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<BackendWorkerApi>;
  private readonly port: MessagePort;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly state = new LiveStateReplay();
  private readonly ready: Promise<void>;
  /** Worker clock minus page clock, ms: added to `acquiredAtMs` so it reads on this page's `performance.now()`. */
  private clockOffsetMs = 0;
  private lastCounters: LiveCounters = { ...ZERO_COUNTERS };
  private closed = false;

  /** Starts the worker at once; commands wait until it is ready. */
  constructor(options: BrowserBackendOptions = {}) {
    const { createWorker, ...init } = options;
    this.worker = createWorker ? createWorker() : new Worker(new URL('./backend.worker.ts', import.meta.url), { type: 'module' });
    this.worker.addEventListener('error', (e) => this.dispatch({ type: 'log', level: 'error', message: `The browser backend worker failed: ${e.message || 'it could not be loaded'}.` }));
    this.api = Comlink.wrap<BackendWorkerApi>(this.worker);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = (e: MessageEvent<LiveEvent>) => this.dispatch(e.data);
    this.ready = this.api.init(Comlink.transfer(channel.port2, [channel.port2]), init).then((workerOrigin) => {
      this.clockOffsetMs = workerOrigin - performance.timeOrigin;
    });
    this.ready.catch(() => undefined); // reported by the first command that waits for it
  }

  /** A backend whose worker is up (rejects with the reason it could not start). */
  static async create(options: BrowserBackendOptions = {}): Promise<BrowserBackend> {
    const b = new BrowserBackend(options);
    try {
      await b.ready;
    } catch (err) {
      await b.close();
      throw err;
    }
    return b;
  }

  async connect(options: { microscope?: string } = {}): Promise<MicroscopeInfo> {
    return (await this.call()).connect(options.microscope ?? 'sim');
  }

  async disconnect(): Promise<void> {
    await (await this.call()).disconnect();
  }

  async getPosition(): Promise<StagePosition> {
    return (await this.call()).getPosition();
  }

  async moveTo(target: Partial<StagePosition>): Promise<StagePosition> {
    return (await this.call()).moveTo(target);
  }

  async startLiveView(): Promise<void> {
    await (await this.call()).startLiveView();
  }

  async stopLiveView(): Promise<void> {
    await (await this.call()).stopLiveView();
  }

  async startAcquisition(request: AcquisitionRequest): Promise<LiveSessionInfo> {
    return (await this.call()).startAcquisition(request);
  }

  async stopAcquisition(): Promise<void> {
    await (await this.call()).stopAcquisition();
  }

  /** Settles when the running acquisition (if any) has ended and its session is closed. */
  async idle(): Promise<void> {
    await (await this.call()).idle();
  }

  async listSessions(): Promise<SessionEntry[]> {
    return (await this.call()).listSessions();
  }

  async openSession(name: string): Promise<LiveSessionInfo> {
    return (await this.call()).openSession(name);
  }

  async saveSession(name: string, state: { description?: string; viewer?: Record<string, unknown> }): Promise<SessionEntry> {
    return (await this.call()).saveSession(name, state);
  }

  setPlaneLevel(level: number): void {
    void this.call()
      .then((api) => api.setPlaneLevel(level))
      .catch((err: unknown) => this.dispatch({ type: 'log', level: 'warn', message: `The plane level could not be set: ${err instanceof Error ? err.message : String(err)}` }));
  }

  /**
   * Adds a listener; it is told the current state first (connected, position, session, a
   * running acquisition, counters), in a microtask, before any newer event.
   */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    return this.state.subscribe(this.listeners, listener);
  }

  /** The counters of the last `counters` event. */
  counters(): LiveCounters {
    return { ...this.lastCounters };
  }

  /** Stops what runs (a running acquisition leaves its session `interrupted`), then the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.ready;
      await this.api.close();
    } catch {
      // The worker is terminated below either way.
    } finally {
      this.api[Comlink.releaseProxy]();
      this.port.close();
      this.worker.terminate();
    }
  }

  private async call(): Promise<Comlink.Remote<BackendWorkerApi>> {
    if (this.closed) throw new Error('This browser backend is closed; create a new one.');
    await this.ready;
    return this.api;
  }

  private dispatch(event: LiveEvent): void {
    if (event.type === 'counters') this.lastCounters = { ...event.counters };
    if (event.type === 'plane') event.acquiredAtMs += this.clockOffsetMs;
    this.state.note(event);
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // One failing subscriber does not starve the others.
      }
    }
  }
}
