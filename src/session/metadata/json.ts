/**
 * Small JSON helpers shared by the builders, parsers and validator: UTF-8 encoding with a
 * 2-space indent (refusing non-finite numbers), decoding with clear errors, value
 * descriptions for messages, JSON paths and deep equality.
 */

import { MetadataError } from './errors.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a value for messages: `"um"`, `3`, `null`, `an array`, `an object`. */
export function describe(v: unknown): string {
  if (v === undefined) return 'absent';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const s = safeStringify(v);
    return s !== undefined && s.length <= 60 ? s : `an array of ${v.length}`;
  }
  if (isObject(v)) {
    const s = safeStringify(v);
    return s !== undefined && s.length <= 60 ? s : 'an object';
  }
  return typeof v;
}

function safeStringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** `parent` + key or index: `multiscales` + 0 → `multiscales[0]`, + `axes` → `multiscales[0].axes`. */
export function at(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** The JSON path of the first non-finite number inside `v`, if any. */
export function findNonFinite(v: unknown, path = ''): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path || '(root)';
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNonFinite(v[i], at(path, i));
      if (p !== undefined) return p;
    }
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const p = findNonFinite(x, at(path, k));
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** JSON text with a 2-space indent and a final newline; throws on NaN or ±Infinity (§9 "JSON number"). */
export function jsonText(value: unknown, file = 'JSON'): string {
  const bad = findNonFinite(value);
  if (bad !== undefined) {
    throw new MetadataError('bad-value', `${file} ${bad}`, `${file} ${bad} is not a finite number; session JSON never holds NaN or Infinity.`);
  }
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** UTF-8 bytes (no BOM) of `jsonText(value)`. */
export function jsonBytes(value: unknown, file = 'JSON'): Uint8Array {
  return new TextEncoder().encode(jsonText(value, file));
}

/**
 * Decodes UTF-8 JSON bytes (or text). A BOM, invalid UTF-8 or bad JSON is a `bad-json` error
 * naming `file`.
 */
export function parseJson(input: Uint8Array | string, file: string): unknown {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (input.length === 0) throw new MetadataError('bad-json', file, `${file} is empty; expected JSON.`);
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch (cause) {
      throw new MetadataError('bad-json', file, `${file} is not valid UTF-8 text.`, { cause });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) throw new MetadataError('bad-json', file, `${file} starts with a byte-order mark; session JSON is UTF-8 without BOM.`);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new MetadataError('bad-json', file, `${file} is not valid JSON (${why}).`, { cause });
  }
}

/** JSON equality: same types, arrays in order, objects with the same keys in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** `|a − b| ≤ rel · max(|a|, |b|)` (exact for zeros). */
export function closeTo(a: number, b: number, rel = 1e-12): boolean {
  return a === b || Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}
