/**
 * Load Test Data in the browser: a `.tif`/`.tiff` or `.npy` file, or the files of a `.zarr`
 * folder (from `<input type="file" webkitdirectory>`), opened read-only into an
 * `ImageDescription` with the same readers the command line uses.
 *
 * @example
 * const opened = await openFiles(input.files);
 * viewer.show({ kind: 'image', image: opened.image, store: opened.store });
 */
import type { ImageDescription } from '../session/read/description.ts';
import { ReadError } from '../session/read/description.ts';
import { openImage } from '../session/read/open.ts';
import { readNpy } from '../session/read/npy.ts';
import { readTiff } from '../session/read/tiff.ts';
import { MemoryStore } from '../session/store/memory-store.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';

/** A file as the browser gives it (a `File`), reduced to what is read here. */
export interface PickedFile {
  name: string;
  /** Path inside the picked folder (`webkitRelativePath`), empty for a single file. */
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface OpenedFiles {
  image: ImageDescription;
  /** The store the image was read from (a folder's files), or null for a single-file image. */
  store: ReadableSessionStore | null;
}

/** Opens one TIFF or NPY file, or every file of one Zarr folder. */
export async function openFiles(files: ArrayLike<PickedFile>): Promise<OpenedFiles> {
  const list = Array.from(files);
  const first = list[0];
  if (first === undefined) throw new ReadError('not-found', '', 'No file was chosen; choose a .tif, .tiff or .npy file, or a .zarr folder.');
  const inFolder = list.some((f) => (f.webkitRelativePath ?? '').includes('/'));
  if (!inFolder) {
    if (list.length > 1) throw new ReadError('unsupported', first.name, `${list.length} files were chosen; choose one .tif, .tiff or .npy file, or a .zarr folder.`);
    const lower = first.name.toLowerCase();
    const bytes = new Uint8Array(await first.arrayBuffer());
    if (lower.endsWith('.tif') || lower.endsWith('.tiff')) return { image: await readTiff(bytes, first.name), store: null };
    if (lower.endsWith('.npy')) return { image: await readNpy(bytes, first.name), store: null };
    throw new ReadError('not-recognised', first.name, `${first.name} is not a .tif, .tiff or .npy file; a .zarr image is opened as a folder.`);
  }
  const root = (first.webkitRelativePath ?? '').split('/')[0] ?? first.name;
  const store = new MemoryStore(root);
  for (const f of list) {
    const rel = (f.webkitRelativePath ?? f.name).split('/').slice(1).join('/');
    if (rel === '' || rel.split('/').some((s) => s === '' || s.startsWith('.DS_Store'))) continue;
    await store.set(rel, new Uint8Array(await f.arrayBuffer()));
  }
  return { image: await openImage(store), store };
}
