/**
 * The Node file-system store: a session folder on disk (Node only).
 *
 * Every `set` is atomic (spec §5.3): the bytes go to a temporary file in the same folder,
 * named `<final name>.<writer id>.<counter>.tmp`, which is closed and then renamed onto the
 * final name; readers see the old file or the new one, never a part. Temporary names never
 * match a chunk key or a metadata name, so readers skip them; `removeTemporaryFiles()`
 * deletes left-overs of this writer id or of crashed writers.
 *
 * fsync policy (`fsync` option): `"metadata"` (default) fsyncs `.zgroup`, `.zattrs` and
 * `.zarray` before the rename and not chunks (after a power cut a recent chunk may be an
 * empty file, which readers treat as missing, §3.4); `"all"` fsyncs every file; `"none"`
 * never does (tests, scratch output). Folders are not fsynced.
 *
 * Keys are checked with `checkStoreKey` and resolved under the root; a key that would leave
 * the root is refused.
 *
 * @example
 * const store = await FsStore.createNew('/data/embryo.ome.zarr'); // refuses an existing folder
 * await store.set('.zgroup', new TextEncoder().encode('{"zarr_format": 2}'));
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StoreError, TEMPORARY_NAME, checkStoreKey } from './types.ts';
import type { SessionStore, StoreGetOptions } from './types.ts';

export type FsyncPolicy = 'metadata' | 'all' | 'none';

export interface FsStoreOptions {
  /** Default `"metadata"`: fsync `.zgroup`, `.zattrs`, `.zarray` before renaming them. */
  fsync?: FsyncPolicy;
  /** Short id in temporary names (default: 4 random hex digits). */
  writerId?: string;
}


function isMetadataKey(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return base === '.zattrs' || base === '.zarray' || base === '.zgroup';
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class FsStore implements SessionStore {
  /** Where the store reads and writes now (a staging folder until `publish()`). */
  root: string;
  /** The final folder name a staged store is renamed to by `publish()`. */
  private stagedFor: string | null = null;
  description: string;
  readonly writerId: string;
  private readonly fsync: FsyncPolicy;
  private counter = 0;
  /** Folders known to exist (saves a mkdir per chunk). */
  private readonly madeDirs = new Set<string>();

  constructor(root: string, options: FsStoreOptions = {}) {
    this.root = path.resolve(root);
    this.description = this.root;
    this.fsync = options.fsync ?? 'metadata';
    this.writerId = options.writerId ?? randomBytes(2).toString('hex');
    if (!/^[0-9A-Za-z]+$/.test(this.writerId)) throw new StoreError('', `Writer id '${this.writerId}' must be letters and digits only.`);
  }

  /** Creates the folder (its parent must exist) and refuses one that already exists (§3.1). */
  static async createNew(root: string, options: FsStoreOptions = {}): Promise<FsStore> {
    const store = new FsStore(root, options);
    try {
      await mkdir(store.root);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw new StoreError('', `Cannot create session folder ${store.root}: it already exists (a session is never overwritten).`, { cause: err });
      throw new StoreError('', `Cannot create session folder ${store.root}: ${reason(err)}.`, { cause: err });
    }
    store.madeDirs.add(store.root);
    return store;
  }

  /**
   * Like `createNew`, but the folder is first made under a staging name
   * (`<root>.<writer id>.creating`, which readers do not take for a session) and appears
   * under its own name only at `publish()`, once its first metadata is written: a crash
   * in between leaves no session folder without `.zattrs`.
   */
  static async createStaged(root: string, options: FsStoreOptions = {}): Promise<FsStore> {
    const final = path.resolve(root);
    if (await exists(final)) {
      throw new StoreError('', `Cannot create session folder ${final}: it already exists (a session is never overwritten).`);
    }
    const probe = new FsStore(final, options);
    const store = await FsStore.createNew(`${final}.${probe.writerId}.creating`, { ...options, writerId: probe.writerId });
    store.stagedFor = final;
    store.description = final;
    return store;
  }

  /** Renames a staged folder to its final name; refuses to replace anything that holds data. */
  async publish(): Promise<void> {
    const final = this.stagedFor;
    if (final === null) return;
    if (await exists(final)) {
      throw new StoreError('', `Cannot publish session folder ${final}: something was created there meanwhile; the session stays in ${this.root}.`);
    }
    try {
      await rename(this.root, final);
    } catch (err) {
      throw new StoreError('', `Cannot publish session folder ${final} from ${this.root}: ${reason(err)}.`, { cause: err });
    }
    this.root = final;
    this.stagedFor = null;
    this.madeDirs.clear();
    this.madeDirs.add(final);
  }

  /** Absolute path of a key, refusing keys that are not plain relative paths or leave the root. */
  pathOf(key: string): string {
    checkStoreKey(key);
    const p = path.resolve(this.root, ...key.split('/'));
    if (p !== this.root && !p.startsWith(this.root + path.sep)) {
      throw new StoreError(key, `Store key '${key}' resolves outside ${this.root}.`);
    }
    return p;
  }

  async get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined> {
    const p = this.pathOf(key);
    try {
      const buf = await readFile(p, { signal: options?.signal });
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw new StoreError(key, `Cannot read '${key}' in ${this.root}: ${reason(err)}.`, { cause: err });
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const final = this.pathOf(key);
    const dir = path.dirname(final);
    const tmp = `${final}.${this.writerId}.${++this.counter}.tmp`;
    try {
      if (!this.madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      const fh = await open(tmp, 'wx');
      try {
        let off = 0;
        while (off < value.byteLength) {
          const { bytesWritten } = await fh.write(value, off, value.byteLength - off);
          off += bytesWritten;
        }
        if (this.fsync === 'all' || (this.fsync === 'metadata' && isMetadataKey(key))) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new StoreError(key, `Cannot write '${key}' in ${this.root}: ${reason(err)}.`, { cause: err });
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    try {
      await unlink(p);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw new StoreError(key, `Cannot delete '${key}' in ${this.root}: ${reason(err)}.`, { cause: err });
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw new StoreError(rel, `Cannot list '${rel || '.'}' in ${this.root}: ${reason(err)}.`, { cause: err });
      }
      for (const e of entries) {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(path.join(dir, e.name), key);
        else if (e.isFile() && key.startsWith(prefix)) out.push(key);
      }
    };
    // Start at the deepest folder the prefix names, so listing one level does not walk all.
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? '' : prefix.slice(0, slash);
    await walk(start === '' ? this.root : this.pathOf(start), start);
    return out;
  }

  /** Deletes every temporary file (`*.<id>.<n>.tmp`) under the root; returns how many. */
  async removeTemporaryFiles(): Promise<number> {
    const keys = await this.list();
    let n = 0;
    for (const k of keys) {
      if (TEMPORARY_NAME.test(k)) {
        await rm(this.pathOf(k), { force: true });
        n++;
      }
    }
    return n;
  }
}
