/**
 * The session validator (spec §6.2–§6.3): the OME-NGFF 0.4 strict image schema rules
 * (`ngff-schema.ts`) plus every session rule the schema misses — one `multiscales` entry, axes
 * and units exactly as §3.2, `[scale, translation]` transforms with the §3.6 half-voxel rule,
 * level shapes per §3.5, the nine `.zarray` keys of §3.3 agreeing across levels, `omero` as
 * §3.8, no non-finite numbers, and the whole `flamingo` key with its §4.8 consistency.
 * Each message names the file and JSON path. Pure: the caller reads the files.
 *
 * @example
 * const r = validateSessionMetadata({ zgroup, zattrs, zarrays: [z0, z1] });
 * if (!r.valid) console.log(r.errors.join('\n'));
 */

import { reductionMetadata, zarrayJson } from './build.ts';
import { Checker } from './checker.ts';
import { checkFlamingo } from './flamingo.ts';
import { at, closeTo, describe, findNonFinite, isObject, jsonEqual } from './json.ts';
import type { JsonObject } from './json.ts';
import { MAX_LEVELS } from './layout.ts';
import type { SessionLayout } from './layout.ts';
import { ngffImageSchemaErrors } from './ngff-schema.ts';
import { SESSION_FORMAT_VERSION } from './types.ts';
import type { ValidationResult } from './types.ts';

export interface SessionMetadataInput {
  /** Parsed `.zgroup`; leave the key out to skip the check, pass `undefined` for a missing file. */
  zgroup?: unknown;
  /** Parsed `.zattrs`. */
  zattrs: unknown;
  /** Parsed `.zarray` of each level in `datasets` order; `undefined` for a missing file. */
  zarrays: readonly unknown[];
}

export interface SessionRuleOptions {
  /** An error (not a warning) when the `flamingo` key is absent. Default false. */
  requireFlamingo?: boolean;
  /** The newest `format_version` known (default 1). */
  knownVersion?: number;
}

export interface SessionValidationResult extends ValidationResult {
  /** `flamingo.format_version` when readable, else null. */
  format_version: number | null;
  /** Number of levels in `datasets`. */
  levels: number;
  /** Level-0 shape from `0/.zarray`, or null. */
  shape: number[] | null;
}

const ZARRAY_KEYS = ['zarr_format', 'shape', 'chunks', 'dtype', 'compressor', 'fill_value', 'order', 'filters', 'dimension_separator'] as const;
const SHARED_ZARRAY_KEYS = ['dtype', 'compressor', 'chunks', 'fill_value', 'order', 'filters', 'dimension_separator'] as const;
const CZYX = ['c', 'z', 'y', 'x'];
const TCZYX = ['t', 'c', 'z', 'y', 'x'];

