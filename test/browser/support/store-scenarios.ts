/**
 * Store scenarios run inside Chromium (in the page or in a worker) against any
 * `SessionStore`; each returns a plain, structured-clonable report that the Node test checks.
 *
 * @example
 * const report = await storeSemantics(await OpfsStore.createNew('/t/semantics'));
 */
import type { SessionStore } from '../../../src/session/store/types.ts';
import { TEMPORARY_NAME } from '../../../src/session/store/types.ts';

export interface ErrorReport {
  name: string;
  message: string;
  key?: string;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

export async function errorOf(fn: () => Promise<unknown>): Promise<ErrorReport | null> {
  try {
    await fn();
    return null;
  } catch (e) {
    const err = e as { name?: string; message?: string; key?: string };
    return { name: String(err.name), message: String(err.message), ...(typeof err.key === 'string' ? { key: err.key } : {}) };
  }
}

function equal(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every file name under a folder handle, swap files and temporaries included (`a/b/c`). */
export async function allNames(dir: FileSystemDirectoryHandle, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    const key = rel ? `${rel}/${name}` : name;
    if (h.kind === 'directory') out.push(...(await allNames(h as FileSystemDirectoryHandle, key)));
    else out.push(key);
  }
  return out.sort();
}

export const isTemporary = (k: string): boolean => TEMPORARY_NAME.test(k) || /\.crswap$/.test(k);

/** get/set/replace/delete/list, key errors, odd values, abort; the store must start empty. */
export async function storeSemantics(store: SessionStore & { root: FileSystemDirectoryHandle; removeTemporaryFiles(): Promise<number> }): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = {};
  r.absent = await store.get('nope');
  r.absentNested = await store.get('a/b/c');
  await store.set('.zgroup', enc('{"zarr_format": 2}'));
  await store.set('0/.zarray', enc('first'));
  await store.set('0/0/0/0/0', enc('chunk'));
  await store.set('0/.zarray', enc('replaced'));
  await store.set('0/0/0/1/0', enc('longer chunk bytes'));
  await store.set('0/0/0/1/0', enc('short'));
  r.replaced = dec(await store.get('0/.zarray'));
  r.shortened = dec(await store.get('0/0/0/1/0'));
  r.list = (await store.list()).sort();
  r.listLevel = (await store.list('0/')).sort();
  r.listPartial = (await store.list('0/0/0/1')).sort();
  r.listMissing = await store.list('9/');
  r.getFolder = await store.get('0/0');
  await store.delete('0/0/0/0/0');
  await store.delete('0/0/0/0/0');
  await store.delete('never/was/here');
  r.afterDelete = await store.get('0/0/0/0/0');
  r.listAfterDelete = (await store.list('0/')).sort();

  const badKeys = ['', '/abs', 'a//b', 'a/../b', './a', 'a\\b', 'a/'];
  r.badKeys = await Promise.all(
    badKeys.map(async (k) => ({ key: k, get: await errorOf(() => store.get(k)), set: await errorOf(() => store.set(k, enc('x'))), delete: await errorOf(() => store.delete(k)) })),
  );
  r.fileInTheWay = await errorOf(() => store.set('.zgroup/x', enc('x')));
  r.folderInTheWay = await errorOf(() => store.set('0', enc('x')));
  r.deleteFolder = await errorOf(() => store.delete('0'));
  r.zgroupAfterErrors = dec(await store.get('.zgroup'));

  await store.set('empty', new Uint8Array(0));
  r.empty = (await store.get('empty'))?.length;
  const big = new Uint8Array(5 * 2 ** 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  await store.set('big', big);
  r.bigEqual = equal(await store.get('big'), big);
  const shared = new Uint8Array(new SharedArrayBuffer(1000)).fill(7);
  await store.set('shared', shared);
  r.sharedEqual = equal(await store.get('shared'), shared);
  const view = big.subarray(1000, 3000);
  await store.set('view', view);
  r.viewEqual = equal(await store.get('view'), view);

  const ac = new AbortController();
  ac.abort();
  r.aborted = await errorOf(() => store.get('.zgroup', { signal: ac.signal }));

  // A folder removed behind the store's back: reads miss, the next write makes it again.
  await store.set('gone/a/b', enc('1'));
  await (await store.root.getDirectoryHandle('gone')).removeEntry('a', { recursive: true });
  r.getAfterRemoval = await store.get('gone/a/b');
  await store.set('gone/a/b', enc('2'));
  r.setAfterRemoval = dec(await store.get('gone/a/b'));

  const names = await allNames(store.root);
  r.temporaries = names.filter(isTemporary);
  r.removed = await store.removeTemporaryFiles();
  return r;
}

/** Writes `rounds` values of `size` bytes, each all one byte value (1, 2, …), to `key`. */
export async function hammer(store: SessionStore, key: string, rounds: number, size: number): Promise<void> {
  for (let v = 1; v <= rounds; v++) await store.set(key, new Uint8Array(size).fill(v & 255));
}

/** Reads `key` until `done()`; counts reads that are not one whole value (wrong length or mixed bytes). */
export async function readUntil(store: SessionStore, key: string, size: number, done: () => boolean): Promise<{ reads: number; partial: number; values: number[] }> {
  let reads = 0;
  let partial = 0;
  const values = new Set<number>();
  while (!done()) {
    const b = await store.get(key);
    if (b === undefined) continue;
    reads++;
    const v = b[0]!;
    if (b.length !== size || b.some((x) => x !== v)) partial++;
    else values.add(v);
  }
  return { reads, partial, values: [...values].sort((a, b) => a - b) };
}
