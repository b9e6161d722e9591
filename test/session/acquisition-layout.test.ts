import { describe, expect, it } from 'vitest';
import type { Frame, MicroscopeInfo, StagePosition } from '../../src/acquisition/connector.ts';
import { defaultLaserLines, planStacks } from '../../src/acquisition/plan.ts';
import { parseAcquireRequest } from '../../src/cli/acquire.ts';
import type { AcquisitionRequest } from '../../src/acquisition/live-backend.ts';
import { planFromRequest, planesFor, sessionPlan } from '../../src/session/acquisition-layout.ts';

const limits = { x: { min: 0, max: 26 }, y: { min: 0, max: 26 }, z: { min: 0, max: 26 }, r: { min: -720, max: 720 } };
const info: MicroscopeInfo = {
  name: 'simscope',
  pixelSizeUm: 1.0475,
  reportedPixelSizeUm: 1.0475,
  width: 256,
  height: 128,
  hardLimits: limits,
  softLimits: limits,
  home: { xMm: 8, yMm: 14, zMm: 19, rDeg: 0 },
  velocity: { xMm: 1, yMm: 1, zMm: 1, rDeg: 10 },
  lasers: defaultLaserLines().filter((l) => l.index <= 4),
  settingsText: '',
};
const at: StagePosition = { xMm: 8, yMm: 14, zMm: 19, rDeg: 0 };
const ctx = { pixelSizeUm: 1.0475, roiWidth: 256, roiHeight: 128, lasers: info.lasers };

describe('planFromRequest: a viewer request as a connector plan', () => {
  it('counts planes as the server does, maps wavelengths to laser lines and centres on the stage', () => {
    const { plan, channelOrderNm } = planFromRequest({ zStartMm: 19, zEndMm: 19.035, stepUm: 5, lasers: [640, 488], sides: ['right', 'left'] }, info, at);
    expect([planesFor(19, 19.035, 5), planesFor(19, 19.037, 5), planesFor(19, 19, 5)]).toEqual([7, 7, 1]);
    expect(plan).toEqual({ kind: 'zstack', zStartMm: 19, zEndMm: 19.035, planes: 7, stepUm: 5, xMm: 8, yMm: 14, lasers: [{ laser: 4, powerPercent: 10 }, { laser: 2, powerPercent: 10 }], sides: ['right'] });
    expect(channelOrderNm).toEqual([640, 488]);
    const down = planFromRequest({ zStartMm: 19, zEndMm: 18.99, stepUm: 5, lasers: [488], xMm: 7 }, info, at).plan;
    expect([down.planes, down.xMm, down.zEndMm, down.sides]).toEqual([2, 7, 18.99, ['left']]);
  });

  it('asks the server for exactly nx × ny tiles', () => {
    for (const [nx, ny, overlap] of [[1, 1, 10], [2, 3, 10], [3, 2, 0], [4, 1, 50]] as const) {
      const { plan } = planFromRequest({ kind: 'tile', zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [488], tiles: [nx, ny], overlapPercent: overlap }, info, at);
      const stacks = planStacks(plan, ctx);
      expect(new Set(stacks.map((s) => s.tileIndex)).size).toBe(nx * ny);
      // Around the stage position, as the server places them (within half a field of view, 0.134 mm).
      const xs = stacks.map((s) => s.xMm);
      expect(Math.abs((Math.min(...xs) + Math.max(...xs)) / 2 - 8)).toBeLessThan(0.067);
    }
  });

  it('builds from `flamingo-viv acquire` options the plan a viewer request gives', () => {
    const cases: Array<[Record<string, string>, AcquisitionRequest]> = [
      [{ z: '19:19.035', step: '5', lasers: '488,640' }, { zStartMm: 19, zEndMm: 19.035, stepUm: 5, lasers: [488, 640] }],
      [{ z: '19.2:19.0', step: '2.5', lasers: '561', x: '7.5', y: '13' }, { zStartMm: 19.2, zEndMm: 19.0, stepUm: 2.5, lasers: [561], xMm: 7.5, yMm: 13 }],
      [
        { z: '19:19.01', step: '5', lasers: '405', tiles: '3x2', overlap: '20', roi: '1024x512' },
        { kind: 'tile', zStartMm: 19, zEndMm: 19.01, stepUm: 5, lasers: [405], tiles: [3, 2], overlapPercent: 20, roi: { width: 1024, height: 512 } },
      ],
    ];
    for (const [options, request] of cases) {
      const cli = planFromRequest(parseAcquireRequest(options), info, at).plan;
      expect(cli).toEqual(planFromRequest(request, info, at).plan);
    }
    const tiled = planFromRequest(cases[2]![1], info, at).plan;
    expect(tiled.roi).toEqual({ width: 1024, height: 512 });
    expect(tiled.kind).toBe('tile');
  });

  it('names what is wrong with a request', () => {
    expect(() => planFromRequest({ zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [] }, info, at)).toThrow('The acquisition request names no laser line; pick at least one.');
    expect(() => planFromRequest({ zStartMm: 19, zEndMm: 19.1, stepUm: 0, lasers: [488] }, info, at)).toThrow(/stepUm must be positive, got 0/);
    expect(() => planFromRequest({ zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [532] }, info, at)).toThrow(/no 532 nm laser; it has 405 nm, 488 nm, 561 nm, 640 nm/);
    expect(() => planFromRequest({ zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [488, 488] }, info, at)).toThrow(/names a laser line twice/);
    expect(() => planFromRequest({ kind: 'tile', zStartMm: 19, zEndMm: 19.1, stepUm: 5, lasers: [488] }, info, at)).toThrow(/needs `tiles`/);
  });
});

describe('sessionPlan: the layout, writer info and placement of a plan', () => {
  it('lays out a z-stack: channels in request order, canvas = ROI, z from START', () => {
    const { plan, channelOrderNm } = planFromRequest({ zStartMm: 19, zEndMm: 19.04, stepUm: 10, lasers: [640, 488] }, info, at);
    const s = sessionPlan({ plan, info, at, channelOrderNm, name: 'embryo', connection: 'simulator', address: 'memory:53717', appVersion: '1.2.3' });
    expect(s.layout.shape).toEqual([2, 4, 128, 256]);
    expect(s.layout.channels.map((c) => [c.name, c.color, c.laser_nm])).toEqual([['640 nm', 'FF00FF', 640], ['488 nm', '00FF00', 488]]);
    expect(s.voxelUm.z).toBeCloseTo(40 / 3, 9);
    expect(s.layout.world_origin_um[0]).toBeCloseTo(19000, 9);
    expect(s.info).toMatchObject({ app_version: '1.2.3', frames_expected: 8, microscope: { connection: 'simulator', address: 'memory:53717', orientation: { z: '+z' } }, plan: { kind: 'z-stack', planes_per_stack: 4 } });
    expect([s.framesExpected, s.framesPerPlane]).toEqual([8, 1]);
    const frame = { width: 256, height: 128, pixels: new Uint16Array(0), meta: { wavelengthNm: 488, channelIndex: 0, zIndex: 2, stage: { xMm: 8, yMm: 14, zMm: 19.02, rDeg: 0 } } } as unknown as Frame;
    expect(s.place(frame)).toEqual({ channel: 1, z: 2, y: 0, x: 0 });
  });
});
