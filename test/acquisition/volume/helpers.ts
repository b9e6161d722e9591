/** Test helpers: write a small session with the real SessionWriter into a MemoryStore, and feed the same frames to a DisplayProducer. */
import { expect } from 'vitest';
import type { Frame } from '../../../src/acquisition/connector.ts';
import type { DisplayFrame } from '../../../src/acquisition/volume/display-producer.ts';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import type { Accumulation } from '../../../src/session/metadata/types.ts';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';
import { InlineEncoder } from '../../../src/session/writer/encoder.ts';
import { SessionWriter } from '../../../src/session/writer/writer.ts';
import type { SessionWriterOptions } from '../../../src/session/writer/writer.ts';

/** xorshift32. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Camera-like pixels: offset 100, noise, a few bright spots. */
export function pixels(width: number, height: number, seed: number): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = 100 + (r() % 40) + (r() % 53 === 0 ? r() % 3000 : 0);
  return out;
}

export type TestFrame = DisplayFrame;

const info: SessionWriterOptions['info'] = {
  app_version: '0.1.0',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 0.1, z_step_um: 2, planes_per_stack: 1, channels: [0], timepoints: 1, interval_s: null },
};

export interface WrittenSession {
  store: MemoryStore;
  levelShapes: number[][];
}

/** Writes `frames` (placed at their own c, z, y, x) with the real writer; returns the store and level shapes. */
export async function writeSession(
  shape: [number, number, number, number],
  levels: number,
  frames: readonly TestFrame[],
  options: { accumulation?: Accumulation; reduction?: 'mean' | 'max'; framesPerPlane?: number } = {},
): Promise<WrittenSession> {
  const codec = createWasmZstdCodec(1);
  const store = new MemoryStore();
  const placements = new Map<number, TestFrame>();
  const writer = await SessionWriter.create({
    store,
    codec,
    encoder: new InlineEncoder(codec),
    info,
    heartbeatMs: 0,
    ...(options.accumulation ? { accumulation: options.accumulation } : {}),
    ...(options.framesPerPlane ? { framesPerPlane: options.framesPerPlane } : {}),
    layout: {
      name: 'display test',
      shape,
      voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
      world_origin_um: [0, 0, 0],
      compressor: { id: 'zstd', level: 1 },
      levels,
      ...(options.reduction ? { reduction: options.reduction } : {}),
      channels: Array.from({ length: shape[0] }, (_, i) => ({ name: `ch${i}`, color: ['00FF00', 'FF00FF', '00FFFF'][i % 3]! })),
    },
    place: (f: Frame) => {
      const t = placements.get(f.meta.frameNumber)!;
      return { channel: t.channel, z: t.z, y: t.y, x: t.x };
    },
  });
  for (const t of frames) {
    placements.set(t.frameNumber, t);
    const frame: Frame = {
      pixels: t.pixels.slice(),
      width: t.width,
      height: t.height,
      meta: {
        channel: t.channel, channelIndex: t.channel, laser: 1, wavelengthNm: 488, side: 'left', zIndex: t.z, zCount: shape[1],
        stage: { xMm: 0, yMm: 0, zMm: 0, rDeg: 0 }, tileIndex: 0, timepoint: 0, stackIndex: 0, frameNumber: t.frameNumber, receivedAtMs: 0, receivedMonotonicMs: 0,
      },
    };
    expect(await writer.write(frame)).toBe('queued');
  }
  const summary = await writer.finalize();
  expect(summary.errors).toEqual([]);
  expect(summary.framesDropped).toBe(0);
  return { store, levelShapes: writer.layout.levels.map((l) => [...l.shape]) };
}

/** A z-stack of full-canvas frames, channels interleaved per plane. */
export function stackFrames(C: number, Z: number, Y: number, X: number, seed = 1): TestFrame[] {
  const out: TestFrame[] = [];
  let n = 0;
  for (let z = 0; z < Z; z++) {
    for (let c = 0; c < C; c++) {
      out.push({ channel: c, z, y: 0, x: 0, width: X, height: Y, pixels: pixels(X, Y, seed + n), frameNumber: n, acquiredAtMs: n * 25 });
      n++;
    }
  }
  return out;
}
