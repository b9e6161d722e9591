/**
 * Our own TypeScript implementation of every rule of the OME-NGFF 0.4 image JSON schemas
 * (`image.schema`, and `strict_image.schema` with `strict: true`), with the exact JSON Schema
 * 2020-12 semantics (`contains` / `minContains` / `maxContains`, `oneOf`, `uniqueItems`, keywords
 * that apply only to values of their type). Tests check it against the official suites and
 * against Ajv running the official schemas. Errors name the JSON path inside `.zattrs`.
 */

import { at, describe, isObject, jsonEqual } from './json.ts';
import type { JsonObject } from './json.ts';

export interface NgffSchemaOptions {
  /** Also apply `strict_image.schema` (multiscales need `version`, `metadata`, `type`, `name`). */
  strict?: boolean;
}

const has = (o: JsonObject, k: string): boolean => Object.hasOwn(o, k);
/** JSON Schema `number` (as Ajv checks it): NaN and ±Infinity are not numbers. */
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (not a JSON number)`;
  return `a ${typeof v}`;
}

function dupIndex(items: readonly unknown[]): [number, number] | undefined {
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) if (jsonEqual(items[i], items[j])) return [i, j];
  }
  return undefined;
}

/** `{"type": "string"}` under `properties`: applies only when the key is present. */
function optionalString(o: JsonObject, k: string): boolean {
  return !has(o, k) || typeof o[k] === 'string';
}

function numberArrayMin2(v: unknown): boolean {
  return Array.isArray(v) && v.length >= 2 && v.every(isNumber);
}

/**
 * Errors of `attrs` against the 0.4 image schema (strict with `options.strict`); empty = valid.
 * Paths are relative to the `.zattrs` root, e.g. `multiscales[0].axes[1].type`.
 */
export function ngffImageSchemaErrors(attrs: unknown, options: NgffSchemaOptions = {}): string[] {
  const errors: string[] = [];
  const err = (path: string, msg: string): void => {
    errors.push(`${path === '' ? '(root)' : path}: ${msg}`);
  };
  if (!isObject(attrs)) {
    err('', `is ${typeName(attrs)}; expected an object.`);
    return errors;
  }
  if (!has(attrs, 'multiscales')) err('', 'the required key "multiscales" is missing.');
  else checkMultiscales(attrs.multiscales, 'multiscales', options.strict === true, err);
  if (has(attrs, 'omero')) checkOmero(attrs.omero, 'omero', err);
  return errors;
}

type Err = (path: string, msg: string) => void;

function checkMultiscales(v: unknown, path: string, strict: boolean, err: Err): void {
  if (!Array.isArray(v)) {
    err(path, `is ${typeName(v)}; expected an array.`);
    return;
  }
  if (v.length < 1) err(path, 'is empty; expected at least 1 entry.');
  const dup = dupIndex(v);
  if (dup) err(path, `entries ${dup[0]} and ${dup[1]} are equal; entries must be unique.`);
  v.forEach((m, i) => {
    const p = at(path, i);
    if (!isObject(m)) {
      err(p, `is ${typeName(m)}; expected an object.`);
      return;
    }
    if (!optionalString(m, 'name')) err(at(p, 'name'), `is ${typeName(m.name)}; expected a string.`);
    if (has(m, 'datasets')) checkDatasets(m.datasets, at(p, 'datasets'), err);
    else err(p, 'the required key "datasets" is missing.');
    if (has(m, 'version')) {
      if (typeof m.version !== 'string') err(at(p, 'version'), `is ${typeName(m.version)}; expected the string "0.4".`);
      else if (m.version !== '0.4') err(at(p, 'version'), `is ${describe(m.version)}; expected "0.4".`);
    }
    if (has(m, 'axes')) checkAxes(m.axes, at(p, 'axes'), err);
    else err(p, 'the required key "axes" is missing.');
    if (has(m, 'coordinateTransformations')) checkTransforms(m.coordinateTransformations, at(p, 'coordinateTransformations'), err);
    if (strict) {
      for (const k of ['version', 'metadata', 'type', 'name']) {
        if (!has(m, k)) err(p, `the key "${k}" is missing (required by strict_image.schema).`);
      }
    }
  });
}

function checkDatasets(v: unknown, path: string, err: Err): void {
  if (!Array.isArray(v)) {
    err(path, `is ${typeName(v)}; expected an array.`);
    return;
  }
  if (v.length < 1) err(path, 'is empty; expected at least 1 dataset.');
  v.forEach((d, i) => {
    const p = at(path, i);
    if (!isObject(d)) {
      err(p, `is ${typeName(d)}; expected an object.`);
      return;
    }
    if (!has(d, 'path')) err(p, 'the required key "path" is missing.');
    else if (typeof d.path !== 'string') err(at(p, 'path'), `is ${typeName(d.path)}; expected a string.`);
    if (!has(d, 'coordinateTransformations')) err(p, 'the required key "coordinateTransformations" is missing.');
    else checkTransforms(d.coordinateTransformations, at(p, 'coordinateTransformations'), err);
  });
}

const AXIS_TYPES = ['channel', 'time', 'space'];

/** The `contains` subschema of `$defs/axes`: an object whose present keys fit a space axis. */
function containsSpace(a: unknown): boolean {
  return isObject(a) && optionalString(a, 'name') && (!has(a, 'type') || a.type === 'space') && optionalString(a, 'unit');
}

function checkAxes(v: unknown, path: string, err: Err): void {
  if (!Array.isArray(v)) {
    err(path, `is ${typeName(v)}; expected an array.`);
    return;
  }
  const dup = dupIndex(v);
  if (dup) err(path, `axes ${dup[0]} and ${dup[1]} are equal; axes must be unique.`);
  if (v.length < 2 || v.length > 5) err(path, `has ${v.length} axes; expected 2 to 5.`);
  const spaceCount = v.filter(containsSpace).length;
  if (spaceCount < 2 || spaceCount > 3) err(path, `has ${spaceCount} space axes (type "space" or untyped); expected 2 or 3.`);
  v.forEach((a, i) => {
    const p = at(path, i);
    if (!isObject(a)) {
      err(p, `is ${typeName(a)}; expected an object.`);
      return;
    }
    const nameOk = optionalString(a, 'name');
    const known = nameOk && has(a, 'name') && has(a, 'type') && typeof a.type === 'string' && AXIS_TYPES.includes(a.type);
    const custom = nameOk && has(a, 'name') && (!has(a, 'type') || (typeof a.type === 'string' && !AXIS_TYPES.includes(a.type)));
    if (known === custom) {
      // Neither branch of oneOf matched (both cannot: their type sets are disjoint).
      if (!has(a, 'name')) err(p, 'the required key "name" is missing.');
      else if (!nameOk) err(at(p, 'name'), `is ${typeName(a.name)}; expected a string.`);
      else err(at(p, 'type'), `is ${typeName(a.type)}; expected a string.`);
    }
  });
}

function containsScale(t: unknown): boolean {
  return isObject(t) && (!has(t, 'type') || t.type === 'scale') && (!has(t, 'scale') || numberArrayMin2(t.scale));
}

function checkTransforms(v: unknown, path: string, err: Err): void {
  if (!Array.isArray(v)) {
    err(path, `is ${typeName(v)}; expected an array.`);
    return;
  }
  if (v.length < 1) err(path, 'is empty; expected at least one transformation.');
  const scales = v.filter(containsScale).length;
  if (scales < 1) err(path, 'has no scale transformation; exactly one is required.');
  if (scales > 1) err(path, `has ${scales} scale transformations; exactly one is allowed.`);
  v.forEach((t, i) => {
    const p = at(path, i);
    if (!isObject(t)) {
      err(p, `is ${typeName(t)}; expected an object.`);
      return;
    }
    if (!has(t, 'type')) {
      err(p, 'the required key "type" is missing.');
      return;
    }
    if (t.type !== 'scale' && t.type !== 'translation') {
      err(at(p, 'type'), `is ${describe(t.type)}; expected "scale" or "translation".`);
      return;
    }
    const key = t.type;
    if (!has(t, key)) err(p, `the required key "${key}" is missing for a ${key} transformation.`);
    else if (!numberArrayMin2(t[key])) err(at(p, key), `is ${describe(t[key])}; expected an array of at least 2 numbers.`);
  });
}

function checkOmero(v: unknown, path: string, err: Err): void {
  if (!isObject(v)) {
    err(path, `is ${typeName(v)}; expected an object.`);
    return;
  }
  if (!has(v, 'channels')) {
    err(path, 'the required key "channels" is missing.');
    return;
  }
  const channels = v.channels;
  const cp = at(path, 'channels');
  if (!Array.isArray(channels)) {
    err(cp, `is ${typeName(channels)}; expected an array.`);
    return;
  }
  channels.forEach((c, i) => {
    const p = at(cp, i);
    if (!isObject(c)) {
      err(p, `is ${typeName(c)}; expected an object.`);
      return;
    }
    for (const k of ['label', 'family', 'color']) {
      if (!optionalString(c, k)) err(at(p, k), `is ${typeName(c[k])}; expected a string.`);
    }
    if (has(c, 'active') && typeof c.active !== 'boolean') err(at(p, 'active'), `is ${typeName(c.active)}; expected a boolean.`);
    if (!has(c, 'color')) err(p, 'the required key "color" is missing.');
    if (!has(c, 'window')) {
      err(p, 'the required key "window" is missing.');
    } else if (!isObject(c.window)) {
      err(at(p, 'window'), `is ${typeName(c.window)}; expected an object.`);
    } else {
      const w = c.window;
      for (const k of ['start', 'min', 'end', 'max']) {
        if (!has(w, k)) err(at(p, 'window'), `the required key "${k}" is missing.`);
        else if (!isNumber(w[k])) err(at(at(p, 'window'), k), `is ${typeName(w[k])}; expected a number.`);
      }
    }
  });
}
