/**
 * `FlamingoProtocolConnector`: the Flamingo client logic, implementing
 * `MicroscopeConnector` (connector.ts) per spec §11.3 over any `Transport` (pure: TCP
 * in Node as `FlamingoConnector`, memory for the simulator in a worker as
 * `SimulatedConnector`).
 *
 * - connect: command socket, ScopeSettings (4105, ack 4103 or 4105, payload framed or
 *   raw until quiet), pixel size (12343), image size (12327), X/Y/Z/R one axis per
 *   query, then the live socket;
 * - moves: one axis at a time, the 0x6010 wait armed before the move, status 1 only,
 *   then read back;
 * - runs: live view stopped and ROI set first, live socket connected, 12292 sent once
 *   through the single writer, start/finish per §8.10 (see `WorkflowRun`);
 * - a dropped connection is reopened once and idempotent queries are re-issued; a
 *   workflow start is never replayed.
 *
 * @example
 * const scope = new FlamingoProtocolConnector({ host: '127.0.0.1', port: 53717, transport });
 * const info = await scope.connect();
 * await scope.moveTo({ xMm: 7.5, yMm: 14 });
 * const run = await scope.acquire({ kind: 'zstack', zStartMm: 18, zEndMm: 18.5, planes: 200, stepUm: 2.5,
 *   xMm: 7.5, yMm: 14, lasers: [{ laser: 2, powerPercent: 10 }], sides: ['left'] });
 * for await (const frame of run.frames) save(frame);
 * console.log(await run.done);
 * await scope.close();
 */
import type {
  AcquisitionPlan,
  AcquisitionRun,
  ConnectorCounters,
  ConnectorEvent,
  Frame,
  LiveFrameMeta,
  LiveView,
  MicroscopeConnector,
  MicroscopeInfo,
  StagePosition,
} from '../connector.ts';
import { defaultLaserLines, planFieldOfView, planStacks, planWorkflowSettings, validatePlan, type PlanContext } from '../plan.ts';
import {
  AXIS_NAMES,
  Axis,
  Command,
  Flags,
  SystemState,
  type AxisId,
  type CommandMessage,
  type FlamingoRecord,
  type RecordInit,
} from '../protocol/index.ts';
import { parseScopeSettings, type ScopeSettings } from '../protocol/scope-settings.ts';
import { decodeProtocolText } from '../protocol/sectioned-text.ts';
import { validateWorkflow } from '../protocol/workflow-stacks.ts';
import { buildWorkflowText } from '../protocol/workflow.ts';
import { CommandLink, describeCommand, type LogFn, type RequestOptions } from './command-link.ts';
import { ConnectorError, errorMessage, isConnectorError } from './errors.ts';
import { FrameQueue } from './frame-queue.ts';
import { LiveLink, type LiveChannelStats, type LiveFrame } from './live-link.ts';
import { DEFAULT_RUN_TIMING, WorkflowRun, type RunTiming } from './run.ts';
import type { Transport } from './transport.ts';

export interface FlamingoConnectorOptions {
  /** The byte streams: TCP by default in `FlamingoConnector`; required by `FlamingoProtocolConnector`. */
  transport?: Transport;
  /** Default 127.0.0.1. */
  host?: string;
  /** Command port, default 53717. */
  port?: number;
  /** Live image port, default port + 1. */
  livePort?: number;
  /** Default 2000 ms (spec §1). */
  connectTimeoutMs?: number;
  /** Reply timeout for ordinary requests, default 3000 ms. */
  replyTimeoutMs?: number;
  /** Settings load timeout, default 5000 ms. */
  settingsTimeoutMs?: number;
  /** Quiet time that ends settings text sent without `addDataBytes`, default 75 ms. */
  settingsQuietMs?: number;
  /** Workflow-stop reply timeout, default 5000 ms. */
  stopTimeoutMs?: number;
  /** Motion wait per axis beyond the travel time at the default velocity, default 10000 ms. */
  motionTimeoutMs?: number;
  /** Pause between "motion stopped" and reading the axis back, default 100 ms (py2flamingo: 200). */
  motionSettleMs?: number;
  /** Largest difference between target and read-back that counts as arrived: mm for X/Y/Z, default 0.01. */
  positionToleranceMm?: number;
  /** …and degrees for R, default 0.05. */
  positionToleranceDeg?: number;
  /** While a run is busy, position polls are answered from cache more often than this (default 2000 ms). */
  busyPositionPollMs?: number;
  /** Start/finish decision intervals (spec §8.10). */
  run?: Partial<RunTiming>;
  /** Sensor size when the microscope cannot tell (CAMERA_ROI_LEFT/TOP_GET unanswered); default 2048 × 2048. */
  sensorWidth?: number;
  sensorHeight?: number;
  /** Live-view ring size, default 4 frames (newest kept). */
  liveBufferFrames?: number;
  /** Frames held for a slow run consumer, default 1024, and at most this many bytes (default 1 GiB). */
  runBufferFrames?: number;
  runBufferBytes?: number;
  /** Pause between the end of one run and the start of the next (default 3000 ms, spec §8.10 step 4). */
  interRunGapMs?: number;
  /** Check plans against the server's own rules (limits, velocity) before sending; default true. */
  preflight?: boolean;
  /** Also receives every log line (they are `log` events too). */
  log?: LogFn;
}

