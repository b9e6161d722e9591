import { describe, expect, it } from 'vitest';
import type { LiveSessionInfo } from '../../src/acquisition/live-backend.ts';
import { DisplayProducer, reducePlane } from '../../src/acquisition/volume/display-cache.ts';
import { LiveImage, isLayerError } from '../../src/layers/live-image.ts';
import { VIV_SIGNAL_ABORTED } from '../../src/layers/types.ts';
import type { LivePixelSource } from '../../src/layers/types.ts';
import type { ImageDescription, LevelDescription, PixelBlock, Region } from '../../src/session/read/description.ts';
import { openImage } from '../../src/session/read/open.ts';
import type { MemoryStore } from '../../src/session/store/memory-store.ts';
import type { ReadableSessionStore } from '../../src/session/store/types.ts';
import { pixels, stackFrames, writeSession } from '../acquisition/volume/helpers.ts';
import type { TestFrame } from '../acquisition/volume/helpers.ts';

async function plane(level: LevelDescription, c: number, z: number): Promise<Uint16Array> {
  const [, , Y, X] = level.shape as [number, number, number, number];
  return (await level.readRegion({ start: [c, z, 0, 0], stop: [c + 1, z + 1, Y, X] })).data as Uint16Array;
}

/** Reads a whole plane through getTile, tile by tile, and through getRaster; both must agree. */
async function viaTiles(source: LivePixelSource, c: number, z: number): Promise<Uint16Array> {
  const [, , Y, X] = source.shape as [number, number, number, number];
  const ts = source.tileSize;
  const out = new Uint16Array(Y * X);
  for (let ty = 0; ty * ts < Y; ty++) {
    for (let tx = 0; tx * ts < X; tx++) {
      const t = await source.getTile({ x: tx, y: ty, selection: { c, z } });
      expect([t.width, t.height]).toEqual([Math.min(ts, X - tx * ts), Math.min(ts, Y - ty * ts)]);
      for (let r = 0; r < t.height; r++) out.set(t.data.subarray(r * t.width, (r + 1) * t.width) as Uint16Array, (ty * ts + r) * X + tx * ts);
    }
  }
  const raster = await source.getRaster({ selection: { c, z } });
  expect(raster.data).toEqual(out);
  return out;
}

function infoOf(levelShapes: number[][], displayLevel: number, status: LiveSessionInfo['status'] = 'acquiring'): LiveSessionInfo {
  return {
    name: 'display test',
    storeUrl: null,
    status,
    levelShapes,
    voxelSizeUm: { z: 2, y: 0.5, x: 0.5 },
    channels: [
      { name: 'ch0', color: '00FF00', wavelengthNm: 488, contrast: [100, 900], visible: true },
      { name: 'ch1', color: 'FF00FF', wavelengthNm: 561, contrast: [0, 4000], visible: false },
    ],
    displayLevel,
    version: 0,
  };
}

