/**
 * The shell's image area: Viv's `VivViewer` with a 2D pair (DetailView + OverviewView) or a 3D
 * `VolumeView` (VivViewer, not VolumeViewer, because VolumeViewer ignores `deckProps`). The
 * layers drawn are the ones the plugin contributes for the view, called with a `LayerContext`;
 * the shell builds none of its own. Cameras: fitted to the first layer's `loader` when new
 * content appears, or set from a stored camera (µm) when a session is restored; every change
 * is reported back in the stored form. One deck.gl canvas serves both modes (switching changes
 * the views, not the canvas). The region carries the current deck.gl camera as `data-camera`
 * (JSON: target, zoom, rotations), which tests use to map image pixels to the screen.
 *
 * @example
 * <Viewer mode="2d" layers={registry.layers('2d')} context={ctx} request={{ key: 1, mode: '2d', camera: null }} onCamera={…} onLayerError={…} />
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactElement, RefObject } from 'react';
import { ColorPaletteExtension, DetailView, OverviewView, VivViewer, VolumeView, getDefaultInitialViewState } from '@hms-dbmi/viv';
import type { LayerContext } from '../src/plugin.ts';
import type { RegisteredLayer } from './host.ts';
import type { DeckCamera, StoredCamera } from './geometry.ts';
import { DETAIL, OVERVIEW, VOLUME, fromStoredCamera, hexToRgb, toStoredCamera, unitUm } from './geometry.ts';

/** DetailView whose layers come from the contributions (handed to deck.gl beside the views). */
class HostDetailView extends DetailView {
  override getLayers(): never[][] {
    return [];
  }
}

/** VolumeView whose layers come from the contributions. */
class HostVolumeView extends VolumeView {
  override getLayers(): never[] {
    return [];
  }
}

/** A camera the shell asks for: `camera` null means "fit what is shown"; a new `key` applies it again. */
export interface CameraRequest {
  key: number;
  mode: '2d' | '3d';
  camera: StoredCamera | null;
}

export interface ViewerProps {
  mode: '2d' | '3d';
  layers: readonly RegisteredLayer[];
  /** What the shell knows; the viewer adds the id, view, shared state and redraw. */
  context: Pick<LayerContext, 'backend' | 'content' | 'channels' | 'z' | 'render3d'>;
  request: CameraRequest;
  onCamera: (mode: '2d' | '3d', camera: StoredCamera) => void;
  onLayerError: (message: string) => void;
  /** A layer's contrast suggestion for a channel (the shell decides whether to apply it). */
  onContrast: (index: number, limits: [number, number]) => void;
}

function useSize(): [RefObject<HTMLDivElement | null>, { width: number; height: number }] {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const update = (): void => setSize({ width: Math.floor(el.clientWidth), height: Math.floor(el.clientHeight) });
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, size];
}

/** A Viv `loader` prop carried by a layer, as an array of sources, if any. */
function loaderOf(layer: unknown): unknown[] | null {
  const loader = (layer as { props?: { loader?: unknown } } | null)?.props?.loader;
  if (Array.isArray(loader)) return loader.length > 0 ? loader : null;
  return loader !== undefined && loader !== null ? [loader] : null;
}

interface HeldCamera {
  key: number;
  cam: DeckCamera;
  unit: number;
  /** Fitted to the view, and untouched since: refitted when the view's size changes. */
  fitted: { width: number; height: number } | null;
}

