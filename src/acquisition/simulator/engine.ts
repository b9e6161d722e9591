/**
 * The simulated Flamingo control server as a pure state machine: it takes decoded
 * command records from numbered client connections and answers through an output
 * interface (a reply to one connection, a broadcast to all, a frame to the viewers).
 * It keeps the stage, ROI, exposure, lasers, LED, state, live view, snapshot and
 * workflows, and applies the reply rules of spec §2.4, §4.3 and §11.2 and the quirk
 * switches. No sockets here: `server.ts` wires it to TCP.
 *
 * @example
 * const engine = new SimulatorEngine({ frameWidth: 128, frameHeight: 128, timeScale: 0.05 }, {
 *   send: (client, bytes) => sockets[client].write(bytes),
 *   broadcast: (bytes) => sockets.forEach((s) => s.write(bytes)),
 *   frame: (f) => viewers.forEach((v) => v.enqueue(f)),
 *   log: () => {},
 * });
 * engine.handle(1, { record, payload });
 */

import { Command, serverReplies } from '../protocol/codes.ts';
import type { CommandMessage } from '../protocol/command-stream.ts';
import { FRAME_HEADER_SIZE, ImageOptions, SystemState } from '../protocol/constants.ts';
import { writeFrameHeader } from '../protocol/frame.ts';
import { encodeRecord, encodeRecordWithPayload, hasCallbackFlag, type FlamingoRecord, type RecordInit } from '../protocol/record.ts';
import { defaultScopeSettingsText, parseScopeSettings, type ScopeSettings } from '../protocol/scope-settings.ts';
import { decodeProtocolText } from '../protocol/sectioned-text.ts';
import { tileFieldOfView } from '../protocol/tile-geometry.ts';
import { expandWorkflow, validateWorkflow } from '../protocol/workflow-stacks.ts';
import { parseWorkflowText, type WorkflowSettings } from '../protocol/workflow.ts';
import { displayRange } from './camera.ts';
import { FrameSource, accumulateMax, type FrameRequest } from './frame-source.ts';
import type { PooledPayload } from './payload-pool.ts';
import { LED_CHANNEL, createPhantom, type Phantom } from './phantom.ts';
import { resolveQuirks, type QuirkSwitches } from './quirks.ts';
import { Rng, deriveSeed } from './random.ts';
import { AXIS_ID, AXIS_KEYS, Stage, type AxisKey } from './stage.ts';
import { WorkflowRun, type RunHost } from './workflow-runner.ts';

/** One message for the live port: a 40-byte header and its pixels (null for an options-only header). */
export interface LiveFrame {
  header: Uint8Array;
  /** Shared pixels; a receiver that keeps them past the call must `retain()` and later `release()`. */
  payload: PooledPayload | null;
}

export interface EngineOutput {
  /** Bytes for one command connection. `quietAfterMs`: send nothing else on it for that long afterwards. */
  send(clientId: number, bytes: Uint8Array, quietAfterMs?: number): void;
  /** Bytes for every command connection. */
  broadcast(bytes: Uint8Array): void;
  /** A message for every live viewer. */
  frame(frame: LiveFrame): void;
  log(line: string): void;
}

export interface EngineOptions {
  /** Phantom seed (default 1). */
  seed?: number;
  /** Sensor size = initial ROI (default 2048 × 2048). */
  frameWidth?: number;
  frameHeight?: number;
  /** Applied over the profile. */
  quirks?: Partial<QuirkSwitches>;
  profile?: 'default' | 'rig';
  /** Camera rate cap (default 40.2). */
  maxFps?: number;
  /** Multiplies every simulated duration (moves, frame interval, min busy time). Default 1. */
  timeScale?: number;
  /** ScopeSettings served on 4105; default: the §9.4 text with this host and port. */
  settingsText?: string;
  host?: string;
  port?: number;
  phantom?: Phantom;
  /** Byte budget of the clean-plane cache (default 256 MiB). */
  planeCacheBytes?: number;
  /**
   * Keep the camera rate when frame synthesis cannot, by replaying the newest finished frame
   * (frames then carry another plane's pixels). For throughput benchmarks; default false: every
   * frame shows its plane, and a busy machine slows the camera down.
   */
  replayWhenBehind?: boolean;
  now?: () => number;
}

