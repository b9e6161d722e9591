/**
 * What the bridge does for its viewers: one microscope connection (the in-process
 * simulator or a Flamingo at HOST:PORT), live view, one acquisition at a time written as a
 * session into the sessions folder, and a `DisplayProducer` fed every frame for the live
 * layers. Requests arrive through `dispatch` (the hub checks the token first); results
 * and changes go out through the hub.
 *
 * Nothing here waits for a viewer: frames go to the display source (its own thread by
 * default) and the writer, and the hub
 * decides per viewer what it can take.
 *
 * @example
 * const controller = new BridgeController({ sessionsDir: './sessions', microscope: 'sim' });
 * controller.attach(hub);
 * await controller.dispatch('startAcquisition', { request: { zStartMm: 5, zEndMm: 5.1, stepUm: 2, lasers: [488] } }, ctx);
 * await controller.close();      // stops a running plan: the session is left `interrupted`
 */
import path from 'node:path';
import type { AcquisitionPlan, LiveView, MicroscopeInfo, StagePosition } from '../acquisition/connector.ts';
import { FlamingoConnector, type FlamingoConnectorOptions } from '../acquisition/flamingo/index.ts';
import type { AcquisitionRequest, LiveCounters, LiveSessionInfo, SessionEntry } from '../acquisition/live-backend.ts';
import { liveViewPlane } from '../acquisition/live-backend.ts';
import type { BridgeOp, JsonLiveEvent } from '../acquisition/remote/wire.ts';
import type { SimulatorOptions } from '../acquisition/simulator/server.ts';
import { displayLevelFor } from '../acquisition/volume/levels.ts';
import { channelColor, planFromRequest } from '../session/acquisition-layout.ts';
import { startSessionAcquisition, type AcquisitionJobResult, type SessionAcquisition } from '../session/acquire.node.ts';
import { sessionFolderName } from '../session/metadata/layout.ts';
import type { SessionWriter } from '../session/writer/writer.ts';
import { InlineDisplaySource, type DisplaySource } from './display-source.ts';
import { ThreadDisplaySource } from './display-thread.ts';
import { BridgeError } from './errors.ts';
import type { LiveHub, RequestContext } from './hub.ts';
import { saveSessionState, sessionInfoFromDisk } from './session-info.ts';
import { startSimulatorThread, type SimulatorThread } from './simulator-thread.ts';
import { SessionsFolder, storeUrl } from './sessions-folder.ts';

export interface BridgeControllerOptions {
  sessionsDir: string;
  /** `sim` (default) or `HOST:PORT`: what `connect` without an address, and a plan before any connect, use. */
  microscope?: string;
  /** Options of the built-in simulator, which runs on its own thread (host and port are chosen by the bridge). */
  simulator?: SimulatorOptions;
  /** Connector options (timings) for every connection. */
  connector?: Omit<FlamingoConnectorOptions, 'host' | 'port'>;
  /** Run the display producer on its own thread (default true; false: on the bridge's thread). */
  displayThread?: boolean;
  /** Log lines (also sent to viewers as `log` events). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Acquisition {
  job: SessionAcquisition | null;
  writer: SessionWriter | null;
  folder: string;
  info: LiveSessionInfo;
  source: DisplaySource | null;
  framesExpected: number;
  acquired: number;
  result: Promise<AcquisitionJobResult | null>;
  running: boolean;
}

function parseAddress(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new BridgeError('bad-request', `The microscope must be 'sim' or HOST:PORT (e.g. 127.0.0.1:53717), got '${value}'.`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function stamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

export class BridgeController {
  readonly sessions: SessionsFolder;
  private readonly o: BridgeControllerOptions;
  private hub: LiveHub | null = null;
  private sim: SimulatorThread | null = null;
  private connector: FlamingoConnector | null = null;
  private microscope: string | null = null;
  private infoValue: MicroscopeInfo | null = null;
  private position: StagePosition | null = null;
  private liveView: LiveView | null = null;
  private liveVersion = 0;
  private acq: Acquisition | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** An acquisition being started (close waits for it, then stops it). */
  private starting: Promise<unknown> | null = null;
  private closed = false;

