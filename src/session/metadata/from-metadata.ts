/**
 * From a session's stored metadata back to the model: `.zattrs` and `0/.zarray` → the
 * `SessionLayout` that would write them and the `flamingo` state (after the version gate).
 * Used to reopen a session (rewrite metadata, resume, round-trip tests). Throws a
 * `MetadataError` naming the file and path when the metadata are not a session's.
 *
 * @example
 * const { layout, flamingo } = sessionFromMetadata(await store.get('.zattrs'), await store.get('0/.zarray'));
 * await store.set('.zattrs', zattrsBytes(layout, { ...flamingo, updated: now }));
 */

import { MetadataError } from './errors.ts';
import { parseFlamingo } from './flamingo.ts';
import { closeTo } from './json.ts';
import { sessionLayout } from './layout.ts';
import type { SessionLayout } from './layout.ts';
import { parseZarray, parseZattrs } from './parse.ts';
import type { FlamingoAttrs, Reduction, SessionCompressor, SessionDtype } from './types.ts';

export interface SessionFromMetadata {
  layout: SessionLayout;
  flamingo: FlamingoAttrs;
  warnings: string[];
}

function bad(path: string, message: string): MetadataError {
  return new MetadataError('bad-value', path, `${path} ${message}`);
}

/**
 * Rebuilds the layout and reads the `flamingo` key of a session (bytes, text or parsed JSON).
 * The rebuilt layout reproduces every level's scale and translation as stored (checked with a
 * relative tolerance of 1e-12).
 */
export function sessionFromMetadata(zattrsInput: unknown, zarray0Input: unknown, options: { appVersion?: string } = {}): SessionFromMetadata {
  const img = parseZattrs(zattrsInput);
  const z0 = parseZarray(zarray0Input, '0/.zarray');
  if (img.flamingo === undefined) throw new MetadataError('not-a-session', '.zattrs flamingo', '.zattrs flamingo is missing; this is an OME-NGFF image, not a flamingo-viv session.');
  const { flamingo, warnings } = parseFlamingo(img.flamingo, options);
  const names = img.axes.map((a) => a.name).join('');
  if (names !== 'czyx' && names !== 'tczyx') throw bad('.zattrs multiscales[0].axes', `are ${names.split('').join(', ')}; a session has c, z, y, x or t, c, z, y, x.`);
  if (z0.shape.length !== img.axes.length) throw bad('0/.zarray shape', `has ${z0.shape.length} axes; .zattrs has ${img.axes.length}.`);
  const dtype = z0.dtype.dtype;
  if (dtype !== '<u2' && dtype !== '|u1' && dtype !== '<f4') throw bad('0/.zarray dtype', `is ${JSON.stringify(dtype)}; a session holds "<u2", "|u1" or "<f4".`);
  const comp = z0.compressor;
  let compressor: SessionCompressor;
  if (comp?.id === 'zstd' && typeof comp.level === 'number') compressor = { id: 'zstd', level: comp.level };
  else if (comp?.id === 'blosc' && comp.cname === 'zstd' && typeof comp.clevel === 'number' && (comp.shuffle === 1 || comp.shuffle === 2)) {
    compressor = { id: 'blosc', cname: 'zstd', clevel: comp.clevel, shuffle: comp.shuffle, blocksize: 0 };
  } else throw bad('0/.zarray compressor', `is ${JSON.stringify(comp)}; a session uses zstd or blosc-zstd.`);
  const type = img.type;
  if (type !== 'mean' && type !== 'max') throw bad('.zattrs multiscales[0].type', `is ${JSON.stringify(type)}; expected "mean" or "max".`);
  const level0 = img.levels[0];
  if (!level0) throw bad('.zattrs multiscales[0].datasets', 'is empty.');
  const nd = img.axes.length;
  const layout = sessionLayout({
    name: flamingo.name,
    dtype: dtype as SessionDtype,
    compressor,
    shape: z0.shape,
    voxel_size_um: { z: level0.scale[nd - 3] as number, y: level0.scale[nd - 2] as number, x: level0.scale[nd - 1] as number },
    world_origin_um: flamingo.world_origin_um,
    z_origin: flamingo.z_origin,
    frame_interval_s: nd === 5 ? level0.scale[0] : undefined,
    levels: img.levels.length,
    reduction: type as Reduction,
    channels: flamingo.channels.map((c) => ({
      name: c.name,
      color: c.color,
      laser_nm: c.laser_nm,
      illumination_side: c.illumination_side,
      contrast: c.contrast,
      visible: c.visible,
    })),
  });
  if (layout.levels.length !== img.levels.length) {
    throw bad('.zattrs multiscales[0].datasets', `lists ${img.levels.length} levels but a ${z0.shape.slice(-2).join(' × ')} plane has only ${layout.levels.length}.`);
  }
  layout.levels.forEach((l, i) => {
    const stored = img.levels[i];
    if (!stored) return;
    l.scale.forEach((s, j) => {
      if (!closeTo(s, stored.scale[j] as number)) throw bad(`.zattrs multiscales[0].datasets[${i}]`, `scale[${j}] is ${String(stored.scale[j])}; the session geometry gives ${s}.`);
    });
    l.translation.forEach((t, j) => {
      if (!closeTo(t, stored.translation[j] as number)) throw bad(`.zattrs multiscales[0].datasets[${i}]`, `translation[${j}] is ${String(stored.translation[j])}; the session geometry gives ${t}.`);
    });
  });
  return { layout, flamingo, warnings: [...img.warnings, ...warnings] };
}
