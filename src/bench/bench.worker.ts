/**
 * The benchmark worker (browser, module worker): exposes `createBenchApi()` over comlink so the
 * suite runs off the page's thread. Started by `BenchClient.inWorker()` (src/panels/benchmark-client.ts).
 *
 * @example
 * new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
 */
import { expose } from 'comlink';
import { createBenchApi } from './bench-api.ts';

// Only inside a worker: importing this module elsewhere (a module loader, a test) does nothing.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') expose(createBenchApi());