const CALLBACK = Flags.TRIGGER_CALL_BACK;
const STATE_CODES = new Set<number>(Object.values(SystemState));
/** Unsolicited codes a run consumes (spec §5). */
const RUN_CODES = new Set<number>([
  Command.UI_SET_GAUGE_SIZE,
  Command.UI_SET_GAUGE_VALUE,
  Command.CAMERA_STACK_COMPLETE,
  Command.UI_IMAGES_SAVED_TO_STORAGE,
  Command.LASER_LEVEL_GET,
  Command.LED_PREVIEW_DISABLE,
]);
const AXIS_ORDER: ReadonlyArray<[keyof StagePosition, AxisId]> = [
  ['rDeg', Axis.R],
  ['xMm', Axis.X],
  ['yMm', Axis.Y],
  ['zMm', Axis.Z],
];
const AXIS_KEY: Readonly<Record<AxisId, keyof StagePosition>> = { 1: 'xMm', 2: 'yMm', 3: 'zMm', 4: 'rDeg' };

function unit(axis: AxisId): string {
  return axis === Axis.R ? '°' : ' mm';
}

class FlamingoLiveView implements LiveView {
  readonly queue: FrameQueue<Frame<LiveFrameMeta>>;
  private frameNumber = 0;
  private stopping: Promise<void> | null = null;

