/**
 * TIFF files as test data (spec §7.5), decoded with `geotiff`: OME-TIFF (dimensions, voxel size,
 * channel names and colours from the OME-XML of the first IFD; planes located by `TiffData` or
 * by `DimensionOrder`) and plain multi-page TIFF (pages are z planes; an ImageJ description's
 * hyperstack order and spacing are honoured). Opened as CZYX (TCZYX with several timepoints).
 *
 * The IFD chain is walked here first, so a bad or looping IFD offset is refused with a message
 * instead of reaching the decoder.
 *
 * @example
 * const image = await readTiff(bytes, 'stack.ome.tif');
 */

import { fromArrayBuffer } from 'geotiff';
import type { GeoTIFFImage } from 'geotiff';
import type { AxisDescription, ChannelDescription, DataType, ImageDescription, OpenOptions, PixelArray } from './description.ts';
import { ReadError, WarningSink } from './description.ts';
import { allocate } from './elements.ts';
import { ChunkDecodeError, cacheFor, makeLevel } from './level.ts';
import { channelsFrom, sampleChannelRange } from './ome.ts';

const MAX_IFDS = 1_000_000;

const COMPRESSIONS: Record<number, string> = { 1: 'none', 5: 'LZW', 8: 'Deflate', 32946: 'Deflate', 32773: 'PackBits' };
const OTHER_COMPRESSIONS: Record<number, string> = { 2: 'CCITT RLE', 3: 'CCITT G3', 4: 'CCITT G4', 6: 'old JPEG', 7: 'JPEG', 34887: 'LERC', 34712: 'JPEG 2000', 50000: 'Zstandard', 50001: 'WebP' };

/** Offsets of the IFDs in the main chain, checked against the file size and for loops. */
export function walkIfds(b: Uint8Array, file: string): number[] {
  if (b.length < 8) throw new ReadError('bad-file', file, `${file} is ${b.length} bytes, too short for a TIFF header.`);
  const order = String.fromCharCode(b[0]!, b[1]!);
  if (order !== 'II' && order !== 'MM') throw new ReadError('bad-file', file, `${file} does not start with a TIFF byte-order mark ("II" or "MM").`);
  const le = order === 'II';
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const magic = dv.getUint16(2, le);
  let big: boolean;
  let off: number;
  if (magic === 42) {
    big = false;
    off = dv.getUint32(4, le);
  } else if (magic === 43) {
    if (b.length < 16) throw new ReadError('bad-file', file, `${file} is too short for a BigTIFF header.`);
    big = true;
    off = Number(dv.getBigUint64(8, le));
  } else {
    throw new ReadError('bad-file', file, `${file} has TIFF version ${magic}; expected 42 (TIFF) or 43 (BigTIFF).`);
  }
  const seen = new Set<number>();
  const out: number[] = [];
  while (off !== 0) {
    const k = out.length;
    const head = big ? 8 : 2;
    if (off < 8 || off + head > b.length) throw new ReadError('bad-file', file, `${file} IFD ${k} is at offset ${off}, outside the file's ${b.length} bytes.`);
    if (seen.has(off)) throw new ReadError('bad-file', file, `${file} IFD chain loops back to offset ${off} after ${k} IFDs.`);
    if (k >= MAX_IFDS) throw new ReadError('bad-file', file, `${file} has more than ${MAX_IFDS} IFDs.`);
    seen.add(off);
    out.push(off);
    const n = big ? Number(dv.getBigUint64(off, le)) : dv.getUint16(off, le);
    const entry = big ? 20 : 12;
    const next = off + head + n * entry;
    if (n === 0 || next + (big ? 8 : 4) > b.length) throw new ReadError('bad-file', file, `${file} IFD ${k} at offset ${off} declares ${n} entries, which do not fit in the file.`);
    off = big ? Number(dv.getBigUint64(next, le)) : dv.getUint32(next, le);
  }
  if (out.length === 0) throw new ReadError('bad-file', file, `${file} has no image (its first IFD offset is 0).`);
  return out;
}

interface PageInfo {
  width: number;
  height: number;
  dtype: DataType;
  bits: number;
  format: number;
  reduced: boolean;
}

