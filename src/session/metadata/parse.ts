/**
 * Parsers for readers: `.zarray` (any Zarr v2 array a reader accepts, spec §7.2) and the
 * OME-NGFF 0.4 image `.zattrs` (`multiscales[0]` with resolved per-level transforms, `omero`,
 * and the raw `flamingo` key for `parseFlamingo`). They accept foreign images that are valid
 * 0.4 (any chunking, both separators, either byte order) and throw a `MetadataError` naming
 * the file, the JSON path, the value and what was expected for anything they cannot use.
 *
 * @example
 * const arr = parseZarray(await store.get('0/.zarray'), '0/.zarray');
 * const img = parseZattrs(await store.get('.zattrs'));
 * if (img.flamingo !== undefined) parseFlamingo(img.flamingo); // version gate, §4.9
 */

import { MetadataError } from './errors.ts';
import type { MetadataErrorCode } from './errors.ts';
import { at, describe, isObject, parseJson } from './json.ts';
import type { JsonObject } from './json.ts';
import type { OmeAxisJson, OmeroWindowJson } from './types.ts';

export type DtypeKind = 'uint' | 'int' | 'float';

export interface ZarrDtype {
  /** As written, e.g. `"<u2"`. */
  dtype: string;
  kind: DtypeKind;
  bytes: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** A numcodecs codec configuration (`{"id": "zstd", "level": 3}`). */
export interface CodecConfig {
  id: string;
  [key: string]: unknown;
}

export interface ZarrayMeta {
  zarr_format: 2;
  shape: number[];
  chunks: number[];
  dtype: ZarrDtype;
  compressor: CodecConfig | null;
  /** `null` or a non-empty list. */
  filters: CodecConfig[] | null;
  /** `null` means "no fill value" in Zarr v2; `"NaN"`-style strings become numbers. */
  fill_value: number | null;
  order: 'C' | 'F';
  /** `"."` when the key is absent (the Zarr v2 default). */
  dimension_separator: '.' | '/';
}

/** Codec ids the project can decode (numcodecs): anything else is `unknown-codec`. */
export const KNOWN_CODECS: readonly string[] = ['zstd', 'blosc', 'gzip', 'zlib', 'lz4'];

/** Dtypes a reader accepts (§7.2): 1-byte types with any byte-order mark, wider ones with `<` or `>`. */
const DTYPE_RE = /^([<>|])([uif])([1248])$/;
const ACCEPTED = new Set(['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'f4', 'f8']);

/** Largest element count of one chunk a reader decodes (2^31). */
export const MAX_CHUNK_ELEMENTS = 2 ** 31;
/** Largest size of one axis (2^40): beyond that a shape is absurd. */
export const MAX_AXIS_SIZE = 2 ** 40;
/** Scales above this (µm or s) are absurd. */
export const MAX_SCALE = 1e12;
export const MAX_ABS_TRANSLATION = 1e15;

function fail(code: MetadataErrorCode, file: string, path: string, message: string): never {
  const where = path === '' ? file : `${file} ${path}`;
  throw new MetadataError(code, where, `${where} ${message}`);
}

function toJson(input: unknown, file: string): unknown {
  return input instanceof Uint8Array || typeof input === 'string' ? parseJson(input, file) : input;
}

function object(v: unknown, file: string, path: string): JsonObject {
  if (v === undefined) fail('missing-key', file, path, 'is missing; expected an object.');
  if (!isObject(v)) fail(path === '' ? 'bad-json' : 'wrong-type', file, path, `is ${describe(v)}; expected a JSON object.`);
  return v;
}

function required(o: JsonObject, key: string, file: string, path: string): unknown {
  if (!Object.hasOwn(o, key)) fail('missing-key', file, at(path, key), 'is missing.');
  return o[key];
}

export function parseDtype(v: unknown, file = '.zarray', path = 'dtype'): ZarrDtype {
  if (typeof v !== 'string') fail(Array.isArray(v) ? 'unknown-dtype' : 'wrong-type', file, path, `is ${describe(v)}; expected a dtype string such as "<u2".`);
  const m = DTYPE_RE.exec(v);
  const body = m ? `${m[2]}${m[3]}` : '';
  if (!m || !ACCEPTED.has(body) || (m[1] === '|' && m[3] !== '1')) {
    fail('unknown-dtype', file, path, `is ${describe(v)}, a dtype this reader does not support (supported: |u1, |i1, <u2, <i2, <u4, <i4, <f4, <f8, and their big-endian forms).`);
  }
  const kind: DtypeKind = m[2] === 'u' ? 'uint' : m[2] === 'i' ? 'int' : 'float';
  return { dtype: v, kind, bytes: Number(m[3]) as 1 | 2 | 4 | 8, littleEndian: m[1] !== '>' };
}

function codec(v: unknown, file: string, path: string): CodecConfig {
  const o = object(v, file, path);
  const id = o.id;
  if (typeof id !== 'string') fail(Object.hasOwn(o, 'id') ? 'wrong-type' : 'missing-key', file, at(path, 'id'), `is ${describe(id)}; expected a codec id string.`);
  if (!KNOWN_CODECS.includes(id)) fail('unknown-codec', file, at(path, 'id'), `is ${describe(id)}, a codec this reader cannot decode (known: ${KNOWN_CODECS.join(', ')}).`);
  return { ...o, id };
}

function intArray(v: unknown, file: string, path: string, min: number, max: number): number[] {
  if (!Array.isArray(v)) fail('wrong-type', file, path, `is ${describe(v)}; expected an array of integers.`);
  if (v.length < 1 || v.length > 32) fail('bad-value', file, path, `has ${v.length} entries; expected 1 to 32.`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) fail('wrong-type', file, at(path, i), `is ${describe(x)}; expected an integer.`);
    if (x < min || x > max) fail('bad-value', file, at(path, i), `is ${x}; expected ${min} to ${max}.`);
  });
  return v as number[];
}

/** Parses a Zarr v2 `.zarray` (bytes, text or a parsed value). */
export function parseZarray(input: unknown, file = '.zarray'): ZarrayMeta {
  const o = object(toJson(input, file), file, '');
  if (Object.hasOwn(o, 'node_type') || Object.hasOwn(o, 'data_type')) {
    fail('unsupported-version', file, '', 'holds Zarr v3 metadata (node_type/data_type) in a Zarr v2 tree.');
  }
  const zf = required(o, 'zarr_format', file, '');
  if (zf !== 2) fail('unsupported-version', file, 'zarr_format', `is ${describe(zf)}; expected 2.`);
  const shape = intArray(required(o, 'shape', file, ''), file, 'shape', 0, MAX_AXIS_SIZE);
  const chunks = intArray(required(o, 'chunks', file, ''), file, 'chunks', 1, MAX_AXIS_SIZE);
  if (chunks.length !== shape.length) fail('bad-value', file, 'chunks', `has ${chunks.length} entries but shape has ${shape.length}.`);
  const total = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(total)) fail('bad-value', file, 'shape', `${describe(shape)} has more elements than can be addressed.`);
  const perChunk = chunks.reduce((a, b) => a * b, 1);
  if (perChunk > MAX_CHUNK_ELEMENTS) fail('bad-value', file, 'chunks', `${describe(chunks)} holds ${perChunk} elements per chunk; at most ${MAX_CHUNK_ELEMENTS} are decoded.`);
  const dtype = parseDtype(required(o, 'dtype', file, ''), file);
  const comp = required(o, 'compressor', file, '');
  const compressor = comp === null ? null : codec(comp, file, 'compressor');
  let filters: CodecConfig[] | null = null;
  if (Object.hasOwn(o, 'filters') && o.filters !== null) {
    if (!Array.isArray(o.filters)) fail('wrong-type', file, 'filters', `is ${describe(o.filters)}; expected null or an array of codecs.`);
    filters = o.filters.length === 0 ? null : o.filters.map((f, i) => codec(f, file, at('filters', i)));
  }
  const fv = required(o, 'fill_value', file, '');
  let fill: number | null;
  if (fv === null) fill = null;
  else if (typeof fv === 'number' && Number.isFinite(fv)) fill = fv;
  else if (dtype.kind === 'float' && (fv === 'NaN' || fv === 'Infinity' || fv === '-Infinity')) fill = Number(fv);
  else fail(typeof fv === 'number' ? 'bad-value' : 'wrong-type', file, 'fill_value', `is ${describe(fv)}; expected a number or null.`);
  const order = required(o, 'order', file, '');
  if (order !== 'C' && order !== 'F') fail('bad-value', file, 'order', `is ${describe(order)}; expected "C" or "F".`);
  const sep = Object.hasOwn(o, 'dimension_separator') ? o.dimension_separator : '.';
  if (sep !== '.' && sep !== '/') fail('bad-value', file, 'dimension_separator', `is ${describe(sep)}; expected "." or "/".`);
  return { zarr_format: 2, shape: [...shape], chunks: [...chunks], dtype, compressor, filters, fill_value: fill, order, dimension_separator: sep };
}

