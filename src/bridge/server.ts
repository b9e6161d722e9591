/**
 * The bridge (Node): one HTTP server on 127.0.0.1 that joins the microscope to browsers.
 *
 * - `/ws`: the live WebSocket (binary plane/volume events, JSON for the rest; see
 *   `acquisition/remote/wire.ts`). `?token=` makes the connection a controlling one;
 *   without it a viewer can watch but not control.
 * - `GET /api/sessions`: the sessions folder as `SessionEntry[]`; `GET /api/status`: the
 *   microscope, the current session and the counters; `POST /api/ops/<op>` with a JSON
 *   args body: the same requests as over the WebSocket (control ops need
 *   `Authorization: Bearer <token>`).
 * - `/sessions/NAME.ome.zarr/<key>`: every session, including the one being written,
 *   read-only as OME-Zarr with CORS, for Vizarr, Neuroglancer and the app.
 * - everything else: the viewer app, cross-origin isolated (COOP/COEP).
 *
 * @example
 * const bridge = await startBridge({ port: 0, sessionsDir: '/tmp/sessions' });
 * console.log(`flamingo-viv ready at ${bridge.readyUrl}`);
 * await bridge.close();     // stops a running plan; its session is left `interrupted`
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { CONTROL_OPS, isBridgeOp } from '../acquisition/remote/wire.ts';
import type { AcquisitionJobResult } from '../session/acquire.node.ts';
import { createAppServing, type AppServing } from './app-serving.ts';
import { BridgeController, type BridgeControllerOptions } from './controller.ts';
import { BridgeError, errorReply } from './errors.ts';
import { LiveHub, type RequestContext } from './hub.ts';
import { STORE_HEADERS } from './sessions-folder.ts';
import { bearerToken, newToken, tokenMatches } from './token.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BridgeOptions extends Omit<BridgeControllerOptions, 'sessionsDir'> {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8600; 0 picks a free one). */
  port?: number;
  /** Sessions folder (default `./sessions`; created when missing). */
  sessionsDir?: string;
  /** Connect to the microscope right after start (in the background; default true). */
  connectOnStart?: boolean;
  /** The app: a built folder (default `dist/app` of the package) and a Vite source root (default `app`). */
  app?: { dist?: string | null; devRoot?: string | null };
  /** The control token (default: a fresh random one). */
  token?: string;
  /** Per-viewer socket backlog above which planes are skipped (default 8 MiB). */
  maxBufferedBytes?: number;
}

export interface RunningBridge {
  readonly host: string;
  readonly port: number;
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly token: string;
  /** The URL to open: `http://HOST:PORT/?token=…`. */
  readonly readyUrl: string;
  readonly sessionsDir: string;
  /** How the app is served. */
  readonly app: AppServing['kind'];
  readonly controller: BridgeController;
  /** Stops a running plan (its session is left `interrupted`), then closes everything. */
  close(): Promise<AcquisitionJobResult | null>;
}

const HOST_HEADER = /^[A-Za-z0-9.\-[\]:]+$/;

