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
