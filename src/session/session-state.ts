/**
 * Stored sessions over any `SessionStore` (pure; the browser-only backend uses it over OPFS,
 * the bridge over `FsStore`): `sessionInfoFromStore` describes a
 * session folder as the viewer's `LiveSessionInfo`, `saveSessionStateToStore` writes a
 * description and the viewer's state into the session's metadata — validated, atomically
 * (one `.zattrs` write), every other field kept.
 *
 * The viewer record (`LiveBackend.saveSession`'s `viewer`, as `panels/viewer-record.ts` builds
 * it) is split into the places the session format gives each part (spec §4):
 * - `channels` (`[{ index, name?, color?, contrast?, visible? }]`) → `flamingo.channels[index]`
 *   (name, colour, contrast, visibility; `laser_nm` and the rest kept) and the matching
 *   `omero.channels[index]` (label, colour, `window.start`/`end`, `active`), kept equal (§4.8);
 * - `transforms` (`[{ op, params }]`) → `flamingo.transforms`, replaced as a whole (ordered);
 * - everything else (mode, view_state, selection, render_3d, channel_settings) →
 *   `flamingo.viewer`, merged over the stored one.
 *
 * @example
 * const info = await sessionInfoFromStore(store, 'embryo');
 * await saveSessionStateToStore(store, 'embryo', {
 *   description: 'dorsal',
 *   viewer: { mode: '3d', channels: [{ index: 0, contrast: [100, 900] }], transforms: [{ op: 'gaussian', params: { sigma_voxels: [1, 1, 1], truncate: 4 } }] },
 * }, '0.1.0');
 */
import { TaggedError } from '../tagged-error.ts';
import { validateSessionMetadata } from './metadata/rules.ts';
import { openImage } from './read/open.ts';
import type { ReadableSessionStore, SessionStore } from './store/types.ts';
import type { LiveSessionInfo } from '../acquisition/live-backend.ts';
import { displayLevelFor } from '../acquisition/volume/levels.ts';

export type SessionStateErrorCode = 'not-found' | 'unsupported' | 'bad-state' | 'busy';

export class SessionStateError extends TaggedError<SessionStateErrorCode> {
  override readonly name = 'SessionStateError';
}

const STATUSES = new Set(['acquiring', 'interrupted', 'complete']);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');

/** A stored session (or a foreign `c, z, y, x` OME-Zarr image) as a `LiveSessionInfo` (no store URL, version 0). */
export async function sessionInfoFromStore(store: ReadableSessionStore, name: string): Promise<LiveSessionInfo> {
  let image;
  try {
    image = await openImage(store);
  } catch (err) {
    throw new SessionStateError('not-found', `Session '${name}' cannot be opened: ${reason(err)}.`, { cause: err });
  }
  const axes = image.axes.map((a) => a.name).join(',');
  if (axes !== 'c,z,y,x') throw new SessionStateError('unsupported', `Session '${name}' has axes ${axes}; the live viewer opens c, z, y, x images only.`);
  const levelShapes = image.levels.map((l) => [...l.shape]);
  const scale = image.levels[0]!.scale;
  const fl = image.flamingo;
  return {
    name,
    storeUrl: null,
    status: fl && STATUSES.has(fl.status) ? (fl.status as LiveSessionInfo['status']) : 'external',
    levelShapes,
    voxelSizeUm: { z: scale[1]!, y: scale[2]!, x: scale[3]! },
    channels: image.channels.map((c, i) => ({
      name: c.name,
      color: c.color,
      wavelengthNm: fl?.channels[i]?.laser_nm ?? null,
      contrast: [c.window.start, c.window.end],
      visible: c.visible,
    })),
    displayLevel: displayLevelFor(levelShapes),
    version: 0,
  };
}

type Json = Record<string, unknown>;

const COLOR = /^#?[0-9A-Fa-f]{6}$/;

/** `flamingo.channels` and `omero.channels` with the viewer's channel settings applied (§4.2, §3.8, §4.8). */
function applyChannels(name: string, fl: Json, omero: Json, given: unknown): { flamingo: Json[]; omero: Json[] } {
  const flc = Array.isArray(fl['channels']) ? fl['channels'].map((c) => (isRecord(c) ? { ...c } : {})) : [];
  const omc = Array.isArray(omero['channels']) ? omero['channels'].map((c) => (isRecord(c) ? { ...c } : {})) : [];
  // The omero block wins where the two disagree (§4.8): both are written consistently now.
  flc.forEach((f, i) => {
    const o = omc[i];
    if (o === undefined) return;
    if (typeof o['label'] === 'string') f['name'] = o['label'];
    if (typeof o['color'] === 'string') f['color'] = o['color'];
    if (typeof o['active'] === 'boolean') f['visible'] = o['active'];
    const w = o['window'];
    if (isRecord(w) && typeof w['start'] === 'number' && typeof w['end'] === 'number') f['contrast'] = [w['start'], w['end']];
  });
  if (given === undefined) return { flamingo: flc, omero: omc };
  if (!Array.isArray(given)) throw new SessionStateError('bad-state', `The channels of session '${name}' must be a list; got ${typeof given}.`);
  given.forEach((c, position) => {
    if (!isRecord(c)) throw new SessionStateError('bad-state', `Channel entry ${position} of session '${name}' must be an object.`);
    const index = c['index'] ?? position;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= flc.length || index >= omc.length) {
      throw new SessionStateError('bad-state', `Channel entry ${position} of session '${name}' has index ${String(index)}; the session has channels 0…${Math.min(flc.length, omc.length) - 1}.`);
    }
    const f = flc[index]!;
    const o = omc[index]!;
    if (c['name'] !== undefined) {
      if (typeof c['name'] !== 'string' || c['name'] === '') throw new SessionStateError('bad-state', `Channel ${index} of session '${name}' needs a non-empty name; got ${JSON.stringify(c['name'])}.`);
      f['name'] = c['name'];
      o['label'] = c['name'];
    }
    if (c['color'] !== undefined) {
      if (typeof c['color'] !== 'string' || !COLOR.test(c['color'])) throw new SessionStateError('bad-state', `Channel ${index} of session '${name}' has colour ${JSON.stringify(c['color'])}; expected six hexadecimal digits RRGGBB.`);
      const color = c['color'].replace(/^#/, '').toUpperCase();
      f['color'] = color;
      o['color'] = color;
    }
    if (c['contrast'] !== undefined) {
      const k = c['contrast'];
      if (!Array.isArray(k) || k.length !== 2 || !k.every((v) => typeof v === 'number' && Number.isFinite(v)) || !((k[0] as number) < (k[1] as number))) {
        throw new SessionStateError('bad-state', `Channel ${index} of session '${name}' has contrast ${JSON.stringify(k)}; expected [lo, hi] with lo < hi.`);
      }
      const [lo, hi] = k as [number, number];
      f['contrast'] = [lo, hi];
      o['window'] = { ...(isRecord(o['window']) ? o['window'] : {}), start: lo, end: hi };
    }
    if (c['visible'] !== undefined) {
      if (typeof c['visible'] !== 'boolean') throw new SessionStateError('bad-state', `Channel ${index} of session '${name}' has visibility ${JSON.stringify(c['visible'])}; expected true or false.`);
      f['visible'] = c['visible'];
      o['active'] = c['visible'];
    }
  });
  return { flamingo: flc, omero: omc };
}

