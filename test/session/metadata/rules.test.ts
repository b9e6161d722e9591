import { describe, expect, it } from 'vitest';
import { ZGROUP_JSON, initialFlamingo, zarrayJson, zattrsJson } from '../../../src/session/metadata/build.ts';
import { sessionLayout } from '../../../src/session/metadata/layout.ts';
import { validateSessionMetadata } from '../../../src/session/metadata/rules.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const layout = sessionLayout({
  name: 'rules',
  shape: [2, 10, 300, 200],
  voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
  world_origin_um: [100, -20, 35.5],
  channels: [
    { name: 'GFP', color: '00FF00', laser_nm: 488, illumination_side: 'left', contrast: [0, 4095] },
    { name: 'mCherry', color: 'FF00FF', laser_nm: 561, illumination_side: 'right', contrast: [10, 2000] },
  ],
});
const flamingo = initialFlamingo(layout, {
  app_version: '0.1.0',
  now: '2026-11-26T10:31:02.004Z',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: '127.0.0.1:53717', orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0.1, z_end_mm: 0.118, z_step_um: 2, planes_per_stack: 10, channels: [0, 1], timepoints: 1, interval_s: null },
  frames_expected: 20,
});

function valid(): { zgroup: Json; zattrs: Json; zarrays: Json[] } {
  return {
    zgroup: structuredClone(ZGROUP_JSON),
    zattrs: structuredClone(zattrsJson(layout, flamingo)),
    zarrays: layout.levels.map((_, l) => structuredClone(zarrayJson(layout, l))),
  };
}

const DS = (a: Json, l: number): Json => a.multiscales[0].datasets[l].coordinateTransformations;

