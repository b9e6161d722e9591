/**
 * The simulated XYZR stage (pure): each axis moves on its own at its velocity, then
 * settles for about 20 ms; a position read mid-move is interpolated; targets are
 * clamped to the soft limits (spec §7.3, §7.4). Time comes from the injected clock and
 * every duration is multiplied by `timeScale`. Who sends 0x6010 when an axis stops is
 * up to the caller (it gets `endsAt` and a move id to check the move is still current).
 *
 * @example
 * const stage = new Stage({ now: () => performance.now(), position: { x: 8, y: 14, z: 19, r: 0 },
 *   velocity: { x: 1, y: 1, z: 1, r: 50 }, limits, timeScale: 1 });
 * const m = stage.move('x', 9);   // 1 mm at 1 mm/s: m.endsAt ≈ now + 1020 ms
 * stage.reported('x');            // somewhere between 8 and 9 while it moves
 */

export type AxisKey = 'x' | 'y' | 'z' | 'r';
export const AXIS_KEYS: readonly AxisKey[] = ['x', 'y', 'z', 'r'];
/** Axis ids on the wire (spec §7.2). */
export const AXIS_ID: Readonly<Record<AxisKey, number>> = { x: 1, y: 2, z: 3, r: 4 };

export interface XYZR {
  x: number;
  y: number;
  z: number;
  r: number;
}

export interface LimitsLike {
  x: { min: number; max: number };
  y: { min: number; max: number };
  z: { min: number; max: number };
  r: { min: number; max: number };
}

export interface StageOptions {
  now: () => number;
  position: XYZR;
  /** mm/s for X/Y/Z, °/s for R. */
  velocity: XYZR;
  /** Targets are clamped into these (the soft limits). */
  limits: LimitsLike;
  timeScale: number;
  /** Settle time after each move, in simulated ms (default 20). */
  settleMs?: number;
}

export interface MoveInfo {
  axis: AxisKey;
  from: number;
  /** The target after clamping. */
  target: number;
  clamped: boolean;
  /** Clock time at which the axis is at rest (travel + settle). */
  endsAt: number;
  id: number;
}

interface AxisMotion {
  from: number;
  to: number;
  t0: number;
  travelEnd: number;
  endsAt: number;
  id: number;
}

/** The smallest distance from zero a reported X/Y/Z takes (clients read 0.0 as "still moving"). */
const ZERO_GUARD = 1e-6;

export class Stage {
  private readonly now: () => number;
  private readonly timeScale: number;
  private readonly settleMs: number;
  velocity: XYZR;
  limits: LimitsLike;
  private readonly axes: Record<AxisKey, AxisMotion>;
  private nextId = 1;

  constructor(o: StageOptions) {
    this.now = o.now;
    this.timeScale = o.timeScale;
    this.settleMs = o.settleMs ?? 20;
    this.velocity = { ...o.velocity };
    this.limits = o.limits;
    const t = this.now();
    const rest = (v: number): AxisMotion => ({ from: v, to: v, t0: t, travelEnd: t, endsAt: t, id: 0 });
    this.axes = { x: rest(o.position.x), y: rest(o.position.y), z: rest(o.position.z), r: rest(o.position.r) };
  }

  /** The true (interpolated) position of one axis now. */
  position(axis: AxisKey, t = this.now()): number {
    const m = this.axes[axis];
    if (t >= m.travelEnd) return m.to;
    if (t <= m.t0) return m.from;
    return m.from + ((m.to - m.from) * (t - m.t0)) / (m.travelEnd - m.t0);
  }

  /** What a STAGE_POSITION_GET answers: the position, never exactly 0.0 for X/Y/Z. */
  reported(axis: AxisKey): number {
    const v = this.position(axis);
    if (axis !== 'r' && v === 0) return ZERO_GUARD;
    return v;
  }

  snapshot(): XYZR {
    return { x: this.position('x'), y: this.position('y'), z: this.position('z'), r: this.position('r') };
  }

  isMoving(axis: AxisKey, t = this.now()): boolean {
    return t < this.axes[axis].endsAt;
  }

  /** The id of the axis's current move (to tell whether a stop notification is stale). */
  currentMoveId(axis: AxisKey): number {
    return this.axes[axis].id;
  }

  clamp(axis: AxisKey, target: number): number {
    const lim = this.limits[axis];
    return Math.min(lim.max, Math.max(lim.min, target));
  }

  /**
   * Starts a move from wherever the axis is now. Without `durationMs` it travels at the
   * axis velocity; with it (already scaled), it takes exactly that long (a z sweep).
   */
  move(axis: AxisKey, target: number, options: { durationMs?: number; settle?: boolean } = {}): MoveInfo {
    if (!Number.isFinite(target)) throw new Error(`Stage target for ${axis.toUpperCase()} must be finite, got ${target}.`);
    const t = this.now();
    const from = this.position(axis, t);
    const to = this.clamp(axis, target);
    const speed = Math.abs(this.velocity[axis]) || 1;
    const travel = options.durationMs ?? (Math.abs(to - from) / speed) * 1000 * this.timeScale;
    const settle = options.settle === false ? 0 : this.settleMs * this.timeScale;
    const id = this.nextId++;
    this.axes[axis] = { from, to, t0: t, travelEnd: t + travel, endsAt: t + travel + settle, id };
    return { axis, from, target: to, clamped: to !== target, endsAt: t + travel + settle, id };
  }

  /** Stops every axis where it is; returns the axes that were moving. */
  halt(): AxisKey[] {
    const t = this.now();
    const moving: AxisKey[] = [];
    for (const axis of AXIS_KEYS) {
      if (!this.isMoving(axis, t)) continue;
      moving.push(axis);
      const p = this.position(axis, t);
      this.axes[axis] = { from: p, to: p, t0: t, travelEnd: t, endsAt: t, id: this.nextId++ };
    }
    return moving;
  }
}
