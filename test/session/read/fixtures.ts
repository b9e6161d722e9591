/**
 * Fixture builders for reader tests: Zarr v3 / OME-NGFF 0.5 images written by hand (zarr.json
 * files and chunks encoded here), flamingo-viv sessions made from the reference sample, and
 * py2flamingo v3 sessions.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Blosc from 'numcodecs/blosc';
import Zstd from 'numcodecs/zstd';
import { GZip } from 'numcodecs';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';
import { REFERENCE, json } from './helpers.ts';

/** crc32c written independently of the reader's (bitwise, no table). */
export function crc32cSlow(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of b) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export type V3Codec = { name: string; configuration?: Record<string, unknown> };

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Encodes one chunk (C order values of `shape`) through a v3 codec list (no sharding). */
export async function encodeV3(values: ArrayLike<number>, shape: number[], codecs: V3Codec[]): Promise<Uint8Array> {
  let data = Array.from(values);
  let cur = shape.slice();
  let bytes: Uint8Array | undefined;
  for (const c of codecs) {
    const conf = c.configuration ?? {};
    if (c.name === 'transpose') {
      const order = conf.order as number[];
      const enc = order.map((o) => cur[o]!);
      const out = new Array<number>(data.length);
      const ds = strides(cur);
      const es = strides(enc);
      for (let k = 0; k < data.length; k++) {
        // k is an encoded index; find its decoded index
        let rem = k;
        let src = 0;
        for (let i = 0; i < enc.length; i++) {
          const e = Math.floor(rem / es[i]!);
          rem -= e * es[i]!;
          src += e * ds[order[i]!]!;
        }
        out[k] = data[src]!;
      }
      data = out;
      cur = enc;
    } else if (c.name === 'bytes') {
      const le = (conf.endian ?? 'little') === 'little';
      bytes = new Uint8Array(data.length * 2);
      const dv = new DataView(bytes.buffer);
      data.forEach((v, k) => dv.setUint16(k * 2, v, le));
    } else if (c.name === 'zstd') {
      bytes = await Zstd.fromConfig({ id: 'zstd', level: 3 }).encode(bytes!);
    } else if (c.name === 'gzip') {
      bytes = await GZip.fromConfig({ id: 'gzip', level: 1 }).encode(bytes!);
    } else if (c.name === 'blosc') {
      bytes = await Blosc.fromConfig({ id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 2 }).encode(bytes!);
    } else if (c.name === 'crc32c') {
      const out = new Uint8Array(bytes!.length + 4);
      out.set(bytes!);
      new DataView(out.buffer).setUint32(bytes!.length, crc32cSlow(bytes!), true);
      bytes = out;
    } else throw new Error(`fixture encoder: ${c.name}`);
  }
  return bytes!;
}

export function levelValue(l: number, idx: readonly number[]): number {
  const [c, z, y, x] = idx as [number, number, number, number];
  return (l * 100 + c * 1000 + z * 7 + y * 3 + x) % 4096;
}

/** The values of chunk `ci` (full size, fill 0 outside `shape`). */
export function chunkValues(l: number, shape: number[], chunks: number[], ci: number[]): number[] {
  const n = chunks.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n).fill(0);
  const cs = strides(chunks);
  for (let k = 0; k < n; k++) {
    let rem = k;
    const idx: number[] = [];
    for (let a = 0; a < chunks.length; a++) {
      const i = Math.floor(rem / cs[a]!);
      rem -= i * cs[a]!;
      idx.push(ci[a]! * chunks[a]! + i);
    }
    if (idx.every((v, a) => v < shape[a]!)) out[k] = levelValue(l, idx);
  }
  return out;
}

function* grid(shape: number[], chunks: number[]): Generator<number[]> {
  const g = shape.map((s, i) => Math.ceil(s / chunks[i]!));
  const ci = g.map(() => 0);
  for (;;) {
    yield ci.slice();
    let a = g.length - 1;
    for (; a >= 0; a--) {
      ci[a]!++;
      if (ci[a]! < g[a]!) break;
      ci[a] = 0;
    }
    if (a < 0) return;
  }
}

