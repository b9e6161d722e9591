/**
 * The transform layer's wiring in Node: the rigid preview is the layer's modelMatrix (equal to
 * previewModelMatrix, scaled by the voxel size as Viv draws), a non-rigid op is computed through
 * the TransformManager (real kernels, in this thread) and swapped in as a volume layer over the
 * result, and a result for an older data version is never shown.
 */
import { describe, expect, it } from 'vitest';
import type { LiveSessionInfo, VolumeEvent } from '../../src/acquisition/live-backend.ts';
import { LiveImage } from '../../src/layers/live-image.ts';
import { TransformDisplay, displayModelMatrix, readChannelVolume, volumePixelSource } from '../../src/layers/transform-layer.ts';
import type { ChannelView } from '../../src/layers/types.ts';
import { applyPipeline } from '../../src/transforms/apply.ts';
import { previewModelMatrix } from '../../src/transforms/display/model-matrix.ts';
import { TransformManager } from '../../src/transforms/manager/transform-manager.ts';
import type { TransformPool } from '../../src/transforms/pool/types.ts';
import type { TransformOp, Volume, VoxelArray } from '../../src/transforms/types.ts';

/** The kernels in this thread; each run waits for `release()` so a test decides when results land. */
function gatedPool(): TransformPool & { release(): void; runs: number } {
  const gates: Array<() => void> = [];
  const pool = {
    size: 1,
    runs: 0,
    run<T extends VoxelArray>(input: Volume<T>, ops: TransformOp | readonly TransformOp[]): Promise<Volume<T>> {
      pool.runs++;
      return new Promise<void>((r) => gates.push(r)).then(() => applyPipeline(input, ops) as Volume<T>);
    },
    release(): void {
      for (const g of gates.splice(0)) g();
    },
    close: () => Promise.resolve(),
  };
  return pool;
}

const info: LiveSessionInfo = {
  name: 's', storeUrl: null, status: 'acquiring', levelShapes: [[2, 6, 8, 10]], voxelSizeUm: { z: 2, y: 0.5, x: 0.5 },
  channels: [
    { name: 'a', color: '00FF00', wavelengthNm: 488, contrast: [0, 10], visible: true },
    { name: 'b', color: 'FF00FF', wavelengthNm: 561, contrast: [5, 50], visible: true },
  ],
  displayLevel: 0, version: 0,
};
const channels: ChannelView[] = [
  { index: 0, color: [0, 255, 0], contrast: [0, 900], visible: true },
  { index: 1, color: [255, 0, 255], contrast: [0, 900], visible: true },
];
const fill = (channel: number, value: (i: number) => number, version: number): VolumeEvent => {
  const data = new Uint16Array(6 * 8 * 10).map((_, i) => value(i));
  return { type: 'volume', session: 's', channel, level: 0, zStart: 0, zEnd: 6, width: 10, height: 8, data, version };
};
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const props = (l: unknown): Record<string, unknown> => (l as { props: Record<string, unknown> }).props;
const sublayers = (l: unknown): unknown[] => props(l).sublayers as unknown[];