/** Validates a session's metadata files together; see the module comment. */
export function validateSessionMetadata(input: SessionMetadataInput, options: SessionRuleOptions = {}): SessionValidationResult {
  const za = new Checker('.zattrs');
  const arrayCheckers: Checker[] = [];
  const result = (formatVersion: number | null, levels: number, shape: number[] | null): SessionValidationResult => {
    const errors = [...(groupErrors ?? []), ...za.errors, ...arrayCheckers.flatMap((c) => c.errors)];
    const warnings = [...za.warnings, ...arrayCheckers.flatMap((c) => c.warnings)];
    return { valid: errors.length === 0, errors, warnings, format_version: formatVersion, levels, shape };
  };

  let groupErrors: string[] | undefined;
  if (Object.hasOwn(input, 'zgroup')) {
    if (input.zgroup === undefined) groupErrors = ['.zgroup: is missing; a session root needs {"zarr_format": 2} (§3.1).'];
    else if (!jsonEqual(input.zgroup, { zarr_format: 2 })) groupErrors = [`.zgroup: is ${describe(input.zgroup)}; expected {"zarr_format": 2}.`];
  }

  const attrs = input.zattrs;
  const nonFinite = findNonFinite(attrs);
  if (nonFinite !== undefined) za.err(nonFinite, 'is not a finite number; NaN and Infinity never appear in session JSON (§6.1 #24).');
  for (const e of ngffImageSchemaErrors(attrs, { strict: true })) za.err('', `strict_image.schema: ${e}`);
  if (!isObject(attrs)) return result(null, 0, null);

  // ---- top level (§6.1 #8, #23)
  for (const k of Object.keys(attrs)) {
    if (k === 'ome') za.err('ome', 'is an OME-NGFF 0.5 wrapper key; a 0.4 session keeps multiscales and omero at the top level (§6.1 #23).');
    else if (!['multiscales', 'omero', 'flamingo'].includes(k)) za.err(k, 'is not allowed; .zattrs holds multiscales, omero and flamingo only (§6.1 #8).');
  }
  const hasFlamingo = Object.hasOwn(attrs, 'flamingo');
  const knownVersion = options.knownVersion ?? SESSION_FORMAT_VERSION;
  let formatVersion: number | null = null;
  let flamingo: JsonObject | undefined;
  if (hasFlamingo) {
    const v = checkFlamingo(za, attrs.flamingo, 'flamingo', { knownVersion: options.knownVersion });
    formatVersion = v ?? null;
    if (isObject(attrs.flamingo) && (v === undefined || v <= knownVersion)) flamingo = attrs.flamingo;
    if (v !== undefined && v > knownVersion) return result(formatVersion, 0, null);
  } else if (options.requireFlamingo) {
    za.err('flamingo', 'is missing; a flamingo-viv session carries the flamingo key (§4.1).');
  } else {
    za.warn('flamingo', 'is missing: this is an OME-NGFF 0.4 image, not a flamingo-viv session; checked against the session checklist without the flamingo rules.');
  }

  // ---- multiscales (§3.7)
  const ms = attrs.multiscales;
  if (!Array.isArray(ms) || !isObject(ms[0])) return result(formatVersion, 0, null);
  if (ms.length !== 1) za.err('multiscales', `has ${ms.length} entries; a session has exactly one (§3.7).`);
  const m = ms[0];
  const mp = 'multiscales[0]';
  if (m.version !== '0.4') za.err(at(mp, 'version'), `is ${describe(m.version)}; expected exactly "0.4".`);
  za.str(m, 'name', mp);
  const reduction = za.oneOf(m, 'type', mp, ['mean', 'max']);
  if (flamingo && reduction && !jsonEqual(m.metadata, reductionMetadata(reduction))) {
    za.err(at(mp, 'metadata'), `does not describe the "${reduction}" block reduction as §3.5 requires (${JSON.stringify(reductionMetadata(reduction))}).`);
  } else if (!isObject(m.metadata)) {
    za.err(at(mp, 'metadata'), `is ${describe(m.metadata)}; expected an object (§3.5).`);
  }
  if (Object.hasOwn(m, 'coordinateTransformations')) {
    za.err(at(mp, 'coordinateTransformations'), 'is not allowed: the position lives in the per-dataset transforms (§3.6, §6.1 #14).');
  }

  // ---- axes (§3.2)
  const axesRaw = Array.isArray(m.axes) ? m.axes : [];
  const names = axesRaw.map((a) => (isObject(a) ? a.name : undefined));
  const expected = names.length === 5 ? TCZYX : CZYX;
  const axesOk = jsonEqual(names, expected);
  if (!axesOk) za.err(at(mp, 'axes'), `are named ${describe(names)}; expected ["c","z","y","x"] or ["t","c","z","y","x"] in that order (§3.2).`);
  axesRaw.forEach((a, i) => {
    if (!isObject(a) || !axesOk) return;
    const name = a.name as string;
    const p = at(at(mp, 'axes'), i);
    const type = name === 't' ? 'time' : name === 'c' ? 'channel' : 'space';
    const unit = name === 't' ? 'second' : name === 'c' ? undefined : 'micrometer';
    if (a.type !== type) za.err(at(p, 'type'), `is ${describe(a.type)}; expected "${type}".`);
    if (unit === undefined) {
      if (Object.hasOwn(a, 'unit')) za.err(at(p, 'unit'), `is ${describe(a.unit)}; the channel axis has no unit (§3.2).`);
    } else if (a.unit !== unit) {
      za.err(at(p, 'unit'), `is ${describe(a.unit)}; expected "${unit}" spelled out (UDUNITS-2 long name, §3.2).`);
    }
    for (const k of Object.keys(a)) if (!['name', 'type', 'unit'].includes(k)) za.warn(at(p, k), 'is not an axis key of OME-NGFF 0.4.');
  });
  const ndim = expected.length;
  const ax = (n: string): number => expected.indexOf(n);

  // ---- datasets and transforms (§3.6)
  const datasets = Array.isArray(m.datasets) ? m.datasets : [];
  if (datasets.length > MAX_LEVELS) za.err(at(mp, 'datasets'), `has ${datasets.length} levels; at most ${MAX_LEVELS} (§3.5).`);
  const scales: (number[] | undefined)[] = [];
  const translations: (number[] | undefined)[] = [];
  const zOrigin = flamingo?.z_origin === 'stage' ? 'stage' : 'session';
  datasets.forEach((d, i) => {
    const p = at(at(mp, 'datasets'), i);
    if (!isObject(d)) return;
    if (d.path !== String(i)) za.err(at(p, 'path'), `is ${describe(d.path)}; expected "${i}" (levels are "0", "1", … from highest resolution, §3.7).`);
    const ct = d.coordinateTransformations;
    const cp = at(p, 'coordinateTransformations');
    if (!Array.isArray(ct)) return;
    const t0 = ct[0];
    const t1 = ct[1];
    if (ct.length !== 2 || !isObject(t0) || !isObject(t1) || t0.type !== 'scale' || t1.type !== 'translation') {
      za.err(cp, `are ${describe(ct.map((t) => (isObject(t) ? t.type : t)))}; expected exactly [scale, translation] in that order (§3.6).`);
    }
    const vec = (key: 'scale' | 'translation'): number[] | undefined => {
      const tr = ct.find((x) => isObject(x) && x.type === key);
      if (!isObject(tr) || !Array.isArray(tr[key])) return undefined;
      const v = tr[key] as unknown[];
      const vp = at(at(cp, ct.indexOf(tr)), key);
      if (v.length !== ndim) {
        za.err(vp, `has ${v.length} entries; expected ${ndim}, one per axis.`);
        return undefined;
      }
      let ok = true;
      v.forEach((x, j) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          za.err(at(vp, j), `is ${describe(x)}; expected a finite number.`);
          ok = false;
        } else if (key === 'scale' && !(x > 0)) {
          za.err(at(vp, j), `is ${x}; scales must be > 0.`);
          ok = false;
        }
      });
      return ok ? (v as number[]) : undefined;
    };
    const s = vec('scale');
    const tr = vec('translation');
    scales.push(s);
    translations.push(tr);
    if (!axesOk) return;
    const sp = at(at(cp, 0), 'scale');
    const tp = at(at(cp, 1), 'translation');
    if (s && s[ax('c')] !== 1) za.err(at(sp, ax('c')), `is ${String(s[ax('c')])}; the channel scale is 1 (§3.6).`);
    if (tr && tr[ax('c')] !== 0) za.err(at(tp, ax('c')), `is ${String(tr[ax('c')])}; the channel translation is 0 (§3.6).`);
    if (tr && ndim === 5 && tr[0] !== 0) za.err(at(tp, 0), `is ${String(tr[0])}; the time translation is 0 (§3.6).`);
    if (tr && zOrigin === 'session' && tr[ax('z')] !== 0) {
      za.err(at(tp, ax('z')), `is ${String(tr[ax('z')])}; the z translation is 0 (z_origin "session"; Vizarr shows a black canvas otherwise, §3.6).`);
    }
    const s0 = scales[0];
    const t0v = translations[0];
    if (i === 0 || !s || !tr || !s0 || !t0v) return;
    const f = 2 ** i;
    for (let j = 0; j < ndim; j++) {
      const yx = j >= ndim - 2;
      const wantS = yx ? f * (s0[j] as number) : (s0[j] as number);
      const wantT = yx ? (t0v[j] as number) + ((f - 1) / 2) * (s0[j] as number) : (t0v[j] as number);
      if (!closeTo(s[j] as number, wantS)) za.err(at(sp, j), `is ${String(s[j])}; expected ${wantS} (level ${i}: ${yx ? `${f} × the level-0 scale` : 'the level-0 scale'}, §3.6).`);
      if (!closeTo(tr[j] as number, wantT)) za.err(at(tp, j), `is ${String(tr[j])}; expected ${wantT} (level ${i}: ${yx ? `T + (${f} − 1)/2 · s` : 'the level-0 translation'}, §3.6).`);
    }
  });

  // ---- .zarray per level (§3.3, §3.5)
  const shapes: (number[] | undefined)[] = [];
  let first: JsonObject | undefined;
  datasets.forEach((_, i) => {
    const file = `${i}/.zarray`;
    const c = new Checker(file);
    arrayCheckers.push(c);
    const z = input.zarrays[i];
    if (z === undefined) {
      c.err('', `is missing; every level in datasets needs its .zarray (§3.3).`);
      shapes.push(undefined);
      return;
    }
    const nf = findNonFinite(z);
    if (nf !== undefined) c.err(nf, 'is not a finite number.');
    const o = c.obj(z, '');
    if (!o) {
      shapes.push(undefined);
      return;
    }
    shapes.push(checkZarray(c, o, ndim));
    if (i === 0) first = o;
    else if (first) {
      for (const k of SHARED_ZARRAY_KEYS) {
        if (Object.hasOwn(o, k) && Object.hasOwn(first, k) && !jsonEqual(o[k], first[k])) {
          c.err(k, `is ${describe(o[k])} but level 0 has ${describe(first[k])}; all levels share ${k} (§3.3).`);
        }
      }
    }
  });
  if (axesOk) {
    const s0 = shapes[0];
    for (let l = 1; l < shapes.length; l++) {
      const prev = shapes[l - 1];
      const cur = shapes[l];
      if (!prev || !cur || !s0) continue;
      const c = arrayCheckers[l] as Checker;
      const y = prev[ndim - 2] as number;
      const x = prev[ndim - 1] as number;
      if (y <= 1 && x <= 1) c.err('', `level ${l} follows a level whose y and x are both 1; the pyramid stops there (§3.5).`);
      const want = [...s0.slice(0, ndim - 2), Math.ceil(y / 2), Math.ceil(x / 2)];
      if (!jsonEqual(cur, want)) c.err('shape', `is ${describe(cur)}; expected ${describe(want)} (y and x halved, rounded up, from level ${l - 1}; t, c and z kept, §3.5).`);
    }
  }

  // ---- omero (§3.8)
  const shape0 = shapes[0] ?? null;
  const dtype = first?.dtype;
  const cSize = axesOk && shape0 ? shape0[ax('c')] : undefined;
  const zSize = axesOk && shape0 ? shape0[ax('z')] : undefined;
  const omero = za.obj(attrs.omero, 'omero');
  if (omero) checkOmero(za, omero, cSize, zSize, dtype);

  // ---- flamingo consistency (§4.8)
  if (flamingo) {
    checkConsistency(za, flamingo, m, omero, {
      cSize,
      zSize,
      scale0: axesOk ? scales[0] : undefined,
      translation0: axesOk ? translations[0] : undefined,
      ndim,
    });
  }
  return result(formatVersion, datasets.length, shape0);
}

