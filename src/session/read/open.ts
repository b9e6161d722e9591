/**
 * Opens a Zarr folder read-only and decides what it is (spec §7.1): a flamingo-viv session
 * (version-gated, §4.9), a py2flamingo 3D session (Zarr v2 or v3, §8), a py2flamingo 2D overview
 * (refused), a foreign OME-NGFF 0.4 image on Zarr v2 (§7.2) or an OME-NGFF 0.5 image on Zarr v3
 * (§7.3). Anything else is refused, naming what was found.
 *
 * @example
 * const image = await openImage(store, { onWarning: (w) => console.warn(w.message) });
 */

import type { AxisDescription, ImageDescription, ImageSource, LevelDescription, OpenOptions } from './description.ts';
import { ReadError, WarningSink } from './description.ts';
import type { ReadableSessionStore } from '../store/types.ts';
import { isMetadataError } from '../metadata/errors.ts';
import { parseFlamingo } from '../metadata/flamingo.ts';
import type { FlamingoAttrs } from '../metadata/types.ts';
import { SESSION_FORMAT } from '../metadata/types.ts';
import { describe, isObject, parseObject, viaMetadata } from './json.ts';
import { parseZattrs } from '../metadata/parse.ts';
import type { JsonObject } from './json.ts';
import { isLegacySession, readLegacy } from './legacy.ts';
import { cacheFor, makeLevel } from './level.ts';
import { channelAxis, channelsFrom, normaliseOmero, parseMultiscale, sampleChannelRange } from './ome.ts';
import type { OmeroChannel } from './ome.ts';
import { openV2Array, join } from './zarr-v2.ts';
import type { OpenedArray } from './zarr-v2.ts';
import { openV3Array } from './zarr-v3.ts';

async function getObject(store: ReadableSessionStore, key: string, signal?: AbortSignal): Promise<JsonObject | undefined> {
  const b = await store.get(key, { signal });
  return b === undefined ? undefined : parseObject(b, key);
}

/** py2flamingo's 2D overview sessions carry `format_type` (`led_2d_overview`, `mip_overview`, §7.1). */
function isOverview(attrs: JsonObject): boolean {
  return typeof attrs.format_type === 'string';
}

/** Opens whatever Zarr image `store` holds, read-only. */
export async function openImage(store: ReadableSessionStore, options: OpenOptions = {}): Promise<ImageDescription> {
  const signal = options.signal;
  const warnings = new WarningSink(options.onWarning);
  const zgroupBytes = await store.get('.zgroup', { signal });
  const zattrs = await getObject(store, '.zattrs', signal);
  const zjson = zgroupBytes === undefined && zattrs === undefined ? await getObject(store, 'zarr.json', signal) : undefined;

  if (zgroupBytes !== undefined || zattrs !== undefined) {
    if (zgroupBytes !== undefined) {
      const zg = parseObject(zgroupBytes, '.zgroup');
      if (zg.zarr_format !== 2) throw new ReadError('bad-metadata', '.zgroup zarr_format', `.zgroup zarr_format is ${describe(zg.zarr_format)}; expected 2.`);
    }
    const attrs = zattrs ?? {};
    if (isObject(attrs.flamingo) && attrs.flamingo.format === SESSION_FORMAT) return readSession(store, attrs, warnings, options);
    if (isLegacySession(attrs)) return readLegacy(store, attrs, 2, '.zattrs', warnings, options);
    if (isOverview(attrs)) throw new ReadError('unsupported', '.zattrs format_type', `${store.description} is a py2flamingo 2D overview (format_type ${describe(attrs.format_type)}); py2flamingo 2D overview sessions are not supported.`);
    if ('ome' in attrs) throw new ReadError('unsupported', '.zattrs ome', `${store.description} .zattrs holds an "ome" key (OME-NGFF 0.5 metadata) in a Zarr v2 group; 0.5 metadata is only valid in Zarr v3 (zarr.json).`);
    if ('multiscales' in attrs) return readOme(store, attrs, '.zattrs', 'ome-ngff-0.4', warnings, options);
    if ((await store.get('.zarray', { signal })) !== undefined) throw new ReadError('not-recognised', '.zarray', `${store.description} is a bare Zarr v2 array, not an image group (no multiscales).`);
    if (zattrs === undefined) throw new ReadError('not-recognised', '.zattrs', `${store.description} is a Zarr v2 group without .zattrs, so it holds no image metadata.`);
    throw new ReadError('not-recognised', '.zattrs', `${store.description} is a Zarr v2 group whose .zattrs has none of "flamingo", "session_metadata" or "multiscales" (keys found: ${Object.keys(attrs).join(', ') || 'none'}).`);
  }

  if (zjson !== undefined) {
    if (zjson.zarr_format !== 3) throw new ReadError('bad-metadata', 'zarr.json zarr_format', `zarr.json zarr_format is ${describe(zjson.zarr_format)}; expected 3.`);
    if (zjson.node_type === 'array') throw new ReadError('not-recognised', 'zarr.json', `${store.description} is a bare Zarr v3 array, not an image group.`);
    if (zjson.node_type !== 'group') throw new ReadError('bad-metadata', 'zarr.json node_type', `zarr.json node_type is ${describe(zjson.node_type)}; expected "group".`);
    const attrs = zjson.attributes === undefined ? {} : zjson.attributes;
    if (!isObject(attrs)) throw new ReadError('bad-metadata', 'zarr.json attributes', `zarr.json attributes is ${describe(attrs)}; expected an object.`);
    if (isLegacySession(attrs)) return readLegacy(store, attrs, 3, 'zarr.json attributes', warnings, options);
    if (isOverview(attrs)) throw new ReadError('unsupported', 'zarr.json format_type', `${store.description} is a py2flamingo 2D overview (format_type ${describe(attrs.format_type)}); py2flamingo 2D overview sessions are not supported.`);
    if (isObject(attrs.ome)) return readOme05(store, attrs.ome, warnings, options);
    if ('multiscales' in attrs) throw new ReadError('unsupported', 'zarr.json attributes', `${store.description} is Zarr v3 with "multiscales" outside an "ome" key; OME-NGFF on Zarr v3 keeps its metadata under attributes.ome (0.5).`);
    throw new ReadError('not-recognised', 'zarr.json', `${store.description} is a Zarr v3 group whose attributes have neither "ome" nor "session_metadata" (keys found: ${Object.keys(attrs).join(', ') || 'none'}).`);
  }

  const keys = (await store.list()).slice(0, 6);
  if (keys.length === 0) throw new ReadError('not-found', '', `${store.description} is empty or missing; expected a Zarr folder with .zgroup/.zattrs or zarr.json.`);
  throw new ReadError('not-recognised', '', `${store.description} has no .zgroup, .zattrs or zarr.json at its root (found ${keys.join(', ')}${keys.length === 6 ? ', …' : ''}); it is not a Zarr image.`);
}