  constructor(options: BridgeControllerOptions) {
    this.o = options;
    this.sessions = new SessionsFolder(options.sessionsDir);
  }

  attach(hub: LiveHub): void {
    this.hub = hub;
  }

  /** The microscope connected now, if any. */
  get info(): MicroscopeInfo | null {
    return this.infoValue;
  }

  /** The session being (or last) acquired. */
  get currentSession(): LiveSessionInfo | null {
    return this.acq?.info ?? null;
  }

  /** Settles when the current acquisition (if any) has closed its session. */
  async acquisitionDone(): Promise<AcquisitionJobResult | null> {
    return this.acq ? this.acq.result : null;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
    this.hub?.broadcast({ type: 'log', level, message });
  }

  /** Runs state changes one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Events a viewer gets on connecting: microscope, position, current session, a running acquisition, counters. */
  greeting(ctx: RequestContext): JsonLiveEvent[] {
    const out: JsonLiveEvent[] = [];
    if (this.infoValue && this.microscope) out.push({ type: 'connected', info: this.infoValue, microscope: this.microscope });
    if (this.position) out.push({ type: 'position', position: this.position });
    if (this.acq) out.push({ type: 'session', session: { ...this.acq.info, storeUrl: storeUrl(ctx.baseUrl, this.acq.folder) } });
    if (this.acq?.running) out.push({ type: 'acquisition', phase: 'started', session: this.acq.info.name });
    out.push({ type: 'counters', counters: this.counters() });
    return out;
  }

  counters(): LiveCounters {
    const a = this.acq;
    const s = a?.writer?.stats();
    return {
      framesExpected: a?.framesExpected ?? 0,
      framesAcquired: a?.acquired ?? 0,
      framesDisplayed: 0,
      framesDisplayDropped: 0,
      framesWritten: s?.framesWritten ?? 0,
      framesWriterDropped: s?.framesDropped ?? 0,
      writerQueueDepth: s?.framesQueued ?? 0,
    };
  }

  /** Answers one request (the hub has checked the token for control ops). */
  async dispatch(op: BridgeOp, args: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
    if (this.closed) throw new BridgeError('failed', 'The bridge is shutting down.');
    switch (op) {
      case 'connect':
        return this.exclusive(() => this.connect(typeof args['microscope'] === 'string' ? args['microscope'] : undefined));
      case 'disconnect':
        return this.exclusive(() => this.disconnect());
      case 'getPosition':
        return this.getPosition();
      case 'moveTo':
        return this.exclusive(() => this.moveTo(args['target']));
      case 'startLiveView':
        return this.exclusive(() => this.startLiveView());
      case 'stopLiveView':
        return this.exclusive(() => this.stopLiveView());
      case 'startAcquisition': {
        const starting = this.exclusive(() => this.startAcquisition(args['request'], ctx));
        this.starting = starting;
        void starting.then(
          () => this.starting === starting && (this.starting = null),
          () => this.starting === starting && (this.starting = null),
        );
        return starting;
      }
      case 'stopAcquisition':
        return this.stopAcquisition();
      case 'listSessions':
        return this.listSessions(ctx.baseUrl);
      case 'openSession':
        return this.openSession(args['name'], ctx);
      case 'saveSession':
        return this.saveSession(args['name'], args['state'], ctx);
    }
  }

  // ------------------------------------------------------------------ microscope

