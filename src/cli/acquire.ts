/**
 * `flamingo-viv acquire`: runs a z-stack or tile plan on a microscope (or the built-in
 * simulator) and writes the session while frames arrive; Ctrl-C stops the workflow and
 * leaves a valid `interrupted` session.
 *
 * Layout: level 0 is `[c, z, y, x]`; frame pixel (row, col) goes to (y, x) with no flip;
 * the channel order is the `--lasers` order; z follows the planes from START to END.
 */
import type { AcquisitionRequest } from '../acquisition/live-backend.ts';
import { channelColor, planFromRequest } from '../session/acquisition-layout.ts';
import { UsageError, type Command, type OptionValues } from './command.ts';
import { openMicroscopeTarget } from './microscope-target.ts';
import { parseNumberOption, parseSize } from './parse-values.ts';
import { progressBar } from './progress.ts';

/** Laser index of each line the Flamingo carries (Laser n is channel n − 1). */
const LASER_BY_NM: ReadonlyMap<number, number> = new Map([
  [405, 1],
  [488, 2],
  [561, 3],
  [640, 4],
]);

/** The options as the request a viewer would send (the same plan is built from it, `planFromRequest`). */
export function parseAcquireRequest(values: OptionValues): AcquisitionRequest {
  const z = String(values['z'] ?? '');
  const m = /^\s*(-?[\d.]+)\s*:\s*(-?[\d.]+)\s*$/.exec(z);
  if (!m) throw new UsageError(`--z must be START_MM:END_MM (e.g. 18.0:18.5), got '${z}'.`);
  const zStartMm = parseNumberOption('--z start', m[1]!, -1000, 1000);
  const zEndMm = parseNumberOption('--z end', m[2]!, -1000, 1000);
  if (values['step'] === undefined) throw new UsageError('--step UM is required (the z step in micrometres).');
  const stepUm = parseNumberOption('--step', String(values['step']), 0.01, 1000);
  const lasersNm = String(values['lasers'] ?? '488')
    .split(',')
    .map((s) => s.trim())
    .map((s) => {
      const nm = Number(s);
      if (!LASER_BY_NM.has(nm)) throw new UsageError(`--lasers takes wavelengths among ${[...LASER_BY_NM.keys()].join(', ')} nm, got '${s}'.`);
      return nm;
    });
  if (new Set(lasersNm).size !== lasersNm.length) throw new UsageError(`--lasers names a wavelength twice: ${lasersNm.join(',')}.`);
  const coord = (name: string): { [k: string]: number } => (values[name] === undefined ? {} : { [`${name}Mm`]: parseNumberOption(`--${name}`, String(values[name]), -1000, 1000) });
  let tiles: [number, number] | null = null;
  if (values['tiles'] !== undefined) {
    const t = /^(\d+)[xX×](\d+)$/.exec(String(values['tiles']).trim());
    if (!t || Number(t[1]) < 1 || Number(t[2]) < 1 || Number(t[1]) > 100 || Number(t[2]) > 100) {
      throw new UsageError(`--tiles must be NXxNY with 1–100 tiles per axis (e.g. 2x2), got '${String(values['tiles'])}'.`);
    }
    tiles = [Number(t[1]), Number(t[2])];
  }
  const overlapPercent = parseNumberOption('--overlap', String(values['overlap'] ?? '10'), 0, 50);
  return {
    kind: tiles ? 'tile' : 'zstack',
    zStartMm,
    zEndMm,
    stepUm,
    lasers: lasersNm,
    ...coord('x'),
    ...coord('y'),
    ...(tiles ? { tiles } : {}),
    overlapPercent,
    ...(values['roi'] === undefined ? {} : { roi: parseSize('--roi', String(values['roi'])) }),
  };
}

export const acquireCommand: Command = {
  name: 'acquire',
  summary: 'run a z-stack or tile scan and write it as an OME-NGFF 0.4 session while frames arrive',
  options: {
    microscope: { type: 'string', value: 'HOST:PORT|sim', description: "microscope address, or 'sim' for a built-in simulator", default: 'sim' },
    out: { type: 'string', value: 'PATH.ome.zarr', description: 'session folder to create (never overwritten)' },
    z: { type: 'string', value: 'START_MM:END_MM', description: 'z sweep' },
    step: { type: 'string', value: 'UM', description: 'z step in micrometres' },
    lasers: { type: 'string', value: 'NM,NM', description: 'laser lines in channel order (405, 488, 561, 640)', default: '488' },
    x: { type: 'string', value: 'MM', description: 'stack (or mosaic) centre X; default: where the stage is' },
    y: { type: 'string', value: 'MM', description: 'stack (or mosaic) centre Y; default: where the stage is' },
    tiles: { type: 'string', value: 'NXxNY', description: 'tile mosaic size' },
    overlap: { type: 'string', value: 'PCT', description: 'tile overlap in percent (0–50)', default: '10' },
    roi: { type: 'string', value: 'WxH', description: 'centred camera ROI; default: the current image size' },
    name: { type: 'string', value: 'S', description: 'session name; default: from the folder name' },
    description: { type: 'string', value: 'S', description: 'free text kept in the session' },
    json: { type: 'boolean', description: 'print one JSON object at the end' },
  },
  async run(values, _positionals, io) {
    if (values['out'] === undefined) throw new UsageError('--out PATH.ome.zarr is required.');
    const out = String(values['out']);
    if (!out.endsWith('.ome.zarr')) throw new UsageError(`--out must name a folder ending in .ome.zarr, got '${out}'.`);
    const req = parseAcquireRequest(values);
    const { runAcquisition } = await import('../session/acquire.node.ts');
    const target = await openMicroscopeTarget(String(values['microscope'] ?? 'sim'));
    const bar = io.interactive && !values['json'] ? progressBar(io.err, 'acquire') : null;
    try {
      const r = await runAcquisition({
        host: target.host,
        port: target.port,
        connection: target.simulator ? 'simulator' : 'tcp',
        out,
        name: values['name'] === undefined ? null : String(values['name']),
        description: values['description'] === undefined ? null : String(values['description']),
        plan: (info, at) => planFromRequest(req, info, { ...at, zMm: 0, rDeg: 0 }).plan,
        channelOrderNm: [...req.lasers],
        colorFor: channelColor,
        interrupted: io.interrupted,
        signal: io.signal,
        onProgress: bar ? (p) => bar.update(p.framesReceived, p.framesExpected, `frames  ${p.mbPerS.toFixed(0)} MB/s  queue ${p.writerQueued}`) : undefined,
      });
      bar?.done();
      if (values['json']) {
        io.out(JSON.stringify(r.json) + '\n');
      } else {
        io.out(
          [
            `${r.json.path}: ${r.status}`,
            `  frames ${r.json.frames_received}/${r.json.frames_expected} received, ${r.json.frames_written} written, ${r.json.frames_dropped} dropped`,
            `  level 0 [${r.json.shape.join(', ')}], ${r.json.levels} levels, ${r.json.seconds.toFixed(1)} s`,
            ...r.notes.map((n) => `  note: ${n}`),
            '',
          ].join('\n'),
        );
      }
      return r.status === 'complete' ? 0 : 1;
    } finally {
      bar?.done();
      await target.release();
    }
  },
};
