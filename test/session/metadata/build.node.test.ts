import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ZGROUP_BYTES,
  ZGROUP_JSON,
  initialFlamingo,
  reductionMetadata,
  zarrayBytes,
  zarrayJson,
  zattrsBytes,
  zattrsJson,
} from '../../../src/session/metadata/build.ts';
import type { InitialFlamingoInfo } from '../../../src/session/metadata/build.ts';
import { centredOrigin, sessionLayout } from '../../../src/session/metadata/layout.ts';
import type { SessionLayoutInit } from '../../../src/session/metadata/layout.ts';
import { validateSessionMetadata } from '../../../src/session/metadata/rules.ts';
import type { FlamingoAttrs } from '../../../src/session/metadata/types.ts';
import { validateLayoutZattrs } from '../../../src/session/metadata/rules.ts';
import { strictImageErrors } from './official-schemas.node.ts';

/** Every fenced ```json block of the spec that is complete JSON. */
function specJsonBlocks(): unknown[] {
  const text = readFileSync('../shared/specs/session-format.md', 'utf8');
  const out: unknown[] = [];
  for (const m of text.matchAll(/```json\n([\s\S]*?)```/g)) {
    try {
      out.push(JSON.parse(m[1] as string));
    } catch {
      // a fragment (e.g. a block with "..." placeholders that is still JSON, or not JSON at all)
    }
  }
  return out;
}

const blocks = specJsonBlocks() as Record<string, unknown>[];
const specZattrs = blocks.find((b) => 'multiscales' in b && 'flamingo' in b) as Record<string, unknown> & { flamingo: FlamingoAttrs };
const specZarray = blocks.find((b) => b.zarr_format === 2 && 'shape' in b);

/** The §9 example's geometry, from its own facts (stage reference, grid centred on it). */
const embryo: SessionLayoutInit = {
  name: 'embryo-7 stack',
  dtype: '<u2',
  shape: [2, 200, 1024, 768],
  voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
  world_origin_um: centredOrigin([19250, 7000, 6655], [200, 1024, 768], { z: 2, y: 0.5, x: 0.5 }),
  channels: [
    { name: 'GFP', color: '00FF00', laser_nm: 488, illumination_side: 'left', contrast: [100, 2500] },
    { name: 'mCherry', color: '#ff00ff', laser_nm: 561, illumination_side: 'left', contrast: [120, 1800] },
  ],
};

describe('§9 example', () => {
  it('the spec has the .zattrs and .zarray blocks as complete JSON', () => {
    expect(specZattrs).toBeDefined();
    expect(specZarray).toBeDefined();
  });

  const layout = sessionLayout(embryo);

  it('the §3.5 metadata block equals reductionMetadata("mean")', () => {
    const block = blocks.find((b) => b.method === 'flamingo-viv block reduction');
    expect(block).toBeDefined();
    expect(JSON.stringify(reductionMetadata('mean'))).toBe(JSON.stringify(block));
  });

  it('layout: three levels, shapes of §9.1', () => {
    expect(layout.levels.map((l) => l.shape)).toEqual([
      [2, 200, 1024, 768],
      [2, 200, 512, 384],
      [2, 200, 256, 192],
    ]);
    expect(layout.worldOriginUm).toEqual([19051, 6744.25, 6463.25]);
  });

  it('zattrsJson reproduces §9.2 exactly, key order included', () => {
    const built = zattrsJson(layout, specZattrs.flamingo);
    expect(built).toEqual(specZattrs);
    expect(JSON.stringify(built)).toBe(JSON.stringify(specZattrs));
  });

  it('zarrayJson reproduces §9.4 and the level 1/2 shapes', () => {
    expect(JSON.stringify(zarrayJson(layout, 0))).toBe(JSON.stringify(specZarray));
    expect(zarrayJson(layout, 1).shape).toEqual([2, 200, 512, 384]);
    expect(zarrayJson(layout, 2).shape).toEqual([2, 200, 256, 192]);
    expect(() => zarrayJson(layout, 3)).toThrow(/Level 3 does not exist/);
  });

  it('the built example passes the validator', () => {
    const r = validateSessionMetadata({
      zgroup: ZGROUP_JSON,
      zattrs: zattrsJson(layout, specZattrs.flamingo),
      zarrays: layout.levels.map((_, l) => zarrayJson(layout, l)),
    }, { requireFlamingo: true });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r).toMatchObject({ valid: true, levels: 3, shape: [2, 200, 1024, 768], format_version: 1 });
    expect(validateLayoutZattrs(layout, zattrsJson(layout, specZattrs.flamingo)).errors).toEqual([]);
  });

  it('the spec example and the built one pass Ajv with the official strict_image.schema', () => {
    expect(strictImageErrors(specZattrs)).toEqual([]);
    expect(strictImageErrors(JSON.parse(new TextDecoder().decode(zattrsBytes(layout, specZattrs.flamingo))))).toEqual([]);
  });
});