  private async connect(microscope = this.o.microscope ?? 'sim'): Promise<MicroscopeInfo> {
    const target = microscope.trim();
    if (this.connector && this.infoValue && this.microscope === target) return this.infoValue;
    if (this.acq?.running) throw new BridgeError('busy', `An acquisition is running; stop it before connecting to '${target}'.`);
    const address = target === 'sim' ? null : parseAddress(target);
    await this.disconnect();
    let host: string;
    let port: number;
    if (address) {
      ({ host, port } = address);
    } else {
      this.sim ??= await startSimulatorThread({ ...this.o.simulator, host: '127.0.0.1', port: 0 });
      ({ host, port } = this.sim);
    }
    const connector = new FlamingoConnector({ ...this.o.connector, host, port });
    let info: MicroscopeInfo;
    try {
      info = await connector.connect();
    } catch (err) {
      await connector.close().catch(() => undefined);
      throw new BridgeError('failed', `Could not connect to the microscope at ${host}:${port}: ${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)}.`, { cause: err });
    }
    if (this.closed) {
      await connector.close().catch(() => undefined);
      throw new BridgeError('failed', 'The bridge shut down while connecting to the microscope.');
    }
    connector.on((e) => {
      if (e.type === 'disconnected') this.hub?.broadcast({ type: 'disconnected', reason: e.reason });
      else if (e.type === 'log' && e.level !== 'info') this.log(e.level, e.message);
    });
    this.connector = connector;
    this.microscope = target;
    this.infoValue = info;
    this.hub?.broadcast({ type: 'connected', info, microscope: target });
    this.log('info', `Connected to ${info.name} at ${host}:${port}.`);
    await this.getPosition().catch(() => undefined);
    return info;
  }

  private async disconnect(): Promise<null> {
    if (this.acq?.running) throw new BridgeError('busy', 'An acquisition is running; stop it before disconnecting.');
    await this.stopLiveView();
    const c = this.connector;
    if (!c) return null;
    this.connector = null;
    this.infoValue = null;
    this.microscope = null;
    this.position = null;
    await c.close().catch(() => undefined);
    this.hub?.broadcast({ type: 'disconnected', reason: 'disconnected on request' });
    return null;
  }

  private requireConnector(): FlamingoConnector {
    if (!this.connector || !this.infoValue) throw new BridgeError('not-connected', 'No microscope is connected; connect first.');
    return this.connector;
  }

  private async getPosition(): Promise<StagePosition> {
    const p = await this.requireConnector().getPosition();
    this.position = p;
    this.hub?.broadcast({ type: 'position', position: p });
    return p;
  }

