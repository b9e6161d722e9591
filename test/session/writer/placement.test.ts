import { describe, expect, it } from 'vitest';
import { canvasForTiles, frameOffset, frameOriginUm, worldAlong } from '../../../src/session/writer/placement.ts';

describe('placement', () => {
  it('maps signed stage axes to world micrometres', () => {
    const stage = { xMm: 1.5, yMm: -2, zMm: 3 };
    expect(worldAlong('+x', stage)).toBe(1500);
    expect(worldAlong('-y', stage)).toBe(2000);
    expect(worldAlong('+z', stage)).toBe(3000);
  });

  it('puts the tile centre at the stage position and row 0 at the smallest world y (no flip)', () => {
    expect(frameOriginUm({ xMm: 1, yMm: 2 }, { width: 101, height: 51 }, { y: 0.5, x: 2 })).toEqual([2000 - 12.5, 1000 - 100]);
  });

  it('covers the union of tile footprints, snapped to whole voxels', () => {
    const frame = { width: 100, height: 80 };
    const voxel = { y: 1, x: 1 };
    const tiles = [{ xMm: 0, yMm: 0 }, { xMm: 0.09, yMm: 0 }, { xMm: 0, yMm: 0.07 }, { xMm: 0.09, yMm: 0.07 }];
    const c = canvasForTiles(tiles, frame, voxel);
    expect(c.shape).toEqual([150, 190]);
    expect(c.originUm).toEqual([-39.5, -49.5]);
    expect(frameOffset(tiles[3]!, frame, voxel, c.originUm)).toEqual([70, 90]);
    // A flipped x axis mirrors the tile order, not the pixels.
    const f = canvasForTiles(tiles, frame, voxel, { z: '+z', y: '+y', x: '-x' });
    expect(frameOffset(tiles[1]!, frame, voxel, f.originUm, { z: '+z', y: '+y', x: '-x' })).toEqual([0, 0]);
    expect(() => canvasForTiles([], frame, voxel)).toThrow(/at least one tile/);
  });
});
