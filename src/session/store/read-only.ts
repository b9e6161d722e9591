/**
 * A read-only view of any store: `get` and `list` pass through; there is no `set` or
 * `delete`, so a reader handed this view cannot change a session (the type says so, and a
 * cast-and-call fails at run time too).
 *
 * @example
 * const view = readOnly(new FsStore('/data/embryo.ome.zarr'));
 * await view.get('.zattrs');
 */
import { StoreError } from './types.ts';
import type { ReadableSessionStore, StoreGetOptions } from './types.ts';

export class ReadOnlyStore implements ReadableSessionStore {
  readonly description: string;

  constructor(private readonly inner: ReadableSessionStore) {
    this.description = `${inner.description} (read-only)`;
  }

  get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined> {
    return this.inner.get(key, options);
  }

  list(prefix?: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  /** Always refuses: this view is read-only. */
  set(key: string): Promise<void> {
    return Promise.reject(new StoreError(key, `Cannot write '${key}': ${this.inner.description} is opened read-only.`));
  }

  /** Always refuses: this view is read-only. */
  delete(key: string): Promise<void> {
    return Promise.reject(new StoreError(key, `Cannot delete '${key}': ${this.inner.description} is opened read-only.`));
  }
}

export function readOnly(store: ReadableSessionStore): ReadableSessionStore {
  return new ReadOnlyStore(store);
}
