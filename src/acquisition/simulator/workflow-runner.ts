/**
 * Runs one accepted workflow on the simulated microscope (pure; timers only), following
 * the server's timeline (spec §8.8) in its loop order (time point, tile, side, laser):
 * running state, illumination reset, moves to each stack start with one 0x6010 per axis,
 * 0x9003, a continuous Z sweep with one frame per plane at the camera interval and one
 * 0x9004 per image, 0x3011 per stack, an optional MIP frame, 0x9008 when saving, then
 * cleanup, at least 3 s (× timeScale) of visible busy time, and idle. `abort()` stops it
 * at any await point; the host does the stop's cleanup.
 *
 * @example
 * const run = new WorkflowRun(host, settings, stacks);
 * run.start();          // resolves when the run ends on its own
 * run.abort();          // from a WORKFLOW_STOP
 */

import { Command } from '../protocol/codes.ts';
import { ImageOptions, SystemState } from '../protocol/constants.ts';
import type { RecordInit } from '../protocol/record.ts';
import { enabledLasers, type StackSpec } from '../protocol/workflow-stacks.ts';
import { parseWorkflowDuration, type WorkflowSettings } from '../protocol/workflow.ts';
import type { FrameRequest } from './frame-source.ts';
import type { QuirkSwitches } from './quirks.ts';
import type { Rng } from './random.ts';
import { AXIS_ID, type AxisKey, type Stage } from './stage.ts';

/** What a run needs from the simulator around it. */
export interface RunHost {
  now(): number;
  readonly timeScale: number;
  readonly maxFps: number;
  readonly quirks: QuirkSwitches;
  readonly rng: Rng;
  readonly stage: Stage;
  roiSize(): { width: number; height: number };
  pixelSizeUm(): number;
  broadcastRecord(init: RecordInit): void;
  setState(state: number): void;
  /**
   * Takes one frame. `live` sends it to the viewers; `mip` accumulates it into a
   * projection. `intervalMs` (the camera interval) tells the host how much time it has.
   */
  takeFrame(
    req: FrameRequest,
    header: { optionsSettings1: number; imageIndexStart: number; imageIndexStop: number },
    o: { live: boolean; mip: Uint16Array | null; intervalMs: number },
  ): void;
  /** Sends a MIP frame (optionsSettings1 0x20) built from `mip`. */
  sendProjection(mip: Uint16Array, width: number, height: number, planes: number): void;
  log(line: string): void;
}

/** Minimum visible busy time of a workflow, simulated ms (spec §8.10, §10). */
export const MIN_BUSY_MS = 3000;
/** Filter-wheel change between lasers, simulated ms. */
export const FILTER_WHEEL_MS = 100;
/** Disk overhead per stack, simulated ms (spec §10). */
const DISK_MS: Record<string, number> = { Raw: 66, Tiff: 120, BigTiff: 120 };

export class Aborted extends Error {
  constructor() {
    super('The workflow was stopped.');
    this.name = 'Aborted';
  }
}

export class WorkflowRun {
  readonly settings: WorkflowSettings;
  readonly stacks: StackSpec[];
  readonly startedAt: number;
  private readonly host: RunHost;
  private aborted = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private rejectSleep: ((e: Error) => void) | null = null;
  /** Images acquired so far (planes, not trailing frames). */
  acquired = 0;
  stacksDone = 0;

  constructor(host: RunHost, settings: WorkflowSettings, stacks: StackSpec[]) {
    this.host = host;
    this.settings = settings;
    this.stacks = stacks;
    this.startedAt = host.now();
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  /** Stops the run at its next await point (immediately: pending sleeps reject). */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const reject = this.rejectSleep;
    this.rejectSleep = null;
    reject?.(new Aborted());
  }

  /** Runs to the end; resolves true when it completed, false when it was aborted. */
  async start(): Promise<boolean> {
    try {
      await this.run();
      return true;
    } catch (err) {
      if (err instanceof Aborted) return false;
      throw err;
    }
  }

