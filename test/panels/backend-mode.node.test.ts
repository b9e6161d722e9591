import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendMode } from '../../app/backend-mode.ts';

let bridge: Server;
let plain: Server;
let bridgeOrigin = '';
let plainOrigin = '';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  bridge = createServer((req, res) => {
    if (req.url === '/api/sessions') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    } else res.writeHead(404).end();
  });
  plain = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html>');
  });
  bridgeOrigin = await listen(bridge);
  plainOrigin = await listen(plain);
});

afterAll(() => {
  bridge.close();
  plain.close();
});

describe('backend mode', () => {
  it('takes the bridge with its token when the URL carries one (no probe)', async () => {
    expect(await backendMode('http://127.0.0.1:1/?token=abc')).toEqual({ kind: 'bridge', origin: 'http://127.0.0.1:1', token: 'abc' });
  });

  it('takes the bridge, view only, when /api/sessions answers JSON', async () => {
    expect(await backendMode(`${bridgeOrigin}/`)).toEqual({ kind: 'bridge', origin: bridgeOrigin, token: null });
  });

  it('runs in the browser when nothing answers as a bridge, or when asked to', async () => {
    expect(await backendMode(`${plainOrigin}/index.html`)).toEqual({ kind: 'browser' });
    expect(await backendMode('http://127.0.0.1:1/')).toEqual({ kind: 'browser' });
    expect(await backendMode(`${bridgeOrigin}/?backend=browser&token=x`)).toEqual({ kind: 'browser' });
    expect(await backendMode('file:///tmp/index.html')).toEqual({ kind: 'browser' });
  });
});
