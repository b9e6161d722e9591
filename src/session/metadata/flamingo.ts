/**
 * The `flamingo` key (spec §4): field-by-field checks (types, enumerations, ranges, counters,
 * timestamps) and the version gate (§4.9). `checkFlamingo` collects every problem for the
 * validator; `parseFlamingo` is the reader's entry point and throws the first one.
 */

import { Checker } from './checker.ts';
import { MetadataError } from './errors.ts';
import { at, describe, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { SESSION_FORMAT, SESSION_FORMAT_VERSION } from './types.ts';
import type { FlamingoAttrs } from './types.ts';

export const STATUSES = ['acquiring', 'interrupted', 'complete'] as const;
export const ACCUMULATIONS = ['maximum', 'latest', 'average', 'additive'] as const;
const SIGNED_AXES = ['+x', '-x', '+y', '-y', '+z', '-z'] as const;
const PLAN_KINDS = ['z-stack', 'tile-scan', 'time-lapse', 'live', 'import'] as const;
const CONNECTIONS = ['tcp', 'simulator', 'none'] as const;
const RENDER_3D = ['maximum-intensity', 'minimum-intensity', 'additive'] as const;
export const KNOWN_TRANSFORM_OPS = ['rotate', 'affine', 'shift', 'gaussian', 'downsample'] as const;

/** ISO 8601 UTC with milliseconds and `Z` (§4.1). */
const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Milliseconds since the epoch of a §4.1 timestamp, or `undefined` after an error. */
function timestamp(c: Checker, o: JsonObject, key: string, path: string): number | undefined {
  const s = c.str(o, key, path);
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(s);
  if (!ISO_MS_Z.test(s) || !Number.isFinite(t)) {
    c.err(at(path, key), `is ${describe(s)}; expected an ISO 8601 UTC time with milliseconds and "Z", e.g. "2026-11-26T10:31:02.004Z".`);
    return undefined;
  }
  return t;
}

/**
 * The `format_version` as an integer, or `undefined` when malformed (§4.9): missing, below 1, or
 * not an integer. With `lenient`, a numeric string or integral float is normalised.
 */
export function formatVersionOf(v: unknown, lenient: boolean): number | undefined {
  let n: unknown = v;
  if (lenient && typeof v === 'string' && /^\s*\d+(\.0*)?\s*$/.test(v)) n = Number(v);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return undefined;
  return n;
}

/** The §4.9 refusal message for a newer format version. */
export function newerFormatMessage(found: number, flamingo: JsonObject, known: number, appVersion?: string): string {
  const wb = isObject(flamingo.written_by) ? flamingo.written_by : {};
  const app = typeof wb.app === 'string' ? wb.app : 'an unknown writer';
  const ver = typeof wb.app_version === 'string' ? ` ${wb.app_version}` : '';
  const self = appVersion ? ` (${appVersion})` : '';
  return `This session was written by ${app}${ver} in session format version ${found}. This flamingo-viv${self} reads format versions up to ${known}. Update flamingo-viv to open it.`;
}

export interface FlamingoCheckOptions {
  knownVersion?: number;
  /** Normalise `"1"` and `1.0` instead of reporting them (reader behaviour, §4.9). */
  lenientVersion?: boolean;
  appVersion?: string;
}

/**
 * Checks every field of §4 in the `flamingo` object `v` (types, enumerations, ranges, timestamps,
 * counters). Problems go to `c`. Returns the format version when it is usable.
 */
export function checkFlamingo(c: Checker, v: unknown, path = 'flamingo', options: FlamingoCheckOptions = {}): number | undefined {
  const known = options.knownVersion ?? SESSION_FORMAT_VERSION;
  const f = c.obj(v, path);
  if (!f) return undefined;
  if (f.format !== SESSION_FORMAT) c.err(at(path, 'format'), `is ${describe(f.format)}; expected "${SESSION_FORMAT}".`);
  const version = formatVersionOf(f.format_version, options.lenientVersion === true);
  if (version === undefined) {
    c.err(at(path, 'format_version'), `is ${describe(f.format_version)}; expected a positive integer (this code knows 1 to ${known}).`);
  } else if (version > known) {
    c.err(at(path, 'format_version'), newerFormatMessage(version, f, known, options.appVersion));
    return version; // a newer layout: the other fields may mean something else
  }

  const wb = c.obj(f.written_by, at(path, 'written_by'));
  if (wb) {
    c.str(wb, 'app', at(path, 'written_by'), { nonEmpty: true });
    c.str(wb, 'app_version', at(path, 'written_by'));
    timestamp(c, wb, 'written_at', at(path, 'written_by'));
  }
  const name = c.str(f, 'name', path, { nonEmpty: true });
  if (typeof name === 'string' && name.length > 200) c.err(at(path, 'name'), `has ${name.length} characters; expected 1 to 200.`);
  c.str(f, 'description', path);
  const status = c.oneOf(f, 'status', path, STATUSES);
  const reason = c.str(f, 'status_reason', path, { nullable: true });
  if (status !== undefined && status !== 'interrupted' && typeof reason === 'string') {
    c.err(at(path, 'status_reason'), `is ${describe(reason)} while status is "${status}"; expected null.`);
  }
  if (status === 'interrupted' && reason === null) c.warn(at(path, 'status_reason'), 'is null for an interrupted session; it should say why.');
  const created = timestamp(c, f, 'created', path);
  const updated = timestamp(c, f, 'updated', path);
  if (created !== undefined && updated !== undefined && updated < created) {
    c.err(at(path, 'updated'), `(${String(f.updated)}) is before created (${String(f.created)}).`);
  }
  if (f.stage_reference !== null) {
    const sr = c.obj(f.stage_reference, at(path, 'stage_reference'));
    if (sr) for (const k of ['x_mm', 'y_mm', 'z_mm', 'r_deg']) c.num(sr, k, at(path, 'stage_reference'));
  }
  const vs = c.obj(f.voxel_size_um, at(path, 'voxel_size_um'));
  if (vs) for (const k of ['z', 'y', 'x']) c.num(vs, k, at(path, 'voxel_size_um'), { gt: 0 });
  c.numbers(f.world_origin_um, at(path, 'world_origin_um'), 3);
  c.oneOf(f, 'z_origin', path, ['session', 'stage']);
  if (f.bounds_um !== null) {
    const b = c.obj(f.bounds_um, at(path, 'bounds_um'));
    if (b) {
      const lo = c.numbers(b.min, at(at(path, 'bounds_um'), 'min'), 3);
      const hi = c.numbers(b.max, at(at(path, 'bounds_um'), 'max'), 3);
      if (lo && hi) {
        ['z', 'y', 'x'].forEach((axis, i) => {
          if ((lo[i] as number) > (hi[i] as number)) c.err(at(path, 'bounds_um'), `min ${axis} (${String(lo[i])}) is greater than max ${axis} (${String(hi[i])}).`);
        });
      }
    }
  }
  checkChannels(c, f.channels, at(path, 'channels'));
  checkAcquisition(c, f.acquisition, at(path, 'acquisition'), status);
  c.oneOf(f, 'accumulation', path, ACCUMULATIONS);
  checkViewer(c, f.viewer, at(path, 'viewer'));
  checkTransforms(c, f.transforms, at(path, 'transforms'));
  if (Object.hasOwn(f, 'legacy')) c.obj(f.legacy, at(path, 'legacy'));
  return version;
}

function checkChannels(c: Checker, v: unknown, path: string): void {
  const list = c.arr(v, path);
  if (!list) return;
  list.forEach((x, i) => {
    const p = at(path, i);
    const ch = c.obj(x, p);
    if (!ch) return;
    const index = c.num(ch, 'index', p, { int: true, min: 0 });
    if (typeof index === 'number' && index !== i) c.err(at(p, 'index'), `is ${index}; expected ${i} (channels are sorted by index).`);
    c.str(ch, 'name', p, { nonEmpty: true });
    c.num(ch, 'laser_nm', p, { gt: 0, nullable: true });
    c.oneOf(ch, 'illumination_side', p, ['left', 'right'], { nullable: true });
    const color = c.str(ch, 'color', p);
    if (typeof color === 'string' && !/^[0-9A-F]{6}$/.test(color)) c.err(at(p, 'color'), `is ${describe(color)}; expected 6 upper-case hexadecimal digits RRGGBB without "#".`);
    const contrast = c.numbers(ch.contrast, at(p, 'contrast'), 2);
    if (contrast && !((contrast[0] as number) < (contrast[1] as number))) c.err(at(p, 'contrast'), `is [${contrast.join(', ')}]; expected [lo, hi] with lo < hi.`);
    c.bool(ch, 'visible', p);
  });
}

function checkAcquisition(c: Checker, v: unknown, path: string, status: string | null | undefined): void {
  const a = c.obj(v, path);
  if (!a) return;
  const m = c.obj(a.microscope, at(path, 'microscope'));
  if (m) {
    const mp = at(path, 'microscope');
    c.str(m, 'name', mp);
    c.oneOf(m, 'connection', mp, CONNECTIONS);
    c.str(m, 'address', mp, { nullable: true });
    if (m.orientation !== null) {
      const o = c.obj(m.orientation, at(mp, 'orientation'));
      if (o) for (const k of ['z', 'y', 'x']) c.oneOf(o, k, at(mp, 'orientation'), SIGNED_AXES);
    }
  }
  const plan = c.obj(a.plan, at(path, 'plan'));
  if (plan) {
    const pp = at(path, 'plan');
    c.oneOf(plan, 'kind', pp, PLAN_KINDS);
    c.num(plan, 'tiles', pp, { int: true, min: 0, nullable: true });
    c.num(plan, 'tile_overlap_percent', pp, { nullable: true });
    c.num(plan, 'z_start_mm', pp, { nullable: true });
    c.num(plan, 'z_end_mm', pp, { nullable: true });
    c.num(plan, 'z_step_um', pp, { nullable: true });
    c.num(plan, 'planes_per_stack', pp, { int: true, min: 0, nullable: true });
    const chans = c.arr(plan.channels, at(pp, 'channels'));
    chans?.forEach((x, i) => c.numValue(x, at(at(pp, 'channels'), i), { int: true, min: 0 }));
    c.num(plan, 'timepoints', pp, { int: true, min: 0, nullable: true });
    c.num(plan, 'interval_s', pp, { nullable: true });
  }
  c.num(a, 'frames_expected', path, { int: true, min: 0, nullable: true });
  const received = c.num(a, 'frames_received', path, { int: true, min: 0 });
  const written = c.num(a, 'frames_written', path, { int: true, min: 0 });
  const dropped = c.num(a, 'frames_dropped', path, { int: true, min: 0 });
  const dbr = c.obj(a.dropped_by_reason, at(path, 'dropped_by_reason'));
  if (dbr) {
    const parts = ['queue_full', 'out_of_bounds', 'invalid_frame'].map((k) => c.num(dbr, k, at(path, 'dropped_by_reason'), { int: true, min: 0 }));
    if (typeof dropped === 'number' && parts.every((x) => typeof x === 'number')) {
      const sum = (parts as number[]).reduce((s, x) => s + x, 0);
      if (sum !== dropped) c.err(at(path, 'dropped_by_reason'), `sums to ${sum}; expected frames_dropped (${dropped}).`);
    }
  }
  if (typeof received === 'number' && typeof written === 'number' && typeof dropped === 'number') {
    if (written + dropped > received) {
      c.err(path, `frames_written (${written}) + frames_dropped (${dropped}) exceeds frames_received (${received}) (§5.9).`);
    } else if (status !== undefined && status !== null && status !== 'acquiring' && written + dropped !== received) {
      c.err(path, `frames_received (${received}) ≠ frames_written (${written}) + frames_dropped (${dropped}) after finalize (status "${status}", §5.9).`);
    }
  }
}

function checkViewer(c: Checker, v: unknown, path: string): void {
  const w = c.obj(v, path);
  if (!w) return;
  c.oneOf(w, 'mode', path, ['2d', '3d']);
  const vs = c.obj(w.view_state, at(path, 'view_state'));
  if (vs) {
    const vp = at(path, 'view_state');
    const t = c.obj(vs.target_um, at(vp, 'target_um'));
    if (t) for (const k of ['x', 'y', 'z']) c.num(t, k, at(vp, 'target_um'));
    c.num(vs, 'zoom', vp);
    c.num(vs, 'rotation_x_deg', vp);
    c.num(vs, 'rotation_orbit_deg', vp);
  }
  const sel = c.obj(w.selection, at(path, 'selection'));
  if (sel) {
    c.num(sel, 'z', at(path, 'selection'), { int: true, min: 0 });
    c.num(sel, 't', at(path, 'selection'), { int: true, min: 0 });
  }
  c.oneOf(w, 'render_3d', path, RENDER_3D);
  const cs = c.arr(w.channel_settings, at(path, 'channel_settings'));
  cs?.forEach((x, i) => {
    const p = at(at(path, 'channel_settings'), i);
    const s = c.obj(x, p);
    if (!s) return;
    c.num(s, 'index', p, { int: true, min: 0 });
    c.num(s, 'opacity', p, { min: 0, max: 1 });
    c.str(s, 'colormap', p, { nullable: true });
  });
}

function checkTransforms(c: Checker, v: unknown, path: string): void {
  const list = c.arr(v, path);
  list?.forEach((x, i) => {
    const p = at(path, i);
    const t = c.obj(x, p);
    if (!t) return;
    const op = c.str(t, 'op', p, { nonEmpty: true });
    const params = c.obj(t.params, at(p, 'params'));
    if (typeof op !== 'string' || !params) return;
    const pp = at(p, 'params');
    const order = (): void => {
      if (params.order !== 0 && params.order !== 1) c.err(at(pp, 'order'), `is ${describe(params.order)}; expected 0 or 1.`);
    };
    switch (op) {
      case 'rotate':
        c.oneOf(params, 'axis', pp, ['z', 'y', 'x']);
        c.num(params, 'angle_deg', pp);
        c.numbers(params.center_um, at(pp, 'center_um'), 3, { nullable: true });
        order();
        break;
      case 'affine': {
        const m = c.arr(params.matrix, at(pp, 'matrix'));
        if (m && m.length !== 3) c.err(at(pp, 'matrix'), `has ${m.length} rows; expected 3.`);
        m?.forEach((row, r) => c.numbers(row, at(at(pp, 'matrix'), r), 3));
        c.numbers(params.offset_voxels, at(pp, 'offset_voxels'), 3);
        order();
        break;
      }
      case 'shift':
        c.numbers(params.offset_um, at(pp, 'offset_um'), 3);
        order();
        break;
      case 'gaussian':
        c.numbers(params.sigma_voxels, at(pp, 'sigma_voxels'), 3, { min: 0 });
        c.num(params, 'truncate', pp, { gt: 0 });
        break;
      case 'downsample':
        c.numbers(params.factor, at(pp, 'factor'), 3, { int: true, min: 1 });
        c.oneOf(params, 'reduce', pp, ['mean', 'max']);
        break;
      default:
        c.warn(at(p, 'op'), `is ${describe(op)}, an operation this version does not know; it is kept and shown as disabled (§4.6).`);
    }
  });
}

/**
 * Reads the `flamingo` key for a reader: refuses a newer `format_version` (`newer-format`,
 * naming both versions and the writer), a missing or malformed one, a foreign `format`
 * (`not-a-session`) and any field of the wrong type (the first problem is thrown). Normalises
 * `"1"` / `1.0`. Unknown fields are kept. Returns the object typed, and warnings.
 */
export function parseFlamingo(v: unknown, options: { knownVersion?: number; appVersion?: string } = {}): { flamingo: FlamingoAttrs; warnings: string[] } {
  const known = options.knownVersion ?? SESSION_FORMAT_VERSION;
  if (!isObject(v)) throw new MetadataError('wrong-type', '.zattrs flamingo', `.zattrs flamingo is ${describe(v)}; expected an object.`);
  if (v.format !== SESSION_FORMAT) {
    throw new MetadataError('not-a-session', '.zattrs flamingo.format', `.zattrs flamingo.format is ${describe(v.format)}; expected "${SESSION_FORMAT}".`);
  }
  const version = formatVersionOf(v.format_version, true);
  if (version === undefined) {
    throw new MetadataError('bad-value', '.zattrs flamingo.format_version', `.zattrs flamingo.format_version is ${describe(v.format_version)}; expected a positive integer.`);
  }
  if (version > known) throw new MetadataError('newer-format', '.zattrs flamingo.format_version', newerFormatMessage(version, v, known, options.appVersion));
  const c = new Checker('.zattrs');
  checkFlamingo(c, v, 'flamingo', { knownVersion: known, lenientVersion: true });
  const first = c.errors[0];
  if (first !== undefined) {
    const path = first.slice(0, first.indexOf(':'));
    const code = / is missing;/.test(first) ? 'missing-key' : / expected (an object|an array|a string|true or false)/.test(first) ? 'wrong-type' : 'bad-value';
    throw new MetadataError(code, path, first);
  }
  return { flamingo: { ...v, format_version: version } as FlamingoAttrs, warnings: c.warnings };
}
