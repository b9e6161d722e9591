/**
 * flamingo-viv's public API for browsers, workers and Node (re-exports only).
 * Node-only parts (the TCP connector, the simulator server) are in `./node.ts`.
 */
export * from './acquisition/protocol/index.ts';
export type * from './acquisition/connector.ts';
export { activate, manifest } from './plugin.ts';
export type {
  CommandContribution,
  LayerContribution,
  PanelContribution,
  PluginHandle,
  PluginHost,
  PluginManifest,
} from './plugin.ts';

// Sessions: open any supported image read-only, describe and validate session metadata, stores.
export { openImage } from './session/read/open.ts';
export { ReadError, isReadError } from './session/read/description.ts';
export type {
  ChannelDescription,
  ImageDescription,
  ImageSource,
  LevelDescription,
  OpenOptions,
  PixelBlock,
  ReadWarning,
  Region,
} from './session/read/description.ts';
export { sessionLayout } from './session/metadata/layout.ts';
export type { ChannelInit, SessionLayout, SessionLayoutInit } from './session/metadata/layout.ts';
export { parseZarray, parseZattrs } from './session/metadata/parse.ts';
export { validateSessionMetadata } from './session/metadata/rules.ts';
export { MetadataError, isMetadataError } from './session/metadata/errors.ts';
export { validateSession, type SessionValidationReport } from './session/validate.ts';
export { MemoryStore } from './session/store/memory-store.ts';
export { readOnly } from './session/store/read-only.ts';
export { HttpStore, type HttpStoreOptions } from './session/store/http-store.ts';
export { OpfsStore, opfsRoot, type OpfsStoreOptions } from './session/store/opfs-store.ts';
export { DirectoryStore, type DirectoryStoreOptions } from './session/store/directory-store.ts';
export type { HandleWriteMode } from './session/store/opfs-handles.ts';
export { StoreError, type ReadableSessionStore, type SessionStore } from './session/store/types.ts';
export { SessionWriter, WriterError } from './session/writer/writer.ts';
export type { SessionWriterOptions, WriterEvent, WriterSummary } from './session/writer/writer.ts';

// Live acquisition in viewers: the backend contract, the bridge client, the browser-only backend.
export type * from './acquisition/live-backend.ts';
export { ZERO_COUNTERS } from './acquisition/live-backend.ts';
export * from './acquisition/remote/index.ts';
export { BrowserBackend, type BrowserBackendOptions } from './acquisition/browser/index.ts';
export { SimulatedConnector } from './acquisition/simulator/connector.ts';
export { DisplayCache, DisplayProducer, DisplayError, isDisplayError, defaultPlaneLevel, displayLevelFor } from './acquisition/volume/display-cache.ts';
export type { DisplayCacheOptions, DisplayFrame, DisplayProducerOptions } from './acquisition/volume/display-cache.ts';
export { planFromRequest, sessionPlan, channelColor, AcquisitionLayoutError } from './session/acquisition-layout.ts';

// Transforms: kernels (one thread), the manager with its cache, display transforms.
export * from './transforms/index.ts';
export { TransformManager, opsKey } from './transforms/manager/transform-manager.ts';
export type { ManagerEvent, ManagerStats, TransformManagerOptions, TransformRequest } from './transforms/manager/transform-manager.ts';
export { ResultCache, type CacheStats } from './transforms/manager/result-cache.ts';
export { previewModelMatrix, type PreviewMatrix } from './transforms/display/model-matrix.ts';
export { entriesFromOps, opsFromEntries, type SessionTransformEntry } from './transforms/display/session-entries.ts';

// Benchmark: the reference suite, statistics, export and comparison (pure; the runner takes an executor).
export { TEST_NAMES, testPipeline, makeTestVolume } from './bench/suite.ts';
export { runSuite, type SuiteOptions, type SuiteRun, type SuiteProgress } from './bench/runner.ts';
export { inlineExecutor, poolExecutor } from './bench/executor.ts';
export { summarize, percentile, type SampleSummary } from './bench/statistics.ts';
export { toCsv, toJson, parseRunFile, BenchFileError } from './bench/export.ts';
export { compareRuns, type Comparison, type ComparedTest, type Verdict } from './bench/compare.ts';
export { describeEnvironment, type BenchmarkEnvironment } from './bench/environment.ts';
