/**
 * Opening an image from a URL (any OME-Zarr over HTTP, e.g. a served session) or from a local
 * folder handle (`showDirectoryPicker()`), read-only, into an `ImageDescription` plus the store
 * it reads from.
 *
 * @example
 * const { image, store } = await openUrl('http://127.0.0.1:8600/sessions/a.ome.zarr/');
 */
import type { ImageDescription } from '../session/read/description.ts';
import { openImage } from '../session/read/open.ts';
import { DirectoryStore } from '../session/store/directory-store.ts';
import { HttpStore } from '../session/store/http-store.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';

export interface OpenedSource {
  image: ImageDescription;
  store: ReadableSessionStore;
}

/** Opens the Zarr image at `url` (http: or https:, a folder URL). */
export async function openUrl(url: string, signal?: AbortSignal): Promise<OpenedSource> {
  if (url === '') throw new Error('Enter the URL of an OME-Zarr folder, e.g. https://…/image.ome.zarr/.');
  const store = new HttpStore(url);
  return { image: await openImage(store, signal ? { signal } : {}), store };
}

/** Opens the Zarr image in a folder the user picked. */
export async function openDirectoryHandle(handle: FileSystemDirectoryHandle): Promise<OpenedSource> {
  const store = await DirectoryStore.open(handle);
  return { image: await openImage(store), store };
}