  constructor(
    capacity: number,
    private readonly stopFn: (view: FlamingoLiveView) => Promise<void>,
  ) {
    this.queue = new FrameQueue({ capacity, policy: 'drop-oldest', sizeOf: (f) => f.pixels.byteLength });
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  push(f: LiveFrame): void {
    this.queue.push({
      pixels: f.pixels,
      width: f.header.width,
      height: f.header.height,
      meta: {
        frameNumber: this.frameNumber++,
        receivedAtMs: f.receivedAtMs,
        receivedMonotonicMs: f.receivedMonotonicMs,
        scaleMin: f.header.scaleMin,
        scaleMax: f.header.scaleMax,
      },
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopFn(this);
    return this.stopping;
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame<LiveFrameMeta>> {
    return this.queue[Symbol.asyncIterator]();
  }
}

export class FlamingoProtocolConnector implements MicroscopeConnector {
  readonly host: string;
  readonly port: number;
  readonly livePort: number;
  private readonly o: FlamingoConnectorOptions;
  private readonly timing: RunTiming;
  private readonly cmd: CommandLink;
  private readonly live: LiveLink;
  private readonly listeners = new Set<(e: ConnectorEvent) => void>();
  private infoValue: MicroscopeInfo | null = null;
  private settings: ScopeSettings | null = null;
  private sensor: { width: number; height: number } | null = null;
  private lastPosition: Partial<StagePosition> = {};
  private lastBusyPositionPoll = -Infinity;
  private activeRun: WorkflowRun | null = null;
  private acquiring = false;
  private liveView: FlamingoLiveView | null = null;
  private motionTail: Promise<void> = Promise.resolve();
  private reconnectingCmd: Promise<void> | null = null;
  private reconnectingLive: Promise<void> | null = null;
  private closed = false;
  private reconnects = 0;
  private droppedBefore = 0;
  private lastState: number | null = null;
  private lastRunEndedAt = -Infinity;

  constructor(options: FlamingoConnectorOptions & { transport: Transport }) {
    this.o = options;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 53717;
    this.livePort = options.livePort ?? this.port + 1;
    this.timing = { ...DEFAULT_RUN_TIMING, ...options.run };
    const log: LogFn = (level, message) => this.log(level, message);
    this.cmd = new CommandLink({
      transport: options.transport,
      host: this.host,
      port: this.port,
      connectTimeoutMs: options.connectTimeoutMs ?? 2000,
      replyTimeoutMs: options.replyTimeoutMs ?? 3000,
      rawQuietMs: options.settingsQuietMs ?? 75,
      log,
    });
    this.live = new LiveLink({ transport: options.transport, host: this.host, port: this.livePort, connectTimeoutMs: options.connectTimeoutMs ?? 2000, log });
    this.cmd.onUnsolicited((m) => this.onUnsolicited(m));
    this.cmd.onClose((reason) => this.onCommandClosed(reason));
    this.live.onFrame((f) => this.onLiveFrame(f));
    this.live.onClose((info) => this.onLiveClosed(info.reason, info.incompleteBytes));
  }

  get info(): MicroscopeInfo | null {
    return this.infoValue;
  }

  /** The parsed ScopeSettings (after `connect`). */
  get scopeSettings(): ScopeSettings | null {
    return this.settings;
  }

  on(listener: (event: ConnectorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counters(): ConnectorCounters {
    const c = this.cmd.stats();
    const l = this.live.stats();
    return {
      framesReceived: l.frames,
      bytesReceived: l.bytesReceived + c.bytesReceived,
      framesDropped: this.droppedBefore + (this.liveView?.dropped ?? 0) + (this.activeRun?.frames.dropped ?? 0),
      recordsReceived: c.recordsReceived,
      recordsDiscardedBytes: c.discardedBytes,
      reconnects: this.reconnects,
    };
  }

  /** Live-port details: options-only headers skipped, size mismatches, connections lost mid-frame. */
  liveStats(): LiveChannelStats {
    return this.live.stats();
  }

  // --- connect ------------------------------------------------------------------------------

  async connect(options: { signal?: AbortSignal } = {}): Promise<MicroscopeInfo> {
    if (this.closed) throw new ConnectorError('closed', 'This connector was closed; create a new one to connect again.');
    const signal = options.signal;
    await this.cmd.connect(signal);
    try {
      const { text, settings } = await this.loadSettings(signal);
      this.settings = settings;
      const reported = await this.pixelFieldOfView(signal);
      const size = await this.imageSize(signal);
      this.sensor = await this.sensorSize(size, signal);
      const position = await this.getPosition();
      try {
        await this.live.connect(signal);
      } catch (err) {
        this.log('warn', `The live port is not reachable yet (${errorMessage(err)}); it will be tried again before live view or a run.`);
      }
      const width = size.width > 0 ? size.width : (this.sensor?.width ?? 0);
      const height = size.height > 0 ? size.height : (this.sensor?.height ?? 0);
      this.infoValue = {
        name: settings.microscopeName,
        pixelSizeUm: settings.pixelSizeUm,
        reportedPixelSizeUm: reported,
        width,
        height,
        hardLimits: settings.hardLimits,
        softLimits: settings.softLimits,
        home: { xMm: settings.home.x, yMm: settings.home.y, zMm: settings.home.z, rDeg: settings.home.r },
        velocity: { xMm: settings.velocity.x, yMm: settings.velocity.y, zMm: settings.velocity.z, rDeg: settings.velocity.r },
        lasers: defaultLaserLines().filter((l) => l.index <= 4),
        settingsText: text,
      };
      this.log('info', `Connected to ${settings.microscopeName} at ${this.host}:${this.port}; ${width} × ${height} px, ${settings.pixelSizeUm.toFixed(4)} µm/px, at X ${position.xMm} Y ${position.yMm} Z ${position.zMm} R ${position.rDeg}.`);
      return this.infoValue;
    } catch (err) {
      await this.cmd.close().catch(() => undefined);
      await this.live.close().catch(() => undefined);
      this.closed = true;
      throw err;
    }
  }

  /** SCOPE_SETTINGS_LOAD (spec §9.1): no flag; ack 4103 or 4105; framed payload, or raw text until quiet. */
  private async loadSettings(signal?: AbortSignal): Promise<{ text: string; settings: ScopeSettings }> {
    const msg = await this.query(
      { cmd: Command.COMMON_SCOPE_SETTINGS_LOAD },
      {
        replyCodes: [Command.COMMON_SCOPE_SETTINGS, Command.COMMON_SCOPE_SETTINGS_LOAD],
        rawPayload: true,
        timeoutMs: this.o.settingsTimeoutMs ?? 5000,
        what: 'the ScopeSettings text',
        ...(signal ? { signal } : {}),
      },
    );
    if (!msg.payload || msg.payload.length === 0) {
      throw new ConnectorError('bad-reply', 'The microscope answered SCOPE_SETTINGS_LOAD without any settings text.');
    }
    const text = decodeProtocolText(msg.payload).replace(/[\0\r\n]+$/, '');
    try {
      return { text, settings: parseScopeSettings(text) };
    } catch (err) {
      throw new ConnectorError('bad-reply', `The ScopeSettings text from the microscope could not be read: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** CAMERA_PIXEL_FIELD_OF_VIEW_GET: mm per pixel, as µm; null when unknown or unanswered. */
  private async pixelFieldOfView(signal?: AbortSignal): Promise<number | null> {
    try {
      const r = await this.query({ cmd: Command.CAMERA_PIXEL_FIELD_OF_VIEW_GET, cmdDataBits0: CALLBACK }, signal ? { signal } : {});
      return r.record.doubleData > 0 ? r.record.doubleData * 1000 : null;
    } catch (err) {
      if (!isConnectorError(err, 'timeout')) throw err;
      this.log('warn', `The microscope did not report its pixel size: ${err.message}`);
      return null;
    }
  }

  private async imageSize(signal?: AbortSignal): Promise<{ width: number; height: number }> {
    const r = await this.query({ cmd: Command.CAMERA_IMAGE_SIZE_GET, cmdDataBits0: CALLBACK }, signal ? { signal } : {});
    return { width: Math.max(0, r.record.int32Data0), height: Math.max(0, r.record.int32Data1) };
  }

  /**
   * Sensor size from the current ROI and its 1-based edges (width = sensor − 2·(edge − 1));
   * the options' (or 2048) when the edges are not answered or make no sense.
   */
  private async sensorSize(size: { width: number; height: number }, signal?: AbortSignal): Promise<{ width: number; height: number } | null> {
    const fallback = (): { width: number; height: number } | null => {
      const w = this.o.sensorWidth ?? Math.max(2048, size.width);
      const h = this.o.sensorHeight ?? Math.max(2048, size.height);
      return w >= size.width && h >= size.height ? { width: w, height: h } : null;
    };
    if (size.width <= 0 || size.height <= 0) return fallback();
    try {
      const timeoutMs = Math.min(1000, this.o.replyTimeoutMs ?? 3000);
      const left = await this.query({ cmd: Command.CAMERA_ROI_LEFT_GET, cmdDataBits0: CALLBACK }, { timeoutMs, ...(signal ? { signal } : {}) });
      const top = await this.query({ cmd: Command.CAMERA_ROI_TOP_GET, cmdDataBits0: CALLBACK }, { timeoutMs, ...(signal ? { signal } : {}) });
      const l = left.record.int32Data0;
      const t = top.record.int32Data0;
      if (l >= 1 && t >= 1) return { width: size.width + 2 * (l - 1), height: size.height + 2 * (t - 1) };
      this.log('info', `The camera ROI edges read ${l}, ${t}; using the configured sensor size.`);
    } catch (err) {
      if (!isConnectorError(err, 'timeout')) throw err;
      this.log('info', `The camera ROI edges are not reported (${err.message}); using the configured sensor size.`);
    }
    return fallback();
  }

  // --- queries ------------------------------------------------------------------------------

  /**
   * One request through the command channel, re-issued once over a reopened connection
   * when the connection dropped (only for idempotent requests). Logs unusual statuses.
   */
  private async query(init: RecordInit, o: RequestOptions & { idempotent?: boolean } = {}): Promise<CommandMessage> {
    this.assertOpen();
    let msg: CommandMessage;
    try {
      msg = await this.cmd.request(init, o);
    } catch (err) {
      if (!(o.idempotent ?? true) || !isConnectorError(err, 'connection-lost') || this.closed) throw err;
      await this.reconnectCommand();
      msg = await this.cmd.request(init, o);
    }
    const status = msg.record.status;
    if (status !== 0 && status !== 1) this.log('warn', `The reply to ${describeCommand(init.cmd, o.what)} carried status ${status}.`);
    return msg;
  }

  async getState(): Promise<number> {
    const r = await this.query({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK });
    this.noteState(r.record.int32Data0);
    return r.record.int32Data0;
  }

  /**
   * X, Y, Z and R, one STAGE_POSITION_GET per axis. While a run is busy the server often
   * leaves these unanswered (spec §7.2): then, and when asked more often than every
   * `busyPositionPollMs`, the last known values are returned.
   */
  async getPosition(): Promise<StagePosition> {
    const busy = this.activeRun !== null;
    if (busy) {
      const now = performance.now();
      const cached = this.cachedPosition();
      if (cached && now - this.lastBusyPositionPoll < (this.o.busyPositionPollMs ?? 2000)) return cached;
      this.lastBusyPositionPoll = now;
    }
    const out: Partial<StagePosition> = {};
    for (const [key, axis] of [['xMm', Axis.X], ['yMm', Axis.Y], ['zMm', Axis.Z], ['rDeg', Axis.R]] as const) {
      try {
        out[key] = await this.readAxis(axis);
      } catch (err) {
        const cached = this.cachedPosition();
        if (!busy || !isConnectorError(err, 'timeout') || !cached) throw err;
        this.log('info', `Position of ${AXIS_NAMES[axis].toUpperCase()} not answered during a run (normal on a rig); using the last known values.`);
        return { ...cached, ...out };
      }
    }
    return out as StagePosition;
  }

  private cachedPosition(): StagePosition | null {
    const p = this.lastPosition;
    return p.xMm !== undefined && p.yMm !== undefined && p.zMm !== undefined && p.rDeg !== undefined
      ? { xMm: p.xMm, yMm: p.yMm, zMm: p.zMm, rDeg: p.rDeg }
      : null;
  }

  private async readAxis(axis: AxisId): Promise<number> {
    const r = await this.query(
      { cmd: Command.STAGE_POSITION_GET, int32Data0: axis, cmdDataBits0: CALLBACK },
      { what: `axis ${AXIS_NAMES[axis].toUpperCase()}` },
    );
    const v = r.record.doubleData;
    if (!Number.isFinite(v)) throw new ConnectorError('bad-reply', `The position of axis ${AXIS_NAMES[axis].toUpperCase()} came back as ${v}.`);
    this.lastPosition[AXIS_KEY[axis]] = v;
    return v;
  }

  // --- motion -------------------------------------------------------------------------------

  /** Moves the given axes one after another (R, X, Y, Z) and resolves with the read-back position. */
  moveTo(target: Partial<StagePosition>, options: { signal?: AbortSignal } = {}): Promise<StagePosition> {
    const run = async (): Promise<StagePosition> => {
      if (this.activeRun || this.acquiring) throw new ConnectorError('busy', 'The stage cannot be moved while a workflow runs.');
      const info = this.requireInfo();
      const moves: Array<[AxisId, number]> = [];
      for (const [key, axis] of AXIS_ORDER) {
        const v = target[key];
        if (v === undefined) continue;
        const name = AXIS_NAMES[axis].toUpperCase();
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConnectorError('invalid', `Target ${name} must be a finite number, got ${String(v)}.`);
        const lim = info.softLimits[AXIS_NAMES[axis]];
        if (v < lim.min || v > lim.max) {
          throw new ConnectorError('invalid', `Target ${name} = ${v}${unit(axis)} is outside the soft limits ${lim.min}–${lim.max}${unit(axis)}.`);
        }
        moves.push([axis, v]);
      }
      for (const [axis, v] of moves) await this.moveAxis(axis, v, options.signal);
      return this.getPosition();
    };
    const p = this.motionTail.then(run, run);
    this.motionTail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async moveAxis(axis: AxisId, value: number, signal?: AbortSignal): Promise<void> {
    const name = AXIS_NAMES[axis].toUpperCase();
    const velocity = this.infoValue?.velocity[AXIS_KEY[axis]] ?? 1;
    const from = this.lastPosition[AXIS_KEY[axis]];
    const travelMs = from !== undefined && velocity > 0 ? (Math.abs(value - from) / velocity) * 1000 : 30_000;
    const timeoutMs = (this.o.motionTimeoutMs ?? 10_000) + 2 * travelMs;
    const what = `axis ${name} to stop moving at ${value}${unit(axis)} (STAGE_MOTION_STOPPED, status 1)`;
    // Armed before the move: a short move can stop before its ack is processed (spec §5).
    const stopped = this.cmd.waitFor((r) => r.cmd === Command.STAGE_MOTION_STOPPED && r.int32Data0 === axis && r.status === 1, {
      timeoutMs,
      what,
      ...(signal ? { signal } : {}),
    });
    try {
      await this.query(
        { cmd: Command.STAGE_POSITION_SET, int32Data0: axis, doubleData: value, cmdDataBits0: CALLBACK },
        { what: `axis ${name} to ${value}${unit(axis)}`, ...(signal ? { signal } : {}) },
      );
    } catch (err) {
      stopped.cancel();
      throw err;
    }
    await stopped.promise;
    const settle = this.o.motionSettleMs ?? 100;
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    const actual = await this.readAxis(axis);
    const tolerance = axis === Axis.R ? (this.o.positionToleranceDeg ?? 0.05) : (this.o.positionToleranceMm ?? 0.01);
    if (Math.abs(actual - value) > tolerance) {
      throw new ConnectorError('bad-reply', `Axis ${name} reads ${actual}${unit(axis)} after a move to ${value}${unit(axis)}.`);
    }
  }

  // --- live view ----------------------------------------------------------------------------

  async startLiveView(options: { bufferFrames?: number } = {}): Promise<LiveView> {
    this.requireInfo();
    if (this.activeRun || this.acquiring) {
      throw new ConnectorError('busy', 'Live view cannot start while a workflow runs (LIVE_VIEW_START during a run can crash the server, spec §6.5).');
    }
    if (this.liveView) throw new ConnectorError('busy', 'Live view is already running; stop it before starting another.');
    await this.ensureLive();
    const view = new FlamingoLiveView(options.bufferFrames ?? this.o.liveBufferFrames ?? 4, (v) => this.stopLiveView(v));
    this.liveView = view;
    try {
      await this.query({ cmd: Command.CAMERA_LIVE_VIEW_START, int32Data0: 0, cmdDataBits0: CALLBACK });
    } catch (err) {
      this.liveView = null;
      view.queue.close();
      throw err;
    }
    return view;
  }

  private async stopLiveView(view: FlamingoLiveView): Promise<void> {
    if (this.liveView !== view) return;
    try {
      if (!this.closed) await this.query({ cmd: Command.CAMERA_LIVE_VIEW_STOP, cmdDataBits0: CALLBACK });
    } finally {
      this.liveView = null;
      this.droppedBefore += view.dropped;
      view.queue.close();
    }
  }

  // --- acquisition --------------------------------------------------------------------------

  async acquire(plan: AcquisitionPlan, options: { signal?: AbortSignal; bufferFrames?: number } = {}): Promise<AcquisitionRun> {
    const info = this.requireInfo();
    if (this.activeRun || this.acquiring) throw new ConnectorError('busy', 'An acquisition is already running.');
    const planReasons = validatePlan(plan);
    if (planReasons.length > 0) throw new ConnectorError('invalid', `The acquisition plan is not valid: ${planReasons.join(' ')}`);
    this.acquiring = true;
    try {
      // Live view off before the ROI is set (spec §8.7 step 1); nothing else touches live view around a run.
      if (this.liveView) await this.liveView.stop();
      const roi = plan.roi ?? { width: info.width, height: info.height };
      await this.setRoi(roi.width, roi.height);
      const position = await this.getPosition();
      const ctx: PlanContext = {
        pixelSizeUm: info.reportedPixelSizeUm ?? info.pixelSizeUm,
        roiWidth: roi.width,
        roiHeight: roi.height,
        lasers: info.lasers,
        rDeg: position.rDeg,
      };
      const settings = planWorkflowSettings(plan, ctx);
      if (this.o.preflight ?? true) {
        const reasons = validateWorkflow(settings, info.hardLimits, planFieldOfView(plan, ctx));
        if (reasons.length > 0) throw new ConnectorError('invalid', `The microscope would reject this workflow: ${reasons.join(' ')}`);
      }
      const stacks = planStacks(plan, ctx);
      const text = buildWorkflowText(settings);
      await this.ensureLive(); // connected before 12292, without LIVE_VIEW_START (spec §8.7 step 3)
      const gap = this.lastRunEndedAt + (this.o.interRunGapMs ?? 3000) - performance.now();
      if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      const run = new WorkflowRun({
        stacks,
        workflowText: text,
        timing: this.timing,
        frameRate: settings.experiment.frameRate,
        ...(options.bufferFrames !== undefined ? { bufferFrames: options.bufferFrames } : { bufferFrames: this.o.runBufferFrames ?? 1024 }),
        ...(this.o.runBufferBytes !== undefined ? { bufferBytes: this.o.runBufferBytes } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        io: {
          // Never re-sent: a workflow start is not idempotent (spec §11.3 item 14).
          sendStart: (bytes) => this.cmd.send({ cmd: Command.CAMERA_WORK_FLOW_START, cmdDataBits0: CALLBACK }, bytes),
          sendStop: () => this.sendStop(),
          pollState: () => this.getState(),
          reconnect: () => {
            this.cmd.destroySocket();
            return this.reconnectCommand();
          },
          liveLastDataMs: () => this.live.lastDataMonotonicMs,
          emit: (e) => this.emit(e),
          log: (level, message) => this.log(level, message),
          ended: () => {
            if (this.activeRun === run) {
              this.droppedBefore += run.frames.dropped;
              this.activeRun = null;
              this.lastRunEndedAt = performance.now();
            }
          },
        },
      });
      this.activeRun = run;
      this.log('info', `Starting a ${plan.kind} workflow: ${stacks.length} stacks, ${stacks.reduce((n, s) => n + s.planes, 0)} frames.`);
      await run.start();
      return run;
    } catch (err) {
      this.activeRun = null;
      throw err;
    } finally {
      this.acquiring = false;
    }
  }

  /** CAMERA_ROI_LEFT_SET then CAMERA_ROI_TOP_SET (reply code 0x3011), confirmed by CAMERA_IMAGE_SIZE_GET. */
  private async setRoi(width: number, height: number): Promise<void> {
    const sensor = this.sensor;
    if (!sensor) throw new ConnectorError('invalid', 'The camera sensor size is unknown, so the ROI cannot be set; pass sensorWidth/sensorHeight.');
    if (width > sensor.width || height > sensor.height) {
      throw new ConnectorError('invalid', `A ${width} × ${height} ROI does not fit the ${sensor.width} × ${sensor.height} sensor.`);
    }
    const left = Math.floor((sensor.width - width) / 2) + 1;
    const top = Math.floor((sensor.height - height) / 2) + 1;
    await this.query({ cmd: Command.CAMERA_ROI_LEFT_SET, int32Data0: left, cmdDataBits0: CALLBACK }, { what: `left edge ${left}` });
    await this.query({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: top, cmdDataBits0: CALLBACK }, { what: `top edge ${top}` });
    const size = await this.imageSize();
    if (size.width !== width || size.height !== height) {
      throw new ConnectorError('bad-reply', `The camera reports ${size.width} × ${size.height} after a ${width} × ${height} ROI was set (edges ${left}, ${top}).`);
    }
    if (this.infoValue) {
      this.infoValue.width = width;
      this.infoValue.height = height;
    }
  }

  /** CAMERA_WORK_FLOW_STOP: all fields 0, no flag; its reply comes back through the single reader (spec §8.11). */
  private async sendStop(): Promise<void> {
    await this.query({ cmd: Command.CAMERA_WORK_FLOW_STOP }, { timeoutMs: this.o.stopTimeoutMs ?? 5000, what: 'the running workflow' });
  }

  // --- routing ------------------------------------------------------------------------------

  private onUnsolicited(msg: CommandMessage): void {
    const r: FlamingoRecord = msg.record;
    if (STATE_CODES.has(r.cmd)) {
      this.noteState(r.cmd);
      this.activeRun?.onRecord(r);
      return;
    }
    if (r.cmd === Command.STAGE_MOTION_STOPPED) {
      if (r.status !== 1) this.log('warn', `Motion stopped for axis ${r.int32Data0} with status ${r.status}; only status 1 counts as arrived.`);
      this.emit({ type: 'motion-stopped', axis: r.int32Data0 });
      return;
    }
    if (RUN_CODES.has(r.cmd)) {
      if (this.activeRun) this.activeRun.onRecord(r);
      else if (r.cmd !== Command.LASER_LEVEL_GET && r.cmd !== Command.LED_PREVIEW_DISABLE) {
        this.log('info', `Ignored ${describeCommand(r.cmd)} outside a run.`);
      }
      return;
    }
    this.log('info', `Dropped ${describeCommand(r.cmd)} (status ${r.status}): no request was waiting for it.`);
  }

  private onLiveFrame(f: LiveFrame): void {
    if (this.activeRun) this.activeRun.onFrame(f);
    else if (this.liveView) this.liveView.push(f);
  }

  private noteState(state: number): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.emit({ type: 'state', state });
  }

  private onCommandClosed(reason: string): void {
    this.emit({ type: 'disconnected', reason });
    this.log('warn', `Disconnected: ${reason}.`);
    this.activeRun?.onCommandDropped(reason);
    this.reconnectCommand().catch((err: unknown) => {
      this.log('error', errorMessage(err));
      this.activeRun?.onCommandLost(errorMessage(err));
    });
  }

  private onLiveClosed(reason: string, incompleteBytes: number): void {
    this.emit({ type: 'disconnected', reason });
    this.log('warn', `Disconnected: ${reason}.`);
    this.activeRun?.onLiveDropped(reason, incompleteBytes);
    if (!this.activeRun && !this.liveView) return; // reopened when next needed
    this.reconnectLive().catch((err: unknown) => {
      this.log('error', errorMessage(err));
      this.activeRun?.onLiveLost(errorMessage(err));
    });
  }

  /** One attempt to reopen the command connection; concurrent callers share it. */
  private reconnectCommand(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectorError('closed', 'The connector is closed.'));
    if (this.cmd.connected) return Promise.resolve();
    this.reconnectingCmd ??= this.cmd
      .connect()
      .then(
        () => {
          this.reconnects++;
          this.emit({ type: 'reconnected' });
          this.log('info', `Reconnected to ${this.host}:${this.port}.`);
          this.activeRun?.onCommandReconnected();
        },
        (err: unknown) => {
          throw new ConnectorError('connection-lost', `Lost the connection to the microscope at ${this.host}:${this.port} and could not reconnect: ${errorMessage(err)}`, {
            cause: err,
          });
        },
      )
      .finally(() => {
        this.reconnectingCmd = null;
      });
    return this.reconnectingCmd;
  }

  private reconnectLive(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectorError('closed', 'The connector is closed.'));
    if (this.live.connected) return Promise.resolve();
    this.reconnectingLive ??= this.live
      .connect()
      .then(
        () => {
          this.reconnects++;
          this.emit({ type: 'reconnected' });
          this.log('info', `Reconnected to the live port ${this.host}:${this.livePort}.`);
        },
        (err: unknown) => {
          throw new ConnectorError('connection-lost', `Lost the live connection ${this.host}:${this.livePort} and could not reconnect: ${errorMessage(err)}`, {
            cause: err,
          });
        },
      )
      .finally(() => {
        this.reconnectingLive = null;
      });
    return this.reconnectingLive;
  }

  private async ensureLive(): Promise<void> {
    if (this.live.connected) return;
    await this.live.connect();
  }

  // --- lifecycle ----------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.liveView) await this.liveView.stop().catch((err: unknown) => this.log('warn', `Stopping live view on close failed: ${errorMessage(err)}`));
    this.closed = true;
    const run = this.activeRun;
    if (run) {
      this.log('warn', 'The connector was closed while a workflow runs; the microscope keeps running it.');
      run.abandon('The connector was closed while the workflow was running; the microscope was not told to stop.');
    }
    await Promise.all([this.cmd.close(), this.live.close()]);
  }

  private requireInfo(): MicroscopeInfo {
    this.assertOpen();
    if (!this.infoValue) throw new ConnectorError('closed', 'Not connected: call connect() first.');
    return this.infoValue;
  }

  private assertOpen(): void {
    if (this.closed) throw new ConnectorError('closed', 'This connector is closed.');
  }

  private emit(event: ConnectorEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A listener's own failure must not break the reader; it is reported once below.
        if (event.type !== 'log') this.log('error', `A connector event listener threw while handling a '${event.type}' event.`);
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
    this.emit({ type: 'log', level, message });
  }
}
