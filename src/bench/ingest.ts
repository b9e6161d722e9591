/**
 * The ingest benchmark: how fast frames travel from a microscope through the connector.
 * The simulator runs in its own process (as a real microscope would be another machine)
 * and serves a z-stack workflow at the requested frame rate from cached planes, so the
 * numbers measure the link — TCP, frame parsing, assignment — not image synthesis.
 * Lost frames are the planned frames that never reached the consumer.
 *
 * @example
 * const r = await runIngestBenchmark({ frames: 600, fps: 150 });
 * // { frames: 600, width: 2048, height: 2048, seconds: 4.0, fps: 150, mb_per_s: 1258, lost: 0, … }
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FlamingoConnector } from '../acquisition/flamingo/index.ts';
import type { AcquisitionPlan } from '../acquisition/connector.ts';

export interface IngestOptions {
  /** Planes in the z-stack (default 600). */
  frames?: number;
  /** Frame rate the simulated camera runs at (default 150). */
  fps?: number;
  width?: number;
  height?: number;
  /** Called with the frames received so far, about ten times a second. */
  onProgress?: (received: number, expected: number) => void;
  signal?: AbortSignal;
}

export interface IngestResult {
  frames: number;
  width: number;
  height: number;
  /** From the first frame to the last. */
  seconds: number;
  fps: number;
  /** 10⁶ bytes of pixels per second. */
  mb_per_s: number;
  /** Planned frames that were not delivered (missing at the source or dropped on the way). */
  lost: number;
  /** Frame rate the camera was asked for. */
  target_fps: number;
  /** CPU time of the receiving process (connector and consumer) during the run. */
  cpu_seconds: number;
  /** That CPU time as a percentage of one core over the run. */
  cpu_percent: number;
  /** CPU time of the simulator process over the same span (null where /proc is not available). */
  simulator_cpu_seconds: number | null;
  /** What the connector noticed (gaps, trimmed frames); empty on a clean run. */
  notes: string[];
}

const BIN = fileURLToPath(new URL('../../bin/flamingo-viv.js', import.meta.url));

interface SimProcess {
  host: string;
  port: number;
  /** User + system CPU seconds so far, from /proc (Linux); null elsewhere. */
  cpuSeconds: () => number | null;
  stop: () => Promise<void>;
}

/** utime + stime of a process in seconds, from /proc/PID/stat (clock ticks of 1/100 s). */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function spawnSimulator(width: number, height: number, maxFps: number): Promise<SimProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'sim', '--port', '0', '--json', '--frame-size', `${width}x${height}`, '--max-fps', String(maxFps), '--replay-when-behind'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let stdout = '';
  const ready = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) {
        try {
          resolve(JSON.parse(line) as { host: string; port: number });
        } catch (err) {
          reject(new Error(`The simulator printed '${line}' instead of its JSON ready line.`, { cause: err }));
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`The simulator exited with ${code} before it was ready: ${stderr.trim()}`)));
  });
  return {
    ...ready,
    cpuSeconds: () => procCpuSeconds(child.pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function runIngestBenchmark(options: IngestOptions = {}): Promise<IngestResult> {
  const frames = options.frames ?? 600;
  const fps = options.fps ?? 150;
  const width = options.width ?? 2048;
  const height = options.height ?? 2048;
  if (!Number.isInteger(frames) || frames < 2) throw new Error(`The benchmark needs at least 2 frames, got ${frames}.`);
  if (!(fps > 0 && fps <= 2000)) throw new Error(`The frame rate must be between 0 and 2000 frames/s, got ${fps}.`);
  const sim = await spawnSimulator(width, height, fps);
  const connector = new FlamingoConnector({ host: sim.host, port: sim.port });
  try {
    const info = await connector.connect({ signal: options.signal });
    // Keep the z velocity (step × rate) inside the server's 1 mm/s bound.
    const stepUm = Math.min(2.5, 900 / fps);
    const zStartMm = info.softLimits.z.min + 1;
    const plan: AcquisitionPlan = {
      kind: 'zstack',
      zStartMm,
      zEndMm: zStartMm + (frames * stepUm) / 1000,
      planes: frames,
      stepUm,
      xMm: info.home.xMm,
      yMm: info.home.yMm,
      lasers: [{ laser: 2, powerPercent: 10 }],
      sides: ['left'],
      frameRate: fps,
      exposureUs: Math.floor((1e6 / fps) * 0.9),
      roi: { width, height },
      sampleName: 'bench_ingest',
    };
    const run = await connector.acquire(plan, { signal: options.signal });
    let received = 0;
    let bytes = 0;
    let first = 0;
    let last = 0;
    let cpuStart = process.cpuUsage();
    let simCpuStart: number | null = null;
    let lastReport = 0;
    for await (const frame of run.frames) {
      const now = performance.now();
      if (received === 0) {
        first = now;
        cpuStart = process.cpuUsage();
        simCpuStart = sim.cpuSeconds();
      } else {
        bytes += frame.pixels.byteLength;
      }
      last = now;
      received++;
      if (options.onProgress && now - lastReport > 100) {
        lastReport = now;
        options.onProgress(received, frames);
      }
    }
    const cpu = process.cpuUsage(cpuStart);
    const simCpuEnd = sim.cpuSeconds();
    const summary = await run.done;
    if (summary.outcome !== 'complete') {
      throw new Error(`The benchmark workflow ended '${summary.outcome}'${summary.error ? `: ${summary.error}` : ''}.`);
    }
    options.onProgress?.(received, frames);
    const seconds = (last - first) / 1000;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      frames: received,
      width,
      height,
      seconds,
      // Intervals between the first and the last frame; the first frame's bytes start the clock.
      fps: seconds > 0 ? (received - 1) / seconds : 0,
      mb_per_s: seconds > 0 ? bytes / 1e6 / seconds : 0,
      lost: frames - received,
      target_fps: fps,
      cpu_seconds: cpuSeconds,
      cpu_percent: seconds > 0 ? (100 * cpuSeconds) / seconds : 0,
      simulator_cpu_seconds: simCpuStart !== null && simCpuEnd !== null ? simCpuEnd - simCpuStart : null,
      notes: summary.notes,
    };
  } finally {
    await connector.close();
    await sim.stop();
  }
}
