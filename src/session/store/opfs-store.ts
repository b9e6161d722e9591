/**
 * The Origin Private File System store (browser only): a session folder under the origin's
 * private storage, for the live writer in a dedicated worker and for readers anywhere.
 *
 * In a dedicated worker (Chromium, Firefox, Safari) every `set` writes a temporary file
 * (`<name>.<writer id>.<counter>.tmp`, spec §5.3) through a `FileSystemSyncAccessHandle`,
 * flushes and closes it, then moves it onto the final name, which replaces the old file in
 * one step. On the main thread, where sync handles do not exist, the same class writes the
 * temporary file through a writable stream instead, and reads with `getFile()` everywhere,
 * so a page can open what its worker writes (wrap it in `readOnly()` to hand it to readers).
 * One folder per key segment; see `HandleTreeStore` (opfs-handles.ts) for the details.
 *
 * @example
 * // in the writer's worker
 * const store = await OpfsStore.createNew('/sessions/embryo.ome.zarr');
 * const writer = await SessionWriter.create({ store, encoder, codec, layout, info });
 * // on the main thread, meanwhile or later
 * const image = await openImage(readOnly(await OpfsStore.open('/sessions/embryo.ome.zarr')));
 */
import { HandleTreeStore } from './opfs-handles.ts';
import { StoreError } from './types.ts';

export interface OpfsStoreOptions {
  /** Short id in temporary names (default: 4 random hex digits). */
  writerId?: string;
  /** Write through sync access handles when the browser offers them (default true). */
  syncHandles?: boolean;
}

function errName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
}

/** The OPFS root folder, or a StoreError saying why there is none (no OPFS, not a secure context). */
export async function opfsRoot(): Promise<FileSystemDirectoryHandle> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }).navigator?.storage;
  if (typeof storage?.getDirectory !== 'function') {
    throw new StoreError('', 'The Origin Private File System is not available here (navigator.storage.getDirectory is missing: not a browser, or not a secure context).');
  }
  try {
    return await storage.getDirectory();
  } catch (err) {
    throw new StoreError('', `The Origin Private File System could not be opened: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
}

/** `'/sessions/a.ome.zarr'` or `'sessions/a.ome.zarr'` → its segments; refuses empty, `.` and `..` segments. */
function segmentsOf(path: string): string[] {
  const segments = path.replace(/^\/+/, '').split('/');
  if (path.replace(/^\/+/, '') === '' || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
    throw new StoreError('', `OPFS path '${path}' is not a folder path of plain segments (e.g. '/sessions/embryo.ome.zarr').`);
  }
  return segments;
}

async function walk(segments: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle> {
  let dir = await opfsRoot();
  for (const s of segments) dir = await dir.getDirectoryHandle(s, { create });
  return dir;
}

export class OpfsStore extends HandleTreeStore {
  /** The session folder's path under the OPFS root, with a leading '/'. */
  readonly path: string;

  private constructor(root: FileSystemDirectoryHandle, path: string, options: OpfsStoreOptions) {
    super(root, { description: `OPFS ${path}`, writerId: options.writerId, syncHandles: options.syncHandles ?? true });
    this.path = path;
  }

  /** Creates the session folder (parents as needed) and refuses one that already exists (§3.1). */
  static async createNew(path: string, options: OpfsStoreOptions = {}): Promise<OpfsStore> {
    const segments = segmentsOf(path);
    const shown = `/${segments.join('/')}`;
    let parent: FileSystemDirectoryHandle;
    try {
      parent = await walk(segments.slice(0, -1), true);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('', `Cannot create OPFS folder ${shown}: ${errName(err) === 'TypeMismatchError' ? 'a file is in the way on its path' : String(err)}.`, { cause: err });
    }
    const name = segments[segments.length - 1]!;
    let exists = true;
    try {
      await parent.getDirectoryHandle(name);
    } catch (err) {
      if (errName(err) === 'NotFoundError') exists = false;
    }
    if (exists) throw new StoreError('', `Cannot create session folder OPFS ${shown}: it already exists (a session is never overwritten).`);
    try {
      return new OpfsStore(await parent.getDirectoryHandle(name, { create: true }), shown, options);
    } catch (err) {
      throw new StoreError('', `Cannot create OPFS folder ${shown}: ${String(err)}.`, { cause: err });
    }
  }

  /**
   * Opens an existing session folder. With `forWriting`, stale temporary files of crashed
   * writers are removed first (§5.3); readers leave the folder untouched.
   */
  static async open(path: string, options: OpfsStoreOptions & { forWriting?: boolean } = {}): Promise<OpfsStore> {
    const segments = segmentsOf(path);
    const shown = `/${segments.join('/')}`;
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await walk(segments, false);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const n = errName(err);
      if (n === 'NotFoundError' || n === 'TypeMismatchError') throw new StoreError('', `There is no folder at OPFS ${shown}.`, { cause: err });
      throw new StoreError('', `Cannot open OPFS folder ${shown}: ${String(err)}.`, { cause: err });
    }
    const store = new OpfsStore(dir, shown, options);
    if (options.forWriting) await store.removeTemporaryFiles();
    return store;
  }
}
