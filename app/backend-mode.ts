/**
 * Which backend the shell starts: the bridge when the page was opened with a `?token=` (the URL
 * `flamingo-viv start` prints) or when the page's origin answers `/api/sessions` (served by the
 * bridge, no token: read-only); otherwise the browser-only pipeline (simulator in a worker,
 * sessions in OPFS), as on static hosting and in Storybook.
 *
 * @example
 * const mode = await backendMode(location.href, fetch);
 * mode.kind; // 'bridge' | 'browser'
 */

export type BackendMode = { kind: 'bridge'; origin: string; token: string | null } | { kind: 'browser' };

/** Decides from the page URL and one probe of `/api/sessions` (skipped when a token is given, or `?backend=browser`). */
export async function backendMode(pageUrl: string, fetchFn: typeof fetch = fetch): Promise<BackendMode> {
  const url = new URL(pageUrl);
  const forced = url.searchParams.get('backend');
  if (forced === 'browser') return { kind: 'browser' };
  const token = url.searchParams.get('token');
  if (token !== null && token !== '') return { kind: 'bridge', origin: url.origin, token };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'browser' };
  try {
    const res = await fetchFn(new URL('/api/sessions', url.origin), { headers: { accept: 'application/json' } });
    const type = res.headers.get('content-type') ?? '';
    if (res.ok && type.includes('json')) return { kind: 'bridge', origin: url.origin, token: null };
  } catch {
    // No bridge at this origin.
  }
  return { kind: 'browser' };
}
