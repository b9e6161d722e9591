/**
 * `npm run bench:live`: the whole live pipeline as a scientist runs it. The viewer app is built
 * and served by the bridge (simulated microscope on its own thread, 2048² frames at the camera's
 * 40 frames/s), headless Chromium opens it with the token and starts a z-stack through the
 * Acquisition panel like a user, and the run is measured end to end:
 * - ingest frames/s at the bridge (frames received ÷ time from the first to the last);
 * - frame-arrival-to-layer-update latency: from the bridge receiving a frame to the viewer
 *   handing Viv new loaders holding it (the client's `flamingo-viv:displayed` performance marks;
 *   both clocks are this machine's, `performance.timeOrigin + now()` on either side);
 * - display updates per second, and frames the session writer dropped (must stay 0).
 * Headless Chromium draws with SwiftShader on the CPU: these are pipeline numbers, not GPU ones.
 *
 * @example
 * const r = await runLiveBenchmark({ frames: 400 }); // { fps_ingest, latency_ms_p50, latency_ms_p95, … }
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DISPLAYED_MARK } from '../acquisition/remote/client.ts';
import { startBridge } from '../bridge/index.ts';
import { percentile } from './statistics.ts';

export interface LiveBenchOptions {
  /** Planes in the z-stack (default 400: 10 s at 40 frames/s). */
  frames?: number;
  /** Frame edge in pixels (default 2048). */
  frameSize?: number;
  /** Chromium to drive (default Debian's). */
  chromium?: string;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

export interface LiveBenchResult {
  frames: number;
  width: number;
  height: number;
  fps_ingest: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
  latency_samples: number;
  display_updates_per_s: number;
  frames_displayed: number;
  frames_display_dropped: number;
  frames_written: number;
  writer_dropped: number;
  seconds: number;
  renderer: string;
}

const CHROMIUM_FLAGS = ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage', '--no-first-run', '--mute-audio'];

/** Z step of the plan: the simulator's stage moves in µm; 400 planes over 0.4 mm at 1 µm. */
const STEP_UM = 1;
const Z_START_MM = 18;

export async function runLiveBenchmark(options: LiveBenchOptions = {}): Promise<LiveBenchResult> {
  const frames = options.frames ?? 400;
  const size = options.frameSize ?? 2048;
  const log = options.log ?? ((): void => {});
  if (!Number.isInteger(frames) || frames < 10 || frames > 100_000) throw new RangeError(`frames must be a whole number from 10 to 100000, got ${frames}.`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-bench-live-'));
  const { chromium } = await import('playwright-core');
  const { build } = await import('vite');
  let bridge: Awaited<ReturnType<typeof startBridge>> | null = null;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    log('building the viewer app …');
    const appDir = path.join(tmp, 'app');
    await build({ configFile: 'app/vite.config.ts', logLevel: 'error', build: { outDir: appDir, emptyOutDir: true, sourcemap: false } });
    bridge = await startBridge({ port: 0, sessionsDir: path.join(tmp, 'sessions'), app: { dist: appDir, devRoot: null }, simulator: { seed: 1, frameWidth: size, frameHeight: size } });
    log(`bridge at ${bridge.url}; opening headless Chromium …`);
    browser = await chromium.launch({ executablePath: options.chromium ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(bridge.readyUrl);
    const connected = page.getByText(/^Connected to /);
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    await connected.or(connect).first().waitFor({ timeout: 120_000 });
    if (await connect.isVisible()) await connect.click();
    await connected.waitFor({ timeout: 120_000 });
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      return gl ? String(gl.getParameter(gl.RENDERER)) : 'no WebGL2';
    });

    const form = page.getByRole('form', { name: 'Acquisition plan' });
    await form.getByLabel('Session name').fill('bench-live');
    await form.getByLabel('Start Z (mm)').fill(String(Z_START_MM));
    await form.getByLabel('End Z (mm)').fill(String(Z_START_MM + (frames * STEP_UM) / 1000));
    await form.getByLabel('Z step (µm)').fill(String(STEP_UM));
    log(`acquiring ${frames} planes of ${size}² …`);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Start acquisition' }).click();
    // Wait for the run to start, then for it to end (the bridge's own record of the job).
    const started = Date.now();
    while (bridge.controller.counters().framesExpected === 0) {
      if (Date.now() - started > 60_000) throw new Error('The acquisition did not start within 60 s of pressing Start acquisition.');
      await new Promise((r) => setTimeout(r, 100));
    }
    const job = await bridge.controller.acquisitionDone();
    const seconds = (performance.now() - t0) / 1000;
    // Let the last throttled display updates land.
    await new Promise((r) => setTimeout(r, 1500));
    const counters = bridge.controller.counters();
    const marks = await page.evaluate((name) => {
      return performance.getEntriesByName(name, 'mark').map((m) => ({ at: performance.timeOrigin + m.startTime, detail: (m as PerformanceMark).detail as { frameNumber: number; acquiredAtMs: number } }));
    }, DISPLAYED_MARK);
    const latencies = marks.map((m) => m.at - (performance.timeOrigin + m.detail.acquiredAtMs)).sort((a, b) => a - b);
    const span = marks.length > 1 ? (marks[marks.length - 1]!.at - marks[0]!.at) / 1000 : 0;
    const received = job?.json.frames_received ?? counters.framesAcquired;
    return {
      frames,
      width: size,
      height: size,
      fps_ingest: job && job.json.seconds > 0 ? received / job.json.seconds : 0,
      latency_ms_p50: latencies.length > 0 ? percentile(latencies, 0.5) : Number.NaN,
      latency_ms_p95: latencies.length > 0 ? percentile(latencies, 0.95) : Number.NaN,
      latency_samples: latencies.length,
      display_updates_per_s: span > 0 ? (marks.length - 1) / span : 0,
      frames_displayed: marks.length,
      frames_display_dropped: Math.max(0, received - marks.length),
      frames_written: job?.json.frames_written ?? counters.framesWritten,
      writer_dropped: job?.json.frames_dropped ?? counters.framesWriterDropped,
      seconds,
      renderer,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await bridge?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