export interface OmeLevelMeta {
  path: string;
  /** Per axis; the per-dataset scale. */
  scale: number[];
  /** Per axis; zeros when the dataset has no translation. */
  translation: number[];
}

export interface OmeroChannelMeta {
  label: string | null;
  /** `RRGGBB` upper case, or null when absent or unusable. */
  color: string | null;
  active: boolean;
  window: OmeroWindowJson | null;
}

export interface OmeroMeta {
  name: string | null;
  channels: OmeroChannelMeta[];
  defaultZ: number | null;
  defaultT: number | null;
}

export interface OmeImageMeta {
  version: '0.4';
  name: string | null;
  axes: OmeAxisJson[];
  levels: OmeLevelMeta[];
  /** Multiscale-level transforms (applied after the per-dataset ones, §7.2), or null. */
  multiscaleTransform: { scale: number[]; translation: number[] } | null;
  /** `multiscales[0].type`, or null. */
  type: string | null;
  omero: OmeroMeta | null;
  /** The raw `flamingo` value (give it to `parseFlamingo`), or undefined when absent. */
  flamingo: unknown;
  /** Attribute keys present (`session_metadata`, `format_type`, … tell legacy files apart, §7.1). */
  keys: string[];
  warnings: string[];
}

function transforms(v: unknown, ndim: number, file: string, path: string, warnings: string[]): { scale: number[]; translation: number[] } {
  if (!Array.isArray(v)) fail(v === undefined ? 'missing-key' : 'wrong-type', file, path, v === undefined ? 'is missing.' : `is ${describe(v)}; expected an array.`);
  let scale: number[] | undefined;
  let translation: number[] | undefined;
  v.forEach((t, i) => {
    const p = at(path, i);
    const o = object(t, file, p);
    if (o.type !== 'scale' && o.type !== 'translation') fail('bad-value', file, at(p, 'type'), `is ${describe(o.type)}; expected "scale" or "translation".`);
    const key = o.type;
    const vec = o[key];
    if (!Array.isArray(vec)) fail(Object.hasOwn(o, key) ? 'wrong-type' : 'missing-key', file, at(p, key), `is ${describe(vec)}; expected an array of ${ndim} numbers.`);
    if (vec.length !== ndim) fail('bad-value', file, at(p, key), `has ${vec.length} entries; expected ${ndim}, one per axis.`);
    vec.forEach((x, j) => {
      if (typeof x !== 'number') fail('wrong-type', file, at(at(p, key), j), `is ${describe(x)}; expected a finite number.`);
      if (key === 'scale' && !(x > 0 && x <= MAX_SCALE)) fail('bad-value', file, at(at(p, key), j), `is ${x}; a scale must be > 0 and ≤ ${MAX_SCALE}.`);
      if (key === 'translation' && !(Math.abs(x) <= MAX_ABS_TRANSLATION)) fail('bad-value', file, at(at(p, key), j), `is ${x}; a translation must be finite and within ±${MAX_ABS_TRANSLATION}.`);
    });
    if (key === 'scale') {
      if (scale) fail('bad-value', file, p, 'is a second scale transformation; exactly one is allowed.');
      scale = vec as number[];
    } else {
      if (translation) fail('bad-value', file, p, 'is a second translation; at most one is allowed.');
      if (!scale) warnings.push(`${file} ${path}: the translation comes before the scale; read as [scale, translation].`);
      translation = vec as number[];
    }
  });
  if (!scale) fail('missing-key', file, path, 'has no scale transformation; exactly one is required.');
  return { scale: [...scale], translation: translation ? [...translation] : new Array<number>(ndim).fill(0) };
}