/** The nine keys of §3.3 in one `.zarray`; returns its shape when usable. */
function checkZarray(c: Checker, o: JsonObject, ndim: number): number[] | undefined {
  for (const k of ZARRAY_KEYS) if (!Object.hasOwn(o, k)) c.err(k, 'is missing; all nine .zarray keys are written (§3.3).');
  for (const k of Object.keys(o)) {
    if (!(ZARRAY_KEYS as readonly string[]).includes(k)) {
      const why = k === 'dimension_names' || k === 'codecs' || k === 'data_type' ? ' (a Zarr v3 / OME-NGFF 0.5 construct, §6.1 #23)' : '';
      c.err(k, `is not a key of a session .zarray${why}.`);
    }
  }
  if (Object.hasOwn(o, 'zarr_format') && o.zarr_format !== 2) c.err('zarr_format', `is ${describe(o.zarr_format)}; expected 2.`);
  let shape: number[] | undefined;
  if (Object.hasOwn(o, 'shape')) shape = c.numbers(o.shape, 'shape', ndim, { int: true, min: 1 }) ?? undefined;
  if (Object.hasOwn(o, 'chunks')) {
    const want = ndim === 5 ? [1, 1, 64, 64, 64] : [1, 64, 64, 64];
    if (!jsonEqual(o.chunks, want)) c.err('chunks', `is ${describe(o.chunks)}; expected ${JSON.stringify(want)} at every level (§3.3).`);
  }
  if (Object.hasOwn(o, 'dtype')) {
    const d = o.dtype;
    if (d === '<u1') c.err('dtype', 'is "<u1"; uint8 is written "|u1" (neuroglancer rejects "<u1", §3.3).');
    else if (d === '<f8') c.err('dtype', 'is "<f8"; float64 is never written (neuroglancer does not support it, §3.3).');
    else if (d !== '<u2' && d !== '|u1' && d !== '<f4') c.err('dtype', `is ${describe(d)}; expected "<u2", "|u1" or "<f4" (§3.3).`);
  }
  if (Object.hasOwn(o, 'compressor')) checkCompressor(c, o.compressor);
  if (Object.hasOwn(o, 'fill_value') && o.fill_value !== 0) c.err('fill_value', `is ${describe(o.fill_value)}; expected the number 0 (§3.3).`);
  if (Object.hasOwn(o, 'order') && o.order !== 'C') c.err('order', `is ${describe(o.order)}; expected "C".`);
  if (Object.hasOwn(o, 'filters') && o.filters !== null) c.err('filters', `is ${describe(o.filters)}; expected null (neuroglancer ignores filters silently, tensorstore refuses them, §3.3).`);
  if (Object.hasOwn(o, 'dimension_separator') && o.dimension_separator !== '/') {
    c.err('dimension_separator', `is ${describe(o.dimension_separator)}; expected "/" (§3.3).`);
  }
  return shape;
}

