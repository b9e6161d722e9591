/**
 * What every story shares: a browser-only backend (simulated microscope in a worker, sessions
 * in OPFS) that lives as long as the story, and the viewer shell with a chosen subset of the
 * plugin's contributions, activated through `plugin.json` as the app does.
 *
 * @example
 * export const Panel = { render: () => <StoryShell panels={['flamingo.acquisition']} /> };
 */
import { useEffect, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import manifestJson from '../plugin.json' with { type: 'json' };
import * as pluginModule from '../src/plugin-entry.ts';
import { BrowserBackend } from '../src/acquisition/browser/backend.ts';
import type { AcquisitionRequest, LiveBackend } from '../src/acquisition/live-backend.ts';
import { activate } from '../src/plugin.ts';
import type { PluginManifest } from '../src/plugin.ts';
import { ContributionRegistry } from '../app/host.ts';
import { Shell } from '../app/shell.tsx';

/** A browser-only backend for the life of the component. */
export function useStoryBackend(): LiveBackend {
  const [backend] = useState(() => new BrowserBackend());
  useEffect(() => () => void backend.close(), [backend]);
  return backend;
}

export interface StoryShellProps {
  /** Contribution ids to mount (default: all of that kind). */
  panels?: string[];
  layers?: string[];
  /** Connect to the simulator and run this acquisition once mounted. */
  acquire?: AcquisitionRequest;
}

/** The shell with a subset of the manifest's contributions. */
export function StoryShell({ panels, layers, acquire }: StoryShellProps): ReactElement {
  const backend = useStoryBackend();
  const registry = useMemo(() => {
    const manifest = manifestJson as PluginManifest;
    const subset: PluginManifest = {
      ...manifest,
      contributes: {
        ...manifest.contributes,
        panels: manifest.contributes.panels.filter((p) => panels === undefined || panels.includes(p.id)),
        layers: manifest.contributes.layers.filter((l) => layers === undefined || layers.includes(l.id)),
      },
    };
    const r = new ContributionRegistry();
    activate(r.host, { manifest: subset, exports: pluginModule as unknown as Record<string, unknown> });
    return r;
  }, [panels, layers]);
  useEffect(() => {
    if (acquire === undefined) return;
    void backend.connect({ microscope: 'sim' }).then(() => backend.startAcquisition(acquire));
  }, [backend, acquire]);
  return (
    <div style={{ height: '100vh' }}>
      <Shell backend={backend} registry={registry} backendLabel="Storybook: simulated microscope in this browser" />
    </div>
  );
}

/** A short two-channel stack of the simulator's phantom. */
export const SHORT_STACK: AcquisitionRequest = { kind: 'zstack', zStartMm: 19, zEndMm: 19.1, stepUm: 2, lasers: [488, 640], name: 'story-stack' };
