import { describe, expect, it } from 'vitest';
import { initialFlamingo, zarrayBytes, zattrsBytes, zattrsJson } from '../../../src/session/metadata/build.ts';
import { isMetadataError } from '../../../src/session/metadata/errors.ts';
import type { MetadataErrorCode } from '../../../src/session/metadata/errors.ts';
import { parseFlamingo } from '../../../src/session/metadata/flamingo.ts';
import { sessionFromMetadata } from '../../../src/session/metadata/from-metadata.ts';
import { sessionLayout } from '../../../src/session/metadata/layout.ts';
import { parseDtype, parseZarray, parseZattrs } from '../../../src/session/metadata/parse.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const layout = sessionLayout({
  name: 'parse me', shape: [2, 5, 600, 70], voxel_size_um: { z: 2, y: 0.5, x: 0.25 }, world_origin_um: [10, -20, 35.5],
  channels: [{ name: 'GFP', color: '00FF00', contrast: [0, 4095] }, { name: 'mCherry', color: 'FF00FF', visible: false }],
});
const flamingo = initialFlamingo(layout, {
  app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z',
  microscope: { name: 'sim', connection: 'simulator', address: null, orientation: null },
  plan: { kind: 'live', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0, 1], timepoints: null, interval_s: null },
});

function thrown(f: () => unknown): { code: MetadataErrorCode; message: string; path: string } {
  try {
    f();
  } catch (e) {
    if (isMetadataError(e)) return { code: e.code, message: e.message, path: e.path };
    throw e;
  }
  throw new Error('did not throw');
}

describe('parseZarray', () => {
  it('reads what the builder writes', () => {
    const z = parseZarray(zarrayBytes(layout, 1), '1/.zarray');
    expect(z).toEqual({
      zarr_format: 2, shape: [2, 5, 300, 35], chunks: [1, 64, 64, 64],
      dtype: { dtype: '<u2', kind: 'uint', bytes: 2, littleEndian: true },
      compressor: { id: 'zstd', level: 3 }, filters: null, fill_value: 0, order: 'C', dimension_separator: '/',
    });
  });

  it('accepts foreign v2 arrays (§7.2): no separator, big-endian, blosc, NaN fill', () => {
    const z = parseZarray({ zarr_format: 2, shape: [10, 10], chunks: [5, 5], dtype: '>f4', compressor: { id: 'blosc', cname: 'lz4', clevel: 5, shuffle: 1 }, fill_value: 'NaN', order: 'C', filters: [] });
    expect(z.dimension_separator).toBe('.');
    expect(z.dtype).toEqual({ dtype: '>f4', kind: 'float', bytes: 4, littleEndian: false });
    expect(Number.isNaN(z.fill_value)).toBe(true);
    expect(z.filters).toBeNull();
    expect(parseDtype('|i1').kind).toBe('int');
  });

  const base = (): Json => JSON.parse(new TextDecoder().decode(zarrayBytes(layout, 0)));
  const cases: [string, () => unknown, MetadataErrorCode, RegExp][] = [
    ['empty file', () => new Uint8Array(0), 'bad-json', /0\/\.zarray is empty/],
    ['bad JSON', () => '{"zarr_format": 2,', 'bad-json', /0\/\.zarray is not valid JSON/],
    ['invalid UTF-8', () => new Uint8Array([0x7b, 0xff, 0x7d]), 'bad-json', /not valid UTF-8/],
    ['an array', () => '[1,2]', 'bad-json', /0\/\.zarray is \[1,2\]; expected a JSON object/],
    ['v3 metadata', () => ({ zarr_format: 3, node_type: 'array', data_type: 'uint16' }), 'unsupported-version', /Zarr v3 metadata/],
    ['zarr_format 1', () => ({ ...base(), zarr_format: 1 }), 'unsupported-version', /zarr_format is 1; expected 2/],
    ['missing shape', () => { const b = base(); delete b.shape; return b; }, 'missing-key', /0\/\.zarray shape is missing/],
    ['shape string', () => ({ ...base(), shape: '2,5' }), 'wrong-type', /shape is "2,5"; expected an array of integers/],
    ['negative shape', () => ({ ...base(), shape: [2, -5, 600, 70] }), 'bad-value', /shape\[1\] is -5; expected 0 to/],
    ['absurd shape', () => ({ ...base(), shape: [2, 5, 1e15, 70] }), 'bad-value', /shape\[2\] is 1000000000000000/],
    ['fractional shape', () => ({ ...base(), shape: [2, 5.5, 600, 70] }), 'wrong-type', /shape\[1\] is 5\.5; expected an integer/],
    ['chunks rank', () => ({ ...base(), chunks: [64, 64, 64] }), 'bad-value', /chunks has 3 entries but shape has 4/],
    ['zero chunk', () => ({ ...base(), chunks: [1, 0, 64, 64] }), 'bad-value', /chunks\[1\] is 0/],
    ['huge chunk', () => ({ ...base(), chunks: [1, 4096, 4096, 4096] }), 'bad-value', /elements per chunk/],
    ['unknown dtype', () => ({ ...base(), dtype: '<c8' }), 'unknown-dtype', /dtype is "<c8", a dtype this reader does not support/],
    ['64-bit int', () => ({ ...base(), dtype: '<i8' }), 'unknown-dtype', /"<i8"/],
    ['structured dtype', () => ({ ...base(), dtype: [['a', '<u2']] }), 'unknown-dtype', /dtype is/],
    ['|u2', () => ({ ...base(), dtype: '|u2' }), 'unknown-dtype', /"\|u2"/],
    ['unknown codec', () => ({ ...base(), compressor: { id: 'jpeg2k' } }), 'unknown-codec', /compressor\.id is "jpeg2k", a codec this reader cannot decode/],
    ['codec without id', () => ({ ...base(), compressor: { level: 1 } }), 'missing-key', /compressor\.id/],
    ['unknown filter', () => ({ ...base(), filters: [{ id: 'delta', dtype: '<u2' }] }), 'unknown-codec', /filters\[0\]\.id is "delta"/],
    ['missing compressor', () => { const b = base(); delete b.compressor; return b; }, 'missing-key', /compressor is missing/],
    ['fill string', () => ({ ...base(), fill_value: 'zero' }), 'wrong-type', /fill_value is "zero"/],
    ['NaN fill for ints', () => ({ ...base(), fill_value: 'NaN' }), 'wrong-type', /fill_value is "NaN"/],
    ['order X', () => ({ ...base(), order: 'X' }), 'bad-value', /order is "X"/],
    ['separator -', () => ({ ...base(), dimension_separator: '-' }), 'bad-value', /dimension_separator is "-"/],
  ];
  it.each(cases)('%s', (_n, input, code, message) => {
    const e = thrown(() => parseZarray(input(), '0/.zarray'));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith('0/.zarray')).toBe(true);
  });
});

