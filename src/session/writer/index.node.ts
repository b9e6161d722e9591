/**
 * The session writer for Node: a new session folder on disk (`FsStore.createNew`, never
 * overwriting), native zstd, and a worker-thread pool that encodes slabs off the ingest path.
 *
 * @example
 * const path = await uniqueSessionPath('/data', 'embryo 7');   // /data/embryo_7.ome.zarr
 * const writer = await createNodeSessionWriter({ path, layout, info, threads: 2 });
 * for await (const frame of run.frames) await writer.write(frame);
 * await writer.finalize();
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { createNodeCodec } from '../codec/index.node.ts';
import type { CodecImplementation } from '../codec/types.ts';
import { sessionFolderName } from '../metadata/layout.ts';
import { FsStore } from '../store/fs-store.ts';
import type { FsyncPolicy } from '../store/fs-store.ts';
import { InlineEncoder } from './encoder.ts';
import type { SlabEncoder } from './encoder.ts';
import { WorkerPoolEncoder } from './worker-pool.node.ts';
import { SessionWriter } from './writer.ts';
import type { SessionWriterOptions } from './writer.ts';

export interface NodeSessionWriterOptions extends Omit<SessionWriterOptions, 'store' | 'encoder' | 'codec'> {
  /** The session folder to create (it must not exist). */
  path: string;
  /** Encoder worker threads (default 2; 0 encodes on the calling thread). */
  threads?: number;
  fsync?: FsyncPolicy;
  /** `"wasm"` forces the WebAssembly codec (default: native when it loads). */
  codec?: CodecImplementation;
}

/** `<parent>/<safe-name>.ome.zarr`, or with `_<YYYYmmdd_HHMMSS>` (UTC) appended when that exists (§3.1). */
export async function uniqueSessionPath(parent: string, name: string, now: Date = new Date()): Promise<string> {
  const first = path.join(parent, sessionFolderName(name));
  const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
  if (!(await exists(first))) return first;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const base = sessionFolderName(name).replace(/\.ome\.zarr$/, '');
  return path.join(parent, `${base}_${stamp}.ome.zarr`);
}

export async function createNodeSessionWriter(options: NodeSessionWriterOptions): Promise<SessionWriter> {
  const codec = await createNodeCodec(options.layout.compressor ?? { id: 'zstd', level: 3 }, { prefer: options.codec });
  const compressor = codec.config;
  const threads = options.threads ?? 2;
  const encoder: SlabEncoder = threads > 0 && options.codec !== 'wasm' ? await WorkerPoolEncoder.start({ threads, compressor }) : new InlineEncoder(codec);
  try {
    // Staged, so the folder appears under its name only with its first metadata in it.
    const store = await FsStore.createStaged(options.path, { fsync: options.fsync });
    const writer = await SessionWriter.create({ ...options, layout: { ...options.layout, compressor }, store, encoder, codec });
    try {
      await store.publish();
    } catch (err) {
      await writer.abort(`the session folder could not be published: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    return writer;
  } catch (err) {
    await encoder.close();
    throw err;
  }
}
