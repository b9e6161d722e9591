/**
 * The codec's own named errors. Every failure the protocol layer reports is one of
 * these, carries a `code` tag callers can test without `instanceof`, and names the
 * problem in one sentence.
 *
 * @example
 * try { decodeRecord(bytes) } catch (e) { if (isProtocolError(e, 'bad-marker')) resync() }
 */

import { TaggedError } from '../../tagged-error.ts';

export type ProtocolErrorCode =
  | 'bad-length' // a buffer is not the size the format fixes
  | 'bad-marker' // start or end marker of a 128-byte record is wrong
  | 'text-too-long' // text does not fit the record's 72-byte buffer
  | 'payload-too-large' // a length field exceeds the declared bound
  | 'bad-field' // a field value is out of its range (e.g. a negative count)
  | 'bad-frame' // a live-frame header is inconsistent (size ≠ width × height × 2)
  | 'bad-workflow' // workflow text could not be parsed or built
  | 'bad-settings' // ScopeSettings text could not be parsed
  | 'parser-closed'; // bytes pushed into a parser after it was closed

export class ProtocolError extends TaggedError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError';
}

export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}
