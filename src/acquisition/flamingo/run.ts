/**
 * One workflow run as the connector sees it (spec §8.7–8.11, §11.3 items 8–10, 12, 14):
 * it sends CAMERA_WORK_FLOW_START once (never again, not even after a reconnect),
 * decides that the run started from any busy sign (a state broadcast or poll other than
 * idle, 0x9003/0x9004/0x3011, or the first live frame), accepts 0xA002 as the end only
 * after that, keeps polling SYSTEM_STATE_GET as a fallback, reports "rejected" when
 * nothing shows within `rejectAfterMs`, and stops through the connector's single
 * writer. Frames are assigned by `FrameAssigner` and handed to one consumer through a
 * bounded queue that drops (and counts) only when the consumer is far behind.
 *
 * @example
 * const run = new WorkflowRun({ stacks, workflowText, io, timing: DEFAULT_RUN_TIMING });
 * connectorRoutes(run);                // onRecord / onFrame from the channels
 * await run.start();
 * for await (const frame of run.frames) write(frame);
 * const summary = await run.done;      // { outcome: 'complete', framesMissing: 0, ... }
 */
import type { AcquisitionProgress, AcquisitionRun, AcquisitionSummary, ConnectorEvent, Frame } from '../connector.ts';
import type { PlannedStack } from '../plan.ts';
import { Command, SystemState, isIdleState, type FlamingoRecord } from '../protocol/index.ts';
import { FrameAssigner } from './assign.ts';
import type { LogFn } from './command-link.ts';
import { ConnectorError, errorMessage, isConnectorError } from './errors.ts';
import { FrameQueue } from './frame-queue.ts';
import type { LiveFrame } from './live-link.ts';

/** Intervals of the start/finish decision (spec §8.10). Tests shorten them; the defaults are py2flamingo's. */
export interface RunTiming {
  /** First SYSTEM_STATE_GET after the start (default 2000 ms). */
  startPollDelayMs: number;
  /** State polls until the run is seen busy (default 2000 ms). */
  startPollIntervalMs: number;
  /** State polls while busy, a fallback for a missed 0xA002 (default 15000 ms; the spec's floor is 2000). */
  busyPollIntervalMs: number;
  /** Nothing showed the run busy within this: rejected (default 30000 ms). */
  rejectAfterMs: number;
  /** Hard cap on a run (default: 1800 s, or three times the plan's own duration if longer). */
  maxRunMs: number | null;
  /** After the end, wait for the live port to be quiet this long so run-on frames are counted (default 150 ms). */
  drainQuietMs: number;
  /** …but no longer than this (default 3000 ms). */
  drainMaxMs: number;
  /** Consecutive failed state polls before the command connection is reopened (default 3). */
  pollFailuresBeforeReconnect: number;
}

export const DEFAULT_RUN_TIMING: RunTiming = {
  startPollDelayMs: 2000,
  startPollIntervalMs: 2000,
  busyPollIntervalMs: 15000,
  rejectAfterMs: 30000,
  maxRunMs: null,
  drainQuietMs: 150,
  drainMaxMs: 3000,
  pollFailuresBeforeReconnect: 3,
};

/** What the run needs from the connector. */
export interface RunIo {
  /** Writes CAMERA_WORK_FLOW_START with the text through the single writer (no reply). */
  sendStart(text: Uint8Array): Promise<void>;
  /** CAMERA_WORK_FLOW_STOP through the single writer, resolving on its reply. */
  sendStop(): Promise<void>;
  /** SYSTEM_STATE_GET. */
  pollState(): Promise<number>;
  /** Reopen the command connection (after repeated failed polls). */
  reconnect(): Promise<void>;
  /** `performance.now()` of the last bytes on the live port. */
  liveLastDataMs(): number;
  emit(event: ConnectorEvent): void;
  log: LogFn;
  /** Called once when the run has ended (the connector stops routing to it). */
  ended(): void;
}

export interface WorkflowRunOptions {
  stacks: readonly PlannedStack[];
  workflowText: string;
  io: RunIo;
  timing: RunTiming;
  /** Frames held for a slow consumer (default 1024) and their byte bound (default 1 GiB). */
  bufferFrames?: number;
  bufferBytes?: number;
  /** Nominal frame rate, for the default hard cap. */
  frameRate: number;
  signal?: AbortSignal;
}

type Phase = 'new' | 'waiting' | 'running' | 'ending' | 'ended';

const RUNNING_STATES = new Set<number>([SystemState.SNAP_SHOT, SystemState.LIVE_VIEW, SystemState.WORK_FLOW_RUNNING]);

