/**
 * The corpus of broken inputs for the readers (issue 3 §3): each case builds one small folder or
 * file under a directory and says what the reader must answer: an error (code and message) or,
 * for a bad chunk, a warning naming the key while the rest reads. Generated, not committed, so
 * every byte is visible here.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Blosc from 'numcodecs/blosc';
import Zstd from 'numcodecs/zstd';
import type { ReadErrorCode } from '../../../../src/session/read/description.ts';
import { makeTiff } from '../tiff-writer.ts';

export type Expectation = { error: ReadErrorCode; message: RegExp } | { warning: RegExp; key: string };

export interface CorpusCase {
  name: string;
  /** Writes the case at `target` (a folder or a file path). */
  build(target: string): Promise<void> | void;
  expect: Expectation;
}

type Json = Record<string, unknown>;
const SHAPE = [2, 3, 10, 12];
const CHUNKS = [1, 2, 8, 8];

function value(c: number, z: number, y: number, x: number): number {
  return c * 1000 + z * 7 + y * 3 + x;
}

/** The raw little-endian bytes of chunk (c, zc, yc, xc) of the base image. */
function rawChunk(ci: number[]): Uint8Array {
  const out = new Uint16Array(CHUNKS.reduce((a, b) => a * b, 1));
  let k = 0;
  for (let z = 0; z < CHUNKS[1]!; z++)
    for (let y = 0; y < CHUNKS[2]!; y++)
      for (let x = 0; x < CHUNKS[3]!; x++) {
        const Z = ci[1]! * CHUNKS[1]! + z;
        const Y = ci[2]! * CHUNKS[2]! + y;
        const X = ci[3]! * CHUNKS[3]! + x;
        out[k++] = Z < SHAPE[1]! && Y < SHAPE[2]! && X < SHAPE[3]! ? value(ci[0]!, Z, Y, X) : 0;
      }
  return new Uint8Array(out.buffer);
}

export function baseZattrs(): Json {
  return {
    multiscales: [
      {
        version: '0.4',
        name: 'corpus',
        axes: [
          { name: 'c', type: 'channel' },
          { name: 'z', type: 'space', unit: 'micrometer' },
          { name: 'y', type: 'space', unit: 'micrometer' },
          { name: 'x', type: 'space', unit: 'micrometer' },
        ],
        datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, 2, 0.5, 0.5] }, { type: 'translation', translation: [0, 0, 0, 0] }] }],
      },
    ],
    omero: { channels: [{ label: 'a', color: '00FF00', active: true, window: { min: 0, max: 65535, start: 0, end: 4000 } }, { label: 'b', color: 'FF00FF', active: true, window: { min: 0, max: 65535, start: 0, end: 4000 } }] },
  };
}

export function baseZarray(): Json {
  return { zarr_format: 2, shape: SHAPE, chunks: CHUNKS, dtype: '<u2', compressor: { id: 'zstd', level: 3 }, fill_value: 0, order: 'C', filters: null, dimension_separator: '/' };
}

function put(file: string, content: Uint8Array | string | Json | unknown[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content instanceof Uint8Array || typeof content === 'string' ? content : JSON.stringify(content));
}

interface BaseMods {
  zattrs?: Json | string;
  zarray?: Json | string;
  /** Replaces chunk files (relative keys like `0/0/0/0/0`); `null` removes one. */
  chunks?: Record<string, Uint8Array | null>;
  omitZarray?: boolean;
  extra?: Record<string, Uint8Array | string | Json>;
  /** Encodes the base chunks (default: zstd level 3). */
  encode?: (raw: Uint8Array) => Promise<Uint8Array> | Uint8Array;
}

