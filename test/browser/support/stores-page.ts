/**
 * The page of the store tests: the worker's API, DirectoryStore and main-thread OpfsStore
 * scenarios, and helpers that hand a session's files to Node, all on `globalThis.t`.
 *
 * @example
 * await page.evaluate(() => t.worker.writeStack('/t/a.ome.zarr', [1, 100, 80, 70]));
 */
import * as Comlink from 'comlink';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import { openImage } from '../../../src/session/read/open.ts';
import { DirectoryStore } from '../../../src/session/store/directory-store.ts';
import { HttpStore } from '../../../src/session/store/http-store.ts';
import { OpfsStore, opfsRoot } from '../../../src/session/store/opfs-store.ts';
import { readOnly } from '../../../src/session/store/read-only.ts';
import type { ReadableSessionStore } from '../../../src/session/store/types.ts';
import { validateSession } from '../../../src/session/validate.ts';
import { allNames, errorOf, isTemporary, readUntil, storeSemantics } from './store-scenarios.ts';
import { writeStack } from './session-run.ts';
import { syntheticPlane } from './synthetic.ts';
import type { Shape4 } from './synthetic.ts';
import type { WorkerApi } from './stores-worker.ts';

const remote = Comlink.wrap<WorkerApi>(new Worker('/worker.js', { type: 'module' }));

