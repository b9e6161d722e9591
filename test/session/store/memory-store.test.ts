import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';
import { readOnly } from '../../../src/session/store/read-only.ts';
import { StoreError } from '../../../src/session/store/types.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('MemoryStore', () => {
  it('gets, sets, replaces, deletes and lists keys', async () => {
    const s = new MemoryStore();
    expect(await s.get('.zattrs')).toBeUndefined();
    await s.set('.zgroup', bytes('{"zarr_format": 2}'));
    await s.set('0/.zarray', bytes('a'));
    await s.set('0/0/0/0/0', bytes('b'));
    await s.set('0/.zarray', bytes('c'));
    expect(new TextDecoder().decode(await s.get('0/.zarray'))).toBe('c');
    expect((await s.list()).sort()).toEqual(['.zgroup', '0/.zarray', '0/0/0/0/0']);
    expect((await s.list('0/')).sort()).toEqual(['0/.zarray', '0/0/0/0/0']);
    await s.delete('0/0/0/0/0');
    await s.delete('0/0/0/0/0');
    expect(await s.get('0/0/0/0/0')).toBeUndefined();
  });

  it('keeps its own copy of stored and returned bytes', async () => {
    const s = new MemoryStore();
    const v = bytes('abc');
    await s.set('k', v);
    v[0] = 0;
    const got = (await s.get('k'))!;
    got[1] = 0;
    expect(new TextDecoder().decode(await s.get('k'))).toBe('abc');
  });

  it('refuses keys that are not plain relative paths, and a key that is both file and folder', async () => {
    const s = new MemoryStore();
    for (const k of ['', '/abs', 'a/../b', 'a//b', './a', 'a\\b']) await expect(s.set(k, bytes('x'))).rejects.toBeInstanceOf(StoreError);
    await s.set('0/1', bytes('x'));
    await expect(s.set('0/1/2', bytes('y'))).rejects.toThrow(/in the way/);
    await expect(s.set('0', bytes('y'))).rejects.toThrow(/in the way/);
  });

  it('honours an aborted signal on get', async () => {
    const s = new MemoryStore();
    await s.set('k', bytes('x'));
    await expect(s.get('k', { signal: AbortSignal.abort() })).rejects.toThrow(/aborted/);
  });
});

describe('readOnly', () => {
  it('reads through and refuses writes with a message naming the store', async () => {
    const s = new MemoryStore('test store');
    await s.set('a/b', bytes('x'));
    const r = readOnly(s) as ReturnType<typeof readOnly> & { set: (k: string, v: Uint8Array) => Promise<void>; delete: (k: string) => Promise<void> };
    expect(r.description).toBe('test store (read-only)');
    expect(await r.list()).toEqual(['a/b']);
    expect(await r.get('a/b')).toEqual(bytes('x'));
    await expect(r.set('a/b', bytes('y'))).rejects.toThrow(/test store is opened read-only/);
    await expect(r.delete('a/b')).rejects.toThrow(/read-only/);
    expect(await s.get('a/b')).toEqual(bytes('x'));
  });
});
