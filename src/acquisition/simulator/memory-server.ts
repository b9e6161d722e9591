/**
 * The simulator served in memory (pure, runs in a worker): the same `SimulatorEngine` the
 * TCP server (server.ts) drives, behind a command port and a live port (port + 1) on a
 * `MemoryNetwork`. Like the TCP server it parses records with the codec's
 * `CommandStreamParser`, answers the asking connection, broadcasts to all, keeps a
 * settings-load reply alone on its connection for 200 ms, and sends every live frame as
 * its 40-byte header followed by its pixels. Frames are not queued per viewer: an
 * in-memory reader takes each write at once, so nothing is dropped here.
 *
 * @example
 * const sim = startMemorySimulator({ seed: 1, frameWidth: 256, frameHeight: 256 });
 * const scope = new FlamingoProtocolConnector({ host: sim.host, port: sim.port, transport: sim.network });
 * await scope.connect();
 * sim.close();
 */
import { MemoryNetwork, type MemorySocket } from '../flamingo/memory-transport.ts';
import { CommandStreamParser } from '../protocol/command-stream.ts';
import { SimulatorEngine, engineOptions, type EngineOutput, type EngineSettings, type LiveFrame } from './engine.ts';
import type { Phantom } from './phantom.ts';

export interface MemorySimulatorOptions extends EngineSettings {
  /** The network to listen on (default: a new one). */
  network?: MemoryNetwork;
  /** Host name the connector uses and the ScopeSettings name (default 'memory'). */
  host?: string;
  /** Command port (default 53717); the live port is port + 1. */
  port?: number;
  log?: (line: string) => void;
}

export interface MemorySimulator {
  readonly network: MemoryNetwork;
  readonly host: string;
  readonly port: number;
  readonly livePort: number;
  readonly engine: SimulatorEngine;
  readonly phantom: Phantom;
  /** Frames written to live viewers, summed over viewers. */
  readonly framesSent: number;
  close(): void;
}

/** Settings-load replies are followed by this much silence on their connection (as the TCP server). */
class CommandConnection {
  readonly parser = new CommandStreamParser();
  private quiet: ReturnType<typeof setTimeout> | null = null;
  private readonly pending: Array<{ bytes: Uint8Array; quietAfterMs: number | undefined }> = [];

  constructor(readonly socket: MemorySocket) {}

  send(bytes: Uint8Array, quietAfterMs?: number): void {
    if (this.socket.destroyed) return;
    if (this.quiet) {
      this.pending.push({ bytes, quietAfterMs });
      return;
    }
    this.socket.write(bytes, () => undefined);
    if (quietAfterMs) this.startQuiet(quietAfterMs);
  }

  dispose(): void {
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
    this.pending.length = 0;
  }

  private startQuiet(ms: number): void {
    this.quiet = setTimeout(() => {
      this.quiet = null;
      while (this.pending.length > 0 && !this.quiet) {
        const next = this.pending.shift()!;
        this.send(next.bytes, next.quietAfterMs);
      }
    }, ms);
  }
}

export function startMemorySimulator(options: MemorySimulatorOptions = {}): MemorySimulator {
  const network = options.network ?? new MemoryNetwork();
  const host = options.host ?? 'memory';
  const port = options.port ?? 53717;
  const log = options.log ?? ((): void => {});
  const commands = new Map<number, CommandConnection>();
  const viewers = new Set<MemorySocket>();
  let nextId = 1;
  let framesSent = 0;
  let closed = false;

  const output: EngineOutput = {
    send(clientId, bytes, quietAfterMs) {
      commands.get(clientId)?.send(bytes, quietAfterMs);
    },
    broadcast(bytes) {
      for (const c of commands.values()) c.send(bytes);
    },
    frame(frame: LiveFrame) {
      for (const v of viewers) {
        if (v.destroyed) continue;
        v.write(frame.header, () => undefined);
        const payload = frame.payload;
        if (!payload) continue;
        // The pooled buffer is reused once released: hold it until the viewer has read it.
        payload.retain();
        v.write(payload.bytes, (err) => {
          payload.release();
          if (!err) framesSent++;
        });
      }
    },
    log,
  };
  const engine = new SimulatorEngine(
    engineOptions(options, host, port),
    output,
  );

  const stopCommand = network.listen(port, (socket) => {
    const id = nextId++;
    const conn = new CommandConnection(socket);
    commands.set(id, conn);
    log(`command client ${id} connected`);
    socket.on('data', (chunk) => {
      for (const m of conn.parser.push(chunk)) engine.handle(id, m);
    });
    socket.on('close', () => {
      conn.dispose();
      commands.delete(id);
      log(`command client ${id} disconnected`);
    });
  });
  const stopLive = network.listen(port + 1, (socket) => {
    viewers.add(socket);
    log(`live viewer connected (${viewers.size})`);
    socket.on('close', () => {
      viewers.delete(socket);
      log(`live viewer disconnected (${viewers.size})`);
    });
  });

  return {
    network,
    host,
    port,
    livePort: port + 1,
    engine,
    phantom: engine.phantom,
    get framesSent() {
      return framesSent;
    },
    close() {
      if (closed) return;
      closed = true;
      engine.close();
      stopCommand();
      stopLive();
      for (const c of commands.values()) {
        c.dispose();
        c.socket.destroy();
      }
      for (const v of viewers) v.destroy();
    },
  };
}
