import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPipeline } from '../../src/transforms/apply.ts';
import { ResultCache } from '../../src/transforms/manager/result-cache.ts';
import { TransformManager, opsKey, type ManagerEvent } from '../../src/transforms/manager/transform-manager.ts';
import { createNodeTransformPool } from '../../src/transforms/pool/node-pool.node.ts';
import type { TransformPool } from '../../src/transforms/pool/types.ts';
import { isTransformError, type TransformOp, type Volume } from '../../src/transforms/types.ts';
import { prng } from '../support.ts';

function volume(n: number, seed = 1): Volume<Uint16Array> {
  const rand = prng(seed);
  const data = new Uint16Array(n * n * n);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 65535);
  return { data, shape: [n, n, n] };
}

const SMOOTH: TransformOp = { op: 'gaussian', sigma: [1, 1, 1] };
/** Big enough to still be running when the test acts on it. */
const SLOW: TransformOp = { op: 'gaussian', sigma: [6, 6, 6] };

describe('ResultCache', () => {
  const vol = (bytes: number): Volume => ({ data: new Uint8Array(bytes), shape: [1, 1, bytes] });

  it('evicts the least recently used entries beyond its byte capacity', () => {
    const cache = new ResultCache(300);
    cache.set({ sourceId: 'a', version: 1, ops: 'x' }, vol(100));
    cache.set({ sourceId: 'a', version: 1, ops: 'y' }, vol(100));
    cache.get({ sourceId: 'a', version: 1, ops: 'x' }); // x is now the most recent
    cache.set({ sourceId: 'a', version: 1, ops: 'z' }, vol(150));
    expect(cache.get({ sourceId: 'a', version: 1, ops: 'y' })).toBeUndefined();
    expect(cache.get({ sourceId: 'a', version: 1, ops: 'x' })).toBeDefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 250, evictions: 1, capacityBytes: 300 });
  });

  it('never stores a result bigger than the whole cache', () => {
    const cache = new ResultCache(10);
    cache.set({ sourceId: 'a', version: 1, ops: 'x' }, vol(11));
    expect(cache.stats().entries).toBe(0);
  });

  it('drops every entry of a source when its data version moves on, and refuses stale results', () => {
    const cache = new ResultCache(1000);
    cache.set({ sourceId: 'a', version: 1, ops: 'x' }, vol(10));
    cache.set({ sourceId: 'b', version: 1, ops: 'x' }, vol(10));
    cache.noteVersion('a', 2);
    expect(cache.get({ sourceId: 'a', version: 1, ops: 'x' })).toBeUndefined();
    expect(cache.get({ sourceId: 'b', version: 1, ops: 'x' })).toBeDefined();
    cache.set({ sourceId: 'a', version: 1, ops: 'x' }, vol(10)); // computed from old data: not kept
    expect(cache.get({ sourceId: 'a', version: 2, ops: 'x' })).toBeUndefined();
    expect(cache.isStale('a', 1)).toBe(true);
  });

  it('refuses a nonsense capacity', () => {
    expect(() => new ResultCache(Number.NaN)).toThrow(/capacity/);
  });
});

describe('opsKey', () => {
  it('gives equal text for equal work written differently', () => {
    expect(opsKey([{ op: 'gaussian', sigma: [1, 1, 1] }])).toBe(opsKey([{ truncate: 4, sigma: [1, 1, 1], op: 'gaussian' } as TransformOp]));
    expect(opsKey([{ op: 'gaussian', sigma: [1, 1, 1] }])).not.toBe(opsKey([{ op: 'gaussian', sigma: [1, 1, 2] }]));
  });
});