function checkCompressor(c: Checker, v: unknown): void {
  if (v === null) {
    c.err('compressor', 'is null; sessions are compressed with zstd or blosc-zstd (§3.3).');
    return;
  }
  const o = c.obj(v, 'compressor');
  if (!o) return;
  if (o.id === 'zstd') {
    c.num(o, 'level', 'compressor', { int: true, min: 1, max: 22 });
    c.onlyKeys(o, 'compressor', ['id', 'level'], 'a zstd compressor');
  } else if (o.id === 'blosc') {
    if (o.cname !== 'zstd') c.err('compressor.cname', `is ${describe(o.cname)}; expected "zstd" (bare lz4 is rejected by neuroglancer, §3.3).`);
    c.num(o, 'clevel', 'compressor', { int: true, min: 1, max: 9 });
    if (o.shuffle !== 1 && o.shuffle !== 2) c.err('compressor.shuffle', `is ${describe(o.shuffle)}; expected 1 (byte) or 2 (bit).`);
    if (o.blocksize !== 0) c.err('compressor.blocksize', `is ${describe(o.blocksize)}; expected 0.`);
    c.onlyKeys(o, 'compressor', ['id', 'cname', 'clevel', 'shuffle', 'blocksize'], 'a blosc compressor');
  } else {
    c.err('compressor.id', `is ${describe(o.id)}; expected "zstd" or "blosc" (no lz4, gzip or zlib, §3.3).`);
  }
}

