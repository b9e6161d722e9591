import { describe, expect, it } from 'vitest';
import type { AcquisitionPlan } from '../../src/acquisition/connector.ts';
import {
  planChannels,
  planFieldOfView,
  planFrames,
  planStacks,
  planWorkflowSettings,
  planWorkflowText,
  planeZ,
  saveDirectoryName,
  validatePlan,
  type PlanContext,
} from '../../src/acquisition/plan.ts';
import { tileGrid } from '../../src/acquisition/protocol/tile-geometry.ts';
import { parseWorkflowText } from '../../src/acquisition/protocol/workflow.ts';

const ctx: PlanContext = { pixelSizeUm: 1.0475, roiWidth: 2048, roiHeight: 2048 };

const zstack: AcquisitionPlan = {
  kind: 'zstack',
  zStartMm: 18,
  zEndMm: 18.5,
  planes: 200,
  stepUm: 2.5,
  xMm: 7.5,
  yMm: 14,
  lasers: [
    { laser: 4, powerPercent: 5 },
    { laser: 2, powerPercent: 10 },
  ],
  sides: ['left'],
  sampleName: 'sim demo/1',
  comments: 'two-laser z-stack',
};

describe('validatePlan', () => {
  it('accepts a good plan', () => {
    expect(validatePlan(zstack)).toEqual([]);
  });

  it('names every problem', () => {
    const bad = {
      ...zstack,
      planes: 0,
      stepUm: -1,
      zEndMm: Number.NaN,
      lasers: [
        { laser: 5, powerPercent: 10 },
        { laser: 2, powerPercent: 120 },
      ],
      sides: [],
    } as AcquisitionPlan;
    const reasons = validatePlan(bad);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Planes must be a whole number/),
        expect.stringMatching(/Z step must be positive/),
        expect.stringMatching(/End Z must be a finite number/),
        expect.stringMatching(/Laser index must be 1–4, got 5/),
        expect.stringMatching(/Laser 2 power must be 0–100 %/),
        expect.stringMatching(/no illumination side/),
      ]),
    );
  });

  it('requires the far corner of a tile scan', () => {
    expect(validatePlan({ ...zstack, kind: 'tile' })).toEqual([
      expect.stringMatching(/End X of the tile scan/),
      expect.stringMatching(/End Y of the tile scan/),
    ]);
  });

  it('refuses to build a workflow from a bad plan', () => {
    expect(() => planWorkflowSettings({ ...zstack, lasers: [] }, ctx)).toThrow(/not valid: The plan enables no laser/);
  });
});

describe('planWorkflowSettings / planWorkflowText', () => {
  it('writes a ZStack workflow that streams every plane and parses back', () => {
    const text = planWorkflowText(zstack, ctx);
    expect(text.startsWith('<Workflow Settings>\n')).toBe(true);
    expect(text.endsWith('</Workflow Settings>')).toBe(true);
    expect(text).toContain('    Camera 1 capture mode (0 full, 1 from front, 2 from back, 3 none) = 0');
    expect(text).toContain('  <Illumination Options>');
    const s = parseWorkflowText(text);
    expect(s.stack.stackOption).toBe('ZStack');
    expect(s.stack.planes).toBe(200);
    expect(s.stack.changeInZMm).toBeCloseTo(0.5, 9);
    expect(s.stack.zVelocityMmS).toBeCloseTo(0.1, 9);
    expect(s.experiment.liveViewEnabled).toBe(true);
    expect(s.experiment.displayMaxProjection).toBe(false);
    expect(s.experiment.saveImageData).toBe('NotSaved');
    expect(s.experiment.saveImageDirectory).toBe('sim_demo_1');
    expect(s.experiment.sample).toBe('sim demo/1');
    expect(s.start).toEqual({ xMm: 7.5, yMm: 14, zMm: 18, angleDeg: 0 });
    expect(s.end).toEqual({ xMm: 7.5, yMm: 14, zMm: 18.5, angleDeg: 0 });
    expect(s.lasers.filter((l) => l.on).map((l) => [l.index, l.powerPercent])).toEqual([
      [2, 10],
      [4, 5],
    ]);
    expect([s.leftPath, s.rightPath, s.multipleLasersOn]).toEqual([true, false, false]);
    expect(s.camera.aoiWidth).toBe(2048);
  });

  it('writes Tile with the overlap in both option settings, clamped to 50 %', () => {
    const tile: AcquisitionPlan = { ...zstack, kind: 'tile', xEndMm: 8, yEndMm: 12, overlapPercent: 70 };
    const s = planWorkflowSettings(tile, ctx);
    expect(s.stack.stackOption).toBe('Tile');
    expect([s.stack.stackOptionSettings1, s.stack.stackOptionSettings2]).toEqual([50, 50]);
    expect(s.end).toEqual({ xMm: 8, yMm: 12, zMm: 18.5, angleDeg: 0 });
  });

  it('uses the plan ROI and angle, and the context angle otherwise', () => {
    const s = planWorkflowSettings({ ...zstack, roi: { width: 512, height: 256 }, rDeg: 30 }, { ...ctx, rDeg: 5 });
    expect([s.camera.aoiWidth, s.camera.aoiHeight, s.start.angleDeg, s.end.angleDeg]).toEqual([512, 256, 30, 30]);
    expect(planWorkflowSettings(zstack, { ...ctx, rDeg: 5 }).start.angleDeg).toBe(5);
  });

  it('keeps the save directory one level deep', () => {
    expect(saveDirectoryName('a/b\\c d')).toBe('a_b_c_d');
    expect(saveDirectoryName('')).toBe('flamingo_viv');
    expect(saveDirectoryName(undefined)).toBe('flamingo_viv');
  });
});

