/**
 * Errors the bridge answers requests with: a `code` the client can test and one sentence.
 *
 * @example
 * throw new BridgeError('busy', 'An acquisition is running; stop it before connecting elsewhere.');
 */
import { TaggedError } from '../tagged-error.ts';

export type BridgeErrorCode = 'forbidden' | 'bad-request' | 'bad-name' | 'not-found' | 'busy' | 'not-connected' | 'failed';

export class BridgeError extends TaggedError<BridgeErrorCode> {
  override readonly name = 'BridgeError';
}

/** `{ code, message }` of any error, for a reply. */
export function errorReply(err: unknown): { code: string; message: string } {
  if (err instanceof BridgeError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'failed';
  const one = message.replace(/\s+/g, ' ').trim() || 'The request failed.';
  return { code, message: /[.!?]$/.test(one) ? one : `${one}.` };
}
