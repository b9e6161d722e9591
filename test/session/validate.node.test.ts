import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZGROUP_BYTES, initialFlamingo, zarrayBytes, zattrsBytes } from '../../src/session/metadata/build.ts';
import { sessionLayout } from '../../src/session/metadata/layout.ts';
import { v2Compressor } from '../../src/session/read/codecs.ts';
import { FsStore } from '../../src/session/store/fs-store.ts';
import { readOnly } from '../../src/session/store/read-only.ts';
import type { ReadableSessionStore } from '../../src/session/store/types.ts';
import { validateSession } from '../../src/session/validate.ts';

const REFERENCE = '../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr';
const tmpRoot = mkdtempSync(join(tmpdir(), 'flamingo-validate-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

let n = 0;
function copyOfReference(): string {
  const dir = join(tmpRoot, `ref-${++n}.ome.zarr`);
  cpSync(REFERENCE, dir, { recursive: true });
  return dir;
}

const open = (dir: string): ReadableSessionStore => readOnly(new FsStore(dir));

describe('validateSession on the reference sample', () => {
  it('is valid: two levels, its shape, no format version (not a flamingo-viv session), every chunk counted', async () => {
    const r = await validateSession(open(REFERENCE));
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ valid: true, unreadable: false, levels: 2, shape: [2, 70, 130, 100], format_version: null, chunk_files: [24, 8] });
    expect(r.warnings.join('\n')).toMatch(/flamingo: is missing: this is an OME-NGFF 0\.4 image, not a flamingo-viv session/);
  });

  it('requireFlamingo makes the missing key an error', async () => {
    const r = await validateSession(open(REFERENCE), { requireFlamingo: true });
    expect(r.valid).toBe(false);
    expect(r.errors.join('\n')).toMatch(/\.zattrs flamingo: is missing/);
  });
});

describe('validateSession on a written session', () => {
  it('a session written with the builders and one chunk is valid, format version 1', async () => {
    const dir = join(tmpRoot, 'written.ome.zarr');
    const store = await FsStore.createNew(dir, { fsync: 'none' });
    const layout = sessionLayout({
      name: 'written', shape: [1, 3, 300, 70], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0],
      channels: [{ name: 'ch', color: 'FFFFFF' }],
    });
    await store.set('.zgroup', ZGROUP_BYTES);
    for (let l = 0; l < layout.levels.length; l++) await store.set(`${l}/.zarray`, zarrayBytes(layout, l));
    await store.set('.zattrs', zattrsBytes(layout, initialFlamingo(layout, {
      app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z',
      microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: null },
      plan: { kind: 'live', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0], timepoints: null, interval_s: null },
    })));
    await store.set('0/0/0/4/1', new Uint8Array([1, 2, 3])); // y chunk 4 of ceil(300/64) = 5, x chunk 1 of 2
    const r = await validateSession(readOnly(store), { requireFlamingo: true });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ valid: true, levels: 2, shape: [1, 3, 300, 70], format_version: 1, chunk_files: [1, 0] });

    // The independent reader (zarr-python 2.13) opens the group and both arrays from our metadata.
    await store.delete('0/0/0/4/1'); // not a real zstd frame
    const py = [
      'import json, sys, zarr',
      'g = zarr.open_group(sys.argv[1], mode="r")',
      'a0, a1 = g["0"], g["1"]',
      'print(json.dumps({"s0": list(a0.shape), "s1": list(a1.shape), "dtype": str(a0.dtype), "chunks": list(a0.chunks),',
      '  "comp": a0.compressor.get_config(), "fill": int(a0[0, 1, 299, 69]), "name": g.attrs["flamingo"]["name"]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, dir], { encoding: 'utf8' })) as unknown;
    expect(out).toEqual({ s0: [1, 3, 300, 70], s1: [1, 3, 150, 35], dtype: 'uint16', chunks: [1, 64, 64, 64], comp: { id: 'zstd', level: 3 }, fill: 0, name: 'written' });
  });
});

