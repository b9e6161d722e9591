/**
 * `flamingo-viv import LEGACY.zarr --out PATH.ome.zarr`: converts a py2flamingo 3D session
 * (Zarr v2 or v3 layout) into a new flamingo-viv session, keeping its metadata under
 * `flamingo.legacy` (spec §8.3). The legacy folder is never modified and an existing session
 * is never overwritten (a UTC timestamp is appended to the name instead).
 */
import { UsageError, type Command } from './command.ts';
import { progressBar } from './progress.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'convert a py2flamingo session (.zarr, Zarr v2 or v3) into a flamingo-viv session',
  positionals: 'LEGACY.zarr',
  options: {
    out: { type: 'string', value: 'PATH.ome.zarr', description: 'the session to create (a timestamp is appended when it exists)' },
    json: { type: 'boolean', description: 'print one JSON object: {path, source, channels, shape, levels, frames_written, seconds}' },
  },
  details: 'The legacy folder is read only. Exit status: 0 imported, 1 the input is not a py2flamingo session or the import failed, 2 bad usage.',
  async run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError(`give exactly one py2flamingo session folder, got ${positionals.length}.`);
    const out = values['out'];
    if (typeof out !== 'string' || out.trim() === '') throw new UsageError('--out PATH.ome.zarr is required (the session folder to create).');
    const { importLegacySession } = await import('../session/import-legacy.node.ts');
    const bar = io.interactive && !values['json'] ? progressBar(io.err, 'import') : null;
    let result;
    try {
      result = await importLegacySession({
        source: positionals[0]!,
        out,
        signal: io.signal,
        ...(bar ? { onProgress: (p: { planesDone: number; planesTotal: number }) => bar.update(p.planesDone, p.planesTotal, 'planes') } : {}),
      });
    } finally {
      bar?.done();
    }
    for (const w of result.warnings) io.err(`warning: ${w}\n`);
    const { path, source, channels, shape, levels, framesWritten, seconds } = result;
    if (values['json']) {
      io.out(JSON.stringify({ path, source, channels, shape, levels, frames_written: framesWritten, seconds }) + '\n');
    } else {
      const shown = channels.filter((c) => c.visible).map((c) => c.name);
      io.out(
        [
          `Imported ${source}`,
          `  into ${path}`,
          `  level 0 shape [${shape.join(', ')}], ${levels} level(s), ${framesWritten} planes in ${seconds.toFixed(1)} s`,
          `  channels with data: ${shown.length > 0 ? shown.join(', ') : 'none'}`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  },
};
