/**
 * The plugin's entry module (`plugin.json` → `entry.module`): the public API plus what the
 * manifest contributes — the React panels and the live layer factories — so a host can
 * `activate(host, { exports })` with this module's exports. It loads React and Viv; code that
 * needs neither imports `./index.ts`.
 *
 * @example
 * import * as plugin from 'flamingo-viv/plugin';
 * plugin.activate(host, { exports: plugin });
 */
export * from './index.ts';
export * from './panels/index.ts';
export * from './layers/index.ts';
export * from './plugin-layers.ts';
export type { HostChannel, HostContent, LayerContext, LayerFactory } from './plugin.ts';
