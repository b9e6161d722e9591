/**
 * The bridge's sessions folder: session names confined to it, the list of sessions, and
 * store files served read-only over HTTP as OME-Zarr (`/sessions/NAME.ome.zarr/<key>`).
 *
 * Confinement: a URL path is split on `/` before percent-decoding; every decoded segment
 * must be a plain name (no `/`, `\`, NUL, empty, `.` or `..`), the session folder must be
 * `<safe-name>.ome.zarr`, and the real path (symlinks resolved) must stay inside the real
 * sessions folder. Temporary files of the atomic writes (§5.3) are never served; a missing
 * key answers 404 so zarr readers use the fill value.
 *
 * Listing: `GET /sessions/NAME.ome.zarr/?list` answers `{"keys": [...]}`, the store keys of
 * the session's regular files (sorted, `/`-separated, temporary files and symlinks left
 * out), with the same CORS headers — what `HttpStore`'s `list` option needs to export a
 * served session as a zip.
 *
 * @example
 * const folder = new SessionsFolder('./sessions');
 * const entries = await folder.list('http://127.0.0.1:8600');
 * const file = await folder.resolveUrlPath('/sessions/embryo.ome.zarr/0/0/0/0/0'); // absolute path or null
 * const keys = await folder.keys('embryo');   // ['.zattrs', '.zgroup', '0/.zarray', '0/0/0/0/0', …]
 */
