import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNativeZstdCodec } from '../../../src/session/codec/zstd-native.node.ts';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import type { Accumulation, SessionDtype } from '../../../src/session/metadata/types.ts';
import { v2Compressor } from '../../../src/session/read/codecs.ts';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import { readOnly } from '../../../src/session/store/read-only.ts';
import { validateSession } from '../../../src/session/validate.ts';
import { InlineEncoder } from '../../../src/session/writer/encoder.ts';
import { createNodeSessionWriter } from '../../../src/session/writer/index.node.ts';
import { SessionWriter } from '../../../src/session/writer/writer.ts';
import type { SessionWriterOptions, WriterFrame, WriterPixels } from '../../../src/session/writer/writer.ts';
import { Reference, meta, pyCheck, rng } from './helpers.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'fv-dtypes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sessionPath = (): string => path.join(root, `d${++n}.ome.zarr`);

const info: SessionWriterOptions['info'] = {
  app_version: '0.1.0',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 0.1, z_step_um: 2, planes_per_stack: 1, channels: [0], timepoints: 1, interval_s: null },
};

const channels = (count: number): { name: string; color: string }[] => Array.from({ length: count }, (_, i) => ({ name: `ch${i}`, color: ['00FF00', 'FF00FF'][i % 2]! }));

/**
 * Pixels of a dtype: uint8 up to 250 with bright spots; float32 negative and positive with
 * fractions, and some values of 24 significant bits so the float32 means must round.
 */
function pixels(dtype: SessionDtype, count: number, seed: number): WriterPixels {
  const r = rng(seed);
  if (dtype === '|u1') {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = 20 + (r() % 30) + (r() % 50 === 0 ? r() % 200 : 0);
    return out;
  }
  if (dtype === '<f4') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = r() % 7 === 0 ? (r() % 2 ** 24) + 0.5 : ((r() % 2 ** 20) - 2 ** 18) / 64 + 0.25;
    return out;
  }
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = 100 + (r() % 40);
  return out;
}

function frameOf(dtype: SessionDtype, width: number, height: number, seed: number, m: Parameters<typeof meta>[0]): WriterFrame {
  return { pixels: pixels(dtype, width * height, seed), width, height, meta: meta(m) };
}

async function validateOnDisk(session: string): Promise<Awaited<ReturnType<typeof validateSession>>> {
  return validateSession(readOnly(new FsStore(session)), {
    requireFlamingo: true,
    decodeChunk: async (bytes, compressor, expectedBytes) => {
      const codec = v2Compressor(compressor, session);
      return codec ? codec.decode(bytes, expectedBytes) : bytes;
    },
  });
}

interface Window {
  min: number;
  max: number;
}
const windows = (p: string): Window[] => (JSON.parse(readFileSync(path.join(p, '.zattrs'), 'utf8')) as { omero: { channels: { window: Window }[] } }).omero.channels.map((c) => c.window);

