import { describe, expect, it } from 'vitest';
import { Stage } from '../../../src/acquisition/simulator/stage.ts';

const limits = { x: { min: 0, max: 15 }, y: { min: 5, max: 25 }, z: { min: 11, max: 25 }, r: { min: -720, max: 720 } };

function make(timeScale = 1): { stage: Stage; clock: { t: number } } {
  const clock = { t: 1000 };
  const stage = new Stage({ now: () => clock.t, position: { x: 8, y: 14, z: 19, r: 0 }, velocity: { x: 1, y: 1, z: 1, r: 50 }, limits, timeScale });
  return { stage, clock };
}

describe('stage', () => {
  it('moves at the axis velocity, interpolates, then settles about 20 ms', () => {
    const { stage, clock } = make();
    const m = stage.move('x', 10);
    expect(m.endsAt).toBe(1000 + 2000 + 20);
    clock.t = 2000;
    expect(stage.position('x')).toBeCloseTo(9, 12);
    expect(stage.isMoving('x')).toBe(true);
    clock.t = 3010;
    expect(stage.position('x')).toBe(10);
    expect(stage.isMoving('x')).toBe(true);
    clock.t = 3020;
    expect(stage.isMoving('x')).toBe(false);
    const r = stage.move('r', 100);
    expect(r.endsAt).toBe(3020 + 2000 + 20);
  });

  it('scales every duration by timeScale', () => {
    const { stage } = make(0.1);
    expect(stage.move('z', 20).endsAt).toBe(1000 + 100 + 2);
  });

  it('clamps targets to the limits', () => {
    const { stage, clock } = make();
    const m = stage.move('z', 2);
    expect(m).toMatchObject({ target: 11, clamped: true });
    clock.t += 1e6;
    expect(stage.position('z')).toBe(11);
  });

  it('never reports exactly 0.0 for X/Y/Z, but does for R', () => {
    const { stage, clock } = make();
    stage.move('x', 0);
    stage.move('r', 0);
    clock.t += 1e6;
    expect(stage.position('x')).toBe(0);
    expect(stage.reported('x')).not.toBe(0);
    expect(Math.abs(stage.reported('x'))).toBeLessThan(1e-5);
    expect(stage.reported('r')).toBe(0);
  });

  it('halts moving axes where they are', () => {
    const { stage, clock } = make();
    stage.move('y', 20);
    clock.t += 500;
    expect(stage.halt()).toEqual(['y']);
    expect(stage.position('y')).toBeCloseTo(14.5, 12);
    clock.t += 5000;
    expect(stage.position('y')).toBeCloseTo(14.5, 12);
    expect(stage.halt()).toEqual([]);
  });

  it('starts a new move from the interpolated position', () => {
    const { stage, clock } = make();
    stage.move('x', 12);
    clock.t += 1000;
    const m = stage.move('x', 8);
    expect(m.from).toBeCloseTo(9, 12);
    expect(stage.currentMoveId('x')).toBe(m.id);
  });
});
