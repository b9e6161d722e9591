/**
 * Serves the viewer app (Node): the built app (`dist/app/`) when it exists, else the app's
 * sources through Vite in middleware mode (so `npm start` works right after `npm ci`).
 * Every app response carries `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` (SharedArrayBuffer needs both).
 *
 * @example
 * const app = await createAppServing({ dist: 'dist/app', devRoot: 'app', httpServer });
 * // in the request handler, after /api, /sessions and /ws:
 * app.handle(req, res);
 * await app.close();
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import path from 'node:path';

/** Cross-origin isolation headers on every app response. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export interface AppServing {
  /** `static` (a built app), `vite` (sources through Vite) or `none` (no app found). */
  readonly kind: 'static' | 'vite' | 'none';
  /** The folder served. */
  readonly root: string | null;
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface AppServingOptions {
  /** A built app folder (with index.html); used when it exists. */
  dist?: string | null;
  /** The app's source root for Vite (with index.html and its vite.config). */
  devRoot?: string | null;
  /** The bridge's HTTP server (Vite's HMR socket shares it). */
  httpServer: Server;
}

const hasIndex = (dir: string | null | undefined): Promise<boolean> =>
  dir ? stat(path.join(dir, 'index.html')).then((s) => s.isFile(), () => false) : Promise.resolve(false);

function isolate(res: ServerResponse): void {
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
}

export async function createAppServing(o: AppServingOptions): Promise<AppServing> {
  if (await hasIndex(o.dist)) return staticApp(path.resolve(o.dist!));
  if (await hasIndex(o.devRoot)) return viteApp(path.resolve(o.devRoot!), o.httpServer);
  return {
    kind: 'none',
    root: null,
    handle(_req, res) {
      isolate(res);
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`The viewer app is not here: neither ${o.dist ?? 'a built app'} nor ${o.devRoot ?? 'an app source folder'} has an index.html.\n`);
    },
    close: async () => {},
  };
}

async function staticApp(root: string): Promise<AppServing> {
  const realRoot = await realpath(root);
  const fileFor = async (urlPath: string): Promise<string | null> => {
    const segments: string[] = [];
    for (const raw of urlPath.split('/').slice(1)) {
      let s: string;
      try {
        s = decodeURIComponent(raw);
      } catch {
        return null;
      }
      if (s === '') continue;
      if (s === '.' || s === '..' || /[/\\\0]/.test(s)) return null;
      segments.push(s);
    }
    try {
      const real = await realpath(path.join(root, ...segments));
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
      const st = await stat(real);
      if (st.isFile()) return real;
      if (st.isDirectory()) return (await hasIndex(real)) ? path.join(real, 'index.html') : null;
    } catch {
      // missing: the SPA fallback below
    }
    return null;
  };
  return {
    kind: 'static',
    root,
    handle(req, res) {
      isolate(res);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('The app is served read-only.\n');
        return;
      }
      const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
      void (async () => {
        let file = await fileFor(urlPath);
        // Single-page app: unknown paths without an extension get index.html.
        if (!file && path.extname(urlPath) === '') file = path.join(root, 'index.html');
        const body = file ? await readFile(file).catch(() => null) : null;
        if (!body) {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('Not found.\n');
          return;
        }
        res.writeHead(200, {
          'Content-Type': TYPES[path.extname(file!).toLowerCase()] ?? 'application/octet-stream',
          'Content-Length': String(body.length),
          'Cache-Control': path.basename(file!) === 'index.html' ? 'no-cache' : 'public, max-age=3600',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      })();
    },
    close: async () => {},
  };
}

async function viteApp(root: string, httpServer: Server): Promise<AppServing> {
  const { createServer } = await import('vite');
  const vite = await createServer({
    root,
    logLevel: 'warn',
    clearScreen: false,
    server: { middlewareMode: true, ws: { server: httpServer } },
    appType: 'spa',
  });
  return {
    kind: 'vite',
    root,
    handle(req, res) {
      isolate(res);
      vite.middlewares(req, res, () => {
        if (!res.headersSent) res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not found.\n');
      });
    },
    close: () => vite.close(),
  };
}
