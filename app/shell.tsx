/**
 * The viewer shell: the panels and layers a plugin contributed (through `ContributionRegistry`),
 * a 2D/3D switch (tabs), the Viv viewer, the plane and 3D render controls, and the channel list.
 * It implements the `ViewerController` panels use to show content and to save and restore the
 * viewer state.
 *
 * @example
 * createRoot(el).render(<Shell backend={backend} registry={registry} />);
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { LiveBackend } from '../src/acquisition/live-backend.ts';
import type { HostChannel, HostContent, LayerContext } from '../src/plugin.ts';
import type { ViewerController, ViewerSnapshot } from '../src/panels/types.ts';
import type { TransformEntry, ViewerState } from '../src/session/metadata/types.ts';
import type { ContributionRegistry } from './host.ts';
import { ChannelList } from './channel-list.tsx';
import { Viewer } from './viewer.tsx';
import type { CameraRequest } from './viewer.tsx';
import type { ContentGeometry, StoredCamera } from './geometry.ts';
import { contentGeometry } from './geometry.ts';

type Render3d = ViewerState['render_3d'];

export interface ShellProps {
  backend: LiveBackend;
  registry: ContributionRegistry;
  /** A line under the title saying which backend runs (e.g. "bridge at 127.0.0.1:8600"). */
  backendLabel?: string;
}

/** Full-range limits a writer puts when it knows nothing better. */
function isDefaultContrast([lo, hi]: [number, number]): boolean {
  return lo === 0 && (hi === 65535 || hi === 255);
}

