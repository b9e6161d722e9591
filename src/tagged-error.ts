/**
 * The base of every named error in the project: a `code` tag callers test instead of
 * the class (`isProtocolError(e, 'bad-marker')`), a one-sentence message, and a `cause`.
 *
 * @example
 * export class CodecError extends TaggedError<'corrupt-chunk' | 'bad-level'> {
 *   override readonly name = 'CodecError';
 * }
 */
export abstract class TaggedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
