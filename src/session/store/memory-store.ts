/**
 * An in-memory session store: a `Map` from key to bytes. `set` keeps a private copy, so a
 * caller reusing its buffer cannot change what was stored, and replacing a value is atomic
 * (one map assignment). Used by tests and by the browser before a target is chosen.
 *
 * @example
 * const store = new MemoryStore();
 * await store.set('.zgroup', bytes);
 * await store.list('0/'); // keys under level 0
 */
import { StoreError, checkStoreKey } from './types.ts';
import type { SessionStore, StoreGetOptions } from './types.ts';

export class MemoryStore implements SessionStore {
  readonly description: string;
  private readonly entries = new Map<string, Uint8Array>();

  constructor(description = 'memory store') {
    this.description = description;
  }

  async get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined> {
    checkStoreKey(key);
    if (options?.signal?.aborted) throw new StoreError(key, `Reading '${key}' from ${this.description} was aborted.`, { cause: options.signal.reason });
    const v = this.entries.get(key);
    return v === undefined ? undefined : v.slice();
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    checkStoreKey(key);
    for (const existing of this.entries.keys()) {
      // A key cannot be both a file and a folder, as on a file system.
      if (existing.startsWith(`${key}/`) || key.startsWith(`${existing}/`)) {
        throw new StoreError(key, `Cannot store '${key}' in ${this.description}: '${existing}' is in the way (a key cannot be a file and a folder).`);
      }
    }
    this.entries.set(key, value.slice());
  }

  async delete(key: string): Promise<void> {
    checkStoreKey(key);
    this.entries.delete(key);
  }

  async list(prefix = ''): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Number of stored keys. */
  get size(): number {
    return this.entries.size;
  }
}