/** A folder handle under the OPFS root, made as needed (what a picked folder looks like to the store). */
async function folder(path: string): Promise<FileSystemDirectoryHandle> {
  let dir = await opfsRoot();
  for (const s of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(s, { create: true });
  return dir;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function compareLevel0(store: ReadableSessionStore, shape: Shape4, zmax: number): Promise<Record<string, unknown>> {
  const image = await openImage(store);
  const level = image.levels[0]!;
  let differing = 0;
  for (let c = 0; c < shape[0]; c++) {
    const block = await level.readRegion({ start: [c, 0, 0, 0], stop: [c + 1, zmax, shape[2], shape[3]] });
    for (let z = 0; z < zmax; z++) {
      const want = syntheticPlane(shape, c, z);
      const got = block.data.subarray(z * want.length, (z + 1) * want.length);
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differing++;
    }
  }
  return { status: image.flamingo?.status, levels: image.levels.map((l) => l.shape), differing };
}

const t = {
  get worker() {
    return remote;
  },
  crossOriginIsolated: () => globalThis.crossOriginIsolated,
  async directorySemantics(path: string): Promise<Record<string, unknown>> {
    const store = await DirectoryStore.open(await folder(path), { forWriting: true });
    return { ...(await storeSemantics(store)), writeMode: store.writeMode, description: store.description };
  },
  async directoryInPlaceSemantics(path: string): Promise<Record<string, unknown>> {
    const store = await DirectoryStore.open(await folder(path), { forWriting: true, rename: false });
    return { ...(await storeSemantics(store)), writeMode: store.writeMode };
  },
  async mainOpfsSemantics(path: string): Promise<Record<string, unknown>> {
    const store = await OpfsStore.createNew(path);
    return { ...(await storeSemantics(store)), writeMode: store.writeMode };
  },
  async directoryWriteStack(path: string, shape: Shape4): Promise<Record<string, unknown>> {
    const store = await DirectoryStore.open(await folder(path), { forWriting: true });
    const summary = await writeStack(store, shape);
    return { summary, writeMode: store.writeMode };
  },
  /** Every file of an OPFS folder, base64, by key (temporaries and swap files included). */
  async dump(path: string): Promise<Record<string, string>> {
    const store = await OpfsStore.open(path);
    const out: Record<string, string> = {};
    for (const key of await allNames(store.root)) {
      const parts = key.split('/');
      let dir = store.root;
      for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
      const file = await (await dir.getFileHandle(parts[parts.length - 1]!)).getFile();
      out[key] = base64(new Uint8Array(await file.arrayBuffer()));
    }
    return out;
  },
  async names(path: string): Promise<string[]> {
    return allNames((await OpfsStore.open(path)).root);
  },
  async temporaries(path: string): Promise<string[]> {
    return (await t.names(path)).filter(isTemporary);
  },
  /** Reads the session on the main thread (OpfsStore through readOnly): validation, status, level-0 planes compared with what was sent. */
  async readBack(path: string, shape: Shape4, zmax = shape[1]): Promise<Record<string, unknown>> {
    const store = readOnly(await OpfsStore.open(path));
    const codec = createWasmZstdCodec(3);
    const report = await validateSession(store, { decodeChunk: (b) => codec.decode(b) });
    return { valid: report.valid, errors: report.errors, warnings: report.warnings, ...(await compareLevel0(store, shape, zmax)) };
  },
  /** Opens a session over HTTP (HttpStore, the page's fetch) and compares level 0 with what was sent. */
  async httpReadBack(url: string, shape: Shape4): Promise<Record<string, unknown>> {
    return compareLevel0(new HttpStore(url), shape, shape[1]);
  },
  /** Length of a stored value and whether every byte is the same (a whole value of `hammer`). */
  async wholeValue(path: string, key: string): Promise<{ length: number; uniform: boolean } | null> {
    const b = await (await OpfsStore.open(path)).get(key);
    return b === undefined ? null : { length: b.length, uniform: b.every((x) => x === b[0]) };
  },
  /** Resolves once no one (an old page's worker) holds the Web Lock `name`. */
  async waitForLock(name: string): Promise<void> {
    await navigator.locks.request(name, async () => undefined);
  },
  async removeTemporaries(path: string): Promise<number> {
    return (await OpfsStore.open(path, { forWriting: true })).removeTemporaryFiles();
  },
  /** The worker writes `rounds` whole values while this thread reads; counts partial reads. */
  async atomicOpfs(path: string, rounds: number, size: number): Promise<Record<string, unknown>> {
    await OpfsStore.createNew(path);
    const reader = await OpfsStore.open(path);
    let done = false;
    const writing = remote.hammer(path, 'value', rounds, size).finally(() => (done = true));
    const seen = await readUntil(reader, 'value', size, () => done);
    await writing;
    return { ...seen, temporaries: (await t.names(path)).filter(isTemporary) };
  },
  /** Writes and reads the same key concurrently on this thread through a DirectoryStore. */
  async atomicDirectory(path: string, rounds: number, size: number): Promise<Record<string, unknown>> {
    const store = await DirectoryStore.open(await folder(path), { forWriting: true });
    let done = false;
    const writing = (async () => {
      for (let v = 1; v <= rounds; v++) await store.set('value', new Uint8Array(size).fill(v));
    })().finally(() => (done = true));
    const seen = await readUntil(store, 'value', size, () => done);
    await writing;
    return { ...seen, temporaries: (await allNames(store.root)).filter(isTemporary) };
  },
  /** Plants what crashed writers leave (a spec temporary with partial bytes, browser swap files), then opens for writing. */
  async staleTemporaries(path: string, kind: 'opfs' | 'directory'): Promise<Record<string, unknown>> {
    const dir = await folder(path);
    const plant = async (segments: string[], bytes: number): Promise<void> => {
      let d = dir;
      for (const s of segments.slice(0, -1)) d = await d.getDirectoryHandle(s, { create: true });
      const w = await (await d.getFileHandle(segments[segments.length - 1]!, { create: true })).createWritable();
      await w.write(new Uint8Array(bytes).fill(1));
      await w.close();
    };
    await plant(['.zattrs'], 10);
    await plant(['0', '0', '0', '0', '0'], 100);
    await plant(['0', '0', '0', '0', '0.dead.7.tmp'], 50);
    await plant(['.zattrs.dead.8.tmp'], 5);
    await plant(['.zattrs.crswap'], 5);
    await plant(['0', '0', '0', '0', '0.1.crswap'], 5);
    const reader = kind === 'opfs' ? await OpfsStore.open(path) : await DirectoryStore.open(dir);
    const listed = (await reader.list()).sort();
    const before = await allNames(dir);
    if (kind === 'opfs') await OpfsStore.open(path, { forWriting: true });
    else await DirectoryStore.open(dir, { forWriting: true });
    return { listed, before, after: await allNames(dir) };
  },
  async openErrors(): Promise<Record<string, unknown>> {
    return {
      missing: await errorOf(() => OpfsStore.open('/no/such/session.ome.zarr')),
      badPath: await errorOf(() => OpfsStore.open('/a/../b')),
      exists: await errorOf(async () => {
        await OpfsStore.createNew('/errors/twice.ome.zarr');
        await OpfsStore.createNew('/errors/twice.ome.zarr');
      }),
    };
  },
};

Object.assign(globalThis, { t });
export type PageApi = typeof t;
