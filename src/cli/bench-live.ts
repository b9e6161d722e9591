/**
 * `flamingo-viv bench-live` (`npm run bench:live`): the viewer app in headless Chromium, served
 * by the bridge with its simulated microscope at 40 frames/s, running a z-stack started from the
 * Acquisition panel; reports ingest frames/s, frame-arrival-to-layer-update latency (p50, p95),
 * display updates per second and writer drops.
 */
import { availableParallelism } from 'node:os';
import type { Command } from './command.ts';
import { parseIntOption } from './parse-values.ts';

export const benchLiveCommand: Command = {
  name: 'bench-live',
  summary: 'measure the live pipeline in headless Chromium: ingest, display latency, display rate, writer drops',
  options: {
    frames: { type: 'string', value: 'N', description: 'planes in the z-stack (40 frames/s)', default: '400' },
    'frame-size': { type: 'string', value: 'PX', description: 'square frame edge in pixels', default: '2048' },
    chromium: { type: 'string', value: 'PATH', description: 'the Chromium to drive', default: '/usr/bin/chromium' },
    json: { type: 'boolean', description: 'print one JSON object: {fps_ingest, latency_ms_p50, latency_ms_p95, display_updates_per_s, writer_dropped, …}' },
  },
  details: 'Headless Chromium renders with SwiftShader on the CPU: the numbers measure the pipeline, not a GPU.',
  async run(values, _positionals, io) {
    const frames = parseIntOption('--frames', String(values['frames'] ?? '400'), 10, 100_000);
    const frameSize = parseIntOption('--frame-size', String(values['frame-size'] ?? '2048'), 64, 4096);
    const { runLiveBenchmark } = await import('../bench/live.node.ts');
    const r = await runLiveBenchmark({
      frames,
      frameSize,
      chromium: String(values['chromium'] ?? '/usr/bin/chromium'),
      log: values['json'] ? undefined : (line) => io.err(`${line}\n`),
    });
    if (values['json']) {
      io.out(JSON.stringify(r) + '\n');
    } else {
      const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'n/a');
      io.out(
        [
          `frames      ${r.frames} planes of ${r.width} × ${r.height} uint16; ${r.frames_received} reached the bridge, ${r.frames_written} written, ${r.writer_dropped} dropped by the writer`,
          `ingest      ${r.fps_ingest.toFixed(1)} frames/s at the bridge`,
          `latency     p50 ${ms(r.latency_ms_p50)}, p95 ${ms(r.latency_ms_p95)} from arrival to layer update (${r.latency_samples} samples)`,
          `            = bridge to viewer p50 ${ms(r.transit_ms_p50)}, p95 ${ms(r.transit_ms_p95)} + viewer to layer p50 ${ms(r.viewer_ms_p50)}, p95 ${ms(r.viewer_ms_p95)}`,
          `display     ${r.display_updates_per_s.toFixed(1)} updates/s; ${r.frames_displayed} frames shown, ${r.frames_display_dropped} skipped (latest wins)`,
          `cpu         ${r.cpu_seconds_bridge.toFixed(1)} s bridge (all its threads), ${r.cpu_seconds_chromium.toFixed(1)} s Chromium, in ${r.seconds.toFixed(1)} s on ${availableParallelism()} cores`,
          `renderer    ${r.renderer} (headless: CPU rendering, pipeline numbers, not GPU numbers)`,
          '',
        ].join('\n'),
      );
    }
    return r.writer_dropped === 0 ? 0 : 1;
  },
};
