/**
 * The record the session panel hands `LiveBackend.saveSession` as `viewer`, and the way back
 * when a session is opened. The record holds the `flamingo.viewer` fields (spec §4.5: mode,
 * camera, selection, 3D render mode, per-channel settings) plus `channels` (colour, contrast,
 * visibility: `flamingo.channels` and `omero`) and `transforms` (`flamingo.transforms`), so a
 * backend stores each part where the session format puts it.
 *
 * @example
 * await backend.saveSession(name, { description, viewer: toViewerRecord(viewer.snapshot()) });
 * viewer.restore(fromFlamingoAttrs(zattrs.flamingo));
 */
import type { TransformEntry, ViewerState } from '../session/metadata/types.ts';
import type { ViewerChannel, ViewerSnapshot } from './types.ts';
import type { LiveBackend, LiveSessionInfo } from '../acquisition/live-backend.ts';
import { sessionStoreFor } from './session-store.ts';

export function toViewerRecord(s: ViewerSnapshot): Record<string, unknown> {
  return { ...s.viewer, channels: s.channels.map((c) => ({ ...c, contrast: [...c.contrast] })), transforms: s.transforms };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function viewerState(v: unknown): ViewerState | undefined {
  if (!isObject(v) || (v.mode !== '2d' && v.mode !== '3d') || !isObject(v.view_state)) return undefined;
  const vs = v.view_state;
  const t = isObject(vs.target_um) ? vs.target_um : {};
  const sel = isObject(v.selection) ? v.selection : {};
  const render = v.render_3d === 'minimum-intensity' || v.render_3d === 'additive' ? v.render_3d : 'maximum-intensity';
  return {
    mode: v.mode,
    view_state: {
      target_um: { x: isNumber(t.x) ? t.x : 0, y: isNumber(t.y) ? t.y : 0, z: isNumber(t.z) ? t.z : 0 },
      zoom: isNumber(vs.zoom) ? vs.zoom : 0,
      rotation_x_deg: isNumber(vs.rotation_x_deg) ? vs.rotation_x_deg : 0,
      rotation_orbit_deg: isNumber(vs.rotation_orbit_deg) ? vs.rotation_orbit_deg : 0,
    },
    selection: { z: isNumber(sel.z) ? sel.z : 0, t: isNumber(sel.t) ? sel.t : 0 },
    render_3d: render,
    channel_settings: Array.isArray(v.channel_settings)
      ? v.channel_settings.filter(isObject).map((c, i) => ({
          index: isNumber(c.index) ? c.index : i,
          opacity: isNumber(c.opacity) ? c.opacity : 1,
          colormap: typeof c.colormap === 'string' ? c.colormap : null,
        }))
      : [],
  };
}

function channels(v: unknown): ViewerChannel[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ViewerChannel[] = [];
  v.forEach((c, i) => {
    if (!isObject(c) || !Array.isArray(c.contrast)) return;
    const [lo, hi] = c.contrast;
    if (!isNumber(lo) || !isNumber(hi)) return;
    out.push({
      index: isNumber(c.index) ? c.index : i,
      name: typeof c.name === 'string' ? c.name : `Channel ${i}`,
      color: typeof c.color === 'string' ? c.color.replace(/^#/, '').toUpperCase() : 'FFFFFF',
      contrast: [lo, hi],
      visible: c.visible !== false,
    });
  });
  return out;
}

function transforms(v: unknown): TransformEntry[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObject).filter((t) => typeof t.op === 'string').map((t) => ({ op: t.op as string, params: isObject(t.params) ? t.params : {} }));
}

/** What a stored `flamingo` key (or a `viewer` record as saved above) brings back; unknown shapes are skipped. */
export function fromFlamingoAttrs(flamingo: unknown): Partial<ViewerSnapshot> {
  if (!isObject(flamingo)) return {};
  const out: Partial<ViewerSnapshot> = {};
  const viewer = viewerState(flamingo.viewer);
  if (viewer !== undefined) out.viewer = viewer;
  // What this viewer saved last (inside `viewer`) wins over the session's own channel list.
  const saved = isObject(flamingo.viewer) ? flamingo.viewer : {};
  const ch = channels(saved.channels) ?? channels(flamingo.channels);
  if (ch !== undefined) out.channels = ch;
  const tr = transforms(saved.transforms) ?? transforms(flamingo.transforms);
  if (tr !== undefined) out.transforms = tr;
  return out;
}

/**
 * What a backend's session restores: the `viewer` the backend carries in its info when it does,
 * else the `flamingo` key of the session's `.zattrs`, read from its store (HTTP when served, the
 * browser's private storage in browser-only mode). Nothing when neither is there.
 */
export async function storedViewerOf(backend: LiveBackend, info: LiveSessionInfo): Promise<Partial<ViewerSnapshot>> {
  const carried = (info as { viewer?: unknown }).viewer;
  if (carried !== undefined) return fromFlamingoAttrs({ viewer: carried });
  const store = await sessionStoreFor(backend, info);
  const bytes = await store?.get('.zattrs');
  if (bytes === undefined) return {};
  const attrs: unknown = JSON.parse(new TextDecoder().decode(bytes));
  return isObject(attrs) ? fromFlamingoAttrs(attrs.flamingo) : {};
}
