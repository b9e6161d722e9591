import { describe, expect, it } from 'vitest';
import { openImage } from '../../../src/session/read/open.ts';
import { openPath } from '../../../src/session/read/open-file.node.ts';
import { isReadError } from '../../../src/session/read/description.ts';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import { readOnly } from '../../../src/session/store/read-only.ts';
import { REFERENCE, python, referenceValue } from './helpers.ts';

describe('reference OME-NGFF 0.4 sample', () => {
  it('reads both levels exactly, with axes, transforms and channels', async () => {
    const image = await openImage(readOnly(new FsStore(REFERENCE)));
    expect(image.source).toBe('ome-ngff-0.4');
    expect(image.name).toBe('reference');
    expect(image.axes.map((a) => a.name)).toEqual(['c', 'z', 'y', 'x']);
    expect(image.warnings).toEqual([]);
    const [l0, l1] = image.levels;
    expect(l0!.shape).toEqual([2, 70, 130, 100]);
    expect(l0!.chunks).toEqual([1, 64, 64, 64]);
    expect(l0!.dtype).toBe('uint16');
    expect(l0!.scale).toEqual([1, 2, 0.5, 0.5]);
    expect(l0!.translation).toEqual([0, 0, -20, 35.5]);
    expect(l1!.shape).toEqual([2, 70, 65, 50]);
    expect(l1!.scale).toEqual([1, 2, 1, 1]);
    expect(l1!.translation).toEqual([0, 0, -19.75, 35.75]);
    expect(image.channels).toEqual([
      { index: 0, name: 'GFP', color: '00FF00', window: { min: 0, max: 65535, start: 0, end: 4095 }, visible: true },
      { index: 1, name: 'mCherry', color: 'FF00FF', window: { min: 0, max: 65535, start: 0, end: 4095 }, visible: true },
    ]);

    const all = await l0!.readRegion({ start: [0, 0, 0, 0], stop: [2, 70, 130, 100] });
    expect(all.shape).toEqual([2, 70, 130, 100]);
    let mismatches = 0;
    let i = 0;
    for (let c = 0; c < 2; c++) for (let z = 0; z < 70; z++) for (let y = 0; y < 130; y++) for (let x = 0; x < 100; x++) if (all.data[i++] !== referenceValue(c, z, y, x)) mismatches++;
    expect(mismatches).toBe(0);

    // Level 1 against an independent reader (python3-zarr 2.13 + numcodecs).
    const raw = python('import sys, zarr, numpy as np; a = zarr.open(sys.argv[1], mode="r")["1"][:]; sys.stdout.buffer.write(a.astype("<u2").tobytes())', [REFERENCE]);
    const expected = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    const lvl1 = await l1!.readRegion({ start: [0, 0, 0, 0], stop: [2, 70, 65, 50] });
    expect(Array.from(lvl1.data)).toEqual(Array.from(expected));
  });

  it('reads single chunks padded with fill, and an off-grid region', async () => {
    const image = await openPath(REFERENCE);
    const l0 = image.levels[0]!;
    const edge = await l0.getChunk([1, 1, 2, 1]);
    expect(edge.shape).toEqual([1, 64, 64, 64]);
    // chunk z 64..127 holds planes 64..69; y 128..191 holds rows 128, 129; x 64..127 holds 64..99
    expect(edge.data[0]).toBe(referenceValue(1, 64, 128, 64));
    expect(edge.data[(5 * 64 + 1) * 64 + 35]).toBe(referenceValue(1, 69, 129, 99));
    expect(edge.data[(6 * 64 + 1) * 64 + 35]).toBe(0);
    const r = await l0.readRegion({ start: [1, 63, 60, 61], stop: [2, 66, 70, 70] });
    expect(r.shape).toEqual([1, 3, 10, 9]);
    expect(r.data[0]).toBe(referenceValue(1, 63, 60, 61));
    expect(r.data[r.data.length - 1]).toBe(referenceValue(1, 65, 69, 69));
    await expect(l0.readRegion({ start: [0, 0, 0, 0], stop: [3, 1, 1, 1] })).rejects.toSatisfy((e) => isReadError(e));
    await expect(l0.getChunk([0, 2, 0, 0])).rejects.toThrow(/outside level 0's chunk grid/);
  });

  it('honours an AbortSignal', async () => {
    const image = await openPath(REFERENCE);
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await expect(image.levels[0]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 1, 10, 10] }, { signal: ac.signal })).rejects.toThrow('stop now');
    await expect(image.levels[0]!.getChunk([0, 0, 0, 0], { signal: ac.signal })).rejects.toThrow('stop now');
    await expect(openPath(REFERENCE, { signal: ac.signal })).rejects.toThrow();
  });
});

describe('chunk cache', () => {
  it('decodes a chunk once for many planes, hands out copies, and can be turned off', async () => {
    const inner = readOnly(new FsStore(REFERENCE));
    const gets: string[] = [];
    const counting = { description: inner.description, list: (p?: string) => inner.list(p), get: (k: string, o?: { signal?: AbortSignal }) => (gets.push(k), inner.get(k, o)) };
    const image = await openImage(counting);
    gets.length = 0;
    const l0 = image.levels[0]!;
    for (let z = 0; z < 10; z++) {
      const r = await l0.readRegion({ start: [0, z, 0, 0], stop: [1, z + 1, 64, 64] });
      expect(r.data[5]).toBe(referenceValue(0, z, 0, 5));
    }
    expect(gets).toEqual(['0/0/0/0/0']);
    const a = await l0.getChunk([0, 0, 0, 0]);
    a.data[0] = 12345;
    expect((await l0.getChunk([0, 0, 0, 0])).data[0]).toBe(referenceValue(0, 0, 0, 0));

    const uncached = await openImage(counting, { cacheBytes: 0 });
    gets.length = 0;
    await uncached.levels[0]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 2, 64, 64] });
    await uncached.levels[0]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 2, 64, 64] });
    expect(gets).toEqual(['0/0/0/0/0', '0/0/0/0/0']);
  });
});
