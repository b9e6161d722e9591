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
import { execFileSync } from 'node:child_process';
import { DISPLAYED_MARK } from '../acquisition/remote/client.ts';
import { startBridge } from '../bridge/index.ts';
import { launchChromium } from './cdp.node.ts';
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
  /** The latency's two parts: bridge arrival to the viewer's socket (transit), and from there to the layer update (viewer). */
  transit_ms_p50: number;
  transit_ms_p95: number;
  viewer_ms_p50: number;
  viewer_ms_p95: number;
  display_updates_per_s: number;
  /** Frames that reached the bridge (the simulated camera drops frames a busy bridge does not read in time). */
  frames_received: number;
  frames_displayed: number;
  frames_display_dropped: number;
  frames_written: number;
  writer_dropped: number;
  seconds: number;
  /** CPU seconds during the acquisition: this process (bridge, simulator, writer and display threads) and Chromium (all its processes). */
  cpu_seconds_bridge: number;
  cpu_seconds_chromium: number;
  renderer: string;
}

const CHROMIUM_FLAGS = ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage', '--mute-audio'];

/**
 * Page-side helpers, driving the app the way a person does: fields found by their label inside
 * the form named `Acquisition plan`, buttons by their text. Values are set through the input's
 * own setter and an `input` event, as typing does, so React sees them.
 */
const PAGE_HELPERS = `
  globalThis.__fv = {
    form: () => document.querySelector('form[aria-label="Acquisition plan"]'),
    fill(label, value) {
      const field = [...this.form().querySelectorAll('label')].find((l) => l.textContent.trim() === label)?.querySelector('input');
      if (!field) throw new Error('No field labelled ' + label + ' in the Acquisition plan form.');
      if (field.disabled || field.closest('fieldset:disabled')) return false;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(field, value);
      field.dispatchEvent(new Event('input', { bubbles: true }));
      return true;
    },
    button: (name) => [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === name) ?? null,
    click(name) {
      const b = this.button(name);
      if (!b || b.disabled) return false;
      b.click();
      return true;
    },
  };
  true;
`;

/** CPU seconds used so far by the processes in process group `pgid` (Chromium and its children). */
function groupCpuSeconds(pgid: number): number {
  const out = execFileSync('ps', ['-e', '-o', 'pgid=,cputimes='], { encoding: 'utf8' });
  let sum = 0;
  for (const line of out.split('\n')) {
    const [g, t] = line.trim().split(/\s+/);
    if (Number(g) === pgid) sum += Number(t);
  }
  return sum;
}

/** Z step of the plan: the simulator's stage moves in µm; 400 planes over 0.4 mm at 1 µm. */
const STEP_UM = 1;
const Z_START_MM = 18;

