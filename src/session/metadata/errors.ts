/**
 * Errors of the metadata parsers and builders. Each names the file, the JSON path, the value
 * found and what was expected, in one sentence, and carries a `code` callers can test.
 *
 * @example
 * try { parseZarray(bytes, '0/.zarray') } catch (e) { if (isMetadataError(e, 'unknown-codec')) … }
 */

import { TaggedError } from '../../tagged-error.ts';

export type MetadataErrorCode =
  | 'bad-json' // not UTF-8 JSON, or not an object where one is required
  | 'missing-key' // a required key is absent
  | 'wrong-type' // a value has the wrong JSON type
  | 'bad-value' // a value of the right type is out of range or not allowed (NaN-like, absurd, ...)
  | 'unknown-dtype' // a `.zarray` dtype this project cannot read
  | 'unknown-codec' // a compressor or filter id this project cannot decode
  | 'unsupported-version' // an OME-NGFF version other than 0.4 in Zarr v2 metadata
  | 'newer-format' // flamingo.format_version newer than this code knows (§4.9)
  | 'not-a-session' // flamingo.format is not "flamingo-viv.session"
  | 'bad-layout'; // a session layout that cannot be built (builders)

export class MetadataError extends TaggedError<MetadataErrorCode> {
  override readonly name = 'MetadataError';
  /** `file` + JSON path, e.g. `0/.zarray shape[2]`. */
  readonly path: string;

  constructor(code: MetadataErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }
}

export function isMetadataError(err: unknown, code?: MetadataErrorCode): err is MetadataError {
  return err instanceof MetadataError && (code === undefined || err.code === code);
}
