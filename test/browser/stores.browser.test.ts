/**
 * OpfsStore (in a dedicated worker with sync access handles, and on the main thread) and
 * DirectoryStore in real Chromium: store semantics and errors, the session writer (InlineEncoder
 * + WebAssembly zstd) writing a z-stack through each, read back in the page and, copied out to
 * Node, by python zarr at every level and by validateSession; atomic replacement under
 * concurrent reads; a page reload in the middle of a session or of a write; HttpStore in the page.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmZstdCodec } from '../../src/session/codec/zstd-wasm.ts';
import { FsStore } from '../../src/session/store/fs-store.ts';
import { validateSession } from '../../src/session/validate.ts';
import { pyCheck } from '../session/writer/helpers.ts';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';
import type { PageApi } from './support/stores-page.ts';
import { STACK_SHAPE, syntheticVolume } from './support/synthetic.ts';

let h: Harness;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-browser-stores-'));

beforeAll(async () => {
  h = await openBrowser({ entries: { main: 'test/browser/support/stores-page.ts', worker: 'test/browser/support/stores-worker.ts' }, dirs: { '/served/': tmp } });
});
afterAll(async () => {
  await h?.close();
  rmSync(tmp, { recursive: true, force: true });
});

type T = PageApi;
const t = <R>(fn: (t: T, arg: never) => R | Promise<R>, arg?: unknown): Promise<R> =>
  h.page.evaluate(
    ([src, a]) => {
      const f = new Function(`return (${src})`)() as (t: unknown, a: unknown) => unknown;
      return f((globalThis as unknown as { t: unknown }).t, a);
    },
    [fn.toString(), arg] as const,
  ) as Promise<R>;

/** Writes the files `dump()` returned into a folder on disk. */
function materialise(files: Record<string, string>, name: string): string {
  const root = path.join(tmp, name);
  for (const [key, b64] of Object.entries(files)) {
    const p = path.join(root, ...key.split('/'));
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, Buffer.from(b64, 'base64'));
  }
  return root;
}

async function validateOnDisk(root: string): Promise<Awaited<ReturnType<typeof validateSession>>> {
  const codec = createWasmZstdCodec(3);
  return validateSession(new FsStore(root), { decodeChunk: (b) => codec.decode(b) });
}