/** A small valid OME-NGFF 0.4 image (zstd), changed by `mods`. */
export async function writeBase(dir: string, mods: BaseMods = {}): Promise<void> {
  put(path.join(dir, '.zgroup'), { zarr_format: 2 });
  put(path.join(dir, '.zattrs'), mods.zattrs ?? baseZattrs());
  if (!mods.omitZarray) put(path.join(dir, '0/.zarray'), mods.zarray ?? baseZarray());
  const zstd = Zstd.fromConfig({ id: 'zstd', level: 3 });
  const encode = mods.encode ?? ((raw: Uint8Array) => zstd.encode(raw));
  for (let c = 0; c < 2; c++)
    for (let z = 0; z < 2; z++)
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 2; x++) {
          const key = `0/${c}/${z}/${y}/${x}`;
          const replaced = mods.chunks?.[key];
          if (replaced === null) continue;
          put(path.join(dir, key), replaced ?? (await encode(rawChunk([c, z, y, x]))));
        }
  for (const [k, v] of Object.entries(mods.extra ?? {})) put(path.join(dir, k), v);
}

const edit = (f: (a: Json) => void): Json => {
  const a = baseZattrs();
  f(a);
  return a;
};
const ms0 = (a: Json): Json => (a.multiscales as Json[])[0]!;
const ds0 = (a: Json): Json => (ms0(a).datasets as Json[])[0]!;
const scaleOf = (a: Json): Json => (ds0(a).coordinateTransformations as Json[])[0]!;
const zarray = (f: (z: Json) => void): Json => {
  const z = baseZarray();
  f(z);
  return z;
};

function flamingoAttrs(f: (fl: Json) => void): Json {
  const a = baseZattrs();
  const fl: Json = { format: 'flamingo-viv.session', format_version: 1, written_by: { app: 'flamingo-viv', app_version: '9.9.9', written_at: '2031-01-01T00:00:00.000Z' }, name: 'corpus' };
  f(fl);
  a.flamingo = fl;
  return a;
}

function npy(header: string, data: Uint8Array, version = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

const goodTiff = (): Uint8Array => makeTiff([0, 1].map((k) => ({ width: 6, height: 4, data: new Uint16Array(24).fill(k) })));

const V3_GROUP = { zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [{ axes: [{ name: 'y', type: 'space' }, { name: 'x', type: 'space' }], datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, 1] }] }] }] } } };
const v3Array = (f: (a: Json) => void = () => {}): Json => {
  const a: Json = { zarr_format: 3, node_type: 'array', shape: [4, 4], data_type: 'uint16', chunk_grid: { name: 'regular', configuration: { chunk_shape: [4, 4] } }, chunk_key_encoding: { name: 'default' }, fill_value: 0, codecs: [{ name: 'bytes', configuration: { endian: 'little' } }] };
  f(a);
  return a;
};

const LEGACY_META = { session_name: 'x', num_channels: 2, display_voxel_size_um: [50, 50, 50], chamber_origin_um: [0, 0, 0] };

