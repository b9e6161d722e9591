import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/acquisition/connector.ts';
import { createNativeZstdCodec } from '../../../src/session/codec/zstd-native.node.ts';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import type { Accumulation } from '../../../src/session/metadata/types.ts';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import type { SessionStore } from '../../../src/session/store/types.ts';
import { InlineEncoder } from '../../../src/session/writer/encoder.ts';
import { createNodeSessionWriter } from '../../../src/session/writer/index.node.ts';
import { canvasForTiles } from '../../../src/session/writer/placement.ts';
import { SessionWriter } from '../../../src/session/writer/writer.ts';
import type { SessionWriterOptions } from '../../../src/session/writer/writer.ts';
import { Reference, frame, pyCheck } from './helpers.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'fv-writer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sessionPath = (): string => path.join(root, `s${++n}.ome.zarr`);

const info: SessionWriterOptions['info'] = {
  app_version: '0.1.0',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 0.1, z_step_um: 2, planes_per_stack: 1, channels: [0], timepoints: 1, interval_s: null },
};

function channels(count: number): { name: string; color: string }[] {
  return Array.from({ length: count }, (_, i) => ({ name: `ch${i}`, color: ['00FF00', 'FF00FF', '0000FF'][i % 3]! }));
}

async function inlineWriter(p: string, options: Omit<SessionWriterOptions, 'store' | 'encoder' | 'codec' | 'info'> & { wasm?: boolean; store?: SessionStore }): Promise<SessionWriter> {
  const level = options.layout.compressor?.id === 'zstd' ? options.layout.compressor.level : 3;
  const codec = options.wasm ? createWasmZstdCodec(level) : createNativeZstdCodec(level);
  const store = options.store ?? (await FsStore.createNew(p, { fsync: 'none' }));
  return SessionWriter.create({ ...options, info, store, codec, encoder: new InlineEncoder(codec) });
}

