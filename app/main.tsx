/**
 * The viewer shell's entry: picks the backend (the bridge when served by it, else the
 * browser-only pipeline), loads the plugin through `plugin.json` (`entry.activate` called with
 * the entry module's exports), and renders the shell with whatever the manifest contributed.
 *
 * @example
 * // http://127.0.0.1:8600/?token=…   → the bridge's microscope and sessions folder
 * // any static host, or ?backend=browser → simulator in a worker, sessions in OPFS
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import manifestJson from '../plugin.json' with { type: 'json' };
import * as pluginModule from '../src/plugin-entry.ts';
import type { LiveBackend } from '../src/acquisition/live-backend.ts';
import type { PluginHost, PluginManifest } from '../src/plugin.ts';
import { BridgeClient } from '../src/acquisition/remote/client.ts';
import { BrowserBackend } from '../src/acquisition/browser/backend.ts';
import { backendMode } from './backend-mode.ts';
import { ContributionRegistry } from './host.ts';
import { Shell } from './shell.tsx';
import './app.css';

type Activate = (host: PluginHost, source: { manifest?: PluginManifest; exports?: Record<string, unknown> }) => unknown;

async function startBackend(): Promise<{ backend: LiveBackend; label: string }> {
  const mode = await backendMode(window.location.href);
  if (mode.kind === 'bridge') {
    const backend = await BridgeClient.connect(mode.origin, mode.token);
    return { backend, label: mode.token === null ? `Bridge at ${mode.origin} (view only: open the URL with its token to control)` : `Bridge at ${mode.origin}` };
  }
  return { backend: new BrowserBackend(), label: 'In this browser (simulated microscope, sessions in private browser storage)' };
}

async function main(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    const manifest = manifestJson as PluginManifest;
    const exports = pluginModule as unknown as Record<string, unknown>;
    const activate = exports[manifest.entry.activate] as Activate | undefined;
    if (typeof activate !== 'function') throw new Error(`The plugin module has no '${manifest.entry.activate}' function to activate it with.`);
    const registry = new ContributionRegistry();
    activate(registry.host, { manifest, exports });
    const { backend, label } = await startBackend();
    root.render(
      <StrictMode>
        <Shell backend={backend} registry={registry} backendLabel={label} />
      </StrictMode>,
    );
  } catch (err) {
    root.render(<p role="alert">{`flamingo-viv could not start: ${err instanceof Error ? err.message : String(err)}`}</p>);
  }
}

void main();