describe('the transform layer', () => {
  it('shows a rigid transform at once as modelMatrix (previewModelMatrix scaled by the voxel size), no compute', async () => {
    const image = await LiveImage.open(info, null);
    image.apply(fill(0, (i) => i % 97, 1));
    const pool = gatedPool();
    const manager = new TransformManager({ pool });
    const display = new TransformDisplay({ manager, sourceId: 'session/s', onChange: () => undefined });
    const ops: TransformOp[] = [{ op: 'rotate', axis: 'z', angleDeg: 30, order: 1 }, { op: 'shift', offset: [1, 2, 3], order: 1 }];
    const layer = display.layer({ id: 'xf', viewId: 'volume', image, channels, opsFor: () => ops });
    expect(layer!.id).toBe('xf-#volume#');
    expect(props(layer).loader).toEqual([image.volumeLoader()]);
    const [sub] = sublayers(layer);
    const m = Array.from(props(sub).modelMatrix as number[]);
    expect(m).toEqual(displayModelMatrix(ops, [6, 8, 10], image.volumeLoader().meta.physicalSizes).matrix);
    // Viv scales x, y, z by the voxel size relative to the smallest (1, 1, 4): S·P·S⁻¹.
    const p = previewModelMatrix(ops, [6, 8, 10]).matrix;
    const s = [1, 1, 4];
    for (let col = 0; col < 4; col++) for (let row = 0; row < 3; row++) expect(m[4 * col + row]).toBeCloseTo((p[4 * col + row]! * s[row]!) / (col < 3 ? s[col]! : 1), 12);
    // Isotropic voxels: exactly previewModelMatrix.
    expect(displayModelMatrix(ops, [6, 8, 10]).matrix).toEqual(p);
    await tick();
    expect(pool.runs).toBe(0);
    expect(manager.stats().queued + manager.stats().running).toBe(0);
  });

  it('computes a gaussian through the manager and swaps in the resampled volume; per-channel ops make groups', async () => {
    const image = await LiveImage.open(info, null);
    image.apply(fill(0, (i) => (i * 37) % 1000, 1));
    image.apply(fill(1, (i) => (i * 11) % 500, 2));
    const pool = gatedPool();
    const manager = new TransformManager({ pool });
    let changes = 0;
    const display = new TransformDisplay({ manager, sourceId: 'session/s', onChange: () => changes++ });
    const gauss: TransformOp[] = [{ op: 'gaussian', sigma: [1, 1, 1] }];
    const opsFor = (c: number): readonly TransformOp[] => (c === 0 ? gauss : []);
    const before = display.layer({ id: 'xf', image, channels, opsFor });
    const [g0, g1] = sublayers(before);
    expect(sublayers(before)).toHaveLength(2);
    expect(props(g0).loader).toEqual([image.volumeLoader()]); // the data as it is, until the result comes
    expect(props(g1).channelsVisible).toEqual([true]);
    await tick();
    expect(pool.runs).toBe(1); // channel 0 only; asking again does not ask twice
    display.layer({ id: 'xf', image, channels, opsFor });
    await tick();
    expect(pool.runs).toBe(1);
    pool.release();
    await tick();
    await tick();
    expect(changes).toBe(1);
    const after = display.layer({ id: 'xf', image, channels, opsFor });
    const [r0] = sublayers(after);
    const src = (props(r0).loader as { getRaster: (a: unknown) => Promise<{ data: Uint16Array }>; shape: number[] }[])[0]!;
    expect(src.shape).toEqual([2, 6, 8, 10]);
    expect(props(r0).modelMatrix ?? null).toBeNull();
    const input = await readChannelVolume(image.volumeLoader(), 0);
    const want = applyPipeline(input, gauss);
    const got = new Uint16Array(6 * 80);
    for (let z = 0; z < 6; z++) got.set((await src.getRaster({ selection: { c: 0, z } })).data, z * 80);
    expect(Array.from(got)).toEqual(Array.from(want.data));
    expect(manager.stats().cache.misses).toBeGreaterThanOrEqual(1);
  });

  it('never shows a result computed for an older data version', async () => {
    const image = await LiveImage.open(info, null);
    image.apply(fill(0, () => 100, 1));
    const pool = gatedPool();
    const manager = new TransformManager({ pool });
    let changes = 0;
    const display = new TransformDisplay({ manager, sourceId: 'session/s', onChange: () => changes++ });
    const ops: TransformOp[] = [{ op: 'downsample', factor: 2, reduce: 'max' }];
    const one = [channels[0]!];
    display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    await tick();
    expect(pool.runs).toBe(1);
    image.apply(fill(0, () => 200, 2)); // the data change while the worker computes
    const v2 = display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    await tick();
    // The version-1 run (cancelled) finishes, then the version-2 one runs and lands.
    for (let i = 0; i < 10; i++) {
      pool.release();
      await tick();
    }
    expect(pool.runs).toBe(2);
    expect(props(sublayers(v2)[0]).loader).toEqual([image.volumeLoader()]);
    const now = display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    const src = (props(sublayers(now)[0]).loader as { shape: number[]; version: number; getRaster: (a: unknown) => Promise<{ data: Uint16Array }> }[])[0]!;
    expect(src.shape).toEqual([2, 3, 4, 5]);
    expect(src.version).toBe(image.version);
    expect(Array.from((await src.getRaster({ selection: { c: 0, z: 1 } })).data).every((v) => v === 200)).toBe(true);
    expect(changes).toBe(1);
    display.dispose();
  });

  it('cancel() stops the computation and asks for nothing until resume()', async () => {
    const image = await LiveImage.open(info, null);
    image.apply(fill(0, (i) => i % 50, 1));
    const pool = gatedPool();
    const manager = new TransformManager({ pool });
    let changes = 0;
    const events: string[] = [];
    manager.on((e) => events.push(e.type));
    const display = new TransformDisplay({ manager, sourceId: 'session/s', onChange: () => changes++ });
    const ops: TransformOp[] = [{ op: 'gaussian', sigma: [2, 2, 2] }];
    const one = [channels[0]!];
    display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    await tick();
    display.cancel();
    expect(events).toContain('cancelled');
    display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    pool.release();
    await tick();
    await tick();
    expect([pool.runs, changes]).toEqual([1, 0]);
    display.resume();
    display.layer({ id: 'xf', image, channels: one, opsFor: () => ops });
    for (let i = 0; i < 6; i++) {
      pool.release();
      await tick();
    }
    expect([pool.runs, changes]).toEqual([2, 1]);
    expect(props(sublayers(display.layer({ id: 'xf', image, channels: one, opsFor: () => ops }))[0]).modelMatrix ?? null).toBeNull();
  });

  it('an in-memory source reads planes and tiles as copies on plain ArrayBuffers', async () => {
    const data = new Float32Array(new SharedArrayBuffer(2 * 3 * 4 * 4)).map((_, i) => i);
    const src = volumePixelSource(new Map([[1, { data, shape: [2, 3, 4] as const }]]), 3, undefined, 7);
    expect([src.shape, src.dtype, src.version]).toEqual([[3, 2, 3, 4], 'Float32', 7]);
    const p = await src.getRaster({ selection: { c: 1, z: 1 } });
    expect(p.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(p.data)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(Array.from((await src.getRaster({ selection: { c: 0, z: 0 } })).data)).toEqual(Array(12).fill(0));
  });
});
