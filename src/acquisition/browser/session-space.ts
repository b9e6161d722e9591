/**
 * Where the browser-only backend keeps sessions (pure interface), and the in-memory one:
 * one folder per session, `NAME.ome.zarr`, created new (a clash gets a UTC timestamp
 * appended, never an overwrite), opened by name, listed with status, size and time.
 * `OpfsSessionSpace` (opfs-sessions.ts) keeps them in the Origin Private File System.
 *
 * @example
 * const space = new MemorySessionSpace();
 * const { name, store } = await space.create('embryo 7');   // name 'embryo_7'
 * const entries = await space.list();
 */
import type { SessionEntry } from '../live-backend.ts';
import { sessionFolderName } from '../../session/metadata/layout.ts';
import { MemoryStore } from '../../session/store/memory-store.ts';
import type { ReadableSessionStore, SessionStore } from '../../session/store/types.ts';
import { SessionStateError } from '../../session/session-state.ts';

export interface SessionSpace {
  /** A new, empty session folder for `name`; resolves with its stored name (folder without `.ome.zarr`). */
  create(name: string): Promise<{ name: string; store: SessionStore }>;
  /** An existing session folder by stored name; rejects with `not-found`. */
  open(name: string): Promise<SessionStore>;
  list(): Promise<SessionEntry[]>;
  /** Removes a folder `create` made when its session could not be started (nothing was written to it). */
  discard(name: string): Promise<void>;
}

/** The stored name for `name` (`sessionFolderName` without `.ome.zarr`), or with `_YYYYmmdd_HHMMSS` (UTC) when taken. */
export function uniqueSessionName(name: string, taken: (candidate: string) => boolean, now: Date = new Date()): string {
  const base = sessionFolderName(name).replace(/\.ome\.zarr$/, '');
  if (!taken(base)) return base;
  const stamped = `${base}_${now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)}`;
  let candidate = stamped;
  for (let i = 2; taken(candidate); i++) candidate = `${stamped}_${i}`;
  return candidate;
}

/** A `SessionEntry` from a session's `.zattrs` (status, updated) and its size. */
export async function sessionEntry(name: string, store: ReadableSessionStore, bytes: number, fallbackModified: string): Promise<SessionEntry> {
  let status: SessionEntry['status'] = 'external';
  let modified = fallbackModified;
  const z = await store.get('.zattrs').catch(() => undefined);
  if (z !== undefined) {
    try {
      const fl = (JSON.parse(new TextDecoder().decode(z)) as { flamingo?: { status?: unknown; updated?: unknown } }).flamingo;
      if (fl?.status === 'acquiring' || fl?.status === 'interrupted' || fl?.status === 'complete') status = fl.status;
      if (typeof fl?.updated === 'string') modified = fl.updated;
    } catch {
      // An unreadable .zattrs lists as an external folder; opening it names the problem.
    }
  }
  return { name, status, storeUrl: null, bytes, modified };
}

/** Sessions in memory (tests, pages without OPFS); gone when the page or worker goes. */
export class MemorySessionSpace implements SessionSpace {
  private readonly stores = new Map<string, { store: MemoryStore; created: string }>();

  async create(name: string): Promise<{ name: string; store: SessionStore }> {
    const stored = uniqueSessionName(name, (n) => this.stores.has(n));
    const store = new MemoryStore(`memory ${stored}.ome.zarr`);
    this.stores.set(stored, { store, created: new Date().toISOString() });
    return { name: stored, store };
  }

  async open(name: string): Promise<SessionStore> {
    const s = this.stores.get(name);
    if (!s) throw new SessionStateError('not-found', `There is no session '${name}' in memory.`);
    return s.store;
  }

  async discard(name: string): Promise<void> {
    this.stores.delete(name);
  }

  async list(): Promise<SessionEntry[]> {
    const out: SessionEntry[] = [];
    for (const [name, { store, created }] of this.stores) {
      let bytes = 0;
      for (const key of await store.list()) bytes += (await store.get(key))?.byteLength ?? 0;
      out.push(await sessionEntry(name, store, bytes, created));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}
