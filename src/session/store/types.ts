/**
 * The one store shape every session backend implements (Node filesystem, memory, OPFS,
 * a user-picked directory), after zarrita's: keys are `/`-separated paths relative to
 * the session folder (`.zattrs`, `0/.zarray`, `0/1/0/2/3`); `get` resolves to
 * `undefined` for a missing key (not an error); `set` replaces a whole value atomically
 * (readers see the old bytes or the new, never a mix).
 *
 * @example
 * await store.set('.zgroup', new TextEncoder().encode('{"zarr_format": 2}'));
 * const bytes = await store.get('0/.zarray'); // undefined when absent
 */

export interface StoreGetOptions {
  signal?: AbortSignal;
}

export interface ReadableSessionStore {
  /** The whole value, or `undefined` when the key does not exist. */
  get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined>;
  /** Every key under `prefix` (default: all), files only, in no particular order. */
  list(prefix?: string): Promise<string[]>;
  /** A short description for messages, e.g. the folder path. */
  readonly description: string;
}

export interface SessionStore extends ReadableSessionStore {
  /** Writes the whole value atomically (temporary name, then rename, where the backend has files). */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Removes a key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Temporary names of atomic writes (spec §5.3): `<final name>.<writer id>.<counter>.tmp`.
 * They never match a chunk key or a metadata name, so readers skip them.
 */
export const TEMPORARY_NAME = /\.[0-9A-Za-z]+\.\d+\.tmp$/;

/** Store failures carry the key and the cause. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}

/** Keys are relative, `/`-separated, with no empty, `.` or `..` segments. */
export function checkStoreKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..') || key.includes('\\') || key.includes('\0')) {
    throw new StoreError(key, `Store key '${key}' is not a relative path of plain segments.`);
  }
  return key;
}
