/**
 * The session store over a tree of File System API handles (browser only), shared by
 * `OpfsStore` (Origin Private File System) and `DirectoryStore` (a folder the user picked):
 * one folder handle per key segment, files read with `getFile()`, every `set` atomic.
 *
 * Atomic `set` (spec §5.3): the bytes go to `<name>.<writer id>.<counter>.tmp` in the same
 * folder, written through a `FileSystemSyncAccessHandle` (OPFS, dedicated workers: write,
 * flush, close) or a `FileSystemWritableFileStream` (everywhere else: the browser commits it
 * on `close()`), and the temporary file is then moved onto the final name with
 * `FileSystemFileHandle.move()`, which replaces an existing file in one step. Readers see the
 * old bytes or the new, never a part, and never an empty new file. Where `move()` is missing
 * (some browsers, for picked folders) the store writes the final name through a writable
 * stream instead, which the browser also commits atomically on close; a brand-new file is
 * then visible (empty) while it is being written, and a crash at that moment leaves it
 * empty, which session readers treat as a missing chunk (§3.4).
 *
 * Chromium keeps a writable stream's pending bytes in a `<name>.crswap` file beside the
 * target; `list()` does not report those, and `removeTemporaryFiles()` deletes them with
 * the spec's `*.tmp` left-overs (call it when opening a session for writing; the writer
 * calls it at finalize).
 *
 * @example
 * const store = new HandleTreeStore(folderHandle, { description: 'picked folder "embryo.ome.zarr"' });
 * await store.set('0/0/0/0/0', chunkBytes);
 * await store.list('0/');
 */
import { StoreError, TEMPORARY_NAME, checkStoreKey } from './types.ts';
import type { SessionStore, StoreGetOptions } from './types.ts';

/** The parts of the File System API used here that TypeScript's DOM library lacks. */
interface SyncAccessHandle {
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
interface MovableFileHandle extends FileSystemFileHandle {
  move?: (name: string) => Promise<void>;
  createSyncAccessHandle?: () => Promise<SyncAccessHandle>;
}
interface IterableDirectoryHandle extends FileSystemDirectoryHandle {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}

/** How `set` writes: temporary file by sync access handle or writable stream, then move; or a writable stream on the final name. */
export type HandleWriteMode = 'sync-handle' | 'writable' | 'writable-in-place';

export interface HandleTreeStoreOptions {
  /** For messages: what the root is (`OPFS /sessions/a.ome.zarr`, `picked folder "a"`). */
  description: string;
  /** Short id in temporary names (default: 4 random hex digits). */
  writerId?: string;
  /** Use `createSyncAccessHandle()` when the browser offers it (OPFS in a dedicated worker). Default true. */
  syncHandles?: boolean;
  /** Move a temporary file onto the final name (default true where `move()` exists); false writes in place. */
  rename?: boolean;
}

/** Chromium's writable-stream swap files (`<name>.crswap`, `<name>.1.crswap`, …). */
export const SWAP_NAME = /\.crswap$/;

const READ_RETRIES = 8;

function errName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
}