export class WorkflowRun implements AcquisitionRun {
  readonly frames: FrameQueue<Frame>;
  readonly done: Promise<AcquisitionSummary>;
  private readonly assigner: FrameAssigner;
  private readonly io: RunIo;
  private readonly timing: RunTiming;
  private readonly text: Uint8Array;
  private readonly maxRunMs: number;
  private readonly signal: AbortSignal | undefined;
  private resolveDone!: (s: AcquisitionSummary) => void;
  private phase: Phase = 'new';
  private runningSeen = false;
  private commandBusySeen = false;
  private idleToCheck = false;
  private stopRequested = false;
  private stopPromise: Promise<void> | null = null;
  private startedAt = 0;
  private staleIdles = 0;
  private pollFailures = 0;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private pollInFlight = false;
  private pollAfter: number | null = null;
  private rejectTimer: ReturnType<typeof setTimeout> | null = null;
  private capTimer: ReturnType<typeof setTimeout> | null = null;
  private lastProgressEmit = 0;
  private readonly notes: string[] = [];
  private readonly arrivalListeners = new Set<(frame: Frame) => void>();
  private readonly onAbort = (): void => {
    this.stop().catch((err: unknown) => this.io.log('error', `Stopping the run after an abort failed: ${errorMessage(err)}`));
  };

  constructor(o: WorkflowRunOptions) {
    this.io = o.io;
    this.timing = o.timing;
    this.signal = o.signal;
    this.text = new TextEncoder().encode(o.workflowText);
    this.assigner = new FrameAssigner(o.stacks);
    this.frames = new FrameQueue<Frame>({
      capacity: o.bufferFrames ?? 1024,
      maxBytes: o.bufferBytes ?? 1024 ** 3,
      policy: 'drop-newest',
      sizeOf: (f) => f.pixels.byteLength,
    });
    const frames = o.stacks.reduce((n, s) => n + s.planes, 0);
    const plannedMs = (frames / Math.max(1, o.frameRate)) * 1000 + o.stacks.length * 5000;
    this.maxRunMs = o.timing.maxRunMs ?? Math.max(1_800_000, 3 * plannedMs);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }

  progress(): AcquisitionProgress {
    return this.assigner.progress();
  }

  /** Sends the workflow (once) and arms the start/finish decision. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('A workflow run can be started only once.');
    this.phase = 'waiting';
    this.startedAt = performance.now();
    try {
      await this.io.sendStart(this.text);
    } catch (err) {
      this.phase = 'ended';
      this.frames.close();
      this.io.ended();
      throw new ConnectorError(
        isConnectorError(err) ? err.code : 'connection-lost',
        `The workflow could not be sent, so nothing was started: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    this.rejectTimer = setTimeout(() => this.onRejectTimeout(), this.timing.rejectAfterMs);
    this.capTimer = setTimeout(
      () => this.finish('failed', `The run did not finish within ${Math.round(this.maxRunMs / 1000)} s.`),
      this.maxRunMs,
    );
    this.schedulePoll(this.timing.startPollDelayMs);
    if (this.signal) {
      if (this.signal.aborted) this.onAbort();
      else this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Stops the workflow on the microscope; `done` then resolves with outcome `stopped`. */
  stop(): Promise<void> {
    if (this.phase !== 'waiting' && this.phase !== 'running') return this.stopPromise ?? Promise.resolve();
    this.stopPromise ??= (async () => {
      this.stopRequested = true;
      this.io.log('info', 'Stopping the workflow (CAMERA_WORK_FLOW_STOP).');
      await this.io.sendStop();
      // The server now cleans up and broadcasts idle; poll as well in case that is missed.
      if (this.phase !== 'ended' && this.phase !== 'ending') this.schedulePoll(this.timing.startPollIntervalMs);
    })();
    return this.stopPromise;
  }

  // --- inputs from the connector --------------------------------------------------------

  /** Every unsolicited command-port record while the run is active. */
  onRecord(r: FlamingoRecord): void {
    if (this.phase === 'ended') return;
    switch (r.cmd) {
      case SystemState.IDLE:
        this.onIdleBroadcast();
        return;
      case Command.UI_SET_GAUGE_SIZE:
        this.markRunning('a gauge-size message (0x9003)', true);
        this.assigner.onGaugeSize(r.int32Data0);
        return;
      case Command.UI_SET_GAUGE_VALUE:
        this.markRunning('a progress message (0x9004)', true);
        this.assigner.onGaugeValue(r.int32Data0, r.int32Data1);
        this.emitProgress(false);
        return;
      case Command.CAMERA_STACK_COMPLETE:
        this.markRunning('a stack-complete message (0x3011)', true);
        this.assigner.onStackComplete(r.int32Data0, r.int32Data1, r.int32Data2);
        this.emitProgress(true);
        return;
      default:
        if (RUNNING_STATES.has(r.cmd)) this.markRunning(`a state broadcast (0x${r.cmd.toString(16).toUpperCase()})`, true);
    }
  }

