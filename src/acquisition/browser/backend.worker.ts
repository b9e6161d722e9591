/**
 * The browser-only backend's module worker: a `LivePipeline` (simulated connector, session
 * writer with WebAssembly zstd into OPFS through sync access handles, display producer)
 * exposed with comlink. Live events go back on the `MessagePort` handed to `init`, with
 * their pixel buffers transferred. Started by `BrowserBackend`; see backend.ts.
 *
 * @example
 * // main thread (BrowserBackend does this)
 * const api = Comlink.wrap<BackendWorkerApi>(new Worker(new URL('./backend.worker.ts', import.meta.url), { type: 'module' }));
 * const { port1, port2 } = new MessageChannel();
 * port1.onmessage = (e) => handle(e.data);
 * await api.init(Comlink.transfer(port2, [port2]), {});
 */
import * as Comlink from 'comlink';
import pkg from '../../../package.json' with { type: 'json' };
import type { MicroscopeInfo, StagePosition } from '../connector.ts';
import type { AcquisitionRequest, LiveCounters, LiveSessionInfo, SessionEntry } from '../live-backend.ts';
import { createWasmZstdCodec } from '../../session/codec/zstd-wasm.ts';
import { OpfsSessionSpace } from './opfs-sessions.ts';
import { LivePipeline, PipelineError, type LivePipelineOptions } from './pipeline.ts';
// The worker is the browser-only composition root (as bridge/ is in Node): it picks the connector.
import { SimulatedConnector, type SimulatedConnectorOptions } from '../simulator/connector.ts';

/** What the main thread may set (structured-cloneable: no functions). */
export interface BackendWorkerInit {
  /**
   * The simulator and connector settings. Defaults for a browser tab: a 512 × 512 camera
   * (the TCP simulator's is 2048 × 2048: one worker takes in about 20 frames/s of 512² and
   * 12 of 1024² on this machine, while the camera sends 40), seed 1, real time; run
   * buffer 256 MiB (frames wait there while the writer catches up).
   */
  simulator?: Omit<SimulatedConnectorOptions, 'log'>;
  writer?: LivePipelineOptions['writer'];
  /** zstd level of the session chunks, 1–22 (default 3; 1 encodes about a quarter faster). */
  zstdLevel?: number;
  planeIntervalMs?: number;
  volumeIntervalMs?: number;
}

let pipeline: LivePipeline | null = null;

function p(): LivePipeline {
  if (!pipeline) throw new PipelineError('closed', 'The browser backend worker was not initialised (init was not called).');
  return pipeline;
}

const api = {
  /** Starts the pipeline; resolves with the worker's `performance.timeOrigin` (to map its clock onto the page's). */
  init(port: MessagePort, options: BackendWorkerInit): number {
    if (pipeline) throw new PipelineError('busy', 'The browser backend worker is already initialised.');
    pipeline = new LivePipeline({
      sessions: new OpfsSessionSpace(),
      appVersion: pkg.version,
      connectorFor: (microscope) => {
        if (microscope !== 'sim') {
          throw new PipelineError('unsupported', `The browser-only mode runs the built-in simulator only; '${microscope}' needs the bridge (npm start).`);
        }
        const connector = new SimulatedConnector({
          runBufferBytes: 256 * 1024 ** 2,
          ...options.simulator,
          simulator: { frameWidth: 512, frameHeight: 512, ...options.simulator?.simulator },
        });
        return { connector, connection: 'simulator', address: `${connector.host}:${connector.port}` };
      },
      emit: (event, transfer) => port.postMessage(event, transfer),
      ...(options.writer ? { writer: options.writer } : {}),
      ...(options.zstdLevel !== undefined ? { codec: createWasmZstdCodec(options.zstdLevel) } : {}),
      ...(options.planeIntervalMs !== undefined ? { planeIntervalMs: options.planeIntervalMs } : {}),
      ...(options.volumeIntervalMs !== undefined ? { volumeIntervalMs: options.volumeIntervalMs } : {}),
    });
    return performance.timeOrigin;
  },
  connect: (microscope?: string): Promise<MicroscopeInfo> => p().connect(microscope),
  disconnect: (): Promise<void> => p().disconnect(),
  getPosition: (): Promise<StagePosition> => p().getPosition(),
  moveTo: (target: Partial<StagePosition>): Promise<StagePosition> => p().moveTo(target),
  startLiveView: (): Promise<void> => p().startLiveView(),
  stopLiveView: (): Promise<void> => p().stopLiveView(),
  startAcquisition: (request: AcquisitionRequest): Promise<LiveSessionInfo> => p().startAcquisition(request),
  stopAcquisition: (): Promise<void> => p().stopAcquisition(),
  /** Settles when the running acquisition (if any) has ended and its session is closed. */
  idle: (): Promise<void> => p().idle(),
  listSessions: (): Promise<SessionEntry[]> => p().listSessions(),
  openSession: (name: string): Promise<LiveSessionInfo> => p().openSession(name),
  saveSession: (name: string, state: { description?: string; viewer?: Record<string, unknown> }): Promise<SessionEntry> => p().saveSession(name, state),
  setPlaneLevel: (level: number): void => p().setPlaneLevel(level),
  counters: (): LiveCounters => p().counters(),
  close: async (): Promise<void> => {
    await pipeline?.close();
  },
};

export type BackendWorkerApi = typeof api;

// Exposed inside a worker only: importing this module elsewhere (a check that it loads) does nothing.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') Comlink.expose(api);
