/**
 * The readers' JSON parsing, in one place: metadata files read from a store, with the bare
 * `Infinity`, `-Infinity` and `NaN` tokens py2flamingo writes accepted outside strings (§8.2), and
 * small typed accessors whose errors name the file, the JSON path and the value.
 */

import { MetadataError } from '../metadata/errors.ts';
import type { MetadataErrorCode } from '../metadata/errors.ts';
import { describe, isObject } from '../metadata/json.ts';
import type { JsonObject } from '../metadata/json.ts';
import { ReadError } from './description.ts';
import type { ReadErrorCode } from './description.ts';

export { describe, isObject };
export type { JsonObject };

const SENTINEL = '\u0000flamingo-viv-nonfinite:';

/**
 * Parses UTF-8 JSON. Bare `Infinity`, `-Infinity` and `NaN` outside strings become the numbers;
 * the same words inside strings are kept. Empty input, invalid UTF-8, a BOM or bad JSON is a
 * `bad-json` error naming `file`.
 */
export function parseTolerantJson(input: Uint8Array, file: string): unknown {
  if (input.length === 0) throw new ReadError('bad-json', file, `${file} is empty; expected JSON.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch (cause) {
    throw new ReadError('bad-json', file, `${file} is not valid UTF-8 text.`, { cause });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new ReadError('bad-json', file, `${file} holds only white space; expected JSON.`);
  const pre = replaceNonFinite(text);
  try {
    return JSON.parse(pre, (_k, v: unknown) => {
      if (typeof v === 'string' && v.startsWith(SENTINEL)) {
        const w = v.slice(SENTINEL.length);
        return w === 'NaN' ? NaN : w === '-Infinity' ? -Infinity : Infinity;
      }
      return v;
    }) as unknown;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ReadError('bad-json', file, `${file} is not valid JSON (${why}).`, { cause });
  }
}

function replaceNonFinite(text: string): string {
  if (!/Infinity|NaN/.test(text)) return text;
  let out = '';
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    let matched = false;
    for (const w of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(w, i)) {
        out += text.slice(last, i) + JSON.stringify(SENTINEL + w);
        i += w.length;
        last = i;
        matched = true;
        break;
      }
    }
    if (!matched) i++;
  }
  return out + text.slice(last);
}

/** Parses a metadata file that must be a JSON object. */
export function parseObject(input: Uint8Array, file: string): JsonObject {
  const v = parseTolerantJson(input, file);
  if (!isObject(v)) {
    throw new ReadError('bad-json', file, `${file} is ${Array.isArray(v) ? 'an array' : describe(v)}; expected a JSON object.`);
  }
  return v;
}

/** `v` as an array of finite numbers of length `n` (when given); `what` names it in messages. */
export function finiteNumbers(v: unknown, what: string, n?: number): number[] {
  if (!Array.isArray(v)) throw new ReadError('bad-metadata', what, `${what} is ${describe(v)}; expected an array of numbers.`);
  if (n !== undefined && v.length !== n) throw new ReadError('bad-metadata', what, `${what} has ${v.length} entries; expected ${n}.`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ReadError('bad-metadata', `${what}[${i}]`, `${what}[${i}] is ${describe(x)}; expected a finite number.`);
    }
  });
  return v as number[];
}

/** `v` as a list of integers `lo`…`hi` (shapes, chunks). */
export function integers(v: unknown, what: string, lo: number, hi: number): number[] {
  if (!Array.isArray(v)) throw new ReadError('bad-metadata', what, `${what} is ${describe(v)}; expected an array of integers.`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < lo || x > hi) {
      throw new ReadError('bad-metadata', `${what}[${i}]`, `${what}[${i}] is ${describe(x)}; expected an integer from ${lo} to ${hi}.`);
    }
  });
  return v as number[];
}

const FROM_METADATA: Record<MetadataErrorCode, ReadErrorCode> = {
  'bad-json': 'bad-json',
  'missing-key': 'bad-metadata',
  'wrong-type': 'bad-metadata',
  'bad-value': 'bad-metadata',
  'unknown-dtype': 'unknown-dtype',
  'unknown-codec': 'unknown-codec',
  'unsupported-version': 'unsupported',
  'newer-format': 'newer-format',
  'not-a-session': 'not-recognised',
  'bad-layout': 'bad-metadata',
};

/** Runs a metadata parser (src/session/metadata/), turning its `MetadataError` into a `ReadError`. */
export function viaMetadata<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof MetadataError) throw new ReadError(FROM_METADATA[err.code], err.path, err.message, { cause: err });
    throw err;
  }
}