describe('SessionWriter', () => {
  it('writes a two-channel z-stack with a partial last slab and odd sizes, read back by python zarr at every level', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [2, 70, 150, 131];
    const events: string[] = [];
    const w = await createNodeSessionWriter({
      path: p,
      threads: 2,
      fsync: 'none',
      mode: 'streaming',
      layout: { name: 'stack 1', shape, voxel_size_um: { z: 2, y: 0.5, x: 0.5 }, world_origin_um: [100, 200, 300], levels: 3, channels: channels(2) },
      info,
      place: (f) => ({ channel: f.meta.channelIndex, z: f.meta.zIndex, y: 0, x: 0 }),
      onEvent: (e) => events.push(e.type),
    });
    expect(w.mode).toBe('streaming');
    const ref = new Reference(shape, 'maximum');
    for (let z = 0; z < 70; z++) {
      for (let c = 0; c < 2; c++) {
        const f = frame(131, 150, 1 + z * 2 + c, { channelIndex: c, zIndex: z, frameNumber: z * 2 + c });
        ref.add(f, c, z, 0, 0);
        expect(await w.write(f)).toBe('queued');
      }
    }
    const summary = await w.finalize();
    expect(summary).toMatchObject({ status: 'complete', framesReceived: 140, framesWritten: 140, framesDropped: 0, levels: 3, errors: [] });
    expect(events.filter((e) => e === 'flushed')).toHaveLength(4);
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    expect(r.shapes).toEqual([[2, 70, 150, 131], [2, 70, 75, 66], [2, 70, 38, 33]]);
    const fl = r.attrs.flamingo;
    expect(fl.status).toBe('complete');
    expect(fl.acquisition).toMatchObject({ frames_received: 140, frames_written: 140, frames_dropped: 0 });
    expect(fl.bounds_um).toEqual({ min: [100, 200, 300], max: [100 + 69 * 2, 200 + 149 * 0.5, 300 + 130 * 0.5] });
  });

  it('writes Blosc-zstd (byte shuffle) chunks in worker threads that python zarr reads at every level', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 66, 90, 70];
    const compressor = { id: 'blosc', cname: 'zstd', clevel: 1, shuffle: 1, blocksize: 0 } as const;
    const w = await createNodeSessionWriter({
      path: p,
      threads: 2,
      fsync: 'none',
      layout: { name: 'blosc', shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 2, channels: channels(1), compressor },
      info,
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
    });
    const ref = new Reference(shape, 'maximum');
    for (let z = 0; z < 66; z++) {
      const f = frame(70, 90, 3 + z, { channelIndex: 0, zIndex: z, frameNumber: z });
      ref.add(f, 0, z, 0, 0);
      await w.write(f);
    }
    expect(await w.finalize()).toMatchObject({ status: 'complete', framesWritten: 66, errors: [] });
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(p, '0/.zarray'), 'utf8')).compressor).toEqual(compressor);
  });

  it.each<[Accumulation, boolean]>([
    ['maximum', false],
    ['latest', true],
    ['average', false],
    ['additive', true],
  ])('places a 2×2 tile mosaic by stage position with overlap, accumulating by %s (wasm codec: %s)', async (mode, wasm) => {
    const p = sessionPath();
    const voxel = { z: 3, y: 0.5, x: 0.5 };
    const fw = 60;
    const fh = 50;
    // Pixel offsets of the tiles: 20 px overlap in x, 15 px in y.
    const offsets: [number, number][] = [[0, 0], [0, 40], [35, 0], [35, 40]];
    const base = { xMm: 10, yMm: 20 };
    const tiles = offsets.map(([oy, ox]) => ({ xMm: base.xMm + ((ox + (fw - 1) / 2) * voxel.x) / 1000, yMm: base.yMm + ((oy + (fh - 1) / 2) * voxel.y) / 1000 }));
    const canvas = canvasForTiles(tiles, { width: fw, height: fh }, voxel);
    expect(canvas.shape).toEqual([85, 100]);
    expect(canvas.originUm[0]).toBeCloseTo(20000, 6);
    expect(canvas.originUm[1]).toBeCloseTo(10000, 6);
    const shape: [number, number, number, number] = [1, 3, 85, 100];
    const w = await inlineWriter(p, {
      wasm,
      accumulation: mode,
      framesPerPlane: 4,
      layout: { name: `mosaic ${mode}`, shape, voxel_size_um: voxel, world_origin_um: [5000, canvas.originUm[0], canvas.originUm[1]], levels: 2, channels: channels(1) },
    });
    const ref = new Reference(shape, mode);
    let k = 0;
    for (let t = 0; t < 4; t++) {
      for (let z = 0; z < 3; z++) {
        const f = frame(fw, fh, 100 + k, { zIndex: z, tileIndex: t, frameNumber: k, stage: { ...tiles[t]!, zMm: 5, rDeg: 0 } });
        f.pixels[0] = 65000; // exercises additive clipping where tiles overlap
        k++;
        ref.add(f, 0, z, offsets[t]![0], offsets[t]![1]);
        await w.write(f);
      }
    }
    const summary = await w.finalize();
    expect(summary).toMatchObject({ status: 'complete', framesWritten: 12, errors: [] });
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    const ds = r.attrs.multiscales[0]!.datasets as { coordinateTransformations: { translation?: number[] }[] }[];
    const t0 = ds[0]!.coordinateTransformations[1]!.translation!;
    expect(t0[1]).toBe(0); // z translation 0 (session z origin)
    expect(t0[2]).toBeCloseTo(20000, 6);
    expect(t0[3]).toBeCloseTo(10000, 6);
    expect(r.attrs.flamingo.world_origin_um).toEqual([5000, canvas.originUm[0], canvas.originUm[1]]);
    expect(r.attrs.flamingo.accumulation).toBe(mode);
  });

  it('keeps sparse tiles sparse: only chunks that received data exist, at every level', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 4, 400, 400];
    const spots: [number, number][] = [[10, 10], [300, 330], [390, 5]];
    const w = await inlineWriter(p, {
      layout: { name: 'sparse', shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 3, reduction: 'max', channels: channels(1) },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: spots[f.meta.tileIndex]![0], x: spots[f.meta.tileIndex]![1] }),
    });
    const ref = new Reference(shape, 'maximum');
    for (let t = 0; t < spots.length; t++) {
      for (let z = 0; z < 4; z++) {
        const f = frame(30, 30, 7 + t * 10 + z, { zIndex: z, tileIndex: t });
        ref.add(f, 0, z, spots[t]![0], spots[t]![1]);
        await w.write(f);
      }
    }
    const s = await w.finalize();
    expect(s.status).toBe('complete');
    const r = pyCheck(p, ref.data, shape, 'max');
    expect(r.errors).toEqual([]);
    // Tile 3 at (390, 5) is clipped at the bottom edge and still counts as written.
    expect(s.framesWritten).toBe(12);
    expect(r.chunk_files).toBe(4 + 3 + 3);
  });

  it('reopens flushed slabs in streaming mode when a later tile lands in them (K = 2, three slabs, preallocated)', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 130, 70, 90];
    const flushed: number[] = [];
    const w = await inlineWriter(p, {
      mode: 'streaming',
      preallocate: true,
      slabsPerChannel: 2,
      framesPerPlane: 2,
      layout: { name: 'reopen', shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 2, channels: channels(1) },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: f.meta.tileIndex * 20, x: f.meta.tileIndex * 40 }),
      onEvent: (e) => {
        if (e.type === 'flushed') flushed.push(e.zChunk);
      },
    });
    const ref = new Reference(shape, 'maximum');
    for (let t = 0; t < 2; t++) {
      for (let z = 0; z < 130; z++) {
        const f = frame(50, 50, 1000 * t + z + 1, { zIndex: z, tileIndex: t });
        ref.add(f, 0, z, t * 20, t * 40);
        await w.write(f);
      }
    }
    const s = await w.finalize();
    expect(s).toMatchObject({ status: 'complete', framesWritten: 260, mode: 'streaming' });
    expect(flushed.length).toBeGreaterThan(3); // slabs 0 and 1 were flushed, reopened and flushed again
    expect(pyCheck(p, ref.data, shape).errors).toEqual([]);
  });

  it('builds deep pyramids in two passes (6 levels) from one slab', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 2, 600, 530];
    const w = await inlineWriter(p, {
      wasm: true,
      layout: { name: 'deep', shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 6, channels: channels(1), compressor: { id: 'zstd', level: 1 } },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
    });
    const ref = new Reference(shape, 'maximum');
    for (let z = 0; z < 2; z++) {
      const f = frame(530, 600, 55 + z, { zIndex: z });
      ref.add(f, 0, z, 0, 0);
      await w.write(f);
    }
    expect((await w.finalize()).levels).toBe(6);
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    expect(r.shapes.map((s) => s.slice(2))).toEqual([[600, 530], [300, 265], [150, 133], [75, 67], [38, 34], [19, 17]]);
  });

  it('ends interrupted after a store fault, keeping every slab flushed before it', async () => {
    const p = sessionPath();
    const fs = await FsStore.createNew(p, { fsync: 'none' });
    // Chunk writes of z-chunk 1 fail (disk full, say); everything else works.
    const failing: SessionStore = {
      description: fs.description,
      get: (k, o) => fs.get(k, o),
      list: (pr) => fs.list(pr),
      delete: (k) => fs.delete(k),
      set: (k, v) => (/^\d+\/\d+\/1\//.test(k) ? Promise.reject(new Error('No space left on device')) : fs.set(k, v)),
    };
    const shape: [number, number, number, number] = [1, 100, 40, 40];
    const faults: string[] = [];
    const w = await inlineWriter(p, {
      store: failing,
      mode: 'streaming',
      layout: { name: 'fault', shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 1, channels: channels(1) },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
      onEvent: (e) => {
        if (e.type === 'fault') faults.push(e.message);
      },
    });
    const ref = new Reference(shape, 'maximum');
    let rejected: unknown = null;
    for (let z = 0; z < 100; z++) {
      const f: Frame = frame(40, 40, z + 3, { zIndex: z });
      try {
        await w.write(f);
        if (z < 64) ref.add(f, 0, z, 0, 0);
      } catch (err) {
        rejected = err;
        break;
      }
    }
    const s = await w.abort('microscope disconnected');
    expect(s.status).toBe('interrupted');
    expect(s.framesWritten).toBe(64);
    if (rejected) expect(rejected).toMatchObject({ code: 'faulted' });
    expect(faults.join(' ')).toMatch(/No space left on device/);
    const zattrs = JSON.parse(readFileSync(path.join(p, '.zattrs'), 'utf8')) as { flamingo: { status: string; status_reason: string } };
    expect(zattrs.flamingo.status).toBe('interrupted');
    expect(zattrs.flamingo.status_reason).toBe('microscope disconnected');
    expect(pyCheck(p, ref.data, shape).errors).toEqual([]);
  });

  it('refuses what it cannot write, with the numbers', async () => {
    const p = sessionPath();
    await expect(
      inlineWriter(p, {
        memoryBudgetBytes: 64 * 2 ** 20,
        layout: { name: 'big', shape: [1, 64, 4096, 4096], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: channels(1) },
      }),
    ).rejects.toThrow(/needs 2\.\d+ GiB .* budget is 64\.0 MiB/);
    await expect(
      inlineWriter(sessionPath(), {
        layout: { name: 'tczyx', shape: [2, 1, 1, 8, 8], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: channels(1) },
      }),
    ).rejects.toMatchObject({ code: 'unsupported' });
  });
});
