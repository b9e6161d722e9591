/**
 * The write benchmark (issue 3 §5, `npm run bench:write`): streams uint16 planes of
 * camera-like data (the simulator's camera model: offset 100, shot and read noise over a
 * field of bright blobs) through the session writer — slab buffers, zstd in worker threads,
 * the xy pyramid, atomic chunk files — into a temporary folder, then writes the same number
 * of raw bytes uncompressed for scale, and removes everything.
 *
 * Frames come from a pool of 8 noisy planes made before the clock starts, each read at one of
 * 8 row offsets, so the 64 planes of every chunk hold 64 different noise draws (no repeats
 * for zstd to find) and the source costs nothing during the run.
 *
 * @example
 * const r = await runWriteBenchmark({ planes: 256 });
 * // { planes: 256, width: 2048, height: 2048, seconds: 4.1, planes_per_s: 62, mb_per_s: 520, levels: 4, dropped: 0, … }
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Frame } from '../acquisition/connector.ts';
import { CameraModel } from '../acquisition/simulator/camera.ts';
import { Rng } from '../acquisition/simulator/random.ts';
import type { SessionCompressor } from '../session/metadata/types.ts';
import type { FsyncPolicy } from '../session/store/fs-store.ts';
import { createNodeSessionWriter } from '../session/writer/index.node.ts';

export interface WriteBenchOptions {
  planes?: number;
  width?: number;
  height?: number;
  /** zstd level (default 1); with `codec: "blosc-zstd"` the Blosc clevel (1–9; 1 = zstd level 1). */
  level?: number;
  /**
   * `"zstd"` (default, the writer's default) or `"blosc-zstd"`: Blosc with byte shuffle and zstd
   * inside (`{"id": "blosc", "cname": "zstd", "clevel": level, "shuffle": 1, "blocksize": 0}`).
   */
  codec?: WriteBenchCodec;
  /** Encoder worker threads (default 2). */
  threads?: number;
  /** Parent of the temporary session folder (default the OS temp folder). */
  dir?: string;
  /**
   * Allocate and touch the writer's slab buffers when the session is created, before the clock
   * starts (default true: the sustained rate of an acquisition that set its session up before
   * the first frame; false measures the page faults of a cold start too).
   */
  preallocate?: boolean;
  /** fsync policy of the session store (default `"metadata"`, as in real sessions). */
  fsync?: FsyncPolicy;
  onProgress?: (planes: number, total: number) => void;
  signal?: AbortSignal;
}

export type WriteBenchCodec = 'zstd' | 'blosc-zstd';

/** The `.zarray` compressor a benchmark codec choice writes. */
export function benchCompressor(codec: WriteBenchCodec, level: number): SessionCompressor {
  return codec === 'blosc-zstd' ? { id: 'blosc', cname: 'zstd', clevel: level, shuffle: 1, blocksize: 0 } : { id: 'zstd', level };
}

export interface WriteBenchResult {
  planes: number;
  width: number;
  height: number;
  /** From the first frame handed to the writer to the end of finalize. */
  seconds: number;
  planes_per_s: number;
  /** 10⁶ bytes of level-0 pixels per second. */
  mb_per_s: number;
  levels: number;
  dropped: number;
  zstd_level: number;
  codec: WriteBenchCodec;
  threads: number;
  preallocate: boolean;
  /** Raw bytes encoded (all levels) over bytes written. */
  compression_ratio: number;
  bytes_written: number;
  chunks_written: number;
  peak_rss_mb: number;
  /**
   * CPU time of the whole process (every thread: ingest, encoder workers, file writes) from the
   * first frame to the end of finalize, user + system, in seconds. On a shared machine this is
   * steadier than the wall clock: `cpu_seconds / planes` is the cost of one plane.
   */
  cpu_seconds: number;
  /** Writing the same level-0 bytes uncompressed, one file per plane, in the same folder. */
  raw_mb_per_s: number;
  raw_seconds: number;
}

const POOL = 8;
const SHIFT_ROWS = 64;

/** Noisy planes with `POOL − 1` × 64 spare rows each, so a frame is a shifted view without copying. */
function framePool(width: number, height: number): Uint16Array[] {
  const rows = height + (POOL - 1) * SHIFT_ROWS;
  const electrons = new Float32Array(width * rows);
  const rng = new Rng(0xb3a7);
  // Background autofluorescence plus a few hundred blob-like "nuclei".
  electrons.fill(20);
  const blobs = Math.round((width * rows) / 12000);
  for (let b = 0; b < blobs; b++) {
    const cy = rng.next() * rows;
    const cx = rng.next() * width;
    const r = 4 + rng.next() * 12;
    const peak = 200 + rng.next() * 2500;
    const y0 = Math.max(0, Math.floor(cy - 2 * r));
    const y1 = Math.min(rows, Math.ceil(cy + 2 * r));
    const x0 = Math.max(0, Math.floor(cx - 2 * r));
    const x1 = Math.min(width, Math.ceil(cx + 2 * r));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const d2 = ((y - cy) ** 2 + (x - cx) ** 2) / (r * r);
        electrons[y * width + x]! += peak * Math.exp(-d2);
      }
    }
  }
  const cam = new CameraModel();
  const base = new Uint16Array(width * rows);
  cam.toBase(electrons, 1, base);
  return Array.from({ length: POOL }, (_, i) => {
    const out = new Uint16Array(width * rows);
    cam.addNoise(base, width, out, new Rng(1000 + i));
    return out;
  });
}

