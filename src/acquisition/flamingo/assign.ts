/**
 * Frame assignment for a workflow run (spec §8.9, §11.3 item 12). The live header
 * carries no channel, Z or tile, so every frame is placed from the plan: stacks in the
 * server's order, planes of a stack in sweep order, Z interpolated from Start to End.
 * Then the stream is reconciled with what the server says:
 *
 * - MIP frames (optionsSettings1 0x20) are dropped and counted;
 * - `imageIndexStart/Stop` (words 32/36) are used while they look like a plane index
 *   (stop ≥ 1 and the same for a whole stack): the index places each frame exactly, gaps
 *   are counted where they happened, an index past the stack (the camera's run-on
 *   frames) is trimmed, and an index that goes back starts the next stack;
 * - otherwise frames fill each stack in arrival order and a stack never takes more
 *   than its planes: run-on frames are trimmed until the command port shows that the
 *   next stack started (0x9003, or a 0x9004 after a 0x3011 or with its count reset),
 *   and a short stack is left short rather than filled from the next channel;
 * - after the live connection was lost and reopened, the next frame goes to the stack
 *   the server is on now;
 * - 0x9004/0x3011 counts are kept per stack and every mismatch becomes a note.
 *
 * Pure: feed it the run's messages in arrival order.
 *
 * @example
 * const a = new FrameAssigner(planStacks(plan, ctx));
 * a.onGaugeSize(200);                                   // 0x9003
 * const r = a.onFrame(liveFrame);                       // { kind: 'frame', meta: { channel: 1, zIndex: 0, ... } }
 * a.onStackComplete(200, 200, 0);                       // 0x3011
 * a.finish().notes;                                     // [] when everything matched
 */
import type { FrameMeta } from '../connector.ts';
import { describeStack, plannedFrame, type PlannedStack } from '../plan.ts';
import { isMaxProjection, type FrameHeader } from '../protocol/index.ts';

export interface AssignableFrame {
  header: FrameHeader;
  receivedAtMs: number;
  receivedMonotonicMs: number;
}

export type Assignment =
  | { kind: 'frame'; meta: FrameMeta }
  /** A max-intensity projection, dropped. */
  | { kind: 'mip' }
  /** A frame past the end of its stack (or of the plan), trimmed. */
  | { kind: 'surplus'; stackIndex: number };

export interface AssignerProgress {
  framesReceived: number;
  framesExpected: number;
  serverAcquired: number | null;
  stacksCompleted: number;
  stacksExpected: number;
}

export interface AssignerReport extends AssignerProgress {
  framesMissing: number;
  framesTrimmed: number;
  mipFramesDropped: number;
  /** Whether the header's plane index was trusted for Z (otherwise arrival order was). */
  usedHeaderIndex: boolean;
  notes: string[];
}

interface StackState {
  assigned: number;
  /** The z index the next frame of this stack gets (count mode) or must reach (header mode). */
  next: number;
  trimmed: number;
  gaps: number;
  /** From 0x3011 for this stack. */
  serverAcquired: number | null;
  serverExpected: number | null;
  serverErrors: number;
  /** From 0x9003 / 0x9004 for this stack. */
  gaugeExpected: number | null;
  gaugeAcquired: number;
  /** imageIndexStop of this stack's frames (the server's planes − 1), once seen. */
  headerStop: number | null;
}

const MAX_NOTES = 60;

export class FrameAssigner {
  readonly stacks: readonly PlannedStack[];
  private readonly state: StackState[];
  private readonly framesExpected: number;
  /** The stack frames are being assigned to. */
  private current = 0;
  private assignedTotal = 0;
  private mipDropped = 0;
  private beyondPlan = 0;
  /** The server's stack, from the command port: index, and whether it is still open. */
  private serverStack = -1;
  private serverOpen = false;
  private sawStartSignals = false;
  private sawStackComplete = false;
  private headerMode: 'unknown' | 'trusted' | 'off' = 'unknown';
  private resyncToServer = false;
  private readonly extraNotes: string[] = [];

  constructor(stacks: readonly PlannedStack[]) {
    this.stacks = stacks;
    this.state = stacks.map(() => ({
      assigned: 0,
      next: 0,
      trimmed: 0,
      gaps: 0,
      serverAcquired: null,
      serverExpected: null,
      serverErrors: 0,
      gaugeExpected: null,
      gaugeAcquired: 0,
      headerStop: null,
    }));
    this.framesExpected = stacks.reduce((n, s) => n + s.planes, 0);
  }