export const V3_AXES = [
  { name: 'c', type: 'channel' },
  { name: 'z', type: 'space', unit: 'micrometer' },
  { name: 'y', type: 'space', unit: 'micrometer' },
  { name: 'x', type: 'space', unit: 'micrometer' },
];

export interface V3LevelSpec {
  shape: number[];
  chunks: number[];
  codecs: V3Codec[];
  /** Sharding: the shard shape is `chunks`, inner chunks `inner`. */
  inner?: number[];
  indexCodecs?: V3Codec[];
  skip?: (ci: number[]) => boolean;
  dimensionNames?: string[];
  keySeparator?: '/' | '.';
}

/** An OME-NGFF 0.5 image (levels named "0", "1", …) in a memory store, under `prefix`. */
export async function writeV3Image(store: MemoryStore, levels: V3LevelSpec[], prefix = '', extraOme: Record<string, unknown> = {}): Promise<void> {
  const p = (k: string): string => (prefix ? `${prefix}/${k}` : k);
  const datasets = levels.map((_, l) => ({
    path: String(l),
    coordinateTransformations: [
      { type: 'scale', scale: [1, 2, 0.5 * 2 ** l, 0.5 * 2 ** l] },
      { type: 'translation', translation: [0, 0, 10 + (2 ** l - 1) * 0.25, -5 + (2 ** l - 1) * 0.25] },
    ],
  }));
  await store.set(p('zarr.json'), json({ zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [{ name: 'v3 image', axes: V3_AXES, datasets }], omero: { channels: [{ label: 'A', color: 'FF0000', active: true, window: { min: 0, max: 65535, start: 10, end: 3000 } }, { label: 'B', color: '0000FF', active: false, window: { min: 0, max: 65535, start: 0, end: 4095 } }] }, ...extraOme } } }));
  for (const [l, spec] of levels.entries()) {
    const sep = spec.keySeparator ?? '/';
    const codecs = spec.inner
      ? [{ name: 'sharding_indexed', configuration: { chunk_shape: spec.inner, codecs: spec.codecs, index_codecs: spec.indexCodecs ?? [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'crc32c' }], index_location: 'end' } }]
      : spec.codecs;
    await store.set(p(`${l}/zarr.json`), json({
      zarr_format: 3,
      node_type: 'array',
      shape: spec.shape,
      data_type: 'uint16',
      chunk_grid: { name: 'regular', configuration: { chunk_shape: spec.chunks } },
      chunk_key_encoding: { name: 'default', configuration: { separator: sep } },
      fill_value: 0,
      codecs,
      dimension_names: spec.dimensionNames ?? ['c', 'z', 'y', 'x'],
      attributes: {},
    }));
    for (const ci of grid(spec.shape, spec.chunks)) {
      if (spec.skip?.(ci)) continue;
      const key = p(`${l}/${['c', ...ci].join(sep)}`);
      if (!spec.inner) {
        await store.set(key, await encodeV3(chunkValues(l, spec.shape, spec.chunks, ci), spec.chunks, spec.codecs));
        continue;
      }
      const per = spec.chunks.map((s, i) => s / spec.inner![i]!);
      const parts: Uint8Array[] = [];
      const index: [bigint, bigint][] = [];
      let offset = 0;
      for (const ii of grid(per, per.map(() => 1))) {
        const inner = ii.map((v, a) => ci[a]! * per[a]! + v);
        if (inner.some((v, a) => v * spec.inner![a]! >= spec.shape[a]!) || (inner[2] === 0 && inner[3] === 1)) {
          index.push([0xffffffffffffffffn, 0xffffffffffffffffn]);
          continue;
        }
        const b = await encodeV3(chunkValues(l, spec.shape, spec.inner, inner), spec.inner, spec.codecs);
        parts.push(b);
        index.push([BigInt(offset), BigInt(b.length)]);
        offset += b.length;
      }
      const idx = new Uint8Array(index.length * 16);
      const dv = new DataView(idx.buffer);
      index.forEach(([o, n], k) => {
        dv.setBigUint64(k * 16, o, true);
        dv.setBigUint64(k * 16 + 8, n, true);
      });
      const shard = new Uint8Array(offset + idx.length + 4);
      let at = 0;
      for (const b of parts) {
        shard.set(b, at);
        at += b.length;
      }
      shard.set(idx, at);
      new DataView(shard.buffer).setUint32(at + idx.length, crc32cSlow(idx), true);
      await store.set(key, shard);
    }
  }
}

