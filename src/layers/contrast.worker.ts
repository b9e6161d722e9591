/**
 * The contrast worker (browser, module worker): exposes `contrastApi` over comlink. Started by
 * `ContrastClient.inWorker()`.
 *
 * @example
 * new Worker(new URL('./contrast.worker.ts', import.meta.url), { type: 'module' });
 */
import { expose } from 'comlink';
import { contrastApi } from './contrast-api.ts';

// Only inside a worker: importing this module elsewhere (a module loader, a test) does nothing.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') expose(contrastApi);
