/**
 * One acquisition written as a session (Node): turns the plan into a session layout
 * (canvas over every tile, channels in the caller's order, z from START to END), streams
 * every frame into the session writer as it arrives, and finalizes — or, when the run is
 * stopped or fails, leaves an `interrupted` session that holds everything flushed.
 * Progress comes from the same counters the panels use.
 *
 * Two entry points: `runAcquisition` connects its own FlamingoConnector, runs one plan and
 * closes it (the `acquire` command); `startSessionAcquisition` runs a plan on a connector
 * that is already connected and stays so (the bridge), and lets the caller see each frame
 * with its placement before it is written (`onFrame`, synchronous: never hold it up).
 *
 * @example
 * const r = await runAcquisition({ host, port, connection: 'tcp', out: '/data/embryo.ome.zarr',
 *   plan: (info, at) => ({ kind: 'zstack', ... }), channelOrderNm: [488], colorFor: () => '00FF00',
 *   interrupted: new Promise(() => {}) });
 * // or, on a connected connector:
 * const job = await startSessionAcquisition(connector, info, at, { plan, out, connection: 'simulator',
 *   address: '127.0.0.1:53717', channelOrderNm: [488], colorFor: () => '00FF00', onFrame: (f, at) => show(f, at) });
 * await job.stop(); const r = await job.done;
 */
import type { AcquisitionPlan, Frame, MicroscopeConnector, MicroscopeInfo, StagePosition } from '../acquisition/connector.ts';
import { FlamingoConnector } from '../acquisition/flamingo/index.ts';
import { sessionPlan } from './acquisition-layout.ts';
import { createNodeSessionWriter, uniqueSessionPath } from './writer/index.node.ts';
import type { FramePlacement, SessionWriter, WriterEvent } from './writer/writer.ts';
import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };

export interface AcquisitionProgressReport {
  framesReceived: number;
  framesExpected: number;
  framesWritten: number;
  /** Frames waiting in the writer's queue. */
  writerQueued: number;
  mbPerS: number;
}

export interface AcquisitionJobOptions {
  host: string;
  port: number;
  connection: 'tcp' | 'simulator';
  /** Session folder to create; on a name clash a UTC timestamp is appended (never overwritten). */
  out: string;
  name?: string | null;
  description?: string | null;
  /** Builds the plan once the microscope is known (`at`: the stage position before the run). */
  plan: (info: MicroscopeInfo, at: { xMm: number; yMm: number }) => AcquisitionPlan;
  /** Laser wavelengths in the session's channel order. */
  channelOrderNm: readonly number[];
  colorFor: (wavelengthNm: number) => string;
  /** Settles when the user asks to stop (Ctrl-C): the workflow is stopped, the session left `interrupted`. */
  interrupted: Promise<unknown>;
  signal?: AbortSignal;
  onProgress?: (p: AcquisitionProgressReport) => void;
}

export interface AcquisitionJobResult {
  status: 'complete' | 'interrupted';
  json: {
    path: string;
    frames_expected: number;
    frames_received: number;
    frames_written: number;
    frames_dropped: number;
    shape: number[];
    levels: number;
    seconds: number;
  };
  notes: string[];
}

/** What `startSessionAcquisition` needs beyond a connected connector. */
export interface SessionAcquisitionOptions {
  /** The plan, already built for this microscope. */
  plan: AcquisitionPlan;
  /** `"tcp"` or `"simulator"` (kept in the session's microscope block). */
  connection: 'tcp' | 'simulator';
  /** `host:port` of the command port (kept in the session). */
  address: string;
  /** Session folder to create; on a name clash a UTC timestamp is appended (never overwritten). */
  out: string;
  name?: string | null;
  description?: string | null;
  /** Laser wavelengths in the session's channel order. */
  channelOrderNm: readonly number[];
  colorFor: (wavelengthNm: number) => string;
  signal?: AbortSignal;
  /** Sees each frame and where it lands before it is written; synchronous, must not keep `frame.pixels`. */
  onFrame?: (frame: Frame, at: FramePlacement) => void;
  /** Writer events (flushed slabs, drops, metadata). */
  onWriterEvent?: (event: WriterEvent) => void;
  /** Called once the session exists, before the run starts (so `onFrame` can rely on what it set up). */
  onWriterReady?: (writer: SessionWriter, path: string) => void;
}

/** A running session acquisition. */
export interface SessionAcquisition {
  /** The session folder being written. */
  readonly path: string;
  readonly writer: SessionWriter;
  readonly framesExpected: number;
  /** Where each frame lands (channel, level-0 z, y, x). */
  place(frame: Frame): FramePlacement;
  progress(): AcquisitionProgressReport;
  /** Stops the workflow; the session ends `interrupted` ("stopped by the user"). */
  stop(): Promise<void>;
  /** Settles once the session is finalized (or left interrupted); rejects if the stream failed. */
  readonly done: Promise<AcquisitionJobResult>;
}

