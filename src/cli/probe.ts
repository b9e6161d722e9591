/**
 * `flamingo-viv probe`: checks the link to a microscope. Connects, loads ScopeSettings,
 * reads X/Y/Z/R, runs live view for N frames, stops, and prints what it found.
 */
import type { ProbeResult } from '../acquisition/flamingo/probe.ts';
import type { Command } from './command.ts';
import { openMicroscopeTarget } from './microscope-target.ts';
import { parseIntOption, parseNumberOption } from './parse-values.ts';

export function formatProbe(r: ProbeResult): string {
  const p = r.position;
  return [
    `microscope   ${r.microscope}`,
    `pixel size   ${r.pixel_size_um.toFixed(4)} µm`,
    `position     X ${p.x_mm.toFixed(4)} mm  Y ${p.y_mm.toFixed(4)} mm  Z ${p.z_mm.toFixed(4)} mm  R ${p.r_deg.toFixed(2)}°`,
    `live view    ${r.frames} frames of ${r.width} × ${r.height} at ${r.fps.toFixed(1)} frames/s (${r.mb_per_s.toFixed(1)} MB/s)`,
    '',
  ].join('\n');
}

export const probeCommand: Command = {
  name: 'probe',
  summary: 'connect to a microscope, read settings and stage, receive live frames, and report',
  options: {
    microscope: { type: 'string', value: 'HOST:PORT|sim', description: "microscope address, or 'sim' for a built-in simulator", default: 'sim' },
    frames: { type: 'string', value: 'N', description: 'live frames to receive', default: '20' },
    timeout: { type: 'string', value: 'S', description: 'seconds to wait for each step', default: '10' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(values, _positionals, io) {
    const frames = parseIntOption('--frames', String(values['frames'] ?? '20'), 1, 100000);
    const timeoutS = parseNumberOption('--timeout', String(values['timeout'] ?? '10'), 0.1, 3600);
    const { probeMicroscope } = await import('../acquisition/flamingo/probe.ts');
    const target = await openMicroscopeTarget(String(values['microscope'] ?? 'sim'));
    try {
      const result = await probeMicroscope({ host: target.host, port: target.port, frames, timeoutS, signal: io.signal });
      io.out(values['json'] ? JSON.stringify(result) + '\n' : formatProbe(result));
      return 0;
    } finally {
      await target.release();
    }
  },
};
