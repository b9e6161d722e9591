import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openImage } from '../../../src/session/read/open.ts';
import { openPath } from '../../../src/session/read/open-file.node.ts';
import type { ImageDescription, LevelDescription, ReadWarning } from '../../../src/session/read/description.ts';
import { isReadError } from '../../../src/session/read/description.ts';
import { crc32c } from '../../../src/session/read/codecs.ts';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';
import { crc32cSlow, levelValue, sessionInMemory, writeV3Image } from './fixtures.ts';
import { json, python, referenceValue, tempDir } from './helpers.ts';

async function whole(level: LevelDescription): Promise<ArrayLike<number>> {
  return (await level.readRegion({ start: level.shape.map(() => 0), stop: level.shape.slice() })).data;
}

function forEachIndex(shape: readonly number[], f: (idx: number[], k: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    f(idx, k);
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a]!++;
      if (idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
}

describe('crc32c', () => {
  it('matches the standard check value and an independent implementation', () => {
    const b = new TextEncoder().encode('123456789');
    expect(crc32c(b)).toBe(0xe3069283);
    expect(crc32cSlow(b)).toBe(0xe3069283);
  });
});

describe('OME-NGFF 0.5 on Zarr v3', () => {
  async function v3Store(): Promise<MemoryStore> {
    const s = new MemoryStore('v3 image');
    await writeV3Image(s, [
      { shape: [2, 5, 40, 30], chunks: [1, 2, 16, 16], codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd', configuration: { level: 3 } }], skip: (ci) => ci[0] === 1 && ci[1] === 2 },
      { shape: [2, 5, 20, 15], chunks: [1, 3, 8, 8], codecs: [{ name: 'transpose', configuration: { order: [0, 1, 3, 2] } }, { name: 'bytes', configuration: { endian: 'big' } }, { name: 'gzip', configuration: { level: 1 } }, { name: 'crc32c' }], keySeparator: '.' },
      { shape: [2, 5, 10, 8], chunks: [1, 4, 16, 16], inner: [1, 2, 8, 8], codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'blosc', configuration: { cname: 'zstd', clevel: 3, shuffle: 'bitshuffle', typesize: 2, blocksize: 0 } }], dimensionNames: ['c', 'z', 'y', 'q'] },
    ]);
    return s;
  }

  it('reads every level exactly (zstd; transpose + big-endian + gzip + crc32c; sharding + blosc)', async () => {
    const seen: ReadWarning[] = [];
    const image = await openImage(await v3Store(), { onWarning: (w) => seen.push(w) });
    expect(image.source).toBe('ome-ngff-0.5');
    expect(image.name).toBe('v3 image');
    expect(image.levels.map((l) => l.shape)).toEqual([[2, 5, 40, 30], [2, 5, 20, 15], [2, 5, 10, 8]]);
    expect(image.levels[2]!.chunks).toEqual([1, 2, 8, 8]);
    expect(image.levels[1]!.scale).toEqual([1, 2, 1, 1]);
    expect(image.levels[1]!.translation).toEqual([0, 0, 10.25, -4.75]);
    expect(image.channels.map((c) => [c.name, c.color, c.visible, c.window.start, c.window.end])).toEqual([['A', 'FF0000', true, 10, 3000], ['B', '0000FF', false, 0, 4095]]);
    expect(seen.map((w) => w.code)).toEqual(['metadata']); // dimension_names of level 2
    expect(seen[0]!.message).toMatch(/dimension_names \[c, z, y, q\]/);
    for (const [l, level] of image.levels.entries()) {
      const data = await whole(level);
      let bad = 0;
      forEachIndex(level.shape, (idx, k) => {
        let want = levelValue(l, idx);
        if (l === 0 && idx[0] === 1 && Math.floor(idx[1]! / 2) === 2) want = 0; // missing chunk
        if (l === 2 && Math.floor(idx[2]! / 8) === 0 && Math.floor(idx[3]! / 8) === 1) want = 0; // missing inner chunk
        if (data[k] !== want) bad++;
      });
      expect(bad, `level ${l}`).toBe(0);
    }
    expect(image.warnings.filter((w) => w.code === 'bad-chunk')).toEqual([]);
  });

  it('reports a corrupt sharded chunk and a failed checksum as fill, naming the key', async () => {
    const s = await v3Store();
    const shard = (await s.get('2/c/0/0/0/0'))!;
    const bad = shard.slice();
    bad[bad.length - 1]! ^= 0xff; // index checksum
    await s.set('2/c/0/0/0/0', bad);
    const chunk = (await s.get('1/c.0.0.0.0'))!.slice();
    chunk[chunk.length - 1]! ^= 0xff;
    await s.set('1/c.0.0.0.0', chunk);
    const image = await openImage(s);
    const c2 = await image.levels[2]!.getChunk([0, 0, 0, 0]);
    expect(Array.from(c2.data).every((v) => v === 0)).toBe(true);
    await image.levels[1]!.getChunk([0, 0, 0, 0]);
    const bads = image.warnings.filter((w) => w.code === 'bad-chunk');
    expect(bads.map((w) => w.key)).toEqual(['2/c/0/0/0/0 (inner chunk [0, 0, 0, 0])', '1/c.0.0.0.0']);
    expect(bads.every((w) => /crc32c/.test(w.message))).toBe(true);
  });

  it('opens series 0 of a bioformats2raw collection', async () => {
    const s = new MemoryStore('collection');
    await s.set('zarr.json', json({ zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', 'bioformats2raw.layout': 3 } } }));
    await writeV3Image(s, [{ shape: [2, 3, 9, 7], chunks: [1, 3, 9, 7], codecs: [{ name: 'bytes' }] }], '0');
    const image = await openImage(s);
    expect(image.levels[0]!.path).toBe('0/0');
    expect((await whole(image.levels[0]!))[5]).toBe(levelValue(0, [0, 0, 0, 5]));
    await expect(openImage(s, { series: 3 })).rejects.toThrow(/without series 3/);
  });
});

describe('foreign OME-NGFF 0.4 written by python3-zarr', () => {
  const tmp = tempDir('flamingo-foreign-');
  afterAll(() => tmp.remove());

  it('reads >f8 (as float32), F order, "." keys, gzip, no omero, no version, a multiscale-level transform', async () => {
    const folder = path.join(tmp.dir, 'foreign.zarr');
    python(
      `
import sys, zarr, numpy as np
from numcodecs import GZip
g = zarr.open_group(sys.argv[1], mode="w")
z, y, x = np.meshgrid(np.arange(5), np.arange(33), np.arange(20), indexing="ij")
a = g.create_dataset("s0", shape=(5, 33, 20), chunks=(2, 16, 16), dtype=">f8", order="F", compressor=GZip(level=1))
a[:] = z * 1.5 + y * 0.25 + x
g.attrs["multiscales"] = [{"axes": [{"name": "z", "type": "space"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
  "datasets": [{"path": "s0", "coordinateTransformations": [{"type": "scale", "scale": [3, 1, 1]}, {"type": "translation", "translation": [1, 2, 3]}]}],
  "coordinateTransformations": [{"type": "scale", "scale": [1, 0.5, 0.5]}]}]
`,
      [folder],
    );
    const image = await openPath(folder);
    expect(image.source).toBe('ome-ngff-0.4');
    const l0 = image.levels[0]!;
    expect(l0.dtype).toBe('float32');
    expect(l0.scale).toEqual([3, 0.5, 0.5]);
    expect(l0.translation).toEqual([1, 1, 1.5]);
    expect(image.warnings.map((w) => w.code).sort()).toEqual(['converted', 'metadata']);
    expect(image.channels).toHaveLength(1);
    expect(image.channels[0]!.color).toBe('FFFFFF');
    const data = await whole(l0);
    let bad = 0;
    forEachIndex(l0.shape, ([zz, yy, xx], k) => {
      if (data[k] !== zz! * 1.5 + yy! * 0.25 + xx!) bad++;
    });
    expect(bad).toBe(0);
    // contrast from the data of the middle plane (z = 2)
    expect(image.channels[0]!.window).toEqual({ min: 3, max: 30, start: 3, end: 30 });
  });
});

describe('flamingo-viv sessions', () => {
  it('reads the flamingo state, keeping unknown fields and ops', async () => {
    const image = await openImage(await sessionInMemory());
    expect(image.source).toBe('flamingo-session');
    expect(image.flamingo?.format_version).toBe(1);
    expect(image.flamingo?.future_field).toEqual({ kept: true });
    expect(image.flamingo?.transforms[1]).toEqual({ op: 'future-op', params: { k: 1 } });
    expect(image.flamingo?.viewer.selection).toEqual({ z: 35, t: 0 });
    const d = await image.levels[0]!.readRegion({ start: [1, 3, 4, 5], stop: [2, 4, 5, 6] });
    expect(d.data[0]).toBe(referenceValue(1, 3, 4, 5));
  });

  it('normalises format_version "1" and 1.0', async () => {
    for (const v of ['1', 1.0]) {
      const image = await openImage(await sessionInMemory((f) => (f.format_version = v)));
      expect(image.flamingo?.format_version).toBe(1);
    }
  });

  it('refuses a newer format_version, naming both versions and the writer', async () => {
    const s = await sessionInMemory((f) => {
      f.format_version = 7;
      f.written_by = { app: 'flamingo-viv', app_version: '3.0.0', written_at: '2030-01-01T00:00:00.000Z' };
    });
    const before = await s.get('.zattrs');
    const err = await openImage(s, { appVersion: '0.1.0' }).catch((e: unknown) => e);
    expect(isReadError(err, 'newer-format')).toBe(true);
    expect((err as Error).message).toBe('This session was written by flamingo-viv 3.0.0 in session format version 7. This flamingo-viv (0.1.0) reads format versions up to 1. Update flamingo-viv to open it.');
    expect(await s.get('.zattrs')).toEqual(before);
  });

  it('uses omero over flamingo.channels and the scale over voxel_size_um, with warnings (§4.8)', async () => {
    const s = await sessionInMemory((f) => {
      (f.channels as { name: string }[])[1]!.name = 'Other';
      (f.voxel_size_um as { y: number }).y = 0.7;
    });
    const image = await openImage(s);
    expect(image.channels[1]!.name).toBe('mCherry');
    expect(image.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/future-op/),
      expect.stringMatching(/flamingo.channels\[1\] differs from omero.channels\[1\] in name/),
      expect.stringMatching(/voxel_size_um.y is 0.7 but the level-0 scale is 0.5/),
    ]);
  });

  it('reads a group whose flamingo.format is foreign as a plain OME image (§4.9)', async () => {
    const image = await openImage(await sessionInMemory((f) => (f.format = 'someone-else')));
    expect(image.source).toBe('ome-ngff-0.4');
    expect(image.flamingo).toBeUndefined();
  });
});

describe('py2flamingo legacy sessions', () => {
  const tmp = tempDir('flamingo-legacy-');
  afterAll(() => tmp.remove());

  const SESSION_METADATA = {
    session_name: 'demo session/1',
    timestamp: '2026-11-26 04:06:47',
    description: 'Saved from Sample View',
    storage_voxel_size_um: [5, 5, 5],
    display_voxel_size_um: [50, 50, 50],
    chamber_dimensions_um: [3500, 4000, 3300],
    chamber_origin_um: [12500, 0, 1000],
    sample_region_center_um: [19250, 7000, 6655],
    sample_region_radius_um: 8000,
    reference_stage_position: { x: 6.655, y: 7.0, z: 19.25, r: 0 },
    num_channels: 3,
    channel_names: ['405nm (DAPI)', 'Infinity and NaN are words here'],
    data_bounds_min_um: [Infinity, Infinity, Infinity],
    data_bounds_max_um: [-Infinity, -Infinity, -Infinity],
    total_voxels: 0,
    memory_mb: 1.5,
  };

  it('reads a Zarr v2 session written by python3-zarr (channel 1 missing, Infinity bounds)', async () => {
    const folder = path.join(tmp.dir, 'demo_session_1_20261126_040647.zarr');
    writeFileSync(path.join(tmp.dir, 'meta.json'), JSON.stringify({ sm: SESSION_METADATA }).replace(/null/g, 'null'));
    python(
      `
import sys, json, math, zarr, numpy as np
from numcodecs import Blosc
meta = json.load(open(sys.argv[2]))["sm"]
meta["data_bounds_min_um"] = [math.inf]*3
meta["data_bounds_max_um"] = [-math.inf]*3
g = zarr.open_group(sys.argv[1], mode="w")
g.attrs["session_metadata"] = meta
g.attrs["omero"] = {"name": "x", "channels": [{"label": "L%d" % i, "color": ["0000FF","00FF00","FF0000"][i], "active": True} for i in range(3)]}
g.attrs["multiscales"] = [{"version": "0.4", "axes": [{"name": a, "type": "space", "unit": "micrometer"} for a in "zyx"], "datasets": [{"path": str(i)} for i in range(3)]}]
z, y, x = np.meshgrid(np.arange(70), np.arange(80), np.arange(66), indexing="ij")
for c in (0, 2):
    a = g.create_dataset(str(c), shape=(70, 80, 66), chunks=(64, 64, 64), dtype="<u2", compressor=Blosc(cname="zstd", clevel=3, shuffle=1))
    a[:] = ((c * 1000 + z * 7 + y * 3 + x) % 4096).astype("<u2")
`,
      [folder, path.join(tmp.dir, 'meta.json')],
    );
    const image = await openPath(folder);
    expect(image.source).toBe('py2flamingo');
    expect(image.name).toBe('demo session/1');
    expect(image.axes.map((a) => a.name)).toEqual(['c', 'z', 'y', 'x']);
    const l0 = image.levels[0]!;
    expect(l0.shape).toEqual([3, 70, 80, 66]);
    expect(l0.scale).toEqual([1, 50, 50, 50]);
    expect(l0.translation).toEqual([0, 12500, 0, 1000]);
    expect(image.channels.map((c) => [c.name, c.color, c.window.end, c.visible])).toEqual([
      ['405nm (DAPI)', '0000FF', 500, true],
      ['Infinity and NaN are words here', '00FF00', 500, false],
      ['L2', 'FF0000', 500, true],
    ]);
    expect(image.legacy).toMatchObject({ source: 'py2flamingo', zarr_format: 2, folder_name: 'demo_session_1_20261126_040647.zarr', dtype: '<u2', display_shape_zyx: [70, 80, 66] });
    expect(image.legacy!.session_metadata.data_bounds_min_um).toEqual(['Infinity', 'Infinity', 'Infinity']);
    expect(image.legacy!.session_metadata.data_bounds_max_um).toEqual(['-Infinity', '-Infinity', '-Infinity']);
    expect(Object.keys(image.legacy!.session_metadata)).toHaveLength(16);
    expect(image.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/Channel array "1" is missing/)]);
    const data = await whole(l0);
    let bad = 0;
    forEachIndex(l0.shape, (idx, k) => {
      const [c, z, y, x] = idx as [number, number, number, number];
      if (data[k] !== (c === 1 ? 0 : referenceValue(c, z, y, x))) bad++;
    });
    expect(bad).toBe(0);
  });

  it('reads a Zarr v3 session (zarr.json attributes, c/ keys, only non-empty chunks)', async () => {
    const s = new MemoryStore('/data/legacy_v3_20261126_040647.zarr');
    const text = JSON.stringify({ zarr_format: 3, node_type: 'group', attributes: { session_metadata: { ...SESSION_METADATA, num_channels: 2, data_bounds_min_um: 'MIN', data_bounds_max_um: 'MAX' } } })
      .replace('"MIN"', '[Infinity, Infinity, Infinity]')
      .replace('"MAX"', '[-Infinity, -Infinity, -Infinity]');
    await s.set('zarr.json', new TextEncoder().encode(text));
    const { encodeV3, chunkValues } = await import('./fixtures.ts');
    const codecs = [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'blosc', configuration: { cname: 'zstd', clevel: 3, shuffle: 'shuffle', typesize: 2, blocksize: 0 } }];
    for (const c of [0, 1]) {
      await s.set(`${c}/zarr.json`, json({ zarr_format: 3, node_type: 'array', shape: [5, 70, 66], data_type: 'uint16', chunk_grid: { name: 'regular', configuration: { chunk_shape: [64, 64, 64] } }, chunk_key_encoding: { name: 'default', configuration: { separator: '/' } }, fill_value: 0, codecs, attributes: {}, dimension_names: null }));
    }
    // channel 1, chunk (0, 1, 0) only; values follow levelValue with c = 1 shifted into z
    const vals = chunkValues(0, [2, 5, 70, 66], [1, 64, 64, 64], [1, 0, 1, 0]);
    await s.set('1/c/0/1/0', await encodeV3(vals, [64, 64, 64], [{ name: 'bytes' }, { name: 'blosc' }]));
    const image: ImageDescription = await openImage(s);
    expect(image.source).toBe('py2flamingo');
    expect(image.legacy).toMatchObject({ zarr_format: 3, folder_name: 'legacy_v3_20261126_040647.zarr', display_shape_zyx: [5, 70, 66] });
    expect(image.legacy!.session_metadata.data_bounds_max_um).toEqual(['-Infinity', '-Infinity', '-Infinity']);
    const r = await image.levels[0]!.readRegion({ start: [0, 0, 60, 0], stop: [2, 5, 70, 66] });
    let bad = 0;
    forEachIndex(r.shape, (idx, k) => {
      const [c, z, yy, x] = idx as [number, number, number, number];
      const y = yy + 60;
      const want = c === 1 && y >= 64 && x < 64 ? levelValue(0, [1, z, y, x]) : 0;
      if (r.data[k] !== want) bad++;
    });
    expect(bad).toBe(0);
  });
});
