import { describe, expect, it } from 'vitest';
import { DisplayCache, DisplayProducer, defaultPlaneLevel, displayLevelFor, isDisplayError } from '../../../src/acquisition/volume/display-cache.ts';
import type { DisplayAccumulation } from '../../../src/acquisition/volume/display-cache.ts';
import { openImage } from '../../../src/session/read/open.ts';
import type { Accumulation } from '../../../src/session/metadata/types.ts';
import { pixels, stackFrames, writeSession } from './helpers.ts';
import type { TestFrame } from './helpers.ts';

/** Every plane of level `level` of channel `c` as saved. */
async function savedPlanes(store: Parameters<typeof openImage>[0], level: number, c: number): Promise<Uint16Array[]> {
  const image = await openImage(store);
  const lv = image.levels[level]!;
  const [, Z, Y, X] = lv.shape as [number, number, number, number];
  const out: Uint16Array[] = [];
  for (let z = 0; z < Z; z++) out.push((await lv.readRegion({ start: [c, z, 0, 0], stop: [c + 1, z + 1, Y, X] })).data as Uint16Array);
  return out;
}

function feed(producer: DisplayProducer, frames: readonly TestFrame[]): void {
  for (const f of frames) expect(producer.putFrame(f)).toBe(true);
}

async function expectEqualToSaved(frames: TestFrame[], shape: [number, number, number, number], levels: number, displayLevel: number, accumulation: Accumulation, reduction: 'mean' | 'max'): Promise<DisplayProducer> {
  const { store, levelShapes } = await writeSession(shape, levels, frames, { accumulation, reduction });
  const producer = new DisplayProducer({ session: 's', levelShapes, displayLevel, accumulation, reduction });
  feed(producer, frames);
  for (let c = 0; c < shape[0]; c++) {
    const saved = await savedPlanes(store, displayLevel, c);
    saved.forEach((plane, z) => expect(producer.displayPlane(c, z), `channel ${c} plane ${z}`).toEqual(plane));
  }
  return producer;
}

describe('display levels', () => {
  it('picks the finest level of at most 512·512 voxels for the volume and ≤ 1024 a side for planes', () => {
    const shapes = [[1, 9, 2048, 2048], [1, 9, 1024, 1024], [1, 9, 512, 512], [1, 9, 256, 256]];
    expect(displayLevelFor(shapes)).toBe(2);
    expect(defaultPlaneLevel(shapes)).toBe(1);
    expect(displayLevelFor([[1, 1, 600, 500]])).toBe(0); // coarsest when none fits
    expect(displayLevelFor([[1, 1, 300, 300]])).toBe(0);
    expect(defaultPlaneLevel([[1, 1, 3000, 10], [1, 1, 1500, 5]])).toBe(1);
    expect(() => displayLevelFor([])).toThrow(/empty/);
  });
});

describe('DisplayProducer equals the saved pyramid level', () => {
  it('a two-channel z-stack with odd sizes, mean reduction, display level 2', async () => {
    const frames = stackFrames(2, 5, 150, 131);
    const p = await expectEqualToSaved(frames, [2, 5, 150, 131], 3, 2, 'maximum', 'mean');
    expect(p.stats()).toMatchObject({ framesPlaced: 10, framesIgnored: 0, inexactFrames: 0 });
  });

  const modes: Array<[Accumulation, 'mean' | 'max']> = [['maximum', 'mean'], ['latest', 'mean'], ['average', 'mean'], ['additive', 'max'], ['maximum', 'max']];
  for (const [mode, reduction] of modes) {
    it(`overlapping tiles at unaligned offsets, ${mode} accumulation, ${reduction} reduction`, async () => {
      // Three tiles of 70 × 60, visited tile by tile (all z of a tile, then the next), some sticking out of the canvas.
      const offsets: Array<[number, number]> = [[3, 5], [41, 47], [-7, 90]];
      const frames: TestFrame[] = [];
      let n = 0;
      for (const [y, x] of offsets) {
        for (let z = 0; z < 4; z++) frames.push({ channel: 0, z, y, x, width: 60, height: 70, pixels: pixels(60, 70, 100 + n), frameNumber: n++, acquiredAtMs: n });
      }
      await expectEqualToSaved(frames, [1, 4, 117, 139], 4, 1, mode, reduction);
      await expectEqualToSaved(frames, [1, 4, 117, 139], 4, 3, mode, reduction);
    });
  }

  it('display level 0 is level 0 itself', async () => {
    const frames = stackFrames(1, 3, 40, 33, 9);
    await expectEqualToSaved(frames, [1, 3, 40, 33], 2, 0, 'maximum', 'mean');
  });

  it('stays exact for maximum/max after level-0 planes are evicted, and counts the merged frames', async () => {
    const frames: TestFrame[] = [];
    let n = 0;
    for (const [y, x] of [[0, 0], [20, 30]] as const) {
      for (let z = 0; z < 4; z++) frames.push({ channel: 0, z, y, x, width: 50, height: 40, pixels: pixels(50, 40, 7 + n), frameNumber: n++, acquiredAtMs: n });
    }
    const { store, levelShapes } = await writeSession([1, 4, 64, 80], 3, frames, { reduction: 'max' });
    const producer = new DisplayProducer({ session: 's', levelShapes, displayLevel: 2, reduction: 'max', level0BudgetBytes: 64 * 80 * 2 * 2 });
    feed(producer, frames);
    const saved = await savedPlanes(store, 2, 0);
    saved.forEach((plane, z) => expect(producer.displayPlane(0, z)).toEqual(plane));
    expect(producer.stats().inexactFrames).toBeGreaterThan(0);
    expect(producer.stats().level0Bytes).toBeLessThanOrEqual(64 * 80 * 2 * 2);
  });
});