function parseOmero(v: unknown, file: string, warnings: string[]): OmeroMeta | null {
  if (!isObject(v) || !Array.isArray(v.channels)) {
    warnings.push(`${file} omero: is ${describe(v)} without a channels array; ignored (default colours and contrast are used).`);
    return null;
  }
  const rdefs = isObject(v.rdefs) ? v.rdefs : {};
  const int = (x: unknown): number | null => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : null);
  return {
    name: typeof v.name === 'string' ? v.name : null,
    defaultZ: int(rdefs.defaultZ),
    defaultT: int(rdefs.defaultT),
    channels: v.channels.map((c, i): OmeroChannelMeta => {
      const p = `${file} omero.channels[${i}]`;
      if (!isObject(c)) {
        warnings.push(`${p}: is ${describe(c)}; expected an object; default settings used.`);
        return { label: null, color: null, active: true, window: null };
      }
      let color: string | null = null;
      if (typeof c.color === 'string') {
        const hex = c.color.startsWith('#') ? c.color.slice(1) : c.color;
        if (/^[0-9A-Fa-f]{6}$/.test(hex)) {
          color = hex.toUpperCase();
          if (hex !== c.color) warnings.push(`${p}.color: ${describe(c.color)} has a "#"; read as ${color}.`);
        } else warnings.push(`${p}.color: ${describe(c.color)} is not RRGGBB; a default colour is used.`);
      }
      let window: OmeroWindowJson | null = null;
      if (isObject(c.window)) {
        const w = c.window;
        const nums = [w.min, w.max, w.start, w.end];
        if (nums.every((x) => typeof x === 'number' && Number.isFinite(x))) window = { min: w.min as number, max: w.max as number, start: w.start as number, end: w.end as number };
        else warnings.push(`${p}.window: ${describe(w)} does not hold four numbers; contrast comes from the data.`);
      } else if (c.window !== undefined) warnings.push(`${p}.window: ${describe(c.window)} is not an object; contrast comes from the data.`);
      return {
        label: typeof c.label === 'string' ? c.label : null,
        color,
        active: typeof c.active === 'boolean' ? c.active : true,
        window,
      };
    }),
  };
}

