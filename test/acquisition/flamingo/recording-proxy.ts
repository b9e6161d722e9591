/**
 * A TCP proxy between the connector and the simulator that records every record the
 * connector sends on the command port (through the real codec) and every live-port
 * connection it opens, in one ordered event list. Tests use it to check exactly what
 * went over the wire, and in which order.
 */
import net from 'node:net';
import { CommandStreamParser, type CommandMessage } from '../../../src/acquisition/protocol/index.ts';

export type ProxyEvent = { kind: 'command'; msg: CommandMessage } | { kind: 'live-connect' } | { kind: 'command-connect' };

export interface RecordingProxy {
  port: number;
  livePort: number;
  events: ProxyEvent[];
  /** The records sent by the client, in order. */
  commands(): CommandMessage[];
  /** The command codes sent, in order. */
  codes(): number[];
  close(): Promise<void>;
}

function pipe(listenPort: number, target: { host: string; port: number }, onClient: (s: net.Socket) => void, onData: ((chunk: Buffer) => void) | null, sockets: Set<net.Socket>): Promise<net.Server> {
  const server = net.createServer((client) => {
    sockets.add(client);
    onClient(client);
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    client.on('data', (chunk: Buffer) => {
      onData?.(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)));
}

export async function startRecordingProxy(target: { host: string; port: number; livePort: number }): Promise<RecordingProxy> {
  const events: ProxyEvent[] = [];
  const sockets = new Set<net.Socket>();
  const cmd = await pipe(
    0,
    { host: target.host, port: target.port },
    (client) => {
      events.push({ kind: 'command-connect' });
      const parser = new CommandStreamParser();
      client.on('data', (chunk: Buffer) => {
        for (const msg of parser.push(chunk)) events.push({ kind: 'command', msg });
      });
    },
    null,
    sockets,
  );
  const live = await pipe(0, { host: target.host, port: target.livePort }, () => events.push({ kind: 'live-connect' }), null, sockets);
  const commands = (): CommandMessage[] => events.flatMap((e) => (e.kind === 'command' ? [e.msg] : []));
  return {
    port: (cmd.address() as net.AddressInfo).port,
    livePort: (live.address() as net.AddressInfo).port,
    events,
    commands,
    codes: () => commands().map((m) => m.record.cmd),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => cmd.close(r)), new Promise((r) => live.close(r))]);
    },
  };
}
