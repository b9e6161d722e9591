/**
 * Session geometry (spec §3.2–§3.6): from a small description (name, dtype, channels, level-0
 * shape, voxel size, world origin, pyramid setting) to every level's shape, scale and
 * translation. The writer builds one `SessionLayout` per session and hands it to the JSON
 * builders in `build.ts`.
 *
 * @example
 * const layout = sessionLayout({
 *   name: 'embryo-7 stack', shape: [2, 200, 1024, 768],
 *   voxel_size_um: { z: 2, y: 0.5, x: 0.5 }, world_origin_um: [19051, 6744.25, 6463.25],
 *   channels: [{ name: 'GFP', color: '00FF00', laser_nm: 488 }, { name: 'mCherry', color: 'FF00FF', laser_nm: 561 }],
 * });
 * layout.levels.map((l) => l.shape); // [[2,200,1024,768], [2,200,512,384], [2,200,256,192]]
 */

import { MetadataError } from './errors.ts';
import type {
  AxesLayout,
  AxisName,
  IlluminationSide,
  Reduction,
  SessionCompressor,
  SessionDtype,
  ZOrigin,
  Zyx,
} from './types.ts';

/** Chunk edge along z, y and x at every level (§3.3). */
export const CHUNK_EDGE = 64;
/** `levels: "auto"` keeps adding levels while y or x exceeds this (§3.5). */
export const AUTO_LEVEL_STOP = 256;
export const MAX_LEVELS = 16;
export const DEFAULT_COMPRESSOR: SessionCompressor = { id: 'zstd', level: 3 };

export interface ChannelInit {
  /** Non-empty, unique in the session (the omero `label`). */
  name: string;
  /** `RRGGBB`; a leading `#` and lower case are accepted and normalised. */
  color: string;
  laser_nm?: number | null;
  illumination_side?: IlluminationSide | null;
  /** Display range `[lo, hi]`; default: the dtype range for integers, `[0, 1]` for `<f4`. */
  contrast?: [number, number];
  visible?: boolean;
}

export interface SessionLayoutInit {
  /** The session name as typed (1–200 characters). */
  name: string;
  dtype?: SessionDtype;
  compressor?: SessionCompressor;
  /** Level-0 shape: `[c, z, y, x]` (CZYX) or `[t, c, z, y, x]` (TCZYX). */
  shape: readonly number[];
  /** Level-0 voxel size in µm. */
  voxel_size_um: { z: number; y: number; x: number };
  /** World coordinates (µm) of the centre of level-0 voxel (0,0,0), always absolute (§3.6). */
  world_origin_um: Zyx;
  /** `"session"` (default): z translation 0; `"stage"`: z translation = world z (§3.6). */
  z_origin?: ZOrigin;
  /** Scale of the t axis in seconds (default 1). */
  frame_interval_s?: number;
  /** `"auto"` (default) or an exact count 1–16 (§3.5). */
  levels?: 'auto' | number;
  reduction?: Reduction;
  channels: readonly ChannelInit[];
}

export interface LevelGeometry {
  /** `"0"`, `"1"`, … */
  path: string;
  shape: number[];
  /** Per axis, in axis order. */
  scale: number[];
  translation: number[];
}

export interface ResolvedChannel {
  name: string;
  color: string;
  laser_nm: number | null;
  illumination_side: IlluminationSide | null;
  contrast: [number, number];
  visible: boolean;
}

export interface SessionLayout {
  name: string;
  layout: AxesLayout;
  axes: AxisName[];
  dtype: SessionDtype;
  compressor: SessionCompressor;
  /** `[1, 64, 64, 64]` or `[1, 1, 64, 64, 64]`. */
  chunks: number[];
  reduction: Reduction;
  zOrigin: ZOrigin;
  voxelSizeUm: { z: number; y: number; x: number };
  worldOriginUm: Zyx;
  frameIntervalS: number;
  channels: ResolvedChannel[];
  levels: LevelGeometry[];
}

/** Data range of an integer dtype (`window.min/max`), or `undefined` for `<f4`. */
export function dtypeRange(dtype: SessionDtype): [number, number] | undefined {
  if (dtype === '<u2') return [0, 65535];
  if (dtype === '|u1') return [0, 255];
  return undefined;
}

/** Number of pyramid levels for a level-0 y × x plane (§3.5). */
export function levelCount(y: number, x: number, levels: 'auto' | number = 'auto'): number {
  let n = 1;
  if (levels === 'auto') {
    while (y > AUTO_LEVEL_STOP || x > AUTO_LEVEL_STOP) {
      y = Math.ceil(y / 2);
      x = Math.ceil(x / 2);
      n++;
    }
    return n;
  }
  while (n < levels && (y > 1 || x > 1)) {
    y = Math.ceil(y / 2);
    x = Math.ceil(x / 2);
    n++;
  }
  return n;
}

