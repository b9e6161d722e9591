/**
 * Zarr v2 arrays, read-only (spec §7.2): `.zarray` parsed leniently (any chunk shape, either byte
 * order, both separators, C or F order, the compressors numcodecs decodes), and chunk loading
 * with §3.4's rules: missing is fill; empty, truncated or wrong-size chunks are fill plus a
 * warning naming the key.
 */

import type { DataType, PixelArray } from './description.ts';
import { ReadError } from './description.ts';
import type { ReadableSessionStore } from '../store/types.ts';
import { v2Compressor } from './codecs.ts';
import type { ByteCodec, ZstdDecoder } from './codecs.ts';
import { elementFromTypestr, toElements, untranspose } from './elements.ts';
import type { ElementType } from './elements.ts';
import { describe, parseObject, viaMetadata } from './json.ts';
import { parseZarray } from '../metadata/parse.ts';
import { ChunkDecodeError, product } from './level.ts';
import type { ChunkLoader } from './level.ts';

/** The most bytes one decoded chunk may have. */
export const MAX_CHUNK_BYTES = 2 ** 30;
/** The most elements an array may have (exactly representable indices). */
export const MAX_ARRAY_ELEMENTS = Number.MAX_SAFE_INTEGER;

export interface OpenedArray {
  shape: number[];
  chunks: number[];
  dtype: DataType;
  element: ElementType;
  fillValue: number;
  loader: ChunkLoader;
  /** `.zarray` or `zarr.json` content, as read. */
  meta: Record<string, unknown>;
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}/${key}`;
}

/** Checks shape and chunks for absurd values shared by v2 and v3. */
export function checkGeometry(shape: number[], chunks: number[], bytes: number, file: string): void {
  if (chunks.length !== shape.length) {
    throw new ReadError('bad-metadata', file, `${file} chunks [${chunks.join(', ')}] has ${chunks.length} entries but shape [${shape.join(', ')}] has ${shape.length}.`);
  }
  const total = product(shape);
  if (!Number.isSafeInteger(total) || total > MAX_ARRAY_ELEMENTS) {
    throw new ReadError('bad-metadata', `${file} shape`, `${file} shape [${shape.join(', ')}] holds ${total} elements, more than any array can index.`);
  }
  const cb = product(chunks) * bytes;
  if (cb > MAX_CHUNK_BYTES) {
    throw new ReadError('bad-metadata', `${file} chunks`, `${file} chunks [${chunks.join(', ')}] hold ${cb} bytes each, more than the ${MAX_CHUNK_BYTES} bytes this reader decodes per chunk.`);
  }
}

/** `fill_value` of a v2 or v3 array as a number for `el`. */
export function fillValueOf(v: unknown, el: ElementType, file: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (el.integer && !Number.isInteger(v)) throw new ReadError('bad-metadata', `${file} fill_value`, `${file} fill_value is ${v}; expected an integer for ${el.dtype} data.`);
    return v;
  }
  if (!el.integer && (v === 'NaN' || v === 'Infinity' || v === '-Infinity' || (typeof v === 'number' && !Number.isFinite(v)))) return Number(v);
  throw new ReadError('bad-metadata', `${file} fill_value`, `${file} fill_value is ${describe(v)}; expected a number.`);
}

/** Opens the v2 array at `path` (`""` for the root). */
export async function openV2Array(store: ReadableSessionStore, path: string, signal?: AbortSignal, zstd?: ZstdDecoder): Promise<OpenedArray> {
  const file = join(path, '.zarray');
  const bytes = await store.get(file, { signal });
  if (bytes === undefined) {
    const v3 = await store.get(join(path, 'zarr.json'), { signal });
    if (v3 !== undefined) {
      throw new ReadError('bad-metadata', file, `${file} is missing and ${join(path, 'zarr.json')} (Zarr v3 metadata) is there instead; a Zarr v2 hierarchy cannot hold Zarr v3 arrays.`);
    }
    throw new ReadError('not-found', file, `${file} is missing in ${store.description}; the image names "${path}" as a level but it is not a Zarr v2 array.`);
  }
  const meta = parseObject(bytes, file);
  const z = viaMetadata(() => parseZarray(meta, file));
  const { shape, chunks, order } = z;
  if (shape.length === 0) throw new ReadError('bad-metadata', `${file} shape`, `${file} shape is [] (a scalar); expected an image of at least 2 dimensions.`);
  const el = elementFromTypestr(z.dtype.dtype);
  if (!el) throw new ReadError('unknown-dtype', `${file} dtype`, `${file} dtype is "${z.dtype.dtype}", which this reader cannot read.`);
  checkGeometry(shape, chunks, el.bytes, file);
  const fillValue = z.fill_value ?? 0;
  if (el.integer && !Number.isInteger(fillValue)) throw new ReadError('bad-metadata', `${file} fill_value`, `${file} fill_value is ${fillValue}; expected an integer for ${el.dtype} data.`);
  if (z.filters !== null) {
    throw new ReadError('unknown-codec', `${file} filters`, `${file} has filters (${z.filters.map((f) => f.id).join(', ')}), which this reader does not apply.`);
  }
  const compressor = v2Compressor(z.compressor, file, zstd);
  const sep = z.dimension_separator;
  const n = product(chunks);
  const keyOf = (index: readonly number[]): string => join(path, index.join(sep));
  const reversed = chunks.map((_, i) => chunks.length - 1 - i);
  const loader: ChunkLoader = {
    keyOf,
    async load(index, sig) {
      const raw = await store.get(keyOf(index), { signal: sig });
      if (raw === undefined) return undefined;
      const data = await decodeRaw(raw, compressor, n * el.bytes);
      let out: PixelArray = toElements(data, el, n);
      if (order === 'F' && chunks.length > 1) {
        // An F-order chunk is the C-order chunk of the reversed shape: transpose it back.
        out = untranspose(out, chunks, reversed);
      }
      return out;
    },
  };
  return { shape, chunks, dtype: el.dtype, element: el, fillValue, loader, meta };
}

async function decodeRaw(raw: Uint8Array, compressor: ByteCodec | null, expected: number): Promise<Uint8Array> {
  if (raw.length === 0) throw new ChunkDecodeError('The chunk file is empty (an interrupted write).');
  if (compressor === null) {
    if (raw.length !== expected) throw new ChunkDecodeError(`The uncompressed chunk is ${raw.length} bytes; expected ${expected}.`);
    return raw;
  }
  return compressor.decode(raw, expected);
}
