import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LiveEvent } from '../../../src/acquisition/live-backend.ts';
import { BridgeClient, type WebSocketConstructor } from '../../../src/acquisition/remote/client.ts';
import { startBridge } from '../../../src/bridge/server.ts';

const WS: WebSocketConstructor = WebSocket;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-client-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function logged(client: BridgeClient, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const off = client.subscribe((e: LiveEvent) => {
      if (e.type === 'log' && pattern.test(e.message)) {
        off();
        resolve(e.message);
      }
    });
  });
}

describe('BridgeClient against the real bridge (ws)', () => {
  it('says in one sentence when no bridge answers', async () => {
    const err = await BridgeClient.connect('http://127.0.0.1:1', null, { WebSocket: WS }).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'unreachable' });
    expect((err as Error).message).toMatch(/^Could not open the bridge's WebSocket at ws:\/\/127\.0\.0\.1:1\/ws \(.+\)\.$/);
    await expect(BridgeClient.connect('not a url', null, { WebSocket: WS })).rejects.toMatchObject({ code: 'bad-url' });
  });

  it('fails a pending request when the bridge goes away, then reconnects to its successor', async () => {
    // A "microscope" that accepts and never answers keeps `connect` pending.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentPort = (silent.address() as { port: number }).port;
    const options = { sessionsDir: path.join(tmp, 'sessions'), connectOnStart: false, token: 'the-token', app: { dist: null, devRoot: null } };
    const first = await startBridge({ ...options, port: 0 });
    const client = await BridgeClient.connect(first.url, 'the-token', { WebSocket: WS, reconnectDelaysMs: [50, 100] });
    try {
      expect(client.canControl).toBe(true);
      const lost = logged(client, /^Lost the connection to the bridge/);
      const pending = client.connect({ microscope: `127.0.0.1:${silentPort}` });
      await new Promise((r) => setTimeout(r, 200));
      await first.close();
      const err = await pending.catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ code: 'connection-lost' });
      expect((err as Error).message).toMatch(/^The connection to the bridge at http:\/\/127\.0\.0\.1:\d+ ended before 'connect' was answered \(.+\)\.$/);
      await lost;
      await expect(client.listSessions()).rejects.toMatchObject({ code: 'not-connected' });

      const back = logged(client, /^Reconnected to the bridge/);
      const second = await startBridge({ ...options, port: first.port });
      try {
        await back;
        expect(client.canControl).toBe(true);
        expect(await client.listSessions()).toEqual([]);
        await expect(client.openSession('nothing-here')).rejects.toMatchObject({ code: 'not-found' });
      } finally {
        await client.close();
        await second.close();
      }
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});