describe('planChannels / planStacks / planFrames', () => {
  it('orders channels left then right, lasers ascending', () => {
    const chans = planChannels({ ...zstack, sides: ['right', 'left'] });
    expect(chans.map((c) => [c.side, c.laser, c.channel, c.channelIndex, c.wavelengthNm])).toEqual([
      ['left', 2, 1, 0, 488],
      ['left', 4, 3, 1, 640],
      ['right', 2, 5, 2, 488],
      ['right', 4, 7, 3, 640],
    ]);
  });

  it('takes wavelengths from the context when given', () => {
    expect(planChannels(zstack, { lasers: [{ index: 2, wavelengthNm: 491 }] }).map((c) => c.wavelengthNm)).toEqual([491, 640]);
  });

  it('lists a two-laser z-stack plane by plane with interpolated Z', () => {
    const frames = planFrames(zstack, ctx);
    expect(frames).toHaveLength(400);
    expect(frames[0]).toMatchObject({ frameNumber: 0, stackIndex: 0, channel: 1, laser: 2, zIndex: 0, zCount: 200, zMm: 18, xMm: 7.5, yMm: 14 });
    expect(frames[199]).toMatchObject({ stackIndex: 0, channel: 1, zIndex: 199, zMm: 18.5 });
    expect(frames[200]).toMatchObject({ frameNumber: 200, stackIndex: 1, channel: 3, channelIndex: 1, laser: 4, zIndex: 0, zMm: 18 });
    expect(frames[100]!.zMm).toBeCloseTo(18 + (100 / 199) * 0.5, 12);
  });

  it('runs Z downward when End Z is below Start Z', () => {
    const frames = planFrames({ ...zstack, zStartMm: 19, zEndMm: 18.5, lasers: [{ laser: 1, powerPercent: 1 }] }, ctx);
    expect(frames[0]!.zMm).toBe(19);
    expect(frames[199]!.zMm).toBeCloseTo(18.5, 12);
  });

  it('puts a single plane at Start Z', () => {
    expect(planeZ(18, 19, 1, 0)).toBe(18);
  });

  it('expands a tile scan in the server order (Y outer, X inner, descending) with tile X/Y per frame', () => {
    const tile: AcquisitionPlan = {
      ...zstack,
      kind: 'tile',
      planes: 3,
      xMm: 5,
      yMm: 10,
      xEndMm: 8,
      yEndMm: 12,
      overlapPercent: 10,
      lasers: [{ laser: 2, powerPercent: 10 }],
      sides: ['left', 'right'],
    };
    const fov = planFieldOfView(tile, ctx);
    const grid = tileGrid({ xStartMm: 5, xEndMm: 8, yStartMm: 10, yEndMm: 12, fovXMm: fov.xMm, fovYMm: fov.yMm, overlapXPercent: 10, overlapYPercent: 10 });
    expect(grid).toHaveLength(9);
    const stacks = planStacks(tile, ctx);
    expect(stacks).toHaveLength(18);
    expect(stacks.slice(0, 2).map((s) => [s.tileIndex, s.side, s.channel])).toEqual([
      [0, 'left', 1],
      [0, 'right', 5],
    ]);
    stacks.forEach((s) => {
      expect([s.xMm, s.yMm]).toEqual([grid[s.tileIndex]!.xMm, grid[s.tileIndex]!.yMm]);
    });
    expect(stacks[0]!.xMm).toBeCloseTo(8.3236, 3);
    expect(stacks[0]!.yMm).toBeCloseTo(12.8236, 3);
    const frames = planFrames(tile, ctx);
    expect(frames).toHaveLength(54);
    expect(frames[6]).toMatchObject({ tileIndex: 1, side: 'left', zIndex: 0, xMm: grid[1]!.xMm, yMm: grid[1]!.yMm });
    expect(stacks.map((s) => s.firstFrame)).toEqual(stacks.map((_, i) => i * 3));
  });

  it('swaps X/Y for the tile field of view as the server does', () => {
    expect(planFieldOfView({ ...zstack, roi: { width: 1000, height: 500 } }, ctx)).toEqual({ xMm: 500 * 0.0010475, yMm: 1000 * 0.0010475 });
  });
});
