import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../../src/acquisition/protocol/errors.ts';
import { tileCenters, tileFieldOfView, tileGrid } from '../../../src/acquisition/protocol/tile-geometry.ts';

const F = 2.1454;

function rounded(values: number[], digits = 4): number[] {
  return values.map((v) => Number(v.toFixed(digits)));
}

describe('tileCenters', () => {
  it('reproduces the §8.5 worked example', () => {
    expect(rounded(tileCenters(5, 8, F, 10))).toEqual([8.3236, 6.3927, 4.4619]);
    expect(rounded(tileCenters(10, 12, F, 10))).toEqual([12.8236, 10.8927, 8.9619]);
  });

  it('descends from the high corner whichever way start and end are given', () => {
    expect(tileCenters(8, 5, F, 10)).toEqual(tileCenters(5, 8, F, 10));
  });

  it('steps by F × (100 − overlap) / 100 and centres the span on the region', () => {
    const c = tileCenters(5, 8, F, 10);
    const step = F * 0.9;
    expect(c[0]! - c[1]!).toBeCloseTo(step, 12);
    expect(c[1]! - c[2]!).toBeCloseTo(step, 12);
    // The span n·P is centred on the region [lo, hi]; the centres themselves are not symmetric.
    const hi = 8 + F / 2;
    const lo = 5 - F / 2;
    const spanTop = c[0]! + F / 2;
    const spanBottom = spanTop - 3 * step;
    expect(spanTop - hi).toBeCloseTo(lo - spanBottom, 12);
    expect((c[0]! + c[2]!) / 2).not.toBeCloseTo(6.5, 3);
  });

  it('clamps the overlap to 0–50 %', () => {
    expect(tileCenters(5, 12, F, 80)).toEqual(tileCenters(5, 12, F, 50));
    expect(tileCenters(5, 12, F, -10)).toEqual(tileCenters(5, 12, F, 0));
    expect(tileCenters(5, 12, F, 50).length).toBeGreaterThan(tileCenters(5, 12, F, 0).length);
  });

  it('gives one tile at the position when start equals end', () => {
    expect(tileCenters(7.25, 7.25, F, 10)).toEqual([7.25]);
    expect(tileCenters(7.25, 7.25, F, 50)).toEqual([7.25]);
  });

  it('counts with ceil of region ÷ step, not the older floor + 1', () => {
    // Region 2 + 2 = 4 mm at a 2 mm step is exactly 2 tiles; floor(2 / 2) + 1 would also say 2,
    // but a 0.1 mm longer range needs 3 while floor(2.1 / 2) + 1 says 2.
    expect(tileCenters(5, 7, 2, 0)).toEqual([7, 5]);
    expect(tileCenters(5, 7.1, 2, 0).length).toBe(3);
  });

  it('rejects a non-positive field of view and non-finite inputs', () => {
    for (const call of [() => tileCenters(5, 8, 0, 10), () => tileCenters(5, 8, -1, 10), () => tileCenters(5, 8, F, Number.NaN), () => tileCenters(Number.NaN, 8, F, 10)]) {
      let caught: unknown;
      try {
        call();
      } catch (err) {
        caught = err;
      }
      expect(isProtocolError(caught, 'bad-field')).toBe(true);
    }
  });
});

describe('tileGrid', () => {
  it('visits the worked example Y outer, X inner, both descending: 9 tiles', () => {
    const grid = tileGrid({ xStartMm: 5, xEndMm: 8, yStartMm: 10, yEndMm: 12, fovXMm: F, fovYMm: F, overlapXPercent: 10, overlapYPercent: 10 });
    expect(grid.map((t) => [Number(t.xMm.toFixed(4)), Number(t.yMm.toFixed(4))])).toEqual([
      [8.3236, 12.8236],
      [6.3927, 12.8236],
      [4.4619, 12.8236],
      [8.3236, 10.8927],
      [6.3927, 10.8927],
      [4.4619, 10.8927],
      [8.3236, 8.9619],
      [6.3927, 8.9619],
      [4.4619, 8.9619],
    ]);
  });

  it('uses each axis’ own field of view and overlap', () => {
    const grid = tileGrid({ xStartMm: 5, xEndMm: 8, yStartMm: 10, yEndMm: 10, fovXMm: 1, fovYMm: 3, overlapXPercent: 0, overlapYPercent: 50 });
    expect(grid.map((t) => t.yMm)).toEqual([10, 10, 10, 10]);
    expect(grid.map((t) => t.xMm)).toEqual(tileCenters(5, 8, 1, 0));
  });
});

describe('tileFieldOfView', () => {
  it('swaps the axes like the server: X from the ROI height, Y from the width', () => {
    expect(tileFieldOfView(2048, 1024, 0.001)).toEqual({ xMm: 1.024, yMm: 2.048 });
    const full = tileFieldOfView(2048, 2048, 6.5 / 6.205 / 1000);
    expect(full.xMm).toBeCloseTo(2.1454, 4);
    expect(full.yMm).toBe(full.xMm);
  });
});