describe('parseZattrs', () => {
  it('reads what the builder writes', () => {
    const img = parseZattrs(zattrsBytes(layout, flamingo));
    expect(img.name).toBe('parse me');
    expect(img.axes.map((a) => a.name)).toEqual(['c', 'z', 'y', 'x']);
    expect(img.levels).toEqual(layout.levels.map((l) => ({ path: l.path, scale: l.scale, translation: l.translation })));
    expect(img.multiscaleTransform).toBeNull();
    expect(img.type).toBe('mean');
    expect(img.omero).toEqual({
      name: 'parse me', defaultZ: 2, defaultT: 0,
      channels: [
        { label: 'GFP', color: '00FF00', active: true, window: { min: 0, max: 65535, start: 0, end: 4095 } },
        { label: 'mCherry', color: 'FF00FF', active: false, window: { min: 0, max: 65535, start: 0, end: 65535 } },
      ],
    });
    expect(img.warnings).toEqual([]);
    expect(parseFlamingo(img.flamingo).flamingo).toEqual(zattrsJson(layout, flamingo).flamingo);
  });

  it('is lenient where §7.2 says so: missing version, # colours, no omero window, translation first, no translation', () => {
    const a: Json = structuredClone(zattrsJson(layout, flamingo));
    delete a.multiscales[0].version;
    a.omero.channels[0].color = '#00ff00';
    delete a.omero.channels[1].window;
    a.multiscales[0].datasets[0].coordinateTransformations.reverse();
    a.multiscales[0].datasets[1].coordinateTransformations.pop();
    const img = parseZattrs(a);
    expect(img.omero?.channels[0]?.color).toBe('00FF00');
    expect(img.omero?.channels[1]?.window).toBeNull();
    expect(img.levels[0]?.scale).toEqual([1, 2, 0.5, 0.25]);
    expect(img.levels[1]?.translation).toEqual([0, 0, 0, 0]);
    expect(img.warnings.join('\n')).toMatch(/version: is missing; read as "0\.4"/);
    expect(img.warnings.join('\n')).toMatch(/has a "#"; read as 00FF00/);
    expect(img.warnings.join('\n')).toMatch(/translation comes before the scale/);
  });

  const base = (): Json => structuredClone(zattrsJson(layout, flamingo));
  const T = (a: Json, l = 0): Json => a.multiscales[0].datasets[l].coordinateTransformations;
  const cases: [string, (a: Json) => unknown, MetadataErrorCode, RegExp][] = [
    ['no multiscales', (a) => { delete a.multiscales; return a; }, 'missing-key', /\.zattrs multiscales is missing; this is not an OME-NGFF image/],
    ['0.5 wrapper in v2', () => ({ ome: { version: '0.5', multiscales: [] } }), 'unsupported-version', /\.zattrs ome is an OME-NGFF 0\.5 wrapper key/],
    ['version 0.5 in v2', (a) => { a.multiscales[0].version = '0.5'; return a; }, 'unsupported-version', /version is "0\.5"; 0\.5 metadata in a Zarr v2 tree is not valid/],
    ['version 0.3', (a) => { a.multiscales[0].version = '0.3'; return a; }, 'unsupported-version', /version is "0\.3"/],
    ['multiscales object', (a) => { a.multiscales = {}; return a; }, 'wrong-type', /multiscales is \{\}; expected an array/],
    ['multiscales empty', (a) => { a.multiscales = []; return a; }, 'bad-value', /multiscales is empty/],
    ['axes missing', (a) => { delete a.multiscales[0].axes; return a; }, 'missing-key', /multiscales\[0\]\.axes is missing/],
    ['one axis', (a) => { a.multiscales[0].axes = [{ name: 'x' }]; return a; }, 'bad-value', /has 1 axes; expected 2 to 5/],
    ['duplicate axis', (a) => { a.multiscales[0].axes[1].name = 'y'; return a; }, 'bad-value', /axes\[2\]\.name "y" names two axes/],
    ['axis name number', (a) => { a.multiscales[0].axes[1].name = 3; return a; }, 'wrong-type', /axes\[1\]\.name is 3/],
    ['no datasets', (a) => { a.multiscales[0].datasets = []; return a; }, 'bad-value', /datasets is empty/],
    ['path escapes', (a) => { a.multiscales[0].datasets[0].path = '../x'; return a; }, 'bad-value', /datasets\[0\]\.path is "\.\.\/x"/],
    ['transforms missing', (a) => { delete a.multiscales[0].datasets[0].coordinateTransformations; return a; }, 'missing-key', /coordinateTransformations is missing/],
    ['NaN scale (as null)', (a) => { T(a)[0].scale[1] = null; return a; }, 'wrong-type', /scale\[1\] is null; expected a finite number/],
    ['zero scale', (a) => { T(a)[0].scale[2] = 0; return a; }, 'bad-value', /scale\[2\] is 0; a scale must be > 0/],
    ['absurd scale', (a) => { T(a)[0].scale[2] = 1e300; return a; }, 'bad-value', /scale\[2\] is 1e\+300/],
    ['absurd translation', (a) => { T(a)[1].translation[2] = -1e200; return a; }, 'bad-value', /translation\[2\] is -1e\+200/],
    ['scale length', (a) => { T(a)[0].scale.pop(); return a; }, 'bad-value', /scale has 3 entries; expected 4/],
    ['two scales', (a) => { T(a).push({ type: 'scale', scale: [1, 1, 1, 1] }); return a; }, 'bad-value', /second scale/],
    ['no scale', (a) => { T(a).shift(); return a; }, 'missing-key', /has no scale transformation/],
    ['identity', (a) => { T(a)[1] = { type: 'identity' }; return a; }, 'bad-value', /coordinateTransformations\[1\]\.type is "identity"/],
    ['bad JSON', () => '{"multiscales": [}', 'bad-json', /\.zattrs is not valid JSON/],
  ];
  it.each(cases)('%s', (_n, make, code, message) => {
    const e = thrown(() => parseZattrs(make(base())));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
});

describe('parseFlamingo (version gate, §4.9)', () => {
  const f = (): Json => structuredClone(zattrsJson(layout, flamingo).flamingo);
  it('refuses a newer version, naming both versions and the writer', () => {
    const e = thrown(() => parseFlamingo({ ...f(), format_version: 2, written_by: { app: 'flamingo-viv', app_version: '0.9.0', written_at: 'x' } }, { appVersion: '0.4.1' }));
    expect(e.code).toBe('newer-format');
    expect(e.message).toBe('This session was written by flamingo-viv 0.9.0 in session format version 2. This flamingo-viv (0.4.1) reads format versions up to 1. Update flamingo-viv to open it.');
  });
  it('normalises "1" and 1.0; refuses missing, 0, 1.5, "one"', () => {
    expect(parseFlamingo({ ...f(), format_version: '1' }).flamingo.format_version).toBe(1);
    expect(parseFlamingo({ ...f(), format_version: 1.0 }).flamingo.format_version).toBe(1);
    for (const v of [undefined, 0, 1.5, 'one', null]) {
      const x = f();
      if (v === undefined) delete x.format_version;
      else x.format_version = v;
      expect(thrown(() => parseFlamingo(x)).code).toBe('bad-value');
    }
  });
  it('refuses a foreign format and wrong types; keeps unknown fields', () => {
    expect(thrown(() => parseFlamingo({ ...f(), format: 'other' })).code).toBe('not-a-session');
    expect(thrown(() => parseFlamingo([])).code).toBe('wrong-type');
    const e = thrown(() => parseFlamingo({ ...f(), channels: 'GFP' }));
    expect(e).toMatchObject({ code: 'wrong-type', path: '.zattrs flamingo.channels' });
    const m = thrown(() => { const x = f(); delete x.acquisition.frames_received; return parseFlamingo(x); });
    expect(m).toMatchObject({ code: 'missing-key', path: '.zattrs flamingo.acquisition.frames_received' });
    expect(thrown(() => parseFlamingo({ ...f(), status: 'paused' })).message).toMatch(/flamingo\.status: is "paused"/);
    const kept = parseFlamingo({ ...f(), future: [1, 2] });
    expect(kept.flamingo.future).toEqual([1, 2]);
  });
});

describe('sessionFromMetadata (round trip)', () => {
  it('bytes written by the builders give back the same layout and flamingo state', () => {
    const f = { ...flamingo, status: 'complete' as const, transforms: [{ op: 'shift', params: { offset_um: [0, 1, 2], order: 0 } }] };
    const back = sessionFromMetadata(zattrsBytes(layout, f), zarrayBytes(layout, 0));
    expect(back.layout).toEqual(layout);
    expect(back.flamingo).toEqual(zattrsJson(layout, f).flamingo);
    expect(back.warnings).toEqual([]);
  });

  it('TCZYX, blosc, uint8, max, z_origin stage', () => {
    const tl = sessionLayout({
      name: 'tl', dtype: '|u1', compressor: { id: 'blosc', cname: 'zstd', clevel: 5, shuffle: 2, blocksize: 0 }, shape: [3, 1, 4, 700, 20],
      voxel_size_um: { z: 3, y: 0.3, x: 0.3 }, world_origin_um: [1000, -5, 7], z_origin: 'stage', frame_interval_s: 12.5, reduction: 'max', levels: 2,
      channels: [{ name: 'a', color: 'ABCDEF', contrast: [1, 200] }],
    });
    const f = initialFlamingo(tl, { app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z', microscope: flamingo.acquisition.microscope, plan: { ...flamingo.acquisition.plan, channels: [0] } });
    const back = sessionFromMetadata(zattrsBytes(tl, f), zarrayBytes(tl, 0));
    expect(back.layout).toEqual(tl);
  });

  it('refuses foreign images and inconsistent geometry', () => {
    const a: Json = structuredClone(zattrsJson(layout, flamingo));
    const noF = structuredClone(a);
    delete noF.flamingo;
    expect(thrown(() => sessionFromMetadata(noF, zarrayBytes(layout, 0))).code).toBe('not-a-session');
    const shifted = structuredClone(a);
    shifted.multiscales[0].datasets[1].coordinateTransformations[1].translation[3] += 1;
    expect(thrown(() => sessionFromMetadata(shifted, zarrayBytes(layout, 0))).message).toMatch(/datasets\[1\] translation\[3\] is .*; the session geometry gives/);
    const newer = structuredClone(a);
    newer.flamingo.format_version = 3;
    expect(thrown(() => sessionFromMetadata(newer, zarrayBytes(layout, 0))).code).toBe('newer-format');
  });
});
