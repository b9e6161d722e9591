/**
 * `TransformManager` owns a transform pool and decides what it computes: results are cached
 * (bounded in bytes, keyed by source, data version and operations), identical requests share
 * one computation, the queue runs the highest priority first (what is on screen), a request
 * can be cancelled (the pool stops within one z-slab once nobody waits for the result), and
 * every step is reported as an event for progress bars and cache statistics.
 *
 * @example
 * const manager = new TransformManager({ pool: createNodeTransformPool(2), cacheBytes: 512 * 2 ** 20 });
 * const smoothed = await manager.run({ sourceId: 'session/0/c0', version: 7, input: volume,
 *   ops: { op: 'gaussian', sigma: [1, 2, 2] }, priority: 10, signal });
 * manager.stats(); // { cache: { hits, misses, bytes, … }, queued, running, shared }
 */
import type { TransformPool } from '../pool/types.ts';
import { TransformError, type TransformOp, type Volume, type VoxelArray } from '../types.ts';
import { ResultCache, keyText, type CacheKey, type CacheStats } from './result-cache.ts';

export interface TransformRequest<T extends VoxelArray = VoxelArray> {
  /** Identifies the data (a session channel, a loaded file); with `version` it keys the cache. */
  sourceId: string;
  /** The source's data version; a result is never served for another version. */
  version: number;
  /** The volume, or a function that loads it when the job starts (not called on a cache hit). */
  input: Volume<T> | (() => Promise<Volume<T>>);
  ops: TransformOp | readonly TransformOp[];
  /** Higher runs first (default 0); equal priorities run in request order. */
  priority?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export type ManagerEvent =
  | { type: 'hit' | 'queued' | 'shared' | 'started' | 'done' | 'cancelled'; key: string; sourceId: string }
  | { type: 'progress'; key: string; sourceId: string; done: number; total: number }
  | { type: 'failed'; key: string; sourceId: string; message: string };

export interface ManagerStats {
  cache: CacheStats;
  queued: number;
  running: number;
  /** Requests that joined a computation already queued or running. */
  shared: number;
}

export interface TransformManagerOptions {
  pool: TransformPool;
  /** Result cache capacity in bytes (default 512 MiB; 0 disables caching). */
  cacheBytes?: number;
  /** Jobs run at once (default 1: each job already uses every worker of the pool). */
  concurrency?: number;
}

interface Waiter {
  resolve: (v: Volume) => void;
  reject: (e: unknown) => void;
  onProgress?: (done: number, total: number) => void;
  detach: () => void;
}

interface Job {
  text: string;
  key: CacheKey;
  input: Volume | (() => Promise<Volume>);
  ops: readonly TransformOp[];
  priority: number;
  seq: number;
  state: 'queued' | 'running';
  waiters: Set<Waiter>;
  controller: AbortController;
}

const DEFAULTS: Record<string, Record<string, unknown>> = {
  gaussian: { truncate: 4 },
  affine: { cval: 0, parity: 'scipy-1.17' },
  rotate: { cval: 0, parity: 'scipy-1.17' },
  shift: { cval: 0 },
};

/** Canonical text of an operation list: defaults filled in, keys sorted, so equal work has equal text. */
export function opsKey(ops: readonly TransformOp[]): string {
  const canon = ops.map((op) => {
    const full: Record<string, unknown> = { ...DEFAULTS[op.op], ...op };
    for (const k of Object.keys(full)) if (full[k] === undefined) full[k] = DEFAULTS[op.op]?.[k];
    return Object.fromEntries(Object.keys(full).sort().map((k) => [k, full[k]]));
  });
  return JSON.stringify(canon);
}

const cancelled = (why: string): TransformError => new TransformError('cancelled', why);

export class TransformManager {
  private readonly pool: TransformPool;
  private readonly cache: ResultCache;
  private readonly concurrency: number;
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(e: ManagerEvent) => void>();
  private running = 0;
  private seq = 0;
  private shared = 0;
  private closed = false;

  constructor(options: TransformManagerOptions) {
    this.pool = options.pool;
    this.cache = new ResultCache(options.cacheBytes ?? 512 * 2 ** 20);
    const c = options.concurrency ?? 1;
    if (!Number.isInteger(c) || c < 1) throw new RangeError(`Concurrency ${String(c)} is not a positive integer.`);
    this.concurrency = c;
  }

