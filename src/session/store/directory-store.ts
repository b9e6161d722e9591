/**
 * The store over a folder the user picked (File System Access API, browser only; Chromium
 * `showDirectoryPicker()`), or any `FileSystemDirectoryHandle` (an OPFS folder works the same).
 *
 * Every `set` writes a temporary file (`<name>.<writer id>.<counter>.tmp`, spec §5.3) through
 * a writable stream, which the browser commits atomically on `close()`, then moves it onto
 * the final name; where the browser has no `move()` for such handles, it writes the final
 * name through a writable stream (also committed on close). Stale temporaries of crashed
 * writers (`*.tmp`, and Chromium's `*.crswap` swap files) are removed by `open(…, { forWriting: true })`
 * and `removeTemporaryFiles()`. See `HandleTreeStore` (opfs-handles.ts) for the details.
 *
 * @example
 * const folder = await window.showDirectoryPicker({ mode: 'readwrite' });
 * const target = await folder.getDirectoryHandle('embryo.ome.zarr', { create: true });
 * const store = await DirectoryStore.open(target, { forWriting: true });
 * await store.set('.zgroup', new TextEncoder().encode('{"zarr_format": 2}'));
 */
import { HandleTreeStore } from './opfs-handles.ts';
import { StoreError } from './types.ts';

export interface DirectoryStoreOptions {
  /** Short id in temporary names (default: 4 random hex digits). */
  writerId?: string;
  /** Write a temporary file and move it (default true); false writes the final name through a writable stream. */
  rename?: boolean;
  /** For messages (default: `folder "<handle name>"`). */
  description?: string;
}

type PermissionMode = 'read' | 'readwrite';
interface PermissionHandle {
  queryPermission?: (d: { mode: PermissionMode }) => Promise<PermissionState>;
  requestPermission?: (d: { mode: PermissionMode }) => Promise<PermissionState>;
}

export class DirectoryStore extends HandleTreeStore {
  constructor(handle: FileSystemDirectoryHandle, options: DirectoryStoreOptions = {}) {
    super(handle, {
      description: options.description ?? `folder "${handle.name}"`,
      writerId: options.writerId,
      syncHandles: false,
      rename: options.rename,
    });
  }

  /**
   * Checks (and, where the browser asks the user, requests) permission to read, or to read
   * and write with `forWriting`, then removes stale temporary files when writing. Requesting
   * needs a user gesture in the page; without one a `prompt` state is refused with a message.
   */
  static async open(handle: FileSystemDirectoryHandle, options: DirectoryStoreOptions & { forWriting?: boolean } = {}): Promise<DirectoryStore> {
    const store = new DirectoryStore(handle, options);
    const mode: PermissionMode = options.forWriting ? 'readwrite' : 'read';
    const p = handle as FileSystemDirectoryHandle & PermissionHandle;
    if (typeof p.queryPermission === 'function') {
      let state = await p.queryPermission({ mode });
      if (state === 'prompt' && typeof p.requestPermission === 'function') {
        state = await p.requestPermission({ mode }).catch(() => 'prompt' as PermissionState);
      }
      if (state !== 'granted') {
        throw new StoreError('', `Permission to ${mode === 'readwrite' ? 'write to' : 'read'} ${store.description} was not granted (${state}); pick the folder again and allow access.`);
      }
    }
    if (options.forWriting) await store.removeTemporaryFiles();
    return store;
  }
}
