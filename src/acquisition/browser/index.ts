/**
 * The browser-only mode (re-exports only): `BrowserBackend`, the `LiveBackend` that runs the
 * simulated microscope, the session writer (into OPFS) and the display producer in a module
 * worker, and the pieces it is made of.
 *
 * @example
 * import { BrowserBackend } from './acquisition/browser/index.ts';
 * const backend = new BrowserBackend();
 * await backend.connect();
 */
export { BrowserBackend, type BrowserBackendOptions } from './backend.ts';
export type { BackendWorkerInit } from './backend.worker.ts';
export { LivePipeline, PipelineError, type LivePipelineOptions, type PipelineErrorCode } from './pipeline.ts';
export { MemorySessionSpace, uniqueSessionName, type SessionSpace } from './session-space.ts';
export { OpfsSessionSpace } from './opfs-sessions.ts';
export { saveSessionStateToStore, sessionInfoFromStore, SessionStateError, type SessionStateErrorCode } from '../../session/session-state.ts';
export { LatestWins } from './throttle.ts';