describe('DisplayProducer events', () => {
  const shapes = [[2, 10, 40, 48], [2, 10, 20, 24], [2, 10, 10, 12]];
  const frame = (channel: number, z: number, seed: number, over: Partial<TestFrame> = {}): TestFrame => ({ channel, z, y: 0, x: 0, width: 48, height: 40, pixels: pixels(48, 40, seed), frameNumber: seed, acquiredAtMs: seed * 10, ...over });

  it('coalesces dirty planes into contiguous z-ranges per channel, once', () => {
    const p = new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 1 });
    expect(p.takeVolumeEvents()).toEqual([]);
    for (const z of [2, 3, 4, 7]) p.putFrame(frame(0, z, z));
    p.putFrame(frame(1, 0, 50));
    p.putFrame(frame(0, 3, 51)); // again into a dirty plane
    expect(p.hasVolumeChanges()).toBe(true);
    const events = p.takeVolumeEvents();
    expect(events.map((e) => [e.channel, e.zStart, e.zEnd, e.level, e.width, e.height, e.data.length, e.version])).toEqual([
      [0, 2, 5, 1, 24, 20, 3 * 480, 6],
      [0, 7, 8, 1, 24, 20, 480, 6],
      [1, 0, 1, 1, 24, 20, 480, 6],
    ]);
    expect(events[0]!.data.subarray(480, 960)).toEqual(p.displayPlane(0, 3));
    expect(p.takeVolumeEvents()).toEqual([]);
    expect(p.hasVolumeChanges()).toBe(false);
    expect(p.version).toBe(6);
  });

  it('planeEvent holds only the frames placed since its z became newest, at any level', () => {
    const p = new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 2 });
    expect(p.planeEvent(0, 0)).toBeNull();
    const left = frame(0, 5, 1, { width: 20, pixels: pixels(20, 40, 1) });
    const right = frame(0, 5, 2, { x: 28, width: 20, pixels: pixels(20, 40, 2) });
    p.putFrame(left);
    p.putFrame(frame(0, 6, 3));
    p.putFrame(right); // z 5 is newest again: only `right` shows
    const e = p.planeEvent(0, 0)!;
    expect(e).toMatchObject({ type: 'plane', session: 'a', channel: 0, z: 5, level: 0, width: 48, height: 40, frameNumber: 2, acquiredAtMs: 20, version: 3 });
    for (let y = 0; y < 40; y++) {
      expect(Array.from(e.pixels.subarray(y * 48, y * 48 + 28)).every((v) => v === 0)).toBe(true);
      expect(e.pixels.subarray(y * 48 + 28, y * 48 + 48)).toEqual(right.pixels.subarray(y * 20, y * 20 + 20));
    }
    const e1 = p.planeEvent(0, 1)!;
    expect([e1.width, e1.height, e1.pixels.length]).toEqual([24, 20, 480]);
    expect(e1.pixels[0]).toBe(0);
    expect(e1.pixels[23]).toBe((right.pixels[18]! + right.pixels[19]! + right.pixels[38]! + right.pixels[39]! + 2) >> 2);
    const again = p.planeEvent(0, 1)!;
    expect(again.pixels).toEqual(e1.pixels);
    expect(again.pixels).not.toBe(e1.pixels); // the caller's own array
    p.putFrame(left);
    expect(p.planeEvent(0, 1)!.pixels[0]).toBe((left.pixels[0]! + left.pixels[1]! + left.pixels[20]! + left.pixels[21]! + 2) >> 2);
    expect(p.planeEvent(0, 3)).toBeNull();
    expect(p.planeEvent(1, 0)).toBeNull();
    // The display volume keeps everything placed at z 5.
    const both = new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 0 });
    both.putFrame(left);
    both.putFrame(right);
    expect(p.displayPlane(0, 5)).not.toEqual(new Uint16Array(120));
    expect(both.planeEvent(0, 0)!.pixels.subarray(0, 20)).toEqual(left.pixels.subarray(0, 20));
  });

  it('ignores and counts malformed or out-of-canvas frames', () => {
    const p = new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 1 });
    expect(p.putFrame(frame(2, 0, 1))).toBe(false);
    expect(p.putFrame(frame(0, 10, 1))).toBe(false);
    expect(p.putFrame(frame(0, 0, 1, { x: 48 }))).toBe(false);
    expect(p.putFrame(frame(0, 0, 1, { width: 47 }))).toBe(false);
    expect(p.stats()).toMatchObject({ framesPlaced: 0, framesIgnored: 4 });
    expect(p.version).toBe(0);
  });

  it('refuses bad shapes, levels and options with a clear error', () => {
    expect(() => new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 3 })).toThrow(/Display level 3 does not exist; the session has levels 0–2/);
    expect(() => new DisplayProducer({ session: 'a', levelShapes: [[2, 10, 40, 48], [2, 10, 21, 24]], displayLevel: 0 })).toThrow(/Level 1 has shape \[2, 10, 21, 24\]/);
    expect(() => new DisplayProducer({ session: 'a', levelShapes: shapes, displayLevel: 0, accumulation: 'mean' as DisplayAccumulation })).toThrow(/Accumulation "mean"/);
    try {
      new DisplayProducer({ session: 'a', levelShapes: [[10, 40, 48]], displayLevel: 0 });
    } catch (err) {
      expect(isDisplayError(err, 'bad-levels')).toBe(true);
    }
  });
});

