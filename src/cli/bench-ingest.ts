/**
 * `flamingo-viv bench-ingest` (`npm run bench:ingest`): streams a z-stack from the
 * simulator (in its own process) through the connector and reports frames/s, MB/s,
 * CPU time and lost frames.
 */
import type { Command } from './command.ts';
import { parseIntOption, parseNumberOption, parseSize } from './parse-values.ts';
import { progressBar } from './progress.ts';

export const benchIngestCommand: Command = {
  name: 'bench-ingest',
  summary: 'measure frames/s and MB/s from the simulator through the connector, with lost frames',
  options: {
    frames: { type: 'string', value: 'N', description: 'frames to stream', default: '600' },
    fps: { type: 'string', value: 'F', description: 'camera frame rate to ask for', default: '150' },
    'frame-size': { type: 'string', value: 'WxH', description: 'frame size', default: '2048x2048' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(values, _positionals, io) {
    const frames = parseIntOption('--frames', String(values['frames'] ?? '600'), 2, 1_000_000);
    const fps = parseNumberOption('--fps', String(values['fps'] ?? '150'), 1, 2000);
    const { width, height } = parseSize('--frame-size', String(values['frame-size'] ?? '2048x2048'));
    const { runIngestBenchmark } = await import('../bench/ingest.ts');
    const bar = io.interactive && !values['json'] ? progressBar(io.err, 'ingest') : null;
    const r = await runIngestBenchmark({
      frames,
      fps,
      width,
      height,
      signal: io.signal,
      onProgress: bar ? (done, total) => bar.update(done, total, 'frames') : undefined,
    });
    bar?.done();
    if (values['json']) {
      io.out(JSON.stringify(r) + '\n');
    } else {
      io.out(
        [
          `frames      ${r.frames} of ${r.width} × ${r.height} uint16 (${r.lost} lost)`,
          `rate        ${r.fps.toFixed(1)} frames/s (asked ${r.target_fps}), ${r.mb_per_s.toFixed(0)} MB/s`,
          `duration    ${r.seconds.toFixed(2)} s`,
          `cpu         ${r.cpu_seconds.toFixed(2)} s in the receiving process (${r.cpu_percent.toFixed(0)}% of one core)` +
            (r.simulator_cpu_seconds !== null ? `, ${r.simulator_cpu_seconds.toFixed(2)} s in the simulator` : ''),
          ...r.notes.map((n) => `note        ${n}`),
          '',
        ].join('\n'),
      );
    }
    return 0;
  },
};
