/**
 * The Chromium harness for browser tests (`*.browser.test.ts`, run by vitest in Node).
 *
 * `openBrowser(options)` bundles the test's browser modules with esbuild (in memory), serves
 * them from a loopback HTTP server (127.0.0.1, a free port) with cross-origin isolation
 * headers, launches Debian's `/usr/bin/chromium` through playwright-core and opens a page
 * on the index. One browser per test file: open it in `beforeAll`, close it in `afterAll`.
 *
 * @example
 * let h: Harness;
 * beforeAll(async () => {
 *   h = await openBrowser({ entries: { main: 'test/browser/support/my-page.ts', worker: 'test/browser/support/my-worker.ts' } });
 * });
 * afterAll(() => h?.close());
 * it('adds', async () => {
 *   // my-page.ts did `Object.assign(globalThis, { add: (a: number, b: number) => a + b })`
 *   expect(await h.page.evaluate(() => (globalThis as any).add(1, 2))).toBe(3);
 * });
 *
 * What is served (every response carries `Cross-Origin-Opener-Policy: same-origin`,
 * `Cross-Origin-Embedder-Policy: require-corp`, `Cross-Origin-Resource-Policy: same-origin`
 * and `Cache-Control: no-store`, so `crossOriginIsolated` is true and SharedArrayBuffer
 * exists, in the page and in its workers):
 * - `/` (and `/index.html`): `options.html`, or a blank page that loads `/main.js` as a
 *   module when there is a `main` entry; `openBrowser` (and `newPage`, `reload`) wait until
 *   that module has run (its top-level awaits included). A custom `html` page is ready at its
 *   load event, or when the promise it may put on `window.__harnessReady` resolves to true.
 * - `/<name>.js` for each `entries` name (ESM bundles; `.ts`/`.tsx`, JSX automatic,
 *   `process.env.NODE_ENV` defined; start a worker with `new Worker('/worker.js', { type: 'module' })`).
 * - `files`: fixed content by URL path; `dirs`: a folder on disk under a URL prefix
 *   (`{ '/session/': '/tmp/x.ome.zarr' }`, 404 outside it or when missing);
 *   `route(req, res)`: a handler of your own, asked first (return true when it answered).
 *
 * Chromium (156, Debian) flags and what was found here:
 * - `--no-sandbox`: needed when the tests run as root (CI containers).
 * - WebGL2: `--enable-unsafe-swiftshader --use-angle=swiftshader` gives WebGL 2.0 on
 *   "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))" with MAX_3D_TEXTURE_SIZE
 *   2048, EXT_color_buffer_float and OES_texture_float_linear; a draw that samples an R16UI
 *   `usampler3D` reads back the right pixels. Chromium 156 also falls back to SwiftShader
 *   without the flags (even with `--disable-gpu`), but newer Chromium versions require
 *   `--enable-unsafe-swiftshader` for that fallback, so it is passed explicitly.
 * - `--disable-background-networking`, `--disable-component-update`, `--no-first-run`,
 *   `--disable-dev-shm-usage` (small /dev/shm in containers): no network, no surprises.
 * - playwright-core's `chromium.launch` runs new headless mode; each context is a fresh
 *   profile, so OPFS starts empty in every `openBrowser` (and in every `newPage({ fresh: true })`)
 *   and is kept across `page.reload()` within one context.
 * - 127.0.0.1 is a secure context: OPFS, SharedArrayBuffer (with the headers), module workers
 *   and `FileSystemSyncAccessHandle` (in dedicated workers) all work over plain http.
 * - Launch takes about 0.5–1 s here; bundling a page with numcodecs a few hundred ms.
 * - OPFS facts seen in this Chromium: `FileSystemFileHandle.move(name)` replaces an existing
 *   file of that name in one step (also on the main thread); `createWritable()` keeps its
 *   pending bytes in a visible `<name>.crswap` file until `close()`; `getFile()` works while a
 *   worker holds a sync access handle on the file, `createWritable()` does not
 *   (NoModificationAllowedError); names with `/` are a TypeError ("Name is not allowed"),
 *   a file where a folder is expected a TypeMismatchError. After `page.reload()` the old
 *   page's workers run on briefly (an in-flight write usually completes) before they end.
 *
 * Page errors (uncaught exceptions, `console.error`) are collected in `errors`, and are
 * printed as they come when `FLAMINGO_BROWSER_LOG=1`; check `h.errors` in a test where
 * silence matters.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium (installed by `.ci/run`; no test downloads a browser). */
