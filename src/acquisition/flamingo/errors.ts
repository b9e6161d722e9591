/**
 * The connector's named errors. Each carries a `code` callers can test without
 * `instanceof` and a message that says, in one sentence, what was being done or
 * waited for when it failed.
 *
 * @example
 * try { await channel.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: 1 }) }
 * catch (e) { if (isConnectorError(e, 'timeout')) console.warn(e.message) }
 */

import { TaggedError } from '../../tagged-error.ts';

export type ConnectorErrorCode =
  | 'connect-failed' // a TCP connection could not be opened
  | 'connection-lost' // the connection closed while something was pending
  | 'timeout' // a reply or message did not arrive in time
  | 'bad-reply' // a reply arrived but its content is unusable
  | 'busy' // the operation is not allowed in the current state (e.g. a move during a run)
  | 'invalid' // bad input (plan, target position)
  | 'aborted' // the caller's AbortSignal fired
  | 'closed'; // the connector or channel was closed

export class ConnectorError extends TaggedError<ConnectorErrorCode> {
  override readonly name = 'ConnectorError';
}

export function isConnectorError(err: unknown, code?: ConnectorErrorCode): err is ConnectorError {
  return err instanceof ConnectorError && (code === undefined || err.code === code);
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