describe('validateSessionMetadata', () => {
  it('the unmodified session is valid, with two levels', () => {
    const r = validateSessionMetadata(valid(), { requireFlamingo: true });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ valid: true, levels: 2, shape: [2, 10, 300, 200], format_version: 1 });
  });

  // Each row: one change to a valid session and the error it must produce (file and JSON path named).
  const cases: [string, (s: { zgroup: Json; zattrs: Json; zarrays: Json[] }) => void, RegExp][] = [
    // §6.2 table
    ['color with #', (s) => (s.zattrs.omero.channels[0].color = '#00FF00'), /\.zattrs omero\.channels\[0\]\.color: is "#00FF00"/],
    ['unit um', (s) => (s.zattrs.multiscales[0].axes[2].unit = 'um'), /\.zattrs multiscales\[0\]\.axes\[2\]\.unit: is "um"; expected "micrometer"/],
    ['unit µm', (s) => (s.zattrs.multiscales[0].axes[3].unit = 'µm'), /axes\[3\]\.unit: is "µm"/],
    ['axes z,c,y,x', (s) => { const a = s.zattrs.multiscales[0].axes; [a[0], a[1]] = [a[1], a[0]]; }, /multiscales\[0\]\.axes: are named \["z","c","y","x"\]/],
    ['transforms [translation, scale]', (s) => DS(s.zattrs, 0).reverse(), /datasets\[0\]\.coordinateTransformations: are \["translation","scale"\]; expected exactly \[scale, translation\]/],
    ['version removed', (s) => delete s.zattrs.multiscales[0].version, /strict_image\.schema: multiscales\[0\]: the key "version" is missing/],
    ['window removed', (s) => delete s.zattrs.omero.channels[1].window, /strict_image\.schema: omero\.channels\[1\]: the required key "window" is missing/],
    // multiscales
    ['version 0.4.1', (s) => (s.zattrs.multiscales[0].version = '0.4.1'), /multiscales\[0\]\.version: is "0\.4\.1"; expected exactly "0\.4"/],
    ['two multiscales', (s) => s.zattrs.multiscales.push({ ...structuredClone(s.zattrs.multiscales[0]), name: 'b' }), /multiscales: has 2 entries/],
    ['multiscale-level transforms', (s) => (s.zattrs.multiscales[0].coordinateTransformations = [{ type: 'scale', scale: [1, 1, 1, 1] }]), /multiscales\[0\]\.coordinateTransformations: is not allowed/],
    ['type gaussian', (s) => (s.zattrs.multiscales[0].type = 'gaussian'), /multiscales\[0\]\.type: is "gaussian"/],
    ['metadata not §3.5', (s) => (s.zattrs.multiscales[0].metadata.kwargs.rounding = 'down'), /multiscales\[0\]\.metadata: does not describe the "mean" block reduction/],
    ['dataset path', (s) => (s.zattrs.multiscales[0].datasets[1].path = 'lvl1'), /datasets\[1\]\.path: is "lvl1"; expected "1"/],
    ['channel axis with a unit', (s) => (s.zattrs.multiscales[0].axes[0].unit = 'micrometer'), /axes\[0\]\.unit: .*the channel axis has no unit/],
    ['space axis typed time', (s) => (s.zattrs.multiscales[0].axes[1].type = 'time'), /axes\[1\]\.type: is "time"; expected "space"/],
    // transforms
    ['scale 0', (s) => (DS(s.zattrs, 0)[0].scale[3] = 0), /datasets\[0\]\.coordinateTransformations\[0\]\.scale\[3\]: is 0; scales must be > 0/],
    ['negative scale', (s) => (DS(s.zattrs, 1)[0].scale[2] = -1), /datasets\[1\]\.coordinateTransformations\[0\]\.scale\[2\]: is -1/],
    ['scale length', (s) => DS(s.zattrs, 0)[0].scale.pop(), /coordinateTransformations\[0\]\.scale: has 3 entries; expected 4/],
    ['channel scale 2', (s) => (DS(s.zattrs, 0)[0].scale[0] = 2), /scale\[0\]: is 2; the channel scale is 1/],
    ['z translation not 0', (s) => { DS(s.zattrs, 0)[1].translation[1] = 100; DS(s.zattrs, 1)[1].translation[1] = 100; }, /translation\[1\]: is 100; the z translation is 0/],
    ['no half-voxel shift at level 1', (s) => (DS(s.zattrs, 1)[1].translation[2] = -20), /datasets\[1\]\.coordinateTransformations\[1\]\.translation\[2\]: is -20; expected -19\.75/],
    ['level-1 scale not doubled', (s) => (DS(s.zattrs, 1)[0].scale[3] = 0.5), /datasets\[1\]\.coordinateTransformations\[0\]\.scale\[3\]: is 0\.5; expected 1/],
    ['level-1 z scale changed', (s) => (DS(s.zattrs, 1)[0].scale[1] = 4), /scale\[1\]: is 4; expected 2/],
    // non-finite
    ['Infinity in .zattrs', (s) => (s.zattrs.flamingo.viewer.view_state.zoom = Infinity), /\.zattrs flamingo\.viewer\.view_state\.zoom: is not a finite number/],
    ['NaN scale', (s) => (DS(s.zattrs, 0)[0].scale[1] = NaN), /scale\[1\]: is NaN; expected a finite number/],
    // top level
    ['extra top-level key', (s) => (s.zattrs.labels = ['a']), /\.zattrs labels: is not allowed/],
    ['0.5 ome wrapper', (s) => (s.zattrs.ome = { version: '0.5' }), /\.zattrs ome: is an OME-NGFF 0\.5 wrapper key/],
    ['omero missing', (s) => delete s.zattrs.omero, /\.zattrs omero: is missing; expected an object/],
    ['zgroup wrong', (s) => (s.zgroup = { zarr_format: 3 }), /\.zgroup: is \{"zarr_format":3\}/],
    ['zgroup missing', (s) => (s.zgroup = undefined), /\.zgroup: is missing/],
    // .zarray (§3.3)
    ['dtype <u1', (s) => s.zarrays.forEach((z) => (z.dtype = '<u1')), /0\/\.zarray dtype: is "<u1"; uint8 is written "\|u1"/],
    ['dtype <f8', (s) => s.zarrays.forEach((z) => (z.dtype = '<f8')), /0\/\.zarray dtype: is "<f8"; float64 is never written/],
    ['dtype <i8', (s) => s.zarrays.forEach((z) => (z.dtype = '<i8')), /dtype: is "<i8"; expected "<u2", "\|u1" or "<f4"/],
    ['chunks 32', (s) => s.zarrays.forEach((z) => (z.chunks = [1, 32, 64, 64])), /0\/\.zarray chunks: is \[1,32,64,64\]; expected \[1,64,64,64\]/],
    ['separator .', (s) => s.zarrays.forEach((z) => (z.dimension_separator = '.')), /dimension_separator: is "\."; expected "\/"/],
    ['separator missing', (s) => delete s.zarrays[1].dimension_separator, /1\/\.zarray dimension_separator: is missing; all nine \.zarray keys/],
    ['bare lz4', (s) => s.zarrays.forEach((z) => (z.compressor = { id: 'lz4', acceleration: 1 })), /compressor\.id: is "lz4"; expected "zstd" or "blosc"/],
    ['gzip', (s) => s.zarrays.forEach((z) => (z.compressor = { id: 'gzip', level: 5 })), /compressor\.id: is "gzip"/],
    ['null compressor', (s) => s.zarrays.forEach((z) => (z.compressor = null)), /compressor: is null/],
    ['zstd level 23', (s) => s.zarrays.forEach((z) => (z.compressor.level = 23)), /compressor\.level: is 23; expected an integer ≥ 1 and ≤ 22/],
    ['zstd without level', (s) => s.zarrays.forEach((z) => delete z.compressor.level), /compressor\.level: is missing/],
    ['blosc without blocksize', (s) => s.zarrays.forEach((z) => (z.compressor = { id: 'blosc', cname: 'zstd', clevel: 5, shuffle: 2 })), /compressor\.blocksize: is absent; expected 0/],
    ['blosc lz4', (s) => s.zarrays.forEach((z) => (z.compressor = { id: 'blosc', cname: 'lz4', clevel: 5, shuffle: 1, blocksize: 0 })), /compressor\.cname: is "lz4"/],
    ['blosc clevel 10', (s) => s.zarrays.forEach((z) => (z.compressor = { id: 'blosc', cname: 'zstd', clevel: 10, shuffle: 1, blocksize: 0 })), /compressor\.clevel: is 10/],
    ['filters', (s) => s.zarrays.forEach((z) => (z.filters = [{ id: 'delta', dtype: '<u2' }])), /filters: is .*expected null/],
    ['fill null', (s) => s.zarrays.forEach((z) => (z.fill_value = null)), /fill_value: is null; expected the number 0/],
    ['order F', (s) => s.zarrays.forEach((z) => (z.order = 'F')), /order: is "F"; expected "C"/],
    ['dimension_names (v3)', (s) => (s.zarrays[0].dimension_names = ['c', 'z', 'y', 'x']), /0\/\.zarray dimension_names: is not a key of a session \.zarray \(a Zarr v3/],
    ['levels differ in compressor', (s) => (s.zarrays[1].compressor = { id: 'zstd', level: 5 }), /1\/\.zarray compressor: is \{"id":"zstd","level":5\} but level 0 has/],
    ['level-1 z halved', (s) => (s.zarrays[1].shape = [2, 5, 150, 100]), /1\/\.zarray shape: is \[2,5,150,100\]; expected \[2,10,150,100\]/],
    ['level-1 y not rounded up', (s) => (s.zarrays[0].shape = [2, 10, 301, 200]), /1\/\.zarray shape: is \[2,10,150,100\]; expected \[2,10,151,100\]/],
    ['shape rank', (s) => (s.zarrays[0].shape = [10, 300, 200]), /0\/\.zarray shape: is \[10,300,200\]; expected an array of 4 integers/],
    ['missing .zarray', (s) => (s.zarrays[1] = undefined), /1\/\.zarray: is missing; every level/],
    ['zarr_format 3', (s) => (s.zarrays[0].zarr_format = 3), /0\/\.zarray zarr_format: is 3; expected 2/],
    // omero (§3.8)
    ['omero channel count', (s) => s.zattrs.omero.channels.pop(), /omero\.channels: has 1 entries; the c axis has size 2/],
    ['duplicate label', (s) => (s.zattrs.omero.channels[1].label = 'GFP'), /omero\.channels\[1\]\.label: "GFP" is also the label of channel 0/],
    ['empty label', (s) => (s.zattrs.omero.channels[1].label = ''), /omero\.channels\[1\]\.label: is empty/],
    ['lower-case colour', (s) => (s.zattrs.omero.channels[1].color = 'ff00ff'), /omero\.channels\[1\]\.color: is "ff00ff"/],
    ['window.max not dtype max', (s) => (s.zattrs.omero.channels[0].window.max = 4095), /omero\.channels\[0\]\.window: min\/max are 0\/4095; expected the <u2 range 0\/65535/],
    ['rdefs defaultZ', (s) => (s.zattrs.omero.rdefs.defaultZ = 3), /omero\.rdefs: is .*expected \{"defaultT":0,"defaultZ":5,"model":"color"\}/],
    ['coefficient', (s) => (s.zattrs.omero.channels[0].coefficient = 2), /omero\.channels\[0\]\.coefficient: is 2; expected 1/],
    ['omero version', (s) => delete s.zattrs.omero.version, /omero\.version: is absent; expected "0\.4"/],
    // flamingo (§4)
    ['flamingo missing', (s) => delete s.zattrs.flamingo, /\.zattrs flamingo: is missing; a flamingo-viv session carries/],
    ['format', (s) => (s.zattrs.flamingo.format = 'other'), /flamingo\.format: is "other"; expected "flamingo-viv\.session"/],
    ['format_version newer', (s) => (s.zattrs.flamingo.format_version = 2), /flamingo\.format_version: This session was written by flamingo-viv 0\.1\.0 in session format version 2\. This flamingo-viv reads format versions up to 1/],
    ['format_version string', (s) => (s.zattrs.flamingo.format_version = '1'), /flamingo\.format_version: is "1"; expected a positive integer/],
    ['format_version 0', (s) => (s.zattrs.flamingo.format_version = 0), /flamingo\.format_version: is 0/],
    ['status', (s) => (s.zattrs.flamingo.status = 'done'), /flamingo\.status: is "done"; expected one of "acquiring", "interrupted", "complete"/],
    ['status_reason while acquiring', (s) => (s.zattrs.flamingo.status_reason = 'x'), /flamingo\.status_reason: is "x" while status is "acquiring"; expected null/],
    ['created after updated', (s) => (s.zattrs.flamingo.created = '2026-11-27T00:00:00.000Z'), /flamingo\.updated: \(2026-11-26T10:31:02\.004Z\) is before created/],
    ['timestamp without ms', (s) => (s.zattrs.flamingo.updated = '2026-11-26T10:31:02Z'), /flamingo\.updated: is "2026-11-26T10:31:02Z"; expected an ISO 8601 UTC time/],
    ['bounds min > max', (s) => (s.zattrs.flamingo.bounds_um = { min: [0, 5, 0], max: [1, 1, 1] }), /flamingo\.bounds_um: min y \(5\) is greater than max y \(1\)/],
    ['bounds Infinity', (s) => (s.zattrs.flamingo.bounds_um = { min: [Infinity, 0, 0], max: [1, 1, 1] }), /flamingo\.bounds_um\.min\[0\]: is not a finite number/],
    ['counters exceed received', (s) => (s.zattrs.flamingo.acquisition.frames_written = 3), /flamingo\.acquisition: frames_written \(3\) \+ frames_dropped \(0\) exceeds frames_received \(0\)/],
    ['counters after finalize', (s) => { s.zattrs.flamingo.status = 'complete'; s.zattrs.flamingo.acquisition.frames_received = 20; s.zattrs.flamingo.acquisition.frames_written = 18; }, /frames_received \(20\) ≠ frames_written \(18\) \+ frames_dropped \(0\) after finalize/],
    ['dropped_by_reason sum', (s) => { const a = s.zattrs.flamingo.acquisition; a.frames_received = 5; a.frames_dropped = 2; a.dropped_by_reason.queue_full = 1; }, /flamingo\.acquisition\.dropped_by_reason: sums to 1; expected frames_dropped \(2\)/],
    ['negative counter', (s) => (s.zattrs.flamingo.acquisition.frames_received = -1), /frames_received: is -1; expected an integer ≥ 0/],
    ['accumulation', (s) => (s.zattrs.flamingo.accumulation = 'sum'), /flamingo\.accumulation: is "sum"/],
    ['orientation', (s) => (s.zattrs.flamingo.acquisition.microscope.orientation.z = 'z'), /microscope\.orientation\.z: is "z"/],
    ['plan kind', (s) => (s.zattrs.flamingo.acquisition.plan.kind = 'stack'), /plan\.kind: is "stack"/],
    ['viewer opacity', (s) => (s.zattrs.flamingo.viewer.channel_settings[0].opacity = 2), /channel_settings\[0\]\.opacity: is 2; expected a finite number ≥ 0 and ≤ 1/],
    ['rotate order 3', (s) => s.zattrs.flamingo.transforms.push({ op: 'rotate', params: { axis: 'y', angle_deg: 1, center_um: null, order: 3 } }), /flamingo\.transforms\[0\]\.params\.order: is 3; expected 0 or 1/],
    ['channel index', (s) => (s.zattrs.flamingo.channels[1].index = 0), /flamingo\.channels\[1\]\.index: is 0; expected 1/],
    ['contrast lo ≥ hi', (s) => { s.zattrs.flamingo.channels[0].contrast = [5, 5]; }, /flamingo\.channels\[0\]\.contrast: is \[5, 5\]; expected \[lo, hi\] with lo < hi/],
    // consistency (§4.8)
    ['name ≠ label', (s) => (s.zattrs.flamingo.channels[0].name = 'EGFP'), /flamingo\.channels\[0\]\.name: is "EGFP" but omero\.channels\[0\]\.label is "GFP"/],
    ['color ≠ omero', (s) => (s.zattrs.flamingo.channels[1].color = 'FF0000'), /flamingo\.channels\[1\]\.color: is "FF0000" but omero\.channels\[1\]\.color is "FF00FF"/],
    ['contrast ≠ window', (s) => (s.zattrs.omero.channels[1].window.end = 3000), /flamingo\.channels\[1\]\.contrast: is \[10,2000\] but omero\.channels\[1\]\.window start\/end are \[10,3000\]/],
    ['visible ≠ active', (s) => (s.zattrs.omero.channels[0].active = false), /flamingo\.channels\[0\]\.visible: is true but omero\.channels\[0\]\.active is false/],
    ['session name ≠ multiscales name', (s) => (s.zattrs.multiscales[0].name = 'other'), /multiscales\[0\]\.name: is "other"; expected flamingo\.name "rules"/],
    ['omero name', (s) => (s.zattrs.omero.name = 'other'), /omero\.name: is "other"; expected flamingo\.name "rules"/],
    ['voxel size ≠ scale', (s) => (s.zattrs.flamingo.voxel_size_um.y = 0.6), /flamingo\.voxel_size_um\.y: is 0\.6 but the level-0 y scale is 0\.5/],
    ['world origin ≠ translation', (s) => (s.zattrs.flamingo.world_origin_um[2] = 0), /flamingo\.world_origin_um\[2\]: is 0 but the level-0 x translation is 35\.5/],
    ['z_origin stage without z translation', (s) => (s.zattrs.flamingo.z_origin = 'stage'), /flamingo\.world_origin_um\[0\]: is 100 but the level-0 z translation is 0/],
    ['selection z beyond', (s) => (s.zattrs.flamingo.viewer.selection.z = 10), /flamingo\.viewer\.selection\.z: is 10; the session has 10 planes/],
    ['plan channel beyond c', (s) => (s.zattrs.flamingo.acquisition.plan.channels = [0, 2]), /flamingo\.acquisition\.plan\.channels\[1\]: is 2; the c axis has size 2/],
  ];

  it.each(cases)('%s', (_name, mutate, expected) => {
    const s = valid();
    mutate(s);
    const r = validateSessionMetadata(s, { requireFlamingo: true });
    expect(r.valid).toBe(false);
    expect(r.errors.some((e) => expected.test(e)), `no error matches ${String(expected)}:\n${r.errors.join('\n')}`).toBe(true);
  });

  it('an unknown transform op is a warning, not an error (§4.6)', () => {
    const s = valid();
    s.zattrs.flamingo.transforms.push({ op: 'deconvolve', params: { iterations: 10 } });
    const r = validateSessionMetadata(s, { requireFlamingo: true });
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/flamingo\.transforms\[0\]\.op: is "deconvolve", an operation this version does not know/);
  });

  it('without the flamingo key and without requireFlamingo: a warning', () => {
    const s = valid();
    delete s.zattrs.flamingo;
    const r = validateSessionMetadata(s);
    expect(r.errors).toEqual([]);
    expect(r.format_version).toBeNull();
    expect(r.warnings.join('\n')).toMatch(/not a flamingo-viv session/);
  });

  it('a newer format version stops the checks after the version error', () => {
    const s = valid();
    s.zattrs.flamingo.format_version = 7;
    s.zattrs.flamingo.status = 'something new';
    const r = validateSessionMetadata(s);
    expect(r.format_version).toBe(7);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/format version 7.*up to 1\. Update flamingo-viv/);
  });

  it('unknown extra flamingo fields are allowed (newer minor writers)', () => {
    const s = valid();
    s.zattrs.flamingo.future_field = { anything: 1 };
    expect(validateSessionMetadata(s).errors).toEqual([]);
  });

  it('reports several problems at once', () => {
    const s = valid();
    s.zattrs.omero.channels[0].color = '#00FF00';
    s.zarrays[0].dtype = '<u1';
    s.zattrs.multiscales[0].axes[3].unit = 'um';
    expect(validateSessionMetadata(s).errors.length).toBeGreaterThanOrEqual(3);
  });

  it('a non-object .zattrs is an error, not a crash', () => {
    for (const zattrs of [null, [], 'x', 3]) {
      const r = validateSessionMetadata({ zattrs, zarrays: [] });
      expect(r.valid).toBe(false);
      expect(r.errors[0]).toMatch(/^\.zattrs: strict_image\.schema: \(root\): is/);
    }
  });
});
