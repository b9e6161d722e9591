/**
 * The Node worker pool: same output as the single-thread kernels (ops and pipelines, every dtype),
 * progress per slab, cancellation between slabs, closing, and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPipeline } from '../../src/transforms/apply.ts';
import { createNodeTransformPool, type NodeTransformPool } from '../../src/transforms/pool/node-pool.node.ts';
import { shiftVolume } from '../../src/transforms/kernels/shift.ts';
import { memoryOf, sharedVolumeBuffer } from '../../src/transforms/kernels/wasm/shared-memories.ts';
import { isTransformError } from '../../src/transforms/types.ts';
import type { TransformOp , TransformError} from '../../src/transforms/types.ts';
import { prng } from '../support.ts';
import { randomVolume } from './scipy.ts';

let pool: NodeTransformPool;
beforeAll(async () => {
  pool = createNodeTransformPool(2);
  await pool.ready();
});
afterAll(async () => {
  await pool.close();
});

const pipeline: TransformOp[] = [
  { op: 'gaussian', sigma: [1, 1, 1] },
  { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 },
  { op: 'shift', offset: [5, 5, 5], order: 1 },
];

describe('NodeTransformPool', () => {
  it('has the requested size and refuses a bad worker count', () => {
    expect(pool.size).toBe(2);
    expect(() => createNodeTransformPool(0)).toThrow(/Worker count is 0/);
  });

  for (const type of ['uint8', 'uint16', 'float32'] as const) {
    it(`${type}: ops and pipelines equal the single-thread result`, async () => {
      const vol = randomVolume(type, [21, 18, 19], prng(4));
      const ops: (TransformOp | TransformOp[])[] = [
        { op: 'gaussian', sigma: [1.2, 0.8, 1] },
        { op: 'rotate', axis: 'x', angleDeg: 40, order: 0 },
        { op: 'downsample', factor: 2, reduce: 'mean' },
        { op: 'shift', offset: [1.5, -2.25, 0.5], order: 1 },
        pipeline,
        [{ op: 'downsample', factor: 3, reduce: 'max' }, { op: 'gaussian', sigma: [0.5, 0.5, 0.5] }],
      ];
      for (const op of ops) {
        const got = await pool.run(vol, op);
        const want = applyPipeline(vol, op);
        expect(got.shape).toEqual(want.shape);
        expect(got.data.constructor).toBe(vol.data.constructor);
        expect(got.data.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(Array.from(got.data), JSON.stringify(op)).toEqual(Array.from(want.data));
      }
    });
  }

  for (const type of ['uint8', 'uint16', 'float32'] as const) {
    it(`${type}: integer shifts are written into WebAssembly memory, equal to the single-thread result`, async () => {
      // 17 × 13 planes: odd byte lengths, so source and target planes are misaligned too.
      const vol = randomVolume(type, [15, 13, 17], prng(11));
      const shifts: TransformOp[] = [
        { op: 'shift', offset: [3, 2, -5], order: 1 },
        { op: 'shift', offset: [-4, -6, 7], order: 1, cval: 9 },
        { op: 'shift', offset: [0.4, 1.6, -2.5], order: 0, cval: -1.5 },
        { op: 'shift', offset: [0, 0, 16], order: 0, cval: 3 },
        { op: 'shift', offset: [0, 20, 0], order: 1 },
        { op: 'shift', offset: [0, 0, 0], order: 1 },
      ];
      for (const op of shifts) {
        const want = applyPipeline(vol, op);
        const got = await pool.run(vol, op);
        expect(memoryOf(got.data.buffer), 'the pool made its output over WebAssembly memory').not.toBeNull();
        expect(Array.from(got.data), JSON.stringify(op)).toEqual(Array.from(want.data));
        // The same into a caller's array over WebAssembly memory, and as a pipeline's middle stage.
        const out = viewOver(sharedVolumeBuffer(want.data.byteLength), type, want.data.length);
        await pool.run(vol, op, { out });
        expect(Array.from(out), JSON.stringify(op)).toEqual(Array.from(want.data));
        const twice = await pool.run(vol, [op, op]);
        expect(Array.from(twice.data)).toEqual(Array.from(applyPipeline(vol, [op, op]).data));
      }
    });
  }

  it('moves planes in WebAssembly memory on this thread too, into an array that starts inside its buffer', () => {
    const vol = randomVolume('uint16', [9, 11, 13], prng(12));
    const want = applyPipeline(vol, { op: 'shift', offset: [2, -3, 5], order: 1, cval: 7 });
    const out = new Uint16Array(sharedVolumeBuffer(want.data.byteLength + 6), 6, want.data.length);
    shiftVolume(vol, out, [2, -3, 5], 1, 7, 0, 9);
    expect(Array.from(out)).toEqual(Array.from(want.data));
  });

  it('fills a caller\'s output array (shared or not) and reuses scratch across pipeline runs', async () => {
    const vol = randomVolume('uint16', [12, 12, 12], prng(8));
    const want = applyPipeline(vol, pipeline);
    const shared = new Uint16Array(new SharedArrayBuffer(want.data.length * 2));
    const plain = new Uint16Array(want.data.length);
    for (let i = 0; i < 3; i++) {
      const a = await pool.run(vol, pipeline, { out: shared });
      expect(a.data).toBe(shared);
      expect(Array.from(shared)).toEqual(Array.from(want.data));
      const b = await pool.run(vol, pipeline, { out: plain });
      expect(b.data).toBe(plain);
      expect(Array.from(plain)).toEqual(Array.from(want.data));
    }
    await expect(pool.run(vol, pipeline, { out: new Uint16Array(5) })).rejects.toMatchObject({ code: 'bad-volume' });
  });

  it('reports progress once per slab over every stage', async () => {
    const vol = randomVolume('uint16', [16, 10, 10], prng(1));
    const seen: [number, number][] = [];
    await pool.run(vol, pipeline, { onProgress: (d, t) => seen.push([d, t]) });
    const total = seen[0]![1];
    expect(total).toBe(8 + 8 + 2); // 2 workers × 4 slabs (gaussian, rotation), × 1 for an integer shift
    expect(seen.map((s) => s[0])).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(seen.every((s) => s[1] === total)).toBe(true);
  });

  it('cancels between slabs: an aborted signal rejects with code "cancelled" and nothing more runs', async () => {
    const vol = randomVolume('uint16', [40, 40, 40], prng(2));
    const before = new AbortController();
    before.abort();
    await expect(pool.run(vol, pipeline, { signal: before.signal })).rejects.toMatchObject({ code: 'cancelled' });

    const ctrl = new AbortController();
    let slabs = 0;
    const run = pool.run(vol, pipeline, {
      signal: ctrl.signal,
      onProgress: (d) => {
        slabs = d;
        if (d === 3) ctrl.abort();
      },
    });
    const err = await run.then(() => null, (e: unknown) => e);
    expect(isTransformError(err, 'cancelled')).toBe(true);
    expect((err as TransformError).message).toBe('The transform was cancelled.');
    // At most the slabs already in flight (one per worker) finish after the abort.
    expect(slabs).toBeLessThanOrEqual(3 + pool.size);
    // The pool still works afterwards.
    const ok = await pool.run(vol, { op: 'downsample', factor: 2, reduce: 'max' });
    expect(ok.shape).toEqual([20, 20, 20]);
  });

  it('refuses bad ops and volumes before starting', async () => {
    const vol = randomVolume('uint16', [4, 4, 4], prng(3));
    await expect(pool.run(vol, { op: 'downsample', factor: 0, reduce: 'mean' })).rejects.toMatchObject({ code: 'bad-parameter' });
    await expect(pool.run({ data: new Uint16Array(3), shape: [4, 4, 4] }, pipeline)).rejects.toMatchObject({ code: 'bad-volume' });
  });

  it('rejects runs in flight and later runs once closed', async () => {
    const own = createNodeTransformPool(1);
    await own.ready();
    const vol = randomVolume('uint16', [30, 30, 30], prng(5));
    let closing: Promise<void> | null = null;
    const running = own
      .run(vol, pipeline, {
        onProgress: () => {
          closing ??= own.close();
        },
      })
      .then(() => null, (e: unknown) => e);
    await running;
    await closing;
    expect(isTransformError(await running, 'closed')).toBe(true);
    await expect(own.run(vol, pipeline)).rejects.toMatchObject({ code: 'closed' });
  });
});

function viewOver(buffer: SharedArrayBuffer, type: 'uint8' | 'uint16' | 'float32', n: number): Uint8Array | Uint16Array | Float32Array {
  return type === 'uint8' ? new Uint8Array(buffer, 0, n) : type === 'uint16' ? new Uint16Array(buffer, 0, n) : new Float32Array(buffer, 0, n);
}