/** Shapes of every level: y and x halved (rounded up) per level, other axes kept (§3.5). */
export function levelShapes(shape0: readonly number[], count: number): number[][] {
  const out: number[][] = [[...shape0]];
  for (let l = 1; l < count; l++) {
    const prev = out[l - 1] as number[];
    const next = [...prev];
    next[next.length - 1] = Math.ceil((prev[prev.length - 1] as number) / 2);
    next[next.length - 2] = Math.ceil((prev[prev.length - 2] as number) / 2);
    out.push(next);
  }
  return out;
}

/**
 * Level-0 origin of a grid centred on a world point: `T = centre − (n − 1)/2 · s` per axis
 * (§3.6, `g` for a grid centred on the stage reference). `shapeZyx` is the level-0 z, y, x size.
 */
export function centredOrigin(centreUm: Zyx, shapeZyx: Zyx, voxel: { z: number; y: number; x: number }): Zyx {
  return [
    centreUm[0] - ((shapeZyx[0] - 1) / 2) * voxel.z,
    centreUm[1] - ((shapeZyx[1] - 1) / 2) * voxel.y,
    centreUm[2] - ((shapeZyx[2] - 1) / 2) * voxel.x,
  ];
}

/** The session folder name of §3.1: `<safe-name>.ome.zarr`. */
export function sessionFolderName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.ome.zarr`;
}

function bad(path: string, message: string): MetadataError {
  return new MetadataError('bad-layout', path, message);
}

function positive(v: number, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(path, `Session layout ${path} is ${String(v)}; expected a finite number > 0.`);
  return v;
}

function finite(v: number, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, `Session layout ${path} is ${String(v)}; expected a finite number.`);
  return v;
}

export function normaliseColor(color: string, path = 'color'): string {
  const c = color.startsWith('#') ? color.slice(1) : color;
  if (!/^[0-9A-Fa-f]{6}$/.test(c)) throw bad(path, `Session layout ${path} is ${JSON.stringify(color)}; expected 6 hexadecimal digits RRGGBB.`);
  return c.toUpperCase();
}

function checkCompressor(c: SessionCompressor): SessionCompressor {
  if (c.id === 'zstd') {
    if (!Number.isInteger(c.level) || c.level < 1 || c.level > 22) throw bad('compressor.level', `Session layout compressor.level is ${String(c.level)}; expected an integer 1–22.`);
    return { id: 'zstd', level: c.level };
  }
  if (c.id === 'blosc') {
    if (c.cname !== 'zstd') throw bad('compressor.cname', `Session layout compressor.cname is ${JSON.stringify(c.cname)}; expected "zstd".`);
    if (!Number.isInteger(c.clevel) || c.clevel < 1 || c.clevel > 9) throw bad('compressor.clevel', `Session layout compressor.clevel is ${String(c.clevel)}; expected an integer 1–9.`);
    if (c.shuffle !== 1 && c.shuffle !== 2) throw bad('compressor.shuffle', `Session layout compressor.shuffle is ${String(c.shuffle)}; expected 1 or 2.`);
    return { id: 'blosc', cname: 'zstd', clevel: c.clevel, shuffle: c.shuffle, blocksize: 0 };
  }
  throw bad('compressor.id', `Session layout compressor.id is ${JSON.stringify((c as { id: unknown }).id)}; expected "zstd" or "blosc".`);
}

/** Builds and checks a session's geometry; throws `MetadataError` (`bad-layout`) naming the field. */
export function sessionLayout(init: SessionLayoutInit): SessionLayout {
  const name = init.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 200) throw bad('name', `Session layout name ${JSON.stringify(name)} must be 1–200 characters.`);
  const dtype = init.dtype ?? '<u2';
  if (dtype !== '<u2' && dtype !== '|u1' && dtype !== '<f4') throw bad('dtype', `Session layout dtype ${JSON.stringify(dtype)} is not "<u2", "|u1" or "<f4".`);
  const compressor = checkCompressor(init.compressor ?? DEFAULT_COMPRESSOR);
  const shape0 = [...init.shape];
  if (shape0.length !== 4 && shape0.length !== 5) throw bad('shape', `Session layout shape has ${shape0.length} axes; expected 4 (c, z, y, x) or 5 (t, c, z, y, x).`);
  shape0.forEach((n, i) => {
    if (!Number.isSafeInteger(n) || n < 1) throw bad(`shape[${i}]`, `Session layout shape[${i}] is ${String(n)}; expected an integer ≥ 1.`);
  });
  const layout: AxesLayout = shape0.length === 5 ? 'TCZYX' : 'CZYX';
  const axes: AxisName[] = layout === 'TCZYX' ? ['t', 'c', 'z', 'y', 'x'] : ['c', 'z', 'y', 'x'];
  const cIndex = axes.indexOf('c');
  if (init.channels.length !== shape0[cIndex]) {
    throw bad('channels', `Session layout has ${init.channels.length} channels but the c axis has size ${String(shape0[cIndex])}.`);
  }
  const voxel = {
    z: positive(init.voxel_size_um.z, 'voxel_size_um.z'),
    y: positive(init.voxel_size_um.y, 'voxel_size_um.y'),
    x: positive(init.voxel_size_um.x, 'voxel_size_um.x'),
  };
  const origin: Zyx = [
    finite(init.world_origin_um[0], 'world_origin_um[0]'),
    finite(init.world_origin_um[1], 'world_origin_um[1]'),
    finite(init.world_origin_um[2], 'world_origin_um[2]'),
  ];
  const zOrigin = init.z_origin ?? 'session';
  if (zOrigin !== 'session' && zOrigin !== 'stage') throw bad('z_origin', `Session layout z_origin ${JSON.stringify(zOrigin)} is not "session" or "stage".`);
  const frameIntervalS = positive(init.frame_interval_s ?? 1, 'frame_interval_s');
  const reduction = init.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'max') throw bad('reduction', `Session layout reduction ${JSON.stringify(reduction)} is not "mean" or "max".`);
  const levelsSetting = init.levels ?? 'auto';
  if (levelsSetting !== 'auto' && (!Number.isInteger(levelsSetting) || levelsSetting < 1 || levelsSetting > MAX_LEVELS)) {
    throw bad('levels', `Session layout levels ${String(levelsSetting)} is not "auto" or an integer 1–${MAX_LEVELS}.`);
  }

  const range = dtypeRange(dtype);
  const seen = new Set<string>();
  const channels = init.channels.map((ch, i): ResolvedChannel => {
    if (typeof ch.name !== 'string' || ch.name === '') throw bad(`channels[${i}].name`, `Session layout channels[${i}].name is empty.`);
    if (seen.has(ch.name)) throw bad(`channels[${i}].name`, `Session layout channel name ${JSON.stringify(ch.name)} is used twice.`);
    seen.add(ch.name);
    const contrast = ch.contrast ?? (range ? [range[0], range[1]] : [0, 1]);
    finite(contrast[0], `channels[${i}].contrast[0]`);
    finite(contrast[1], `channels[${i}].contrast[1]`);
    if (!(contrast[0] < contrast[1])) throw bad(`channels[${i}].contrast`, `Session layout channels[${i}].contrast [${contrast.join(', ')}] must have lo < hi.`);
    return {
      name: ch.name,
      color: normaliseColor(ch.color, `channels[${i}].color`),
      laser_nm: ch.laser_nm ?? null,
      illumination_side: ch.illumination_side ?? null,
      contrast: [contrast[0], contrast[1]],
      visible: ch.visible ?? true,
    };
  });

  const y0 = shape0[shape0.length - 2] as number;
  const x0 = shape0[shape0.length - 1] as number;
  const count = levelCount(y0, x0, levelsSetting);
  const shapes = levelShapes(shape0, count);
  const levels = shapes.map((shape, l): LevelGeometry => {
    const f = 2 ** l;
    const scale: number[] = [];
    const translation: number[] = [];
    for (const a of axes) {
      switch (a) {
        case 't':
          scale.push(frameIntervalS);
          translation.push(0);
          break;
        case 'c':
          scale.push(1);
          translation.push(0);
          break;
        case 'z':
          scale.push(voxel.z);
          translation.push(zOrigin === 'stage' ? origin[0] : 0);
          break;
        case 'y':
          scale.push(f * voxel.y);
          translation.push(origin[1] + ((f - 1) / 2) * voxel.y);
          break;
        case 'x':
          scale.push(f * voxel.x);
          translation.push(origin[2] + ((f - 1) / 2) * voxel.x);
          break;
      }
    }
    return { path: String(l), shape, scale, translation };
  });

  return {
    name,
    layout,
    axes,
    dtype,
    compressor,
    chunks: layout === 'TCZYX' ? [1, 1, CHUNK_EDGE, CHUNK_EDGE, CHUNK_EDGE] : [1, CHUNK_EDGE, CHUNK_EDGE, CHUNK_EDGE],
    reduction,
    zOrigin,
    voxelSizeUm: voxel,
    worldOriginUm: origin,
    frameIntervalS,
    channels,
    levels,
  };
}
