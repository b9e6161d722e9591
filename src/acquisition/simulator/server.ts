/**
 * The simulator as TCP servers (Node): the command port and the live port (command
 * port + 1), several command clients, up to 64 live viewers, all driven by the pure
 * `SimulatorEngine`. Records are parsed with the codec's `CommandStreamParser` (any
 * split or merge of TCP reads); replies go to the asking connection and broadcasts to
 * all; a connection that stays unwritable for about 1 s is dropped; after a settings
 * load nothing else goes out on that connection for 200 ms. Sends nothing on connect.
 *
 * @example
 * const sim = await startSimulator({ port: 0, frameWidth: 256, frameHeight: 256, timeScale: 0.1 });
 * console.log(`listening on ${sim.host}:${sim.port} (live ${sim.livePort})`);
 * await sim.close();
 */

import { createServer, type Server, type Socket } from 'node:net';
import { CommandStreamParser } from '../protocol/command-stream.ts';
import { SimulatorEngine, engineOptions, type EngineOutput, type EngineSettings, type LiveFrame } from './engine.ts';
import type { FrameSourceStats } from './frame-source.ts';
import { LiveViewer } from './live-viewer.ts';
import type { Phantom } from './phantom.ts';

export interface SimulatorOptions extends EngineSettings {
  /** Address to bind (default '127.0.0.1'). */
  host?: string;
  /** Command port; 0 picks a free pair (port, port + 1). Default 53717. Live port = port + 1. */
  port?: number;
  /** For the dropMidFrame quirk (default 3). */
  dropMidFrameAfter?: number;
  /** For dropIdleConnections (default 30000). */
  idleDropMs?: number;
  /** Frames queued per live viewer before the oldest is dropped (10–64, default 16). */
  viewerQueueFrames?: number;
  /** Silent by default. */
  log?: (line: string) => void;
}

export interface SimulatorStats {
  commandClients: number;
  liveClients: number;
  recordsReceived: number;
  /** Frames fully handed to viewer sockets, summed over viewers. */
  framesSent: number;
  /** Frames dropped from per-viewer queues (slow viewers), summed over viewers, past and present. */
  framesDroppedPerViewer: number;
  workflowsStarted: number;
  workflowsCompleted: number;
  workflowsRejected: number;
  state: number;
  /** Frames the camera put on the live port (before per-viewer queues). */
  framesProduced: number;
  /** Frames removed by the droppedFrames quirk. */
  framesQuirkDropped: number;
  workflowsStopped: number;
  /** Command connections closed because they stopped reading. */
  stalledClientsDropped: number;
  /** Frame synthesis counters and timings. */
  synthesis: FrameSourceStats;
}

export interface RunningSimulator {
  readonly host: string;
  readonly port: number;
  readonly livePort: number;
  /** For tests: where the structures are. */
  readonly phantom: Phantom;
  stats(): SimulatorStats;
  position(): { xMm: number; yMm: number; zMm: number; rDeg: number };
  /** Test hook: destroy every command and live socket now. */
  dropAllConnections(): void;
  close(): Promise<void>;
}

const MAX_VIEWERS = 64;
/** A command connection whose socket stays unwritable this long is dropped (spec §1). */
const WRITE_STALL_MS = 1000;

class CommandConnection {
  readonly id: number;
  readonly socket: Socket;
  readonly parser = new CommandStreamParser();
  private quietTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly pending: Array<{ bytes: Uint8Array; quietAfterMs: number | undefined }> = [];
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly onStall: (c: CommandConnection) => void;

  constructor(id: number, socket: Socket, onStall: (c: CommandConnection) => void) {
    this.id = id;
    this.socket = socket;
    this.onStall = onStall;
    socket.on('drain', () => this.clearStall());
  }

  send(bytes: Uint8Array, quietAfterMs?: number): void {
    if (this.socket.destroyed) return;
    if (this.quietTimer) {
      this.pending.push({ bytes, quietAfterMs });
      return;
    }
    this.write(bytes);
    if (quietAfterMs) this.startQuiet(quietAfterMs);
  }

  /** Drops the connection if no record arrives for `ms` (the dropIdleConnections quirk). */
  armIdle(ms: number, onIdle: () => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(onIdle, ms);
  }

  dispose(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.clearStall();
    this.quietTimer = null;
    this.pending.length = 0;
  }