  private async moveTo(target: unknown): Promise<StagePosition> {
    const connector = this.requireConnector();
    if (this.acq?.running) throw new BridgeError('busy', 'The stage cannot move while an acquisition is running.');
    if (typeof target !== 'object' || target === null) throw new BridgeError('bad-request', 'moveTo needs a target such as { xMm: 7.5 }.');
    const t: Partial<StagePosition> = {};
    for (const key of ['xMm', 'yMm', 'zMm', 'rDeg'] as const) {
      const v = (target as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (!finite(v)) throw new BridgeError('bad-request', `moveTo ${key} must be a finite number, got ${JSON.stringify(v)}.`);
      t[key] = v;
    }
    if (Object.keys(t).length === 0) throw new BridgeError('bad-request', 'moveTo needs at least one of xMm, yMm, zMm, rDeg.');
    const p = await connector.moveTo(t);
    this.position = p;
    this.hub?.broadcast({ type: 'position', position: p });
    return p;
  }

  private async startLiveView(): Promise<null> {
    const connector = this.requireConnector();
    if (this.acq?.running) throw new BridgeError('busy', 'Live view cannot start while an acquisition is running.');
    if (this.liveView) return null;
    const view = await connector.startLiveView();
    this.liveView = view;
    this.hub?.setSource(null);
    if (this.acq?.source) {
      void this.acq.source.close();
      this.acq.source = null;
    }
    void (async () => {
      try {
        for await (const f of view) {
          this.hub?.noteLoosePlane(liveViewPlane(f, ++this.liveVersion));
        }
      } catch (err) {
        this.log('warn', `Live view ended: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        if (this.liveView === view) this.liveView = null;
      }
    })();
    return null;
  }

  private async stopLiveView(): Promise<null> {
    const view = this.liveView;
    this.liveView = null;
    if (view) await view.stop();
    return null;
  }

  // ------------------------------------------------------------------ acquisition

  private checkRequest(r: unknown): AcquisitionRequest {
    if (typeof r !== 'object' || r === null) throw new BridgeError('bad-request', 'startAcquisition needs a request such as { zStartMm: 5, zEndMm: 5.2, stepUm: 2, lasers: [488] }.');
    const q = r as Record<string, unknown>;
    for (const key of ['zStartMm', 'zEndMm', 'stepUm'] as const) {
      if (!finite(q[key])) throw new BridgeError('bad-request', `The acquisition request's ${key} must be a finite number, got ${JSON.stringify(q[key])}.`);
    }
    if ((q['stepUm'] as number) <= 0) throw new BridgeError('bad-request', `The z step must be above 0 µm, got ${String(q['stepUm'])}.`);
    const lasers = q['lasers'];
    // Which lines exist is the microscope's to say (planFromRequest checks them against it).
    if (!Array.isArray(lasers) || lasers.length === 0 || lasers.some((l) => !finite(l) || l <= 0)) {
      throw new BridgeError('bad-request', `lasers must list laser wavelengths in nm (e.g. [488, 640]), got ${JSON.stringify(lasers)}.`);
    }
    if (new Set(lasers).size !== lasers.length) throw new BridgeError('bad-request', `lasers names a wavelength twice: ${lasers.join(', ')}.`);
    const sides = q['sides'];
    if (sides !== undefined && (!Array.isArray(sides) || sides.length !== 1 || (sides[0] !== 'left' && sides[0] !== 'right'))) {
      throw new BridgeError('bad-request', `sides must be ['left'] or ['right'] (one illumination side per session), got ${JSON.stringify(sides)}.`);
    }
    const kind = q['kind'] ?? 'zstack';
    if (kind !== 'zstack' && kind !== 'tile') throw new BridgeError('bad-request', `kind must be 'zstack' or 'tile', got ${JSON.stringify(kind)}.`);
    const tiles = q['tiles'];
    if (kind === 'tile' && (!Array.isArray(tiles) || tiles.length !== 2 || tiles.some((n) => !Number.isInteger(n) || (n as number) < 1 || (n as number) > 100))) {
      throw new BridgeError('bad-request', `A tile acquisition needs tiles [nx, ny] with 1–100 tiles per axis, got ${JSON.stringify(tiles)}.`);
    }
    for (const key of ['xMm', 'yMm', 'overlapPercent'] as const) {
      if (q[key] !== undefined && !finite(q[key])) throw new BridgeError('bad-request', `The acquisition request's ${key} must be a finite number, got ${JSON.stringify(q[key])}.`);
    }
    if (q['overlapPercent'] !== undefined && ((q['overlapPercent'] as number) < 0 || (q['overlapPercent'] as number) > 50)) {
      throw new BridgeError('bad-request', `overlapPercent must be between 0 and 50, got ${String(q['overlapPercent'])}.`);
    }
    for (const key of ['name', 'description'] as const) {
      if (q[key] !== undefined && typeof q[key] !== 'string') throw new BridgeError('bad-request', `The acquisition request's ${key} must be text.`);
    }
    return r as AcquisitionRequest;
  }

  private async startAcquisition(raw: unknown, ctx: RequestContext): Promise<LiveSessionInfo> {
    const req = this.checkRequest(raw);
    if (this.acq?.running) throw new BridgeError('busy', `An acquisition is already running (session '${this.acq.info.name}'); stop it first.`);
    if (!this.connector) await this.connect();
    const connector = this.requireConnector();
    const info = this.infoValue!;
    await this.stopLiveView();
    const at = await connector.getPosition();
    const lasersNm = [...req.lasers];
    const { plan } = planFromRequest(req, info, at);
    const side = req.sides?.[0] ?? 'left';
    const name = req.name?.trim() || `session_${stamp()}`;
    await this.sessions.ensure();
    const acq: Acquisition = {
      job: null,
      writer: null,
      folder: '',
      info: null as unknown as LiveSessionInfo,
      source: null,
      framesExpected: 0,
      acquired: 0,
      result: Promise.resolve(null),
      running: true,
    };
    let job: SessionAcquisition;
    try {
      job = await this.startJob(acq, connector, info, at, plan, side, name, req, lasersNm);
    } catch (err) {
      if (this.acq === acq) await this.finish(acq, 'interrupted', []);
      throw err;
    }
    acq.job = job;
    acq.framesExpected = job.framesExpected;
    acq.result = job.done.then(
      async (r) => {
        await this.finish(acq, r.status, r.notes);
        return r;
      },
      async (err: unknown) => {
        await this.finish(acq, 'interrupted', [`The acquisition failed: ${err instanceof Error ? err.message : String(err)}`]);
        return null;
      },
    );
    this.log('info', `Acquiring session '${acq.info.name}': ${job.framesExpected} frames into ${job.path}.`);
    return { ...acq.info, storeUrl: storeUrl(ctx.baseUrl, acq.folder) };
  }

  /** Creates the session and starts the run; the session's display producer is set up before the first frame. */
  private startJob(
    acq: Acquisition,
    connector: FlamingoConnector,
    info: MicroscopeInfo,
    at: StagePosition,
    plan: AcquisitionPlan,
    side: 'left' | 'right',
    name: string,
    req: AcquisitionRequest,
    lasersNm: number[],
  ): Promise<SessionAcquisition> {
    const hub = this.hub;
    return startSessionAcquisition(connector, info, at, {
      plan: { ...plan, sides: [side] },
      connection: this.microscope === 'sim' ? 'simulator' : 'tcp',
      address: `${connector.host}:${connector.port}`,
      out: path.join(this.sessions.root, sessionFolderName(name)),
      name,
      description: req.description ?? null,
      channelOrderNm: lasersNm,
      colorFor: channelColor,
      onWriterReady: (writer, out) => {
        const levelShapes = writer.layout.levels.map((l) => [...l.shape]);
        acq.writer = writer;
        acq.folder = path.basename(out);
        const display = { session: acq.folder.replace(/\.ome\.zarr$/, ''), levelShapes, displayLevel: displayLevelFor(levelShapes), reduction: writer.layout.reduction };
        acq.source = this.o.displayThread === false ? new InlineDisplaySource(display) : new ThreadDisplaySource({ ...display, onSkip: (m) => this.log('warn', m) });
        acq.info = {
          name: acq.folder.replace(/\.ome\.zarr$/, ''),
          storeUrl: null,
          status: 'acquiring',
          levelShapes,
          voxelSizeUm: { ...writer.layout.voxelSizeUm },
          channels: writer.layout.channels.map((c) => ({ name: c.name, color: c.color, wavelengthNm: c.laser_nm, contrast: [c.contrast[0], c.contrast[1]], visible: c.visible })),
          displayLevel: acq.source.displayLevel,
          version: 0,
        };
        const previous = this.acq?.source ?? null;
        this.acq = acq;
        hub?.setSource(acq.source);
        void previous?.close();
        // Viewers learn of the session before its first plane arrives.
        hub?.broadcastSession(acq.info, acq.folder, storeUrl);
        hub?.broadcast({ type: 'acquisition', phase: 'started', session: acq.info.name });
      },
      onFrame: (frame, placement) => {
        acq.acquired++;
        const p = acq.source;
        if (!p) return;
        p.putFrame({ ...placement, width: frame.width, height: frame.height, pixels: frame.pixels, frameNumber: frame.meta.frameNumber, acquiredAtMs: frame.meta.receivedMonotonicMs });
        hub?.notePlane(placement.channel);
      },
      onWriterEvent: (e) => {
        if (e.type === 'flushed' && acq.info) {
          const Z = acq.info.levelShapes[0]![1]!;
          hub?.noteFlushed(acq.info.name, e.channel, e.zChunk * 64, Math.min(Z, (e.zChunk + 1) * 64));
        } else if (e.type === 'dropped') {
          this.log('warn', `The session writer dropped a frame: ${e.message}`);
        } else if (e.type === 'fault') {
          this.log('error', `The session writer stopped: ${e.message}`);
        }
      },
    });
  }

  private async finish(acq: Acquisition, status: 'complete' | 'interrupted', notes: string[]): Promise<void> {
    acq.running = false;
    const hub = this.hub;
    await hub?.flushNow().catch(() => undefined);
    acq.info = { ...acq.info, status, version: acq.source?.version ?? acq.info.version };
    hub?.broadcastSession(acq.info, acq.folder, storeUrl);
    hub?.broadcast({ type: 'acquisition', phase: 'finished', session: acq.info.name, status });
    for (const n of notes) this.log(status === 'complete' ? 'info' : 'warn', n);
  }

  private async stopAcquisition(): Promise<null> {
    const acq = this.acq;
    if (acq?.running && acq.job) await acq.job.stop();
    return null;
  }

  // ------------------------------------------------------------------ sessions

  private listSessions(baseUrl: string): Promise<SessionEntry[]> {
    return this.sessions.list(baseUrl);
  }

  private async openSession(name: unknown, ctx: RequestContext): Promise<LiveSessionInfo> {
    if (typeof name !== 'string' || name === '') throw new BridgeError('bad-request', 'openSession needs the name of a session in the sessions folder.');
    const folder = SessionsFolder.folderOf(name);
    if (this.acq && this.acq.folder === folder) return { ...this.acq.info, version: this.acq.source?.version ?? 0, storeUrl: storeUrl(ctx.baseUrl, folder) };
    const dir = await this.sessions.sessionPath(name);
    return { ...(await sessionInfoFromDisk(dir)), storeUrl: storeUrl(ctx.baseUrl, folder) };
  }

  private async saveSession(name: unknown, state: unknown, ctx: RequestContext): Promise<SessionEntry> {
    if (typeof name !== 'string' || name === '') throw new BridgeError('bad-request', 'saveSession needs the name of a session in the sessions folder.');
    const folder = SessionsFolder.folderOf(name);
    if (this.acq?.running && this.acq.folder === folder) {
      throw new BridgeError('busy', `Session '${name}' is still being written; save its viewer state once the acquisition has ended.`);
    }
    if (typeof state !== 'object' || state === null) throw new BridgeError('bad-request', 'saveSession needs a state object ({ description?, viewer? }).');
    const dir = await this.sessions.sessionPath(name);
    await saveSessionState(dir, state as { description?: unknown; viewer?: unknown });
    // The last acquired session is described from memory (openSession, greetings): take its saved channels.
    if (this.acq && this.acq.folder === folder) this.acq.info = { ...this.acq.info, channels: (await sessionInfoFromDisk(dir)).channels };
    const entry = (await this.sessions.list(ctx.baseUrl)).find((e) => e.name === folder.replace(/\.ome\.zarr$/, ''));
    if (!entry) throw new BridgeError('not-found', `Session '${name}' disappeared while it was being saved.`);
    return entry;
  }

  // ------------------------------------------------------------------ shutdown

  /** Stops a running plan (the session is left `interrupted`), live view, the microscope link and the simulator. */
  async close(): Promise<AcquisitionJobResult | null> {
    if (this.closed) return null;
    this.closed = true;
    let result: AcquisitionJobResult | null = null;
    if (this.starting) await this.starting.catch(() => undefined);
    const acq = this.acq;
    if (acq?.running && acq.job) {
      await acq.job.stop().catch((err: unknown) => this.o.log?.('warn', `Stopping the acquisition failed: ${err instanceof Error ? err.message : String(err)}`));
      result = await acq.result;
    } else if (acq) {
      result = await acq.result;
    }
    await this.stopLiveView().catch(() => undefined);
    await this.acq?.source?.close().catch(() => undefined);
    await this.connector?.close().catch(() => undefined);
    this.connector = null;
    await this.sim?.close().catch(() => undefined);
    this.sim = null;
    return result;
  }
}
