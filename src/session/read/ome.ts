/**
 * OME-NGFF `multiscales` and `omero` blocks as a reader sees them (spec §7.2, §7.3): axes, the
 * level paths with their scale and translation (per-dataset transforms, then multiscale-level
 * ones), and channels with colours and windows (defaults when `omero` is absent or partial).
 */

import type { AxisDescription, ChannelDescription, DataType, LevelDescription, WarningSink } from './description.ts';
import { ReadError } from './description.ts';
import { integerRange } from './elements.ts';
import { describe, finiteNumbers, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { OmeroChannelMeta } from '../metadata/parse.ts';

export interface ParsedMultiscale {
  name: string;
  axes: AxisDescription[];
  datasets: { path: string; scale: number[]; translation: number[] }[];
}

function transforms(v: unknown, ndim: number, where: string, required: boolean): { scale: number[]; translation: number[] } {
  let scale = new Array<number>(ndim).fill(1);
  let translation = new Array<number>(ndim).fill(0);
  if (v === undefined && !required) return { scale, translation };
  if (!Array.isArray(v)) throw new ReadError('bad-metadata', where, `${where} is ${describe(v)}; expected a list of transformations.`);
  v.forEach((t, i) => {
    const p = `${where}[${i}]`;
    if (!isObject(t)) throw new ReadError('bad-metadata', p, `${p} is ${describe(t)}; expected a transformation object.`);
    if (t.type === 'scale') {
      if ('path' in t && !('scale' in t)) throw new ReadError('unsupported', p, `${p} gives its scale in a file ("path"), which this reader does not read.`);
      const s = finiteNumbers(t.scale, `${p}.scale`, ndim);
      s.forEach((x, k) => {
        if (x <= 0) throw new ReadError('bad-metadata', `${p}.scale[${k}]`, `${p}.scale[${k}] is ${x}; expected a number > 0.`);
      });
      scale = scale.map((x, k) => x * s[k]!);
      translation = translation.map((x, k) => x * s[k]!);
    } else if (t.type === 'translation') {
      if ('path' in t && !('translation' in t)) throw new ReadError('unsupported', p, `${p} gives its translation in a file ("path"), which this reader does not read.`);
      const s = finiteNumbers(t.translation, `${p}.translation`, ndim);
      translation = translation.map((x, k) => x + s[k]!);
    } else if (t.type !== 'identity') {
      throw new ReadError('unsupported', p, `${p} has type ${describe(t.type)}; this reader applies "scale", "translation" and "identity".`);
    }
  });
  return { scale, translation };
}

/** `multiscales[0]` of `attrs` (a 0.4 `.zattrs` or a 0.5 `attributes.ome`); `file` names it in messages. */
export function parseMultiscale(attrs: JsonObject, file: string, expectVersion: '0.4' | '0.5', warnings: WarningSink): ParsedMultiscale {
  const ms = attrs.multiscales;
  if (!Array.isArray(ms) || ms.length === 0) throw new ReadError('bad-metadata', `${file} multiscales`, `${file} multiscales is ${describe(ms)}; expected a non-empty list.`);
  if (ms.length > 1) warnings.add('metadata', `${file} holds ${ms.length} multiscales; the first is used.`, file);
  const m = ms[0];
  const w = `${file} multiscales[0]`;
  if (!isObject(m)) throw new ReadError('bad-metadata', w, `${w} is ${describe(m)}; expected an object.`);
  if (expectVersion === '0.4') {
    if (m.version === undefined) warnings.add('metadata', `${w}.version is missing; read as 0.4.`, file);
    else if (m.version === '0.5') throw new ReadError('unsupported', `${w}.version`, `${w}.version is "0.5", but OME-NGFF 0.5 metadata is only valid in Zarr v3 (zarr.json); this Zarr v2 group is refused.`);
    else if (m.version !== '0.4') throw new ReadError('unsupported', `${w}.version`, `${w}.version is ${describe(m.version)}; this reader reads OME-NGFF 0.4 in Zarr v2 and 0.5 in Zarr v3.`);
  }
  const axesRaw = m.axes;
  if (!Array.isArray(axesRaw)) throw new ReadError('bad-metadata', `${w}.axes`, `${w}.axes is ${describe(axesRaw)}; expected a list of axes.`);
  if (axesRaw.length < 2 || axesRaw.length > 5) throw new ReadError('bad-metadata', `${w}.axes`, `${w}.axes has ${axesRaw.length} entries; expected 2 to 5.`);
  const axes: AxisDescription[] = axesRaw.map((a, i) => {
    const p = `${w}.axes[${i}]`;
    if (typeof a === 'string') return { name: a };
    if (!isObject(a) || typeof a.name !== 'string' || a.name === '') throw new ReadError('bad-metadata', p, `${p} is ${describe(a)}; expected an object with a non-empty "name".`);
    const ax: AxisDescription = { name: a.name };
    if (typeof a.type === 'string') ax.type = a.type;
    if (typeof a.unit === 'string') ax.unit = a.unit;
    return ax;
  });
  const names = axes.map((a) => a.name);
  if (new Set(names).size !== names.length) throw new ReadError('bad-metadata', `${w}.axes`, `${w}.axes names [${names.join(', ')}] are not unique.`);
  const n = axes.length;
  const ds = m.datasets;
  if (!Array.isArray(ds) || ds.length === 0) throw new ReadError('bad-metadata', `${w}.datasets`, `${w}.datasets is ${describe(ds)}; expected a non-empty list.`);
  const global = transforms(m.coordinateTransformations, n, `${w}.coordinateTransformations`, false);
  const datasets = ds.map((d, i) => {
    const p = `${w}.datasets[${i}]`;
    if (!isObject(d) || typeof d.path !== 'string' || d.path === '') throw new ReadError('bad-metadata', `${p}.path`, `${p} is ${describe(d)}; expected an object with a non-empty "path".`);
    if (d.path.split('/').some((s) => s === '' || s === '.' || s === '..') || d.path.includes('\\')) {
      throw new ReadError('bad-metadata', `${p}.path`, `${p}.path is ${describe(d.path)}; expected a relative path inside the image.`);
    }
    const t = transforms(d.coordinateTransformations, n, `${p}.coordinateTransformations`, expectVersion === '0.5');
    // Multiscale-level transforms apply after the per-dataset ones (§7.2).
    return {
      path: d.path,
      scale: t.scale.map((s, k) => s * global.scale[k]!),
      translation: t.translation.map((x, k) => x * global.scale[k]! + global.translation[k]!),
    };
  });
  const name = typeof m.name === 'string' ? m.name : '';
  return { name, axes, datasets };
}

const DEFAULT_COLORS = ['0000FF', '00FF00', 'FF0000', 'FF00FF', '00FFFF', 'FFFF00'];

export function defaultColor(i: number, count: number): string {
  return count === 1 ? 'FFFFFF' : DEFAULT_COLORS[i % DEFAULT_COLORS.length]!;
}

/** A colour string as `RRGGBB`, or undefined: accepts `RRGGBB`, `#RRGGBB`, either case. */
export function normaliseColor(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^#?([0-9a-fA-F]{6})$/.exec(v);
  return m ? m[1]!.toUpperCase() : undefined;
}

/** The index of the channel axis (`type: "channel"`, else the name `c`), or -1. */
export function channelAxis(axes: readonly AxisDescription[]): number {
  const t = axes.findIndex((a) => a.type === 'channel');
  return t >= 0 ? t : axes.findIndex((a) => a.name === 'c');
}

/** One `omero` channel as the readers use it (the metadata parser's shape). */
export type OmeroChannel = OmeroChannelMeta;

/** Normalises a raw `omero` value (0.5 images; 0.4 images go through `parseZattrs`). */
export function normaliseOmero(omero: unknown, file: string, warnings: WarningSink): OmeroChannel[] | null {
  if (omero === undefined) return null;
  if (!isObject(omero) || !Array.isArray(omero.channels)) {
    warnings.add('metadata', `${file} omero has no channel list; default colours and contrast are used.`, file);
    return null;
  }
  return omero.channels.map((c, i): OmeroChannel => {
    const o: JsonObject = isObject(c) ? c : {};
    const color = normaliseColor(o.color) ?? null;
    if (color === null && o.color !== undefined) warnings.add('metadata', `${file} omero.channels[${i}].color is ${describe(o.color)}; expected 6 hex digits, a default colour is used.`, file);
    const w = isObject(o.window) ? o.window : undefined;
    const nums = w ? [w.min, w.max, w.start, w.end] : [];
    const window = w && nums.every((x) => typeof x === 'number' && Number.isFinite(x)) ? { min: w.min as number, max: w.max as number, start: w.start as number, end: w.end as number } : null;
    return { label: typeof o.label === 'string' ? o.label : null, color, active: typeof o.active === 'boolean' ? o.active : true, window };
  });
}

/**
 * Channels from normalised `omero` channels (`null` when absent); windows missing from it come
 * from `sampleRange` (the data range of the lowest level's middle plane per channel).
 */
export async function channelsFrom(list: OmeroChannel[] | null, count: number, dtype: DataType, file: string, warnings: WarningSink, sampleRange: (c: number) => Promise<[number, number]>): Promise<ChannelDescription[]> {
  if (list && list.length !== count) warnings.add('metadata', `${file} omero.channels has ${list.length} entries for ${count} channels.`, file);
  const range = integerRange(dtype);
  const out: ChannelDescription[] = [];
  const labels = new Set<string>();
  for (let i = 0; i < count; i++) {
    const c = list?.[i];
    let name = c?.label ? c.label : `Channel ${i}`;
    if (labels.has(name)) name = `${name} (${i})`;
    labels.add(name);
    const color = c?.color ?? defaultColor(i, count);
    let window = c?.window ?? null;
    if (window === null) {
      const [lo, hi] = await sampleRange(i);
      window = { min: range ? range[0] : lo, max: range ? range[1] : hi, start: lo, end: hi };
      if (list) warnings.add('metadata', `${file} omero.channels[${i}] has no usable window; contrast ${lo}–${hi} is taken from the data.`, file);
    }
    out.push({ index: i, name, color, window: { ...window }, visible: c?.active ?? true });
  }
  return out;
}

/** Min and max over the middle plane of channel `c` at the lowest level (empty data: [0, 1]). */
export async function sampleChannelRange(level: LevelDescription, axes: readonly AxisDescription[], c: number, signal?: AbortSignal): Promise<[number, number]> {
  const n = axes.length;
  const ci = channelAxis(axes);
  const start = level.shape.map((s, i) => (i >= n - 2 ? 0 : i === ci ? Math.min(c, s - 1) : Math.floor(s / 2)));
  const stop = level.shape.map((s, i) => (i >= n - 2 ? s : start[i]! + (s > 0 ? 1 : 0)));
  const { data } = await level.readRegion({ start, stop }, signal ? { signal } : {});
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}