async function readSession(store: ReadableSessionStore, attrs: JsonObject, warnings: WarningSink, options: OpenOptions): Promise<ImageDescription> {
  let flamingo: FlamingoAttrs;
  try {
    const parsed = parseFlamingo(attrs.flamingo, options.appVersion === undefined ? {} : { appVersion: options.appVersion });
    flamingo = parsed.flamingo;
    for (const w of parsed.warnings) warnings.add('metadata', w, '.zattrs');
  } catch (err) {
    if (isMetadataError(err)) {
      throw new ReadError(err.code === 'newer-format' ? 'newer-format' : 'bad-metadata', err.path, err.message, { cause: err });
    }
    throw err;
  }
  const image = await readOme(store, attrs, '.zattrs', 'flamingo-session', warnings, options);
  checkConsistency(image, flamingo, warnings);
  return { ...image, flamingo, name: flamingo.name };
}

/** §4.8: omero wins over flamingo.channels; the scale wins over voxel_size_um; both warn. */
function checkConsistency(image: ImageDescription, f: FlamingoAttrs, warnings: WarningSink): void {
  image.channels.forEach((c, i) => {
    const fc = f.channels[i];
    if (!fc) return;
    const diff: string[] = [];
    if (fc.name !== c.name) diff.push('name');
    if (fc.color.toUpperCase() !== c.color) diff.push('color');
    if (fc.contrast[0] !== c.window.start || fc.contrast[1] !== c.window.end) diff.push('contrast');
    if (fc.visible !== c.visible) diff.push('visible');
    if (diff.length > 0) warnings.add('metadata', `flamingo.channels[${i}] differs from omero.channels[${i}] in ${diff.join(', ')}; the omero values are used (§4.8).`, '.zattrs');
  });
  const names = image.axes.map((a) => a.name);
  const s = image.levels[0]?.scale ?? [];
  const vs = f.voxel_size_um;
  for (const ax of ['z', 'y', 'x'] as const) {
    const k = names.indexOf(ax);
    if (k >= 0 && Math.abs(s[k]! - vs[ax]) > 1e-12 * Math.max(Math.abs(s[k]!), Math.abs(vs[ax]))) {
      warnings.add('metadata', `flamingo.voxel_size_um.${ax} is ${vs[ax]} but the level-0 scale is ${s[k]}; the scale is used (§4.8).`, '.zattrs');
    }
  }
}

