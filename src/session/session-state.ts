/**
 * Stored sessions over any `SessionStore` (pure; the browser-only backend uses it over OPFS,
 * the bridge over `FsStore`): `sessionInfoFromStore` describes a
 * session folder as the viewer's `LiveSessionInfo`, `saveSessionStateToStore` writes a
 * description and `viewer` state (merged over the stored one) into its `flamingo`
 * metadata — validated, atomically, every other field kept.
 *
 * @example
 * const info = await sessionInfoFromStore(store, 'embryo');
 * await saveSessionStateToStore(store, 'embryo', { description: 'dorsal', viewer: { mode: '3d' } }, '0.1.0');
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

/** Writes `description` and `viewer` (merged over the stored one) into `.zattrs`; refuses anything invalid. */
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
  const stamp = now.toISOString();
  const next = {
    ...attrs,
    flamingo: {
      ...fl,
      ...(state.description !== undefined ? { description: state.description } : {}),
      ...(state.viewer !== undefined ? { viewer: { ...(isRecord(fl['viewer']) ? fl['viewer'] : {}), ...(state.viewer as Record<string, unknown>) } } : {}),
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