export const CORPUS: CorpusCase[] = [
  // ---- containers ----
  { name: 'empty-folder.zarr', build: (d) => mkdirSync(d, { recursive: true }), expect: { error: 'not-found', message: /is empty or missing/ } },
  { name: 'random-files.zarr', build: (d) => put(path.join(d, 'notes.txt'), 'hello'), expect: { error: 'not-recognised', message: /no \.zgroup, \.zattrs or zarr\.json at its root \(found notes\.txt\)/ } },
  { name: 'zattrs-is-a-folder.zarr', build: (d) => (put(path.join(d, '.zgroup'), { zarr_format: 2 }), mkdirSync(path.join(d, '.zattrs'))), expect: { error: 'not-recognised', message: /is a Zarr v2 group without \.zattrs/ } },
  { name: 'bare-array.zarr', build: (d) => (put(path.join(d, '.zgroup'), { zarr_format: 2 }), put(path.join(d, '.zarray'), baseZarray())), expect: { error: 'not-recognised', message: /bare Zarr v2 array/ } },
  { name: 'zgroup-format-3.zarr', build: (d) => writeBase(d, { extra: { '.zgroup': { zarr_format: 3 } } }), expect: { error: 'bad-metadata', message: /\.zgroup zarr_format is 3; expected 2/ } },
  { name: 'group-without-image.zarr', build: (d) => writeBase(d, { zattrs: { hello: 1 } }), expect: { error: 'not-recognised', message: /none of "flamingo", "session_metadata" or "multiscales" \(keys found: hello\)/ } },
  // ---- .zattrs ----
  { name: 'zattrs-bad-json.zarr', build: (d) => writeBase(d, { zattrs: '{"multiscales": [' }), expect: { error: 'bad-json', message: /^\.zattrs is not valid JSON/ } },
  { name: 'zattrs-empty.zarr', build: (d) => writeBase(d, { zattrs: '' }), expect: { error: 'bad-json', message: /^\.zattrs is empty; expected JSON/ } },
  { name: 'zattrs-is-array.zarr', build: (d) => writeBase(d, { zattrs: '[1, 2, 3]' }), expect: { error: 'bad-json', message: /^\.zattrs is an array; expected a JSON object/ } },
  { name: 'zattrs-not-utf8.zarr', build: (d) => writeBase(d, { extra: { '.zattrs': new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) } }), expect: { error: 'bad-json', message: /\.zattrs is not valid UTF-8/ } },
  { name: 'ome-key-in-v2.zarr', build: (d) => writeBase(d, { zattrs: { ome: { version: '0.5', multiscales: [] } } }), expect: { error: 'unsupported', message: /"ome" key \(OME-NGFF 0\.5 metadata\) in a Zarr v2 group/ } },
  { name: 'version-0.5-in-v2.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (ms0(a).version = '0.5')) }), expect: { error: 'unsupported', message: /multiscales\[0\]\.version is "0\.5"; 0\.5 metadata in a Zarr v2 tree is not valid/ } },
  { name: 'version-0.3.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (ms0(a).version = '0.3')) }), expect: { error: 'unsupported', message: /version is "0\.3"; this reader reads OME-NGFF 0\.4/ } },
  { name: 'multiscales-empty.zarr', build: (d) => writeBase(d, { zattrs: { multiscales: [] } }), expect: { error: 'bad-metadata', message: /\.zattrs multiscales is empty; expected one image/ } },
  { name: 'nan-scale-token.zarr', build: (d) => writeBase(d, { zattrs: JSON.stringify(baseZattrs()).replace('"scale":[1,2,0.5,0.5]', '"scale":[1,NaN,0.5,0.5]') }), expect: { error: 'bad-metadata', message: /coordinateTransformations\[0\]\.scale\[1\] is NaN; a scale must be > 0/ } },
  { name: 'nan-scale-string.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (scaleOf(a).scale = [1, 'NaN', 0.5, 0.5])) }), expect: { error: 'bad-metadata', message: /scale\[1\] is "NaN"; expected a finite number/ } },
  { name: 'infinite-translation.zarr', build: (d) => writeBase(d, { zattrs: JSON.stringify(baseZattrs()).replace('"translation":[0,0,0,0]', '"translation":[0,0,-Infinity,0]') }), expect: { error: 'bad-metadata', message: /translation\[2\] is -Infinity; a translation must be finite/ } },
  { name: 'zero-scale.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (scaleOf(a).scale = [1, 0, 0.5, 0.5])) }), expect: { error: 'bad-metadata', message: /scale\[1\] is 0; a scale must be > 0/ } },
  { name: 'scale-wrong-length.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (scaleOf(a).scale = [2, 0.5, 0.5])) }), expect: { error: 'bad-metadata', message: /scale has 3 entries; expected 4/ } },
  { name: 'axes-vs-ndim.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => { (ms0(a).axes as unknown[]).shift(); scaleOf(a).scale = [2, 0.5, 0.5]; ((ds0(a).coordinateTransformations as Json[])[1]!).translation = [0, 0, 0]; }) }), expect: { error: 'bad-metadata', message: /Level "0" has 4 dimensions .* but \.zattrs declares 3 axes \(z, y, x\)/ } },
  { name: 'duplicate-axes.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => ((ms0(a).axes as Json[])[1]!.name = 'y')) }), expect: { error: 'bad-metadata', message: /axes\[2\]\.name "y" names two axes/ } },
  { name: 'one-axis.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (ms0(a).axes = [{ name: 'x' }])) }), expect: { error: 'bad-metadata', message: /axes has 1 axes; expected 2 to 5/ } },
  { name: 'dataset-path-escapes.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (ds0(a).path = '../elsewhere')) }), expect: { error: 'bad-metadata', message: /datasets\[0\]\.path is "\.\.\/elsewhere"; expected a relative path/ } },
  { name: 'unknown-transform.zarr', build: (d) => writeBase(d, { zattrs: edit((a) => (scaleOf(a).type = 'rotation')) }), expect: { error: 'bad-metadata', message: /type is "rotation"; expected "scale" or "translation"/ } },
  // ---- .zarray ----
  { name: 'missing-zarray.zarr', build: (d) => writeBase(d, { omitZarray: true }), expect: { error: 'not-found', message: /0\/\.zarray is missing in .*not a Zarr v2 array/ } },
  { name: 'zarray-bad-json.zarr', build: (d) => writeBase(d, { zarray: '{"zarr_format": 2, "shape": [2,' }), expect: { error: 'bad-json', message: /^0\/\.zarray is not valid JSON/ } },
  { name: 'v3-metadata-in-v2-tree.zarr', build: (d) => writeBase(d, { omitZarray: true, extra: { '0/zarr.json': v3Array() } }), expect: { error: 'bad-metadata', message: /0\/\.zarray is missing and 0\/zarr\.json \(Zarr v3 metadata\) is there instead/ } },
  { name: 'unknown-codec.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.compressor = { id: 'snappy' })) }), expect: { error: 'unknown-codec', message: /0\/\.zarray compressor\.id is "snappy", a codec this reader cannot decode/ } },
  { name: 'filters.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.filters = [{ id: 'delta', dtype: '<u2' }])) }), expect: { error: 'unknown-codec', message: /filters\[0\]\.id is "delta", a codec this reader cannot decode/ } },
  { name: 'known-codec-as-filter.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.filters = [{ id: 'zlib', level: 1 }])) }), expect: { error: 'unknown-codec', message: /0\/\.zarray has filters \(zlib\), which this reader does not apply/ } },
  { name: 'unknown-dtype.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.dtype = '<c8')) }), expect: { error: 'unknown-dtype', message: /dtype is "<c8", a dtype this reader does not support/ } },
  { name: 'int64-dtype.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.dtype = '<i8')) }), expect: { error: 'unknown-dtype', message: /dtype is "<i8"/ } },
  { name: 'dtype-not-string.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.dtype = 42)) }), expect: { error: 'bad-metadata', message: /dtype is 42; expected a dtype string/ } },
  { name: 'absurd-shape.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.shape = [1e30, 3, 10, 12])) }), expect: { error: 'bad-metadata', message: /0\/\.zarray shape\[0\] is 1e\+30; expected 0 to 1099511627776/ } },
  { name: 'shape-overflow.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.shape = [2 ** 40, 2 ** 40, 10, 12])) }), expect: { error: 'bad-metadata', message: /has more elements than can be addressed/ } },
  { name: 'negative-shape.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.shape = [2, -3, 10, 12])) }), expect: { error: 'bad-metadata', message: /shape\[1\] is -3; expected 0 to/ } },
  { name: 'negative-chunks.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.chunks = [1, -64, 8, 8])) }), expect: { error: 'bad-metadata', message: /chunks\[1\] is -64; expected 1 to/ } },
  { name: 'zero-chunks.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.chunks = [1, 0, 8, 8])) }), expect: { error: 'bad-metadata', message: /chunks\[1\] is 0/ } },
  { name: 'huge-chunks.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.chunks = [1, 100000, 100000, 100000])) }), expect: { error: 'bad-metadata', message: /holds 1000000000000000 elements per chunk; at most 2147483648 are decoded/ } },
  { name: 'chunks-rank-mismatch.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.chunks = [2, 8, 8])) }), expect: { error: 'bad-metadata', message: /0\/\.zarray chunks has 3 entries but shape has 4/ } },
  { name: 'bad-fill-value.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.fill_value = 'abc')) }), expect: { error: 'bad-metadata', message: /fill_value is "abc"; expected a number/ } },
  { name: 'bad-separator.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.dimension_separator = '\\')) }), expect: { error: 'bad-metadata', message: /dimension_separator is "\\\\"; expected "\." or "\/"/ } },
  { name: 'zarr-format-3-in-zarray.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.zarr_format = 3)) }), expect: { error: 'unsupported', message: /0\/\.zarray zarr_format is 3; expected 2/ } },
  // ---- chunks (warnings; the rest reads) ----
  { name: 'truncated-chunk.zarr', build: async (d) => writeBase(d, { chunks: { '0/1/0/1/1': (await Zstd.fromConfig({ id: 'zstd' }).encode(rawChunk([1, 0, 1, 1]))).slice(0, 12) } }), expect: { warning: /0\/1\/0\/1\/1|zstd chunk/, key: '0/1/0/1/1' } },
  { name: 'empty-chunk.zarr', build: (d) => writeBase(d, { chunks: { '0/0/1/0/0': new Uint8Array(0) } }), expect: { warning: /chunk file is empty/, key: '0/0/1/0/0' } },
  { name: 'garbage-chunk.zarr', build: (d) => writeBase(d, { chunks: { '0/0/0/0/1': new TextEncoder().encode('not a zstd frame at all') } }), expect: { warning: /does not start with the zstd magic number/, key: '0/0/0/0/1' } },
  { name: 'oversized-chunk.zarr', build: async (d) => writeBase(d, { chunks: { '0/0/0/0/0': await Zstd.fromConfig({ id: 'zstd' }).encode(new Uint8Array(2 * 2 * 8 * 8 * 4)) } }), expect: { warning: /declares 1024 decoded bytes; expected 256/, key: '0/0/0/0/0' } },
  { name: 'raw-chunk-wrong-size.zarr', build: (d) => writeBase(d, { zarray: zarray((z) => (z.compressor = null)), encode: (raw) => raw, chunks: { '0/0/0/0/0': new Uint8Array(100) } }), expect: { warning: /uncompressed chunk is 100 bytes; expected 256/, key: '0/0/0/0/0' } },
  { name: 'truncated-blosc-chunk.zarr', build: async (d) => writeBase(d, { zarray: zarray((z) => (z.compressor = { id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 1, blocksize: 0 })), encode: (raw) => Blosc.fromConfig({ id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 1 }).encode(raw), chunks: { '0/0/0/0/0': (await Blosc.fromConfig({ id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 1 }).encode(rawChunk([0, 0, 0, 0]))).slice(0, 20) } }), expect: { warning: /blosc chunk is 20 bytes but its header says/, key: '0/0/0/0/0' } },
  // ---- flamingo key ----
  { name: 'format-version-future.zarr', build: (d) => writeBase(d, { zattrs: flamingoAttrs((f) => (f.format_version = 2)) }), expect: { error: 'newer-format', message: /written by flamingo-viv 9\.9\.9 in session format version 2\. This flamingo-viv reads format versions up to 1\./ } },
  { name: 'format-version-zero.zarr', build: (d) => writeBase(d, { zattrs: flamingoAttrs((f) => (f.format_version = 0)) }), expect: { error: 'bad-metadata', message: /format_version is 0; expected a positive integer/ } },
  { name: 'format-version-missing.zarr', build: (d) => writeBase(d, { zattrs: flamingoAttrs((f) => delete f.format_version) }), expect: { error: 'bad-metadata', message: /format_version is absent; expected a positive integer/ } },
  { name: 'format-version-fraction.zarr', build: (d) => writeBase(d, { zattrs: flamingoAttrs((f) => (f.format_version = 1.5)) }), expect: { error: 'bad-metadata', message: /format_version is 1\.5/ } },
  { name: 'flamingo-incomplete.zarr', build: (d) => writeBase(d, { zattrs: flamingoAttrs(() => {}) }), expect: { error: 'bad-metadata', message: /flamingo/ } },
  // ---- py2flamingo ----
  { name: 'overview-2d.zarr', build: (d) => writeBase(d, { zattrs: { format_type: 'led_2d_overview' } }), expect: { error: 'unsupported', message: /py2flamingo 2D overview sessions are not supported/ } },
  { name: 'legacy-bad-num-channels.zarr', build: (d) => writeBase(d, { zattrs: { session_metadata: { ...LEGACY_META, num_channels: 'nine' } } }), expect: { error: 'bad-metadata', message: /num_channels is "nine"; expected an integer/ } },
  { name: 'legacy-nan-voxel.zarr', build: (d) => writeBase(d, { zattrs: '{"session_metadata": {"num_channels": 1, "display_voxel_size_um": [NaN, 50, 50]}}' }), expect: { error: 'bad-metadata', message: /display_voxel_size_um\[0\] is NaN/ } },
  { name: 'legacy-shape-mismatch.zarr', build: (d) => { put(path.join(d, '.zgroup'), { zarr_format: 2 }); put(path.join(d, '.zattrs'), { session_metadata: LEGACY_META }); put(path.join(d, '0/.zarray'), zarray((z) => ((z.shape = [5, 6, 7]), (z.chunks = [4, 4, 4])))); put(path.join(d, '1/.zarray'), zarray((z) => ((z.shape = [5, 6, 8]), (z.chunks = [4, 4, 4])))); }, expect: { error: 'bad-metadata', message: /channel array "1" has shape \[5, 6, 8\] but another has \[5, 6, 7\]/ } },
  { name: 'legacy-no-arrays.zarr', build: (d) => (put(path.join(d, '.zgroup'), { zarr_format: 2 }), put(path.join(d, '.zattrs'), { session_metadata: LEGACY_META })), expect: { error: 'not-found', message: /has none of its 2 channel arrays/ } },
  // ---- Zarr v3 ----
  { name: 'v3-bad-json.zarr', build: (d) => put(path.join(d, 'zarr.json'), '{"zarr_format": 3,'), expect: { error: 'bad-json', message: /^zarr\.json is not valid JSON/ } },
  { name: 'v3-no-ome.zarr', build: (d) => put(path.join(d, 'zarr.json'), { zarr_format: 3, node_type: 'group', attributes: { other: 1 } }), expect: { error: 'not-recognised', message: /neither "ome" nor "session_metadata" \(keys found: other\)/ } },
  { name: 'v3-unknown-codec.zarr', build: (d) => (put(path.join(d, 'zarr.json'), V3_GROUP), put(path.join(d, '0/zarr.json'), v3Array((a) => (a.codecs = [{ name: 'bytes' }, { name: 'lzma' }])))), expect: { error: 'unknown-codec', message: /uses codec "lzma"/ } },
  { name: 'v3-unknown-dtype.zarr', build: (d) => (put(path.join(d, 'zarr.json'), V3_GROUP), put(path.join(d, '0/zarr.json'), v3Array((a) => (a.data_type = 'complex64')))), expect: { error: 'unknown-dtype', message: /data_type is "complex64"/ } },
  { name: 'v2-metadata-in-v3-tree.zarr', build: (d) => (put(path.join(d, 'zarr.json'), V3_GROUP), put(path.join(d, '0/.zarray'), baseZarray())), expect: { error: 'bad-metadata', message: /0\/zarr\.json is missing and 0\/\.zarray \(Zarr v2 metadata\) is there instead/ } },
  { name: 'v3-bad-crc.zarr', build: (d) => { put(path.join(d, 'zarr.json'), V3_GROUP); put(path.join(d, '0/zarr.json'), v3Array((a) => (a.codecs = [{ name: 'bytes' }, { name: 'crc32c' }]))); put(path.join(d, '0/c/0/0'), new Uint8Array(36)); }, expect: { warning: /fails its crc32c checksum/, key: '0/c/0/0' } },
  // ---- NPY ----
  { name: 'empty.npy', build: (f) => put(f, new Uint8Array(0)), expect: { error: 'bad-file', message: /does not start with the NumPy magic/ } },
  { name: 'lying-header.npy', build: (f) => put(f, npy("{'descr': '<u2', 'fortran_order': False, 'shape': (64, 512, 512), }\n", new Uint8Array(100))), expect: { error: 'truncated', message: /needs 33554432 data bytes but the file holds 100/ } },
  { name: 'header-past-end.npy', build: (f) => put(f, npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }\n", new Uint8Array(0)).slice(0, 30)), expect: { error: 'truncated', message: /declares a \d+-byte header but holds only 20 bytes/ } },
  { name: 'version-4.npy', build: (f) => { const b = npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }\n", new Uint8Array(8), 2); b[6] = 4; put(f, b); }, expect: { error: 'unsupported', message: /\.npy format version 4\.0/ } },
  { name: 'malformed-header.npy', build: (f) => put(f, npy("{'descr': '<u2', 'fortran_order': maybe, 'shape': (2, 2), }\n", new Uint8Array(8))), expect: { error: 'bad-file', message: /malformed header \(expected a string, True, False or a tuple/ } },
  { name: 'scalar.npy', build: (f) => put(f, npy("{'descr': '<u2', 'fortran_order': False, 'shape': (), }\n", new Uint8Array(2))), expect: { error: 'unsupported', message: /has 0 dimensions/ } },
  { name: 'int32.npy', build: (f) => put(f, npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }\n", new Uint8Array(16))), expect: { error: 'unknown-dtype', message: /holds dtype '<i4'/ } },
  // ---- TIFF ----
  { name: 'empty.tif', build: (f) => put(f, new Uint8Array(0)), expect: { error: 'bad-file', message: /is 0 bytes, too short for a TIFF header/ } },
  { name: 'bad-ifd-offset.tif', build: (f) => { const b = goodTiff(); new DataView(b.buffer).setUint32(4, 0x7ffffff0, true); put(f, b); }, expect: { error: 'bad-file', message: /IFD 0 is at offset 2147483632, outside the file's \d+ bytes/ } },
  { name: 'bigtiff-bad-ifd-offset.tif', build: (f) => { const b = makeTiff([{ width: 6, height: 4, data: new Uint16Array(24) }], { big: true }); new DataView(b.buffer).setBigUint64(8, 2n ** 40n, true); put(f, b); }, expect: { error: 'bad-file', message: /IFD 0 is at offset 1099511627776, outside the file/ } },
  { name: 'ifd-loop.tif', build: (f) => { const b = goodTiff(); const dv = new DataView(b.buffer); const first = dv.getUint32(4, true); const n = dv.getUint16(first, true); dv.setUint32(first + 2 + n * 12, first, true); put(f, b); }, expect: { error: 'bad-file', message: /IFD chain loops back to offset \d+ after 1 IFDs/ } },
  { name: 'not-tiff-magic.tif', build: (f) => put(f, new TextEncoder().encode('II*\u0001 this is not a tiff')), expect: { error: 'bad-file', message: /TIFF version 298/ } },
  { name: 'pages-differ.tif', build: (f) => put(f, makeTiff([{ width: 6, height: 4, data: new Uint16Array(24) }, { width: 5, height: 4, data: new Uint16Array(20) }])), expect: { error: 'bad-file', message: /page 1 is 5 × 4 uint16 but page 0 is 6 × 4 uint16/ } },
  { name: 'int16.tif', build: (f) => put(f, makeTiff([{ width: 2, height: 2, data: new Int16Array(4) }])), expect: { error: 'unknown-dtype', message: /16-bit signed samples/ } },
  { name: 'ome-absurd-sizes.tif', build: (f) => put(f, makeTiff([{ width: 6, height: 4, data: new Uint16Array(24) }], { description: '<OME><Image><Pixels DimensionOrder="XYZCT" Type="uint16" SizeX="6" SizeY="4" SizeZ="100000000" SizeC="100" SizeT="1"/></Image></OME>' })), expect: { error: 'bad-file', message: /declares SizeZ 100000000 × SizeC 100 × SizeT 1 = 10000000000 planes but the file has 1/ } },
  { name: 'cut-short.tif', build: (f) => put(f, goodTiff().slice(0, 30)), expect: { error: 'bad-file', message: /IFD 0 is at offset \d+, outside the file's 30 bytes/ } },
  {
    name: 'strip-past-end.tif',
    build: (f) => {
      const b = goodTiff();
      const dv = new DataView(b.buffer);
      const second = dv.getUint32(dv.getUint32(4, true) + 2 + dv.getUint16(dv.getUint32(4, true), true) * 12, true);
      const n = dv.getUint16(second, true);
      for (let k = 0; k < n; k++) if (dv.getUint16(second + 2 + k * 12, true) === 273) dv.setUint32(second + 2 + k * 12 + 8, b.length - 10, true);
      put(f, b);
    },
    expect: { warning: /Page 1 /, key: 'strip-past-end.tif page 1' },
  },
];
