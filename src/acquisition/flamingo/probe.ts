/**
 * A quick check of the link to a microscope: connect, load ScopeSettings, read X/Y/Z/R,
 * start live view, receive N frames, stop, close, and report what was found with the
 * measured frame rate and throughput. Each step has its own timeout, and a timeout
 * says which step it was.
 *
 * @example
 * const r = await probeMicroscope({ host: '127.0.0.1', port: 53717, frames: 20, timeoutS: 10 });
 * console.log(`${r.microscope}: ${r.width}×${r.height} at ${r.fps.toFixed(1)} f/s, ${r.mb_per_s.toFixed(1)} MB/s`);
 */
import { FRAME_HEADER_SIZE } from '../protocol/index.ts';
import { FlamingoConnector, type FlamingoConnectorOptions } from './connector.ts';
import { ConnectorError } from './errors.ts';

export interface ProbeOptions {
  host?: string;
  port?: number;
  /** Live frames to receive (default 20). */
  frames?: number;
  /** Seconds each step may take (default 10). */
  timeoutS?: number;
  signal?: AbortSignal;
  /** Anything else for the connector (timeouts, log). */
  connector?: Omit<FlamingoConnectorOptions, 'host' | 'port'>;
}

export interface ProbeResult {
  microscope: string;
  pixel_size_um: number;
  position: { x_mm: number; y_mm: number; z_mm: number; r_deg: number };
  /** Live frames received. */
  frames: number;
  width: number;
  height: number;
  /** Frames per second between the first and the last frame (0 with fewer than 2). */
  fps: number;
  /** Megabytes (10⁶ bytes, headers included) per second over the same span. */
  mb_per_s: number;
}

/** Runs `step` with a timeout and the caller's signal; the timeout's message names the step. */
function step<T>(what: string, timeoutS: number, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (outer?.aborted) return Promise.reject(new ConnectorError('aborted', `The probe was cancelled before ${what}.`));
  const ac = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      ac.abort();
      reject(new ConnectorError('timeout', `The probe timed out after ${timeoutS} s ${what}.`));
    }, timeoutS * 1000);
    const onOuter = (): void => {
      ac.abort();
      reject(new ConnectorError('aborted', `The probe was cancelled while ${what}.`));
    };
    outer?.addEventListener('abort', onOuter, { once: true });
    fn(ac.signal)
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuter);
      });
  });
}

export async function probeMicroscope(o: ProbeOptions = {}): Promise<ProbeResult> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 53717;
  const wanted = o.frames ?? 20;
  const timeoutS = o.timeoutS ?? 10;
  if (!Number.isInteger(wanted) || wanted < 1) throw new ConnectorError('invalid', `The probe needs a whole number of frames of at least 1, got ${wanted}.`);
  if (!(timeoutS > 0)) throw new ConnectorError('invalid', `The probe timeout must be positive, got ${timeoutS} s.`);
  const scope = new FlamingoConnector({ ...o.connector, host, port });
  try {
    const info = await step(`connecting to ${host}:${port} and loading its settings`, timeoutS, o.signal, (signal) => scope.connect({ signal }));
    const position = await step('reading the stage position', timeoutS, o.signal, () => scope.getPosition());
    const view = await step('starting live view', timeoutS, o.signal, () => scope.startLiveView({ bufferFrames: Math.max(4, wanted) }));
    let received = 0;
    let bytes = 0;
    let first = 0;
    let last = 0;
    let width = info.width;
    let height = info.height;
    try {
      await step(`waiting for ${wanted} live frames`, timeoutS, o.signal, async (signal) => {
        const it = view[Symbol.asyncIterator]();
        while (received < wanted && !signal.aborted) {
          const r = await it.next();
          if (r.done) throw new ConnectorError('connection-lost', `Live view ended after ${received} of ${wanted} frames.`);
          const f = r.value;
          if (received === 0) first = f.meta.receivedMonotonicMs;
          else bytes += f.pixels.byteLength + FRAME_HEADER_SIZE;
          last = f.meta.receivedMonotonicMs;
          width = f.width;
          height = f.height;
          received++;
        }
      });
    } finally {
      await step('stopping live view', timeoutS, o.signal, () => view.stop());
    }
    const spanS = (last - first) / 1000;
    return {
      microscope: info.name,
      pixel_size_um: info.pixelSizeUm,
      position: { x_mm: position.xMm, y_mm: position.yMm, z_mm: position.zMm, r_deg: position.rDeg },
      frames: received,
      width,
      height,
      fps: received >= 2 && spanS > 0 ? (received - 1) / spanS : 0,
      mb_per_s: received >= 2 && spanS > 0 ? bytes / spanS / 1e6 : 0,
    };
  } finally {
    await scope.close();
  }
}
