/**
 * A scripted command-port server for channel tests that need server behaviour the
 * simulator does not produce on purpose (settings text without `addDataBytes`, replies
 * out of order, garbage between records). It speaks through the real codec.
 */
import net from 'node:net';
import { CommandStreamParser, encodeRecord, type CommandMessage, type RecordInit } from '../../../src/acquisition/protocol/index.ts';

export interface ScriptedServer {
  port: number;
  /** Every record received, in order. */
  received: CommandMessage[];
  /** Events in order ("recv <cmd>", plus whatever handlers log). */
  events: string[];
  sockets: net.Socket[];
  close(): Promise<void>;
}

export type Handler = (msg: CommandMessage, socket: net.Socket, server: ScriptedServer) => void;

export function reply(init: RecordInit): Uint8Array {
  return encodeRecord({ status: 1, cmdDataBits0: 0x80000000, ...init });
}

export async function startScriptedServer(handler: Handler): Promise<ScriptedServer> {
  const state: ScriptedServer = { port: 0, received: [], events: [], sockets: [], close: async () => undefined };
  const server = net.createServer((socket) => {
    state.sockets.push(socket);
    const parser = new CommandStreamParser();
    socket.on('data', (chunk) => {
      for (const m of parser.push(chunk)) {
        state.received.push(m);
        state.events.push(`recv ${m.record.cmd}`);
        handler(m, socket, state);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of state.sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