import { mkdir, readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { LiveSessionInfo, SessionEntry } from '../acquisition/live-backend.ts';
import { TEMPORARY_NAME } from '../session/store/types.ts';
import { BridgeError } from './errors.ts';

/** A session folder name: what `sessionFolderName` produces. */
const FOLDER = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.ome\.zarr$/;
const STATUSES = new Set(['acquiring', 'interrupted', 'complete']);

/** CORS and CORP headers on every store response (Vizarr, Neuroglancer and the isolated app read them). */
export const STORE_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

function plainSegment(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !/[/\\\0]/.test(s);
}

export class SessionsFolder {
  readonly root: string;
  private real: string | null = null;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the sessions folder when it does not exist. */
  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  private async realRoot(): Promise<string> {
    this.real ??= await realpath(this.root);
    return this.real;
  }

  /** `NAME.ome.zarr` for a session name (folder name without the suffix), checked. */
  static folderOf(name: string): string {
    const folder = name.endsWith('.ome.zarr') ? name : `${name}.ome.zarr`;
    if (!FOLDER.test(folder) || !plainSegment(folder)) {
      throw new BridgeError('bad-name', `Session name '${name}' is not a session folder name (letters, digits, '.', '_' and '-', ending in .ome.zarr).`);
    }
    return folder;
  }

  /** Absolute path of an existing session folder inside the sessions folder. */
  async sessionPath(name: string): Promise<string> {
    const folder = SessionsFolder.folderOf(name);
    const p = path.join(this.root, folder);
    const inside = await this.inside(p);
    if (!inside) throw new BridgeError('not-found', `There is no session '${name}' in ${this.root}.`);
    const s = await stat(inside).catch(() => null);
    if (!s?.isDirectory()) throw new BridgeError('not-found', `There is no session '${name}' in ${this.root}.`);
    return p;
  }

  /** The real path of `p` when it exists and lies inside the sessions folder, else null. */
  private async inside(p: string): Promise<string | null> {
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      return null;
    }
    const root = await this.realRoot().catch(() => null);
    if (root === null) return null;
    return real.startsWith(root + path.sep) ? real : null;
  }

  /**
   * The file a `/sessions/…` URL path names, or null when it names nothing servable
   * (outside the folder, a directory, a temporary file, missing).
   */
  async resolveUrlPath(urlPath: string): Promise<string | null> {
    if (urlPath.includes('\\')) return null;
    const raw = urlPath.split('/');
    if (raw[0] !== '' || raw[1] !== 'sessions') return null;
    const segments: string[] = [];
    for (const r of raw.slice(2)) {
      let s: string;
      try {
        s = decodeURIComponent(r);
      } catch {
        return null;
      }
      if (!plainSegment(s)) return null;
      segments.push(s);
    }
    if (segments.length < 2 || !FOLDER.test(segments[0]!)) return null;
    if (TEMPORARY_NAME.test(segments[segments.length - 1]!)) return null;
    const real = await this.inside(path.join(this.root, ...segments));
    if (!real) return null;
    const s = await stat(real).catch(() => null);
    return s?.isFile() ? real : null;
  }

  /**
   * The store keys of a session's files: regular files only (no symlinks, no temporary files
   * of atomic writes), relative to the session folder, `/`-separated, sorted.
   */
  async keys(name: string): Promise<string[]> {
    const dir = await this.sessionPath(name);
    const real = await this.inside(dir);
    if (real === null) throw new BridgeError('not-found', `There is no session '${name}' in ${this.root}.`);
    const entries = await readdir(real, { withFileTypes: true, recursive: true });
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isFile() || TEMPORARY_NAME.test(e.name)) continue;
      const rel = path.relative(real, path.join(e.parentPath, e.name));
      const parts = rel.split(path.sep);
      if (parts.every(plainSegment)) out.push(parts.join('/'));
    }
    return out.sort();
  }

  /** The session folder name a listing URL (`/sessions/NAME.ome.zarr/`) names, or null. */
  private static listedFolder(urlPath: string): string | null {
    const raw = urlPath.split('/');
    if (raw.length !== 4 || raw[0] !== '' || raw[1] !== 'sessions' || raw[3] !== '') return null;
    let folder: string;
    try {
      folder = decodeURIComponent(raw[2]!);
    } catch {
      return null;
    }
    return plainSegment(folder) && FOLDER.test(folder) ? folder : null;
  }

  /** Serves a `/sessions/…` request read-only (GET, HEAD; OPTIONS for CORS preflight); `?list` on a session folder lists its keys. */
  async serve(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...STORE_HEADERS, 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...STORE_HEADERS, Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Sessions are served read-only; ${req.method ?? 'this method'} is not allowed.\n`);
      return;
    }
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    if (query.has('list')) {
      await this.serveList(req, res, urlPath);
      return;
    }
    const file = await this.resolveUrlPath(urlPath);
    const body = file ? await readFile(file).catch(() => null) : null;
    if (!body) {
      res.writeHead(404, { ...STORE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : 'Not found.\n');
      return;
    }
    const base = path.basename(file!);
    const json = base === '.zattrs' || base === '.zarray' || base === '.zgroup' || base.endsWith('.json');
    res.writeHead(200, {
      ...STORE_HEADERS,
      'Content-Type': json ? 'application/json' : 'application/octet-stream',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async serveList(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> {
    const folder = SessionsFolder.listedFolder(urlPath);
    let status = 200;
    let body: unknown;
    if (folder === null) {
      status = 404;
      body = { ok: false, error: { code: 'not-found', message: `'${urlPath}' is not a session folder to list; ask /sessions/NAME.ome.zarr/?list.` } };
    } else {
      try {
        body = { keys: await this.keys(folder) };
      } catch (err) {
        status = err instanceof BridgeError && err.code !== 'not-found' ? 400 : 404;
        body = { ok: false, error: { code: err instanceof BridgeError ? err.code : 'not-found', message: err instanceof Error ? err.message : String(err) } };
      }
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { ...STORE_HEADERS, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  /** Every session folder, newest first. `baseUrl` (no trailing slash) makes the store URLs. */
  async list(baseUrl: string | null): Promise<SessionEntry[]> {
    const dirents = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const out: Array<SessionEntry & { t: number }> = [];
    for (const d of dirents) {
      if (!d.isDirectory() || !FOLDER.test(d.name)) continue;
      const dir = path.join(this.root, d.name);
      const zattrs = path.join(dir, '.zattrs');
      const st = await stat(zattrs).catch(() => null);
      out.push({
        name: d.name.replace(/\.ome\.zarr$/, ''),
        status: await statusOf(zattrs),
        storeUrl: baseUrl === null ? null : storeUrl(baseUrl, d.name),
        bytes: await folderBytes(dir),
        modified: (st ?? (await stat(dir))).mtime.toISOString(),
        t: (st ?? (await stat(dir))).mtimeMs,
      });
    }
    return out.sort((a, b) => b.t - a.t).map(({ t: _t, ...e }) => e);
  }
}

/** `<base>/sessions/<folder>/`. */
export function storeUrl(baseUrl: string, folder: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/sessions/${encodeURIComponent(folder)}/`;
}

async function statusOf(zattrs: string): Promise<LiveSessionInfo['status']> {
  try {
    const attrs = JSON.parse(await readFile(zattrs, 'utf8')) as { flamingo?: { status?: unknown } };
    const s = attrs.flamingo?.status;
    return typeof s === 'string' && STATUSES.has(s) ? (s as LiveSessionInfo['status']) : 'external';
  } catch {
    return 'external';
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const s = await stat(path.join(e.parentPath, e.name)).catch(() => null);
    total += s?.size ?? 0;
  }
  return total;
}
