/**
 * The plugin's entry for viewer hosts: `activate(host)` registers every layer and
 * panel that `plugin.json` contributes, resolving each by its export name, and returns
 * a handle that removes them again. Nothing happens at import time.
 *
 * @example
 * const handle = activate({ registerLayer: (c, f) => …, registerPanel: (c, p) => … });
 * handle.dispose();
 */
import manifestJson from '../plugin.json' with { type: 'json' };
import type { LiveBackend, LiveSessionInfo } from './acquisition/live-backend.ts';
import type { ImageDescription } from './session/read/description.ts';
import type { ReadableSessionStore } from './session/store/types.ts';

export interface LayerContribution {
  id: string;
  title: string;
  factory: string;
  views: Array<'2d' | '3d'>;
}

export interface PanelContribution {
  id: string;
  title: string;
  component: string;
}

export interface CommandContribution {
  id: string;
  title: string;
  cli: string;
}

export interface PluginManifest {
  id: string;
  name: string;
  version: string;
  engines: Record<string, string>;
  entry: { module: string; activate: string; cli: string };
  contributes: { layers: LayerContribution[]; panels: PanelContribution[]; commands: CommandContribution[] };
}

export const manifest = manifestJson as PluginManifest;

/** One channel as the host shows it (colour `RRGGBB`, contrast in data values). */
export interface HostChannel {
  index: number;
  name: string;
  color: string;
  contrast: [number, number];
  visible: boolean;
}

/** What the host shows: a session of the backend, or an image opened from a file, folder or URL. */
export type HostContent =
  | { kind: 'session'; session: LiveSessionInfo }
  | { kind: 'image'; image: ImageDescription; store: ReadableSessionStore | null };

/**
 * What a host passes a contributed layer factory (`contributes.layers[].factory`) each time it
 * renders a view the contribution names. The factory returns a deck.gl layer (or null for
 * nothing) whose id is `context.id`; the host draws it only in that view.
 *
 * World units: in the 2D view, level-0 pixels; in the 3D view, level-0 voxels scaled by their
 * size relative to the smallest axis (Viv's VolumeLayer convention). A 2D layer that carries a
 * Viv `loader` prop (a `PixelSource[]`) also feeds the host's overview.
 */
export interface LayerContext {
  /** Layer id, ending with `-#<viewId>#` as Viv's views route layers. */
  id: string;
  viewId: string;
  view: '2d' | '3d';
  backend: LiveBackend;
  content: HostContent;
  channels: readonly HostChannel[];
  /** Level-0 plane shown in 2D, or null to follow the newest plane of a live session. */
  z: number | null;
  render3d: 'maximum-intensity' | 'minimum-intensity' | 'additive';
  /**
   * Storage the host keeps while its viewer lives, shared by every layer of the plugin (what
   * factories hold between renders: an opened image, a throttle). When the viewer unmounts, every
   * value with a `dispose()` method is disposed and the map is cleared.
   */
  state: Map<string, unknown>;
  /** Asks the host to render again (call the factories again), e.g. after the data changed. */
  redraw(): void;
  /** Reports a failure the user should see (the host shows it beside the view). */
  reportError(message: string): void;
  /**
   * Suggests display limits for channel `index` (e.g. percentiles of the first data); the host
   * applies them only to a channel whose contrast nobody chose (not restored, not edited).
   */
  suggestContrast(index: number, limits: [number, number]): void;
}

/** A contributed layer factory as the host calls it. */
export type LayerFactory = (context: LayerContext) => unknown;

/** What a viewer offers the plugin. Each register call returns a function that undoes it. */
export interface PluginHost {
  registerLayer(contribution: LayerContribution, factory: unknown): () => void;
  registerPanel(contribution: PanelContribution, component: unknown): () => void;
}

export interface PluginHandle {
  readonly layers: readonly string[];
  readonly panels: readonly string[];
  dispose(): void;
}

/**
 * Registers the contributions of `source.manifest` (default: this plugin's) with the
 * host, resolving names in `source.exports`. A contribution whose export is missing is
 * an error naming it, and nothing stays registered.
 */
export function activate(
  host: PluginHost,
  source: { manifest?: PluginManifest; exports?: Record<string, unknown> } = {},
): PluginHandle {
  const m = source.manifest ?? manifest;
  const exports = source.exports ?? {};
  const undo: Array<() => void> = [];
  const resolve = (kind: string, id: string, name: string): unknown => {
    const value = exports[name];
    if (value === undefined) throw new Error(`Plugin ${m.id}: ${kind} '${id}' names export '${name}', which the module does not have.`);
    return value;
  };
  try {
    for (const layer of m.contributes.layers) undo.push(host.registerLayer(layer, resolve('layer', layer.id, layer.factory)));
    for (const panel of m.contributes.panels) undo.push(host.registerPanel(panel, resolve('panel', panel.id, panel.component)));
  } catch (err) {
    for (const u of undo.reverse()) u();
    throw err;
  }
  return {
    layers: m.contributes.layers.map((l) => l.id),
    panels: m.contributes.panels.map((p) => p.id),
    dispose: () => {
      for (const u of undo.splice(0).reverse()) u();
    },
  };
}
