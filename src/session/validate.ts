/**
 * `validateSession(store)`: the check behind `flamingo-viv validate PATH` (spec §6). Reads
 * `.zgroup`, `.zattrs` and every level's `.zarray` from any read-only session store, runs the
 * metadata validator (OME-NGFF 0.4 strict schema rules + the session rules of §6.2), lists the
 * store to check that every chunk key is well-formed and inside its array, and reports input it
 * cannot read at all (store failure, missing or non-JSON `.zattrs`) with `unreadable: true`.
 *
 * @example
 * const r = await validateSession(store);
 * process.exitCode = r.unreadable ? 2 : r.valid ? 0 : 1;
 */

import { isMetadataError } from './metadata/errors.ts';
import { isObject, parseJson } from './metadata/json.ts';
import { validateSessionMetadata } from './metadata/rules.ts';
import type { SessionRuleOptions } from './metadata/rules.ts';
import { TEMPORARY_NAME, type ReadableSessionStore } from './store/types.ts';

export interface SessionValidationReport {
  valid: boolean;
  errors: string[];
  warnings: string[];
  /** Number of levels in `multiscales[0].datasets`. */
  levels: number;
  /** Level-0 shape, or null when it could not be read. */
  shape: number[] | null;
  /** `flamingo.format_version`, or null (no flamingo key, or unreadable). */
  format_version: number | null;
  /** True when the input could not be read at all (store failure, `.zattrs` missing or not JSON). */
  unreadable: boolean;
  /** Chunk files found, per level in `datasets` order. */
  chunk_files: number[];
}

export interface ValidateSessionOptions extends SessionRuleOptions {
  /**
   * §6.3 item 3 (finalize): when given, every well-formed chunk file inside its array is read
   * and decoded with this function (`compressor` is the level's `.zarray` compressor,
   * `expectedBytes` the chunk size in bytes); a chunk that fails to decode, or decodes to
   * another size, is an error naming its key.
   */
  decodeChunk?: (bytes: Uint8Array, compressor: unknown, expectedBytes: number) => Promise<Uint8Array>;
}


