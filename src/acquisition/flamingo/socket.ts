/**
 * Opening a TCP connection the way the spec asks (§1): a connect timeout, `TCP_NODELAY`,
 * and keep-alive on the command socket. Node cannot set SO_RCVBUF, so the 1 MiB receive
 * buffer of §1 is replaced by reading the socket continuously (never pausing it).
 * `tcpTransport` is the `Transport` (transport.ts) the Node channels and connector use.
 *
 * @example
 * const socket = await connectTcp({ host: '127.0.0.1', port: 53717, timeoutMs: 2000, what: 'command port' });
 */
import net from 'node:net';
import { ConnectorError, errorMessage } from './errors.ts';
import type { Transport } from './transport.ts';

export interface ConnectTcpOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** For the error message, e.g. "the command port". */
  what: string;
  keepAlive?: boolean;
  signal?: AbortSignal;
}

export function connectTcp(o: ConnectTcpOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new ConnectorError('aborted', `Connecting to ${o.what} ${o.host}:${o.port} was aborted.`));
      return;
    }
    const socket = net.connect({ host: o.host, port: o.port });
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onConnect = (): void => {
      socket.setNoDelay(true);
      if (o.keepAlive) socket.setKeepAlive(true, 30_000);
      done(null);
    };
    const onError = (err: Error): void => {
      done(new ConnectorError('connect-failed', `Could not connect to ${o.what} ${o.host}:${o.port}: ${errorMessage(err)}.`, { cause: err }));
    };
    const onAbort = (): void => {
      done(new ConnectorError('aborted', `Connecting to ${o.what} ${o.host}:${o.port} was aborted.`));
    };
    const timer = setTimeout(() => {
      done(new ConnectorError('connect-failed', `Could not connect to ${o.what} ${o.host}:${o.port} within ${o.timeoutMs} ms.`));
    }, o.timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** TCP as a `Transport`: `connectTcp`, and frame buffers that skip zero-filling. */
export const tcpTransport: Transport = {
  connect: (target) => connectTcp(target),
  allocateFrame: (bytes) => Buffer.allocUnsafeSlow(bytes),
};