function expectSemantics(r: Record<string, unknown>): void {
  expect(r.absent).toBeUndefined();
  expect(r.absentNested).toBeUndefined();
  expect(r.replaced).toBe('replaced');
  expect(r.shortened).toBe('short');
  expect(r.list).toEqual(['.zgroup', '0/.zarray', '0/0/0/0/0', '0/0/0/1/0']);
  expect(r.listLevel).toEqual(['0/.zarray', '0/0/0/0/0', '0/0/0/1/0']);
  expect(r.listPartial).toEqual(['0/0/0/1/0']);
  expect(r.listMissing).toEqual([]);
  expect(r.getFolder).toBeUndefined();
  expect(r.afterDelete).toBeUndefined();
  expect(r.listAfterDelete).toEqual(['0/.zarray', '0/0/0/1/0']);
  for (const b of r.badKeys as { key: string; get: { name: string; message: string }; set: { name: string; message: string }; delete: { name: string; message: string } }[]) {
    for (const e of [b.get, b.set, b.delete]) {
      expect(e.name).toBe('StoreError');
      expect(e.message).toBe(`Store key '${b.key}' is not a relative path of plain segments.`);
    }
  }
  expect(r.fileInTheWay).toMatchObject({ name: 'StoreError', key: '.zgroup/x' });
  expect((r.fileInTheWay as { message: string }).message).toMatch(/^Cannot write '\.zgroup\/x' in .*: a file and a folder are in each other's way/);
  expect(r.folderInTheWay).toMatchObject({ name: 'StoreError', key: '0' });
  expect((r.folderInTheWay as { message: string }).message).toMatch(/^Cannot write '0' in .*folder/);
  expect(r.deleteFolder).toMatchObject({ name: 'StoreError', key: '0' });
  expect((r.deleteFolder as { message: string }).message).toMatch(/^Cannot delete '0' in .*: it is a folder, not a stored value\.$/);
  expect(r.zgroupAfterErrors).toBe('{"zarr_format": 2}');
  expect(r.empty).toBe(0);
  expect(r.bigEqual).toBe(true);
  expect(r.sharedEqual).toBe(true);
  expect(r.viewEqual).toBe(true);
  expect(r.aborted).toMatchObject({ name: 'AbortError' });
  expect(r.getAfterRemoval).toBeUndefined();
  expect(r.setAfterRemoval).toBe('2');
  expect(r.temporaries).toEqual([]);
  expect(r.removed).toBe(0);
}

describe('OPFS and directory stores in Chromium', () => {
  it('the page is cross-origin isolated and the worker has sync access handles', async () => {
    expect(await t((t) => t.crossOriginIsolated())).toBe(true);
    expect(await t((t) => t.worker.hasSyncHandles())).toBe(true);
  });

  it('OpfsStore in a worker: get/set/replace/delete/list, named errors, no temporaries left', async () => {
    const r = await t((t, p: string) => t.worker.semantics(p), '/semantics/worker');
    expect(r.writeMode).toBe('sync-handle');
    expectSemantics(r);
  });

  it('OpfsStore on the main thread writes through writable streams with the same semantics', async () => {
    const r = await t((t, p: string) => t.mainOpfsSemantics(p), '/semantics/main');
    expect(r.writeMode).toBe('writable');
    expectSemantics(r);
  });

  it('DirectoryStore (temporary + move, and in place) has the same semantics', async () => {
    const r = await t((t, p: string) => t.directorySemantics(p), '/semantics/picked');
    expect(r).toMatchObject({ writeMode: 'writable', description: 'folder "picked"' });
    expectSemantics(r);
    const inPlace = await t((t, p: string) => t.directoryInPlaceSemantics(p), '/semantics/in-place');
    expect(inPlace.writeMode).toBe('writable-in-place');
    expectSemantics(inPlace);
  });

  it('opening names what is wrong: a missing folder, a bad path, an existing session', async () => {
    const r = await t((t) => t.openErrors());
    expect(r.missing).toMatchObject({ name: 'StoreError', message: 'There is no folder at OPFS /no/such/session.ome.zarr.' });
    expect(r.badPath).toMatchObject({ name: 'StoreError', message: "OPFS path '/a/../b' is not a folder path of plain segments (e.g. '/sessions/embryo.ome.zarr')." });
    expect(r.exists).toMatchObject({ name: 'StoreError', message: 'Cannot create session folder OPFS /errors/twice.ome.zarr: it already exists (a session is never overwritten).' });
  });

  it('the writer in a worker writes a session into OPFS that the page, validateSession and python zarr read back', async () => {
    const p = '/sessions/worker.ome.zarr';
    const w = await t((t, a: [string, number[]]) => t.worker.writeStack(a[0], a[1] as never), [p, STACK_SHAPE]);
    expect(w.writeMode).toBe('sync-handle');
    expect(w.summary).toMatchObject({ status: 'complete', framesReceived: 100, framesWritten: 100, framesDropped: 0, levels: 2, errors: [] });
    expect(await t((t, p: string) => t.temporaries(p), p)).toEqual([]);

    const inPage = await t((t, a: [string, number[]]) => t.readBack(a[0], a[1] as never), [p, STACK_SHAPE]);
    expect(inPage).toMatchObject({ valid: true, errors: [], warnings: [], status: 'complete', differing: 0, levels: [[1, 100, 80, 70], [1, 100, 40, 35]] });

    const root = materialise(await t((t, p: string) => t.dump(p), p), 'worker.ome.zarr');
    const py = pyCheck(root, syntheticVolume(STACK_SHAPE), STACK_SHAPE);
    expect(py.errors).toEqual([]);
    expect(py.shapes).toEqual([[1, 100, 80, 70], [1, 100, 40, 35]]);
    expect(py.attrs.flamingo.status).toBe('complete');
    const v = await validateOnDisk(root);
    expect(v).toMatchObject({ valid: true, errors: [], warnings: [], levels: 2, shape: [1, 100, 80, 70] });
    // The copy, served over HTTP, opened in the page through HttpStore.
    const overHttp = await t((t, a: [string, number[]]) => t.httpReadBack(a[0], a[1] as never), [h.url('/served/worker.ome.zarr/'), STACK_SHAPE]);
    expect(overHttp).toMatchObject({ status: 'complete', differing: 0, levels: [[1, 100, 80, 70], [1, 100, 40, 35]] });
  });

  it('the writer on the main thread writes a session into a DirectoryStore that python zarr reads back', async () => {
    const p = '/picked/main.ome.zarr';
    const w = await t((t, a: [string, number[]]) => t.directoryWriteStack(a[0], a[1] as never), [p, STACK_SHAPE]);
    expect(w.writeMode).toBe('writable');
    expect(w.summary).toMatchObject({ status: 'complete', framesWritten: 100, framesDropped: 0, errors: [] });
    expect(await t((t, p: string) => t.temporaries(p), p)).toEqual([]);
    const root = materialise(await t((t, p: string) => t.dump(p), p), 'picked.ome.zarr');
    expect(pyCheck(root, syntheticVolume(STACK_SHAPE), STACK_SHAPE).errors).toEqual([]);
    expect(await validateOnDisk(root)).toMatchObject({ valid: true, errors: [], warnings: [] });
  });

  it('a reader on the main thread never sees partial bytes while the worker replaces a value', async () => {
    const r = await t((t, p: string) => t.atomicOpfs(p, 40, 2 ** 20), '/atomic/opfs');
    expect(r.partial).toBe(0);
    expect(r.reads).toBeGreaterThan(0);
    expect(r.temporaries).toEqual([]);
  });

  it('a reader never sees partial bytes while a DirectoryStore replaces a value', async () => {
    const r = await t((t, p: string) => t.atomicDirectory(p, 40, 2 ** 20), '/atomic/picked');
    expect(r.partial).toBe(0);
    expect(r.reads).toBeGreaterThan(0);
    expect(r.temporaries).toEqual([]);
  });

  it('after a page reload in the middle of a session, the store opens with every flushed slab', async () => {
    const p = '/sessions/crash.ome.zarr';
    const w = await t((t, a: [string, number[]]) => t.worker.writeUntilFirstSlab(a[0], a[1] as never, 80), [p, STACK_SHAPE]);
    expect(w.flushed).toEqual([0]);
    await h.reload(); // the worker and its writer are gone; planes 64–79 were never flushed
    const inPage = await t((t, a: [string, number[]]) => t.readBack(a[0], a[1] as never, 64), [p, STACK_SHAPE]);
    expect(inPage).toMatchObject({ valid: true, errors: [], status: 'acquiring', differing: 0 });
    const root = materialise(await t((t, p: string) => t.dump(p), p), 'crash.ome.zarr');
    const py = pyCheck(root, syntheticVolume(STACK_SHAPE), STACK_SHAPE, 'mean', 64);
    expect(py.errors).toEqual([]);
    expect(py.attrs.flamingo.status).toBe('acquiring');
    expect(py.attrs.flamingo.acquisition.frames_written).toBe(64);
    expect(await validateOnDisk(root)).toMatchObject({ valid: true, errors: [] });
  });

  it.each(['opfs', 'directory'] as const)('%s: opening for writing removes what crashed writers left (spec *.tmp, Chromium *.crswap); list shows no swap files', async (kind) => {
    const r = await t((t, a: [string, 'opfs' | 'directory']) => t.staleTemporaries(a[0], a[1]), [`/stale/${kind}`, kind]);
    expect(r.listed).toEqual(['.zattrs', '.zattrs.dead.8.tmp', '0/0/0/0/0', '0/0/0/0/0.dead.7.tmp']);
    expect(r.before).toEqual(['.zattrs', '.zattrs.crswap', '.zattrs.dead.8.tmp', '0/0/0/0/0', '0/0/0/0/0.1.crswap', '0/0/0/0/0.dead.7.tmp']);
    expect(r.after).toEqual(['.zattrs', '0/0/0/0/0']);
  });

  it('after a page reload in the middle of a write, the value is whole and stale temporaries are removed', async () => {
    const p = '/reload/write';
    const size = 4 * 2 ** 20;
    await t((t, p: string) => t.mainOpfsSemantics(p), p); // creates the folder
    await t((t, a: [string, number]) => t.worker.hammerForever(a[0], 'value', a[1]), [p, size]);
    await h.page.waitForFunction(async (p) => (await (globalThis as unknown as { t: T }).t.names(p)).includes('value'), p);
    await h.reload();
    const after = await t(async (t, p: string) => {
      // The old page's worker runs on briefly, and an OPFS call it started may land after it
      // ended: wait for its lock, then clean until nothing is left.
      await t.waitForLock(`hammer:${p}`);
      const seen = (await t.temporaries(p)).length;
      let removed = 0;
      for (let i = 0; i < 100 && (i === 0 || (await t.temporaries(p)).length > 0); i++) {
        removed += await t.removeTemporaries(p);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { seen, removed, left: await t.temporaries(p), value: await t.wholeValue(p, 'value') };
    }, p);
    expect(after).toMatchObject({ left: [], value: { length: size, uniform: true } });
  });
});