function channelsOf(content: HostContent): HostChannel[] {
  if (content.kind === 'session') {
    return content.session.channels.map((c, i) => ({
      index: i,
      name: c.name,
      color: c.color.replace(/^#/, '').toUpperCase(),
      contrast: [c.contrast[0], c.contrast[1]],
      visible: c.visible,
    }));
  }
  return content.image.channels.map((c) => ({
    index: c.index,
    name: c.name,
    color: c.color.replace(/^#/, '').toUpperCase(),
    contrast: [c.window.start, c.window.end],
    visible: c.visible,
  }));
}

export function Shell({ backend, registry, backendLabel }: ShellProps): ReactElement {
  const [content, setContent] = useState<HostContent | null>(null);
  const [channels, setChannels] = useState<HostChannel[]>([]);
  const [mode, setMode] = useState<'2d' | '3d'>('2d');
  const [z, setZ] = useState<number | null>(null);
  const [render3d, setRender3d] = useState<Render3d>('maximum-intensity');
  const [transforms, setTransforms] = useState<TransformEntry[]>([]);
  const [request, setRequest] = useState<CameraRequest>({ key: 0, mode: '2d', camera: null });
  const [chosen, setChosen] = useState<Record<'2d' | '3d', string | null>>({ '2d': null, '3d': null });
  const [layerErrors, setLayerErrors] = useState<string[]>([]);

  // The latest values, for the controller (called from panels outside React's render).
  const live = useRef({ content, channels, mode, z, render3d, transforms });
  Object.assign(live.current, { content, channels, mode, z, render3d, transforms });
  // Channels whose contrast was chosen (stored, restored or edited): layer suggestions leave them alone.
  const contrastChosen = useRef(new Set<number>());
  // The newest camera of each view, in the stored form (µm), as the viewer reports it.
  const cameraNow = useRef<Record<'2d' | '3d', StoredCamera | null>>({ '2d': null, '3d': null });

  const geometry: ContentGeometry | null = useMemo(() => (content === null ? null : contentGeometry(content)), [content]);

  const show = useCallback((next: HostContent): void => {
    const prev = live.current.content;
    const sameSession = prev?.kind === 'session' && next.kind === 'session' && prev.session.name === next.session.name;
    live.current.content = next;
    setContent(next);
    const nextChannels = channelsOf(next);
    if (sameSession) {
      // Keep the user's settings; add channels that appeared.
      setChannels((old) => [...old, ...nextChannels.slice(old.length)]);
      return;
    }
    live.current.channels = nextChannels;
    setChannels(nextChannels);
    contrastChosen.current = new Set(nextChannels.filter((c) => !isDefaultContrast(c.contrast)).map((c) => c.index));
    setLayerErrors([]);
    const g = contentGeometry(next);
    cameraNow.current = { '2d': null, '3d': null };
    setRequest((r) => ({ key: r.key + 1, mode: live.current.mode, camera: null }));
    const zNext = next.kind === 'session' && next.session.status === 'acquiring' ? null : Math.floor(g.depth / 2);
    live.current.z = zNext;
    setZ(zNext);
  }, []);

  const controller: ViewerController = useMemo(
    () => ({
      content: () => live.current.content,
      show,
      snapshot: (): ViewerSnapshot => {
        const s = live.current;
        const g = s.content === null ? null : contentGeometry(s.content);
        const zShown = s.z ?? 0;
        const cam = cameraNow.current[s.mode] ?? { target_um: { x: 0, y: 0, z: 0 }, zoom: 0, rotation_x_deg: 0, rotation_orbit_deg: 0 };
        // In 2D the camera's z is the plane shown.
        const viewState = s.mode === '2d' && g !== null ? { ...cam, target_um: { ...cam.target_um, z: zShown * g.voxelUm.z } } : cam;
        return {
          viewer: {
            mode: s.mode,
            view_state: viewState,
            selection: { z: zShown, t: 0 },
            render_3d: s.render3d,
            channel_settings: s.channels.map((c) => ({ index: c.index, opacity: 1, colormap: null })),
          },
          channels: s.channels.map((c) => ({ ...c, contrast: [c.contrast[0], c.contrast[1]] })),
          transforms: s.transforms,
        };
      },
      restore: (snap: Partial<ViewerSnapshot>): void => {
        const s = live.current;
        if (snap.channels !== undefined) {
          const byIndex = new Map(snap.channels.map((c) => [c.index, c]));
          const merged = s.channels.map((c) => {
            const r = byIndex.get(c.index);
            return r === undefined ? c : { ...c, color: r.color, contrast: [r.contrast[0], r.contrast[1]] as [number, number], visible: r.visible, name: r.name || c.name };
          });
          live.current.channels = merged;
          setChannels(merged);
          for (const c of snap.channels) contrastChosen.current.add(c.index);
        }
        if (snap.transforms !== undefined) setTransforms(snap.transforms);
        const v = snap.viewer;
        if (v !== undefined) {
          setMode(v.mode);
          setRender3d(v.render_3d);
          live.current.z = v.selection.z;
          setZ(v.selection.z);
          setRequest((r) => ({ key: r.key + 1, mode: v.mode, camera: v.view_state }));
        }
      },
    }),
    [show],
  );

  // Follow the backend's session updates (new data versions, the session that starts).
  useEffect(
    () =>
      backend.subscribe((e) => {
        if (e.type !== 'session') return;
        const shown = live.current.content;
        if (shown === null || (shown.kind === 'session' && shown.session.name === e.session.name)) show({ kind: 'session', session: e.session });
      }),
    [backend, show],
  );

  const context = useMemo<Pick<LayerContext, 'backend' | 'content' | 'channels' | 'z' | 'render3d'> | null>(
    () => (content === null ? null : { backend, content, channels, z, render3d }),
    [backend, content, channels, z, render3d],
  );
  const onCamera = useCallback((m: '2d' | '3d', cam: StoredCamera) => {
    cameraNow.current = { ...cameraNow.current, [m]: cam };
  }, []);
  const onContrast = useCallback((index: number, limits: [number, number]) => {
    if (contrastChosen.current.has(index)) return;
    setChannels((old) => old.map((c) => (c.index === index ? { ...c, contrast: [limits[0], limits[1]] } : c)));
  }, []);
  const onLayerError = useCallback((message: string) => setLayerErrors((l) => (l.includes(message) ? l : [...l, message].slice(-5))), []);
  const offered = useMemo(() => registry.layers(mode), [registry, mode]);
  const chosenId = chosen[mode] ?? offered[0]?.contribution.id ?? null;
  const layers = useMemo(() => offered.filter((l) => l.contribution.id === chosenId), [offered, chosenId]);
  const panels = useMemo(() => registry.panels(), [registry]);
  const depth = geometry?.depth ?? 1;

  return (
    <div className="fv-app">
      <header className="fv-header">
        <h1>flamingo-viv</h1>
        {backendLabel !== undefined && <p>{backendLabel}</p>}
      </header>
      <aside className="fv-panels" aria-label="Panels">
        {panels.map(({ contribution, component: Panel }) => (
          <Panel key={contribution.id} backend={backend} viewer={controller} />
        ))}
      </aside>
      <main className="fv-main">
        <div role="tablist" aria-label="View" className="fv-tabs">
          {(['2d', '3d'] as const).map((m) => (
            <button key={m} type="button" role="tab" id={`fv-tab-${m}`} aria-selected={mode === m} aria-controls="fv-view" onClick={() => setMode(m)}>
              {m.toUpperCase()}
            </button>
          ))}
        </div>
        <div id="fv-view" role="tabpanel" aria-labelledby={`fv-tab-${mode}`} className="fv-view">
          {context === null ? (
            <p className="fv-empty">Nothing to show yet: start an acquisition, open a session or load test data.</p>
          ) : (
            <Viewer mode={mode} layers={layers} context={context} request={request} onCamera={onCamera} onLayerError={onLayerError} onContrast={onContrast} />
          )}
        </div>
        <div className="fv-controls">
          {offered.length > 1 && (
            <div role="radiogroup" aria-label={`${mode.toUpperCase()} layer`}>
              {offered.map((l) => (
                <label key={l.contribution.id}>
                  <input type="radio" name={`fv-layer-${mode}`} checked={l.contribution.id === chosenId} onChange={() => setChosen((c) => ({ ...c, [mode]: l.contribution.id }))} />
                  {l.contribution.title}
                </label>
              ))}
            </div>
          )}
          {mode === '2d' ? (
            <>
              <label>
                <input type="checkbox" checked={z === null} onChange={(e) => setZ(e.target.checked ? null : Math.floor(depth / 2))} disabled={content?.kind !== 'session'} />
                Follow newest plane
              </label>
              <label>
                Plane
                <input type="range" min={0} max={Math.max(0, depth - 1)} value={z ?? 0} disabled={z === null} onChange={(e) => setZ(Number(e.target.value))} />
              </label>
              <output aria-label="Plane shown">{z === null ? 'newest' : `${z + 1} of ${depth}`}</output>
            </>
          ) : (
            <label>
              3D rendering
              <select value={render3d} onChange={(e) => setRender3d(e.target.value as Render3d)}>
                <option value="maximum-intensity">Maximum intensity</option>
                <option value="additive">Additive</option>
              </select>
            </label>
          )}
          {transforms.length > 0 && <p>{`${transforms.length} transform(s) stored with this session; the Transformed volume layer (3D) applies them.`}</p>}
        </div>
        {layerErrors.map((m) => (
          <p key={m} role="alert">
            {m}
          </p>
        ))}
        <ChannelList
          channels={channels}
          onChange={(i, patch) => {
            const target = channels[i];
            if (patch.contrast !== undefined && target !== undefined) contrastChosen.current.add(target.index);
            setChannels((old) => old.map((c, j) => (j === i ? { ...c, ...patch } : c)));
          }}
        />
      </main>
    </div>
  );
}