describe.each<[SessionDtype, string]>([
  ['|u1', 'uint8'],
  ['<f4', 'float32'],
])('SessionWriter %s (%s)', (dtype) => {
  it('writes a two-channel stack (odd sizes, partial last slab) in worker threads; python zarr reads every level bit-exact and it validates', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [2, 70, 150, 131];
    const flushWindows: Window[][] = [];
    const w = await createNodeSessionWriter({
      path: p,
      threads: 2,
      fsync: 'none',
      mode: 'streaming',
      layout: { name: `stack ${dtype}`, dtype, shape, voxel_size_um: { z: 2, y: 0.5, x: 0.5 }, world_origin_um: [0, 0, 0], levels: 3, channels: channels(2) },
      info,
      place: (f) => ({ channel: f.meta.channelIndex, z: f.meta.zIndex, y: 0, x: 0 }),
      // The metadata is on disk before `flushed` is announced.
      onEvent: (e) => {
        if (e.type === 'flushed') flushWindows.push(windows(p));
      },
    });
    const ref = new Reference(shape, 'maximum', dtype);
    for (let z = 0; z < 70; z++) {
      for (let c = 0; c < 2; c++) {
        const f = frameOf(dtype, 131, 150, 1 + z * 2 + c, { channelIndex: c, zIndex: z, frameNumber: z * 2 + c });
        ref.add(f, c, z, 0, 0);
        expect(await w.write(f)).toBe('queued');
      }
    }
    const summary = await w.finalize();
    expect(summary).toMatchObject({ status: 'complete', framesWritten: 140, framesDropped: 0, levels: 3, errors: [] });
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    expect(r.dtype).toBe(dtype);
    expect(r.shapes).toEqual([[2, 70, 150, 131], [2, 70, 75, 66], [2, 70, 38, 33]]);
    expect(JSON.parse(readFileSync(path.join(p, '2/.zarray'), 'utf8'))).toMatchObject({ dtype, fill_value: 0 });
    const v = await validateOnDisk(p);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);

    const win = r.attrs.omero.channels.map((c) => c.window);
    if (dtype === '|u1') {
      expect(win.map((x) => [x.min, x.max])).toEqual([[0, 255], [0, 255]]);
    } else {
      // Observed data range per channel, rewritten at every flush (4 flushes: 2 slabs × 2 channels).
      const perChannel = [0, 1].map((c) => {
        let lo = Infinity;
        let hi = -Infinity;
        const plane = 150 * 131;
        for (let z = 0; z < 70; z++) {
          const sub = ref.data.subarray((c * 70 + z) * plane, (c * 70 + z + 1) * plane);
          for (const x of sub) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
          }
        }
        return [lo, hi];
      });
      expect(win.map((x) => [x.min, x.max])).toEqual(perChannel);
      expect(flushWindows).toHaveLength(4);
      // Before a channel's first flush its window is its contrast; each flush widens or keeps it.
      for (let k = 1; k < flushWindows.length; k++) {
        for (let c = 0; c < 2; c++) {
          const a = flushWindows[k - 1]![c]!;
          const b = flushWindows[k]![c]!;
          if (a.min !== 0 || a.max !== 1) expect(b.min <= a.min && b.max >= a.max).toBe(true);
        }
      }
      expect(flushWindows.at(-1)!.map((x) => [x.min, x.max])).toEqual(perChannel);
    }
  });

  it('reduces the pyramid by block maximum (python zarr, every level)', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 66, 90, 70];
    const w = await createNodeSessionWriter({
      path: p,
      threads: 2,
      fsync: 'none',
      layout: { name: `max ${dtype}`, dtype, shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 3, reduction: 'max', channels: channels(1) },
      info,
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
    });
    const ref = new Reference(shape, 'maximum', dtype);
    for (let z = 0; z < 66; z++) {
      const f = frameOf(dtype, 70, 90, 300 + z, { zIndex: z, frameNumber: z });
      ref.add(f, 0, z, 0, 0);
      await w.write(f);
    }
    expect(await w.finalize()).toMatchObject({ status: 'complete', framesWritten: 66, errors: [] });
    expect(pyCheck(p, ref.data, shape, 'max').errors).toEqual([]);
  });

  it.each<[Accumulation, boolean]>([
    ['maximum', false],
    ['latest', true],
    ['average', false],
    ['additive', true],
  ])('accumulates an overlapping 2×2 mosaic by %s (wasm codec: %s)', async (mode, wasm) => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 3, 85, 100];
    const fw = 60;
    const fh = 50;
    const offsets: [number, number][] = [[0, 0], [0, 40], [35, 0], [35, 40]];
    const codec = wasm ? createWasmZstdCodec(3) : createNativeZstdCodec(3);
    const w = await SessionWriter.create({
      store: await FsStore.createNew(p, { fsync: 'none' }),
      codec,
      encoder: new InlineEncoder(codec),
      info,
      accumulation: mode,
      framesPerPlane: 4,
      layout: { name: `mosaic ${mode}`, dtype, shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 2, channels: channels(1) },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: offsets[f.meta.tileIndex]![0], x: offsets[f.meta.tileIndex]![1] }),
    });
    const ref = new Reference(shape, mode, dtype);
    let k = 0;
    for (let t = 0; t < 4; t++) {
      for (let z = 0; z < 3; z++) {
        const f = frameOf(dtype, fw, fh, 100 + k, { zIndex: z, tileIndex: t, frameNumber: k });
        // Bright overlap pixels: uint8 additive must clip at 255; float32 adds without a clip.
        for (let y = 35; y < 50; y++) for (let x = 40; x < 60; x += 3) f.pixels[(t === 0 ? y : y - 35) * fw + (t === 0 ? x : x - 40)] = dtype === '|u1' ? 200 : 3e38;
        k++;
        ref.add(f, 0, z, offsets[t]![0], offsets[t]![1]);
        await w.write(f);
      }
    }
    expect(await w.finalize()).toMatchObject({ status: 'complete', framesWritten: 12, errors: [] });
    const r = pyCheck(p, ref.data, shape);
    expect(r.errors).toEqual([]);
    expect(r.attrs.flamingo.accumulation).toBe(mode);
    if (mode === 'additive' && dtype === '|u1') expect(Math.max(...ref.data)).toBe(255);
    if (mode === 'additive' && dtype === '<f4') expect(Math.max(...ref.data)).toBe(Infinity);
  });

  it('reopens flushed slabs in streaming mode (K = 1, average of two passes over three slabs)', async () => {
    const p = sessionPath();
    const shape: [number, number, number, number] = [1, 130, 70, 90];
    const codec = createNativeZstdCodec(3);
    const w = await SessionWriter.create({
      store: await FsStore.createNew(p, { fsync: 'none' }),
      codec,
      encoder: new InlineEncoder(codec),
      info,
      accumulation: 'average',
      mode: 'streaming',
      slabsPerChannel: 1,
      framesPerPlane: 2,
      layout: { name: 'reopen', dtype, shape, voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 2, channels: channels(1) },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: f.meta.tileIndex * 20, x: f.meta.tileIndex * 40 }),
    });
    // After a reopen the stored value counts as one contribution (§4.4).
    const first = new Reference(shape, 'average', dtype);
    for (let t = 0; t < 2; t++) {
      for (let z = 0; z < 130; z++) {
        const f = frameOf(dtype, 50, 50, 1000 * t + z + 1, { zIndex: z, tileIndex: t });
        if (t === 0) first.add(f, 0, z, 0, 0);
        await w.write(f);
      }
    }
    expect(await w.finalize()).toMatchObject({ status: 'complete', framesWritten: 260, mode: 'streaming' });
    // In chunks the first pass wrote (only chunk (0, 0)), the second pass met the stored value —
    // 0 where the first tile did not reach — and averages with it; elsewhere it is the first sample.
    const expected = first.data.slice();
    const second = new Reference(shape, 'latest', dtype);
    for (let z = 0; z < 130; z++) second.add(frameOf(dtype, 50, 50, 1000 + z + 1, { zIndex: z, tileIndex: 1 }), 0, z, 20, 40);
    const Y = 70;
    const X = 90;
    for (let z = 0; z < 130; z++) {
      for (let y = 20; y < 70; y++) {
        for (let x = 40; x < 90; x++) {
          const k = (z * Y + y) * X + x;
          const reopened = y < 64 && x < 64;
          const v = second.data[k]!;
          const old = first.data[k]!;
          expected[k] = reopened ? (dtype === '<f4' ? (old + v) / 2 : Math.floor((old + v) / 2)) : v;
        }
      }
    }
    expect(pyCheck(p, expected, shape).errors).toEqual([]);
  });

  it('drops a frame of the wrong pixel type as invalid, naming the dtype', async () => {
    const p = sessionPath();
    const codec = createNativeZstdCodec(3);
    const drops: string[] = [];
    const w = await SessionWriter.create({
      store: await FsStore.createNew(p, { fsync: 'none' }),
      codec,
      encoder: new InlineEncoder(codec),
      info,
      layout: { name: 'types', dtype, shape: [1, 1, 8, 8], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: channels(1) },
      place: () => ({ channel: 0, z: 0, y: 0, x: 0 }),
      onEvent: (e) => {
        if (e.type === 'dropped') drops.push(e.message);
      },
    });
    expect(await w.write({ pixels: new Uint16Array(64), width: 8, height: 8, meta: meta({}) })).toBe('dropped');
    expect(drops[0]).toMatch(new RegExp(`not a 8 × 8 ${dtype === '|u1' ? 'uint8' : 'float32'} image \\(pixels: Uint16Array of 64\\)`));
    expect(await w.finalize()).toMatchObject({ status: 'complete', droppedByReason: { invalid_frame: 1 } });
  });
});