function pageInfo(im: GeoTIFFImage, k: number, file: string): PageInfo {
  const fd = im.fileDirectory as Record<string, unknown>;
  const width = im.getWidth();
  const height = im.getHeight();
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new ReadError('bad-file', file, `${file} page ${k} is ${width} × ${height} pixels.`);
  const spp = im.getSamplesPerPixel();
  if (spp !== 1) throw new ReadError('unsupported', file, `${file} page ${k} has ${spp} samples per pixel; this reader reads one sample per pixel (grey levels).`);
  const bitsArr = fd.BitsPerSample as ArrayLike<number> | undefined;
  const bits = bitsArr?.[0] ?? 1;
  const fmtArr = fd.SampleFormat as ArrayLike<number> | undefined;
  const format = fmtArr?.[0] ?? 1;
  const comp = (fd.Compression as number | undefined) ?? 1;
  if (!(comp in COMPRESSIONS)) {
    const name = OTHER_COMPRESSIONS[comp];
    throw new ReadError('unsupported', file, `${file} page ${k} uses compression ${name ? `${name} (${comp})` : comp}; this reader reads none, LZW, Deflate and PackBits.`);
  }
  let dtype: DataType;
  if (format === 1 && bits === 8) dtype = 'uint8';
  else if (format === 1 && bits === 16) dtype = 'uint16';
  else if (format === 3 && bits === 32) dtype = 'float32';
  else throw new ReadError('unknown-dtype', file, `${file} page ${k} holds ${bits}-bit ${format === 1 ? 'unsigned' : format === 2 ? 'signed' : format === 3 ? 'floating-point' : `format-${format}`} samples; this reader reads uint8, uint16 and float32.`);
  const sub = (fd.NewSubfileType as number | undefined) ?? 0;
  return { width, height, dtype, bits, format, reduced: (sub & 1) === 1 };
}

/** Attributes of XML start tags named `tag` (namespace prefixes ignored). */
function tags(xml: string, tag: string): Record<string, string>[] {
  const re = new RegExp(`<(?:[A-Za-z0-9_]+:)?${tag}(\\s[^>]*?)?\\/?>`, 'g');
  const out: Record<string, string>[] = [];
  for (const m of xml.matchAll(re)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = a[3] ?? a[4] ?? '';
    out.push(attrs);
  }
  return out;
}

function toMicrometres(v: number, unit: string | undefined): number {
  switch (unit ?? 'µm') {
    case 'nm':
      return v / 1000;
    case 'mm':
      return v * 1000;
    case 'cm':
      return v * 1e4;
    case 'm':
      return v * 1e6;
    case 'Å':
      return v / 1e4;
    default:
      return v;
  }
}

interface Layout {
  T: number;
  C: number;
  Z: number;
  /** IFD index of plane (t, c, z), or -1 when the plane is absent. */
  ifdOf: (t: number, c: number, z: number) => number;
  voxel: [number, number, number];
  voxelKnown: boolean;
  interval: number;
  names?: (string | undefined)[];
  colors?: (string | undefined)[];
  ome: boolean;
}

function omeLayout(xml: string, pages: number, file: string): Layout {
  if (/<(?:[A-Za-z0-9_]+:)?UUID[^>]*FileName\s*=/.test(xml)) {
    throw new ReadError('unsupported', file, `${file} is a multi-file OME-TIFF (its TiffData refer to other files); open a single-file OME-TIFF.`);
  }
  const px = tags(xml, 'Pixels')[0];
  if (!px) throw new ReadError('bad-file', file, `${file} has OME-XML without an Image/Pixels element.`);
  const int = (k: string): number => {
    const v = Number(px[k] ?? '1');
    if (!Number.isInteger(v) || v < 1) throw new ReadError('bad-file', file, `${file} OME-XML Pixels ${k} is ${JSON.stringify(px[k])}; expected a positive integer.`);
    return v;
  };
  const Z = int('SizeZ');
  const C = int('SizeC');
  const T = int('SizeT');
  const order = px.DimensionOrder ?? 'XYZCT';
  if (!/^XY(ZCT|ZTC|CZT|CTZ|TZC|TCZ)$/.test(order)) throw new ReadError('bad-file', file, `${file} OME-XML DimensionOrder is ${JSON.stringify(order)}; expected XY followed by Z, C and T.`);
  const sizes: Record<string, number> = { Z, C, T };
  const planeIndex = (z: number, c: number, t: number): number => {
    const pos: Record<string, number> = { Z: z, C: c, T: t };
    let idx = 0;
    for (const d of order.slice(2).split('').reverse()) idx = idx * sizes[d]! + pos[d]!;
    return idx;
  };
  const planes = Z * C * T;
  if (planes > pages) throw new ReadError('bad-file', file, `${file} OME-XML declares SizeZ ${Z} × SizeC ${C} × SizeT ${T} = ${planes} planes but the file has ${pages} full-resolution pages.`);
  const map = new Int32Array(planes).fill(-1);
  const tds = tags(xml, 'TiffData');
  if (tds.length === 0) {
    for (let p = 0; p < Math.min(planes, pages); p++) map[p] = p;
  } else {
    for (const td of tds) {
      const ifd = Number(td.IFD ?? '0');
      const p0 = planeIndex(Number(td.FirstZ ?? '0'), Number(td.FirstC ?? '0'), Number(td.FirstT ?? '0'));
      const count = td.PlaneCount !== undefined ? Number(td.PlaneCount) : td.IFD === undefined && tds.length === 1 ? planes : 1;
      if (![ifd, p0, count].every((v) => Number.isInteger(v) && v >= 0)) throw new ReadError('bad-file', file, `${file} OME-XML TiffData ${JSON.stringify(td)} has a non-integer or negative value.`);
      for (let k = 0; k < count && p0 + k < planes; k++) map[p0 + k] = ifd + k < pages ? ifd + k : -1;
    }
  }
  const size = (k: string): number | undefined => {
    const v = px[k] === undefined ? NaN : Number(px[k]);
    return Number.isFinite(v) && v > 0 ? toMicrometres(v, px[`${k}Unit`]) : undefined;
  };
  const sx = size('PhysicalSizeX');
  const sy = size('PhysicalSizeY');
  const sz = size('PhysicalSizeZ');
  const ti = Number(px.TimeIncrement ?? NaN);
  const interval = Number.isFinite(ti) && ti > 0 ? (px.TimeIncrementUnit === 'ms' ? ti / 1000 : ti) : 1;
  const channels = tags(xml, 'Channel');
  const names = channels.map((c) => c.Name);
  const colors = channels.map((c) => {
    const v = c.Color === undefined ? NaN : Number(c.Color);
    return Number.isInteger(v) ? ((v >>> 8) & 0xffffff).toString(16).toUpperCase().padStart(6, '0') : undefined;
  });
  return { T, C, Z, ifdOf: (t, c, z) => map[planeIndex(z, c, t)]!, voxel: [sz ?? 1, sy ?? 1, sx ?? 1], voxelKnown: sx !== undefined && sy !== undefined, interval, names, colors, ome: true };
}