  private sleepUntil(t: number): Promise<void> {
    if (this.aborted) return Promise.reject(new Aborted());
    return new Promise<void>((resolve, reject) => {
      this.rejectSleep = reject;
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.rejectSleep = null;
          if (this.aborted) reject(new Aborted());
          else resolve();
        },
        Math.max(0, t - this.host.now()),
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return this.sleepUntil(this.host.now() + ms);
  }

  private async run(): Promise<void> {
    const h = this.host;
    const s = this.settings;
    const scale = h.timeScale;
    h.setState(SystemState.WORK_FLOW_RUNNING);
    this.illumination();
    const intervalS = parseWorkflowDuration(s.experiment.interval);
    const totalImages = this.stacks.reduce((n, st) => n + st.planes, 0);
    const saving = s.experiment.saveImageData !== '' && s.experiment.saveImageData !== 'NotSaved';
    let saved = 0;
    let timepoint = 0;
    let lastLasers = '';
    for (const st of this.stacks) {
      if (st.timepoint !== timepoint) {
        timepoint = st.timepoint;
        await this.sleepUntil(this.startedAt + timepoint * intervalS * 1000 * scale);
      }
      await this.moveTo({ x: st.tile.xMm, y: st.tile.yMm, z: st.zStartMm, r: s.start.angleDeg });
      const lasers = st.lasers.join(',');
      if (lasers !== lastLasers) {
        if (lastLasers !== '') await this.sleep(FILTER_WHEEL_MS * scale);
        lastLasers = lasers;
      }
      h.broadcastRecord({ cmd: Command.UI_SET_GAUGE_SIZE, int32Data0: st.planes });
      await this.sweep(st);
      this.stacksDone++;
      if (saving) {
        await this.sleep((DISK_MS[s.experiment.saveImageData] ?? 66) * scale);
        saved += st.planes;
        h.broadcastRecord({ cmd: Command.UI_IMAGES_SAVED_TO_STORAGE, int32Data0: saved, int32Data1: totalImages });
      }
    }
    this.cleanupMessages();
    await this.sleepUntil(this.startedAt + MIN_BUSY_MS * scale);
  }

  /** Illumination reset / status records at the start of a run and in cleanup (spec §8.8 rows 4, 10). */
  illumination(off = false): void {
    const h = this.host;
    h.broadcastRecord({ cmd: Command.LED_PREVIEW_DISABLE });
    for (const laser of enabledLasers(this.settings)) {
      const power = off ? 0 : (this.settings.lasers.find((l) => l.index === laser)?.powerPercent ?? 0);
      h.broadcastRecord({ cmd: Command.LASER_LEVEL_GET, int32Data0: laser, text: power.toFixed(2) });
    }
  }

  /** Cleanup at the end (or on a stop): illumination off, motion cancelled (one 0x6010 for Z). */
  cleanupMessages(haltedAxes: AxisKey[] = []): void {
    this.illumination(true);
    const axes = new Set<AxisKey>(haltedAxes);
    axes.add('z');
    for (const a of axes) this.host.broadcastRecord({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: AXIS_ID[a] });
  }

  /** Moves the axes that are not already there, in parallel; one 0x6010 per axis as it stops. */
  private async moveTo(target: Record<AxisKey, number>): Promise<void> {
    const h = this.host;
    const moves = (Object.keys(target) as AxisKey[])
      .filter((a) => Math.abs(h.stage.position(a) - h.stage.clamp(a, target[a])) > 1e-9 || h.stage.isMoving(a))
      .map((a) => h.stage.move(a, target[a]))
      .sort((p, q) => p.endsAt - q.endsAt);
    for (const m of moves) {
      await this.sleepUntil(m.endsAt);
      h.broadcastRecord({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: AXIS_ID[m.axis] });
    }
  }

  /** One stack: Z sweeps continuously while the camera takes one frame per plane. */
  private async sweep(st: StackSpec): Promise<void> {
    const h = this.host;
    const s = this.settings;
    const q = h.quirks;
    const fileRate = s.camera.frameRate ?? s.experiment.frameRate;
    const rate = fileRate > 0 ? Math.min(fileRate, h.maxFps) : h.maxFps;
    const exposureUs = s.camera.exposureUs ?? s.experiment.exposureUs;
    const intervalMs = Math.max(1000 / rate, exposureUs / 1000) * h.timeScale;
    const planes = st.planes;
    const trailing = q.trailingFrames ? h.rng.int(1, 3) : 0;
    const total = planes + trailing;
    const { width, height } = h.roiSize();
    const pixelSizeUm = h.pixelSizeUm();
    const sources = st.lasers.map((laser) => ({
      channel: st.side === 'left' ? laser - 1 : laser + 3,
      scale: ((s.lasers.find((l) => l.index === laser)?.powerPercent ?? 0) / 10) * (exposureUs / 10000),
    }));
    const mip = s.experiment.displayMaxProjection ? new Uint16Array(width * height) : null;
    const live = s.experiment.liveViewEnabled;
    const isTile = s.stack.stackOption === 'Tile';
    const progress = !(q.noTileProgress && isTile);
    if (planes > 1) h.stage.move('z', st.zEndMm, { durationMs: planes * intervalMs, settle: false });
    const t0 = h.now();
    let i = 0;
    let acquired = 0;
    while (i < total) {
      await this.sleepUntil(t0 + (i + 1) * intervalMs);
      const now = h.now();
      while (i < total && t0 + (i + 1) * intervalMs <= now + 0.01) {
        const plane = i < planes;
        const z = planes === 1 || !plane ? (plane ? st.zStartMm : st.zEndMm) : st.zStartMm + (i / (planes - 1)) * (st.zEndMm - st.zStartMm);
        if (live || (mip && plane)) {
          h.takeFrame(
            { xMm: st.tile.xMm, yMm: st.tile.yMm, zMm: z, width, height, pixelSizeUm, side: st.side, sources },
            { optionsSettings1: ImageOptions.IMAGE_DATA, imageIndexStart: i, imageIndexStop: planes - 1 },
            { live, mip: plane ? mip : null, intervalMs },
          );
        }
        if (plane) {
          acquired++;
          this.acquired++;
          if (progress) h.broadcastRecord({ cmd: Command.UI_SET_GAUGE_VALUE, int32Data0: acquired, int32Data1: planes });
        }
        i++;
      }
    }
    if (planes > 1) h.broadcastRecord({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: AXIS_ID.z });
    const elapsedUs = ((h.now() - t0) / h.timeScale) * 1000;
    h.broadcastRecord({
      cmd: Command.CAMERA_STACK_COMPLETE,
      int32Data0: acquired,
      int32Data1: planes,
      int32Data2: 0,
      doubleData: Math.round(elapsedUs),
    });
    if (mip) h.sendProjection(mip, width, height, planes);
  }
}
