import { describe, expect, it } from 'vitest';
import { checkPlanForm, defaultPlanForm, estimatePlan, formatBytes, formatDuration, planesPerStack } from '../../src/panels/plan-form.ts';

describe('plan form', () => {
  it('turns the default form into a z-stack request at the stage Z', () => {
    const form = defaultPlanForm({ zMm: 5, lasers: [488, 561] });
    const r = checkPlanForm(form);
    expect(r).toEqual({ ok: true, request: { kind: 'zstack', zStartMm: 5, zEndMm: 5.1, stepUm: 2, lasers: [488], sides: ['left'] } });
  });

  it('carries tiles, overlap and the session name for a tile scan', () => {
    const r = checkPlanForm({ ...defaultPlanForm({ zMm: 1, lasers: [405] }), kind: 'tile', tilesX: '3', tilesY: '2', overlapPercent: '15', name: ' embryo ' });
    expect(r.ok && r.request).toMatchObject({ kind: 'tile', tiles: [3, 2], overlapPercent: 15, name: 'embryo' });
  });

  it('names every bad field in one sentence each', () => {
    const r = checkPlanForm({ ...defaultPlanForm(), zStartMm: 'abc', stepUm: '0', lasers: [], sides: [], kind: 'tile', tilesX: '1.5', overlapPercent: '80' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      "Start Z must be a number, got 'abc'.",
      'Z step must be positive, got 0.',
      'Choose at least one laser.',
      'Choose at least one illumination side.',
      'Tiles in X must be a whole number of at least 1, got 1.5.',
      'Overlap must be between 0 and 50 %, got 80.',
    ]);
  });

  it('refuses a stack of more than 100 000 planes', () => {
    const r = checkPlanForm({ ...defaultPlanForm({ lasers: [488] }), zStartMm: '0', zEndMm: '300', stepUm: '1' });
    expect(r.ok).toBe(false);
  });

  it('counts planes as the backends do, whichever way the sweep goes', () => {
    expect(planesPerStack(5, 5.2, 2)).toBe(100);
    expect(planesPerStack(5.2, 5, 2)).toBe(100);
    expect(planesPerStack(5, 5, 2)).toBe(1);
    expect(planesPerStack(0, 0.0999, 2)).toBe(50);
  });

  it('estimates frames, time at 40 frames/s and pyramid bytes', () => {
    const e = estimatePlan({ kind: 'tile', zStartMm: 0, zEndMm: 0.1, stepUm: 2, lasers: [488, 561], sides: ['left', 'right'], tiles: [2, 3] }, { width: 512, height: 512 });
    expect(e).toEqual({ planesPerStack: 50, channels: 4, tiles: 6, frames: 1200, seconds: 30, bytes: 1200 * (512 * 512 + 256 * 256) * 2 });
  });

  it('formats bytes and durations for people', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(320_000_000)).toBe('320 MB');
    expect(formatDuration(45.4)).toBe('45 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(3900)).toBe('1 h 5 min');
  });
});