  // --- command-port messages -----------------------------------------------------------

  /** 0x9003 UI_SET_GAUGE_SIZE: a stack is about to start (int32Data0 = images expected). */
  onGaugeSize(expected: number): void {
    this.sawStartSignals = true;
    this.serverStarts();
    const now = this.serverState();
    if (now) now.gaugeExpected = expected;
  }

  /** 0x9004 UI_SET_GAUGE_VALUE: images acquired / expected in the current stack. */
  onGaugeValue(acquired: number, expected: number): void {
    this.sawStartSignals = true;
    const st = this.serverState();
    if (this.serverStack < 0 || !this.serverOpen || (st !== undefined && acquired < st.gaugeAcquired)) this.serverStarts();
    const now = this.serverState();
    if (now) {
      now.gaugeAcquired = acquired;
      now.gaugeExpected = expected;
    }
  }

  /** 0x3011 CAMERA_STACK_COMPLETE (unsolicited): the server's current stack ended. */
  onStackComplete(acquired: number, expected: number, errors: number): void {
    this.sawStackComplete = true;
    if (this.serverStack < 0 || !this.serverOpen) this.serverStarts();
    this.serverOpen = false;
    const st = this.serverState();
    if (st) {
      st.serverAcquired = acquired;
      st.serverExpected = expected;
      st.serverErrors = errors;
    } else {
      this.note(`The server reported a stack complete (${acquired} of ${expected} images) beyond the ${this.stacks.length} planned stacks.`);
    }
  }

  // --- live frames ------------------------------------------------------------------------

  onFrame(frame: AssignableFrame): Assignment {
    const h = frame.header;
    if (isMaxProjection(h)) {
      this.mipDropped++;
      return { kind: 'mip' };
    }
    if (this.current >= this.stacks.length) return this.surplusBeyondPlan();
    this.updateHeaderMode(h);
    return this.headerMode === 'trusted' ? this.byIndex(frame) : this.byCount(frame);
  }

  /**
   * The live connection was lost and reopened: frames in between are gone, so the next
   * frame is placed in the stack the server is acquiring now (a fresh connection has no
   * backlog, so the command port is a safe guide here).
   */
  onLiveGap(): void {
    this.resyncToServer = true;
  }

  /**
   * Header mode: the plane index says where a frame goes, and an index that goes back
   * starts the next stack. The command port is not used to move on, because frames can
   * lag behind it by a stack or more when the live port is busy (large frames, a slow
   * link); only after a live gap does the next frame follow the server's stack.
   */
  private byIndex(frame: AssignableFrame): Assignment {
    const idx = frame.header.imageIndexStart;
    if (this.resyncToServer && this.serverStack > this.current) this.moveTo(this.serverStack);
    const resynced = this.resyncToServer;
    this.resyncToServer = false;
    if (this.current >= this.stacks.length) return this.surplusBeyondPlan();
    let stack = this.stacks[this.current]!;
    let st = this.state[this.current]!;
    const backwards = idx < st.next - 1 || (idx === st.next - 1 && this.serverStack > this.current);
    if (backwards && !resynced) {
      if (!this.moveTo(this.current + 1)) return this.surplusBeyondPlan();
      stack = this.stacks[this.current]!;
      st = this.state[this.current]!;
    }
    const stop = frame.header.imageIndexStop;
    if (st.headerStop === null) {
      st.headerStop = stop;
    } else if (stop !== st.headerStop) {
      this.headerOff(frame.header, 'changed its stack size within a stack');
      return this.byCount(frame);
    }
    if (idx > stop || idx > stack.planes - 1 || idx < st.next) {
      st.trimmed++;
      return { kind: 'surplus', stackIndex: stack.stackIndex };
    }
    st.gaps += idx - st.next;
    st.next = idx + 1;
    return this.assign(stack, st, idx, frame);
  }

