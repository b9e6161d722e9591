/**
 * A collector of validation messages with typed getters. Each getter reports a problem as
 * `<file> <json path>: <what was found>; <what was expected>.` and returns `undefined` when
 * the value is unusable, so one pass reports every problem.
 */

import { at, describe, isObject } from './json.ts';
import type { JsonObject } from './json.ts';

export class Checker {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  constructor(readonly file: string) {}

  private label(path: string): string {
    return path === '' ? this.file : `${this.file} ${path}`;
  }

  err(path: string, msg: string): void {
    this.errors.push(`${this.label(path)}: ${msg}`);
  }

  warn(path: string, msg: string): void {
    this.warnings.push(`${this.label(path)}: ${msg}`);
  }

  /** An object value, or `undefined` after an error (also when absent). */
  obj(v: unknown, path: string): JsonObject | undefined {
    if (isObject(v)) return v;
    this.err(path, v === undefined ? 'is missing; expected an object.' : `is ${describe(v)}; expected an object.`);
    return undefined;
  }

  arr(v: unknown, path: string): unknown[] | undefined {
    if (Array.isArray(v)) return v;
    this.err(path, v === undefined ? 'is missing; expected an array.' : `is ${describe(v)}; expected an array.`);
    return undefined;
  }

  str(o: JsonObject, key: string, path: string, opts: { nonEmpty?: boolean; nullable?: boolean } = {}): string | null | undefined {
    const v = o[key];
    const p = at(path, key);
    if (v === null && opts.nullable) return null;
    if (typeof v !== 'string') {
      this.err(p, v === undefined ? `is missing; expected a string${opts.nullable ? ' or null' : ''}.` : `is ${describe(v)}; expected a string${opts.nullable ? ' or null' : ''}.`);
      return undefined;
    }
    if (opts.nonEmpty && v === '') this.err(p, 'is empty; expected a non-empty string.');
    return v;
  }

  oneOf<T extends string>(o: JsonObject, key: string, path: string, allowed: readonly T[], opts: { nullable?: boolean } = {}): T | null | undefined {
    const v = o[key];
    if (v === null && opts.nullable) return null;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    const list = allowed.map((a) => JSON.stringify(a)).join(', ');
    this.err(at(path, key), `is ${describe(v)}; expected one of ${list}${opts.nullable ? ' or null' : ''}.`);
    return undefined;
  }

  /** A finite number with optional bounds; `int` for integers. */
  num(
    o: JsonObject,
    key: string,
    path: string,
    opts: { int?: boolean; min?: number; max?: number; gt?: number; nullable?: boolean } = {},
  ): number | null | undefined {
    const v = o[key];
    return this.numValue(v, at(path, key), opts);
  }

  numValue(v: unknown, p: string, opts: { int?: boolean; min?: number; max?: number; gt?: number; nullable?: boolean } = {}): number | null | undefined {
    if (v === null && opts.nullable) return null;
    const what = `${opts.int ? 'an integer' : 'a finite number'}${rangeText(opts)}${opts.nullable ? ' or null' : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) {
      this.err(p, v === undefined ? `is missing; expected ${what}.` : `is ${describe(v)}; expected ${what}.`);
      return undefined;
    }
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max) || (opts.gt !== undefined && !(v > opts.gt))) {
      this.err(p, `is ${v}; expected ${what}.`);
      return undefined;
    }
    return v;
  }

  bool(o: JsonObject, key: string, path: string): boolean | undefined {
    const v = o[key];
    if (typeof v === 'boolean') return v;
    this.err(at(path, key), v === undefined ? 'is missing; expected true or false.' : `is ${describe(v)}; expected true or false.`);
    return undefined;
  }

  /** `[z, y, x]`-like array of `n` finite numbers. */
  numbers(v: unknown, p: string, n: number, opts: { int?: boolean; min?: number; gt?: number; nullable?: boolean } = {}): number[] | null | undefined {
    if (v === null && opts.nullable) return null;
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!opts.int || Number.isInteger(x)))) {
      this.err(p, `is ${describe(v)}; expected an array of ${n} ${opts.int ? 'integers' : 'finite numbers'}${opts.nullable ? ' or null' : ''}.`);
      return undefined;
    }
    const nums = v as number[];
    const i = nums.findIndex((x) => (opts.min !== undefined && x < opts.min) || (opts.gt !== undefined && !(x > opts.gt)));
    if (i >= 0) {
      this.err(at(p, i), `is ${String(nums[i])}; expected a value${rangeText(opts)}.`);
      return undefined;
    }
    return nums;
  }

  /** Errors for keys of `o` outside `allowed`. */
  onlyKeys(o: JsonObject, path: string, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.err(at(path, k), `is not allowed in ${what} (allowed: ${allowed.join(', ')}).`);
    }
  }
}

function rangeText(opts: { min?: number; max?: number; gt?: number }): string {
  const parts: string[] = [];
  if (opts.gt !== undefined) parts.push(`> ${opts.gt}`);
  if (opts.min !== undefined) parts.push(`≥ ${opts.min}`);
  if (opts.max !== undefined) parts.push(`≤ ${opts.max}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}