export async function runLiveBenchmark(options: LiveBenchOptions = {}): Promise<LiveBenchResult> {
  const frames = options.frames ?? 400;
  const size = options.frameSize ?? 2048;
  const log = options.log ?? ((): void => {});
  if (!Number.isInteger(frames) || frames < 10 || frames > 100_000) throw new RangeError(`frames must be a whole number from 10 to 100000, got ${frames}.`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-bench-live-'));
  const { build } = await import('vite');
  let bridge: Awaited<ReturnType<typeof startBridge>> | null = null;
  let page: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    log('building the viewer app …');
    const appDir = path.join(tmp, 'app');
    await build({ configFile: 'app/vite.config.ts', logLevel: 'error', build: { outDir: appDir, emptyOutDir: true, sourcemap: false } });
    bridge = await startBridge({ port: 0, sessionsDir: path.join(tmp, 'sessions'), app: { dist: appDir, devRoot: null }, simulator: { seed: 1, frameWidth: size, frameHeight: size, replayWhenBehind: true }, log: (level, m) => level !== 'info' && log(`bridge ${level}: ${m}`) });
    log(`bridge at ${bridge.url}; opening headless Chromium …`);
    page = await launchChromium({ executable: options.chromium ?? '/usr/bin/chromium', width: 1280, height: 900, args: CHROMIUM_FLAGS });
    await page.goto(bridge.readyUrl);
    await page.waitFor("/Connected to |Not connected/.test(document.body.innerText)", 'The viewer showing the microscope connection', 120_000);
    await page.evaluate(PAGE_HELPERS);
    // The bridge connects to its simulator by itself; press Connect only if it has not.
    if (!(await page.evaluate<boolean>("/Connected to /.test(document.body.innerText)"))) {
      await page.waitFor("/Connected to /.test(document.body.innerText) || __fv.click('Connect')", 'The Connect button becoming usable', 30_000);
    }
    await page.waitFor("/Connected to /.test(document.body.innerText)", 'The connection to the simulated microscope', 120_000);
    const renderer = await page.evaluate<string>("(() => { const gl = document.createElement('canvas').getContext('webgl2'); return gl ? String(gl.getParameter(gl.RENDERER)) : 'no WebGL2'; })()");

    const fields: Array<[string, string]> = [
      ['Session name', 'bench-live'],
      ['Start Z (mm)', String(Z_START_MM)],
      ['End Z (mm)', String(Z_START_MM + (frames * STEP_UM) / 1000)],
      ['Z step (µm)', String(STEP_UM)],
    ];
    for (const [label, value] of fields) await page.waitFor(`__fv.fill(${JSON.stringify(label)}, ${JSON.stringify(value)})`, `The field '${label}' becoming editable`, 30_000);
    log(`acquiring ${frames} planes of ${size}² …`);
    const cpuBridge0 = process.cpuUsage();
    const cpuChromium0 = groupCpuSeconds(page.pid);
    const t0 = performance.now();
    await page.waitFor("__fv.click('Start acquisition')", "The 'Start acquisition' button becoming usable", 30_000);
    // Wait for the run to start, then for it to end (the bridge's own record of the job).
    const started = Date.now();
    while (bridge.controller.counters().framesExpected === 0) {
      if (Date.now() - started > 60_000) throw new Error(`The acquisition did not start within 60 s of pressing Start acquisition${page.errors.length > 0 ? ` (page errors: ${page.errors.slice(-3).join(' | ')})` : ''}.`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const job = await bridge.controller.acquisitionDone();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpuBridge0);
    const cpuChromium = groupCpuSeconds(page.pid) - cpuChromium0;
    // Let the last throttled display updates land.
    await new Promise((r) => setTimeout(r, 1500));
    const counters = bridge.controller.counters();
    const marks = await page.evaluate<Array<{ at: number; receivedAt: number; acquiredAtMs: number }>>(
      `performance.getEntriesByName(${JSON.stringify(DISPLAYED_MARK)}, 'mark').map((m) => ({ at: performance.timeOrigin + m.startTime, receivedAt: performance.timeOrigin + m.detail.receivedAtMs, acquiredAtMs: m.detail.acquiredAtMs }))`,
    );
    const p = (values: number[], q: number): number => (values.length > 0 ? percentile(values, q) : Number.NaN);
    const latencies = marks.map((m) => m.at - (performance.timeOrigin + m.acquiredAtMs));
    const transit = marks.map((m) => m.receivedAt - (performance.timeOrigin + m.acquiredAtMs));
    const viewer = marks.map((m) => m.at - m.receivedAt);
    const span = marks.length > 1 ? (marks[marks.length - 1]!.at - marks[0]!.at) / 1000 : 0;
    const received = job?.json.frames_received ?? counters.framesAcquired;
    return {
      frames,
      width: size,
      height: size,
      fps_ingest: job && job.json.seconds > 0 ? received / job.json.seconds : 0,
      latency_ms_p50: p(latencies, 0.5),
      latency_ms_p95: p(latencies, 0.95),
      latency_samples: latencies.length,
      transit_ms_p50: p(transit, 0.5),
      transit_ms_p95: p(transit, 0.95),
      viewer_ms_p50: p(viewer, 0.5),
      viewer_ms_p95: p(viewer, 0.95),
      display_updates_per_s: span > 0 ? (marks.length - 1) / span : 0,
      frames_received: received,
      frames_displayed: marks.length,
      frames_display_dropped: Math.max(0, received - marks.length),
      frames_written: job?.json.frames_written ?? counters.framesWritten,
      writer_dropped: job?.json.frames_dropped ?? counters.framesWriterDropped,
      seconds,
      cpu_seconds_bridge: (cpu.user + cpu.system) / 1e6,
      cpu_seconds_chromium: cpuChromium,
      renderer,
    };
  } finally {
    await page?.close().catch(() => undefined);
    await bridge?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
