/**
 * Stored sessions as the viewer sees them (Node): `sessionInfoFromDisk` describes a session
 * folder as a `LiveSessionInfo` (levels, voxel size, channels, status), and
 * `saveSessionState` writes a viewer's description and `viewer` state into the session's
 * `flamingo` metadata — validated, atomically, keeping every other field as it was.
 *
 * @example
 * const info = await sessionInfoFromDisk('/data/sessions/embryo.ome.zarr');
 * await saveSessionState('/data/sessions/embryo.ome.zarr', { description: 'dorsal view', viewer: { mode: '3d' } });
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LiveSessionInfo } from '../acquisition/live-backend.ts';
import { displayLevelFor } from '../acquisition/volume/levels.ts';
import { validateSessionMetadata } from '../session/metadata/rules.ts';
import { openPath } from '../session/read/open-file.node.ts';
import { FsStore } from '../session/store/fs-store.ts';
import pkg from '../../package.json' with { type: 'json' };
import { BridgeError } from './errors.ts';

const STATUSES = new Set(['acquiring', 'interrupted', 'complete']);

/** A stored session (or a foreign `c, z, y, x` OME-Zarr image) as a `LiveSessionInfo` (no store URL). */
export async function sessionInfoFromDisk(dir: string): Promise<LiveSessionInfo> {
  const name = path.basename(dir).replace(/\.ome\.zarr$/, '');
  let image;
  try {
    image = await openPath(dir);
  } catch (err) {
    throw new BridgeError('failed', `Session '${name}' cannot be opened: ${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)}.`, { cause: err });
  }
  const axes = image.axes.map((a) => a.name).join(',');
  if (axes !== 'c,z,y,x') throw new BridgeError('failed', `Session '${name}' has axes ${axes}; the live viewer opens c, z, y, x images only.`);
  const levelShapes = image.levels.map((l) => [...l.shape]);
  const scale = image.levels[0]!.scale;
  const fl = image.flamingo;
  const status = fl && STATUSES.has(fl.status) ? (fl.status as LiveSessionInfo['status']) : 'external';
  return {
    name,
    storeUrl: null,
    status,
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Writes `description` and `viewer` (merged over the stored one) into `.zattrs`; refuses anything invalid. */
export async function saveSessionState(dir: string, state: { description?: unknown; viewer?: unknown }): Promise<void> {
  const name = path.basename(dir).replace(/\.ome\.zarr$/, '');
  if (state.description !== undefined && typeof state.description !== 'string') throw new BridgeError('bad-request', `The description of session '${name}' must be text.`);
  if (state.viewer !== undefined && !isRecord(state.viewer)) throw new BridgeError('bad-request', `The viewer state of session '${name}' must be an object.`);
  let attrs: unknown;
  try {
    attrs = JSON.parse(await readFile(path.join(dir, '.zattrs'), 'utf8'));
  } catch (err) {
    throw new BridgeError('failed', `Session '${name}' has no readable .zattrs: ${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)}.`, { cause: err });
  }
  if (!isRecord(attrs) || !isRecord(attrs['flamingo'])) throw new BridgeError('failed', `'${name}' is not a flamingo-viv session; its viewer state cannot be saved into it.`);
  const fl = attrs['flamingo'];
  const now = new Date().toISOString();
  const next = {
    ...attrs,
    flamingo: {
      ...fl,
      ...(state.description !== undefined ? { description: state.description } : {}),
      ...(state.viewer !== undefined ? { viewer: { ...(isRecord(fl['viewer']) ? fl['viewer'] : {}), ...state.viewer } } : {}),
      updated: now,
      written_by: { ...(isRecord(fl['written_by']) ? fl['written_by'] : {}), app: 'flamingo-viv', app_version: pkg.version, written_at: now },
    },
  };
  const zarrays: unknown[] = [];
  const datasets = (attrs['multiscales'] as Array<{ datasets?: Array<{ path?: unknown }> }> | undefined)?.[0]?.datasets ?? [];
  for (const d of datasets) {
    const bytes = await readFile(path.join(dir, String(d.path), '.zarray'), 'utf8').catch(() => undefined);
    zarrays.push(bytes === undefined ? undefined : JSON.parse(bytes));
  }
  const check = validateSessionMetadata({ zattrs: next, zarrays });
  if (!check.valid) throw new BridgeError('bad-request', `The new state of session '${name}' is not valid: ${check.errors[0]}`);
  await new FsStore(dir).set('.zattrs', new TextEncoder().encode(JSON.stringify(next, null, 2)));
}