describe('LiveImage over a stored session', () => {
  it('serves tiles and rasters equal to the store at every level, with shape, labels, dtype and physical sizes', async () => {
    const frames = stackFrames(2, 3, 150, 131);
    const { store } = await writeSession([2, 3, 150, 131], 3, frames);
    const desc = await openImage(store);
    const image = LiveImage.fromDescription(desc, { tileSize: 64 });
    expect(image.info).toMatchObject({ name: 'display test', status: 'complete', levelShapes: [[2, 3, 150, 131], [2, 3, 75, 66], [2, 3, 38, 33]], displayLevel: 0, voxelSizeUm: { z: 2, y: 0.5, x: 0.5 } });
    const loaders = image.loaders();
    expect(loaders).toHaveLength(3);
    expect(loaders[1]).toMatchObject({ shape: [2, 3, 75, 66], labels: ['c', 'z', 'y', 'x'], dtype: 'Uint16', tileSize: 64, level: 1 });
    expect(loaders[2]!.meta.physicalSizes).toEqual({ x: { size: 0.5, unit: 'µm' }, y: { size: 0.5, unit: 'µm' }, z: { size: 2, unit: 'µm' } });
    expect(image.volumeLoader().meta.physicalSizes).toEqual({ x: { size: 0.5, unit: 'µm' }, y: { size: 0.5, unit: 'µm' }, z: { size: 2, unit: 'µm' } });
    expect(image.physicalSizes(1)).toEqual({ x: { size: 1, unit: 'µm' }, y: { size: 1, unit: 'µm' }, z: { size: 2, unit: 'µm' } });
    for (let l = 0; l < 3; l++) {
      for (const [c, z] of [[0, 0], [1, 2]] as const) expect(await viaTiles(loaders[l]!, c, z)).toEqual(await plane(desc.levels[l]!, c, z));
    }
    // MIP: max over z of the display level.
    const mip = image.mipLoader();
    expect(mip.shape).toEqual([2, 1, 150, 131]);
    const planes = await Promise.all([0, 1, 2].map((z) => plane(desc.levels[0]!, 1, z)));
    const want = planes[0]!.map((v, i) => Math.max(v, planes[1]![i]!, planes[2]![i]!));
    expect((await mip.getRaster({ selection: { c: 1, z: 0 } })).data).toEqual(want);
    // A bounded contrast sample over the stored display volume.
    const sample = await image.contrastSample(1, 1000);
    expect(sample).toHaveLength(1000);
    const stride = (3 * 150 * 131) / 1000;
    const k = Math.floor(999 * stride);
    expect(sample[999]).toBe(planes[Math.floor(k / (150 * 131))]![k % (150 * 131)]);
    expect(loaders).toBe(image.loaders());
  });

  it('rejects with Viv\'s abort value when the signal is aborted, before or during a read', async () => {
    const frames = stackFrames(1, 2, 40, 48);
    const { store } = await writeSession([1, 2, 40, 48], 2, frames);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: ReadableSessionStore = {
      description: 'slow store',
      list: (p) => store.list(p),
      get: async (key, options) => {
        if (/^\d+\/\d/.test(key)) await gate;
        return store.get(key, options);
      },
    };
    const image = LiveImage.fromDescription(await openImage(slow, { cacheBytes: 0 }));
    const source = image.loaders()[0]!;
    const before = new AbortController();
    before.abort();
    await expect(source.getTile({ x: 0, y: 0, selection: { c: 0, z: 0 }, signal: before.signal })).rejects.toBe(VIV_SIGNAL_ABORTED);
    const during = new AbortController();
    const pending = source.getTile({ x: 0, y: 0, selection: { c: 0, z: 1 }, signal: during.signal });
    during.abort();
    release();
    await expect(pending).rejects.toBe(VIV_SIGNAL_ABORTED);
    const { SIGNAL_ABORTED } = await import('@vivjs/loaders');
    expect(VIV_SIGNAL_ABORTED).toBe(SIGNAL_ABORTED);
  });

  it('refuses a selection or tile outside the image with a clear error, and records tile errors', async () => {
    const { store } = await writeSession([1, 2, 40, 48], 2, stackFrames(1, 2, 40, 48));
    const seen: Error[] = [];
    const image = LiveImage.fromDescription(await openImage(store), { onTileError: (e) => seen.push(e) });
    const s = image.loaders()[0]!;
    await expect(s.getTile({ x: 0, y: 0, selection: { c: 1, z: 0 } })).rejects.toThrow(/Selection c=1, z=0 is outside the image's 1 channels and 2 planes/);
    await expect(s.getTile({ x: 1, y: 0, selection: { c: 0, z: 0 } })).rejects.toThrow(/Tile \(1, 0\) of 512 px is outside level 0/);
    const err = await s.getRaster({ selection: { c: 0, z: 5 } }).catch((e: unknown) => e);
    expect(isLayerError(err, 'bad-selection')).toBe(true);
    s.onTileError(err as Error);
    expect(seen).toEqual([err]);
    expect(image.errors).toEqual([err]);
  });
});

describe('LiveImage with live data', () => {
  /** A 4-plane session whose store holds z 0–1; the viewer also got live data for z 0–2 (z 2 newest). */
  async function live() {
    const all: TestFrame[] = [];
    for (let z = 0; z < 3; z++) all.push({ channel: 0, z, y: 0, x: 0, width: 100, height: 90, pixels: pixels(100, 90, 40 + z), frameNumber: z, acquiredAtMs: z });
    const { store, levelShapes } = await writeSession([1, 4, 90, 100], 4, all.slice(0, 2));
    const full = await writeSession([1, 4, 90, 100], 4, all);
    const image = await LiveImage.open(infoOf(levelShapes, 2), store, { tileSize: 32 });
    const producer = new DisplayProducer({ session: 'display test', levelShapes, displayLevel: 2 });
    for (const f of all) producer.putFrame(f);
    return { store, full, image, producer, levelShapes, all };
  }

  it('shows the display level and coarser from the display volume, finer levels from the store with the newest plane overlaid', async () => {
    const { store, full, image, producer } = await live();
    const desc = await openImage(store);
    const fullDesc = await openImage(full.store);
    const v0 = image.version;
    for (const e of producer.takeVolumeEvents()) expect(image.apply(e)).toBe(true);
    expect(image.apply(producer.planeEvent(0, 1)!)).toBe(true);
    expect(image.version).toBe(v0 + 2);
    // The writer announces what it flushed (z 0–1), as the bridge does.
    expect(image.apply({ type: 'flushed', session: 'display test', channel: 0, zStart: 0, zEnd: 2, version: 2 })).toBe(true);
    await image.settled();
    expect(image.newestZ(0)).toBe(2);
    const L = image.loaders();
    // Display level: the display volume, which equals what the writer saves.
    for (let z = 0; z < 3; z++) {
      expect(await viaTiles(L[2]!, 0, z)).toEqual(producer.displayPlane(0, z));
      expect(await viaTiles(L[2]!, 0, z)).toEqual(await plane(fullDesc.levels[2]!, 0, z));
    }
    // Coarser: reduced from it.
    expect(await viaTiles(L[3]!, 0, 2)).toEqual(reducePlane(producer.displayPlane(0, 2), 23, 25, 1, 'mean').data);
    expect(await viaTiles(L[3]!, 0, 2)).toEqual(await plane(fullDesc.levels[3]!, 0, 2));
    // z 3 has no live data and nothing stored.
    expect(await viaTiles(L[2]!, 0, 3)).toEqual(new Uint16Array(23 * 25));
    // Finer levels, older planes: the store.
    expect(await viaTiles(L[0]!, 0, 1)).toEqual(await plane(desc.levels[0]!, 0, 1));
    // The newest plane's level (1): its pixels.
    const newest = producer.planeEvent(0, 1)!;
    expect(await viaTiles(L[1]!, 0, 2)).toEqual(newest.pixels);
    expect(await viaTiles(L[1]!, 0, 2)).toEqual(await plane(fullDesc.levels[1]!, 0, 2));
    // Finer than the newest plane, where the store has nothing: upsampled.
    const up = await viaTiles(L[0]!, 0, 2);
    expect(up[0]).toBe(newest.pixels[0]);
    expect(up[37 * 100 + 55]).toBe(newest.pixels[18 * 50 + 27]);
  });

  it('while acquiring, asks the store only for z-slabs it may hold: not the slab being written, not planes not acquired yet', async () => {
    // 130 planes: slabs z 0–63 (flushed), 64–127 (being written), 128–129 (not reached).
    const shape: [number, number, number, number] = [1, 130, 90, 100];
    const all: TestFrame[] = [];
    for (let z = 0; z < 70; z++) all.push({ channel: 0, z, y: 0, x: 0, width: 100, height: 90, pixels: pixels(100, 90, 40 + z), frameNumber: z, acquiredAtMs: z });
    const { store, levelShapes } = await writeSession(shape, 3, all.slice(0, 64));
    const asked: string[] = [];
    const counting: ReadableSessionStore = { description: 'counting store', list: (prefix) => store.list(prefix), get: (key, o) => (asked.push(key), store.get(key, o)) };
    const image = await LiveImage.open(infoOf(levelShapes, 2), counting, { tileSize: 32 });
    const producer = new DisplayProducer({ session: 'display test', levelShapes, displayLevel: 2 });
    for (const f of all) producer.putFrame(f);
    image.apply({ type: 'flushed', session: 'display test', channel: 0, zStart: 0, zEnd: 64, version: 1 });
    await image.settled();
    // The viewer holds the display volume of z 0–59 only (events for 60–69 still on their way).
    for (const e of producer.takeVolumeEvents()) image.apply({ ...e, zEnd: 60, data: e.data.subarray(0, 60 * e.width * e.height) });
    image.apply(producer.planeEvent(0, 0)!);
    const slabOf = (key: string): number | null => (/^\d+\/0\/(\d+)\//.exec(key) ? Number(/^\d+\/0\/(\d+)\//.exec(key)![1]) : null);
    asked.length = 0;
    const L = image.loaders();
    // The newest plane (z 69) and an older plane of its slab: nothing asked, the newest plane shows.
    expect(await viaTiles(L[0]!, 0, 69)).toEqual(producer.planeEvent(0, 0)!.pixels);
    expect(await viaTiles(L[0]!, 0, 65)).toEqual(new Uint16Array(90 * 100));
    // The MIP and the contrast sample: the flushed slab's missing planes (60–63) from the store, nothing else.
    const mip = (await image.mipLoader().getRaster({ selection: { c: 0, z: 0 } })).data as Uint16Array;
    await image.contrastSample(0, 5000);
    expect(new Set(asked.map(slabOf).filter((z) => z !== null))).toEqual(new Set([0]));
    const held = Array.from({ length: 64 }, (_, z) => producer.displayPlane(0, z));
    expect(mip).toEqual(held[0]!.map((_, i) => Math.max(...held.map((p) => p[i]!))));
    // An older plane of the flushed slab at level 0 comes from the store.
    expect(await viaTiles(L[0]!, 0, 10)).toEqual(await plane((await openImage(store)).levels[0]!, 0, 10));
    // Once its slab is announced flushed, the store is asked for it.
    asked.length = 0;
    image.apply({ type: 'flushed', session: 'display test', channel: 0, zStart: 64, zEnd: 128, version: 2 });
    await image.settled();
    await viaTiles(image.loaders()[0]!, 0, 65);
    expect(asked.map(slabOf)).toContain(1);
  });

  it('keeps the MIP of the planes it holds up to date as planes arrive, and starts over when a plane it folded in changes', async () => {
    const levelShapes = [[1, 6, 8, 10]];
    const live = await LiveImage.open(infoOf(levelShapes, 0), null, { tileSize: 32 });
    const n = 80;
    const planeOf = (seed: number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => ((i * 37 + seed * 101) % 997) + seed);
    const volume = (zStart: number, planes: Uint16Array[], version: number) => ({ type: 'volume' as const, session: 'display test', channel: 0, level: 0, zStart, zEnd: zStart + planes.length, width: 10, height: 8, data: Uint16Array.from(planes.flatMap((p) => [...p])), version });
    const held: Uint16Array[] = [];
    const mipNow = async () => (await live.mipLoader().getRaster({ selection: { c: 0, z: 0 } })).data as Uint16Array;
    const want = () => Uint16Array.from({ length: n }, (_, i) => Math.max(0, ...held.filter(Boolean).map((p) => p[i]!)));
    for (let z = 0; z < 6; z += 2) {
      const planes = [planeOf(z), planeOf(z + 1)];
      expect(live.apply(volume(z, planes, z + 1))).toBe(true);
      held[z] = planes[0]!;
      held[z + 1] = planes[1]!;
      expect(await mipNow()).toEqual(want());
    }
    // A plane already folded in comes again with smaller values: the MIP drops with it.
    const dimmer = new Uint16Array(n).fill(1);
    for (let z = 0; z < 6; z++) {
      live.apply(volume(z, [dimmer], 10 + z));
      held[z] = dimmer;
    }
    expect(await mipNow()).toEqual(dimmer);
  });

  it('hands out new loaders exactly when the version changes, and reads flushed chunks after a flushed event', async () => {
    const { image, full, producer } = await live();
    const before = image.loaders();
    expect(image.loaders()).toBe(before);
    const changes: string[] = [];
    image.onChange((c) => changes.push(`${c.reason}:${c.version}:${c.stackComplete}`));
    // The display level is not yet known for z 2: the store (zeros) shows.
    expect(await viaTiles(before[0]!, 0, 2)).toEqual(new Uint16Array(90 * 100));
    // z 2 gets flushed: copy its chunk files in, then announce it.
    const target = (image as unknown as { store: MemoryStore }).store;
    for (const key of await full.store.list()) if (/^\d+\/0\/0\//.test(key)) await target.set(key, (await full.store.get(key))!);
    expect(image.apply({ type: 'flushed', session: 'display test', channel: 0, zStart: 0, zEnd: 64, version: 3 })).toBe(true);
    expect(image.apply({ type: 'flushed', session: 'other', channel: 0, zStart: 0, zEnd: 64, version: 3 })).toBe(false);
    await image.settled();
    const after = image.loaders();
    expect(after).not.toBe(before);
    expect(after[0]!.version).toBe(image.version);
    expect(await viaTiles(after[0]!, 0, 2)).toEqual(await plane((await openImage(full.store)).levels[0]!, 0, 2));
    // A volume event that reaches the last plane marks a completed stack.
    for (const e of producer.takeVolumeEvents()) image.apply(e);
    image.apply({ type: 'volume', session: 'display test', channel: 0, level: 2, zStart: 3, zEnd: 4, width: 25, height: 23, data: new Uint16Array(575), version: 9 });
    image.apply({ type: 'acquisition', phase: 'finished', session: 'display test', status: 'complete' });
    await image.settled();
    expect(image.info.status).toBe('complete');
    expect(changes[0]).toMatch(/^flushed:\d+:false$/);
    expect(changes.slice(1).map((c) => c.replace(/:\d+:/, ':'))).toEqual(['volume:false', 'volume:true', 'finished:true', 'flushed:false']);
  });

  it('ignores events of other sessions and keeps the announced session info', async () => {
    const { image } = await live();
    const info = { ...image.info, version: 7, status: 'complete' as const };
    expect(image.apply({ type: 'session', session: info })).toBe(true);
    expect(image.info.version).toBe(7);
    expect(image.apply({ type: 'session', session: { ...info, name: 'x' } })).toBe(false);
    expect(image.apply({ type: 'volume', session: 'x', channel: 0, level: 2, zStart: 0, zEnd: 1, width: 25, height: 23, data: new Uint16Array(575), version: 1 })).toBe(false);
    expect(image.apply({ type: 'log', level: 'info', message: 'hi' })).toBe(false);
  });

  it('shows live data alone when there is no store', async () => {
    const { levelShapes, producer } = await live();
    const image = await LiveImage.open(infoOf(levelShapes, 2), null);
    for (const e of producer.takeVolumeEvents()) image.apply(e);
    const L = image.loaders();
    expect(await viaTiles(L[2]!, 0, 1)).toEqual(producer.displayPlane(0, 1));
    expect(await viaTiles(L[0]!, 0, 1)).toEqual(new Uint16Array(90 * 100));
    const mip = await image.mipLoader().getRaster({ selection: { c: 0, z: 0 } });
    const p = [0, 1, 2].map((z) => producer.displayPlane(0, z));
    expect(mip.data).toEqual(p[0]!.map((v, i) => Math.max(v, p[1]![i]!, p[2]![i]!)));
    expect(image.volumeLoader().meta.physicalSizes).toEqual({ x: { size: 2, unit: 'µm' }, y: { size: 2, unit: 'µm' }, z: { size: 2, unit: 'µm' } });
    // A contrast sample: every 4th voxel of the 4 × 23 × 25 display volume (z 3 holds no data: zeros).
    const sample = await image.contrastSample(0, 575);
    expect(sample).toHaveLength(575);
    expect(sample[0]).toBe(p[0]![0]);
    expect(sample[1]).toBe(p[0]![4]);
    expect(sample[200]).toBe(p[1]![800 - 575]);
    expect(sample[574]).toBe(0);
  });

  it('refuses a store whose levels differ from the announced ones', async () => {
    const { store } = await writeSession([1, 2, 40, 48], 2, stackFrames(1, 2, 40, 48));
    await expect(LiveImage.open(infoOf([[1, 2, 40, 48]], 0), store)).rejects.toThrow(/announces levels \[\[1,2,40,48\]\] but its store holds \[\[1,2,40,48\],\[1,2,20,24\]\]/);
  });
});

describe('LiveImage over any description', () => {
  /** A float32 t,z,y,x image in memory (no channel axis), one level. */
  function floatImage(): ImageDescription {
    const shape = [2, 3, 5, 4];
    const data = Float32Array.from({ length: 2 * 3 * 5 * 4 }, (_, i) => i - 50.5);
    const level: LevelDescription = {
      path: 'mem',
      shape,
      chunks: shape,
      dtype: 'float32',
      fillValue: 0,
      scale: [1, 3, 0.25, 0.25],
      translation: [0, 0, 0, 0],
      getChunk: async () => ({ data: data.slice(), shape }),
      readRegion: async (r: Region): Promise<PixelBlock> => {
        const [t0, z0, y0, x0] = r.start as [number, number, number, number];
        const [t1, z1, y1, x1] = r.stop as [number, number, number, number];
        const out: number[] = [];
        for (let t = t0; t < t1; t++) for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.push(data[((t * 3 + z) * 5 + y) * 4 + x]!);
        return { data: Float32Array.from(out), shape: r.start.map((s, i) => r.stop[i]! - s) };
      },
    };
    return {
      source: 'npy',
      location: 'mem.npy',
      name: 'mem',
      axes: [{ name: 't', type: 'time' }, { name: 'z', type: 'space', unit: 'micrometer' }, { name: 'y', type: 'space', unit: 'nanometer' }, { name: 'x', type: 'space' }],
      levels: [level],
      channels: [{ index: 0, name: 'c0', color: 'FFFFFF', window: { min: -50.5, max: 69.5, start: -50.5, end: 69.5 }, visible: true }],
      warnings: [],
    };
  }

  it('maps axes and dtype, picks the t index, and computes the MIP of signed data', async () => {
    const image = LiveImage.fromDescription(floatImage(), { t: 1 });
    expect(image.info).toMatchObject({ status: 'external', levelShapes: [[1, 3, 5, 4]], displayLevel: 0 });
    const s = image.loaders()[0]!;
    expect(s).toMatchObject({ dtype: 'Float32', shape: [1, 3, 5, 4] });
    expect(s.meta.physicalSizes).toEqual({ x: { size: 0.25, unit: 'µm' }, y: { size: 0.25, unit: 'nm' }, z: { size: 3, unit: 'µm' } });
    const r = await s.getRaster({ selection: { c: 0, z: 2 } });
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(Array.from(r.data.subarray(0, 2))).toEqual([(1 * 3 + 2) * 20 - 50.5, (1 * 3 + 2) * 20 - 49.5]);
    const mip = await image.mipLoader().getRaster({ selection: { c: 0, z: 0 } });
    expect(mip.data[0]).toBe((1 * 3 + 2) * 20 - 50.5);
    expect(image.cache).toBeNull();
  });

  it('refuses an image without y and x axes', () => {
    const d = floatImage();
    expect(() => LiveImage.fromDescription({ ...d, axes: [{ name: 't' }, { name: 'z' }, { name: 'x' }, { name: 'y' }] })).toThrow(/needs y and x axes, y before x/);
  });
});