/** Every file of the reference sample in a memory store. */
export async function referenceInMemory(description = 'reference copy'): Promise<MemoryStore> {
  const s = new MemoryStore(description);
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) await walk(full, key);
      else await s.set(key, new Uint8Array(readFileSync(full)));
    }
  };
  await walk(REFERENCE, '');
  return s;
}

/** A complete, valid `flamingo` key matching the reference sample (spec §4, §9.2). */
export function referenceFlamingo(): Record<string, unknown> {
  return {
    format: 'flamingo-viv.session',
    format_version: 1,
    written_by: { app: 'flamingo-viv', app_version: '0.1.0', written_at: '2026-11-26T10:42:17.512Z' },
    name: 'reference',
    description: 'reader test',
    status: 'complete',
    status_reason: null,
    created: '2026-11-26T10:31:02.004Z',
    updated: '2026-11-26T10:42:17.512Z',
    stage_reference: null,
    voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
    world_origin_um: [0, -20, 35.5],
    z_origin: 'session',
    bounds_um: null,
    channels: [
      { index: 0, name: 'GFP', laser_nm: 488, illumination_side: 'left', color: '00FF00', contrast: [0, 4095], visible: true },
      { index: 1, name: 'mCherry', laser_nm: 561, illumination_side: 'left', color: 'FF00FF', contrast: [0, 4095], visible: true },
    ],
    acquisition: {
      microscope: { name: 'py2flamingo import', connection: 'none', address: null, orientation: null },
      plan: { kind: 'import', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0, 1], timepoints: null, interval_s: null },
      frames_expected: null,
      frames_received: 0,
      frames_written: 0,
      frames_dropped: 0,
      dropped_by_reason: { queue_full: 0, out_of_bounds: 0, invalid_frame: 0 },
    },
    accumulation: 'maximum',
    viewer: {
      mode: '2d',
      view_state: { target_um: { x: 60, y: 12, z: 70 }, zoom: 0, rotation_x_deg: 0, rotation_orbit_deg: 0 },
      selection: { z: 35, t: 0 },
      render_3d: 'maximum-intensity',
      channel_settings: [
        { index: 0, opacity: 1, colormap: null },
        { index: 1, opacity: 0.8, colormap: null },
      ],
    },
    transforms: [
      { op: 'rotate', params: { axis: 'y', angle_deg: 15, center_um: null, order: 1 } },
      { op: 'future-op', params: { k: 1 } },
    ],
    future_field: { kept: true },
  };
}

/** The reference sample turned into a flamingo-viv session (in memory), `flamingo` edited by `edit`. */
export async function sessionInMemory(edit: (f: Record<string, unknown>, attrs: Record<string, unknown>) => void = () => {}): Promise<MemoryStore> {
  const s = await referenceInMemory('session copy');
  const attrs = JSON.parse(new TextDecoder().decode(await s.get('.zattrs'))) as Record<string, unknown>;
  const f = referenceFlamingo();
  attrs.flamingo = f;
  edit(f, attrs);
  await s.set('.zattrs', json(attrs));
  return s;
}