function rational(v: unknown): number | undefined {
  const a = v as ArrayLike<number> | undefined;
  if (!a || a.length < 2 || !a[1]) return undefined;
  const r = a[0]! / a[1]!;
  return Number.isFinite(r) && r > 0 ? r : undefined;
}

function plainLayout(description: string | undefined, fd: Record<string, unknown>, pages: number, warnings: WarningSink, file: string): Layout {
  let C = 1;
  let Z = pages;
  let T = 1;
  let spacing: number | undefined;
  let micron = false;
  if (description?.startsWith('ImageJ=')) {
    const kv = Object.fromEntries(description.split('\n').map((l) => l.split('=')).filter((p) => p.length >= 2).map((p) => [p[0]!.trim(), p.slice(1).join('=').trim()]));
    const num = (k: string): number | undefined => (kv[k] === undefined ? undefined : Number(kv[k]));
    const c = num('channels') ?? 1;
    const z = num('slices') ?? 1;
    const t = num('frames') ?? 1;
    if ([c, z, t].every((v) => Number.isInteger(v) && v >= 1) && c * z * t === pages) {
      C = c;
      Z = z;
      T = t;
    } else {
      warnings.add('metadata', `${file} ImageJ description says channels=${kv.channels ?? 1}, slices=${kv.slices ?? 1}, frames=${kv.frames ?? 1} for ${pages} pages; the pages are read as z planes.`, file);
    }
    const sp = num('spacing');
    if (sp !== undefined && Number.isFinite(sp) && sp > 0) spacing = sp;
    micron = ['micron', 'um', 'µm', '\\u00B5m'].includes(kv.unit ?? '');
  }
  const xr = rational(fd.XResolution);
  const yr = rational(fd.YResolution);
  const unit = fd.ResolutionUnit as number | undefined;
  let sx: number | undefined;
  let sy: number | undefined;
  if (xr !== undefined && yr !== undefined && unit === 3) {
    sx = 10000 / xr;
    sy = 10000 / yr;
  } else if (xr !== undefined && yr !== undefined && micron) {
    sx = 1 / xr;
    sy = 1 / yr;
  }
  const known = sx !== undefined && sy !== undefined;
  return { T, C, Z, ifdOf: (t, c, z) => (t * Z + z) * C + c, voxel: [spacing ?? (known ? Math.min(sx!, sy!) : 1), sy ?? 1, sx ?? 1], voxelKnown: known, interval: 1, ome: false };
}

