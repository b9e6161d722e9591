import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import { TEMPORARY_NAME } from '../../../src/session/store/types.ts';
import { StoreError } from '../../../src/session/store/types.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fv-fsstore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FsStore', () => {
  it('writes nested keys, reads them back, lists recursively and deletes', async () => {
    const s = new FsStore(path.join(dir, 's.ome.zarr'), { fsync: 'none' });
    await s.set('.zgroup', bytes('{"zarr_format": 2}'));
    await s.set('0/.zarray', bytes('{}'));
    await s.set('0/1/0/2/3', bytes('chunk'));
    await s.set('1/0/0/0/0', bytes('c2'));
    expect(new TextDecoder().decode(await s.get('0/1/0/2/3'))).toBe('chunk');
    expect(await s.get('0/9/9/9/9')).toBeUndefined();
    expect(await s.get('0/1')).toBeUndefined(); // a folder is not a value
    expect((await s.list()).sort()).toEqual(['.zgroup', '0/.zarray', '0/1/0/2/3', '1/0/0/0/0']);
    expect((await s.list('0/')).sort()).toEqual(['0/.zarray', '0/1/0/2/3']);
    expect(await s.list('7/')).toEqual([]);
    await s.delete('0/1/0/2/3');
    await s.delete('0/1/0/2/3');
    expect(await s.get('0/1/0/2/3')).toBeUndefined();
  });

  it('createNew refuses an existing folder', async () => {
    const p = path.join(dir, 'a.ome.zarr');
    await FsStore.createNew(p);
    await expect(FsStore.createNew(p)).rejects.toThrow(/already exists/);
  });

  it('createStaged shows the folder under its name only at publish, with what was written', async () => {
    const final = path.join(dir, 'staged.ome.zarr');
    const s = await FsStore.createStaged(final, { fsync: 'none' });
    await s.set('.zgroup', bytes('{"zarr_format": 2}'));
    expect(readdirSync(dir)).toEqual([`staged.ome.zarr.${s.writerId}.creating`]);
    await s.publish();
    expect(readdirSync(dir)).toEqual(['staged.ome.zarr']);
    expect(s.root).toBe(final);
    await s.set('0/0/0/0/0', bytes('after'));
    expect(readdirSync(final).sort()).toEqual(['.zgroup', '0']);
    expect(new TextDecoder().decode(await s.get('0/0/0/0/0'))).toBe('after');
  });

  it('publish refuses to replace a folder that appeared meanwhile, and keeps the staged data', async () => {
    const final = path.join(dir, 'race.ome.zarr');
    const s = await FsStore.createStaged(final, { fsync: 'none' });
    await s.set('.zgroup', bytes('{"zarr_format": 2}'));
    const other = new FsStore(final, { fsync: 'none' });
    await other.set('.zattrs', bytes('{"someone": "else"}'));
    await expect(s.publish()).rejects.toThrow(/race\.ome\.zarr.*created there meanwhile/);
    expect(new TextDecoder().decode(await other.get('.zattrs'))).toBe('{"someone": "else"}');
    expect(await s.get('.zgroup')).toBeDefined();
    await expect(FsStore.createStaged(final)).rejects.toThrow(/already exists/);
  });

  it('refuses keys that leave the root, including through ..', async () => {
    const s = new FsStore(path.join(dir, 'root'));
    for (const k of ['../x', 'a/../../x', '/etc/passwd', 'a\\..\\x']) {
      await expect(s.set(k, bytes('x'))).rejects.toBeInstanceOf(StoreError);
      expect(() => s.pathOf(k)).toThrow(StoreError);
    }
  });

  it('replaces values atomically: a reader sees the old bytes or the new, never a part', async () => {
    const s = new FsStore(path.join(dir, 'atomic'), { fsync: 'none' });
    const a = new Uint8Array(8 << 20).fill(1);
    const b = new Uint8Array(8 << 20).fill(2);
    await s.set('0/0/0/0/0', a);
    let stop = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const v = await s.get('0/0/0/0/0');
        expect(v).toBeDefined();
        expect(v!.byteLength).toBe(8 << 20);
        seen.add(`${v![0]}${v![v!.length - 1]}`);
        // Every name in the folder is the final name or a temporary name.
        for (const n of readdirSync(path.join(dir, 'atomic/0/0/0/0'))) expect(n === '0' || TEMPORARY_NAME.test(n)).toBe(true);
      }
    })();
    for (let i = 0; i < 6; i++) await s.set('0/0/0/0/0', i % 2 ? a : b);
    stop = true;
    await reader;
    for (const v of seen) expect(['11', '22']).toContain(v);
    expect(readdirSync(path.join(dir, 'atomic/0/0/0/0'))).toEqual(['0']);
  });

  it('leaves no temporary file when a write fails, and says which key', async () => {
    const s = new FsStore(path.join(dir, 'fail'), { fsync: 'none' });
    await s.set('0', bytes('a file where a folder is needed'));
    await expect(s.set('0/0/0/0/0', bytes('x'))).rejects.toThrow(/Cannot write '0\/0\/0\/0\/0'/);
    expect((await s.list()).filter((k) => TEMPORARY_NAME.test(k))).toEqual([]);
  });

  it('removes stale temporary files of any writer', async () => {
    const s = new FsStore(path.join(dir, 'tmpfiles'), { fsync: 'all', writerId: 'ab12' });
    await s.set('0/0/0/0/0', bytes('x'));
    writeFileSync(path.join(dir, 'tmpfiles/0/0/0/0/0.8f2a.117.tmp'), 'partial');
    writeFileSync(path.join(dir, 'tmpfiles/.zattrs.8f2a.118.tmp'), 'partial');
    expect(await s.removeTemporaryFiles()).toBe(2);
    expect((await s.list()).sort()).toEqual(['0/0/0/0/0']);
  });

  it('does not follow a symlinked key out of the root when listing', async () => {
    const root = path.join(dir, 'links');
    const s = new FsStore(root, { fsync: 'none' });
    await s.set('a', bytes('x'));
    symlinkSync(os.tmpdir(), path.join(root, 'outside'));
    expect(await s.list()).toEqual(['a']);
  });
});