/**
 * Creates the session for `plan`, starts the run on `connector` (connected, `info` from its
 * connect, `at` the stage position the stack centres default to) and writes every frame as
 * it arrives. Resolves once the run is started; `done` settles when the session is closed.
 * The connector stays open.
 */
export async function startSessionAcquisition(
  connector: MicroscopeConnector,
  info: MicroscopeInfo,
  at: StagePosition,
  o: SessionAcquisitionOptions,
): Promise<SessionAcquisition> {
  const started = performance.now();
  const plan = o.plan;
  const out = await uniqueSessionPath(path.dirname(path.resolve(o.out)), path.basename(o.out).replace(/\.ome\.zarr$/, ''));
  const sp = sessionPlan({
    plan,
    info,
    at,
    channelOrderNm: o.channelOrderNm,
    name: o.name ?? path.basename(out).replace(/\.ome\.zarr$/, ''),
    description: o.description ?? null,
    connection: o.connection,
    address: o.address,
    appVersion: pkg.version,
    colorFor: o.colorFor,
  });
  const { framesExpected } = sp;
  const place = (f: Frame): FramePlacement => sp.place(f);
  const writer = await createNodeSessionWriter({
    path: out,
    layout: sp.layout,
    info: sp.info,
    framesPerPlane: sp.framesPerPlane,
    place,
    ...(o.onWriterEvent ? { onEvent: o.onWriterEvent } : {}),
  });
  let run;
  try {
    o.onWriterReady?.(writer, out);
    run = await connector.acquire(plan, o.signal ? { signal: o.signal } : {});
  } catch (err) {
    await writer.abort(`the acquisition did not start: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  let stopRequested = false;
  let received = 0;
  let bytes = 0;
  const t0 = performance.now();
  const progress = (): AcquisitionProgressReport => {
    const s = writer.stats();
    return { framesReceived: received, framesExpected, framesWritten: s.framesWritten, writerQueued: s.framesQueued, mbPerS: bytes / 1e6 / Math.max(1e-3, (performance.now() - t0) / 1000) };
  };
  // Frames are shown as they arrive (the run keeps a failing listener to itself); they reach
  // the writer at its pace.
  const onFrame = o.onFrame;
  const offArrival = onFrame ? run.onArrival((frame) => onFrame(frame, place(frame))) : null;
  const done = (async (): Promise<AcquisitionJobResult> => {
    try {
      for await (const frame of run.frames) {
        received++;
        bytes += frame.pixels.byteLength;
        await writer.write(frame);
      }
    } catch (err) {
      await writer.abort(`the acquisition failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      offArrival?.();
    }
    const outcome = await run.done;
    const complete = outcome.outcome === 'complete' && !stopRequested;
    const result = complete
      ? await writer.finalize()
      : await writer.abort(stopRequested ? 'stopped by the user' : `the workflow ended '${outcome.outcome}'${outcome.error ? `: ${outcome.error}` : ''}`);
    return {
      status: result.status === 'complete' ? 'complete' : 'interrupted',
      json: {
        path: out,
        frames_expected: framesExpected,
        frames_received: outcome.framesReceived,
        frames_written: result.framesWritten,
        frames_dropped: result.framesDropped + outcome.framesDropped,
        shape: result.shape,
        levels: result.levels,
        seconds: (performance.now() - started) / 1000,
      },
      notes: [...outcome.notes, ...result.errors],
    };
  })();
  return {
    path: out,
    writer,
    framesExpected,
    place,
    progress,
    stop: () => {
      stopRequested = true;
      return run.stop();
    },
    done,
  };
}

export async function runAcquisition(o: AcquisitionJobOptions): Promise<AcquisitionJobResult> {
  const connector = new FlamingoConnector({ host: o.host, port: o.port });
  try {
    const info = await connector.connect(o.signal ? { signal: o.signal } : {});
    const at = await connector.getPosition();
    const plan = o.plan(info, at);
    let lastReport = 0;
    let job: SessionAcquisition | null = null;
    job = await startSessionAcquisition(connector, info, at, {
      plan,
      connection: o.connection,
      address: `${o.host}:${o.port}`,
      out: o.out,
      name: o.name ?? null,
      description: o.description ?? null,
      channelOrderNm: o.channelOrderNm,
      colorFor: o.colorFor,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onProgress
        ? {
            onFrame: () => {
              const now = performance.now();
              if (job && now - lastReport > 100) {
                lastReport = now;
                o.onProgress!(job.progress());
              }
            },
          }
        : {}),
    });
    const running = job;
    void o.interrupted.then(() => running.stop());
    return await running.done;
  } finally {
    await connector.close();
  }
}
