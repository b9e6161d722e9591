/**
 * A small pool of worker threads that encode slab regions (Node). Each worker loads the
 * TypeScript kernel through tsx's loader (registered inside the worker, since Node 20 does
 * not pass a parent's loader hooks to workers). Tasks go to the least busy worker; a worker
 * that fails rejects its tasks with the reason and is not reused.
 *
 * @example
 * const pool = await WorkerPoolEncoder.start({ threads: 2, compressor: { id: 'zstd', level: 1 } });
 * const result = await pool.run(task);
 * await pool.close();
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RegionResult, RegionTask } from './kernel.ts';
import type { SlabEncoder } from './encoder.ts';
import type { SessionCompressor } from '../metadata/types.ts';

interface Pending {
  resolve: (r: RegionResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  dead: Error | null;
  pending: Map<number, Pending>;
}

export interface WorkerPoolOptions {
  /** Worker threads (default: available cores, at most 4). */
  threads?: number;
  /** The session's `.zarray` compressor. */
  compressor: SessionCompressor;
}

function bootstrapCode(): string {
  const target = new URL('./encode-worker.node.ts', import.meta.url).href;
  let tsxApi: string | null = null;
  try {
    const req = createRequire(import.meta.url);
    tsxApi = pathToFileURL(req.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  } catch {
    tsxApi = null;
  }
  const register = tsxApi ? `const { register } = await import(${JSON.stringify(tsxApi)}); register();` : '';
  return `(async () => { ${register} await import(${JSON.stringify(target)}); })().catch((e) => { setImmediate(() => { throw e; }); });`;
}

export class WorkerPoolEncoder implements SlabEncoder {
  readonly needsSharedMemory = true;
  readonly concurrency: number;
  private nextId = 1;
  private closed = false;

  private constructor(private readonly slots: Slot[]) {
    this.concurrency = slots.length;
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPoolEncoder> {
    const threads = options.threads ?? Math.min(4, Math.max(1, availableParallelism()));
    const code = bootstrapCode();
    const slots = await Promise.all(
      Array.from({ length: threads }, async (): Promise<Slot> => {
        const worker = new Worker(code, { eval: true, workerData: { compressor: options.compressor } });
        const slot: Slot = { worker, busy: 0, dead: null, pending: new Map() };
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ready?: boolean }): void => {
            if (m.ready) {
              worker.off('error', onError);
              resolve();
            }
          };
          const onError = (e: Error): void => reject(new Error(`An encoder worker failed to start: ${e.message}`, { cause: e }));
          worker.once('message', onMessage);
          worker.once('error', onError);
        });
        worker.on('message', (m: { id: number; result?: RegionResult; error?: string }) => {
          const p = slot.pending.get(m.id);
          if (!p) return;
          slot.pending.delete(m.id);
          slot.busy--;
          if (m.error !== undefined) p.reject(new Error(`Encoding a slab region failed in a worker: ${m.error}`));
          else p.resolve(m.result!);
        });
        const fail = (e: Error): void => {
          slot.dead = e;
          for (const p of slot.pending.values()) p.reject(e);
          slot.pending.clear();
        };
        worker.on('error', (e) => fail(new Error(`An encoder worker crashed: ${e.message}`, { cause: e })));
        worker.on('exit', (code) => fail(new Error(`An encoder worker exited with code ${code}.`)));
        return slot;
      }),
    );
    return new WorkerPoolEncoder(slots);
  }

  run(task: RegionTask): Promise<RegionResult> {
    if (this.closed) return Promise.reject(new Error('The encoder pool is closed.'));
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0) return Promise.reject(this.slots[0]?.dead ?? new Error('No encoder worker is running.'));
    const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    return new Promise<RegionResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.busy++;
      slot.worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
