/**
 * The record the session panel hands `LiveBackend.saveSession` as `viewer`, and the way back
 * when a session is opened. The record holds the `flamingo.viewer` fields (spec §4.5: mode,
 * camera, selection, 3D render mode, per-channel settings) plus `channels`
 * (`[{ index, name, color: 'RRGGBB', contrast: [lo, hi], visible }]`) and `transforms`
 * (`[{ op, params }]`); the backends' `saveSessionStateToStore` stores each part where the
 * session format puts it: `flamingo.channels` and `omero.channels`, `flamingo.transforms`,
 * `flamingo.viewer`. Reading back takes them from those places, `omero` winning for a channel's
 * name, colour, contrast and visibility (§4.8).
 *
 * @example
 * await backend.saveSession(name, { description, viewer: toViewerRecord(viewer.snapshot()) });
 * viewer.restore(fromSessionAttrs(zattrs));
 */
import type { TransformEntry, ViewerState } from '../session/metadata/types.ts';
import type { ImageDescription } from '../session/read/description.ts';
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

/**
 * What a stored `flamingo` key (or `{ viewer: record }` with a record as built above) brings
 * back; unknown shapes are skipped. Channels and transforms come from their own keys
 * (`flamingo.channels`, `flamingo.transforms`); copies inside `viewer` (a record not yet
 * stored, or sessions saved by earlier versions) are used only where those keys are absent.
 */
export function fromFlamingoAttrs(flamingo: unknown): Partial<ViewerSnapshot> {
  if (!isObject(flamingo)) return {};
  const out: Partial<ViewerSnapshot> = {};
  const viewer = viewerState(flamingo.viewer);
  if (viewer !== undefined) out.viewer = viewer;
  const saved = isObject(flamingo.viewer) ? flamingo.viewer : {};
  const ch = channels(flamingo.channels) ?? channels(saved.channels);
  if (ch !== undefined) out.channels = ch;
  const tr = transforms(flamingo.transforms) ?? transforms(saved.transforms);
  if (tr !== undefined) out.transforms = tr;
  return out;
}

/**
 * What a session's whole `.zattrs` brings back: `fromFlamingoAttrs` of its `flamingo` key, with
 * each channel's name, colour, contrast and visibility taken from `omero.channels` (label,
 * color, window start/end, active) where that block has them, as §4.8 asks of readers.
 */
export function fromSessionAttrs(zattrs: unknown): Partial<ViewerSnapshot> {
  if (!isObject(zattrs)) return {};
  const out = fromFlamingoAttrs(zattrs.flamingo);
  const omero = isObject(zattrs.omero) && Array.isArray(zattrs.omero.channels) ? zattrs.omero.channels : null;
  if (omero === null) return out;
  const base = out.channels ?? omero.map((_, i) => ({ index: i, name: `Channel ${i}`, color: 'FFFFFF', contrast: [0, 65535] as [number, number], visible: true }));
  out.channels = base.map((c) => {
    const o: unknown = omero[c.index];
    if (!isObject(o)) return c;
    const w = isObject(o.window) ? o.window : {};
    return {
      ...c,
      name: typeof o.label === 'string' && o.label !== '' ? o.label : c.name,
      color: typeof o.color === 'string' ? o.color.replace(/^#/, '').toUpperCase() : c.color,
      contrast: isNumber(w.start) && isNumber(w.end) ? [w.start, w.end] : c.contrast,
      visible: typeof o.active === 'boolean' ? o.active : c.visible,
    };
  });
  return out;
}

/**
 * What an image opened by URL, folder or file restores: `fromFlamingoAttrs` of its `flamingo`
 * key, with each channel's name, colour, contrast and visibility as the reader resolved them
 * (from `omero`, §4.8). Nothing for an image without a `flamingo` key.
 */
export function fromImageDescription(image: Pick<ImageDescription, 'flamingo' | 'channels'>): Partial<ViewerSnapshot> {
  const out = fromFlamingoAttrs(image.flamingo);
  if (out.channels === undefined) return out;
  const byIndex = new Map(image.channels.map((c) => [c.index, c]));
  out.channels = out.channels.map((c) => {
    const o = byIndex.get(c.index);
    return o === undefined ? c : { ...c, name: o.name, color: o.color, contrast: [o.window.start, o.window.end], visible: o.visible };
  });
  return out;
}

/**
 * What a backend's session restores: the `viewer` the backend carries in its info when it does,
 * else the session's `.zattrs` (`fromSessionAttrs`), read from its store (HTTP when served, the
 * browser's private storage in browser-only mode). Nothing when neither is there.
 */
export async function storedViewerOf(backend: LiveBackend, info: LiveSessionInfo): Promise<Partial<ViewerSnapshot>> {
  const carried = (info as { viewer?: unknown }).viewer;
  if (carried !== undefined) return fromFlamingoAttrs({ viewer: carried });
  const store = await sessionStoreFor(backend, info);
  const bytes = await store?.get('.zattrs');
  if (bytes === undefined) return {};
  const attrs: unknown = JSON.parse(new TextDecoder().decode(bytes));
  return fromSessionAttrs(attrs);
}