function baseUrlOf(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host && HOST_HEADER.test(host) ? `http://${host}` : fallback;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(new BridgeError('bad-request', `The request body is over ${limit} bytes.`));
        req.destroy();
        return;
      }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startBridge(options: BridgeOptions = {}): Promise<RunningBridge> {
  const host = options.host ?? '127.0.0.1';
  const sessionsDir = path.resolve(options.sessionsDir ?? 'sessions');
  await mkdir(sessionsDir, { recursive: true });
  const token = options.token ?? newToken();
  const controller = new BridgeController({ ...options, sessionsDir });
  const hub = new LiveHub({
    handle: (op, args, ctx) => controller.dispatch(op, args, ctx),
    counters: () => controller.counters(),
    greeting: (ctx) => controller.greeting(ctx),
    ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
  });
  controller.attach(hub);

  let url = '';
  let app: AppServing | null = null;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: errorReply(err) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://bridge');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const ctxFor = (control: boolean): RequestContext => ({ control, baseUrl: baseUrlOf(req, url) });
    if (rawPath.startsWith('/sessions/')) {
      await controller.sessions.serve(req, res, rawPath);
      return;
    }
    if (u.pathname === '/api/sessions' || u.pathname === '/api/status') {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...STORE_HEADERS, 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS' });
        res.end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: `${u.pathname} is read-only (GET).` } }, { Allow: 'GET, HEAD' });
        return;
      }
      const ctx = ctxFor(false);
      const body =
        u.pathname === '/api/sessions'
          ? await controller.sessions.list(ctx.baseUrl)
          : { microscope: controller.info?.name ?? null, session: controller.currentSession, counters: controller.counters(), control: tokenMatches(bearerToken(req.headers.authorization), token) };
      sendJson(res, 200, body, { ...STORE_HEADERS });
      return;
    }
    if (u.pathname.startsWith('/api/ops/')) {
      const op = u.pathname.slice('/api/ops/'.length);
      if (req.method !== 'POST') {
        sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: `Requests are POSTed to ${u.pathname}.` } }, { Allow: 'POST' });
        return;
      }
      if (!isBridgeOp(op)) {
        sendJson(res, 404, { ok: false, error: { code: 'not-found', message: `There is no request '${op}'.` } });
        return;
      }
      const control = tokenMatches(bearerToken(req.headers.authorization), token);
      if (CONTROL_OPS.has(op) && !control) {
        sendJson(res, 401, { ok: false, error: { code: 'forbidden', message: `'${op}' needs the bridge's token as 'Authorization: Bearer <token>'.` } }, { 'WWW-Authenticate': 'Bearer' });
        return;
      }
      try {
        const text = await readBody(req);
        let args: unknown = {};
        if (text.trim() !== '') {
          try {
            args = JSON.parse(text);
          } catch {
            throw new BridgeError('bad-request', `The body of ${op} is not JSON.`);
          }
        }
        if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new BridgeError('bad-request', `The body of ${op} must be a JSON object of arguments.`);
        const result = await controller.dispatch(op, args as Record<string, unknown>, ctxFor(control));
        sendJson(res, 200, { ok: true, result: result ?? null });
      } catch (err) {
        const e = errorReply(err);
        sendJson(res, e.code === 'bad-request' || e.code === 'bad-name' ? 400 : e.code === 'not-found' ? 404 : e.code === 'busy' ? 409 : 500, { ok: false, error: e });
      }
      return;
    }
    if (!app) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The app is starting.\n');
      return;
    }
    app.handle(req, res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://bridge');
    if (u.pathname !== '/ws') {
      // Vite's HMR socket shares this server (protocol vite-hmr); anything else is refused.
      if (app?.kind !== 'vite' || !String(req.headers['sec-websocket-protocol'] ?? '').includes('vite-hmr')) socket.destroy();
      return;
    }
    const control = tokenMatches(u.searchParams.get('token'), token);
    wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws, { control, baseUrl: baseUrlOf(req, url) }));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8600, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    hub.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new BridgeError('busy', `Port ${options.port ?? 8600} on ${host} is in use; choose another with --port (0 picks a free one).`, { cause: err });
    if (code === 'EADDRNOTAVAIL') throw new BridgeError('bad-request', `Address ${host} is not one of this machine's; choose another with --host.`, { cause: err });
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    app = await createAppServing({
      dist: options.app?.dist === undefined ? path.join(PACKAGE_ROOT, 'dist', 'app') : options.app.dist,
      devRoot: options.app?.devRoot === undefined ? path.join(PACKAGE_ROOT, 'app') : options.app.devRoot,
      httpServer: server,
    });
  } catch (err) {
    server.close();
    hub.close();
    throw err;
  }
  if (options.connectOnStart ?? true) {
    void controller.dispatch('connect', {}, { control: true, baseUrl: url }).catch((err: unknown) => {
      options.log?.('warn', `The microscope is not connected yet: ${errorReply(err).message}`);
    });
  }

  let closing: Promise<AcquisitionJobResult | null> | null = null;
  return {
    host,
    port,
    url,
    token,
    readyUrl: `${url}/?token=${token}`,
    sessionsDir,
    app: app.kind,
    controller,
    close() {
      closing ??= (async () => {
        const result = await controller.close();
        hub.close();
        wss.close();
        await app?.close().catch(() => undefined);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        return result;
      })();
      return closing;
    },
  };
}
