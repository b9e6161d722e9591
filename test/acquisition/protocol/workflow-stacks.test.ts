import { describe, expect, it } from 'vitest';
import type { StageLimitsLike } from '../../../src/acquisition/protocol/scope-settings.ts';
import { tileFieldOfView } from '../../../src/acquisition/protocol/tile-geometry.ts';
import { defaultWorkflowSettings } from '../../../src/acquisition/protocol/workflow.ts';
import type { WorkflowSettings } from '../../../src/acquisition/protocol/workflow.ts';
import { expandWorkflow, validateWorkflow } from '../../../src/acquisition/protocol/workflow-stacks.ts';

const FOV = { xMm: 2.1454, yMm: 2.1454 };
const HARD: StageLimitsLike = { x: { min: 1, max: 15 }, y: { min: 5, max: 25 }, z: { min: 8, max: 25 }, r: { min: -720, max: 720 } };

/** The §8.6 example: lasers 2 and 4, left side, 200 planes from Z 18 to 18.5. */
function example(): WorkflowSettings {
  return defaultWorkflowSettings();
}

function tileWorkflow(): WorkflowSettings {
  const s = example();
  s.stack.stackOption = 'Tile';
  s.stack.stackOptionSettings1 = 10;
  s.stack.stackOptionSettings2 = 10;
  s.start = { xMm: 5, yMm: 10, zMm: 18, angleDeg: 0 };
  s.end = { xMm: 8, yMm: 12, zMm: 18.5, angleDeg: 0 };
  return s;
}

