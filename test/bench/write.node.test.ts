import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { benchCompressor, runWriteBenchmark } from '../../src/bench/write.ts';

describe('runWriteBenchmark', () => {
  it.each(['zstd', 'blosc-zstd'] as const)('streams small planes through the writer with %s and reports rates, CPU and drops', async (codec) => {
    const r = await runWriteBenchmark({ planes: 3, width: 320, height: 300, codec, threads: 1 });
    expect(r).toMatchObject({ planes: 3, width: 320, height: 300, levels: 2, dropped: 0, codec, zstd_level: 1, threads: 1, preallocate: true });
    expect(r.chunks_written).toBeGreaterThan(0);
    expect(r.compression_ratio).toBeGreaterThan(1);
    for (const k of ['seconds', 'planes_per_s', 'mb_per_s', 'cpu_seconds', 'raw_mb_per_s', 'peak_rss_mb'] as const) expect(r[k]).toBeGreaterThan(0);
  });

  it('names the compressor each codec choice writes', () => {
    expect(benchCompressor('zstd', 1)).toEqual({ id: 'zstd', level: 1 });
    expect(benchCompressor('blosc-zstd', 2)).toEqual({ id: 'blosc', cname: 'zstd', clevel: 2, shuffle: 1, blocksize: 0 });
  });
});

describe('flamingo-viv bench-write', () => {
  it('prints one JSON object with the issue §5 fields', () => {
    const out = execFileSync(process.execPath, ['bin/flamingo-viv.js', 'bench-write', '--planes', '2', '--frame-size', '128x96', '--threads', '1', '--cold', '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out) as Record<string, unknown>;
    expect(j).toMatchObject({ planes: 2, width: 128, height: 96, levels: 1, dropped: 0, codec: 'zstd', threads: 1, preallocate: false });
    for (const k of ['seconds', 'planes_per_s', 'mb_per_s', 'cpu_seconds', 'raw_mb_per_s']) expect(typeof j[k]).toBe('number');
  });
});