function checkOmero(c: Checker, o: JsonObject, cSize: number | undefined, zSize: number | undefined, dtype: unknown): void {
  if (o.version !== '0.4') c.err('omero.version', `is ${describe(o.version)}; expected "0.4" (§3.8).`);
  c.str(o, 'name', 'omero');
  if (zSize !== undefined) {
    const want = { defaultT: 0, defaultZ: Math.floor(zSize / 2), model: 'color' };
    if (!jsonEqual(o.rdefs, want)) c.err('omero.rdefs', `is ${describe(o.rdefs)}; expected ${JSON.stringify(want)} (§3.8).`);
  }
  const channels = Array.isArray(o.channels) ? o.channels : undefined;
  if (!channels) return;
  if (cSize !== undefined && channels.length !== cSize) c.err('omero.channels', `has ${channels.length} entries; the c axis has size ${cSize} (§3.8).`);
  const range = dtype === '<u2' ? [0, 65535] : dtype === '|u1' ? [0, 255] : undefined;
  const labels = new Map<string, number>();
  channels.forEach((x, i) => {
    const p = at('omero.channels', i);
    if (!isObject(x)) return;
    const label = c.str(x, 'label', p, { nonEmpty: true });
    if (typeof label === 'string' && label !== '') {
      const prev = labels.get(label);
      if (prev !== undefined) c.err(at(p, 'label'), `${describe(label)} is also the label of channel ${prev}; labels are unique (§3.8).`);
      else labels.set(label, i);
    }
    if (typeof x.color === 'string' && !/^[0-9A-F]{6}$/.test(x.color)) {
      c.err(at(p, 'color'), `is ${describe(x.color)}; expected 6 upper-case hexadecimal digits RRGGBB without "#" (ome-zarr-py drops all omero metadata on "#", §3.8).`);
    }
    c.bool(x, 'active', p);
    if (x.coefficient !== 1) c.err(at(p, 'coefficient'), `is ${describe(x.coefficient)}; expected 1 (§3.8).`);
    if (x.family !== 'linear') c.err(at(p, 'family'), `is ${describe(x.family)}; expected "linear" (§3.8).`);
    if (x.inverted !== false) c.err(at(p, 'inverted'), `is ${describe(x.inverted)}; expected false (§3.8).`);
    if (isObject(x.window)) {
      const w = x.window;
      const wp = at(p, 'window');
      const nums = ['min', 'max', 'start', 'end'].map((k) => c.num(w, k, wp));
      if (range && nums[0] !== undefined && nums[1] !== undefined && (w.min !== range[0] || w.max !== range[1])) {
        c.err(wp, `min/max are ${describe(w.min)}/${describe(w.max)}; expected the ${String(dtype)} range ${range[0]}/${range[1]} (§3.8).`);
      }
    }
  });
}