/** Reads a whole TIFF file held in memory. */
export async function readTiff(bytes: Uint8Array, file: string, options: OpenOptions = {}): Promise<ImageDescription> {
  const warnings = new WarningSink(options.onWarning);
  const ifds = walkIfds(bytes, file);
  let images: GeoTIFFImage[];
  let infos: PageInfo[];
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const tiff = await fromArrayBuffer(buffer, options.signal);
    images = [];
    for (let k = 0; k < ifds.length; k++) images.push(await tiff.getImage(k));
    infos = images.map((im, k) => pageInfo(im, k, file));
  } catch (err) {
    if (err instanceof ReadError) throw err;
    options.signal?.throwIfAborted();
    const why = err instanceof Error ? err.message : String(err);
    throw new ReadError('bad-file', file, `${file} has a TIFF structure geotiff cannot read (${why}).`, { cause: err });
  }
  const fd0 = images[0]!.fileDirectory as Record<string, unknown>;
  const description = typeof fd0.ImageDescription === 'string' ? fd0.ImageDescription : undefined;
  const isOme = description !== undefined && /<(?:[A-Za-z0-9_]+:)?OME[\s>]/.test(description);
  // Pyramidal files: full-resolution pages only.
  const full = infos.map((p, k) => ({ p, k })).filter(({ p }) => !p.reduced);
  const layout = isOme ? omeLayout(description!, full.length, file) : plainLayout(description, fd0, full.length, warnings, file);
  const first = full[0]!.p;
  if (!isOme) {
    full.forEach(({ p, k }) => {
      if (p.width !== first.width || p.height !== first.height || p.dtype !== first.dtype) {
        throw new ReadError('bad-file', file, `${file} page ${k} is ${p.width} × ${p.height} ${p.dtype} but page 0 is ${first.width} × ${first.height} ${first.dtype}; all pages must match.`);
      }
    });
  }
  if (!layout.voxelKnown) warnings.add('unknown-size', `${file} gives no pixel size; 1 µm is assumed.`, file);
  const { T, C, Z } = layout;
  const Y = first.height;
  const X = first.width;
  const timed = T > 1;
  const shape = timed ? [T, C, Z, Y, X] : [C, Z, Y, X];
  const names = timed ? ['t', 'c', 'z', 'y', 'x'] : ['c', 'z', 'y', 'x'];
  const axes: AxisDescription[] = names.map((a) => (a === 'c' ? { name: a, type: 'channel' } : a === 't' ? { name: a, type: 'time', unit: 'second' } : { name: a, type: 'space', unit: 'micrometer' }));
  const pageOf = (index: readonly number[]): number => {
    const [t, c, z] = timed ? [index[0]!, index[1]!, index[2]!] : [0, index[0]!, index[1]!];
    const i = layout.ifdOf(t, c, z);
    return i < 0 || i >= full.length ? -1 : full[i]!.k;
  };
  const level = makeLevel({
    path: file,
    shape,
    chunks: [...new Array<number>(shape.length - 2).fill(1), Y, X],
    dtype: first.dtype,
    fillValue: 0,
    scale: timed ? [layout.interval, 1, ...layout.voxel] : [1, ...layout.voxel],
    translation: new Array<number>(shape.length).fill(0),
    warnings,
    cache: cacheFor(options),
    loader: {
      keyOf: (index) => `${file} page ${pageOf(index)}`,
      async load(index, signal): Promise<PixelArray | undefined> {
        const k = pageOf(index);
        if (k < 0) return undefined;
        const info = infos[k]!;
        if (info.width !== X || info.height !== Y || info.dtype !== first.dtype) throw new ChunkDecodeError(`Page ${k} is ${info.width} × ${info.height} ${info.dtype}, not ${X} × ${Y} ${first.dtype}.`);
        let raster: ArrayLike<number>;
        try {
          const r = (await images[k]!.readRasters({ interleave: false, samples: [0], ...(signal ? { signal } : {}) })) as unknown as ArrayLike<number>[];
          raster = r[0]!;
        } catch (err) {
          signal?.throwIfAborted();
          throw new ChunkDecodeError(`Page ${k} cannot be decoded (${err instanceof Error ? err.message : String(err)}).`, { cause: err });
        }
        if (raster.length !== X * Y) throw new ChunkDecodeError(`Page ${k} decodes to ${raster.length} pixels; expected ${X * Y}.`);
        const out = allocate(first.dtype, X * Y);
        out.set(raster as ArrayLike<number>);
        return out;
      },
    },
  });
  let channels: ChannelDescription[] = await channelsFrom(null, C, first.dtype, file, warnings, (c) => sampleChannelRange(level, axes, c, options.signal));
  if (layout.ome) {
    channels = channels.map((ch, i) => ({ ...ch, name: layout.names?.[i] || ch.name, color: layout.colors?.[i] ?? ch.color }));
  }
  return { source: isOme ? 'ome-tiff' : 'tiff', location: file, name: file.replace(/^.*[\\/]/, '').replace(/(\.ome)?\.tiff?$/i, ''), axes, levels: [level], channels, warnings: warnings.list };
}
