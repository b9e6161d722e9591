/**
 * The Node transform pool: `worker_threads` running the kernels on SharedArrayBuffers, behind
 * the TransformPool interface (slab scheduling in scheduler.ts). Workers load the TypeScript
 * kernels through tsx's loader, registered inside each worker. Workers start at creation;
 * `ready()` resolves once all of them can take work (one-time setup, outside any timing).
 *
 * @example
 * const pool = createNodeTransformPool(2);
 * await pool.ready();
 * const out = await pool.run(vol, { op: 'rotate', axis: 'y', angleDeg: 15, order: 1 });
 * await pool.close();
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TransformError } from '../types.ts';
import type { TransformErrorCode } from '../types.ts';
import { SlabPool } from './scheduler.ts';
import type { SlabRunner } from './scheduler.ts';
import type { SlabTask } from './slab.ts';

function bootstrapCode(): string {
  const target = new URL('./worker.node.ts', import.meta.url).href;
  let register = '';
  try {
    const req = createRequire(import.meta.url);
    const api = pathToFileURL(req.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
    register = `const { register } = await import(${JSON.stringify(api)}); register();`;
  } catch {
    register = '';
  }
  return `(async () => { ${register} await import(${JSON.stringify(target)}); })().catch((e) => { setImmediate(() => { throw e; }); });`;
}

class NodeRunner implements SlabRunner {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead: Error | null = null;
  readonly started: Promise<void>;

  constructor(code: string) {
    this.worker = new Worker(code, { eval: true });
    this.started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }): void => {
        if (!m.ready) return;
        this.worker.off('message', onMessage);
        resolve();
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', (e) => reject(new TransformError('worker-failed', `A transform worker failed to start: ${e.message}`, { cause: e })));
    });
    this.started.catch(() => undefined);
    this.worker.on('message', (m: { id?: number; error?: string; code?: TransformErrorCode }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new TransformError(m.code ?? 'worker-failed', m.error));
      else p.resolve();
    });
    const fail = (e: Error): void => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(new TransformError('worker-failed', `A transform worker crashed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => fail(new TransformError('worker-failed', `A transform worker exited (code ${code}).`)));
  }

  async run(task: SlabTask): Promise<void> {
    await this.started;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, task });
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= new TransformError('closed', 'The transform pool was closed.');
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    await this.worker.terminate();
  }
}

/** A TransformPool of Node worker threads with `ready()` for the one-time start-up. */
export class NodeTransformPool extends SlabPool {
  constructor(private readonly nodeRunners: readonly NodeRunner[]) {
    super(nodeRunners);
  }

  /** Resolves when every worker has loaded the kernels. */
  async ready(): Promise<void> {
    await Promise.all(this.nodeRunners.map((r) => r.started));
  }
}

/** Starts `workers` worker threads (an integer ≥ 1). */
export function createNodeTransformPool(workers: number): NodeTransformPool {
  if (!Number.isInteger(workers) || workers < 1) throw new TransformError('bad-parameter', `Worker count is ${workers}; expected an integer ≥ 1.`);
  const code = bootstrapCode();
  return new NodeTransformPool(Array.from({ length: workers }, () => new NodeRunner(code)));
}