function checkConsistency(
  c: Checker,
  f: JsonObject,
  m: JsonObject,
  omero: JsonObject | undefined,
  g: { cSize?: number; zSize?: number; scale0?: number[]; translation0?: number[]; ndim: number },
): void {
  if (typeof f.name === 'string') {
    if (m.name !== f.name) c.err('multiscales[0].name', `is ${describe(m.name)}; expected flamingo.name ${describe(f.name)} (§4.8).`);
    if (omero && omero.name !== f.name) c.err('omero.name', `is ${describe(omero.name)}; expected flamingo.name ${describe(f.name)} (§4.8).`);
  }
  const channels = Array.isArray(f.channels) ? f.channels : undefined;
  if (channels && g.cSize !== undefined && channels.length !== g.cSize) {
    c.err('flamingo.channels', `has ${channels.length} entries; the c axis has size ${g.cSize} (§4.2).`);
  }
  const oc = omero && Array.isArray(omero.channels) ? omero.channels : [];
  channels?.forEach((x, i) => {
    const o = oc[i];
    if (!isObject(x) || !isObject(o)) return;
    const p = at('flamingo.channels', i);
    if (x.name !== o.label) c.err(at(p, 'name'), `is ${describe(x.name)} but omero.channels[${i}].label is ${describe(o.label)}; they must be equal (§4.8).`);
    if (x.color !== o.color) c.err(at(p, 'color'), `is ${describe(x.color)} but omero.channels[${i}].color is ${describe(o.color)}; they must be equal (§4.8).`);
    if (x.visible !== o.active) c.err(at(p, 'visible'), `is ${describe(x.visible)} but omero.channels[${i}].active is ${describe(o.active)}; they must be equal (§4.8).`);
    const w = isObject(o.window) ? [o.window.start, o.window.end] : undefined;
    if (w && !jsonEqual(x.contrast, w)) c.err(at(p, 'contrast'), `is ${describe(x.contrast)} but omero.channels[${i}].window start/end are ${describe(w)}; they must be equal (§4.8).`);
  });
  const nd = g.ndim;
  if (g.scale0 && isObject(f.voxel_size_um)) {
    const want = { z: g.scale0[nd - 3], y: g.scale0[nd - 2], x: g.scale0[nd - 1] };
    for (const k of ['z', 'y', 'x'] as const) {
      const v = f.voxel_size_um[k];
      if (typeof v === 'number' && !closeTo(v, want[k] as number)) {
        c.err(at('flamingo.voxel_size_um', k), `is ${v} but the level-0 ${k} scale is ${String(want[k])}; they must be equal (§4.8).`);
      }
    }
  }
  if (g.translation0 && Array.isArray(f.world_origin_um) && f.world_origin_um.length === 3) {
    const wo = f.world_origin_um as unknown[];
    const axes: [number, string][] = [[1, 'y'], [2, 'x']];
    if (f.z_origin === 'stage') axes.unshift([0, 'z']);
    for (const [i, name] of axes) {
      const v = wo[i];
      const t = g.translation0[nd - 3 + i] as number;
      if (typeof v === 'number' && !closeTo(v, t)) {
        c.err(at('flamingo.world_origin_um', i), `is ${v} but the level-0 ${name} translation is ${t}; they must be equal (§3.6, §4.1).`);
      }
    }
  }
  if (g.zSize !== undefined && isObject(f.viewer) && isObject(f.viewer.selection)) {
    const z = f.viewer.selection.z;
    if (typeof z === 'number' && z >= g.zSize) c.err('flamingo.viewer.selection.z', `is ${z}; the session has ${g.zSize} planes.`);
  }
  if (g.cSize !== undefined && isObject(f.acquisition) && isObject(f.acquisition.plan) && Array.isArray(f.acquisition.plan.channels)) {
    const cs = g.cSize;
    f.acquisition.plan.channels.forEach((x, i) => {
      if (typeof x === 'number' && x >= cs) c.err(at('flamingo.acquisition.plan.channels', i), `is ${x}; the c axis has size ${cs}.`);
    });
  }
}

/**
 * The writer's check before a `.zattrs` write (§6.3): validates `zattrs` together with the
 * `.zarray` of every level the layout describes, with the flamingo key required. The writer
 * MUST NOT write the file when `valid` is false.
 */
export function validateLayoutZattrs(layout: SessionLayout, zattrs: unknown): SessionValidationResult {
  return validateSessionMetadata({ zattrs, zarrays: layout.levels.map((_, l) => zarrayJson(layout, l)) }, { requireFlamingo: true });
}