  /** The result of `ops` on the source's data at `version`: from the cache, a shared job, or a new one. */
  run<T extends VoxelArray>(request: TransformRequest<T>): Promise<Volume<T>> {
    if (this.closed) return Promise.reject(new TransformError('closed', 'The transform manager is closed.'));
    const ops = Array.isArray(request.ops) ? (request.ops as readonly TransformOp[]) : [request.ops as TransformOp];
    if (ops.length === 0) return Promise.reject(new TransformError('bad-parameter', 'A transform request needs at least one operation.'));
    if (!Number.isFinite(request.version)) {
      return Promise.reject(new TransformError('bad-parameter', `Data version ${String(request.version)} of '${request.sourceId}' is not a number.`));
    }
    if (request.signal?.aborted) return Promise.reject(cancelled(`The transform of '${request.sourceId}' was cancelled before it started.`));
    const key: CacheKey = { sourceId: request.sourceId, version: request.version, ops: opsKey(ops) };
    const text = keyText(key);
    if (this.cache.isStale(key.sourceId, key.version)) {
      return Promise.reject(cancelled(`Data version ${key.version} of '${key.sourceId}' is out of date.`));
    }
    // Supersede work on older versions of this source before looking anything up.
    this.noteVersion(key.sourceId, key.version);
    const hit = this.cache.get(key);
    if (hit) {
      this.emit({ type: 'hit', key: text, sourceId: key.sourceId });
      return Promise.resolve(hit as Volume<T>);
    }
    let job = this.jobs.get(text);
    const priority = request.priority ?? 0;
    if (job) {
      this.shared++;
      if (job.state === 'queued' && priority > job.priority) job.priority = priority;
      this.emit({ type: 'shared', key: text, sourceId: key.sourceId });
    } else {
      job = {
        text,
        key,
        input: request.input,
        ops,
        priority,
        seq: this.seq++,
        state: 'queued',
        waiters: new Set(),
        controller: new AbortController(),
      };
      this.jobs.set(text, job);
      this.emit({ type: 'queued', key: text, sourceId: key.sourceId });
    }
    const promise = this.attach(job, request);
    this.pump();
    return promise as Promise<Volume<T>>;
  }

  /** Raises or lowers the priority of the queued jobs of a source (e.g. it scrolled off screen). */
  setPriority(sourceId: string, priority: number): void {
    for (const job of this.jobs.values()) if (job.state === 'queued' && job.key.sourceId === sourceId) job.priority = priority;
  }

  /**
   * Records a new data version for a source: cached results of other versions are dropped and
   * queued or running jobs for older versions are cancelled.
   */
  noteVersion(sourceId: string, version: number): void {
    this.cache.noteVersion(sourceId, version);
    for (const job of [...this.jobs.values()]) {
      if (job.key.sourceId === sourceId && job.key.version < version) {
        this.cancelJob(job, cancelled(`Data of '${sourceId}' changed (version ${job.key.version} → ${version}); the transform was dropped.`));
      }
    }
  }

  /** Subscribes to manager events; returns the unsubscribe function. */
  on(listener: (event: ManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): ManagerStats {
    let queued = 0;
    for (const j of this.jobs.values()) if (j.state === 'queued') queued++;
    return { cache: this.cache.stats(), queued, running: this.running, shared: this.shared };
  }

  clearCache(): void {
    this.cache.clear();
  }

  /** Cancels everything and closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.cancelJob(job, new TransformError('closed', 'The transform manager was closed.'));
    await this.pool.close();
  }

  private attach(job: Job, request: TransformRequest): Promise<Volume> {
    return new Promise<Volume>((resolve, reject) => {
      const signal = request.signal;
      const onAbort = (): void => {
        job.waiters.delete(waiter);
        reject(cancelled(`The transform of '${job.key.sourceId}' was cancelled.`));
        if (job.waiters.size === 0) this.cancelJob(job, null);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        onProgress: request.onProgress,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      job.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Removes a job; rejects its remaining waiters with `error` (none when the last waiter left). */
  private cancelJob(job: Job, error: TransformError | null): void {
    if (this.jobs.get(job.text) !== job) return;
    this.jobs.delete(job.text);
    job.controller.abort();
    for (const w of job.waiters) {
      w.detach();
      if (error) w.reject(error);
    }
    job.waiters.clear();
    this.emit({ type: 'cancelled', key: job.text, sourceId: job.key.sourceId });
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      let next: Job | null = null;
      for (const j of this.jobs.values()) {
        if (j.state !== 'queued') continue;
        if (!next || j.priority > next.priority || (j.priority === next.priority && j.seq < next.seq)) next = j;
      }
      if (!next) return;
      void this.execute(next);
    }
  }

  private async execute(job: Job): Promise<void> {
    job.state = 'running';
    this.running++;
    this.emit({ type: 'started', key: job.text, sourceId: job.key.sourceId });
    try {
      const input = typeof job.input === 'function' ? await job.input() : job.input;
      if (job.controller.signal.aborted) return;
      const result = await this.pool.run(input, job.ops, {
        signal: job.controller.signal,
        onProgress: (done, total) => {
          for (const w of job.waiters) w.onProgress?.(done, total);
          this.emit({ type: 'progress', key: job.text, sourceId: job.key.sourceId, done, total });
        },
      });
      if (this.jobs.get(job.text) !== job) return; // cancelled while finishing
      this.jobs.delete(job.text);
      this.cache.set(job.key, result);
      for (const w of job.waiters) {
        w.detach();
        w.resolve(result);
      }
      this.emit({ type: 'done', key: job.text, sourceId: job.key.sourceId });
    } catch (err) {
      if (this.jobs.get(job.text) !== job) return; // already cancelled and reported
      this.jobs.delete(job.text);
      const message = err instanceof Error ? err.message : String(err);
      for (const w of job.waiters) {
        w.detach();
        w.reject(err);
      }
      this.emit({ type: 'failed', key: job.text, sourceId: job.key.sourceId, message });
    } finally {
      this.running--;
      if (!this.closed) this.pump();
    }
  }

  private emit(event: ManagerEvent): void {
    for (const l of this.listeners) l(event);
  }
}
