/**
 * flamingo-viv's Node-only API (re-exports only): the TCP connector for a real
 * microscope, the simulator server, and the ingest benchmark.
 */
export * from './index.ts';
export { FlamingoConnector, probeMicroscope, ConnectorError, isConnectorError } from './acquisition/flamingo/index.ts';
export type { FlamingoConnectorOptions, ProbeOptions, ProbeResult, ConnectorErrorCode } from './acquisition/flamingo/index.ts';
export { startSimulator } from './acquisition/simulator/server.ts';
export type { RunningSimulator, SimulatorOptions, SimulatorStats } from './acquisition/simulator/server.ts';
export { QUIRK_FLAGS, profileQuirks, type QuirkSwitches } from './acquisition/simulator/quirks.ts';
export { runIngestBenchmark, type IngestOptions, type IngestResult } from './bench/ingest.ts';
export { FsStore } from './session/store/fs-store.ts';
export { createNodeSessionWriter, uniqueSessionPath } from './session/writer/index.node.ts';
export { openPath } from './session/read/open-file.node.ts';
export { runAcquisition, type AcquisitionJobOptions, type AcquisitionJobResult } from './session/acquire.node.ts';
export { importLegacySession, ImportError, type ImportLegacyOptions, type ImportLegacyResult } from './session/import-legacy.node.ts';
export { runWriteBenchmark } from './bench/write.ts';
export { startBridge } from './bridge/index.ts';
export { startSessionAcquisition } from './session/acquire.node.ts';
export { createNodeTransformPool, NodeTransformPool } from './transforms/pool/node-pool.node.ts';
export { transformFile, type TransformFileOptions, type TransformFileResult } from './transforms/io/transform-files.node.ts';
export { nodeEnvironment } from './bench/environment.node.ts';
export { ScipyReference } from './bench/scipy.node.ts';