  /**
   * Count mode: frames fill the current stack in order; the server's stack-start
   * messages move assignment on (so a short stack never takes the next channel's
   * frames), and frames past a full stack are trimmed until they do. A frame that lags
   * behind the command port by a whole stack cannot be told apart here; the header
   * mode above can.
   */
  private byCount(frame: AssignableFrame): Assignment {
    this.resyncToServer = false;
    if (this.serverStack > this.current) this.moveTo(this.serverStack);
    if (this.current >= this.stacks.length) return this.surplusBeyondPlan();
    let stack = this.stacks[this.current]!;
    let st = this.state[this.current]!;
    if (st.next >= stack.planes) {
      if (!this.countMayAdvance()) {
        st.trimmed++;
        return { kind: 'surplus', stackIndex: stack.stackIndex };
      }
      if (!this.moveTo(this.current + 1)) return this.surplusBeyondPlan();
      stack = this.stacks[this.current]!;
      st = this.state[this.current]!;
    }
    const zIndex = st.next;
    st.next++;
    return this.assign(stack, st, zIndex, frame);
  }

  progress(): AssignerProgress {
    let serverAcquired: number | null = null;
    this.state.forEach((st) => {
      const n = st.serverAcquired ?? (st.gaugeAcquired > 0 ? st.gaugeAcquired : null);
      if (n !== null) serverAcquired = (serverAcquired ?? 0) + n;
    });
    let stacksCompleted = 0;
    this.state.forEach((st, i) => {
      if (i < this.current || st.assigned >= (this.stacks[i]?.planes ?? 0) || st.serverAcquired !== null) stacksCompleted++;
    });
    return {
      framesReceived: this.assignedTotal,
      framesExpected: this.framesExpected,
      serverAcquired,
      stacksCompleted,
      stacksExpected: this.stacks.length,
    };
  }

  /**
   * Totals and one note per mismatch. `partial`: the run ended early (stopped, failed),
   * so stacks it never reached are not listed one by one.
   */
  finish(o: { partial?: boolean } = {}): AssignerReport {
    const notes: string[] = [];
    let trimmed = this.beyondPlan;
    this.stacks.forEach((stack, i) => {
      const st = this.state[i]!;
      trimmed += st.trimmed;
      const label = describeStack(stack);
      const missing = stack.planes - st.assigned;
      const reached = i <= this.current || st.assigned > 0;
      if (missing > 0 && (reached || !o.partial)) {
        const server = st.serverAcquired !== null ? `; the server reported ${st.serverAcquired} of ${st.serverExpected ?? '?'} images acquired` : '';
        const where = this.headerMode === 'trusted' && st.gaps > 0 ? ` (${st.gaps} inside the stack, by the header's plane index)` : '';
        notes.push(`${cap(label)}: ${st.assigned} of ${stack.planes} planes arrived, ${missing} missing${where}${server}.`);
      }
      if (st.trimmed > 0) notes.push(`${cap(label)}: trimmed ${st.trimmed} surplus frame${st.trimmed === 1 ? '' : 's'} at its end.`);
      if (st.serverExpected !== null && st.serverExpected !== stack.planes) {
        notes.push(`${cap(label)}: the server expected ${st.serverExpected} images where the plan has ${stack.planes} planes.`);
      } else if (st.serverExpected === null && st.gaugeExpected !== null && st.gaugeExpected !== stack.planes) {
        notes.push(`${cap(label)}: the server's progress gauge expected ${st.gaugeExpected} images where the plan has ${stack.planes} planes.`);
      }
      if (st.headerStop !== null && st.headerStop + 1 !== stack.planes && (st.serverExpected ?? stack.planes) === stack.planes) {
        notes.push(`${cap(label)}: the live header counts ${st.headerStop + 1} planes where the plan has ${stack.planes}.`);
      }
      if (st.serverErrors > 0) notes.push(`${cap(label)}: the server reported ${st.serverErrors} acquisition errors.`);
    });
    if (this.beyondPlan > 0) notes.push(`${this.beyondPlan} frames arrived after the last planned stack was full and were trimmed.`);
    if (!this.sawStartSignals && !this.sawStackComplete && this.assignedTotal > 0 && this.stacks.length > 1) {
      notes.push('The server reported no stack boundaries (no 0x9003, 0x9004 or 0x3011); stacks were told apart by frame count only.');
    } else if (!this.sawStartSignals && this.sawStackComplete && this.stacks.length > 1) {
      notes.push('The server sent no progress (0x9003/0x9004); stack boundaries came from 0x3011 only.');
    }
    notes.push(...this.extraNotes);
    const limited = notes.length > MAX_NOTES ? [...notes.slice(0, MAX_NOTES), `… and ${notes.length - MAX_NOTES} more notes.`] : notes;
    return {
      ...this.progress(),
      framesMissing: this.framesExpected - this.assignedTotal,
      framesTrimmed: trimmed,
      mipFramesDropped: this.mipDropped,
      usedHeaderIndex: this.headerMode === 'trusted',
      notes: limited,
    };
  }