describe('validateSession finds broken folders', () => {
  it('chunk keys outside the array or malformed; zarr.json; stray and temporary files', async () => {
    const dir = copyOfReference();
    mkdirSync(join(dir, '0/0/5/0'), { recursive: true });
    writeFileSync(join(dir, '0/0/5/0/0'), 'x'); // z chunk 5 of ceil(70/64) = 2
    mkdirSync(join(dir, '1/2/0/0'), { recursive: true });
    writeFileSync(join(dir, '1/2/0/0/0'), 'x'); // channel 2 of 2
    writeFileSync(join(dir, '0/0/0/0/0.8f2a.3.tmp'), 'x');
    writeFileSync(join(dir, '0/0/0/0.5'), 'x'); // not a chunk key
    mkdirSync(join(dir, '0/01/0/0'), { recursive: true });
    writeFileSync(join(dir, '0/01/0/0/0'), 'x'); // leading zero
    writeFileSync(join(dir, 'zarr.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const r = await validateSession(open(dir));
    expect(r.valid).toBe(false);
    expect(r.unreadable).toBe(false);
    const errors = r.errors.join('\n');
    expect(errors).toMatch(/^0\/: 1 chunk key\(s\) lie outside the array \(shape \[2,70,130,100\], chunks \[1,64,64,64\]\), e\.g\. 0\/0\/5\/0\/0\.$/m);
    expect(errors).toMatch(/^1\/: 1 chunk key\(s\) lie outside the array .*1\/2\/0\/0\/0/m);
    expect(errors).toMatch(/^0\/: 2 file\(s\) are not well-formed chunk keys/m);
    expect(errors).toMatch(/zarr\.json: is Zarr v3 metadata/);
    expect(r.warnings.join('\n')).toMatch(/1 stale temporary file\(s\) \(0\/0\/0\/0\/0\.8f2a\.3\.tmp\)/);
    expect(r.warnings.join('\n')).toMatch(/1 file\(s\) that are not part of the session \(notes\.txt\)/);
  });

  it('a missing level .zarray and a level .zarray that is not JSON are errors, not unreadable', async () => {
    const dir = copyOfReference();
    unlinkSync(join(dir, '1/.zarray'));
    writeFileSync(join(dir, '0/.zarray'), '{"zarr_format": 2,');
    const r = await validateSession(open(dir));
    expect(r).toMatchObject({ valid: false, unreadable: false, levels: 2 });
    expect(r.errors.join('\n')).toMatch(/1\/\.zarray: is missing/);
    expect(r.errors.join('\n')).toMatch(/0\/\.zarray is not valid JSON/);
  });

  it('a wrong .zgroup is an error', async () => {
    const dir = copyOfReference();
    writeFileSync(join(dir, '.zgroup'), '{"zarr_format": 3}');
    const r = await validateSession(open(dir));
    expect(r.errors.join('\n')).toMatch(/\.zgroup: is \{"zarr_format":3\}; expected \{"zarr_format": 2\}/);
    unlinkSync(join(dir, '.zgroup'));
    expect((await validateSession(open(dir))).errors.join('\n')).toMatch(/\.zgroup: is missing/);
  });

  it('a newer format version is refused with a message naming it', async () => {
    const dir = join(tmpRoot, 'newer.ome.zarr');
    cpSync(REFERENCE, dir, { recursive: true });
    const attrs = JSON.parse(readFileSync(join(dir, '.zattrs'), 'utf8')) as Record<string, unknown>;
    attrs.flamingo = { format: 'flamingo-viv.session', format_version: 2, written_by: { app: 'flamingo-viv', app_version: '0.9.0', written_at: '2027-01-01T00:00:00.000Z' } };
    writeFileSync(join(dir, '.zattrs'), JSON.stringify(attrs));
    const r = await validateSession(open(dir));
    expect(r).toMatchObject({ valid: false, unreadable: false, format_version: 2 });
    expect(r.errors.join('\n')).toMatch(/written by flamingo-viv 0\.9\.0 in session format version 2\. This flamingo-viv reads format versions up to 1/);
  });
});

describe('validateSession: unreadable input', () => {
  it('a folder that does not exist', async () => {
    const r = await validateSession(open(join(tmpRoot, 'nothing-here.ome.zarr')));
    expect(r).toMatchObject({ valid: false, unreadable: true, levels: 0, shape: null, format_version: null });
    expect(r.errors[0]).toMatch(/\.zattrs is missing; this is not an OME-NGFF 0\.4 image/);
  });

  it('.zattrs that is not JSON, or has a BOM', async () => {
    const dir = copyOfReference();
    writeFileSync(join(dir, '.zattrs'), '{"multiscales": [');
    let r = await validateSession(open(dir));
    expect(r.unreadable).toBe(true);
    expect(r.errors[0]).toMatch(/\.zattrs is not valid JSON/);
    writeFileSync(join(dir, '.zattrs'), '\ufeff{}');
    r = await validateSession(open(dir));
    expect(r.unreadable).toBe(true);
    expect(r.errors[0]).toMatch(/byte-order mark/);
  });

  it('a Zarr v3 tree', async () => {
    const dir = join(tmpRoot, 'v3.ome.zarr');
    mkdirSync(dir);
    writeFileSync(join(dir, 'zarr.json'), '{"zarr_format": 3, "node_type": "group"}');
    const r = await validateSession(open(dir));
    expect(r.unreadable).toBe(true);
    expect(r.errors[0]).toMatch(/It holds zarr\.json: a Zarr v3 tree/);
  });

  it('a store that fails', async () => {
    const failing: ReadableSessionStore = {
      description: 'broken disk',
      get: () => Promise.reject(new Error('EIO: i/o error')),
      list: () => Promise.resolve(['.zattrs']),
    };
    const r = await validateSession(failing);
    expect(r).toMatchObject({ valid: false, unreadable: true });
    expect(r.errors[0]).toBe('broken disk: the store could not be read (EIO: i/o error).');
  });
});

describe('validateSession with chunk decoding (§6.3 item 3)', () => {
  const decode = async (bytes: Uint8Array, compressor: unknown, expected: number): Promise<Uint8Array> => {
    const codec = v2Compressor(compressor, 'chunk');
    if (!codec) return bytes;
    return codec.decode(bytes, expected);
  };

  it('every chunk of the reference sample decodes to the chunk size', async () => {
    const r = await validateSession(open(REFERENCE), { decodeChunk: decode });
    expect(r.errors).toEqual([]);
    expect(r.chunk_files).toEqual([24, 8]);
  });

  it('an empty, a truncated and a garbage chunk are named', async () => {
    const dir = copyOfReference();
    writeFileSync(join(dir, '0/0/0/0/0'), new Uint8Array(0));
    const whole = readFileSync(join(dir, '0/1/1/2/1'));
    writeFileSync(join(dir, '0/1/1/2/1'), whole.subarray(0, whole.length >> 1));
    writeFileSync(join(dir, '1/0/0/0/0'), 'not zstd at all');
    const r = await validateSession(open(dir), { decodeChunk: decode });
    expect(r.valid).toBe(false);
    const e = r.errors.join('\n');
    expect(e).toMatch(/3 chunk file\(s\) do not decode to the chunk size/);
    expect(e).toMatch(/0\/0\/0\/0\/0 \(empty file\)/);
    expect(e).toMatch(/0\/1\/1\/2\/1 \(/);
    expect(e).toMatch(/1\/0\/0\/0\/0 \(/);
  });
});
