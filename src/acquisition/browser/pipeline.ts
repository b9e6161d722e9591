/**
 * The browser-only backend's engine (pure: no DOM, no Node; it runs in the backend's module
 * worker and in Node tests). It owns a connector (made by `connectorFor`; in the worker the
 * in-memory simulator, `SimulatedConnector`), writes each acquisition as a session (`SessionWriter`, inline
 * WebAssembly zstd) into a `SessionSpace` (OPFS in the worker), feeds every frame to a
 * `DisplayProducer`, and emits `LiveEvent`s:
 *
 * - `plane`: the newest plane of each channel that changed, at the viewer's plane level, at
 *   most every `planeIntervalMs` per channel (default 100 ms: ≤ 10 Hz), at once when the
 *   last one is older than that (`LatestWins`). Frames that arrive between two plane events
 *   are counted in `framesDisplayDropped`;
 * - `volume`: the display level's changed z-ranges per channel, coalesced, every
 *   `volumeIntervalMs` (default 1000 ms), when a stack completes and at the end;
 * - `flushed`, `counters`, `session`, `acquisition`, `position`, `connected`, `log`.
 *
 * Pixel buffers of `plane` and `volume` events are fresh: `emit` gets them listed for
 * transfer. Nothing here waits for the viewer; the writer alone applies back-pressure,
 * through the connector's bounded frame buffer.
 *
 * @example
 * const pipeline = new LivePipeline({ sessions: new MemorySessionSpace(), appVersion: '0.1.0',
 *   connectorFor: () => ({ connector: new SimulatedConnector(), connection: 'simulator', address: 'memory:53717' }),
 *   emit: (event, transfer) => port.postMessage(event, transfer) });
 * await pipeline.connect('sim');
 * const session = await pipeline.startAcquisition({ zStartMm: 19, zEndMm: 19.05, stepUm: 5, lasers: [488] });
 */
import type { AcquisitionRun, Frame, LiveView, MicroscopeConnector, MicroscopeInfo, StagePosition } from '../connector.ts';
import type { AcquisitionRequest, LiveCounters, LiveEvent, LiveSessionInfo, PlaneEvent, SessionEntry } from '../live-backend.ts';
import { ZERO_COUNTERS, liveViewPlane } from '../live-backend.ts';
import { DisplayProducer } from '../volume/display-producer.ts';
import { defaultPlaneLevel, displayLevelFor } from '../volume/levels.ts';
import { TaggedError } from '../../tagged-error.ts';
import { planFromRequest, sessionPlan } from '../../session/acquisition-layout.ts';
import type { ChunkCodec } from '../../session/codec/types.ts';
import { createWasmZstdCodec } from '../../session/codec/zstd-wasm.ts';
import { InlineEncoder } from '../../session/writer/encoder.ts';
import { SessionWriter, type FramePlacement, type SessionWriterOptions, type WriterEvent } from '../../session/writer/writer.ts';
import { saveSessionStateToStore, sessionInfoFromStore } from '../../session/session-state.ts';
import type { SessionSpace } from './session-space.ts';
import { LatestWins } from './throttle.ts';

export type PipelineErrorCode = 'not-connected' | 'busy' | 'unsupported' | 'closed';

export class PipelineError extends TaggedError<PipelineErrorCode> {
  override readonly name = 'PipelineError';
}

export interface LivePipelineOptions {
  sessions: SessionSpace;
  /** Receives every event with the buffers it may transfer (never call back into the pipeline synchronously). */
  emit: (event: LiveEvent, transfer: ArrayBuffer[]) => void;
  /** For `written_by.app_version`. */
  appVersion: string;
  /**
   * The connector for an address given to `connect` (`sim` by default), not yet connected,
   * and what the session records about it; throw a `PipelineError('unsupported')` for an
   * address this backend cannot reach.
   */
  connectorFor: (microscope: string) => { connector: MicroscopeConnector; connection: 'tcp' | 'simulator'; address: string };
  /** Session chunk codec (default: WebAssembly zstd level 3). */
  codec?: ChunkCodec;
  /** Writer tuning (defaults for a browser tab: memory budget 1.5 GiB, ingest queue 128 MiB). */
  writer?: Pick<SessionWriterOptions, 'queueBytes' | 'memoryBudgetBytes' | 'slabsPerChannel' | 'heartbeatMs' | 'stallTimeoutMs'>;
  /** Minimum time between plane events of a channel (default 100 ms). */
  planeIntervalMs?: number;
  /** Minimum time between volume events, stack ends aside (default 1000 ms). */
  volumeIntervalMs?: number;
}

