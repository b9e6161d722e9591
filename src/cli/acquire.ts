/**
 * `flamingo-viv acquire`: runs a z-stack or tile plan on a microscope (or the built-in
 * simulator) and writes the session while frames arrive; Ctrl-C stops the workflow and
 * leaves a valid `interrupted` session.
 *
 * Layout: level 0 is `[c, z, y, x]`; frame pixel (row, col) goes to (y, x) with no flip;
 * the channel order is the `--lasers` order; z follows the planes from START to END.
 */
import type { AcquisitionPlan, MicroscopeInfo } from '../acquisition/connector.ts';
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

/** Display colours by line: blue, green, yellow-orange, magenta. */
const COLOR_BY_NM: ReadonlyMap<number, string> = new Map([
  [405, '0000FF'],
  [488, '00FF00'],
  [561, 'FFAA00'],
  [640, 'FF00FF'],
]);

export interface AcquireRequest {
  zStartMm: number;
  zEndMm: number;
  stepUm: number;
  /** Wavelengths in channel order. */
  lasersNm: number[];
  xMm: number | null;
  yMm: number | null;
  tiles: { nx: number; ny: number } | null;
  overlapPercent: number;
  roi: { width: number; height: number } | null;
}

export function parseAcquireRequest(values: OptionValues): AcquireRequest {
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
  const coord = (name: string): number | null => (values[name] === undefined ? null : parseNumberOption(`--${name}`, String(values[name]), -1000, 1000));
  let tiles: AcquireRequest['tiles'] = null;
  if (values['tiles'] !== undefined) {
    const t = /^(\d+)[xX×](\d+)$/.exec(String(values['tiles']).trim());
    if (!t || Number(t[1]) < 1 || Number(t[2]) < 1 || Number(t[1]) > 100 || Number(t[2]) > 100) {
      throw new UsageError(`--tiles must be NXxNY with 1–100 tiles per axis (e.g. 2x2), got '${String(values['tiles'])}'.`);
    }
    tiles = { nx: Number(t[1]), ny: Number(t[2]) };
  }
  const overlapPercent = parseNumberOption('--overlap', String(values['overlap'] ?? '10'), 0, 50);
  const roi = values['roi'] === undefined ? null : parseSize('--roi', String(values['roi']));
  return { zStartMm, zEndMm, stepUm, lasersNm, xMm: coord('x'), yMm: coord('y'), tiles, overlapPercent, roi };
}

/**
 * The plan for a request: planes = round(|ΔZ| / step) (the server's convention, at least
 * 1); a tile grid of NX × NY centred on X/Y, whose corner tile centres are chosen so the
 * server's tiling (spec §8.5) yields exactly NX × NY tiles.
 */
export function acquisitionPlan(req: AcquireRequest, info: MicroscopeInfo, at: { xMm: number; yMm: number }): AcquisitionPlan {
  const planes = Math.max(1, Math.round((Math.abs(req.zEndMm - req.zStartMm) * 1000) / req.stepUm));
  const roi = req.roi ?? { width: info.width, height: info.height };
  const x = req.xMm ?? at.xMm;
  const y = req.yMm ?? at.yMm;
  const base = {
    zStartMm: req.zStartMm,
    zEndMm: req.zEndMm,
    planes,
    stepUm: req.stepUm,
    lasers: req.lasersNm.map((nm) => ({ laser: LASER_BY_NM.get(nm)!, powerPercent: 10 })),
    sides: ['left'] as const,
    ...(req.roi ? { roi } : {}),
  };
  if (!req.tiles || req.tiles.nx * req.tiles.ny === 1) return { kind: 'zstack', ...base, xMm: x, yMm: y };
  // Field of view per axis (the server takes X from the ROI height and Y from its width).
  const mmPerPixel = (info.reportedPixelSizeUm ?? info.pixelSizeUm) / 1000;
  // n tiles need a corner distance of at most n·P − F (P = F·(1 − overlap)); 1 nm less keeps
  // the server's ceil() from rounding up to n + 1.
  const span = (n: number, fov: number): number => Math.max(0, n * fov * (1 - req.overlapPercent / 100) - fov - 1e-6);
  const sx = span(req.tiles.nx, roi.height * mmPerPixel);
  const sy = span(req.tiles.ny, roi.width * mmPerPixel);
  return {
    kind: 'tile',
    ...base,
    xMm: x + sx / 2,
    yMm: y + sy / 2,
    xEndMm: x - sx / 2,
    yEndMm: y - sy / 2,
    overlapPercent: req.overlapPercent,
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
        plan: (info, at) => acquisitionPlan(req, info, at),
        channelOrderNm: req.lasersNm,
        colorFor: (nm) => COLOR_BY_NM.get(nm) ?? 'FFFFFF',
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
