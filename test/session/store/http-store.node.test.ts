import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import { openImage } from '../../../src/session/read/open.ts';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import { HttpStore } from '../../../src/session/store/http-store.ts';
import { StoreError } from '../../../src/session/store/types.ts';
import { validateSession } from '../../../src/session/validate.ts';
import { writeStack } from '../../browser/support/session-run.ts';
import { syntheticPlane } from '../../browser/support/synthetic.ts';
import type { Shape4 } from '../../browser/support/synthetic.ts';

const SHAPE: Shape4 = [1, 70, 60, 50];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-http-store-'));
const session = path.join(tmp, 'served.ome.zarr');
let server: Server;
let base: string;
const requests: string[] = [];
/** Responses held back until the test releases them (abort tests). */
const stalled: (() => void)[] = [];

beforeAll(async () => {
  const fs = await FsStore.createNew(session, { fsync: 'none' });
  await writeStack(fs, SHAPE);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? ''}`.trim());
    if (url.pathname.startsWith('/status/')) {
      res.writeHead(Number(url.pathname.split('/')[2]), { 'Content-Type': 'text/plain' });
      return res.end('nope');
    }
    if (url.pathname.startsWith('/stall/')) {
      res.writeHead(200, { 'Content-Length': '10' });
      res.write('12345');
      stalled.push(() => res.end('67890'));
      return;
    }
    const rel = decodeURIComponent(url.pathname).replace(/^\/s\//, '');
    const file = path.join(session, ...rel.split('/'));
    if (!url.pathname.startsWith('/s/') || !file.startsWith(session + path.sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of stalled) s();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(tmp, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('HttpStore', () => {
  it('opens a session served over loopback HTTP and reads the same voxels as from disk', async () => {
    const store = new HttpStore(`${base}/s`);
    expect(store.baseUrl).toBe(`${base}/s/`);
    const image = await openImage(store);
    expect(image.flamingo?.status).toBe('complete');
    expect(image.levels.map((l) => l.shape)).toEqual([[1, 70, 60, 50], [1, 70, 30, 25]]);
    const block = await image.levels[0]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 70, 60, 50] });
    let differing = 0;
    for (let z = 0; z < 70; z++) {
      const want = syntheticPlane(SHAPE, 0, z);
      for (let i = 0; i < want.length; i++) if (block.data[z * want.length + i] !== want[i]) differing++;
    }
    expect(differing).toBe(0);
    const fromDisk = await openImage(new FsStore(session));
    const low = await fromDisk.levels[1]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 70, 30, 25] });
    expect(Array.from((await image.levels[1]!.readRegion({ start: [0, 0, 0, 0], stop: [1, 70, 30, 25] })).data)).toEqual(Array.from(low.data));
  });

  it('gives undefined for a missing key (404) and the exact bytes of a present one', async () => {
    const store = new HttpStore(`${base}/s/`);
    expect(await store.get('nope/.zarray')).toBeUndefined();
    expect(await store.get('0/0/9/9/9')).toBeUndefined();
    expect(Buffer.from((await store.get('0/.zarray'))!)).toEqual(readFileSync(path.join(session, '0', '.zarray')));
  });

  it('names the URL and the status of any other answer', async () => {
    const e = await rejection(new HttpStore(`${base}/status/500/`).get('.zattrs'));
    expect(e).toBeInstanceOf(StoreError);
    expect(e.message).toBe(`GET ${base}/status/500/.zattrs answered 500 Internal Server Error; expected 200 or 404.`);
    expect((e as StoreError).key).toBe('.zattrs');
    const forbidden = await rejection(new HttpStore(`${base}/status/403/`).get('a'));
    expect(forbidden.message).toBe(`GET ${base}/status/403/a answered 403 Forbidden; expected 200 or 404.`);
  });

  it('names the URL when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await rejection(new HttpStore(`http://127.0.0.1:${port}/s/`).get('.zattrs'));
    expect(e).toBeInstanceOf(StoreError);
    expect(e.message).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/s/\\.zattrs failed: .*ECONNREFUSED.*\\.$`));
  });

  it('honours abort signals: before the request, while waiting for the body', async () => {
    const store = new HttpStore(`${base}/stall/`);
    const before = new AbortController();
    before.abort();
    expect((await rejection(store.get('x', { signal: before.signal }))).name).toBe('AbortError');
    const during = new AbortController();
    const pending = store.get('y', { signal: during.signal });
    while (stalled.length === 0) await new Promise((r) => setTimeout(r, 5));
    during.abort();
    const e = await rejection(pending);
    expect(e.name).toBe('AbortError');
    expect(e).toBe(during.signal.reason);
  });

  it('sends the given headers and percent-encodes key segments', async () => {
    const store = new HttpStore(`${base}/s/`, { headers: { authorization: 'Bearer t0k' } });
    expect(store.urlOf('0/a b#c')).toBe(`${base}/s/0/a%20b%23c`);
    await store.get('.zgroup');
    expect(requests).toContain('GET /s/.zgroup Bearer t0k');
  });

  it('refuses bad base URLs and bad keys with clear messages', async () => {
    expect(() => new HttpStore('sessions/a')).toThrow("'sessions/a' is not an absolute URL; an HTTP store needs one (e.g. http://127.0.0.1:8600/sessions/a.ome.zarr/).");
    expect(() => new HttpStore('file:///tmp/a')).toThrow("'file:///tmp/a' is a file: URL; an HTTP store reads http: or https: URLs.");
    await expect(new HttpStore(`${base}/s/`).get('../secret')).rejects.toThrow("Store key '../secret' is not a relative path of plain segments.");
  });

  it('lists only through a given list function, and says so otherwise', async () => {
    const plain = new HttpStore(`${base}/s/`);
    await expect(plain.list()).rejects.toThrow(`Listing keys is not supported by the HTTP store ${base}/s/: plain HTTP has no folder listing, so read keys by name (openImage does).`);
    const disk = new FsStore(session);
    const listed = new HttpStore(`${base}/s/`, { list: (prefix) => disk.list(prefix) });
    expect((await listed.list('1/')).every((k) => k.startsWith('1/'))).toBe(true);
    const codec = createWasmZstdCodec(3);
    expect(await validateSession(listed, { decodeChunk: (b) => codec.decode(b) })).toMatchObject({ valid: true, errors: [], levels: 2 });
  });
});
