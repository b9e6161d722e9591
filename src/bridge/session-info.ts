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
import path from 'node:path';
import type { LiveSessionInfo } from '../acquisition/live-backend.ts';
import { SessionStateError, saveSessionStateToStore, sessionInfoFromStore } from '../session/session-state.ts';
import { FsStore } from '../session/store/fs-store.ts';
import pkg from '../../package.json' with { type: 'json' };
import { BridgeError } from './errors.ts';

const nameOf = (dir: string): string => path.basename(dir).replace(/\.ome\.zarr$/, '');

/** The store helpers' errors as the bridge's: a bad state is a bad request, anything else a failure. */
function asBridgeError(err: unknown): never {
  if (err instanceof BridgeError) throw err;
  const message = err instanceof Error ? err.message : String(err);
  throw new BridgeError(err instanceof SessionStateError && err.code === 'bad-state' ? 'bad-request' : 'failed', message, { cause: err });
}

/** A stored session (or a foreign `c, z, y, x` OME-Zarr image) as a `LiveSessionInfo` (no store URL). */
export function sessionInfoFromDisk(dir: string): Promise<LiveSessionInfo> {
  return sessionInfoFromStore(new FsStore(dir), nameOf(dir)).catch(asBridgeError);
}

/** Writes `description` and `viewer` (merged over the stored one) into `.zattrs`; refuses anything invalid. */
export function saveSessionState(dir: string, state: { description?: unknown; viewer?: unknown }): Promise<void> {
  return saveSessionStateToStore(new FsStore(dir), nameOf(dir), state, pkg.version).catch(asBridgeError);
}
