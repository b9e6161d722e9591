import { describe, expect, it } from 'vitest';
import { MemoryNetwork, type MemorySocket } from '../../../src/acquisition/flamingo/memory-transport.ts';

const target = (port: number) => ({ host: 'memory', port, timeoutMs: 100, what: 'the test port' });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('MemoryNetwork: in-memory byte streams for the connector', () => {
  it('delivers whole writes in order, after the write call, then calls back', async () => {
    const net = new MemoryNetwork();
    const got: number[][] = [];
    net.listen(7, (server) => server.on('data', (b) => got.push([...b])));
    const client = await net.connect(target(7));
    const done: string[] = [];
    client.write(new Uint8Array([1, 2]), (err) => done.push(`a ${String(err ?? null)}`));
    client.write(new Uint8Array([3]), (err) => done.push(`b ${String(err ?? null)}`));
    expect(got).toEqual([]); // never inside the writer's call
    await tick();
    expect(got).toEqual([[1, 2], [3]]);
    expect(done).toEqual(['a null', 'b null']);
  });

  it('closes both ends asynchronously on end() and destroy(), and refuses writes afterwards', async () => {
    const net = new MemoryNetwork();
    let server!: MemorySocket;
    net.listen(9, (s) => (server = s));
    const client = await net.connect(target(9));
    const closed: string[] = [];
    client.on('close', () => closed.push('client'));
    server.on('close', () => closed.push('server'));
    const got: number[] = [];
    server.on('data', (b) => got.push(...b));
    client.write(new Uint8Array([5]), () => undefined);
    client.end();
    expect(closed).toEqual([]);
    await tick();
    expect(got).toEqual([5]); // queued bytes go before the close
    expect(closed.sort()).toEqual(['client', 'server']);
    expect([client.destroyed, server.destroyed]).toEqual([true, true]);
    const err = await new Promise<Error | null | undefined>((r) => client.write(new Uint8Array([1]), r));
    expect(err?.message).toMatch(/in-memory stream memory:9 \(client\) is closed/);
  });

  it('refuses a port nobody listens on, and an aborted connect', async () => {
    const net = new MemoryNetwork();
    await expect(net.connect(target(1))).rejects.toThrow('Could not connect to the test port memory:1: nothing listens there in memory.');
    const stop = net.listen(1, () => undefined);
    expect(() => net.listen(1, () => undefined)).toThrow(/already listened on/);
    const ac = new AbortController();
    ac.abort();
    await expect(net.connect({ ...target(1), signal: ac.signal })).rejects.toThrow(/aborted/);
    stop();
    await expect(net.connect(target(1))).rejects.toThrow(/nothing listens/);
  });
});
