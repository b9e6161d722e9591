/**
 * `flamingo-viv bench-write` (`npm run bench:write`): streams 2048×2048 uint16 planes of
 * camera-like data through the session writer (zstd in worker threads, the xy pyramid,
 * atomic chunk files) into a temporary folder, and reports planes/s, MB/s, compression
 * ratio, peak memory and drops, with the raw speed of writing the same bytes uncompressed.
 */
import type { WriteBenchCodec } from '../bench/write.ts';
import { UsageError } from './command.ts';
import type { Command } from './command.ts';
import { parseIntOption, parseSize } from './parse-values.ts';
import { progressBar } from './progress.ts';

export const benchWriteCommand: Command = {
  name: 'bench-write',
  summary: 'measure session write speed: planes/s and MB/s through zstd and the pyramid, with drops',
  options: {
    planes: { type: 'string', value: 'N', description: 'planes to write', default: '256' },
    'frame-size': { type: 'string', value: 'WxH', description: 'plane size', default: '2048x2048' },
    level: { type: 'string', value: 'L', description: 'zstd level (1–22), or Blosc clevel (1–9) with --codec blosc-zstd', default: '1' },
    codec: { type: 'string', value: 'NAME', description: 'chunk compressor: zstd, or blosc-zstd (byte shuffle + zstd)', default: 'zstd' },
    threads: { type: 'string', value: 'N', description: 'encoder worker threads', default: '2' },
    dir: { type: 'string', value: 'PATH', description: 'parent of the temporary session folder (default: the OS temp folder)' },
    cold: { type: 'boolean', description: 'do not allocate the slab buffers before the clock starts (page faults counted)' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(values, _positionals, io) {
    const planes = parseIntOption('--planes', String(values['planes'] ?? '256'), 1, 1_000_000);
    const { width, height } = parseSize('--frame-size', String(values['frame-size'] ?? '2048x2048'));
    const codecName = String(values['codec'] ?? 'zstd');
    if (codecName !== 'zstd' && codecName !== 'blosc-zstd') throw new UsageError(`--codec must be zstd or blosc-zstd, got '${codecName}'.`);
    const codec: WriteBenchCodec = codecName;
    const level = parseIntOption('--level', String(values['level'] ?? '1'), 1, codec === 'blosc-zstd' ? 9 : 22);
    const threads = parseIntOption('--threads', String(values['threads'] ?? '2'), 0, 64);
    const dir = typeof values['dir'] === 'string' ? values['dir'] : undefined;
    const { runWriteBenchmark } = await import('../bench/write.ts');
    const bar = io.interactive && !values['json'] ? progressBar(io.err, 'write') : null;
    const r = await runWriteBenchmark({
      planes,
      width,
      height,
      level,
      codec,
      threads,
      dir,
      preallocate: !values['cold'],
      signal: io.signal,
      onProgress: bar ? (done, total) => bar.update(done, total, 'planes') : undefined,
    });
    bar?.done();
    if (values['json']) {
      const { planes: p, width: w, height: h, seconds, planes_per_s, mb_per_s, levels, dropped } = r;
      io.out(JSON.stringify({ planes: p, width: w, height: h, seconds, planes_per_s, mb_per_s, levels, dropped, compression_ratio: r.compression_ratio, peak_rss_mb: r.peak_rss_mb, cpu_seconds: r.cpu_seconds, raw_mb_per_s: r.raw_mb_per_s, zstd_level: r.zstd_level, codec: r.codec, threads: r.threads, preallocate: r.preallocate }) + '\n');
    } else {
      io.out(
        [
          `planes      ${r.planes} of ${r.width} × ${r.height} uint16, ${r.levels} levels, ${r.codec === 'blosc-zstd' ? `blosc-zstd (byte shuffle) clevel ${r.zstd_level}` : `zstd level ${r.zstd_level}`}, ${r.threads} encoder threads${r.preallocate ? '' : ', cold start'}`,
          `rate        ${r.planes_per_s.toFixed(1)} planes/s, ${r.mb_per_s.toFixed(0)} MB/s of level-0 pixels`,
          `duration    ${r.seconds.toFixed(2)} s (first frame to finalized session)`,
          `cpu         ${((r.cpu_seconds * 1000) / Math.max(1, r.planes)).toFixed(1)} ms per plane, all threads (${r.cpu_seconds.toFixed(2)} s user + system)`,
          `compression ${r.compression_ratio.toFixed(2)}× (${(r.bytes_written / 1e6).toFixed(0)} MB in ${r.chunks_written} chunk files, all levels)`,
          `memory      ${r.peak_rss_mb.toFixed(0)} MB peak RSS`,
          `dropped     ${r.dropped} frames`,
          `raw write   ${r.raw_mb_per_s.toFixed(0)} MB/s writing the same level-0 bytes uncompressed (${r.raw_seconds.toFixed(2)} s)`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  },
};