/** Parses an OME-NGFF 0.4 image `.zattrs` (bytes, text or a parsed value) for reading (§7.2). */
export function parseZattrs(input: unknown, file = '.zattrs'): OmeImageMeta {
  const o = object(toJson(input, file), file, '');
  const warnings: string[] = [];
  if (!Object.hasOwn(o, 'multiscales')) {
    if (Object.hasOwn(o, 'ome')) fail('unsupported-version', file, 'ome', 'is an OME-NGFF 0.5 wrapper key; 0.5 metadata in a Zarr v2 tree is not valid.');
    fail('missing-key', file, 'multiscales', 'is missing; this is not an OME-NGFF image.');
  }
  const ms = o.multiscales;
  if (!Array.isArray(ms)) fail('wrong-type', file, 'multiscales', `is ${describe(ms)}; expected an array.`);
  if (ms.length === 0) fail('bad-value', file, 'multiscales', 'is empty; expected one image.');
  if (ms.length > 1) warnings.push(`${file} multiscales: has ${ms.length} entries; only the first is read.`);
  const m = object(ms[0], file, 'multiscales[0]');
  const mp = 'multiscales[0]';
  if (!Object.hasOwn(m, 'version')) warnings.push(`${file} ${mp}.version: is missing; read as "0.4".`);
  else if (m.version !== '0.4') {
    const why = m.version === '0.5' ? '0.5 metadata in a Zarr v2 tree is not valid' : 'this reader reads OME-NGFF 0.4 in Zarr v2';
    fail('unsupported-version', file, at(mp, 'version'), `is ${describe(m.version)}; ${why}.`);
  }
  const axesRaw = required(m, 'axes', file, mp);
  if (!Array.isArray(axesRaw)) fail('wrong-type', file, at(mp, 'axes'), `is ${describe(axesRaw)}; expected an array.`);
  if (axesRaw.length < 2 || axesRaw.length > 5) fail('bad-value', file, at(mp, 'axes'), `has ${axesRaw.length} axes; expected 2 to 5.`);
  const seen = new Set<string>();
  const axes = axesRaw.map((a, i): OmeAxisJson => {
    const p = at(at(mp, 'axes'), i);
    const ax = object(a, file, p);
    if (typeof ax.name !== 'string' || ax.name === '') fail(Object.hasOwn(ax, 'name') ? 'wrong-type' : 'missing-key', file, at(p, 'name'), `is ${describe(ax.name)}; expected a non-empty string.`);
    if (seen.has(ax.name)) fail('bad-value', file, at(p, 'name'), `${describe(ax.name)} names two axes.`);
    seen.add(ax.name);
    if (Object.hasOwn(ax, 'type') && typeof ax.type !== 'string') fail('wrong-type', file, at(p, 'type'), `is ${describe(ax.type)}; expected a string.`);
    if (Object.hasOwn(ax, 'unit') && typeof ax.unit !== 'string') fail('wrong-type', file, at(p, 'unit'), `is ${describe(ax.unit)}; expected a string.`);
    const out: OmeAxisJson = { name: ax.name };
    if (typeof ax.type === 'string') out.type = ax.type;
    if (typeof ax.unit === 'string') out.unit = ax.unit;
    return out;
  });
  const ndim = axes.length;
  const dsRaw = required(m, 'datasets', file, mp);
  if (!Array.isArray(dsRaw)) fail('wrong-type', file, at(mp, 'datasets'), `is ${describe(dsRaw)}; expected an array.`);
  if (dsRaw.length === 0) fail('bad-value', file, at(mp, 'datasets'), 'is empty; expected at least one level.');
  const levels = dsRaw.map((d, i): OmeLevelMeta => {
    const p = at(at(mp, 'datasets'), i);
    const ds = object(d, file, p);
    const path = ds.path;
    if (typeof path !== 'string') fail(Object.hasOwn(ds, 'path') ? 'wrong-type' : 'missing-key', file, at(p, 'path'), `is ${describe(path)}; expected a string.`);
    if (path === '' || path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      fail('bad-value', file, at(p, 'path'), `is ${describe(path)}; expected a relative path inside the image.`);
    }
    return { path, ...transforms(ds.coordinateTransformations, ndim, file, at(p, 'coordinateTransformations'), warnings) };
  });
  const multiscaleTransform = Object.hasOwn(m, 'coordinateTransformations')
    ? transforms(m.coordinateTransformations, ndim, file, at(mp, 'coordinateTransformations'), warnings)
    : null;
  return {
    version: '0.4',
    name: typeof m.name === 'string' ? m.name : null,
    axes,
    levels,
    multiscaleTransform,
    type: typeof m.type === 'string' ? m.type : null,
    omero: Object.hasOwn(o, 'omero') ? parseOmero(o.omero, file, warnings) : null,
    flamingo: o.flamingo,
    keys: Object.keys(o),
    warnings,
  };
}