  private startQuiet(ms: number): void {
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      while (this.pending.length > 0 && !this.quietTimer) {
        const next = this.pending.shift()!;
        this.write(next.bytes);
        if (next.quietAfterMs) this.startQuiet(next.quietAfterMs);
      }
    }, ms);
  }

  private write(bytes: Uint8Array): void {
    const ok = this.socket.write(bytes);
    if (!ok && !this.stallTimer) {
      this.stallTimer = setTimeout(() => {
        this.stallTimer = null;
        if (this.socket.writableNeedDrain) this.onStall(this);
      }, WRITE_STALL_MS);
    }
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/** Listens on (port, port + 1); with port 0, finds a free pair. */
async function listenPair(command: Server, live: Server, host: string, port: number): Promise<number> {
  if (port !== 0) {
    if (!Number.isInteger(port) || port < 1 || port > 65534) {
      throw new Error(`Simulator command port must be 1–65534 (the live port is port + 1), got ${port}.`);
    }
    try {
      await listen(command, host, port);
    } catch (err) {
      throw new Error(`Simulator cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await listen(live, host, port + 1);
    } catch (err) {
      await closeServer(command);
      throw new Error(`Simulator cannot listen on live port ${host}:${port + 1}: ${(err as Error).message}`, { cause: err });
    }
    return port;
  }
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 40; attempt++) {
    const p = await listen(command, host, 0);
    if (p < 65535) {
      try {
        await listen(live, host, p + 1);
        return p;
      } catch (err) {
        lastError = err;
      }
    }
    await closeServer(command);
  }
  throw new Error(`Simulator found no free port pair on ${host}: ${String((lastError as Error | null)?.message ?? 'none')}`);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((): void => {});
  const idleDropMs = options.idleDropMs ?? 30000;
  const dropMidFrameAfter = options.dropMidFrameAfter ?? 3;
  const commands = new Map<number, CommandConnection>();
  const viewers = new Set<LiveViewer>();
  let nextClientId = 1;
  let framesSent = 0;
  let droppedByGoneViewers = 0;
  let stalledClientsDropped = 0;
  let midFrameCut = false;
  let framesStarted = 0;
  let engine: SimulatorEngine | null = null;

  const commandServer = createServer({ noDelay: true });
  const liveServer = createServer({ noDelay: true });
  const port = await listenPair(commandServer, liveServer, host, options.port ?? 53717);

  const output: EngineOutput = {
    send(clientId, bytes, quietAfterMs) {
      commands.get(clientId)?.send(bytes, quietAfterMs);
    },
    broadcast(bytes) {
      for (const c of commands.values()) c.send(bytes);
    },
    frame(frame: LiveFrame) {
      for (const v of viewers) v.enqueue(frame);
    },
    log,
  };
  const eng = new SimulatorEngine(
    engineOptions(options, host, port),
    output,
  );
  engine = eng;

  const dropCommand = (c: CommandConnection, why: string): void => {
    log(`command client ${c.id} dropped: ${why}`);
    c.socket.destroy();
  };

  commandServer.on('connection', (socket) => {
    const id = nextClientId++;
    socket.setNoDelay(true);
    const conn = new CommandConnection(id, socket, (c) => {
      stalledClientsDropped++;
      dropCommand(c, 'it stopped reading for 1 s');
    });
    commands.set(id, conn);
    log(`command client ${id} connected from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
    const armIdle = (): void => {
      if (engine?.quirks.dropIdleConnections) conn.armIdle(idleDropMs, () => dropCommand(conn, `idle for ${idleDropMs} ms`));
    };
    armIdle();
    socket.on('data', (chunk: Buffer) => {
      armIdle();
      const before = conn.parser.stats.discardedBytes;
      const messages = conn.parser.push(chunk);
      const discarded = conn.parser.stats.discardedBytes - before;
      if (discarded > 0) log(`command client ${id}: ${discarded} bytes discarded while resynchronising`);
      for (const m of messages) engine?.handle(id, m);
    });
    socket.on('error', (err) => log(`command client ${id}: ${err.message}`));
    socket.on('close', () => {
      conn.dispose();
      commands.delete(id);
      log(`command client ${id} disconnected`);
    });
  });

  liveServer.on('connection', (socket) => {
    if (viewers.size >= MAX_VIEWERS) {
      log(`live viewer refused: already ${MAX_VIEWERS}`);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const viewer = new LiveViewer(socket, {
      capacity: options.viewerQueueFrames,
      onFrameSent: () => {
        framesSent++;
      },
      beforeWrite: (frame) => {
        if (frame.payload) framesStarted++;
        if (!engine?.quirks.dropMidFrame || midFrameCut || !frame.payload) return 'write';
        if (framesStarted <= dropMidFrameAfter) return 'write';
        midFrameCut = true;
        log('live socket closed in the middle of a frame (dropMidFrame quirk)');
        return 'cut';
      },
    });
    viewers.add(viewer);
    log(`live viewer connected (${viewers.size})`);
    socket.resume(); // whatever a viewer sends is ignored
    socket.on('error', (err) => log(`live viewer: ${err.message}`));
    socket.on('close', () => {
      viewer.close();
      if (viewers.delete(viewer)) droppedByGoneViewers += viewer.dropped;
      log(`live viewer disconnected (${viewers.size})`);
    });
  });

  let closing: Promise<void> | null = null;
  const sim: RunningSimulator = {
    host,
    port,
    livePort: port + 1,
    phantom: eng.phantom,
    stats() {
      const e = eng.stats();
      let dropped = droppedByGoneViewers;
      for (const v of viewers) dropped += v.dropped;
      return {
        commandClients: commands.size,
        liveClients: viewers.size,
        recordsReceived: e.recordsReceived,
        framesSent,
        framesDroppedPerViewer: dropped,
        workflowsStarted: e.workflowsStarted,
        workflowsCompleted: e.workflowsCompleted,
        workflowsRejected: e.workflowsRejected,
        state: e.state,
        framesProduced: e.framesProduced,
        framesQuirkDropped: e.framesQuirkDropped,
        workflowsStopped: e.workflowsStopped,
        stalledClientsDropped,
        synthesis: { ...eng.frames.stats },
      };
    },
    position() {
      const p = eng.stage.snapshot();
      return { xMm: p.x, yMm: p.y, zMm: p.z, rDeg: p.r };
    },
    dropAllConnections() {
      for (const c of commands.values()) c.socket.destroy();
      for (const v of viewers) v.socket.destroy();
    },
    close() {
      closing ??= (async () => {
        eng.close();
        engine = null;
        for (const c of commands.values()) c.socket.destroy();
        for (const v of viewers) {
          v.close();
          v.socket.destroy();
        }
        await Promise.all([closeServer(commandServer), closeServer(liveServer)]);
      })();
      return closing;
    },
  };
  log(`listening on ${host}:${port} (live ${port + 1})`);
  return sim;
}