function unreadable(message: string, store: ReadableSessionStore): SessionValidationReport {
  return {
    valid: false,
    errors: [`${store.description}: ${message}`],
    warnings: [],
    levels: 0,
    shape: null,
    format_version: null,
    unreadable: true,
    chunk_files: [],
  };
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readJsonFile(store: ReadableSessionStore, key: string): Promise<{ value?: unknown; missing?: true; error?: string }> {
  const bytes = await store.get(key);
  if (bytes === undefined) return { missing: true };
  try {
    return { value: parseJson(bytes, key) };
  } catch (e) {
    if (isMetadataError(e)) return { error: e.message };
    throw e;
  }
}

/** Validates a session folder through its store. Never throws for bad input; see the module comment. */
export async function validateSession(store: ReadableSessionStore, options: ValidateSessionOptions = {}): Promise<SessionValidationReport> {
  let keys: string[];
  let zgroup: Awaited<ReturnType<typeof readJsonFile>>;
  let zattrs: Awaited<ReturnType<typeof readJsonFile>>;
  try {
    keys = await store.list();
    zgroup = await readJsonFile(store, '.zgroup');
    zattrs = await readJsonFile(store, '.zattrs');
  } catch (e) {
    return unreadable(`the store could not be read (${why(e)}).`, store);
  }
  if (zattrs.missing) {
    const v3 = keys.includes('zarr.json') ? ' It holds zarr.json: a Zarr v3 tree, not a Zarr v2 session (§6.1 #1).' : '';
    return unreadable(`.zattrs is missing; this is not an OME-NGFF 0.4 image.${v3}`, store);
  }
  if (zattrs.error !== undefined) return unreadable(zattrs.error, store);

  const extraErrors: string[] = [];
  const extraWarnings: string[] = [];
  if (zgroup.error !== undefined) extraErrors.push(zgroup.error);

  // Level paths as declared (only usable ones; the validator reports the rest).
  const attrs = zattrs.value;
  const ms = isObject(attrs) && Array.isArray(attrs.multiscales) ? attrs.multiscales[0] : undefined;
  const datasets = isObject(ms) && Array.isArray(ms.datasets) ? ms.datasets : [];
  const paths = datasets.map((d) => (isObject(d) && typeof d.path === 'string' && /^[A-Za-z0-9._-]+$/.test(d.path) && d.path !== '.' && d.path !== '..' ? d.path : undefined));

  const zarrays: unknown[] = [];
  try {
    for (const p of paths) {
      if (p === undefined) {
        zarrays.push(undefined);
        continue;
      }
      const r = await readJsonFile(store, `${p}/.zarray`);
      if (r.error !== undefined) {
        extraErrors.push(r.error);
        zarrays.push(null); // present but unusable: the validator reports it as "not an object"
      } else {
        zarrays.push(r.value);
      }
    }
  } catch (e) {
    return unreadable(`the store could not be read (${why(e)}).`, store);
  }

  const input = zgroup.error !== undefined ? { zattrs: attrs, zarrays } : { zgroup: zgroup.missing ? undefined : zgroup.value, zattrs: attrs, zarrays };
  const r = validateSessionMetadata(input, options);

  // ---- the listing: zarr.json, chunk keys, stray files
  const levelOf = new Map<string, number>();
  paths.forEach((p, i) => {
    if (p !== undefined) levelOf.set(p, i);
  });
  const chunkFiles = paths.map(() => 0);
  const strays: string[] = [];
  const tmps: string[] = [];
  const badKeys = new Map<number, string[]>();
  const outside = new Map<number, string[]>();
  const toDecode: { key: string; level: number }[] = [];
  for (const key of keys) {
    if (key === '.zgroup' || key === '.zattrs') continue;
    if (key === 'zarr.json' || key.endsWith('/zarr.json')) {
      extraErrors.push(`${key}: is Zarr v3 metadata; a session is Zarr v2 only, with no zarr.json anywhere (§6.1 #1).`);
      continue;
    }
    if (TEMPORARY_NAME.test(key)) {
      tmps.push(key);
      continue;
    }
    const slash = key.indexOf('/');
    const level = slash > 0 ? levelOf.get(key.slice(0, slash)) : undefined;
    if (level === undefined) {
      strays.push(key);
      continue;
    }
    const rest = key.slice(slash + 1);
    if (rest === '.zarray') continue;
    if (rest === '.zattrs') {
      strays.push(key);
      continue;
    }
    const z = zarrays[level];
    if (!isObject(z) || !Array.isArray(z.shape) || !Array.isArray(z.chunks)) continue; // reported by the validator
    const shape = z.shape as unknown[];
    const chunks = z.chunks as unknown[];
    const sep = z.dimension_separator === '/' ? '/' : '.';
    const parts = sep === '/' ? rest.split('/') : rest.includes('/') ? [] : rest.split('.');
    if (parts.length !== shape.length || !parts.every((s) => /^(0|[1-9]\d*)$/.test(s))) {
      push(badKeys, level, key);
      continue;
    }
    chunkFiles[level] = (chunkFiles[level] ?? 0) + 1;
    const inside = parts.every((s, i) => {
      const n = shape[i];
      const c = chunks[i];
      return typeof n === 'number' && typeof c === 'number' && c > 0 && Number(s) < Math.ceil(n / c);
    });
    if (!inside) push(outside, level, key);
    else if (options.decodeChunk) toDecode.push({ key, level });
  }
  if (options.decodeChunk) {
    const bad: string[] = [];
    try {
      for (const { key, level } of toDecode) {
        const z = zarrays[level] as { chunks: number[]; dtype: unknown; compressor: unknown };
        const item = typeof z.dtype === 'string' ? Number(z.dtype.slice(-1)) : Number.NaN;
        const expected = z.chunks.reduce((a, b) => a * b, 1) * item;
        const bytes = await store.get(key);
        if (bytes === undefined) continue; // removed since the listing
        if (bytes.length === 0) {
          bad.push(`${key} (empty file)`);
          continue;
        }
        try {
          const raw = await options.decodeChunk(bytes, z.compressor, expected);
          if (raw.length !== expected) bad.push(`${key} (decodes to ${raw.length} bytes, expected ${expected})`);
        } catch (e) {
          bad.push(`${key} (${why(e)})`);
        }
      }
    } catch (e) {
      return unreadable(`the store could not be read (${why(e)}).`, store);
    }
    if (bad.length) extraErrors.push(`${bad.length} chunk file(s) do not decode to the chunk size (§6.3): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}.`);
  }
  for (const [level, list] of badKeys) {
    extraErrors.push(`${paths[level] ?? level}/: ${list.length} file(s) are not well-formed chunk keys for this array (e.g. ${list.slice(0, 3).join(', ')}); keys are chunk indices joined by the array's dimension_separator (§3.4).`);
  }
  for (const [level, list] of outside) {
    const z = zarrays[level] as { shape: unknown[]; chunks: unknown[] };
    extraErrors.push(`${paths[level] ?? level}/: ${list.length} chunk key(s) lie outside the array (shape ${JSON.stringify(z.shape)}, chunks ${JSON.stringify(z.chunks)}), e.g. ${list.slice(0, 3).join(', ')}.`);
  }
  if (tmps.length) extraWarnings.push(`${tmps.length} stale temporary file(s) (${tmps.slice(0, 3).join(', ')}); readers ignore them and the writer removes them (§5.3).`);
  if (strays.length) extraWarnings.push(`${strays.length} file(s) that are not part of the session (${strays.slice(0, 3).join(', ')}); readers ignore them (§3.1).`);

  const errors = [...r.errors, ...extraErrors];
  return {
    valid: errors.length === 0,
    errors,
    warnings: [...r.warnings, ...extraWarnings],
    levels: r.levels,
    shape: r.shape,
    format_version: r.format_version,
    unreadable: false,
    chunk_files: chunkFiles,
  };
}

function push(map: Map<number, string[]>, k: number, v: string): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
