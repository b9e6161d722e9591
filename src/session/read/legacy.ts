/**
 * py2flamingo 3D sessions (spec §8): detection (§8.2) and reading into a description, Zarr v2
 * (`0/<iz>.<iy>.<ix>`) or v3 (`0/c/<iz>/<iy>/<ix>`) layout. One 3-D array per channel slot becomes
 * one index of a `c` axis; the legacy metadata object for `flamingo.legacy` (§8.3) comes along.
 */

import type { ChannelDescription, ImageDescription, LegacyInfo, OpenOptions, PixelArray, WarningSink } from './description.ts';
import { ReadError } from './description.ts';
import type { ReadableSessionStore } from '../store/types.ts';
import { integerRange } from './elements.ts';
import { describe, finiteNumbers, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { cacheFor, makeLevel } from './level.ts';
import { normaliseColor } from './ome.ts';
import { openV2Array } from './zarr-v2.ts';
import type { OpenedArray } from './zarr-v2.ts';
import { openV3Array } from './zarr-v3.ts';

/** §8.2: a `session_metadata` object with `num_channels` and `display_voxel_size_um`, and no `flamingo`. */
export function isLegacySession(attrs: JsonObject): boolean {
  const sm = attrs.session_metadata;
  return !('flamingo' in attrs) && isObject(sm) && 'num_channels' in sm && 'display_voxel_size_um' in sm;
}

const LEGACY_COLORS = ['0000FF', '00FF00', 'FF0000', 'FF00FF'];
const SLOT_LIMIT = 64;

/** Non-finite numbers become the strings `"Infinity"`, `"-Infinity"`, `"NaN"` (§8.3). */
export function keepNonFinite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(keepNonFinite);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keepNonFinite(x)]));
  return v;
}

function folderName(description: string): string {
  const parts = description.replace(/\s*\([^)]*\)$/, '').split(/[\\/]/).filter((s) => s !== '');
  return parts[parts.length - 1] ?? description;
}