/** The camera and sample settings a simulator server passes to its engine (TCP and in-memory alike). */
export type EngineSettings = Pick<EngineOptions, 'seed' | 'frameWidth' | 'frameHeight' | 'profile' | 'quirks' | 'maxFps' | 'timeScale' | 'settingsText' | 'replayWhenBehind'>;

/** The engine options for a server's settings at `host:port`. */
export function engineOptions(o: EngineSettings, host: string, port: number): EngineOptions {
  const { seed, frameWidth, frameHeight, profile, quirks, maxFps, timeScale, settingsText, replayWhenBehind } = o;
  return { seed, frameWidth, frameHeight, profile, quirks, maxFps, timeScale, settingsText, replayWhenBehind, host, port };
}

export interface EngineStats {
  recordsReceived: number;
  framesProduced: number;
  framesQuirkDropped: number;
  workflowsStarted: number;
  workflowsCompleted: number;
  workflowsRejected: number;
  workflowsStopped: number;
  state: number;
  crashed: boolean;
}

/** Settings-load reply: nothing else on that connection for this long afterwards (spec §9.1). */
export const SETTINGS_QUIET_MS = 200;
/** The storage drive list served on STORAGE_PATH_GET. */
export const STORAGE_DRIVES = '/media/deploy/ctlsm1';
const DEFAULT_EXPOSURE_US = 10000;
const DEFAULT_LASER_POWER = 10;
const MIN_ROI = 8;
/** Quirk rates. */
const DROP_FRAME_CHANCE = 0.03;
const OPTIONS_HEADER_CHANCE = 0.05;

interface Ctx {
  clientId: number;
  record: FlamingoRecord;
  payload: Uint8Array | null;
  /** Whether the general rule answers this record. */
  answer: boolean;
}

/** A reply's fields (spec §2.4): status 1, the request's IDs and flags echoed, its code unless `fields` names another. */
function replyFields(request: FlamingoRecord, fields: Partial<RecordInit>): RecordInit {
  return {
    status: 1,
    hardwareID: request.hardwareID,
    subsystemID: request.subsystemID,
    clientID: request.clientID,
    cmdDataBits0: request.cmdDataBits0,
    ...fields,
    cmd: fields.cmd ?? request.cmd,
  };
}

export class SimulatorEngine implements RunHost {
  readonly quirks: QuirkSwitches;
  readonly timeScale: number;
  readonly maxFps: number;
  readonly rng: Rng;
  readonly phantom: Phantom;
  readonly frames: FrameSource;
  readonly stage: Stage;
  readonly sensor: { width: number; height: number };
  readonly now: () => number;
  private readonly out: EngineOutput;
  private settingsText: string;
  private scope: ScopeSettings;
  private roi: { left: number; top: number };
  private exposureUs = DEFAULT_EXPOSURE_US;
  private readonly laserPower = new Map<number, number>();
  private previewLaser: number | null = 1;
  private led = { on: false, colour: 1, level: 48767 };
  private illum = { left: true, right: false };
  private state: number = SystemState.IDLE;
  private live: { mode: 'stream' | 'on-change'; t0: number; k: number; intervalMs: number } | null = null;
  private liveTimer: ReturnType<typeof setTimeout> | null = null;
  private changeTimer: ReturnType<typeof setTimeout> | null = null;
  private snapshotTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly moveTimers = new Map<AxisKey, ReturnType<typeof setTimeout>>();
  private run: WorkflowRun | null = null;
  private crashed = false;
  private closed = false;
  private readonly quirkRng: Rng;
  private readonly counters = {
    recordsReceived: 0,
    framesProduced: 0,
    framesQuirkDropped: 0,
    workflowsStarted: 0,
    workflowsCompleted: 0,
    workflowsRejected: 0,
    workflowsStopped: 0,
  };

