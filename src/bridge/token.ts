/**
 * The bridge's control token: random, printed once in the ready URL, and compared in
 * constant time (both sides hashed first, so neither length nor content leaks by timing).
 *
 * @example
 * const token = newToken();                 // 32 url-safe characters
 * tokenMatches(url.searchParams.get('token'), token);   // true / false
 * tokenMatches(bearerToken(req.headers.authorization), token);
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether `given` is the token (false for a missing or empty value). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || token.length === 0) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}
