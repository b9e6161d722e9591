/**
 * The exact config Vizarr's `addImage` takes for a session the bridge serves (Vizarr has no
 * plugin API; DESIGN): `source` is the session's OME-Zarr URL, `channel_axis` the `c` axis (0),
 * and per channel `colors` (`#RRGGBB`), `names`, `contrast_limits` (`[lo, hi]`) and
 * `visibilities`, all in channel order.
 *
 * @example
 * viewer.add_image(toVizarrConfig(session)); // { source: 'http://127.0.0.1:8600/sessions/a.ome.zarr/', channel_axis: 0, … }
 */
import type { LiveSessionInfo } from '../acquisition/live-backend.ts';
import { LayerError } from './live-image.ts';

export interface VizarrImageConfig {
  source: string;
  name: string;
  channel_axis: number;
  colors: string[];
  names: string[];
  contrast_limits: [number, number][];
  visibilities: boolean[];
  opacity: number;
}

function hexColor(color: string): string {
  const c = color.startsWith('#') ? color.slice(1) : color;
  return /^[0-9A-Fa-f]{6}$/.test(c) ? `#${c.toUpperCase()}` : '#FFFFFF';
}

/** Vizarr's `addImage` config for `session`; `source` overrides the session's store URL. */
export function toVizarrConfig(session: LiveSessionInfo, options: { source?: string; opacity?: number } = {}): VizarrImageConfig {
  const source = options.source ?? session.storeUrl;
  if (!source) {
    throw new LayerError('no-store-url', `Session '${session.name}' is not served over HTTP (its storeUrl is null), so Vizarr cannot open it; pass options.source.`);
  }
  return {
    source,
    name: session.name,
    channel_axis: 0,
    colors: session.channels.map((c) => hexColor(c.color)),
    names: session.channels.map((c) => c.name),
    contrast_limits: session.channels.map((c) => [c.contrast[0], c.contrast[1]]),
    visibilities: session.channels.map((c) => c.visible),
    opacity: options.opacity ?? 1,
  };
}
