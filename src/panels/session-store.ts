/**
 * The read-only store of a backend's session, for reading what the backend wrote: its HTTP
 * folder when the bridge serves it (`storeUrl`; listable through the bridge's
 * `GET <storeUrl>?list`, so it can be exported as a zip), the backend's own
 * `sessionStore(name)` where it has one, the OPFS folder `/NAME.ome.zarr` of the browser-only
 * backend, else null.
 *
 * @example
 * const store = await sessionStoreFor(backend, session);
 * const zattrs = await store?.get('.zattrs');
 * const keys = await store?.list();            // served sessions too
 */
import type { LiveBackend, LiveSessionInfo } from '../acquisition/live-backend.ts';
import { HttpStore } from '../session/store/http-store.ts';
import { OpfsStore } from '../session/store/opfs-store.ts';
import { readOnly } from '../session/store/read-only.ts';
import { StoreError } from '../session/store/types.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';

/**
 * The keys of a session the bridge serves at `storeUrl` (`GET <storeUrl>?list` answers
 * `{"keys": [...]}`); a StoreError naming the URL when the server cannot list it.
 */
export async function listServedSession(storeUrl: string, fetchFn: typeof globalThis.fetch = globalThis.fetch): Promise<string[]> {
  const url = new URL(storeUrl);
  url.search = '?list';
  url.hash = '';
  let res: Response;
  try {
    res = await fetchFn.call(globalThis, url.href, { method: 'GET' });
  } catch (err) {
    throw new StoreError('', `Listing ${url.href} failed: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
  const body: unknown = await res.json().catch(() => null);
  const keys = typeof body === 'object' && body !== null && 'keys' in body ? body.keys : null;
  if (!res.ok || !Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    await res.body?.cancel().catch(() => undefined);
    throw new StoreError('', `${url.href} answered ${res.status} without a key list; only the bridge lists the sessions it serves.`);
  }
  return keys as string[];
}

/** A served session's HTTP store that can also list its keys (through the bridge). */
export function servedSessionStore(storeUrl: string, fetchFn?: typeof globalThis.fetch): HttpStore {
  return new HttpStore(storeUrl, { ...(fetchFn ? { fetch: fetchFn } : {}), list: () => listServedSession(storeUrl, fetchFn) });
}

/** The session's store, or null when this page cannot read it. */
export async function sessionStoreFor(backend: LiveBackend, info: Pick<LiveSessionInfo, 'name' | 'storeUrl'>): Promise<ReadableSessionStore | null> {
  if (info.storeUrl !== null) return servedSessionStore(info.storeUrl);
  const extras = backend as LiveBackend & { sessionStore?: (name: string) => Promise<ReadableSessionStore> };
  if (extras.sessionStore !== undefined) return extras.sessionStore(info.name);
  if (backend.kind === 'browser') return readOnly(await OpfsStore.open(`/${info.name}.ome.zarr`));
  return null;
}