/** `flamingo.transforms` from the viewer's list (§4.6): `{ op, params }` entries, in order. */
function transformsOf(name: string, given: unknown): Json[] {
  if (!Array.isArray(given)) throw new SessionStateError('bad-state', `The transforms of session '${name}' must be a list; got ${typeof given}.`);
  return given.map((t, i) => {
    if (!isRecord(t) || typeof t['op'] !== 'string' || t['op'] === '' || !isRecord(t['params'])) {
      throw new SessionStateError('bad-state', `Transform ${i} of session '${name}' must be { op: text, params: object }.`);
    }
    return { op: t['op'], params: t['params'] };
  });
}

/**
 * Writes `description` and the viewer record into `.zattrs` (channels into `flamingo.channels`
 * and `omero`, transforms into `flamingo.transforms`, the rest merged into `flamingo.viewer`);
 * refuses anything invalid and then leaves the file as it was.
 */
export async function saveSessionStateToStore(
  store: SessionStore,
  name: string,
  state: { description?: unknown; viewer?: unknown },
  appVersion: string,
  now: Date = new Date(),
): Promise<void> {
  if (state.description !== undefined && typeof state.description !== 'string') throw new SessionStateError('bad-state', `The description of session '${name}' must be text.`);
  if (state.viewer !== undefined && !isRecord(state.viewer)) throw new SessionStateError('bad-state', `The viewer state of session '${name}' must be an object.`);
  const bytes = await store.get('.zattrs');
  if (bytes === undefined) throw new SessionStateError('not-found', `Session '${name}' has no .zattrs in ${store.description}.`);
  let attrs: unknown;
  try {
    attrs = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new SessionStateError('not-found', `Session '${name}' has an unreadable .zattrs: ${reason(err)}.`, { cause: err });
  }
  if (!isRecord(attrs) || !isRecord(attrs['flamingo'])) throw new SessionStateError('unsupported', `'${name}' is not a flamingo-viv session; its viewer state cannot be saved into it.`);
  const fl = attrs['flamingo'];
  const omero = isRecord(attrs['omero']) ? attrs['omero'] : {};
  const { channels: givenChannels, transforms: givenTransforms, ...viewerFields } = (state.viewer ?? {}) as Json;
  const ch = applyChannels(name, fl, omero, givenChannels);
  // Channels and transforms have their own keys; an older save may have left copies in `viewer`.
  const { channels: _oldChannels, transforms: _oldTransforms, ...storedViewer } = isRecord(fl['viewer']) ? fl['viewer'] : {};
  const stamp = now.toISOString();
  const next = {
    ...attrs,
    ...(Array.isArray(omero['channels']) ? { omero: { ...omero, channels: ch.omero } } : {}),
    flamingo: {
      ...fl,
      ...(state.description !== undefined ? { description: state.description } : {}),
      ...(Array.isArray(fl['channels']) ? { channels: ch.flamingo } : {}),
      ...(givenTransforms !== undefined ? { transforms: transformsOf(name, givenTransforms) } : {}),
      ...(state.viewer !== undefined ? { viewer: { ...storedViewer, ...viewerFields } } : {}),
      updated: stamp,
      written_by: { ...(isRecord(fl['written_by']) ? fl['written_by'] : {}), app: 'flamingo-viv', app_version: appVersion, written_at: stamp },
    },
  };
  const zarrays: unknown[] = [];
  const datasets = (attrs['multiscales'] as Array<{ datasets?: Array<{ path?: unknown }> }> | undefined)?.[0]?.datasets ?? [];
  for (const d of datasets) {
    const z = await store.get(`${String(d.path)}/.zarray`);
    zarrays.push(z === undefined ? undefined : JSON.parse(new TextDecoder().decode(z)));
  }
  const check = validateSessionMetadata({ zattrs: next, zarrays });
  if (!check.valid) throw new SessionStateError('bad-state', `The new state of session '${name}' is not valid: ${check.errors[0]}`);
  await store.set('.zattrs', new TextEncoder().encode(JSON.stringify(next, null, 2)));
}