  // --- internals -------------------------------------------------------------------------

  private serverState(): StackState | undefined {
    return this.serverStack >= 0 ? this.state[this.serverStack] : undefined;
  }

  private serverStarts(): void {
    this.serverStack++;
    this.serverOpen = true;
  }

  /**
   * Whether a frame that does not fit the current stack may go to the next one without
   * a start message: only when the server sends no start messages at all, and then only
   * once it reported this stack complete (or reported nothing whatsoever).
   */
  private countMayAdvance(): boolean {
    if (this.sawStartSignals) return false;
    if (this.serverStack < 0) return true;
    return this.serverStack >= this.current && !this.serverOpen;
  }

  /** Moves assignment to stack `index`; false when that is past the plan. */
  private moveTo(index: number): boolean {
    this.current = Math.min(index, this.stacks.length);
    return this.current < this.stacks.length;
  }

  private surplusBeyondPlan(): Assignment {
    this.beyondPlan++;
    const last = this.stacks[this.stacks.length - 1];
    return { kind: 'surplus', stackIndex: last?.stackIndex ?? 0 };
  }

  /**
   * The header is usable while it carries a multi-plane index (stop ≥ 1, start ≥ 0).
   * Words 32/36 are unconfirmed on a rig (spec §13 item 6), so before trusting them the
   * stack size they announce (stop + 1) must be near the plan's planes (a server may
   * recompute the count, §8.4) or equal the server's own count (0x9003/0x9004): a server
   * that fills them with something else, such as a running frame number, is not trusted.
   */
  private updateHeaderMode(h: FrameHeader): void {
    if (this.headerMode === 'off') return;
    const looksLikeIndex = h.imageIndexStop >= 1 && h.imageIndexStart >= 0;
    if (!looksLikeIndex) {
      if (this.headerMode === 'trusted') this.headerOff(h, 'stopped carrying a plane index');
      else this.headerMode = 'off';
      return;
    }
    if (this.headerMode === 'trusted') return;
    const size = h.imageIndexStop + 1;
    const planned = this.stacks[this.current]?.planes ?? 0;
    const serverCounts = [this.state[this.current]?.gaugeExpected, this.serverState()?.gaugeExpected];
    if (Math.abs(size - planned) <= Math.max(2, planned * 0.1) || serverCounts.includes(size)) {
      this.headerMode = 'trusted';
    } else {
      this.headerMode = 'off';
      this.note(`The live header announces ${size} planes per stack where the plan has ${planned}; it is not taken for a plane index, and frames are placed by arrival order.`);
    }
  }

  private headerOff(h: FrameHeader, why: string): void {
    this.headerMode = 'off';
    const stack = this.stacks[Math.min(this.current, this.stacks.length - 1)];
    this.note(
      `The live header ${why} at ${stack ? describeStack(stack) : 'the end'} (index ${h.imageIndexStart}, last ${h.imageIndexStop}); ` +
        'frames are placed by arrival order from there on.',
    );
  }

  private assign(stack: PlannedStack, st: StackState, zIndex: number, frame: AssignableFrame): Assignment {
    st.assigned++;
    const p = plannedFrame(stack, zIndex);
    const meta: FrameMeta = {
      channel: p.channel,
      channelIndex: p.channelIndex,
      laser: p.laser,
      wavelengthNm: p.wavelengthNm,
      side: p.side,
      zIndex: p.zIndex,
      zCount: p.zCount,
      stage: { xMm: p.xMm, yMm: p.yMm, zMm: p.zMm, rDeg: p.rDeg },
      tileIndex: p.tileIndex,
      timepoint: p.timepoint,
      stackIndex: p.stackIndex,
      frameNumber: this.assignedTotal,
      receivedAtMs: frame.receivedAtMs,
      receivedMonotonicMs: frame.receivedMonotonicMs,
    };
    this.assignedTotal++;
    return { kind: 'frame', meta };
  }

  private note(text: string): void {
    if (this.extraNotes.length < MAX_NOTES) this.extraNotes.push(text);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