function reason(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function randomId(): string {
  const b = new Uint8Array(2);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

export class HandleTreeStore implements SessionStore {
  readonly description: string;
  readonly writerId: string;
  /** The folder every key is relative to. */
  readonly root: FileSystemDirectoryHandle;
  private readonly useSync: boolean;
  private rename: boolean;
  private syncWorks: boolean | null = null;
  private counter = 0;
  /** Folder handles by their `/`-joined path ('' is the root), made or found before. */
  private readonly dirs = new Map<string, Promise<FileSystemDirectoryHandle>>();

  constructor(root: FileSystemDirectoryHandle, options: HandleTreeStoreOptions) {
    this.root = root;
    this.description = options.description;
    this.writerId = options.writerId ?? randomId();
    if (!/^[0-9A-Za-z]+$/.test(this.writerId)) throw new StoreError('', `Writer id '${this.writerId}' must be letters and digits only.`);
    this.useSync = options.syncHandles ?? true;
    this.rename = options.rename ?? true;
    this.dirs.set('', Promise.resolve(root));
  }

  /** How the next `set` will write (a sync handle is only known to work after the first write). */
  get writeMode(): HandleWriteMode {
    if (!this.rename) return 'writable-in-place';
    return this.useSync && this.syncWorks !== false && typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle === 'function' ? 'sync-handle' : 'writable';
  }

  /**
   * The folder `segments` names; with `create`, made as needed. Folders found or made are
   * remembered (a session's folders are never removed while it is open; `set` forgets them
   * and retries once if one was removed behind its back). Rejects with DOMExceptions
   * (NotFoundError, TypeMismatchError).
   */
  private folder(segments: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle> {
    const path = segments.join('/');
    const known = this.dirs.get(path);
    if (known) return known;
    const found = this.folder(segments.slice(0, -1), create).then((p) => p.getDirectoryHandle(segments[segments.length - 1]!, { create }));
    if (create) {
      // Concurrent writes into a new folder share one creation.
      this.dirs.set(path, found);
      found.catch(() => {
        if (this.dirs.get(path) === found) this.dirs.delete(path);
      });
    } else {
      // A lookup is remembered once it succeeds (a pending one must not answer a `set`).
      found.then(
        (h) => {
          if (!this.dirs.has(path)) this.dirs.set(path, Promise.resolve(h));
        },
        () => undefined,
      );
    }
    return found;
  }

  private forgetFolders(): void {
    for (const k of [...this.dirs.keys()]) if (k !== '') this.dirs.delete(k);
  }

  private split(key: string): { dir: string[]; name: string } {
    const parts = checkStoreKey(key).split('/');
    const name = parts.pop()!;
    return { dir: parts, name };
  }

  private fail(key: string, verb: string, err: unknown): StoreError {
    if (errName(err) === 'TypeMismatchError') {
      return new StoreError(key, `Cannot ${verb} '${key}' in ${this.description}: a file and a folder are in each other's way on that path (a key cannot be both).`, { cause: err });
    }
    if (err instanceof TypeError) {
      return new StoreError(key, `Cannot ${verb} '${key}' in ${this.description}: the browser refuses a name on that path (${err.message}).`, { cause: err });
    }
    if (errName(err) === 'QuotaExceededError') {
      return new StoreError(key, `Cannot ${verb} '${key}' in ${this.description}: the storage quota is exceeded.`, { cause: err });
    }
    return new StoreError(key, `Cannot ${verb} '${key}' in ${this.description}: ${reason(err)}.`, { cause: err });
  }

  async get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined> {
    const { dir, name } = this.split(key);
    options?.signal?.throwIfAborted();
    for (let attempt = 0; ; attempt++) {
      try {
        const folder = await this.folder(dir, false);
        const handle = await folder.getFileHandle(name);
        const file = await handle.getFile();
        const bytes = new Uint8Array(await file.arrayBuffer());
        options?.signal?.throwIfAborted();
        return bytes;
      } catch (err) {
        if (options?.signal?.aborted) throw options.signal.reason;
        const n = errName(err);
        if (n === 'NotFoundError' || n === 'TypeMismatchError') return undefined;
        // The file was replaced between getFile() and the read: read the new one.
        if (n === 'NotReadableError' && attempt < READ_RETRIES) continue;
        throw this.fail(key, 'read', err);
      }
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const { dir, name } = this.split(key);
    try {
      await this.setIn(key, dir, name, value);
    } catch (err) {
      if (!(err instanceof StoreError) || errName(err.cause) !== 'NotFoundError') throw err;
      this.forgetFolders(); // a folder was removed behind this store's back: make it again
      await this.setIn(key, dir, name, value);
    }
  }

  private async setIn(key: string, dir: string[], name: string, value: Uint8Array): Promise<void> {
    let folder: FileSystemDirectoryHandle;
    try {
      folder = await this.folder(dir, true);
    } catch (err) {
      throw this.fail(key, 'write', err);
    }
    if (!this.rename) return this.writeInPlace(key, folder, name, value);
    const tmpName = `${name}.${this.writerId}.${++this.counter}.tmp`;
    let tmp: MovableFileHandle | undefined;
    try {
      tmp = (await folder.getFileHandle(tmpName, { create: true })) as MovableFileHandle;
      if (typeof tmp.move !== 'function') {
        // No move() for this kind of handle: the writable stream's own atomic commit it is.
        this.rename = false;
        await folder.removeEntry(tmpName).catch(() => undefined);
        return this.writeInPlace(key, folder, name, value);
      }
      await this.writeFile(tmp, value);
      await tmp.move(name);
    } catch (err) {
      if (tmp) await folder.removeEntry(tmpName).catch(() => undefined);
      if (errName(err) === 'NotSupportedError' && this.rename) {
        this.rename = false;
        return this.writeInPlace(key, folder, name, value);
      }
      if (errName(err) === 'InvalidModificationError') {
        throw new StoreError(key, `Cannot write '${key}' in ${this.description}: a folder of that name is in the way (a key cannot be both).`, { cause: err });
      }
      throw this.fail(key, 'write', err);
    }
  }

  /** Writes a (new, private) file completely: by sync access handle where possible, else a writable stream. */
  private async writeFile(handle: MovableFileHandle, value: Uint8Array): Promise<void> {
    if (this.useSync && this.syncWorks !== false && typeof handle.createSyncAccessHandle === 'function') {
      let sync: SyncAccessHandle | undefined;
      try {
        sync = await handle.createSyncAccessHandle();
        this.syncWorks = true;
      } catch (err) {
        // Offered but refused (a picked folder, not OPFS): use writable streams from now on.
        if (this.syncWorks === true) throw err;
        this.syncWorks = false;
      }
      if (sync) {
        try {
          sync.truncate(0);
          let at = 0;
          while (at < value.byteLength) {
            const n = sync.write(value.subarray(at), { at });
            if (n <= 0) throw new Error(`the sync access handle wrote ${n} bytes at offset ${at}`);
            at += n;
          }
          // close() flushes
        } finally {
          sync.close();
        }
        return;
      }
    }
    await this.writeStream(handle, value);
  }

  private async writeStream(handle: FileSystemFileHandle, value: Uint8Array): Promise<void> {
    const stream = await handle.createWritable({ keepExistingData: false });
    try {
      // Writable streams take no views over shared memory.
      await stream.write((value.buffer instanceof ArrayBuffer ? value : value.slice()) as Uint8Array<ArrayBuffer>);
    } catch (err) {
      await stream.abort().catch(() => undefined);
      throw err;
    }
    await stream.close();
  }

  private async writeInPlace(key: string, folder: FileSystemDirectoryHandle, name: string, value: Uint8Array): Promise<void> {
    try {
      const handle = await folder.getFileHandle(name, { create: true });
      await this.writeStream(handle, value);
    } catch (err) {
      throw this.fail(key, 'write', err);
    }
  }

  async delete(key: string): Promise<void> {
    const { dir, name } = this.split(key);
    try {
      const folder = await this.folder(dir, false);
      await folder.getFileHandle(name); // a folder of that name is refused (TypeMismatchError), not emptied
      await folder.removeEntry(name);
    } catch (err) {
      if (errName(err) === 'NotFoundError') return;
      if (errName(err) === 'TypeMismatchError') {
        throw new StoreError(key, `Cannot delete '${key}' in ${this.description}: it is a folder, not a stored value.`, { cause: err });
      }
      throw this.fail(key, 'delete', err);
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    await this.walk(prefix, (key) => {
      if (!SWAP_NAME.test(key) && key.startsWith(prefix)) out.push(key);
    });
    return out;
  }

  /** Visits every file key under the deepest folder `prefix` names (swap files included). */
  private async walk(prefix: string, visit: (key: string, folder: FileSystemDirectoryHandle, name: string) => void): Promise<void> {
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? [] : prefix.slice(0, slash).split('/');
    if (start.length > 0) checkStoreKey(start.join('/'));
    const recurse = async (folder: FileSystemDirectoryHandle, rel: string): Promise<void> => {
      const subfolders: [FileSystemDirectoryHandle, string][] = [];
      try {
        for await (const [name, handle] of (folder as IterableDirectoryHandle).entries()) {
          const key = rel === '' ? name : `${rel}/${name}`;
          if (handle.kind === 'directory') subfolders.push([handle as FileSystemDirectoryHandle, key]);
          else visit(key, folder, name);
        }
      } catch (err) {
        if (errName(err) === 'NotFoundError') return; // removed meanwhile
        throw new StoreError(rel, `Cannot list '${rel || '.'}' in ${this.description}: ${reason(err)}.`, { cause: err });
      }
      for (const [h, key] of subfolders) await recurse(h, key);
    };
    let first: FileSystemDirectoryHandle;
    try {
      first = await this.folder(start, false);
    } catch (err) {
      const n = errName(err);
      if (n === 'NotFoundError' || n === 'TypeMismatchError') return;
      throw new StoreError(start.join('/'), `Cannot list '${start.join('/')}' in ${this.description}: ${reason(err)}.`, { cause: err });
    }
    await recurse(first, start.join('/'));
  }

  /**
   * Deletes left-over temporary files (`*.<id>.<n>.tmp`, and the browser's `*.crswap`) under
   * the root; returns how many. Files another live writer still holds open are left alone.
   */
  async removeTemporaryFiles(): Promise<number> {
    const found: [FileSystemDirectoryHandle, string][] = [];
    await this.walk('', (key, folder, name) => {
      if (TEMPORARY_NAME.test(name) || SWAP_NAME.test(name)) found.push([folder, name]);
    });
    let n = 0;
    for (const [folder, name] of found) {
      try {
        await folder.removeEntry(name);
        n++;
      } catch (err) {
        const e = errName(err);
        if (e !== 'NotFoundError' && e !== 'NoModificationAllowedError' && e !== 'InvalidModificationError') throw new StoreError(name, `Cannot remove the temporary file '${name}' in ${this.description}: ${reason(err)}.`, { cause: err });
      }
    }
    return n;
  }
}