describe('TransformManager on the real worker pool', () => {
  let pool: TransformPool;
  let manager: TransformManager;
  const events: ManagerEvent[] = [];

  beforeAll(() => {
    pool = createNodeTransformPool(2);
    manager = new TransformManager({ pool, cacheBytes: 64 * 2 ** 20 });
    manager.on((e) => events.push(e));
  });
  afterAll(async () => {
    await manager.close();
  });

  it('computes what a single thread computes, then serves the same result from the cache', async () => {
    const input = volume(24);
    const first = await manager.run({ sourceId: 's1', version: 1, input, ops: [SMOOTH, { op: 'downsample', factor: 2, reduce: 'mean' }] });
    expect(first.shape).toEqual([12, 12, 12]);
    expect(first.data).toEqual(applyPipeline(input, [SMOOTH, { op: 'downsample', factor: 2, reduce: 'mean' }]).data);
    const before = manager.stats().cache;
    const again = await manager.run({ sourceId: 's1', version: 1, input, ops: [SMOOTH, { op: 'downsample', factor: 2, reduce: 'mean' }] });
    expect(again).toBe(first);
    expect(manager.stats().cache.hits).toBe(before.hits + 1);
  });

  it('never serves a result after the source data version changes', async () => {
    const input = volume(16, 2);
    const v1 = await manager.run({ sourceId: 's2', version: 1, input, ops: SMOOTH });
    const changed = volume(16, 3);
    const v2 = await manager.run({ sourceId: 's2', version: 2, input: changed, ops: SMOOTH });
    expect(v2).not.toBe(v1);
    expect(v2.data).toEqual(applyPipeline(changed, [SMOOTH]).data);
    await expect(manager.run({ sourceId: 's2', version: 1, input, ops: SMOOTH })).rejects.toThrow(/out of date/);
  });

  it('runs identical requests once and gives both callers the result', async () => {
    events.length = 0;
    const input = volume(32, 4);
    const load = async (): Promise<Volume<Uint16Array>> => input;
    const [a, b] = await Promise.all([
      manager.run({ sourceId: 's3', version: 1, input: load, ops: SMOOTH }),
      manager.run({ sourceId: 's3', version: 1, input: load, ops: SMOOTH }),
    ]);
    expect(a).toBe(b);
    expect(events.filter((e) => e.type === 'started' && e.sourceId === 's3')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'shared' && e.sourceId === 's3')).toHaveLength(1);
  });

  it('runs the highest priority first', async () => {
    events.length = 0;
    const input = volume(48, 5);
    const blocker = manager.run({ sourceId: 'p0', version: 1, input, ops: SLOW });
    const low = manager.run({ sourceId: 'p-low', version: 1, input: volume(8, 6), ops: SMOOTH, priority: 1 });
    const high = manager.run({ sourceId: 'p-high', version: 1, input: volume(8, 7), ops: SMOOTH, priority: 5 });
    expect(manager.stats().queued).toBe(2);
    await Promise.all([blocker, low, high]);
    const started = events.filter((e) => e.type === 'started').map((e) => e.sourceId);
    expect(started).toEqual(['p0', 'p-high', 'p-low']);
  });

  it('cancels a running job when its only caller aborts, and keeps it for a second caller', async () => {
    const input = volume(64, 8);
    const one = new AbortController();
    const two = new AbortController();
    const shared1 = manager.run({ sourceId: 'c1', version: 1, input, ops: SLOW, signal: one.signal });
    const shared2 = manager.run({ sourceId: 'c1', version: 1, input, ops: SLOW, signal: two.signal });
    one.abort();
    const err = await shared1.catch((e: unknown) => e);
    expect(isTransformError(err, 'cancelled')).toBe(true);
    const kept = await shared2; // the second caller still gets its result
    expect(kept.shape).toEqual([64, 64, 64]);

    const solo = new AbortController();
    let last = { done: 0, total: 0 };
    const running = manager.run({
      sourceId: 'c2',
      version: 1,
      input: volume(64, 9),
      ops: SLOW,
      signal: solo.signal,
      onProgress: (done, total) => {
        last = { done, total };
        solo.abort(); // after the first finished slab
      },
    });
    const err2 = await running.catch((e: unknown) => e);
    expect(isTransformError(err2, 'cancelled')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(last.done).toBeLessThan(last.total); // it stopped within the slabs in flight
    // The pool is free again: a new request completes.
    const after = await manager.run({ sourceId: 'c3', version: 1, input: volume(8, 10), ops: SMOOTH });
    expect(after.shape).toEqual([8, 8, 8]);
  });

  it('drops queued work on an older data version when a newer one is noted', async () => {
    const blocker = manager.run({ sourceId: 'v0', version: 1, input: volume(48, 11), ops: SLOW });
    const old = manager.run({ sourceId: 'v1', version: 1, input: volume(8, 12), ops: SMOOTH });
    manager.noteVersion('v1', 2);
    await expect(old).rejects.toThrow(/changed \(version 1 → 2\)/);
    await blocker;
  });

  it('names bad requests', async () => {
    await expect(manager.run({ sourceId: 'x', version: 1, input: volume(4), ops: [] })).rejects.toThrow(/at least one operation/);
    await expect(manager.run({ sourceId: 'x', version: Number.NaN, input: volume(4), ops: SMOOTH })).rejects.toThrow(/not a number/);
    await expect(manager.run({ sourceId: 'bad', version: 1, input: volume(4), ops: { op: 'downsample', factor: 0, reduce: 'mean' } })).rejects.toThrow(/factor/);
  });
});
