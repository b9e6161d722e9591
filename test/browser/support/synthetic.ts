/**
 * Synthetic z-stacks for store tests, pure (bundled into browser pages and workers, and
 * used in Node to rebuild what was sent): camera-like uint16 planes (offset 100, noise, a
 * bright blob), the session layout and `info` the writer needs, and the reference level 0.
 *
 * @example
 * const f = syntheticFrame(SHAPE, 0, 5); // channel 0, plane 5
 * const expected = syntheticVolume(SHAPE); // [C, Z, Y, X]
 */
import type { Frame, FrameMeta } from '../../../src/acquisition/connector.ts';
import type { SessionLayoutInit } from '../../../src/session/metadata/layout.ts';
import type { SessionWriterOptions } from '../../../src/session/writer/writer.ts';

export type Shape4 = [number, number, number, number];

/** Two z-slabs (the last partial), two levels (80 × 70, 40 × 35). */
export const STACK_SHAPE: Shape4 = [1, 100, 80, 70];

function hash(a: number): number {
  a = Math.imul(a ^ (a >>> 16), 0x7feb352d);
  a = Math.imul(a ^ (a >>> 15), 0x846ca68b);
  return (a ^ (a >>> 16)) >>> 0;
}

export function syntheticPlane(shape: Shape4, c: number, z: number): Uint16Array {
  const [, , Y, X] = shape;
  const out = new Uint16Array(Y * X);
  const cy = Y / 2 + 10 * Math.sin(z / 9);
  const cx = X / 2;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      const h = hash((((c * 4099 + z) * 8191 + y) * 16381 + x) | 0);
      const d2 = (y - cy) ** 2 + (x - cx) ** 2;
      const blob = d2 < 400 ? 2000 - 4 * d2 : 0;
      out[y * X + x] = 100 + (h % 37) + blob;
    }
  }
  return out;
}

export function frameMeta(c: number, z: number, n: number): FrameMeta {
  return {
    channel: c,
    channelIndex: c,
    laser: c + 1,
    wavelengthNm: 488,
    side: 'left',
    zIndex: z,
    zCount: 1,
    stage: { xMm: 0, yMm: 0, zMm: 0, rDeg: 0 },
    tileIndex: 0,
    timepoint: 0,
    stackIndex: 0,
    frameNumber: n,
    receivedAtMs: 0,
    receivedMonotonicMs: 0,
  };
}

export function syntheticFrame(shape: Shape4, c: number, z: number): Frame {
  return { pixels: syntheticPlane(shape, c, z), width: shape[3], height: shape[2], meta: frameMeta(c, z, z * shape[0] + c) };
}

/** Level 0 as sent: `[C, Z, Y, X]`, planes `z < zmax` (default all). */
export function syntheticVolume(shape: Shape4, zmax = shape[1]): Uint16Array {
  const [C, Z, Y, X] = shape;
  const out = new Uint16Array(C * Z * Y * X);
  for (let c = 0; c < C; c++) for (let z = 0; z < zmax; z++) out.set(syntheticPlane(shape, c, z), (c * Z + z) * Y * X);
  return out;
}

export function stackLayout(name: string, shape: Shape4): SessionLayoutInit {
  return {
    name,
    shape,
    voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
    world_origin_um: [0, 0, 0],
    levels: 2,
    compressor: { id: 'zstd', level: 3 },
    channels: Array.from({ length: shape[0] }, (_, i) => ({ name: `ch${i}`, color: ['00FF00', 'FF00FF'][i % 2]! })),
  };
}

export const STACK_INFO: SessionWriterOptions['info'] = {
  app_version: '0.1.0',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 0.3, z_step_um: 2, planes_per_stack: STACK_SHAPE[1], channels: [0], timepoints: 1, interval_s: null },
};

/** Frames land at (channel, plane, 0, 0). */
export const placeAtOrigin: NonNullable<SessionWriterOptions['place']> = (f) => ({ channel: f.meta.channelIndex, z: f.meta.zIndex, y: 0, x: 0 });
