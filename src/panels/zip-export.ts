/**
 * Export a session as a zip: every key of a readable store, under one top folder named after
 * the session (`NAME.ome.zarr/…`), stored without recompression (chunks are already zstd).
 *
 * @example
 * const zip = await zipStore(store, 'embryo-1', { onProgress: (done, total) => … });
 * download(new Blob([zip]), 'embryo-1.ome.zarr.zip');
 */
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import type { ReadableSessionStore } from '../session/store/types.ts';
import { TEMPORARY_NAME } from '../session/store/types.ts';

export interface ZipOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The zip's bytes; temporary files of atomic writes are left out. */
export async function zipStore(store: ReadableSessionStore, name: string, options: ZipOptions = {}): Promise<Uint8Array> {
  const keys = (await store.list()).filter((k) => !TEMPORARY_NAME.test(k)).sort();
  if (keys.length === 0) throw new Error(`${store.description} holds no files, so there is nothing to export.`);
  const top = name.endsWith('.ome.zarr') ? name : `${name}.ome.zarr`;
  const tree: Zippable = {};
  let done = 0;
  for (const key of keys) {
    options.signal?.throwIfAborted();
    const bytes = await store.get(key, { signal: options.signal });
    if (bytes !== undefined) tree[`${top}/${key}`] = [bytes, { level: 0 }];
    options.onProgress?.(++done, keys.length);
  }
  return zipSync(tree, { level: 0 });
}