export async function readLegacy(store: ReadableSessionStore, attrs: JsonObject, zarrFormat: 2 | 3, file: string, warnings: WarningSink, options: OpenOptions): Promise<ImageDescription> {
  const sm = attrs.session_metadata as JsonObject;
  const where = `${file} session_metadata`;
  const nc = sm.num_channels;
  if (typeof nc !== 'number' || !Number.isInteger(nc) || nc < 1 || nc > SLOT_LIMIT) {
    throw new ReadError('bad-metadata', `${where}.num_channels`, `${where}.num_channels is ${describe(nc)}; expected an integer from 1 to ${SLOT_LIMIT}.`);
  }
  const voxel = finiteNumbers(sm.display_voxel_size_um, `${where}.display_voxel_size_um`, 3);
  voxel.forEach((v, i) => {
    if (v <= 0) throw new ReadError('bad-metadata', `${where}.display_voxel_size_um[${i}]`, `${where}.display_voxel_size_um[${i}] is ${v}; expected a number > 0.`);
  });
  const origin = sm.chamber_origin_um === undefined ? [0, 0, 0] : finiteNumbers(sm.chamber_origin_um, `${where}.chamber_origin_um`, 3);

  const arrays: (OpenedArray | undefined)[] = [];
  for (let c = 0; c < nc; c++) {
    const path = String(c);
    const present = (await store.get(zarrFormat === 2 ? `${path}/.zarray` : `${path}/zarr.json`, options)) !== undefined;
    arrays.push(present ? await (zarrFormat === 2 ? openV2Array(store, path, options.signal, options.zstd) : openV3Array(store, path, options.signal, options.zstd)) : undefined);
  }
  const first = arrays.find((a) => a !== undefined);
  if (!first) throw new ReadError('not-found', `${file}`, `py2flamingo session ${store.description} has none of its ${nc} channel arrays ("0" … "${nc - 1}").`);
  arrays.forEach((a, c) => {
    if (!a) {
      warnings.add('metadata', `Channel array "${c}" is missing; channel ${c} reads as empty.`, String(c));
      return;
    }
    if (a.shape.length !== 3) throw new ReadError('bad-metadata', `${c}`, `py2flamingo channel array "${c}" has shape [${a.shape.join(', ')}]; expected 3 axes (z, y, x).`);
    if (a.shape.join() !== first.shape.join()) throw new ReadError('bad-metadata', `${c}`, `py2flamingo channel array "${c}" has shape [${a.shape.join(', ')}] but another has [${first.shape.join(', ')}]; all channels must share the display grid.`);
    if (a.chunks.join() !== first.chunks.join()) throw new ReadError('bad-metadata', `${c}`, `py2flamingo channel array "${c}" has chunks [${a.chunks.join(', ')}] but another has [${first.chunks.join(', ')}].`);
    if (a.dtype !== first.dtype) throw new ReadError('bad-metadata', `${c}`, `py2flamingo channel array "${c}" is ${a.dtype} but another is ${first.dtype}.`);
  });
  if (first.dtype !== 'uint16' && first.dtype !== 'uint8') {
    throw new ReadError('unknown-dtype', '0', `py2flamingo channel arrays are ${first.dtype}; expected uint16 or uint8.`);
  }
  if (first.dtype === 'uint8') warnings.add('metadata', 'This py2flamingo session was saved as 8-bit ("Memory Efficient"); its original intensity scale is lost.');

  const shape = [nc, ...first.shape];
  const chunks = [1, ...first.chunks];
  const level = makeLevel({
    path: '0',
    shape,
    chunks,
    dtype: first.dtype,
    fillValue: 0,
    scale: [1, ...voxel],
    translation: [0, ...origin],
    warnings,
    cache: cacheFor(options),
    loader: {
      keyOf: (index) => {
        const a = arrays[index[0]!];
        return a ? a.loader.keyOf(index.slice(1)) : `${index[0]} (missing array)`;
      },
      async load(index, signal): Promise<PixelArray | undefined> {
        const a = arrays[index[0]!];
        return a ? a.loader.load(index.slice(1), signal) : undefined;
      },
    },
  });

  const names = Array.isArray(sm.channel_names) ? sm.channel_names : [];
  const omero = isObject(attrs.omero) && Array.isArray(attrs.omero.channels) ? attrs.omero.channels : [];
  const range = integerRange(first.dtype)!;
  const channels: ChannelDescription[] = [];
  for (let i = 0; i < nc; i++) {
    const oc = isObject(omero[i]) ? (omero[i] as JsonObject) : {};
    const name = typeof names[i] === 'string' && names[i] !== '' ? (names[i] as string) : typeof oc.label === 'string' && oc.label !== '' ? oc.label : `Channel ${i}`;
    const color = normaliseColor(oc.color) ?? LEGACY_COLORS[i % 4]!;
    const end = i === 8 ? 4000 : 500;
    channels.push({ index: i, name, color, window: { min: range[0], max: range[1], start: 0, end: first.dtype === 'uint8' ? Math.min(end, 255) : end }, visible: arrays[i] !== undefined });
  }

  const legacy: LegacyInfo = {
    source: 'py2flamingo',
    zarr_format: zarrFormat,
    folder_name: folderName(store.description),
    dtype: first.dtype === 'uint16' ? '<u2' : '|u1',
    display_shape_zyx: [first.shape[0]!, first.shape[1]!, first.shape[2]!],
    session_metadata: keepNonFinite(sm) as Record<string, unknown>,
  };
  const name = typeof sm.session_name === 'string' ? sm.session_name : legacy.folder_name;
  return {
    source: 'py2flamingo',
    location: store.description,
    name,
    axes: [{ name: 'c', type: 'channel' }, ...['z', 'y', 'x'].map((n) => ({ name: n, type: 'space', unit: 'micrometer' }))],
    levels: [level],
    channels,
    legacy,
    warnings: warnings.list,
    attributes: attrs,
  };
}