describe('bytes', () => {
  const layout = sessionLayout(embryo);
  it('UTF-8 JSON, 2-space indent, no BOM, final newline', () => {
    expect(new TextDecoder().decode(ZGROUP_BYTES)).toBe('{\n  "zarr_format": 2\n}\n');
    const z = new TextDecoder().decode(zarrayBytes(layout, 0));
    expect(z.startsWith('{\n  "zarr_format": 2,\n  "shape": [\n    2,')).toBe(true);
    expect(JSON.parse(z)).toEqual(zarrayJson(layout, 0));
    const f = initialFlamingo(layout, { app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z', microscope: specZattrs.flamingo.acquisition.microscope, plan: specZattrs.flamingo.acquisition.plan });
    const a = zattrsBytes(layout, f);
    expect(a[0]).toBe(0x7b);
    expect(JSON.parse(new TextDecoder().decode(a))).toEqual(zattrsJson(layout, f));
  });
  it('refuses NaN and Infinity, naming the path', () => {
    const f = initialFlamingo(layout, { app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z', microscope: specZattrs.flamingo.acquisition.microscope, plan: specZattrs.flamingo.acquisition.plan });
    f.viewer.view_state.zoom = Number.NaN;
    expect(() => zattrsBytes(layout, f)).toThrow(/\.zattrs flamingo\.viewer\.view_state\.zoom is not a finite number/);
  });
});

describe('initialFlamingo', () => {
  it('a new session is valid: acquiring, counters 0, bounds null', () => {
    const layout = sessionLayout({ ...embryo, levels: 2, z_origin: 'session' });
    const f = initialFlamingo(layout, {
      app_version: '0.1.0',
      now: '2026-11-26T10:31:02.004Z',
      microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
      plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 19.051, z_end_mm: 19.449, z_step_um: 2, planes_per_stack: 200, channels: [0, 1], timepoints: 1, interval_s: null },
      frames_expected: 400,
    });
    expect(f).toMatchObject({ status: 'acquiring', bounds_um: null, transforms: [] });
    expect(f.acquisition.frames_received).toBe(0);
    expect(f.viewer.selection).toEqual({ z: 100, t: 0 });
    expect(f.viewer.view_state.target_um).toEqual({ x: 6655, y: 7000, z: 19250 });
    const r = validateSessionMetadata({ zattrs: zattrsJson(layout, f), zarrays: [zarrayJson(layout, 0), zarrayJson(layout, 1)] }, { requireFlamingo: true });
    expect(r.errors).toEqual([]);
    expect(r.levels).toBe(2);
  });
});

describe('variants of §9.4', () => {
  const base = { app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z', microscope: { name: 'x', connection: 'none', address: null, orientation: null }, plan: { kind: 'import', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0], timepoints: null, interval_s: null } } satisfies InitialFlamingoInfo;
  const one = [{ name: 'a', color: 'FFFFFF' }];

  it('blosc-zstd, uint8, max reduction, time-lapse with z_origin stage', () => {
    const layout = sessionLayout({
      name: 'tl', dtype: '|u1', compressor: { id: 'blosc', cname: 'zstd', clevel: 5, shuffle: 2, blocksize: 0 },
      shape: [12, 1, 10, 300, 40], voxel_size_um: { z: 3, y: 1, x: 1 }, world_origin_um: [100, -5, 7], z_origin: 'stage',
      frame_interval_s: 30, reduction: 'max', channels: one,
    });
    const z = zarrayJson(layout, 0);
    expect(z.chunks).toEqual([1, 1, 64, 64, 64]);
    expect(z.dtype).toBe('|u1');
    expect(z.compressor).toEqual({ id: 'blosc', cname: 'zstd', clevel: 5, shuffle: 2, blocksize: 0 });
    expect(layout.levels.map((l) => l.shape)).toEqual([[12, 1, 10, 300, 40], [12, 1, 10, 150, 20]]);
    expect(layout.levels[1]?.scale).toEqual([30, 1, 3, 2, 2]);
    expect(layout.levels[1]?.translation).toEqual([0, 0, 100, -4.5, 7.5]);
    const attrs = zattrsJson(layout, initialFlamingo(layout, base));
    expect(attrs.multiscales[0].axes[0]).toEqual({ name: 't', type: 'time', unit: 'second' });
    expect(attrs.multiscales[0].metadata.kwargs).toEqual({ reduction: 'max', factors: { y: 2, x: 2 }, partial_blocks: 'existing-voxels' });
    expect(attrs.omero.channels[0]?.window).toEqual({ min: 0, max: 255, start: 0, end: 255 });
    const r = validateSessionMetadata({ zattrs: attrs, zarrays: layout.levels.map((_, l) => zarrayJson(layout, l)) });
    expect(r.errors).toEqual([]);
    expect(strictImageErrors(attrs)).toEqual([]);
  });

  it('float32 windows take the observed range', () => {
    const layout = sessionLayout({ name: 'f', dtype: '<f4', shape: [1, 1, 8, 8], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: one });
    const attrs = zattrsJson(layout, initialFlamingo(layout, base), { dataRanges: [[-2.5, 9]] });
    expect(attrs.omero.channels[0]?.window).toEqual({ min: -2.5, max: 9, start: 0, end: 1 });
  });

  it('level counts of §3.5', () => {
    const count = (y: number, x: number, levels?: number): number =>
      sessionLayout({ name: 'n', shape: [1, 1, y, x], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: one, levels }).levels.length;
    expect(count(2048, 2048)).toBe(4);
    expect(count(280, 226)).toBe(2);
    expect(count(200, 180)).toBe(1);
    expect(count(257, 3)).toBe(2);
    expect(count(4, 3, 16)).toBe(3);
    expect(count(1, 1, 5)).toBe(1);
  });

  it('§3.6 worked example: s 0.5, T −20 → level 1 −19.75, level 2 −19.25', () => {
    const layout = sessionLayout({ name: 'w', shape: [1, 1, 1024, 1024], voxel_size_um: { z: 1, y: 0.5, x: 0.5 }, world_origin_um: [0, -20, -20], channels: one, levels: 3 });
    expect(layout.levels.map((l) => [l.scale[2], l.translation[2]])).toEqual([[0.5, -20], [1, -19.75], [2, -19.25]]);
  });

  it('refuses impossible layouts with a message naming the field', () => {
    const ok: SessionLayoutInit = { name: 'n', shape: [1, 1, 8, 8], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], channels: one };
    expect(() => sessionLayout({ ...ok, shape: [1, 8, 8] })).toThrow(/3 axes/);
    expect(() => sessionLayout({ ...ok, shape: [2, 1, 8, 8] })).toThrow(/1 channels but the c axis has size 2/);
    expect(() => sessionLayout({ ...ok, voxel_size_um: { z: 0, y: 1, x: 1 } })).toThrow(/voxel_size_um\.z/);
    expect(() => sessionLayout({ ...ok, world_origin_um: [Number.NaN, 0, 0] })).toThrow(/world_origin_um\[0\]/);
    expect(() => sessionLayout({ ...ok, dtype: '<f8' as never })).toThrow(/dtype/);
    expect(() => sessionLayout({ ...ok, compressor: { id: 'zstd', level: 23 } })).toThrow(/1–22/);
    expect(() => sessionLayout({ ...ok, channels: [{ name: 'a', color: 'red' }] })).toThrow(/RRGGBB/);
    expect(() => sessionLayout({ ...ok, name: '' })).toThrow(/1–200/);
    expect(() => sessionLayout({ ...ok, levels: 17 })).toThrow(/levels/);
  });
});