export async function runWriteBenchmark(options: WriteBenchOptions = {}): Promise<WriteBenchResult> {
  const planes = options.planes ?? 256;
  const width = options.width ?? 2048;
  const height = options.height ?? 2048;
  const level = options.level ?? 1;
  const threads = options.threads ?? 2;
  const codec = options.codec ?? 'zstd';
  const preallocate = options.preallocate ?? true;
  if (!Number.isInteger(planes) || planes < 1) throw new Error(`The benchmark needs at least 1 plane, got ${planes}.`);
  const pool = framePool(width, height);
  const dir = await mkdtemp(path.join(options.dir ?? os.tmpdir(), 'flamingo-bench-write-'));
  try {
    const sessionPath = path.join(dir, 'bench.ome.zarr');
    const writer = await createNodeSessionWriter({
      path: sessionPath,
      threads,
      mode: 'streaming',
      preallocate,
      fsync: options.fsync ?? 'metadata',
      layout: {
        name: 'bench-write',
        shape: [1, planes, height, width],
        voxel_size_um: { z: 2, y: 0.5, x: 0.5 },
        world_origin_um: [0, 0, 0],
        compressor: benchCompressor(codec, level),
        channels: [{ name: 'camera', color: 'FFFFFF' }],
      },
      info: {
        app_version: '0.1.0',
        microscope: { name: 'bench', connection: 'none', address: null, orientation: null },
        plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: (planes * 2) / 1000, z_step_um: 2, planes_per_stack: planes, channels: [0], timepoints: 1, interval_s: null },
        frames_expected: planes,
      },
      place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
    });
    // The writer may substitute its own compressor: measure only what was asked for.
    const wanted = benchCompressor(codec, level);
    const zarray = JSON.parse(await readFile(path.join(sessionPath, '0', '.zarray'), 'utf8')) as { compressor?: unknown };
    if (JSON.stringify(zarray.compressor) !== JSON.stringify(wanted)) {
      await writer.abort('benchmark codec not supported');
      throw new Error(`The session writer wrote compressor ${JSON.stringify(zarray.compressor)} instead of ${JSON.stringify(wanted)}; it does not support --codec ${codec} yet.`);
    }
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let lastReport = 0;
    for (let k = 0; k < planes; k++) {
      if (options.signal?.aborted) break;
      const src = pool[k % POOL]!;
      const shift = (Math.floor(k / POOL) % POOL) * SHIFT_ROWS;
      const pixels = src.subarray(shift * width, (shift + height) * width);
      const frame = { pixels, width, height, meta: { zIndex: k, channelIndex: 0, frameNumber: k } } as unknown as Frame;
      await writer.write(frame);
      const now = performance.now();
      if (options.onProgress && now - lastReport > 100) {
        lastReport = now;
        options.onProgress(k + 1, planes);
      }
    }
    const summary = options.signal?.aborted ? await writer.abort('benchmark aborted') : await writer.finalize();
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    options.onProgress?.(planes, planes);

    // The same level-0 bytes, uncompressed, one file per plane.
    const rawDir = path.join(dir, 'raw');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(rawDir);
    const rawStart = performance.now();
    for (let k = 0; k < planes; k++) {
      const src = pool[k % POOL]!;
      await writeFile(path.join(rawDir, String(k)), src.subarray(0, width * height));
    }
    const rawSeconds = (performance.now() - rawStart) / 1000;
    const bytes = planes * width * height * 2;
    return {
      planes: summary.framesWritten,
      width,
      height,
      seconds,
      planes_per_s: summary.framesWritten / seconds,
      mb_per_s: (summary.framesWritten * width * height * 2) / 1e6 / seconds,
      levels: summary.levels,
      dropped: summary.framesDropped,
      zstd_level: level,
      codec,
      threads,
      preallocate,
      compression_ratio: summary.bytesWritten > 0 ? summary.rawBytesEncoded / summary.bytesWritten : 0,
      bytes_written: summary.bytesWritten,
      chunks_written: summary.chunksWritten,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      raw_mb_per_s: bytes / 1e6 / rawSeconds,
      raw_seconds: rawSeconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