  onFrame(f: LiveFrame): void {
    if (this.phase === 'ended' || this.phase === 'new') return;
    this.markRunning('the first live frame', false);
    const a = this.assigner.onFrame(f);
    if (a.kind !== 'frame') return;
    const frame: Frame = { pixels: f.pixels, width: f.header.width, height: f.header.height, meta: a.meta };
    for (const listener of this.arrivalListeners) {
      try {
        listener(frame);
      } catch {
        // A display listener never holds up or fails the run.
      }
    }
    this.frames.push(frame);
    this.emitProgress(false);
  }

  onArrival(listener: (frame: Frame) => void): () => void {
    this.arrivalListeners.add(listener);
    return () => this.arrivalListeners.delete(listener);
  }

  /** The command connection dropped (the connector is reopening it). */
  onCommandDropped(reason: string): void {
    if (this.phase === 'ended') return;
    this.note(`The command connection dropped during the run (${reason}); messages sent while it was down were missed. The workflow was not sent again.`);
  }

  onCommandReconnected(): void {
    if (this.phase === 'ended' || this.phase === 'ending') return;
    // A 0xA002 may have gone out while we were away: ask now.
    this.schedulePoll(0);
  }

  /** Reopening the command connection failed: the run cannot be followed any more. */
  onCommandLost(error: string): void {
    this.finish('failed', `Lost the connection to the microscope during the run and could not reopen it: ${error}`);
  }

  /** The connector is closing: stop following the run (the microscope is not told). */
  abandon(reason: string): void {
    this.finish('failed', reason);
  }

  onLiveDropped(reason: string, incompleteBytes: number): void {
    if (this.phase === 'ended') return;
    this.assigner.onLiveGap();
    const partial = incompleteBytes > 0 ? ` A frame in progress was lost (${incompleteBytes} bytes).` : '';
    this.note(`The live connection dropped during the run: ${reason}.${partial} Frames sent while it was down are counted as missing.`);
  }

  onLiveLost(error: string): void {
    this.note(`The live connection could not be reopened during the run: ${error}`);
  }

  // --- the decision -----------------------------------------------------------------------

  /**
   * A sign that the run is busy. Signs on the command port are ordered with the idle
   * broadcast (a stale 0xA002 always comes before them); a live frame is not, because
   * the two ports are separate streams.
   */
  private markRunning(signal: string, onCommandPort: boolean): void {
    if (onCommandPort) this.commandBusySeen = true;
    if (this.runningSeen) return;
    this.runningSeen = true;
    if (this.phase === 'waiting') this.phase = 'running';
    if (this.rejectTimer) clearTimeout(this.rejectTimer);
    this.rejectTimer = null;
    this.io.log('info', `The workflow is running (seen from ${signal}).`);
    this.schedulePoll(Math.max(this.timing.busyPollIntervalMs, 0));
  }