export function Viewer(props: ViewerProps): ReactElement {
  const { mode, layers, context, request, onCamera, onLayerError, onContrast } = props;
  const [ref, size] = useSize();
  const use3d = mode === '3d';
  const viewId = use3d ? VOLUME : DETAIL;

  const state = useRef(new Map<string, unknown>());
  const [tick, setTick] = useState(0);
  const redraw = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const all = state.current;
    redraw(); // after a remount (StrictMode), factories open what they need again
    return () => {
      for (const v of all.values()) (v as { dispose?: () => void } | null)?.dispose?.();
      all.clear();
    };
  }, [redraw]);

  const built = useMemo(() => {
    void tick;
    const out: unknown[] = [];
    for (const l of layers) {
      try {
        const layer = l.factory({ ...context, id: `${l.contribution.id}-#${viewId}#`, viewId, view: mode, state: state.current, redraw, reportError: onLayerError, suggestContrast: onContrast });
        if (layer !== null && layer !== undefined) out.push(layer);
      } catch (err) {
        onLayerError(`Layer ${l.contribution.title} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return out;
  }, [layers, context, viewId, mode, onLayerError, onContrast, redraw, tick]);

  // Cameras per mode, in deck.gl units; refitted or restored when the request key changes.
  const cams = useRef<Record<'2d' | '3d', HeldCamera | null>>({ '2d': null, '3d': null });
  const loader = built.map(loaderOf).find((l) => l !== null) ?? null;
  const ready = size.width > 0 && size.height > 0;
  let report: StoredCamera | null = null;
  const held0 = cams.current[mode];
  const resized = held0?.fitted != null && (held0.fitted.width !== size.width || held0.fitted.height !== size.height);
  if (ready && loader !== null && (held0?.key !== request.key || resized)) {
    const unit = unitUm(loader[0], use3d);
    let cam: DeckCamera;
    let fitted: HeldCamera['fitted'] = null;
    if (request.camera !== null && request.mode === mode && !resized) cam = fromStoredCamera(request.camera, unit, use3d);
    else {
      const fit = getDefaultInitialViewState(loader, size, use3d ? 0.5 : 0.25, use3d) as { target: number[]; zoom: number };
      cam = { target: [fit.target[0] ?? 0, fit.target[1] ?? 0, use3d ? (fit.target[2] ?? 0) : 0], zoom: fit.zoom };
      if (use3d) Object.assign(cam, { rotationX: 0, rotationOrbit: 0 });
      fitted = { width: size.width, height: size.height };
    }
    cams.current[mode] = { key: request.key, cam, unit, fitted };
    report = toStoredCamera(cam, unit);
  }
  useEffect(() => {
    if (report !== null) onCamera(mode, report);
  });

  let content: ReactElement | null = null;
  if (ready) {
    const held = cams.current[mode];
    const cam: DeckCamera = held?.cam ?? { target: [0, 0, 0], zoom: 0 };
    const views: unknown[] = [];
    const layerProps: object[] = [];
    const viewStates: object[] = [];
    if (!use3d) {
      views.push(new HostDetailView({ id: DETAIL, height: size.height, width: size.width }));
      layerProps.push({});
      viewStates.push({ id: DETAIL, target: cam.target, zoom: cam.zoom });
      if (loader !== null && loader.length > 1 && size.width > 400 && size.height > 400) {
        views.push(new OverviewView({ id: OVERVIEW, loader, detailHeight: size.height, detailWidth: size.width }));
        const shown = context.channels;
        layerProps.push({
          loader,
          contrastLimits: shown.map((c) => c.contrast),
          colors: shown.map((c) => hexToRgb(c.color)),
          channelsVisible: shown.map((c) => c.visible),
          selections: shown.map((c) => ({ c: c.index, z: context.z ?? 0 })),
          extensions: [new ColorPaletteExtension()],
        });
        viewStates.push({ id: OVERVIEW, target: cam.target, zoom: cam.zoom });
      }
    } else {
      views.push(new HostVolumeView({ id: VOLUME, target: cam.target, useFixedAxis: true, height: size.height, width: size.width }));
      layerProps.push({});
      viewStates.push({ id: VOLUME, ...cam });
    }
    content = (
      <VivViewer
        views={views}
        layerProps={layerProps}
        viewStates={viewStates}
        deckProps={{ layers: built, style: { position: 'absolute' } }}
        onViewStateChange={(args: { viewId: string; viewState: object }) => {
          const vs = args.viewState as Record<string, unknown>;
          const held = cams.current[mode];
          const target = vs.target as number[] | undefined;
          if (held === null || args.viewId !== viewId || target === undefined || typeof vs.zoom !== 'number') return vs;
          const next: DeckCamera = { target: [target[0] ?? 0, target[1] ?? 0, target[2] ?? 0], zoom: vs.zoom };
          if (use3d) Object.assign(next, { rotationX: Number(vs.rotationX ?? 0), rotationOrbit: Number(vs.rotationOrbit ?? 0) });
          held.cam = next;
          held.fitted = null;
          ref.current?.setAttribute('data-camera', JSON.stringify(next));
          onCamera(mode, toStoredCamera(next, held.unit));
          return vs;
        }}
      />
    );
  }
  return (
    <div
      ref={ref}
      className="fv-canvas"
      role="region"
      aria-label={use3d ? '3D view' : '2D view'}
      data-layers={built.length}
      data-camera={JSON.stringify(cams.current[mode]?.cam ?? null)}
    >
      {content}
    </div>
  );
}
