/**
 * Sessions in the Origin Private File System (browser only): one folder `NAME.ome.zarr` per
 * session in the OPFS root, written through `OpfsStore` (sync access handles in the
 * backend's worker). Listing walks each folder for its size and newest file time.
 *
 * @example
 * const space = new OpfsSessionSpace();
 * const { name, store } = await space.create('embryo');   // OPFS /embryo.ome.zarr
 * for (const e of await space.list()) console.log(e.name, e.status, e.bytes);
 */
import type { SessionEntry } from '../live-backend.ts';
import { OpfsStore, opfsRoot } from '../../session/store/opfs-store.ts';
import type { SessionStore } from '../../session/store/types.ts';
import { SessionStateError } from '../../session/session-state.ts';
import { sessionEntry, uniqueSessionName, type SessionSpace } from './session-space.ts';

const SUFFIX = '.ome.zarr';

interface IterableDirectory extends FileSystemDirectoryHandle {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}

async function sessionFolders(): Promise<Map<string, FileSystemDirectoryHandle>> {
  const root = (await opfsRoot()) as IterableDirectory;
  const out = new Map<string, FileSystemDirectoryHandle>();
  for await (const [name, handle] of root.entries()) {
    if (handle.kind === 'directory' && name.endsWith(SUFFIX) && name.length > SUFFIX.length) out.set(name.slice(0, -SUFFIX.length), handle as FileSystemDirectoryHandle);
  }
  return out;
}

/** Bytes and newest modification time (ms) of every file under `dir`. */
async function folderSize(dir: FileSystemDirectoryHandle): Promise<{ bytes: number; modifiedMs: number }> {
  let bytes = 0;
  let modifiedMs = 0;
  for await (const [, handle] of (dir as IterableDirectory).entries()) {
    if (handle.kind === 'directory') {
      const sub = await folderSize(handle as FileSystemDirectoryHandle);
      bytes += sub.bytes;
      modifiedMs = Math.max(modifiedMs, sub.modifiedMs);
    } else {
      try {
        const file = await (handle as FileSystemFileHandle).getFile();
        bytes += file.size;
        modifiedMs = Math.max(modifiedMs, file.lastModified);
      } catch {
        // A file being replaced right now; it is counted on the next listing.
      }
    }
  }
  return { bytes, modifiedMs };
}

export class OpfsSessionSpace implements SessionSpace {
  async create(name: string): Promise<{ name: string; store: SessionStore }> {
    const taken = await sessionFolders();
    const stored = uniqueSessionName(name, (n) => taken.has(n));
    return { name: stored, store: await OpfsStore.createNew(`/${stored}${SUFFIX}`) };
  }

  async open(name: string): Promise<SessionStore> {
    if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
      throw new SessionStateError('not-found', `'${name}' is not a session name (a folder name without '/').`);
    }
    if (!(await sessionFolders()).has(name)) throw new SessionStateError('not-found', `There is no session '${name}' in this browser's storage (OPFS /${name}${SUFFIX}).`);
    return OpfsStore.open(`/${name}${SUFFIX}`);
  }

  async discard(name: string): Promise<void> {
    if (!(await sessionFolders()).has(name)) return;
    await (await opfsRoot()).removeEntry(`${name}${SUFFIX}`, { recursive: true });
  }

  async list(): Promise<SessionEntry[]> {
    const out: SessionEntry[] = [];
    for (const [name, dir] of await sessionFolders()) {
      const { bytes, modifiedMs } = await folderSize(dir);
      out.push(await sessionEntry(name, await OpfsStore.open(`/${name}${SUFFIX}`), bytes, new Date(modifiedMs).toISOString()));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}