  constructor(options: EngineOptions, out: EngineOutput) {
    const seed = options.seed ?? 1;
    this.out = out;
    this.now = options.now ?? (() => performance.now());
    this.quirks = resolveQuirks(options.profile ?? 'default', options.quirks);
    this.timeScale = options.timeScale ?? 1;
    this.maxFps = options.maxFps ?? 40.2;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be positive, got ${this.timeScale}.`);
    if (!(this.maxFps > 0)) throw new Error(`maxFps must be positive, got ${this.maxFps}.`);
    const width = options.frameWidth ?? 2048;
    const height = options.frameHeight ?? 2048;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < MIN_ROI || height < MIN_ROI) {
      throw new Error(`Frame size must be whole numbers of at least ${MIN_ROI} pixels, got ${width} × ${height}.`);
    }
    this.sensor = { width, height };
    this.roi = { left: 1, top: 1 };
    this.rng = new Rng(deriveSeed(seed, 'workflow'));
    this.quirkRng = new Rng(deriveSeed(seed, 'quirks'));
    this.settingsText =
      options.settingsText ?? defaultScopeSettingsText({ name: 'simscope', host: options.host ?? '127.0.0.1', port: options.port ?? 53717 });
    this.scope = parseScopeSettings(this.settingsText);
    this.phantom = options.phantom ?? createPhantom(seed);
    this.frames = new FrameSource(this.phantom, { seed, planeCacheBytes: options.planeCacheBytes, replayWhenBehind: options.replayWhenBehind });
    this.stage = new Stage({
      now: this.now,
      position: { ...this.scope.home },
      velocity: { ...this.scope.velocity },
      limits: this.scope.softLimits,
      timeScale: this.timeScale,
    });
    for (let l = 1; l <= 4; l++) this.laserPower.set(l, DEFAULT_LASER_POWER);
  }

  // --- RunHost ------------------------------------------------------------------

  roiSize(): { width: number; height: number } {
    return {
      width: this.sensor.width - 2 * (this.roi.left - 1),
      height: this.sensor.height - 2 * (this.roi.top - 1),
    };
  }

  pixelSizeUm(): number {
    return this.scope.pixelSizeUm;
  }

  broadcastRecord(init: RecordInit): void {
    this.out.broadcast(encodeRecord({ status: 1, ...init }));
  }

  setState(state: number): void {
    if (state === this.state) return;
    this.state = state;
    this.broadcastRecord({ cmd: state });
  }

  takeFrame(
    req: FrameRequest,
    header: { optionsSettings1: number; imageIndexStart: number; imageIndexStop: number },
    o: { live: boolean; mip: Uint16Array | null; intervalMs: number },
  ): void {
    const dropped = o.live && this.quirks.droppedFrames && this.quirkRng.chance(DROP_FRAME_CHANCE);
    if (dropped) this.counters.framesQuirkDropped++;
    if (!o.mip && (!o.live || dropped)) return;
    const f = this.frames.next(req, o.intervalMs);
    try {
      if (o.mip) accumulateMax(o.mip, f.payload.pixels);
      if (o.live && !dropped) {
        if (this.quirks.sizeZeroHeaders && this.quirkRng.chance(OPTIONS_HEADER_CHANCE)) this.sendOptionsHeader(f.scaleMin, f.scaleMax);
        const bytes = new Uint8Array(FRAME_HEADER_SIZE);
        writeFrameHeader({ width: req.width, height: req.height, scaleMin: f.scaleMin, scaleMax: f.scaleMax, ...header }, bytes);
        this.counters.framesProduced++;
        this.out.frame({ header: bytes, payload: f.payload });
      }
    } finally {
      f.payload.release();
    }
  }

  sendProjection(mip: Uint16Array, width: number, height: number, planes: number): void {
    const payload = this.frames.pool.acquire(width * height * 2);
    try {
      payload.pixels.set(mip);
      const { min, max } = displayRange(mip);
      const bytes = new Uint8Array(FRAME_HEADER_SIZE);
      writeFrameHeader(
        {
          width,
          height,
          scaleMin: min,
          scaleMax: max,
          optionsSettings1: ImageOptions.MAX_PROJECTION,
          imageIndexStart: 0,
          imageIndexStop: planes - 1,
        },
        bytes,
      );
      this.counters.framesProduced++;
      this.out.frame({ header: bytes, payload });
    } finally {
      payload.release();
    }
  }

  log(line: string): void {
    this.out.log(line);
  }

  // --- Public -------------------------------------------------------------------

  get systemState(): number {
    return this.state;
  }

  get workflowRunning(): boolean {
    return this.run !== null;
  }

  stats(): EngineStats {
    return { ...this.counters, state: this.state, crashed: this.crashed };
  }

  /** The ScopeSettings text currently served. */
  get scopeSettingsText(): string {
    return this.settingsText;
  }

  get scopeSettings(): ScopeSettings {
    return this.scope;
  }

  /** Stops every timer and run; the engine answers nothing afterwards. */
  close(): void {
    this.closed = true;
    this.run?.abort();
    this.run = null;
    this.stopLive();
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    for (const t of this.moveTimers.values()) clearTimeout(t);
    this.moveTimers.clear();
    this.frames.clear();
  }

  handle(clientId: number, message: CommandMessage): void {
    if (this.closed) return;
    this.counters.recordsReceived++;
    if (this.crashed) return;
    const r = message.record;
    const ctx: Ctx = { clientId, record: r, payload: message.payload, answer: serverReplies(r.cmd, hasCallbackFlag(r.cmdDataBits0)) };
    try {
      this.dispatch(ctx);
    } catch (err) {
      this.out.log(`command 0x${r.cmd.toString(16)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // --- Replies ------------------------------------------------------------------

  private reply(ctx: Ctx, fields: Omit<RecordInit, 'cmd'> & { cmd?: number } = {}): void {
    if (!ctx.answer) return;
    const r = ctx.record;
    this.out.send(
      ctx.clientId,
      encodeRecord(replyFields(r, fields)),
    );
  }

  private replyWithPayload(ctx: Ctx, payload: string | Uint8Array, fields: Partial<RecordInit> = {}, quietAfterMs?: number): void {
    if (!ctx.answer) return;
    const r = ctx.record;
    this.out.send(
      ctx.clientId,
      encodeRecordWithPayload(replyFields(r, fields), payload),
      quietAfterMs,
    );
  }

  private dispatch(ctx: Ctx): void {
    const r = ctx.record;
    const running = this.run !== null;
    switch (r.cmd) {
      case Command.COMMON_SCOPE_SETTINGS_LOAD:
        this.replyWithPayload(ctx, this.settingsText, { cmd: Command.COMMON_SCOPE_SETTINGS }, SETTINGS_QUIET_MS);
        return;
      case Command.COMMON_SCOPE_SETTINGS_SAVE:
        this.saveSettings(ctx);
        return;
      case Command.STORAGE_PATH_GET:
        this.replyWithPayload(ctx, STORAGE_DRIVES);
        return;
      case Command.SYSTEM_STATE_GET:
        this.reply(ctx, { int32Data0: this.state });
        return;
      case Command.STAGE_POSITION_GET: {
        const axis = axisOf(r.int32Data0);
        if (!axis) {
          this.out.log(`STAGE_POSITION_GET for unknown axis ${r.int32Data0}: not answered`);
          return;
        }
        if (running && this.quirks.positionSilenceDuringRun) return;
        this.reply(ctx, { int32Data0: r.int32Data0, doubleData: this.stage.reported(axis) });
        return;
      }
      case Command.STAGE_POSITION_SET:
      case Command.STAGE_POSITION_SET_SLIDER:
        this.reply(ctx);
        this.moveAxis(r.int32Data0, r.doubleData);
        return;
      case Command.STAGE_HALT:
        this.reply(ctx);
        if (!running) for (const a of this.stage.halt()) this.motionStopped(a);
        return;
      case Command.STAGE_HOME:
        this.reply(ctx);
        if (!running) for (const a of AXIS_KEYS) this.moveAxis(AXIS_ID[a], this.scope.home[a]);
        return;
      case Command.CAMERA_WORK_FLOW_START:
        this.startWorkflow(ctx);
        return;
      case Command.CAMERA_WORK_FLOW_STOP:
        this.reply(ctx);
        this.stopWorkflow();
        return;
      case Command.CAMERA_LIVE_VIEW_START:
        this.liveViewStart(ctx);
        return;
      case Command.CAMERA_LIVE_VIEW_STOP:
        this.reply(ctx);
        if (!running && this.live) {
          this.stopLive();
          this.setState(SystemState.IDLE);
        }
        return;
      case Command.CAMERA_SNAPSHOT:
        this.reply(ctx);
        this.snapshot();
        return;
      case Command.CAMERA_EXPOSURE_SET:
        if (r.int32Data0 > 0) {
          this.exposureUs = r.int32Data0;
          this.restartLiveClock();
          this.changed();
        } else {
          this.out.log(`CAMERA_EXPOSURE_SET with ${r.int32Data0} µs ignored`);
        }
        this.reply(ctx);
        return;
      case Command.CAMERA_EXPOSURE_GET:
        this.reply(ctx, { int32Data0: this.exposureUs });
        return;
      case Command.CAMERA_ROI_LEFT_SET:
        this.setRoiEdge('left', r.int32Data0);
        this.reply(ctx);
        return;
      case Command.CAMERA_ROI_TOP_SET:
        // The reply carries code 0x3011 (= CAMERA_STACK_COMPLETE); it goes out at once, so no
        // stack-complete can come before it.
        this.setRoiEdge('top', r.int32Data0);
        this.reply(ctx, { cmd: Command.CAMERA_ROI_TOP_SET });
        return;
      case Command.CAMERA_ROI_LEFT_GET:
        this.reply(ctx, { int32Data0: this.roi.left });
        return;
      case Command.CAMERA_ROI_TOP_GET:
        this.reply(ctx, { int32Data0: this.roi.top });
        return;
      case Command.CAMERA_IMAGE_SIZE_GET: {
        const { width, height } = this.roiSize();
        this.reply(ctx, { int32Data0: width, int32Data1: height });
        return;
      }
      case Command.CAMERA_PIXEL_FIELD_OF_VIEW_GET:
        this.reply(ctx, { doubleData: this.scope.pixelSizeUm / 1000 });
        return;
      case Command.CAMERA_CHECK_STACK:
        this.checkStack(ctx);
        return;
      case Command.LASER_LEVEL_SET: {
        const power = Number.parseFloat(r.text);
        if (r.int32Data0 >= 1 && r.int32Data0 <= 4 && Number.isFinite(power) && power >= 0 && power <= 100) {
          this.laserPower.set(r.int32Data0, power);
          this.changed();
        } else {
          this.out.log(`LASER_LEVEL_SET laser ${r.int32Data0} '${r.text}' ignored`);
        }
        return; // never answered
      }
      case Command.LASER_LEVEL_GET: {
        const power = this.laserPower.get(r.int32Data0);
        this.reply(ctx, { int32Data0: r.int32Data0, text: power === undefined ? 'getLevel error' : power.toFixed(2) });
        return;
      }
      case Command.LASER_PREVIEW_ENABLE:
        if (r.int32Data0 >= 1 && r.int32Data0 <= 4) {
          this.previewLaser = r.int32Data0;
          this.changed();
        }
        return; // never answered
      case Command.LASER_DISABLE_ALL:
        // py2flamingo sends it once per laser with the laser in int32Data0; 0 means all.
        if (r.int32Data0 === 0 || r.int32Data0 === this.previewLaser) {
          this.previewLaser = null;
          this.changed();
        }
        return; // never answered
      case Command.LED_SET:
        if (r.int32Data0 >= 0 && r.int32Data0 <= 3) this.led.colour = r.int32Data0;
        if (r.int32Data1 > 0) this.led.level = r.int32Data1;
        this.changed();
        this.replyLedIllumination(ctx);
        return;
      case Command.LED_PREVIEW_ENABLE:
        this.led.on = true;
        this.changed();
        this.replyLedIllumination(ctx);
        return;
      case Command.LED_PREVIEW_DISABLE:
        this.led.on = false;
        this.changed();
        this.replyLedIllumination(ctx);
        return;
      case Command.ILLUMINATION_LEFT_ENABLE:
      case Command.ILLUMINATION_LEFT_DISABLE:
      case Command.ILLUMINATION_RIGHT_ENABLE:
      case Command.ILLUMINATION_RIGHT_DISABLE: {
        const on = r.cmd === Command.ILLUMINATION_LEFT_ENABLE || r.cmd === Command.ILLUMINATION_RIGHT_ENABLE;
        if (r.cmd <= Command.ILLUMINATION_LEFT_DISABLE) this.illum.left = on;
        else this.illum.right = on;
        this.changed();
        this.replyLedIllumination(ctx);
        return;
      }
      default:
        // Every other code: answered (plain ack) with the flag, per the general rule.
        this.reply(ctx);
    }
  }

  private replyLedIllumination(ctx: Ctx): void {
    if (this.quirks.silentLedIllumination) return;
    this.reply(ctx);
  }

  // --- Settings -----------------------------------------------------------------

  private saveSettings(ctx: Ctx): void {
    const bytes = ctx.payload;
    let ok = false;
    if (bytes && bytes.length > 0) {
      try {
        const text = decodeProtocolText(bytes);
        const parsed = parseScopeSettings(text);
        this.settingsText = text;
        this.scope = parsed;
        this.stage.limits = parsed.softLimits;
        this.stage.velocity = { ...parsed.velocity };
        ok = true;
        this.out.log(`ScopeSettings saved (${bytes.length} bytes)`);
      } catch (err) {
        this.out.log(`ScopeSettings save refused: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      this.out.log('ScopeSettings save without text refused');
    }
    // py2flamingo counts only status 0 as success (spec §2.4).
    this.reply(ctx, { status: ok ? 0 : 1 });
  }

  // --- Stage --------------------------------------------------------------------

  private moveAxis(axisId: number, target: number): void {
    const axis = axisOf(axisId);
    if (!axis) {
      this.out.log(`move on unknown axis ${axisId} ignored`);
      return;
    }
    if (this.run) {
      this.out.log(`move of ${axis.toUpperCase()} during a workflow ignored`);
      return;
    }
    if (!Number.isFinite(target)) {
      this.out.log(`move of ${axis.toUpperCase()} to ${target} ignored`);
      return;
    }
    const m = this.stage.move(axis, target);
    if (m.clamped) this.out.log(`move of ${axis.toUpperCase()} to ${target} clamped to ${m.target} (soft limits)`);
    const old = this.moveTimers.get(axis);
    if (old) clearTimeout(old);
    this.moveTimers.set(
      axis,
      setTimeout(
        () => {
          this.moveTimers.delete(axis);
          if (this.stage.currentMoveId(axis) !== m.id || this.crashed) return;
          this.motionStopped(axis);
        },
        // Timers may fire a little early on the monotonic clock; never report a stop before the end.
        Math.max(0, Math.ceil(m.endsAt - this.now()) + 1),
      ),
    );
  }

  private motionStopped(axis: AxisKey): void {
    const t = this.moveTimers.get(axis);
    if (t) {
      clearTimeout(t);
      this.moveTimers.delete(axis);
    }
    this.broadcastRecord({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: AXIS_ID[axis] });
    this.changed(axis);
  }

  // --- Camera -------------------------------------------------------------------

  private setRoiEdge(edge: 'left' | 'top', value: number): void {
    const sensor = edge === 'left' ? this.sensor.width : this.sensor.height;
    const size = sensor - 2 * (value - 1);
    if (this.run) {
      this.out.log(`ROI change during a workflow ignored`);
      return;
    }
    if (!Number.isInteger(value) || value < 1 || size < MIN_ROI) {
      this.out.log(`ROI ${edge} edge ${value} ignored (sensor ${sensor} px)`);
      return;
    }
    this.roi[edge] = value;
    this.changed();
  }

  /** What the live camera sees now. */
  private liveRequest(): FrameRequest {
    const { width, height } = this.roiSize();
    const pos = this.stage.snapshot();
    const expo = this.exposureUs / 10000;
    let sources: FrameRequest['sources'] = [];
    const side: 'left' | 'right' = this.illum.left || !this.illum.right ? 'left' : 'right';
    if (this.led.on) {
      sources = [{ channel: LED_CHANNEL, scale: (this.led.level / 48767) * expo }];
    } else if (this.previewLaser !== null && (this.illum.left || this.illum.right)) {
      const laser = this.previewLaser;
      sources = [{ channel: side === 'left' ? laser - 1 : laser + 3, scale: ((this.laserPower.get(laser) ?? 0) / 10) * expo }];
    }
    return { xMm: pos.x, yMm: pos.y, zMm: pos.z, width, height, pixelSizeUm: this.scope.pixelSizeUm, side, sources };
  }

  private liveIntervalMs(): number {
    return Math.max(this.exposureUs / 1000, 1000 / this.maxFps) * this.timeScale;
  }

  private sendLiveFrame(intervalMs: number): void {
    this.takeFrame(
      this.liveRequest(),
      { optionsSettings1: ImageOptions.IMAGE_DATA, imageIndexStart: 0, imageIndexStop: 0 },
      { live: true, mip: null, intervalMs },
    );
  }

  private sendOptionsHeader(scaleMin: number, scaleMax: number): void {
    const header = new Uint8Array(FRAME_HEADER_SIZE);
    writeFrameHeader(
      { imageSize: 0, width: 0, height: 0, scaleMin, scaleMax, optionsSettings1: ImageOptions.CROSSHAIR, optionsSettings2: 0 },
      header,
    );
    this.out.frame({ header, payload: null });
  }

  private liveViewStart(ctx: Ctx): void {
    if (this.run) {
      if (this.quirks.crashOnLiveViewDuringRun) {
        this.crash();
        return;
      }
      this.reply(ctx);
      this.out.log('LIVE_VIEW_START during a workflow ignored');
      return;
    }
    this.reply(ctx);
    this.cancelSnapshot();
    const mode = ctx.record.int32Data0 === 1 ? 'on-change' : 'stream';
    this.stopLive();
    this.live = { mode, t0: this.now(), k: 0, intervalMs: this.liveIntervalMs() };
    this.setState(SystemState.LIVE_VIEW);
    if (mode === 'stream') this.scheduleLive();
    else this.changed();
  }

  private scheduleLive(): void {
    const live = this.live;
    if (!live || live.mode !== 'stream') return;
    const due = live.t0 + (live.k + 1) * live.intervalMs;
    this.liveTimer = setTimeout(() => this.liveTick(), Math.max(0, due - this.now()));
  }

  private liveTick(): void {
    this.liveTimer = null;
    const live = this.live;
    if (!live || this.closed) return;
    const now = this.now();
    const due = Math.floor((now - live.t0) / live.intervalMs);
    // The camera runs on its own clock: a long stall skips frames instead of bursting them.
    if (due - live.k > 4) live.k = due - 1;
    while (live.k < due && this.live === live) {
      live.k++;
      this.sendLiveFrame(live.intervalMs);
    }
    this.scheduleLive();
  }

  private restartLiveClock(): void {
    const live = this.live;
    if (!live || live.mode !== 'stream') return;
    if (this.liveTimer) clearTimeout(this.liveTimer);
    live.t0 = this.now();
    live.k = 0;
    live.intervalMs = this.liveIntervalMs();
    this.scheduleLive();
  }

  private stopLive(): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.liveTimer = null;
    this.changeTimer = null;
    this.live = null;
  }

  /** Update-on-change live mode (spec §6.5): one frame after a change, once motion has settled. */
  private changed(stoppedAxis?: AxisKey): void {
    if (this.live?.mode !== 'on-change' || this.changeTimer) return;
    if (AXIS_KEYS.some((a) => a !== stoppedAxis && this.stage.isMoving(a))) return; // the 0x6010 calls back here
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      if (this.live?.mode === 'on-change') this.sendLiveFrame(this.liveIntervalMs());
    }, 1);
  }

  private snapshot(): void {
    if (this.run) {
      this.out.log('SNAPSHOT during a workflow ignored');
      return;
    }
    if (this.live) {
      this.sendLiveFrame(this.liveIntervalMs());
      return;
    }
    if (this.snapshotTimer) return; // one already being taken
    this.setState(SystemState.SNAP_SHOT);
    this.snapshotTimer = setTimeout(
      () => {
        this.snapshotTimer = null;
        if (this.closed || this.crashed) return;
        this.sendLiveFrame(Infinity);
        this.setState(SystemState.IDLE);
      },
      (this.exposureUs / 1000) * this.timeScale,
    );
  }

  private cancelSnapshot(): void {
    if (!this.snapshotTimer) return;
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
  }

  // --- Workflows ----------------------------------------------------------------

  private reject(reason: string): void {
    this.counters.workflowsRejected++;
    this.out.log(`workflow rejected: ${reason}`);
  }

  private startWorkflow(ctx: Ctx): void {
    // Never answered (spec §8.7). Rejections stay idle and send nothing (§8.8 row 2).
    const bytes = ctx.payload;
    if (!bytes || bytes.length === 0) {
      this.reject('Work flow empty');
      return;
    }
    if (this.run) {
      this.reject('a workflow is already running');
      return;
    }
    let settings: WorkflowSettings;
    try {
      settings = parseWorkflowText(bytes);
    } catch (err) {
      this.reject(err instanceof Error ? err.message : String(err));
      return;
    }
    const { width, height } = this.roiSize();
    const fov = tileFieldOfView(width, height, this.scope.pixelSizeUm / 1000);
    const reasons = validateWorkflow(settings, this.scope.hardLimits, fov);
    if (reasons.length > 0) {
      this.reject(reasons.join(' '));
      return;
    }
    const single = ['Snapshot', 'None', ''].includes(settings.stack.stackOption);
    if (this.quirks.recomputePlanes && !single) {
      const step = settings.experiment.planeSpacingUm / 1000;
      const planes = Math.max(1, Math.round(Math.abs(settings.end.zMm - settings.start.zMm) / step));
      if (planes !== settings.stack.planes) this.out.log(`planes recomputed: ${settings.stack.planes} → ${planes}`);
      settings = { ...settings, stack: { ...settings.stack, planes } };
    }
    const stacks = expandWorkflow(settings, fov);
    if (stacks.length === 0) {
      this.reject('the workflow has no stacks');
      return;
    }
    if (this.quirks.staleIdle) this.broadcastRecord({ cmd: SystemState.IDLE });
    if (this.live) this.stopLive();
    this.cancelSnapshot();
    for (const t of this.moveTimers.values()) clearTimeout(t);
    this.moveTimers.clear();
    this.counters.workflowsStarted++;
    const planes = stacks.reduce((n, s) => n + s.planes, 0);
    this.out.log(`workflow started: ${settings.stack.stackOption || 'None'}, ${stacks.length} stacks, ${planes} images`);
    const run = new WorkflowRun(this, settings, stacks);
    this.run = run;
    run.start().then(
      (completed) => {
        if (this.run !== run || !completed || this.closed) return;
        this.run = null;
        this.counters.workflowsCompleted++;
        this.setState(SystemState.IDLE);
        this.out.log('workflow completed');
      },
      (err: unknown) => {
        if (this.run !== run) return;
        this.run = null;
        this.out.log(`workflow failed: ${err instanceof Error ? err.message : String(err)}`);
        this.setState(SystemState.IDLE);
      },
    );
  }

  /** WORKFLOW_STOP: abort, clean up, go idle (the reply has already been sent). */
  private stopWorkflow(): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.abort();
    this.counters.workflowsStopped++;
    const halted = this.stage.halt();
    run.cleanupMessages(halted);
    this.setState(SystemState.IDLE);
    this.out.log(`workflow stopped after ${run.acquired} images`);
  }

  private crash(): void {
    this.crashed = true;
    this.run?.abort();
    this.run = null;
    this.stopLive();
    this.cancelSnapshot();
    this.out.log('LIVE_VIEW_START during a workflow: the server stops answering (crash quirk)');
  }

  private checkStack(ctx: Ctx): void {
    if (!ctx.payload || ctx.payload.length === 0) {
      this.reply(ctx);
      return;
    }
    let text: string;
    try {
      const settings = parseWorkflowText(ctx.payload);
      const { width, height } = this.roiSize();
      const reasons = validateWorkflow(settings, this.scope.hardLimits, tileFieldOfView(width, height, this.scope.pixelSizeUm / 1000));
      text = reasons.length === 0 ? 'Stack check OK' : reasons.join('\n').replace(/hard limits/g, 'hard limit');
    } catch (err) {
      text = err instanceof Error ? err.message : String(err);
    }
    this.replyWithPayload(ctx, text);
  }
}

function axisOf(id: number): AxisKey | null {
  switch (id) {
    case 1:
      return 'x';
    case 2:
      return 'y';
    case 3:
      return 'z';
    case 4:
      return 'r';
    default:
      return null;
  }
}
