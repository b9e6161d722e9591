/**
 * Zarr v3 arrays, read-only (spec §7.3): `zarr.json` with a regular chunk grid, `default` or
 * `v2` chunk keys, and the codecs `bytes` (either endianness), `transpose`, `zstd`, `blosc`,
 * `gzip`, `crc32c` and `sharding_indexed` (inner chunks become the level's chunks).
 */

import type { PixelArray } from './description.ts';
import { ReadError } from './description.ts';
import type { ReadableSessionStore } from '../store/types.ts';
import { byteCodec, crc32c } from './codecs.ts';
import type { ByteCodec, ZstdDecoder } from './codecs.ts';
import { elementFromV3, toElements, untranspose } from './elements.ts';
import type { ElementType } from './elements.ts';
import { describe, integers, isObject, parseObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { ChunkDecodeError, product } from './level.ts';
import type { ChunkLoader } from './level.ts';
import { checkGeometry, fillValueOf, join } from './zarr-v2.ts';
import type { OpenedArray } from './zarr-v2.ts';

interface Pipeline {
  /** `transpose` orders, in codec order (applied in reverse when decoding). */
  transposes: number[][];
  littleEndian: boolean;
  /** bytes→bytes codecs in codec order; `crc32c` is `'crc32c'`. */
  byteCodecs: (ByteCodec | 'crc32c')[];
  sharding?: Sharding;
}

interface Sharding {
  inner: number[];
  pipeline: Pipeline;
  indexAtEnd: boolean;
  indexCrc: boolean;
}

function codecName(c: unknown, file: string): { name: string; config: JsonObject } {
  if (!isObject(c) || typeof c.name !== 'string') throw new ReadError('bad-metadata', `${file} codecs`, `${file} has a codec entry ${describe(c)}; expected {"name": …}.`);
  return { name: c.name, config: isObject(c.configuration) ? c.configuration : {} };
}

function parsePipeline(codecs: unknown, ndim: number, dataType: string, file: string, zstd?: ZstdDecoder): Pipeline {
  if (!Array.isArray(codecs) || codecs.length === 0) throw new ReadError('bad-metadata', `${file} codecs`, `${file} codecs is ${describe(codecs)}; expected a non-empty list.`);
  const p: Pipeline = { transposes: [], littleEndian: true, byteCodecs: [] };
  let seenArrayToBytes = false;
  for (const c of codecs) {
    const { name, config } = codecName(c, file);
    switch (name) {
      case 'transpose': {
        if (seenArrayToBytes) throw new ReadError('bad-metadata', `${file} codecs`, `${file} has "transpose" after the array-to-bytes codec.`);
        let order = config.order;
        if (order === 'C') order = [...Array(ndim).keys()];
        if (order === 'F') order = [...Array(ndim).keys()].reverse();
        const o = integers(order, `${file} transpose order`, 0, ndim - 1);
        if (o.length !== ndim || new Set(o).size !== ndim) throw new ReadError('bad-metadata', `${file} transpose order`, `${file} transpose order [${o.join(', ')}] is not a permutation of ${ndim} axes.`);
        p.transposes.push(o);
        break;
      }
      case 'bytes':
      case 'endian': {
        if (seenArrayToBytes) throw new ReadError('bad-metadata', `${file} codecs`, `${file} has two array-to-bytes codecs.`);
        seenArrayToBytes = true;
        const e = config.endian ?? 'little';
        if (e !== 'little' && e !== 'big') throw new ReadError('bad-metadata', `${file} bytes endian`, `${file} bytes codec endian is ${describe(e)}; expected "little" or "big".`);
        p.littleEndian = e === 'little';
        break;
      }
      case 'sharding_indexed': {
        if (seenArrayToBytes) throw new ReadError('bad-metadata', `${file} codecs`, `${file} has two array-to-bytes codecs.`);
        seenArrayToBytes = true;
        const inner = integers(config.chunk_shape, `${file} sharding chunk_shape`, 1, 2 ** 31);
        if (inner.length !== ndim) throw new ReadError('bad-metadata', `${file} sharding chunk_shape`, `${file} sharding chunk_shape has ${inner.length} entries; expected ${ndim}.`);
        const pipeline = parsePipeline(config.codecs ?? [{ name: 'bytes' }], ndim, dataType, `${file} (shard)`, zstd);
        if (pipeline.sharding) throw new ReadError('unsupported', `${file} codecs`, `${file} nests sharding inside sharding, which this reader does not read.`);
        const idx = Array.isArray(config.index_codecs) ? config.index_codecs.map((x) => codecName(x, file)) : [{ name: 'bytes', config: {} }];
        const idxNames = idx.map((x) => x.name).join(',');
        if (idxNames !== 'bytes' && idxNames !== 'bytes,crc32c') throw new ReadError('unknown-codec', `${file} index_codecs`, `${file} shard index codecs [${idxNames}] are not read; expected bytes, optionally followed by crc32c.`);
        if ((idx[0]?.config.endian ?? 'little') !== 'little') throw new ReadError('unsupported', `${file} index_codecs`, `${file} shard index is big-endian, which this reader does not read.`);
        const loc = config.index_location ?? 'end';
        if (loc !== 'end' && loc !== 'start') throw new ReadError('bad-metadata', `${file} index_location`, `${file} sharding index_location is ${describe(loc)}; expected "start" or "end".`);
        p.sharding = { inner, pipeline, indexAtEnd: loc === 'end', indexCrc: idx.length === 2 };
        break;
      }
      case 'zstd':
      case 'blosc':
      case 'gzip':
        if (!seenArrayToBytes) throw new ReadError('bad-metadata', `${file} codecs`, `${file} has "${name}" before the array-to-bytes codec.`);
        p.byteCodecs.push(byteCodec(name, zstd));
        break;
      case 'crc32c':
        p.byteCodecs.push('crc32c');
        break;
      default:
        throw new ReadError('unknown-codec', `${file} codecs`, `${file} uses codec "${name}", which this reader cannot decode (it reads bytes, transpose, zstd, blosc, gzip, crc32c, sharding_indexed).`);
    }
  }
  if (!seenArrayToBytes) throw new ReadError('bad-metadata', `${file} codecs`, `${file} codecs have no array-to-bytes codec ("bytes" or "sharding_indexed").`);
  return p;
}

async function undoBytes(raw: Uint8Array, codecs: Pipeline['byteCodecs'], expected: number | undefined): Promise<Uint8Array> {
  let b = raw;
  for (let i = codecs.length - 1; i >= 0; i--) {
    const c = codecs[i]!;
    const last = i === 0;
    if (c === 'crc32c') {
      if (b.length < 4) throw new ChunkDecodeError(`The chunk is ${b.length} bytes, too short for its crc32c checksum.`);
      const body = b.subarray(0, b.length - 4);
      const stored = new DataView(b.buffer, b.byteOffset + b.length - 4, 4).getUint32(0, true);
      if (crc32c(body) !== stored) throw new ChunkDecodeError('The chunk fails its crc32c checksum.');
      b = body;
    } else {
      b = await c.decode(b, last ? expected : undefined);
    }
  }
  if (expected !== undefined && b.length !== expected) throw new ChunkDecodeError(`The chunk decodes to ${b.length} bytes; expected ${expected}.`);
  return b;
}

async function decodeChunk(raw: Uint8Array, p: Pipeline, shape: readonly number[], el: ElementType): Promise<PixelArray> {
  if (raw.length === 0) throw new ChunkDecodeError('The chunk file is empty (an interrupted write).');
  const n = product(shape);
  const b = await undoBytes(raw, p.byteCodecs, n * el.bytes);
  let out = toElements(b, { ...el, littleEndian: p.littleEndian || el.bytes === 1 }, n);
  // The array seen by the bytes codec has the shape after every transpose; undo them in reverse.
  const shapes: number[][] = [shape.slice()];
  for (const o of p.transposes) shapes.push(o.map((a) => shapes[shapes.length - 1]![a]!));
  for (let i = p.transposes.length - 1; i >= 0; i--) out = untranspose(out, shapes[i]!, p.transposes[i]!);
  return out;
}

/** Opens the v3 array whose `zarr.json` is at `path`. */
export async function openV3Array(store: ReadableSessionStore, path: string, signal?: AbortSignal, zstd?: ZstdDecoder): Promise<OpenedArray & { dimensionNames?: (string | null)[] }> {
  const file = join(path, 'zarr.json');
  const bytes = await store.get(file, { signal });
  if (bytes === undefined) {
    const v2 = await store.get(join(path, '.zarray'), { signal });
    if (v2 !== undefined) throw new ReadError('bad-metadata', file, `${file} is missing and ${join(path, '.zarray')} (Zarr v2 metadata) is there instead; a Zarr v3 hierarchy cannot hold Zarr v2 arrays.`);
    throw new ReadError('not-found', file, `${file} is missing in ${store.description}; the image names "${path}" as a level.`);
  }
  const meta = parseObject(bytes, file);
  if (meta.zarr_format !== 3) throw new ReadError('bad-metadata', `${file} zarr_format`, `${file} zarr_format is ${describe(meta.zarr_format)}; expected 3.`);
  if (meta.node_type !== 'array') throw new ReadError('bad-metadata', `${file} node_type`, `${file} node_type is ${describe(meta.node_type)}; expected "array".`);
  const shape = integers(meta.shape, `${file} shape`, 0, 2 ** 53);
  if (shape.length === 0) throw new ReadError('bad-metadata', `${file} shape`, `${file} shape is [] (a scalar); expected an image.`);
  const grid = meta.chunk_grid;
  if (!isObject(grid) || grid.name !== 'regular' || !isObject(grid.configuration)) {
    throw new ReadError('unsupported', `${file} chunk_grid`, `${file} chunk_grid is ${describe(grid)}; this reader reads only the "regular" grid.`);
  }
  const outer = integers(grid.configuration.chunk_shape, `${file} chunk_grid chunk_shape`, 1, 2 ** 53);
  if (Array.isArray(meta.storage_transformers) && meta.storage_transformers.length > 0) {
    throw new ReadError('unsupported', `${file} storage_transformers`, `${file} has storage transformers, which this reader does not apply.`);
  }
  if (typeof meta.data_type !== 'string') throw new ReadError('unknown-dtype', `${file} data_type`, `${file} data_type is ${describe(meta.data_type)}; expected a name such as "uint16".`);
  const probe = elementFromV3(meta.data_type, true);
  if (!probe) throw new ReadError('unknown-dtype', `${file} data_type`, `${file} data_type is "${meta.data_type}", which this reader cannot read (it reads uint8, int8, uint16, int16, uint32, int32, float32, float64).`);
  const p = parsePipeline(meta.codecs, shape.length, meta.data_type, file, zstd);
  const el: ElementType = { ...probe, littleEndian: p.sharding ? p.sharding.pipeline.littleEndian : p.littleEndian };
  const chunks = p.sharding ? p.sharding.inner : outer;
  checkGeometry(shape, outer, el.bytes, file);
  checkGeometry(shape, chunks, el.bytes, file);
  if (p.sharding && outer.some((s, i) => s % chunks[i]! !== 0)) {
    throw new ReadError('bad-metadata', `${file} sharding chunk_shape`, `${file} shard shape [${outer.join(', ')}] is not a multiple of the inner chunk shape [${chunks.join(', ')}].`);
  }
  const fillValue = fillValueOf(meta.fill_value, el, file);
  const enc = isObject(meta.chunk_key_encoding) ? meta.chunk_key_encoding : { name: 'default' };
  const encConf = isObject(enc.configuration) ? enc.configuration : {};
  if (enc.name !== 'default' && enc.name !== 'v2') throw new ReadError('unsupported', `${file} chunk_key_encoding`, `${file} chunk_key_encoding is ${describe(enc.name)}; expected "default" or "v2".`);
  const sep = encConf.separator ?? (enc.name === 'v2' ? '.' : '/');
  if (sep !== '.' && sep !== '/') throw new ReadError('bad-metadata', `${file} chunk_key_encoding separator`, `${file} chunk key separator is ${describe(sep)}; expected "." or "/".`);
  const outerKey = (index: readonly number[]): string => join(path, enc.name === 'v2' ? index.join(sep) : ['c', ...index].join(sep));

  let dimensionNames: (string | null)[] | undefined;
  if (Array.isArray(meta.dimension_names)) dimensionNames = meta.dimension_names.map((d) => (typeof d === 'string' ? d : null));

  let loader: ChunkLoader;
  if (!p.sharding) {
    const pipeline = p;
    loader = {
      keyOf: outerKey,
      async load(index, sig) {
        const raw = await store.get(outerKey(index), { signal: sig });
        return raw === undefined ? undefined : decodeChunk(raw, pipeline, chunks, el);
      },
    };
  } else {
    const sh = p.sharding;
    const per = outer.map((s, i) => s / chunks[i]!);
    const nInner = product(per);
    const indexBytes = nInner * 16 + (sh.indexCrc ? 4 : 0);
    const cache = new Map<string, Promise<Uint8Array | undefined>>();
    const shardOf = (index: readonly number[]): number[] => index.map((v, i) => Math.floor(v / per[i]!));
    const getShard = (key: string, sig?: AbortSignal): Promise<Uint8Array | undefined> => {
      let q = cache.get(key);
      if (!q) {
        q = store.get(key, { signal: sig });
        cache.set(key, q);
        q.catch(() => cache.delete(key));
        if (cache.size > 8) cache.delete(cache.keys().next().value!);
      }
      return q;
    };
    loader = {
      keyOf: (index) => `${outerKey(shardOf(index))} (inner chunk [${index.join(', ')}])`,
      async load(index, sig) {
        const key = outerKey(shardOf(index));
        const shard = await getShard(key, sig);
        if (shard === undefined) return undefined;
        if (shard.length < indexBytes) throw new ChunkDecodeError(`The shard is ${shard.length} bytes, shorter than its ${indexBytes}-byte index.`);
        const idxRaw = sh.indexAtEnd ? shard.subarray(shard.length - indexBytes) : shard.subarray(0, indexBytes);
        const idx = await undoBytes(idxRaw, sh.indexCrc ? ['crc32c'] : [], nInner * 16);
        let pos = 0;
        for (let i = 0; i < per.length; i++) pos = pos * per[i]! + (index[i]! % per[i]!);
        const dv = new DataView(idx.buffer, idx.byteOffset, idx.length);
        const off = dv.getBigUint64(pos * 16, true);
        const len = dv.getBigUint64(pos * 16 + 8, true);
        if (off === 0xffffffffffffffffn && len === 0xffffffffffffffffn) return undefined;
        if (off + len > BigInt(shard.length)) throw new ChunkDecodeError(`The shard index points at bytes ${off}..${off + len}, past the shard's ${shard.length} bytes.`);
        return decodeChunk(shard.subarray(Number(off), Number(off + len)), sh.pipeline, chunks, el);
      },
    };
  }
  return { shape, chunks, dtype: el.dtype, element: el, fillValue, loader, meta, ...(dimensionNames ? { dimensionNames } : {}) };
}
