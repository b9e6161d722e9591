/**
 * A read-only session store over HTTP (universal `fetch`: browsers, workers, Node): each key
 * is a GET of `<base URL><key>`, as any static server, the bridge's `/sessions/NAME.ome.zarr/`
 * or an object store serves a Zarr folder. 404 means the key is absent (`undefined`); any
 * other status that is not 2xx, and network failures, are a `StoreError` naming the URL and
 * the status. An abort signal cancels the request (the promise rejects with the signal's
 * reason, as `signal.throwIfAborted()` does).
 *
 * Plain HTTP has no directory listing, so `list()` works only when a `list` function is
 * given (e.g. one that asks the bridge); otherwise it rejects with a StoreError saying so.
 * Readers (`openImage`) need no listing; `validateSession` does.
 *
 * @example
 * const store = new HttpStore('http://127.0.0.1:8600/sessions/embryo.ome.zarr/');
 * const image = await openImage(store);
 */
import { StoreError, checkStoreKey } from './types.ts';
import type { ReadableSessionStore, StoreGetOptions } from './types.ts';

export interface HttpStoreOptions {
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request (e.g. an authorization token). */
  headers?: Record<string, string>;
  /** Lists keys under a prefix, when the server offers a way to (plain HTTP does not). */
  list?: (prefix: string) => Promise<string[]>;
  /** For messages (default: the base URL). */
  description?: string;
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

export class HttpStore implements ReadableSessionStore {
  /** The folder URL, always ending in '/'. */
  readonly baseUrl: string;
  readonly description: string;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly headers: Record<string, string>;
  private readonly lister: ((prefix: string) => Promise<string[]>) | undefined;

  constructor(baseUrl: string | URL, options: HttpStoreOptions = {}) {
    let url: URL;
    try {
      url = new URL(String(baseUrl));
    } catch (err) {
      throw new StoreError('', `'${String(baseUrl)}' is not an absolute URL; an HTTP store needs one (e.g. http://127.0.0.1:8600/sessions/a.ome.zarr/).`, { cause: err });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new StoreError('', `'${url.href}' is a ${url.protocol} URL; an HTTP store reads http: or https: URLs.`);
    }
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url.href;
    this.description = options.description ?? this.baseUrl;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new StoreError('', 'No fetch function is available here; pass one as the `fetch` option.');
    this.fetchFn = f;
    this.headers = { ...options.headers };
    this.lister = options.list;
  }

  /** The URL of a key (each segment percent-encoded). */
  urlOf(key: string): string {
    checkStoreKey(key);
    return new URL(key.split('/').map(encodeURIComponent).join('/'), this.baseUrl).href;
  }

  async get(key: string, options?: StoreGetOptions): Promise<Uint8Array | undefined> {
    const url = this.urlOf(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    let res: Response;
    try {
      res = await this.fetchFn.call(globalThis, url, { method: 'GET', headers: this.headers, signal, redirect: 'follow' });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new StoreError(key, `GET ${url} failed: ${reason(err)}.`, { cause: err });
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new StoreError(key, `GET ${url} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}; expected 200 or 404.`);
    }
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new StoreError(key, `GET ${url} broke off while reading the body: ${reason(err)}.`, { cause: err });
    }
  }

  async list(prefix = ''): Promise<string[]> {
    if (!this.lister) {
      throw new StoreError(prefix, `Listing keys is not supported by the HTTP store ${this.description}: plain HTTP has no folder listing, so read keys by name (openImage does).`);
    }
    return (await this.lister(prefix)).filter((k) => k.startsWith(prefix));
  }
}