async function levelsFrom(datasets: { path: string; scale: number[]; translation: number[] }[], axes: readonly AxisDescription[], open: (path: string) => Promise<OpenedArray & { dimensionNames?: (string | null)[] }>, file: string, warnings: WarningSink, options: OpenOptions): Promise<LevelDescription[]> {
  const levels: LevelDescription[] = [];
  const cache = cacheFor(options);
  for (const d of datasets) {
    const a = await open(d.path);
    if (a.shape.length !== axes.length) {
      throw new ReadError('bad-metadata', d.path, `Level "${d.path}" has ${a.shape.length} dimensions (shape [${a.shape.join(', ')}]) but ${file} declares ${axes.length} axes (${axes.map((x) => x.name).join(', ')}).`);
    }
    if (a.dimensionNames && a.dimensionNames.some((n, i) => n !== null && n !== axes[i]!.name)) {
      warnings.add('metadata', `Level "${d.path}" dimension_names [${a.dimensionNames.join(', ')}] differ from the axis names [${axes.map((x) => x.name).join(', ')}]; the axis names are used.`, d.path);
    }
    if (a.element.fromFloat64) warnings.add('converted', `Level "${d.path}" holds float64 data; it is read as float32.`, d.path);
    levels.push(makeLevel({ path: d.path, shape: a.shape, chunks: a.chunks, dtype: a.dtype, fillValue: a.fillValue, scale: d.scale, translation: d.translation, loader: a.loader, warnings, cache }));
  }
  return levels;
}

async function finish(source: ImageSource, store: ReadableSessionStore, name: string, axes: AxisDescription[], levels: LevelDescription[], omero: OmeroChannel[] | null, file: string, warnings: WarningSink, attrs: JsonObject, options: OpenOptions): Promise<ImageDescription> {
  const ci = channelAxis(axes);
  const level0 = levels[0]!;
  const count = ci >= 0 ? level0.shape[ci]! : 1;
  if (count > 4096) throw new ReadError('bad-metadata', file, `The channel axis has ${count} entries; this reader shows at most 4096 channels.`);
  const lowest = levels[levels.length - 1]!;
  const channels = await channelsFrom(omero, count, level0.dtype, file, warnings, (c) => sampleChannelRange(lowest, axes, c, options.signal));
  return { source, location: store.description, name, axes, levels, channels, warnings: warnings.list, attributes: attrs };
}

async function readOme(store: ReadableSessionStore, attrs: JsonObject, file: string, source: ImageSource, warnings: WarningSink, options: OpenOptions): Promise<ImageDescription> {
  const meta = viaMetadata(() => parseZattrs(attrs, file));
  for (const w of meta.warnings) warnings.add('metadata', w, file);
  const g = meta.multiscaleTransform;
  // Multiscale-level transforms apply after the per-dataset ones (§7.2).
  const datasets = meta.levels.map((l) => ({
    path: l.path,
    scale: g ? l.scale.map((s, k) => s * g.scale[k]!) : l.scale,
    translation: g ? l.translation.map((t, k) => t * g.scale[k]! + g.translation[k]!) : l.translation,
  }));
  const axes: AxisDescription[] = meta.axes.map((a) => ({ ...a }));
  const levels = await levelsFrom(datasets, axes, (p) => openV2Array(store, p, options.signal, options.zstd), file, warnings, options);
  const name = meta.name || meta.omero?.name || store.description;
  return finish(source, store, name, axes, levels, meta.omero?.channels ?? null, file, warnings, attrs, options);
}

async function readOme05(store: ReadableSessionStore, ome: JsonObject, warnings: WarningSink, options: OpenOptions): Promise<ImageDescription> {
  let base = '';
  let attrs = ome;
  let file = 'zarr.json attributes.ome';
  if (typeof ome.version === 'string' && ome.version !== '0.5') warnings.add('metadata', `zarr.json attributes.ome.version is "${ome.version}"; read as 0.5.`, 'zarr.json');
  if (ome.version === undefined) warnings.add('metadata', 'zarr.json attributes.ome.version is missing; read as 0.5.', 'zarr.json');
  if (!('multiscales' in ome) && 'bioformats2raw.layout' in ome) {
    const series = options.series ?? 0;
    base = String(series);
    const g = await getObject(store, join(base, 'zarr.json'), options.signal);
    if (!g) throw new ReadError('not-found', join(base, 'zarr.json'), `${store.description} is a bioformats2raw collection without series ${series} (${join(base, 'zarr.json')} is missing).`);
    const inner = isObject(g.attributes) ? g.attributes.ome : undefined;
    if (!isObject(inner)) throw new ReadError('bad-metadata', join(base, 'zarr.json'), `${join(base, 'zarr.json')} has no attributes.ome; expected the series' multiscales.`);
    attrs = inner;
    file = `${join(base, 'zarr.json')} attributes.ome`;
  }
  const ms = parseMultiscale(attrs, file, '0.5', warnings);
  const datasets = ms.datasets.map((d) => ({ ...d, path: join(base, d.path) }));
  const levels = await levelsFrom(datasets, ms.axes, (p) => openV3Array(store, p, options.signal, options.zstd), file, warnings, options);
  const name = ms.name || (isObject(attrs.omero) && typeof attrs.omero.name === 'string' ? attrs.omero.name : '') || store.description;
  return finish('ome-ngff-0.5', store, name, ms.axes, levels, normaliseOmero(attrs.omero, file, warnings), file, warnings, attrs, options);
}