describe('expandWorkflow', () => {
  it('expands the §8.6 example into laser 2 then laser 4 on the left', () => {
    expect(expandWorkflow(example(), FOV)).toEqual([
      { stackIndex: 0, timepoint: 0, tileIndex: 0, tile: { xMm: 7.5, yMm: 14 }, side: 'left', lasers: [2], channel: 1, planes: 200, zStartMm: 18, zEndMm: 18.5 },
      { stackIndex: 1, timepoint: 0, tileIndex: 0, tile: { xMm: 7.5, yMm: 14 }, side: 'left', lasers: [4], channel: 3, planes: 200, zStartMm: 18, zEndMm: 18.5 },
    ]);
  });

  it('does every laser on the left before the right, with right channels laser + 3', () => {
    const s = example();
    s.rightPath = true;
    s.lasers[0]!.on = true;
    const stacks = expandWorkflow(s, FOV);
    expect(stacks.map((x) => [x.side, x.lasers[0], x.channel])).toEqual([
      ['left', 1, 0],
      ['left', 2, 1],
      ['left', 4, 3],
      ['right', 1, 4],
      ['right', 2, 5],
      ['right', 4, 7],
    ]);
  });

  it('orders lasers ascending whatever the file order', () => {
    const s = example();
    s.lasers.reverse();
    expect(expandWorkflow(s, FOV).map((x) => x.lasers)).toEqual([[2], [4]]);
  });

  it('collapses the laser loop when multiple lasers are on', () => {
    const s = example();
    s.multipleLasersOn = true;
    s.rightPath = true;
    expect(expandWorkflow(s, FOV).map((x) => [x.side, x.lasers, x.channel])).toEqual([
      ['left', [2, 4], 1],
      ['right', [2, 4], 5],
    ]);
  });

  it('loops time point, then tile, then side, then laser', () => {
    const s = tileWorkflow();
    s.rightPath = true;
    s.experiment.duration = '00:00:02:00';
    s.experiment.interval = '00:00:01:00';
    const stacks = expandWorkflow(s, FOV);
    expect(stacks).toHaveLength(3 * 9 * 2 * 2);
    expect(stacks.map((x) => x.stackIndex)).toEqual(stacks.map((_, i) => i));
    const key = (x: (typeof stacks)[number]): number[] => [x.timepoint, x.tileIndex, x.side === 'left' ? 0 : 1, x.lasers[0]!];
    for (let i = 1; i < stacks.length; i++) {
      const a = key(stacks[i - 1]!);
      const b = key(stacks[i]!);
      const firstDiff = a.findIndex((v, k) => v !== b[k]);
      expect(firstDiff).toBeGreaterThanOrEqual(0);
      expect(b[firstDiff]!).toBeGreaterThan(a[firstDiff]!);
    }
    expect(stacks.slice(0, 4).map((x) => [x.tileIndex, x.side, x.lasers[0]])).toEqual([
      [0, 'left', 2],
      [0, 'left', 4],
      [0, 'right', 2],
      [0, 'right', 4],
    ]);
  });

  it('places Tile stacks on the §8.5 grid with the overlap from Stack option settings 1/2', () => {
    const stacks = expandWorkflow(tileWorkflow(), FOV).filter((x) => x.lasers[0] === 2);
    expect(stacks.map((x) => [Number(x.tile.xMm.toFixed(4)), Number(x.tile.yMm.toFixed(4))]).slice(0, 4)).toEqual([
      [8.3236, 12.8236],
      [6.3927, 12.8236],
      [4.4619, 12.8236],
      [8.3236, 10.8927],
    ]);
    expect(stacks.every((x) => x.planes === 200 && x.zStartMm === 18 && x.zEndMm === 18.5)).toBe(true);
    const wide = tileWorkflow();
    wide.stack.stackOptionSettings1 = 0;
    wide.stack.stackOptionSettings2 = 50;
    const tiles = new Set(expandWorkflow(wide, FOV).map((x) => x.tileIndex));
    expect(tiles.size).toBe(3 * 4);
  });

  it('uses the fov argument (the server’s swapped field of view)', () => {
    const s = tileWorkflow();
    s.end.yMm = s.start.yMm; // one row: only X matters
    const fov = tileFieldOfView(2048, 512, 0.0010475); // X from the height: 0.536 mm
    const xs = new Set(expandWorkflow(s, fov).map((x) => x.tile.xMm));
    expect(xs.size).toBe(Math.ceil((3 + fov.xMm) / (fov.xMm * 0.9)));
  });

  it('takes one plane at Start Z for Snapshot and None, at the start X/Y', () => {
    for (const option of ['Snapshot', 'None', ''] as const) {
      const s = example();
      s.stack.stackOption = option;
      s.end = { xMm: 9, yMm: 15, zMm: 19, angleDeg: 0 };
      const stacks = expandWorkflow(s, FOV);
      expect(stacks).toHaveLength(2);
      for (const x of stacks) {
        expect(x).toMatchObject({ planes: 1, zStartMm: 18, zEndMm: 18, tile: { xMm: 7.5, yMm: 14 }, tileIndex: 0 });
      }
    }
  });

  it('keeps a ZStack at the start X/Y even when End X/Y differ', () => {
    const s = example();
    s.end = { xMm: 9, yMm: 15, zMm: 17, angleDeg: 0 };
    expect(expandWorkflow(s, FOV).map((x) => [x.tile, x.zStartMm, x.zEndMm])).toEqual([
      [{ xMm: 7.5, yMm: 14 }, 18, 17],
      [{ xMm: 7.5, yMm: 14 }, 18, 17],
    ]);
  });

  it('has no stacks without an enabled laser or a side', () => {
    const noLaser = example();
    noLaser.lasers.forEach((l) => (l.on = false));
    expect(expandWorkflow(noLaser, FOV)).toEqual([]);
    const noSide = example();
    noSide.leftPath = false;
    expect(expandWorkflow(noSide, FOV)).toEqual([]);
  });
});