export const CHROMIUM_PATH = process.env.FLAMINGO_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every harness browser gets (see the module comment for what each is for). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--mute-audio',
];

/** The cross-origin isolation headers (COOP/COEP/CORP) every harness response carries. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface HarnessOptions {
  /** Modules to bundle, served as `/<name>.js`: name → entry file (relative to the repository root, or absolute). */
  entries?: Record<string, string>;
  /** The index page's HTML (default: a blank page loading `/main.js` when there is a `main` entry). */
  html?: string;
  /** Fixed files by URL path (`'/data.bin'`). */
  files?: Record<string, string | Uint8Array>;
  /** Folders on disk by URL prefix (`'/session/'` → `/tmp/s.ome.zarr`). */
  dirs?: Record<string, string>;
  /** Your own handler, asked before the others; return true when it answered. */
  route?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Extra esbuild options merged into the bundle build (e.g. `define`, `loader`). */
  esbuild?: Partial<BuildOptions>;
  /** Extra Chromium flags, after `CHROMIUM_ARGS`. */
  args?: string[];
  /** Viewport of the pages (default 800 × 600). */
  viewport?: { width: number; height: number };
  /** How long to wait for /usr/bin/chromium to appear when it is being installed (default 10 min). */
  waitForChromiumMs?: number;
}

