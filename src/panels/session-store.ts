/**
 * The read-only store of a backend's session, for reading what the backend wrote: its HTTP
 * folder when the bridge serves it (`storeUrl`), the backend's own `sessionStore(name)` where it
 * has one, the OPFS folder `/NAME.ome.zarr` of the browser-only backend, else null.
 *
 * @example
 * const store = await sessionStoreFor(backend, session);
 * const zattrs = await store?.get('.zattrs');
 */
import type { LiveBackend, LiveSessionInfo } from '../acquisition/live-backend.ts';
import { HttpStore } from '../session/store/http-store.ts';
import { OpfsStore } from '../session/store/opfs-store.ts';
import { readOnly } from '../session/store/read-only.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';

/** The session's store, or null when this page cannot read it. */
export async function sessionStoreFor(backend: LiveBackend, info: Pick<LiveSessionInfo, 'name' | 'storeUrl'>): Promise<ReadableSessionStore | null> {
  if (info.storeUrl !== null) return new HttpStore(info.storeUrl);
  const extras = backend as LiveBackend & { sessionStore?: (name: string) => Promise<ReadableSessionStore> };
  if (extras.sessionStore !== undefined) return extras.sessionStore(info.name);
  if (backend.kind === 'browser') return readOnly(await OpfsStore.open(`/${info.name}.ome.zarr`));
  return null;
}