describe('validateWorkflow', () => {
  it('accepts the §8.6 example, a Snapshot and the worked Tile example', () => {
    expect(validateWorkflow(example(), HARD, FOV)).toEqual([]);
    const snap = example();
    snap.stack.stackOption = 'Snapshot';
    snap.stack.planes = 1;
    expect(validateWorkflow(snap, HARD, FOV)).toEqual([]);
    expect(validateWorkflow(tileWorkflow(), HARD, FOV)).toEqual([]);
  });

  it('lists every reason', () => {
    const s = example();
    s.lasers = [];
    s.leftPath = false;
    s.stack.stackOption = 'OPT';
    s.stack.planes = 0;
    const reasons = validateWorkflow(s, HARD, FOV);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/lists no lasers/);
    expect(reasons[1]).toMatch(/Neither the left nor the right illumination path/);
    expect(reasons[2]).toMatch(/Stack option 'OPT' is not supported \(only ZStack, Tile, Snapshot and None are\)/);
    expect(reasons[3]).toMatch(/Number of planes must be a whole number of at least 1, got 0/);
  });

  it('reports lasers that are all off', () => {
    const s = example();
    s.lasers.forEach((l) => (l.on = false));
    expect(validateWorkflow(s, HARD, FOV)).toEqual(['No laser is enabled.']);
  });

  it.each(['ZStack Movie', 'ZStack API', 'ZSweep', 'OPT', 'OPT ZStacks', 'Bidirectional'] as const)('rejects the unsupported option %s', (option) => {
    const s = example();
    s.stack.stackOption = option;
    expect(validateWorkflow(s, HARD, FOV)).toEqual([expect.stringMatching(`'${option}' is not supported`)]);
  });

  it('reports tile centres outside the hard limits', () => {
    const s = tileWorkflow();
    s.start.xMm = 1.5; // the low tile column lands below X 1.0
    const reasons = validateWorkflow(s, HARD, FOV);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/3 of \d+ tile centres are outside the hard limits X 1–15 mm, Y 5–25 mm/);
    const y = tileWorkflow();
    y.end.yMm = 25; // corner centre on the limit: the centred grid's top row lands at 25.116
    expect(validateWorkflow(y, HARD, FOV)[0]).toMatch(/tile centres are outside the hard limits/);
    const z = example();
    z.start.xMm = 16;
    expect(validateWorkflow(z, HARD, FOV)).toEqual([expect.stringMatching(/The stack position is outside the hard limits .*X 16, Y 14/)]);
  });

  it('reports non-finite numbers and a planes count that is not whole', () => {
    const s = example();
    s.start.zMm = Number.NaN;
    s.lasers[1]!.powerPercent = Infinity;
    s.stack.planes = 2.5;
    const reasons = validateWorkflow(s, HARD, FOV);
    expect(reasons).toContain('These values are not finite numbers: start Z, laser 2 power.');
    expect(reasons).toContainEqual(expect.stringMatching(/got 2.5/));
  });

  it('reports an unusable Z velocity and a bad time value', () => {
    const s = example();
    s.experiment.frameRate = 1000; // 2.5 µm × 1000 f/s = 2.5 mm/s
    s.stack.zVelocityMmS = 2.5; // out of range, so auto-update recomputes it: still 2.5
    s.experiment.duration = 'soon';
    const reasons = validateWorkflow(s, HARD, FOV);
    expect(reasons).toContainEqual(expect.stringMatching(/Time value 'soon' is not dd:hh:mm:ss/));
    expect(reasons).toContainEqual(expect.stringMatching(/Z velocity 2.5 mm\/s \(plane spacing 2.5 µm × frame rate 1000 f\/s\) is outside 0.001–1 mm\/s/));
    const written = example();
    written.stack.zVelocityMmS = 0; // auto-update recomputes 0.1 mm/s from step × rate
    expect(validateWorkflow(written, HARD, FOV)).toEqual([]);
    written.stack.autoUpdate = false; // without it, 0 mm/s stands
    expect(validateWorkflow(written, HARD, FOV)).toEqual([expect.stringMatching(/Z velocity 0 mm\/s \(as written, with auto update off\)/)]);
  });
});