  private onIdleBroadcast(): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    if (this.stopRequested || this.commandBusySeen) {
      this.finish(this.stopRequested ? 'stopped' : 'complete');
    } else if (this.runningSeen) {
      // Only live frames showed the run so far: this idle may be a stale one that the
      // command port delivered late. Ask the state before believing it.
      this.idleToCheck = true;
      this.io.log('info', 'An idle broadcast came before any busy sign on the command port; checking the state.');
      this.schedulePoll(0);
    } else {
      this.staleIdles++;
      this.io.log('info', 'Ignored an idle broadcast (0xA002) that came before the run was seen busy (a stale idle).');
    }
  }

  private onRejectTimeout(): void {
    this.rejectTimer = null;
    if (this.runningSeen || this.phase === 'ended' || this.phase === 'ending') return;
    if (this.stopRequested) {
      this.finish('stopped');
      return;
    }
    this.finish(
      'rejected',
      `The microscope did not start the workflow within ${Math.round(this.timing.rejectAfterMs / 100) / 10} s ` +
        '(no busy state, progress message or live frame); it probably rejected it (for example a tile outside the stage limits).',
    );
  }

  /** One polling chain: a request while a poll is in flight moves the next poll up instead. */
  private schedulePoll(delayMs: number): void {
    if (this.isOver()) return;
    if (this.pollInFlight) {
      this.pollAfter = Math.min(this.pollAfter ?? Number.POSITIVE_INFINITY, delayMs);
      return;
    }
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll();
    }, delayMs);
  }

  private nextPollDelay(): number {
    if (this.runningSeen && !this.stopRequested) return this.timing.busyPollIntervalMs;
    return this.timing.startPollIntervalMs;
  }

  private async poll(): Promise<void> {
    if (this.isOver()) return;
    this.pollInFlight = true;
    let again = false;
    try {
      again = await this.pollOnce();
    } finally {
      this.pollInFlight = false;
    }
    if (!again || this.isOver()) return;
    const delay = this.pollAfter ?? this.nextPollDelay();
    this.pollAfter = null;
    this.schedulePoll(delay);
  }

  /** One SYSTEM_STATE_GET; false when the run ended. */
  private async pollOnce(): Promise<boolean> {
    // An idle answer means "finished" only for a poll sent after the run was seen busy.
    const busyBefore = this.runningSeen;
    const checking = this.idleToCheck;
    this.idleToCheck = false;
    try {
      const state = await this.io.pollState();
      this.pollFailures = 0;
      if (this.isOver()) return false;
      if (!isIdleState(state)) {
        if (checking) this.staleIdles++;
        this.markRunning(`a state poll (${state})`, true);
      } else if (this.stopRequested) {
        this.finish('stopped');
        return false;
      } else if (busyBefore) {
        if (!checking) this.note('The end of the run was seen by polling the state; no idle broadcast (0xA002) arrived.');
        this.finish('complete');
        return false;
      }
    } catch (err) {
      this.pollFailures++;
      this.io.log('warn', `A state poll during the run failed (${this.pollFailures} in a row): ${errorMessage(err)}`);
      if (this.pollFailures >= this.timing.pollFailuresBeforeReconnect) {
        this.pollFailures = 0;
        try {
          await this.io.reconnect();
        } catch (e) {
          this.onCommandLost(errorMessage(e));
          return false;
        }
      }
    }
    return true;
  }

  private isOver(): boolean {
    return this.phase === 'ending' || this.phase === 'ended';
  }

  private emitProgress(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastProgressEmit < 100) return;
    this.lastProgressEmit = now;
    this.io.emit({ type: 'progress', progress: this.progress() });
  }

  private note(text: string): void {
    this.notes.push(text);
    this.io.log('warn', text);
  }

  private clearTimers(): void {
    for (const t of [this.pollTimer, this.rejectTimer, this.capTimer]) if (t) clearTimeout(t);
    this.pollTimer = this.rejectTimer = this.capTimer = null;
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Ends the run: waits for the live port to go quiet (run-on frames), then settles `done`. */
  private finish(outcome: AcquisitionSummary['outcome'], error?: string): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    this.phase = 'ending';
    this.clearTimers();
    const settle = (): void => {
      this.phase = 'ended';
      this.frames.close();
      const report = this.assigner.finish({ partial: outcome !== 'complete' });
      if (outcome === 'stopped') this.notes.push('The run was stopped before it finished.');
      if (this.staleIdles > 0) {
        this.notes.push(`Ignored ${this.staleIdles} idle message${this.staleIdles === 1 ? '' : 's'} that came before the run was seen busy (stale idle).`);
      }
      const summary: AcquisitionSummary = {
        outcome,
        framesExpected: report.framesExpected,
        framesReceived: report.framesReceived,
        framesMissing: report.framesMissing,
        framesTrimmed: report.framesTrimmed,
        mipFramesDropped: report.mipFramesDropped,
        framesDropped: this.frames.dropped,
        seconds: (performance.now() - this.startedAt) / 1000,
        notes: [...report.notes, ...this.notes],
        ...(error !== undefined ? { error } : {}),
      };
      if (this.frames.dropped > 0) {
        summary.notes.push(`${this.frames.dropped} frames were dropped because the consumer fell more than ${this.frames.capacity} frames behind.`);
      }
      this.io.emit({ type: 'progress', progress: this.progress() });
      this.io.log(outcome === 'complete' ? 'info' : 'warn', `The run ended: ${outcome}${error ? ` (${error})` : ''}.`);
      this.io.ended();
      this.resolveDone(summary);
    };
    if (outcome === 'rejected') {
      settle();
      return;
    }
    const deadline = performance.now() + this.timing.drainMaxMs;
    const check = (): void => {
      const now = performance.now();
      const quietFor = now - this.io.liveLastDataMs();
      if (quietFor >= this.timing.drainQuietMs || now >= deadline) settle();
      else setTimeout(check, Math.max(5, Math.min(this.timing.drainQuietMs - quietFor, deadline - now)));
    };
    check();
  }
}
