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
