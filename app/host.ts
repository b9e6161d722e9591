/**
 * The shell's side of `activate(host)`: a registry of the layers and panels a plugin
 * contributes, resolved from its manifest. The shell renders whatever is registered and knows
 * nothing else about the plugin.
 *
 * @example
 * const registry = new ContributionRegistry();
 * const handle = exportsOf.activate(registry.host, { exports: exportsOf });
 * registry.panels(); // [{ contribution, component }]
 */
import type { ComponentType } from 'react';
import type { LayerContribution, LayerFactory, PanelContribution, PluginHost } from '../src/plugin.ts';
import type { PanelProps } from '../src/panels/types.ts';

export interface RegisteredLayer {
  contribution: LayerContribution;
  factory: LayerFactory;
}

export interface RegisteredPanel {
  contribution: PanelContribution;
  component: ComponentType<PanelProps>;
}

export class ContributionRegistry {
  private readonly layerList: RegisteredLayer[] = [];
  private readonly panelList: RegisteredPanel[] = [];

  readonly host: PluginHost = {
    registerLayer: (contribution, factory) => {
      if (typeof factory !== 'function') throw new Error(`Layer '${contribution.id}' names '${contribution.factory}', which is not a function.`);
      const entry: RegisteredLayer = { contribution, factory: factory as LayerFactory };
      this.layerList.push(entry);
      return () => this.remove(this.layerList, entry);
    },
    registerPanel: (contribution, component) => {
      if (typeof component !== 'function') throw new Error(`Panel '${contribution.id}' names '${contribution.component}', which is not a React component.`);
      const entry: RegisteredPanel = { contribution, component: component as ComponentType<PanelProps> };
      this.panelList.push(entry);
      return () => this.remove(this.panelList, entry);
    },
  };

  layers(view?: '2d' | '3d'): RegisteredLayer[] {
    return view === undefined ? [...this.layerList] : this.layerList.filter((l) => l.contribution.views.includes(view));
  }

  panels(): RegisteredPanel[] {
    return [...this.panelList];
  }

  private remove<T>(list: T[], entry: T): void {
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }
}