interface Acquisition {
  name: string;
  /** Where a frame lands (the writer's placement). */
  place: (frame: Frame) => FramePlacement;
  run: AcquisitionRun;
  writer: SessionWriter;
  producer: DisplayProducer;
  info: LiveSessionInfo;
  /** Plane events per channel, latest wins. */
  planes: Map<number, LatestWins>;
  volumeDue: boolean;
  stopRequested: boolean;
  droppedAtStart: number;
  ended: Promise<void>;
}


const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class LivePipeline {
  private readonly o: LivePipelineOptions;
  private readonly planeIntervalMs: number;
  private readonly volumeIntervalMs: number;
  private connector: MicroscopeConnector | null = null;
  private microscope = '';
  private link: { connection: 'tcp' | 'simulator'; address: string } = { connection: 'simulator', address: '' };
  private info: MicroscopeInfo | null = null;
  private acq: Acquisition | null = null;
  private live: { view: LiveView; latest: PlaneEvent | null; throttle: LatestWins; version: number } | null = null;
  private planeLevel: number | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private lastVolumeAt = 0;
  private counts: LiveCounters = { ...ZERO_COUNTERS };
  private lastCounters = '';
  private codec: ChunkCodec | null;
  private closed = false;
  private starting = false;

  constructor(options: LivePipelineOptions) {
    this.o = options;
    this.planeIntervalMs = options.planeIntervalMs ?? 100;
    this.volumeIntervalMs = options.volumeIntervalMs ?? 1000;
    this.codec = options.codec ?? null;
  }

  // --- microscope ---------------------------------------------------------------------

  /** Connects to `microscope` (`sim`, the built-in simulator, by default) through `connectorFor`. */
  async connect(microscope = 'sim'): Promise<MicroscopeInfo> {
    this.assertOpen();
    if (this.connector && this.info) {
      if (microscope === this.microscope) return this.info;
      throw new PipelineError('busy', `Already connected to '${this.microscope}'; disconnect before connecting to '${microscope}'.`);
    }
    const { connector, connection, address } = this.o.connectorFor(microscope);
    this.link = { connection, address };
    this.microscope = microscope;
    connector.on((e) => {
      if (e.type === 'log') this.emit({ type: 'log', level: e.level, message: e.message });
      else if (e.type === 'disconnected') this.emit({ type: 'disconnected', reason: e.reason });
    });
    try {
      this.info = await connector.connect();
    } catch (err) {
      await connector.close().catch(() => undefined);
      throw err;
    }
    this.connector = connector;
    this.emit({ type: 'connected', info: this.info, microscope });
    return this.info;
  }

  async disconnect(): Promise<void> {
    await this.stopLiveView();
    const acq = this.acq;
    if (acq) {
      acq.stopRequested = true;
      await acq.run.stop().catch(() => undefined);
      await acq.ended;
    }
    const c = this.connector;
    this.connector = null;
    this.info = null;
    if (c) {
      await c.close();
      this.emit({ type: 'disconnected', reason: 'disconnected by the viewer' });
    }
  }

  async getPosition(): Promise<StagePosition> {
    const p = await this.requireConnector().getPosition();
    this.emit({ type: 'position', position: p });
    return p;
  }

  async moveTo(target: Partial<StagePosition>): Promise<StagePosition> {
    const p = await this.requireConnector().moveTo(target);
    this.emit({ type: 'position', position: p });
    return p;
  }

  // --- live view ----------------------------------------------------------------------

  async startLiveView(): Promise<void> {
    const connector = this.requireConnector();
    if (this.acq) throw new PipelineError('busy', 'Live view cannot start while an acquisition is running.');
    if (this.live) return;
    const view = await connector.startLiveView();
    const live: { view: LiveView; latest: PlaneEvent | null; throttle: LatestWins; version: number } = {
      view,
      latest: null,
      version: 0,
      throttle: new LatestWins(this.planeIntervalMs, (notes) => {
        const e = live.latest;
        live.latest = null;
        if (!e) return;
        this.counts.framesDisplayed++;
        this.counts.framesDisplayDropped += notes - 1;
        this.emit(e, [e.pixels.buffer as ArrayBuffer]);
      }),
    };
    this.live = live;
    this.startTicker();
    void (async () => {
      try {
        for await (const f of view) {
          live.latest = liveViewPlane(f, ++live.version);
          live.throttle.note();
        }
      } catch (err) {
        this.emit({ type: 'log', level: 'warn', message: `Live view ended: ${message(err)}` });
      } finally {
        live.throttle.cancel();
        if (this.live === live) this.live = null;
      }
    })();
  }

  async stopLiveView(): Promise<void> {
    const live = this.live;
    this.live = null;
    if (live) await live.view.stop();
  }

  // --- acquisition --------------------------------------------------------------------

  async startAcquisition(request: AcquisitionRequest): Promise<LiveSessionInfo> {
    const connector = this.requireConnector();
    const info = this.info!;
    if (this.acq) throw new PipelineError('busy', `An acquisition is already running (session '${this.acq.name}'); stop it first.`);
    if (this.starting) throw new PipelineError('busy', 'An acquisition is being started; wait for it, or stop it once it runs.');
    this.starting = true;
    try {
      return await this.begin(connector, info, request);
    } finally {
      this.starting = false;
    }
  }

  private async begin(connector: MicroscopeConnector, info: MicroscopeInfo, request: AcquisitionRequest): Promise<LiveSessionInfo> {
    await this.stopLiveView();
    const at = await connector.getPosition();
    const { plan, channelOrderNm } = planFromRequest(request, info, at);
    const requested = request.name?.trim() || `session ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
    const { name, store } = await this.o.sessions.create(requested);
    const sp = sessionPlan({
      plan,
      info,
      at,
      channelOrderNm,
      name,
      description: request.description ?? null,
      connection: this.link.connection,
      address: this.link.address,
      appVersion: this.o.appVersion,
    });
    this.codec ??= createWasmZstdCodec(3);
    const codec = this.codec;
    let acq: Acquisition | null = null;
    const onEvent = (e: WriterEvent): void => {
      if (e.type === 'flushed' && acq) {
        const Z = acq.info.levelShapes[0]![1]!;
        const depth = acq.writer.layout.chunks[acq.writer.layout.axes.indexOf('z')] ?? 64;
        this.emit({ type: 'flushed', session: acq.name, channel: e.channel, zStart: e.zChunk * depth, zEnd: Math.min(Z, (e.zChunk + 1) * depth), version: acq.producer.version });
      } else if (e.type === 'dropped') {
        this.emit({ type: 'log', level: 'error', message: `The session writer dropped a frame: ${e.message}` });
      } else if (e.type === 'fault') {
        this.emit({ type: 'log', level: 'error', message: `The session writer failed: ${e.message}` });
      }
    };
    let writer: SessionWriter;
    try {
      writer = await SessionWriter.create({
        memoryBudgetBytes: 1.5 * 1024 ** 3,
        queueBytes: 128 * 1024 ** 2,
        ...this.o.writer,
        store,
        encoder: new InlineEncoder(codec),
        codec,
        layout: { ...sp.layout, compressor: codec.config },
        info: sp.info,
        place: sp.place,
        framesPerPlane: sp.framesPerPlane,
        onEvent,
      });
    } catch (err) {
      // No frame was written: the new folder goes again rather than lingering as an empty "session".
      await this.o.sessions.discard(name).catch(() => undefined);
      throw err;
    }
    const levelShapes = writer.layout.levels.map((l) => [...l.shape]);
    const producer = new DisplayProducer({ session: name, levelShapes, displayLevel: displayLevelFor(levelShapes), reduction: writer.layout.reduction });
    let run: AcquisitionRun;
    try {
      run = await connector.acquire(plan);
    } catch (err) {
      await writer.abort(`the acquisition did not start: ${message(err)}`).catch(() => undefined);
      throw err;
    }
    const sessionInfo: LiveSessionInfo = {
      name,
      storeUrl: null,
      status: 'acquiring',
      levelShapes,
      voxelSizeUm: { ...writer.layout.voxelSizeUm },
      channels: writer.layout.channels.map((c) => ({ name: c.name, color: c.color, wavelengthNm: c.laser_nm, contrast: [...c.contrast] as [number, number], visible: c.visible })),
      displayLevel: producer.displayLevel,
      version: 0,
    };
    acq = {
      name,
      place: sp.place,
      run,
      writer,
      producer,
      info: sessionInfo,
      planes: new Map(),
      volumeDue: false,
      stopRequested: false,
      droppedAtStart: connector.counters().framesDropped,
      ended: Promise.resolve(),
    };
    this.acq = acq;
    this.counts = { ...ZERO_COUNTERS, framesExpected: sp.framesExpected };
    this.emit({ type: 'session', session: { ...sessionInfo } });
    this.emit({ type: 'acquisition', phase: 'started', session: name });
    this.startTicker();
    acq.ended = this.consume(acq);
    return { ...sessionInfo };
  }

  async stopAcquisition(): Promise<void> {
    const acq = this.acq;
    if (!acq) return;
    acq.stopRequested = true;
    await acq.run.stop();
  }

  /** Settles when the running acquisition (if any) has ended and its session is closed. */
  async idle(): Promise<void> {
    await this.acq?.ended;
  }

  private async consume(acq: Acquisition): Promise<void> {
    let failure: unknown = null;
    const show = (frame: Frame): void => {
      this.counts.framesAcquired++;
      try {
        const at = acq.place(frame);
        const placed = acq.producer.putFrame({ ...at, width: frame.width, height: frame.height, pixels: frame.pixels, frameNumber: frame.meta.frameNumber, acquiredAtMs: frame.meta.receivedMonotonicMs });
        if (placed) this.planeThrottle(acq, at.channel).note();
      } catch (err) {
        this.emit({ type: 'log', level: 'warn', message: `A frame could not be shown: ${message(err)}` });
      }
      if (frame.meta.zIndex === frame.meta.zCount - 1) acq.volumeDue = true;
    };
    // Frames are shown as they arrive; they reach the writer at its pace.
    const offArrival = acq.run.onArrival(show);
    try {
      for await (const frame of acq.run.frames) await acq.writer.write(frame);
    } catch (err) {
      failure = err;
    } finally {
      offArrival();
    }
    let status: LiveSessionInfo['status'] = 'interrupted';
    let summary;
    try {
      if (failure) {
        await acq.writer.abort(`the acquisition failed: ${message(failure)}`);
        this.emit({ type: 'log', level: 'error', message: `The acquisition failed: ${message(failure)}` });
      } else {
        summary = await acq.run.done;
        const complete = summary.outcome === 'complete' && !acq.stopRequested;
        const result = complete
          ? await acq.writer.finalize()
          : await acq.writer.abort(acq.stopRequested ? 'stopped by the user' : `the workflow ended '${summary.outcome}'${summary.error ? `: ${summary.error}` : ''}`);
        status = result.status === 'complete' ? 'complete' : 'interrupted';
        for (const e of result.errors) this.emit({ type: 'log', level: 'warn', message: e });
      }
    } catch (err) {
      this.emit({ type: 'log', level: 'error', message: `The session '${acq.name}' could not be closed cleanly: ${message(err)}` });
    }
    acq.volumeDue = true;
    this.tick(true);
    this.updateCounters(acq);
    this.emitCounters();
    if (this.acq === acq) this.acq = null;
    acq.info.status = status;
    acq.info.version = acq.producer.version;
    this.emit({ type: 'session', session: { ...acq.info } });
    this.emit({ type: 'acquisition', phase: 'finished', session: acq.name, status, ...(summary ? { summary } : {}) });
    this.stopTickerIfIdle();
  }

  // --- sessions -----------------------------------------------------------------------

  listSessions(): Promise<SessionEntry[]> {
    return this.o.sessions.list();
  }

  async openSession(name: string): Promise<LiveSessionInfo> {
    const store = await this.o.sessions.open(name);
    const info = await sessionInfoFromStore(store, name);
    if (this.acq?.name === name) return { ...this.acq.info, version: this.acq.producer.version };
    return info;
  }

  async saveSession(name: string, state: { description?: string; viewer?: Record<string, unknown> }): Promise<SessionEntry> {
    if (this.acq?.name === name) throw new PipelineError('busy', `Session '${name}' is still being written; save its viewer state once the acquisition has ended.`);
    const store = await this.o.sessions.open(name);
    await saveSessionStateToStore(store, name, state, this.o.appVersion);
    const entry = (await this.o.sessions.list()).find((e) => e.name === name);
    if (!entry) throw new PipelineError('closed', `Session '${name}' disappeared while it was saved.`);
    return entry;
  }

  // --- display ------------------------------------------------------------------------

  setPlaneLevel(level: number): void {
    this.planeLevel = Number.isInteger(level) && level >= 0 ? level : null;
  }

  counters(): LiveCounters {
    if (this.acq) this.updateCounters(this.acq);
    return { ...this.counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.disconnect().catch(() => undefined);
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(false), this.planeIntervalMs);
  }

  private stopTickerIfIdle(): void {
    if (this.acq || this.live || !this.ticker) return;
    clearInterval(this.ticker);
    this.ticker = null;
  }

  /** One display turn: due volume ranges and counters (planes go out through their throttles). */
  private tick(final: boolean): void {
    const acq = this.acq;
    if (!acq && !final) {
      this.emitCounters();
      this.stopTickerIfIdle();
      return;
    }
    if (acq) {
      this.displayTurn(acq, final);
      this.updateCounters(acq);
    }
    this.emitCounters();
  }

  /** The plane throttle of a channel: its newest plane at the viewer's level, at most every `planeIntervalMs`. */
  private planeThrottle(acq: Acquisition, channel: number): LatestWins {
    let t = acq.planes.get(channel);
    if (!t) {
      t = new LatestWins(this.planeIntervalMs, (notes) => {
        const level = Math.min(this.planeLevel ?? defaultPlaneLevel(acq.info.levelShapes), acq.info.levelShapes.length - 1);
        const e = acq.producer.planeEvent(channel, level);
        if (!e) return;
        this.counts.framesDisplayed++;
        this.counts.framesDisplayDropped += notes - 1;
        this.emit(e, [e.pixels.buffer as ArrayBuffer]);
      });
      acq.planes.set(channel, t);
    }
    return t;
  }

  private displayTurn(acq: Acquisition, final: boolean): void {
    if (final) for (const t of acq.planes.values()) t.flush();
    const now = performance.now();
    if ((acq.volumeDue || final || now - this.lastVolumeAt >= this.volumeIntervalMs) && acq.producer.hasVolumeChanges()) {
      acq.volumeDue = false;
      this.lastVolumeAt = now;
      for (const e of acq.producer.takeVolumeEvents()) this.emit(e, [e.data.buffer as ArrayBuffer]);
    }
    acq.info.version = acq.producer.version;
  }

  private updateCounters(acq: Acquisition): void {
    const s = acq.writer.stats();
    const connectorDropped = (this.connector?.counters().framesDropped ?? acq.droppedAtStart) - acq.droppedAtStart;
    this.counts.framesWritten = s.framesWritten;
    this.counts.framesWriterDropped = s.framesDropped + Math.max(0, connectorDropped);
    this.counts.writerQueueDepth = s.framesQueued;
  }

  private emitCounters(): void {
    const key = JSON.stringify(this.counts);
    if (key === this.lastCounters) return;
    this.lastCounters = key;
    this.emit({ type: 'counters', counters: { ...this.counts } });
  }

  private emit(event: LiveEvent, transfer: ArrayBuffer[] = []): void {
    try {
      this.o.emit(event, transfer);
    } catch {
      // A failing listener never stops the acquisition or the writer.
    }
  }

  private requireConnector(): MicroscopeConnector {
    this.assertOpen();
    if (!this.connector || !this.info) throw new PipelineError('not-connected', 'Not connected to a microscope: connect first.');
    return this.connector;
  }

  private assertOpen(): void {
    if (this.closed) throw new PipelineError('closed', 'This backend is closed.');
  }
}