export interface Harness {
  browser: Browser;
  /** The context `page` lives in (its OPFS, cookies, …). */
  context: BrowserContext;
  /** A page on the index, its `main` module run. */
  page: Page;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Uncaught page errors and `console.error` texts, from every page of the harness, in order. */
  errors: string[];
  /** The absolute URL of a served path (`url('/session/.zattrs')`). */
  url(pathname: string): string;
  /**
   * Another page on the index, its `main` module run: in the same context (same OPFS) by
   * default, or in a fresh context (empty storage) with `{ fresh: true }`.
   */
  newPage(options?: { fresh?: boolean }): Promise<Page>;
  /** Reloads `page` (or the given one) and waits for its `main` module again. */
  reload(page?: Page): Promise<void>;
  /** Closes the browser and the server. Safe to call twice. */
  close(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY = '__harnessReady';

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

/** Waits for Chromium to be installed (apt may be running); fails with a clear message after `ms`. */
async function waitForChromium(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(CHROMIUM_PATH)) {
    if (Date.now() > until) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (waited ${Math.round(ms / 1000)} s); install Debian's chromium package (.ci/run does).`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

async function bundle(entries: Record<string, string>, extra: Partial<BuildOptions>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (Object.keys(entries).length === 0) return out;
  const entryPoints: Record<string, string> = {};
  for (const [name, file] of Object.entries(entries)) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`Harness entry name '${name}' must be letters, digits, '.', '_' or '-'.`);
    entryPoints[name] = path.resolve(REPO_ROOT, file);
  }
  const result = await build({
    entryPoints,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outdir: '/harness-out',
    write: false,
    splitting: false,
    sourcemap: 'inline',
    jsx: 'automatic',
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
    define: { 'process.env.NODE_ENV': '"development"' },
    ...extra,
  });
  for (const f of result.outputFiles ?? []) out.set(`/${path.basename(f.path)}`, f.contents);
  return out;
}

function defaultHtml(hasMain: boolean): string {
  const script = hasMain
    ? `<script type="module">window.${READY} = import('/main.js').then(() => true, (e) => { console.error('main.js failed: ' + (e && e.stack || e)); return false; });</script>`
    : `<script>window.${READY} = Promise.resolve(true);</script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>flamingo-viv test</title></head><body>${script}</body></html>`;
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function serveDir(res: ServerResponse, root: string, rel: string): Promise<void> {
  const base = path.resolve(root);
  const file = path.resolve(base, ...rel.split('/').filter((s) => s !== ''));
  if (file !== base && !file.startsWith(base + path.sep)) return send(res, 403, 'outside the served folder', 'text/plain');
  try {
    const s = await stat(file);
    if (!s.isFile()) return send(res, 404, 'not a file', 'text/plain');
    const body = await readFile(file);
    send(res, 200, body, MIME[path.extname(file)] ?? 'application/octet-stream');
  } catch {
    send(res, 404, 'not found', 'text/plain');
  }
}

/** Bundles, serves and launches; see the module comment. */
export async function openBrowser(options: HarnessOptions = {}): Promise<Harness> {
  await waitForChromium(options.waitForChromiumMs ?? 10 * 60_000);
  const entries = options.entries ?? {};
  const bundles = await bundle(entries, options.esbuild ?? {});
  const html = options.html ?? defaultHtml('main' in entries);
  const files = new Map<string, Uint8Array>();
  for (const [p, v] of Object.entries(options.files ?? {})) files.set(p, typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const dirs = Object.entries(options.dirs ?? {});

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (options.route && (await options.route(req, res))) return;
        const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
        if (pathname === '/' || pathname === '/index.html') return send(res, 200, html, MIME['.html']!);
        const b = bundles.get(pathname);
        if (b) return send(res, 200, b, MIME['.js']!);
        const f = files.get(pathname);
        if (f) return send(res, 200, f, MIME[path.extname(pathname)] ?? 'application/octet-stream');
        for (const [prefix, root] of dirs) {
          if (pathname.startsWith(prefix)) return await serveDir(res, root, pathname.slice(prefix.length));
        }
        if (pathname === '/favicon.ico') return send(res, 204, '', 'text/plain');
        send(res, 404, `${pathname} is not served by the test harness`, 'text/plain');
      } catch (err) {
        if (!res.headersSent) send(res, 500, String(err), 'text/plain');
        else res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
  } catch (err) {
    server.close();
    throw err;
  }
  const errors: string[] = [];
  const log = process.env.FLAMINGO_BROWSER_LOG === '1';
  const viewport = options.viewport ?? { width: 800, height: 600 };

  const watch = (page: Page): void => {
    page.on('pageerror', (e) => {
      errors.push(`pageerror: ${e.stack ?? e.message}`);
      if (log) console.error('[browser pageerror]', e);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      if (log) console.log(`[browser ${m.type()}]`, m.text());
    });
  };
  const ready = async (page: Page): Promise<void> => {
    // A custom `html` without the ready promise is ready at its load event (page.goto waits for it).
    const ok = await page.evaluate(`window.${READY} ?? true`);
    if (ok !== true) throw new Error(`The test page's main module failed to run: ${errors.filter((e) => e.includes('main.js')).join('; ') || 'see harness errors'}.`);
  };
  const openPage = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    watch(page);
    await page.goto(`${origin}/`);
    await ready(page);
    return page;
  };

  let context: BrowserContext;
  let page: Page;
  try {
    context = await browser.newContext({ viewport });
    page = await openPage(context);
  } catch (err) {
    await browser.close();
    server.close();
    throw err;
  }

  let closed = false;
  return {
    browser,
    context,
    page,
    origin,
    errors,
    url: (pathname) => new URL(pathname, origin).href,
    async newPage(opts) {
      return openPage(opts?.fresh ? await browser.newContext({ viewport }) : context);
    },
    async reload(p = page) {
      await p.reload();
      await ready(p);
    },
    async close() {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