describe('DisplayCache', () => {
  const shapes = [[2, 6, 40, 48], [2, 6, 20, 24]];

  it('round-trips producer events: display volume and newest planes', () => {
    const p = new DisplayProducer({ session: 's1', levelShapes: shapes, displayLevel: 1, accumulation: 'max' });
    const cache = new DisplayCache({ session: 's1', levelShapes: shapes, displayLevel: 1 });
    const changes: string[] = [];
    const off = cache.onChange((c) => changes.push(c.kind === 'plane' ? `plane ${c.channel} z${c.z} L${c.level} v${c.version}` : `volume ${c.channel} ${c.zStart}-${c.zEnd} v${c.version}`));
    for (let z = 0; z < 6; z++) for (let c = 0; c < 2; c++) p.putFrame({ channel: c, z, y: 0, x: 0, width: 48, height: 40, pixels: pixels(48, 40, z * 2 + c), frameNumber: z * 2 + c, acquiredAtMs: 0 });
    for (const e of p.takeVolumeEvents()) expect(cache.apply(e)).toBe(true);
    expect(cache.apply(p.planeEvent(1, 0)!)).toBe(true);
    for (let c = 0; c < 2; c++) for (let z = 0; z < 6; z++) expect(cache.displayPlane(c, z)).toEqual(p.displayPlane(c, z));
    expect(cache.displayVolume(1).subarray(5 * 480)).toEqual(p.displayPlane(1, 5));
    expect(cache.newestPlane(1)).toMatchObject({ z: 5, level: 0, width: 48 });
    expect(cache.newestPlane(0)).toBeNull();
    expect(changes).toEqual(['volume 0 0-6 v1', 'volume 1 0-6 v2', 'plane 1 z5 L0 v3']);
    expect(cache.version).toBe(3);
    expect(cache.dataVersion).toBe(12);
    expect(cache.volumeVersion).toBe(2);
    expect(cache.planeStamp(0, 3)).toBe(1);
    expect(cache.hasDisplayPlane(0, 3)).toBe(true);
    off();
    p.putFrame({ channel: 0, z: 0, y: 0, x: 0, width: 48, height: 40, pixels: pixels(48, 40, 99), frameNumber: 12, acquiredAtMs: 0 });
    for (const e of p.takeVolumeEvents()) cache.apply(e);
    expect(changes).toHaveLength(3);
    expect(cache.planeStamp(0, 0)).toBe(4);
  });

  it('refuses events of another session or that do not fit, and late older planes', () => {
    const cache = new DisplayCache({ session: 's1', levelShapes: shapes, displayLevel: 1 });
    const vol = { type: 'volume' as const, session: 's1', channel: 0, level: 1, zStart: 0, zEnd: 1, width: 24, height: 20, data: new Uint16Array(480), version: 1 };
    expect(cache.apply({ ...vol, session: 'other' })).toBe(false);
    expect(cache.apply({ ...vol, level: 0 })).toBe(false);
    expect(cache.apply({ ...vol, zEnd: 2 })).toBe(false);
    expect(cache.apply({ ...vol, channel: 2 })).toBe(false);
    expect(cache.apply(vol)).toBe(true);
    const plane = { type: 'plane' as const, session: 's1', channel: 0, z: 1, level: 1, width: 24, height: 20, pixels: new Uint16Array(480), version: 5, acquiredAtMs: 0, frameNumber: 3 };
    expect(cache.apply({ ...plane, width: 23 })).toBe(false);
    expect(cache.apply(plane)).toBe(true);
    expect(cache.apply({ ...plane, version: 4 })).toBe(false);
    expect(cache.version).toBe(2);
  });
});
