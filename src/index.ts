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
export { StoreError, type ReadableSessionStore, type SessionStore } from './session/store/types.ts';
export { SessionWriter, WriterError } from './session/writer/writer.ts';
export type { SessionWriterOptions, WriterEvent, WriterSummary } from './session/writer/writer.ts';
