import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError, importLegacySession, legacyTimestampToIso } from '../../src/session/import-legacy.node.ts';
import type { ImportLegacyResult } from '../../src/session/import-legacy.node.ts';
import type { FlamingoAttrs } from '../../src/session/metadata/index.ts';
import { v2Compressor } from '../../src/session/read/codecs.ts';
import type { LegacyInfo } from '../../src/session/read/description.ts';
import { FsStore } from '../../src/session/store/fs-store.ts';
import { readOnly } from '../../src/session/store/read-only.ts';
import { validateSession } from '../../src/session/validate.ts';
import { encodeV3 } from './read/fixtures.ts';

const REFERENCE = path.resolve('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr');
const root = mkdtempSync(path.join(os.tmpdir(), 'fv-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The `session_metadata` keys of §8.1's table, for a 9-slot session. */
const SESSION_METADATA = {
  session_name: 'demo session/1',
  timestamp: '2026-11-26 04:06:47',
  description: 'Saved from Sample View',
  storage_voxel_size_um: [5, 5, 5],
  display_voxel_size_um: [50, 40, 30],
  chamber_dimensions_um: [3500, 12000, 1980],
  chamber_origin_um: [12500, 0, 1000],
  sample_region_center_um: [19250, 7000, 6655],
  sample_region_radius_um: 8000,
  reference_stage_position: { x: 6.655, y: 7.0, z: 19.25, r: 12.5 },
  num_channels: 9,
  channel_names: ['405nm (DAPI)', '488nm (GFP)', '561nm (RFP)', '640nm (Far-Red)'],
  data_bounds_min_um: [12600, 100, 1030],
  data_bounds_max_um: [15900, 11800, 2890],
  total_voxels: 123456,
  memory_mb: 12.5,
};

/** Legacy value of slot `c` at (z, y, x); slots with data: 0, 5, 8 (8 sparse). Slot 2 is written all zero; the others are missing. */
const PY_VALUE = `
def value(c, z, y, x):
    v = ((c * 1000 + z * 7 + y * 3 + x * 11) % 5000).astype("<u2")
    if c == 8:
        v = np.where((z >= 3) & (z < 9) & (y >= 100) & (y < 120) & (x >= 10) & (x < 20), v + 1, 0).astype("<u2")
    return v
`;
const V2_SLOTS = { data: [0, 5, 8], zero: [2] };

/** A py2flamingo Zarr v2 session written by python3-zarr 2 (`0/<iz>.<iy>.<ix>`, every chunk, Blosc zstd). */
function writeV2Legacy(folder: string, shape: [number, number, number], dtype: '<u2' | '|u1', meta: Record<string, unknown> = SESSION_METADATA): void {
  const metaFile = `${folder}.meta.json`;
  writeFileSync(metaFile, JSON.stringify(meta));
  execFileSync('/usr/bin/python3', [
    '-c',
    `
import sys, json, zarr, numpy as np
from numcodecs import Blosc
${PY_VALUE}
folder, meta, dtype = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
shape = tuple(json.loads(sys.argv[4]))
g = zarr.open_group(folder, mode="w")
g.attrs["session_metadata"] = meta
g.attrs["omero"] = {"name": meta["session_name"], "channels": [{"label": (meta["channel_names"][i] if i < len(meta["channel_names"]) else "Channel %d" % i), "color": ["0000FF", "00FF00", "FF0000", "FF00FF"][i % 4], "active": True} for i in range(9)]}
g.attrs["multiscales"] = [{"version": "0.4", "name": meta["session_name"], "axes": [{"name": a, "type": "space", "unit": "micrometer"} for a in "zyx"], "datasets": [{"path": str(i)} for i in range(9)], "coordinateTransformations": [{"type": "scale", "scale": meta["display_voxel_size_um"]}]}]
z, y, x = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), np.arange(shape[2]), indexing="ij")
for c in ${JSON.stringify([...V2_SLOTS.data, ...V2_SLOTS.zero])}:
    a = g.create_dataset(str(c), shape=shape, chunks=(64, 64, 64), dtype=dtype, fill_value=0, compressor=Blosc(cname="zstd", clevel=3, shuffle=1))
    a[:] = 0 if c in ${JSON.stringify(V2_SLOTS.zero)} else (value(c, z, y, x) if dtype == "<u2" else (value(c, z, y, x) % 256).astype("|u1"))
`,
    folder,
    metaFile,
    dtype,
    JSON.stringify(shape),
  ]);
  rmSync(metaFile);
}

/**
 * Reads the converted session with python3-zarr and compares every voxel of level 0 with the
 * legacy arrays (a missing array reads as 0), and level 1 with the §3.5 mean of level 0.
 */
function pyCompare(session: string, legacy: string, zarrFormat: 2 | 3): { level0Mismatches: number; level1Mismatches: number; shapes: number[][]; chunkFilesPerChannel: number[] } {
  const script = `
import sys, os, json, zarr, numpy as np
session, legacy, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = zarr.open_group(session, mode="r")
paths = [d["path"] for d in g.attrs["multiscales"][0]["datasets"]]
l0 = g[paths[0]][:]
C, Z, Y, X = l0.shape
if fmt == 2:
    lg = zarr.open_group(legacy, mode="r")
    want = np.stack([lg[str(c)][:] if str(c) in lg else np.zeros((Z, Y, X), "<u2") for c in range(C)])
else:
    want = np.load(os.path.join(legacy, "expected.npy"))
bad0 = int((l0 != want).sum())
bad1 = -1
if len(paths) > 1:
    l1 = g[paths[1]][:].astype(np.int64)
    a = l0.astype(np.int64)
    Y1, X1 = (Y + 1) // 2, (X + 1) // 2
    s = np.zeros((C, Z, Y1, X1), np.int64); n = np.zeros((1, 1, Y1, X1), np.int64)
    for dy in (0, 1):
        for dx in (0, 1):
            part = a[:, :, dy::2, dx::2]
            s[:, :, :part.shape[2], :part.shape[3]] += part
            n[:, :, :part.shape[2], :part.shape[3]] += 1
    bad1 = int((l1 != (2 * s + n) // (2 * n)).sum())
chunks = [0] * C
for dirpath, _, files in os.walk(os.path.join(session, paths[0])):
    rel = os.path.relpath(dirpath, os.path.join(session, paths[0])).split(os.sep)
    if rel[0].isdigit():
        chunks[int(rel[0])] += len([f for f in files if not f.startswith(".")])
print(json.dumps({"level0Mismatches": bad0, "level1Mismatches": bad1, "shapes": [list(g[p].shape) for p in paths], "chunkFilesPerChannel": chunks}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, session, legacy, String(zarrFormat)], { encoding: 'utf8', maxBuffer: 2 ** 26 }));
}

/** Every file of a folder with its bytes' hash and mtime, to prove it was not modified. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${createHash('sha256').update(readFileSync(p)).digest('hex')}@${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
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

interface WrittenAttrs {
  flamingo: FlamingoAttrs & { legacy: LegacyInfo };
  omero: { channels: { active: boolean }[] };
}
const zattrs = (session: string): WrittenAttrs => JSON.parse(readFileSync(path.join(session, '.zattrs'), 'utf8')) as WrittenAttrs;

describe('importLegacySession: py2flamingo Zarr v2 (python3-zarr)', () => {
  const legacy = path.join(root, 'demo_session_1_20261126_040647.zarr');
  const SHAPE: [number, number, number] = [70, 300, 66];
  let result: ImportLegacyResult;
  let before: Record<string, string>;

  beforeAll(async () => {
    writeV2Legacy(legacy, SHAPE, '<u2');
    before = fingerprint(legacy);
    result = await importLegacySession({ source: legacy, out: path.join(root, 'demo.ome.zarr'), threads: 1 });
  });

  it('copies every voxel of every slot into [c, z, y, x], builds the pyramid, skips empty chunks', () => {
    expect(result.path).toBe(path.join(root, 'demo.ome.zarr'));
    expect(result.source).toBe(legacy);
    expect(result.shape).toEqual([9, ...SHAPE]);
    expect(result.levels).toBe(2);
    expect(result.framesWritten).toBe(9 * SHAPE[0]);
    const py = pyCompare(result.path, legacy, 2);
    expect(py.shapes).toEqual([[9, 70, 300, 66], [9, 70, 150, 33]]);
    expect(py.level0Mismatches).toBe(0);
    expect(py.level1Mismatches).toBe(0);
    // 2 × 5 × 2 chunks for slots 0 and 5; one for the sparse slot 8; none for the all-zero and missing slots.
    expect(py.chunkFilesPerChannel).toEqual([20, 0, 0, 0, 0, 20, 0, 0, 1]);
  });

  it('passes validateSession (schemas, rules, every chunk decoded)', async () => {
    const v = await validateOnDisk(result.path);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.shape).toEqual([9, ...SHAPE]);
  });

  it('maps the legacy metadata per §8.3 and keeps it verbatim under flamingo.legacy', () => {
    const { flamingo: f, omero } = zattrs(result.path);
    expect(f.name).toBe('demo session/1');
    expect(f.description).toBe('Saved from Sample View');
    expect(f.status).toBe('complete');
    expect(f.created).toBe(new Date(2026, 10, 26, 4, 6, 47).toISOString());
    expect(f.voxel_size_um).toEqual({ z: 50, y: 40, x: 30 });
    expect(f.world_origin_um).toEqual([12500, 0, 1000]);
    expect(f.z_origin).toBe('session');
    expect(f.stage_reference).toEqual({ x_mm: 6.655, y_mm: 7.0, z_mm: 19.25, r_deg: 12.5 });
    expect(f.bounds_um).toEqual({ min: [12600, 100, 1030], max: [15900, 11800, 2890] });
    expect(f.accumulation).toBe('maximum');
    expect(f.acquisition).toEqual({
      microscope: { name: 'py2flamingo import', connection: 'none', address: null, orientation: null },
      plan: { kind: 'import', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0, 1, 2, 3, 4, 5, 6, 7, 8], timepoints: null, interval_s: null },
      frames_expected: null,
      frames_received: 0,
      frames_written: 0,
      frames_dropped: 0,
      dropped_by_reason: { queue_full: 0, out_of_bounds: 0, invalid_frame: 0 },
    });
    expect(f.channels.map((c) => [c.name, c.laser_nm, c.illumination_side, c.color, c.contrast, c.visible])).toEqual([
      ['405nm (DAPI)', 405, 'left', '0000FF', [0, 500], true],
      ['488nm (GFP)', 488, 'left', '00FF00', [0, 500], false],
      ['561nm (RFP)', 561, 'left', 'FF0000', [0, 500], false],
      ['640nm (Far-Red)', 640, 'left', 'FF00FF', [0, 500], false],
      ['Channel 4', 405, 'right', '0000FF', [0, 500], false],
      ['Channel 5', 488, 'right', '00FF00', [0, 500], true],
      ['Channel 6', 561, 'right', 'FF0000', [0, 500], false],
      ['Channel 7', 640, 'right', 'FF00FF', [0, 500], false],
      ['Channel 8', null, null, '0000FF', [0, 4000], true],
    ]);
    expect(omero.channels.map((c) => c.active)).toEqual(f.channels.map((c) => c.visible));
    expect(f.legacy).toEqual({
      source: 'py2flamingo',
      zarr_format: 2,
      folder_name: 'demo_session_1_20261126_040647.zarr',
      dtype: '<u2',
      display_shape_zyx: SHAPE,
      session_metadata: SESSION_METADATA,
    });
    expect(Object.keys(f.legacy.session_metadata)).toHaveLength(16);
    expect(result.channels.filter((c) => c.visible).map((c) => c.index)).toEqual([0, 5, 8]);
  });

  it('leaves the legacy folder untouched and never overwrites: a second import gets a timestamped folder', async () => {
    expect(fingerprint(legacy)).toEqual(before);
    const again = await importLegacySession({ source: legacy, out: path.join(root, 'demo.ome.zarr'), threads: 0 });
    expect(again.path).not.toBe(result.path);
    expect(path.basename(again.path)).toMatch(/^demo_\d{8}_\d{6}\.ome\.zarr$/);
    expect(zattrs(result.path).flamingo.status).toBe('complete');
    expect(pyCompare(again.path, legacy, 2).level0Mismatches).toBe(0);
    expect(fingerprint(legacy)).toEqual(before);
  });

  it('stopped midway (signal), leaves a valid interrupted session holding what was flushed', async () => {
    const controller = new AbortController();
    const out = path.join(root, 'stopped.ome.zarr');
    const err = await importLegacySession({ source: legacy, out, threads: 0, signal: controller.signal, onProgress: () => controller.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as Error).message).toBe(`The import of ${legacy} was stopped; the partial session ${out} is marked interrupted.`);
    const f = zattrs(out).flamingo;
    expect(f.status).toBe('interrupted');
    expect(f.status_reason).toMatch(/^the import failed: The import of .* was stopped\.$/);
    expect((await validateOnDisk(out)).errors).toEqual([]);
    expect(fingerprint(legacy)).toEqual(before);
  });

  it('refuses its own output: it is already a flamingo-viv session', async () => {
    const err = await importLegacySession({ source: result.path, out: path.join(root, 'x.ome.zarr') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).code).toBe('not-legacy');
    expect((err as Error).message).toMatch(/is already a flamingo-viv session; import takes a py2flamingo session/);
  });
});

describe('importLegacySession: py2flamingo Zarr v3 (hand-written, Infinity bounds)', () => {
  it('imports zarr.json attributes and c/ chunk keys; non-finite bounds become null and are kept as strings', async () => {
    const legacy = path.join(root, 'legacy_v3_20261126_040647.zarr');
    const shape = [5, 70, 66];
    mkdirSync(legacy);
    const meta = { ...SESSION_METADATA, num_channels: 2, channel_names: ['405nm (DAPI)', '405nm (DAPI)'], reference_stage_position: null, timestamp: 'yesterday', data_bounds_min_um: 'MIN', data_bounds_max_um: 'MAX' };
    const group = JSON.stringify({ zarr_format: 3, node_type: 'group', attributes: { session_metadata: meta } }, null, 4)
      .replace('"MIN"', '[Infinity, Infinity, Infinity]')
      .replace('"MAX"', '[-Infinity, -Infinity, NaN]');
    writeFileSync(path.join(legacy, 'zarr.json'), group);
    const codecs = [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'blosc', configuration: { cname: 'zstd', clevel: 3, shuffle: 'shuffle', typesize: 2, blocksize: 0 } },
    ];
    const expected = new Uint16Array(2 * 5 * 70 * 66);
    for (const c of [0, 1]) {
      mkdirSync(path.join(legacy, String(c)));
      writeFileSync(
        path.join(legacy, String(c), 'zarr.json'),
        JSON.stringify({ zarr_format: 3, node_type: 'array', shape, data_type: 'uint16', chunk_grid: { name: 'regular', configuration: { chunk_shape: [64, 64, 64] } }, chunk_key_encoding: { name: 'default', configuration: { separator: '/' } }, fill_value: 0, codecs, attributes: {}, dimension_names: null }),
      );
    }
    // Only channel 1, chunk (0, 1, 0) exists (py2flamingo's zarr 3 writes no empty chunk).
    const vals = new Array<number>(64 ** 3).fill(0);
    for (let z = 0; z < 5; z++)
      for (let y = 64; y < 70; y++)
        for (let x = 0; x < 64; x++) {
          const v = 1 + ((z * 13 + y * 7 + x) % 3000);
          vals[z * 4096 + (y - 64) * 64 + x] = v;
          expected[((1 * 5 + z) * 70 + y) * 66 + x] = v;
        }
    mkdirSync(path.join(legacy, '1', 'c', '0', '1'), { recursive: true });
    writeFileSync(path.join(legacy, '1', 'c', '0', '1', '0'), await encodeV3(vals, [64, 64, 64], [{ name: 'bytes' }, { name: 'blosc' }]));
    execFileSync('/usr/bin/python3', ['-c', 'import sys, numpy as np; np.save(sys.argv[1], np.frombuffer(open(sys.argv[2], "rb").read(), "<u2").reshape(2, 5, 70, 66))', path.join(legacy, 'expected.npy'), writeRaw(expected)]);

    const r = await importLegacySession({ source: legacy, out: path.join(root, 'v3.ome.zarr'), threads: 1 });
    expect(r.shape).toEqual([2, 5, 70, 66]);
    expect(r.levels).toBe(1);
    expect(r.channels).toEqual([
      { index: 0, name: '405nm (DAPI)', visible: false },
      { index: 1, name: '405nm (DAPI) (slot 1)', visible: true },
    ]);
    expect(r.warnings).toEqual([expect.stringMatching(/timestamp "yesterday"/)]);
    const py = pyCompare(r.path, legacy, 3);
    expect(py.level0Mismatches).toBe(0);
    expect(py.chunkFilesPerChannel).toEqual([0, 1]);
    const { flamingo: f } = zattrs(r.path);
    expect(f.bounds_um).toBeNull();
    expect(f.stage_reference).toBeNull();
    expect(f.legacy).toMatchObject({ zarr_format: 3, folder_name: 'legacy_v3_20261126_040647.zarr', dtype: '<u2', display_shape_zyx: [5, 70, 66] });
    expect(f.legacy.session_metadata.data_bounds_min_um).toEqual(['Infinity', 'Infinity', 'Infinity']);
    expect(f.legacy.session_metadata.data_bounds_max_um).toEqual(['-Infinity', '-Infinity', 'NaN']);
    expect(f.legacy.session_metadata.reference_stage_position).toBeNull();
    const v = await validateOnDisk(r.path);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
  });
});

function writeRaw(data: Uint16Array): string {
  const p = path.join(root, `raw-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(p, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return p;
}

describe('importLegacySession: py2flamingo uint8 ("Memory Efficient")', () => {
  it('keeps |u1: values bit-exact, pyramid, windows 0–255, a warning that the original scale is lost, and it validates', async () => {
    const legacy = path.join(root, 'eight_bit_20261126_040647.zarr');
    const SHAPE: [number, number, number] = [70, 300, 66];
    writeV2Legacy(legacy, SHAPE, '|u1');
    const before = fingerprint(legacy);
    const r = await importLegacySession({ source: legacy, out: path.join(root, 'eight.ome.zarr'), threads: 2 });
    expect(r.shape).toEqual([9, ...SHAPE]);
    expect(r.warnings.join(' ')).toMatch(/8-bit \("Memory Efficient"\) data: the values are kept as uint8 \(windows 0–255\), but the original camera scale was lost/);
    const cmp = pyCompare(r.path, legacy, 2);
    expect(cmp.level0Mismatches).toBe(0);
    expect(cmp.level1Mismatches).toBe(0);
    expect(cmp.shapes).toEqual([[9, ...SHAPE], [9, 70, 150, 33]]);
    for (const level of ['0', '1']) expect(JSON.parse(readFileSync(path.join(r.path, level, '.zarray'), 'utf8'))).toMatchObject({ dtype: '|u1', fill_value: 0 });
    const attrs = zattrs(r.path) as WrittenAttrs & { omero: { channels: { window: { min: number; max: number; start: number; end: number } }[] } };
    for (const ch of attrs.omero.channels) expect([ch.window.min, ch.window.max]).toEqual([0, 255]);
    expect(attrs.flamingo.legacy.dtype).toBe('|u1');
    expect(r.channels.filter((c) => c.visible).map((c) => c.index)).toEqual(V2_SLOTS.data);
    const v = await validateOnDisk(r.path);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
    expect(fingerprint(legacy)).toEqual(before);
  });
});

describe('importLegacySession refusals', () => {
  it('refuses a foreign OME-NGFF image, naming what it is, and creates nothing', async () => {
    const out = path.join(root, 'ref.ome.zarr');
    const err = await importLegacySession({ source: REFERENCE, out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).code).toBe('not-legacy');
    expect((err as Error).message).toBe(`${REFERENCE} is an OME-NGFF 0.4 image (Zarr v2), not a py2flamingo session; import takes a py2flamingo session folder (.zarr with session_metadata).`);
    expect(() => statSync(out)).toThrow();
  });

  it('refuses a folder that does not exist', async () => {
    await expect(importLegacySession({ source: path.join(root, 'nope.zarr'), out: path.join(root, 'n.ome.zarr') })).rejects.toThrow(/does not exist/);
  });
});

describe('legacyTimestampToIso', () => {
  it('reads local "YYYY-mm-dd HH:MM:SS" and refuses other forms', () => {
    expect(legacyTimestampToIso('2026-11-26 04:06:47')).toBe(new Date(2026, 10, 26, 4, 6, 47).toISOString());
    expect(legacyTimestampToIso('2026-02-30 04:06:47')).toBeNull();
    expect(legacyTimestampToIso('2026-11-26')).toBeNull();
    expect(legacyTimestampToIso(12)).toBeNull();
  });
});
