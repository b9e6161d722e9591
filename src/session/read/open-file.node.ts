/**
 * Opens a path on disk (Node only): a Zarr folder through the file-system store (read-only),
 * an `.npy` file or a TIFF file; other files are refused, naming what was found.
 *
 * @example
 * const image = await openPath('/data/embryo.ome.zarr');
 */

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageDescription, OpenOptions } from './description.ts';
import { ReadError } from './description.ts';
import { FsStore } from '../store/fs-store.ts';
import { readOnly } from '../store/read-only.ts';
import { readNpy } from './npy.ts';
import { openImage } from './open.ts';
import { createZstdCodec } from '../codec/index.node.ts';
import { readTiff } from './tiff.ts';

/** Native zstd (zstd-napi) when it loads: faster than WebAssembly and robust to corrupt chunks. */
async function nativeZstd(): Promise<OpenOptions['zstd']> {
  try {
    const codec = await createZstdCodec(1);
    return codec.implementation === 'native' ? codec : undefined;
  } catch {
    return undefined;
  }
}

/** Opens a folder or file; Zarr chunks use native zstd in Node unless `options.zstd` says otherwise. */
export async function openPath(p: string, options: OpenOptions = {}): Promise<ImageDescription> {
  let st;
  try {
    st = await stat(p);
  } catch (cause) {
    throw new ReadError('not-found', p, `${p} does not exist or cannot be read.`, { cause });
  }
  if (st.isDirectory()) {
    const zstd = options.zstd ?? (await nativeZstd());
    return openImage(readOnly(new FsStore(p)), zstd ? { ...options, zstd } : options);
  }
  const bytes = new Uint8Array(await readFile(p));
  const name = path.basename(p);
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') return readNpy(bytes, name, options);
  if (/\.npy$/i.test(p)) return readNpy(bytes, name, options);
  if ((bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d) || /\.tiff?$/i.test(p)) return readTiff(bytes, name, options);
  throw new ReadError('not-recognised', p, `${p} is neither a Zarr folder, an .npy file nor a TIFF file (${bytes.length === 0 ? 'it is empty' : `it starts with bytes ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`}).`);
}
