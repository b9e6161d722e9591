/**
 * Converts a py2flamingo 3D session (spec §8; Zarr v2 or v3 layout) into a new flamingo-viv
 * session (Node). The legacy folder is opened read-only with the readers (`openPath`), level 0
 * is read one z block of chunks at a time per channel and fed plane by plane through the
 * streaming session writer (all-zero chunks are not written; the pyramid is built as the slabs
 * complete), then the final `.zattrs` gets what §8.3 asks and the writer does not know: the
 * legacy metadata under `flamingo.legacy`, `bounds_um` from the legacy bounds, `visible` from
 * the data (a channel with a non-zero voxel), and frame counters 0 (an import acquires nothing).
 * The output folder is never an existing one (`uniqueSessionPath`).
 *
 * @example
 * const r = await importLegacySession({ source: '/data/demo_20261126_040647.zarr', out: '/data/demo.ome.zarr' });
 * r.path; // '/data/demo.ome.zarr' (or with a UTC timestamp appended when that exists)
 */
import path from 'node:path';
import { TaggedError } from '../tagged-error.ts';
import pkg from '../../package.json' with { type: 'json' };
import { ZGROUP_JSON, jsonBytes, sessionLayout, validateSessionMetadata, zarrayJson, zattrsJson } from './metadata/index.ts';
import type { ChannelInit, FlamingoAttrs, IlluminationSide, SessionLayoutInit, StageReference, Zyx } from './metadata/index.ts';
import { existingPlaneMeta, importPlanSummary } from './metadata/build.ts';
import type { ImageDescription, LegacyInfo } from './read/description.ts';
import { openPath } from './read/open-file.node.ts';
import { FsStore } from './store/fs-store.ts';
import { createNodeSessionWriter, uniqueSessionPath } from './writer/index.node.ts';
import type { FramePlacement, SessionWriter, WriterFrame } from './writer/writer.ts';

export type ImportErrorCode = 'not-legacy' | 'unsupported' | 'failed';

/** An import that could not be done: one sentence naming the folder and the reason. */
export class ImportError extends TaggedError<ImportErrorCode> {
  override readonly name = 'ImportError';
}

export interface ImportProgress {
  planesDone: number;
  planesTotal: number;
}

export interface ImportLegacyOptions {
  /** The py2flamingo session folder (`<name>_<YYYYmmdd_HHMMSS>.zarr`); never modified. */
  source: string;
  /** The session to create (`PATH.ome.zarr`); when it exists a UTC timestamp is appended. */
  out: string;
  /** Encoder worker threads (default 2; 0 encodes on the calling thread). */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportedChannel {
  index: number;
  name: string;
  /** Whether the channel holds any non-zero voxel (§8.3). */
  visible: boolean;
}

export interface ImportLegacyResult {
  /** The session folder written. */
  path: string;
  /** The legacy folder, resolved. */
  source: string;
  channels: ImportedChannel[];
  /** Level-0 shape `[c, z, y, x]`. */
  shape: number[];
  levels: number;
  /** Planes (one per channel and z) that went through the writer and are on disk. */
  framesWritten: number;
  seconds: number;
  /** Things that did not stop the import (undecodable legacy chunks read as 0, a timestamp that could not be read, …). */
  warnings: string[];
}

/** Slots 0–3: left light sheet 405/488/561/640 nm; 4–7: the same from the right; 8: LED (§8.1). */
const SLOT_LASERS = [405, 488, 561, 640];

function slotLight(slot: number): { laser_nm: number | null; illumination_side: IlluminationSide | null } {
  if (slot < 8) return { laser_nm: SLOT_LASERS[slot % 4]!, illumination_side: slot < 4 ? 'left' : 'right' };
  return { laser_nm: null, illumination_side: null };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `YYYY-mm-dd HH:MM:SS` in the importing computer's time zone, as ISO UTC; null when it is not that form. */
export function legacyTimestampToIso(ts: unknown): string | null {
  if (typeof ts !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(ts.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const date = new Date(y, mo - 1, d, h, mi, s, ms);
  if (Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return date.toISOString();
}

/** What a non-legacy input is, for the refusal message. */
function whatItIs(image: ImageDescription): string {
  switch (image.source) {
    case 'flamingo-session':
      return 'already a flamingo-viv session';
    case 'ome-ngff-0.4':
      return 'an OME-NGFF 0.4 image (Zarr v2), not a py2flamingo session';
    case 'ome-ngff-0.5':
      return 'an OME-NGFF 0.5 image (Zarr v3), not a py2flamingo session';
    case 'ome-tiff':
      return 'an OME-TIFF file, not a py2flamingo session';
    case 'tiff':
      return 'a TIFF file, not a py2flamingo session';
    case 'npy':
      return 'a NumPy .npy file, not a py2flamingo session';
    default:
      return `a ${String(image.source)} image, not a py2flamingo session`;
  }
}

/** Channel names unique and non-empty, as the layout requires; a repeated name gets ` (slot i)`. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    let name = n.trim() === '' ? `Channel ${i}` : n;
    if (seen.has(name)) name = `${name} (slot ${i})`;
    seen.add(name);
    return name;
  });
}

function sessionName(sm: Record<string, unknown>, legacy: LegacyInfo): string {
  const typed = typeof sm.session_name === 'string' ? sm.session_name.trim() : '';
  const name = typed !== '' ? typed : legacy.folder_name.replace(/\.zarr$/i, '') || 'py2flamingo import';
  return [...name].slice(0, 200).join('');
}

function stageReference(v: unknown): StageReference | null {
  if (!isObject(v) || !finite(v.x) || !finite(v.y) || !finite(v.z) || !finite(v.r)) return null;
  return { x_mm: v.x, y_mm: v.y, z_mm: v.z, r_deg: v.r };
}

/** §8.3: `bounds_um` from `data_bounds_min_um` / `data_bounds_max_um`; null if any value is not finite (or min > max). */
function legacyBounds(sm: Record<string, unknown>): { min: Zyx; max: Zyx } | null {
  const lo = sm.data_bounds_min_um;
  const hi = sm.data_bounds_max_um;
  if (!Array.isArray(lo) || !Array.isArray(hi) || lo.length !== 3 || hi.length !== 3) return null;
  if (!lo.every(finite) || !hi.every(finite)) return null;
  if (lo.some((v, i) => v > (hi[i] as number))) return null;
  return { min: [lo[0]!, lo[1]!, lo[2]!], max: [hi[0]!, hi[1]!, hi[2]!] };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

export async function importLegacySession(o: ImportLegacyOptions): Promise<ImportLegacyResult> {
  const started = performance.now();
  const source = path.resolve(o.source);
  const warnings: string[] = [];
  const image = await openPath(source, o.signal ? { signal: o.signal } : {});
  if (image.source !== 'py2flamingo' || !image.legacy) {
    throw new ImportError('not-legacy', `${source} is ${whatItIs(image)}; import takes a py2flamingo session folder (.zarr with session_metadata).`);
  }
  const legacy = image.legacy;
  const sm = legacy.session_metadata;
  const l0 = image.levels[0];
  if (!l0 || l0.shape.length !== 4) throw new ImportError('unsupported', `py2flamingo session ${source} has no [c, z, y, x] level 0.`);
  if (l0.dtype !== 'uint16' && l0.dtype !== 'uint8') {
    throw new ImportError('unsupported', `py2flamingo session ${source} holds ${l0.dtype} data; a legacy session holds uint16 or uint8.`);
  }
  const eightBit = l0.dtype === 'uint8';
  if (eightBit) {
    // §8.3: uint8 keeps its values (`|u1`, windows 0–255); py2flamingo rescaled them when it saved.
    warnings.push(`py2flamingo session ${source} holds 8-bit ("Memory Efficient") data: the values are kept as uint8 (windows 0–255), but the original camera scale was lost when py2flamingo rescaled them.`);
  }
  const [C, Z, Y, X] = l0.shape as [number, number, number, number];
  const names = uniqueNames(image.channels.map((ch) => ch.name));
  const channels: ChannelInit[] = image.channels.map((ch, i) => ({
    name: names[i]!,
    color: ch.color,
    ...slotLight(i),
    contrast: [ch.window.start, ch.window.end],
    visible: true,
  }));
  const created = legacyTimestampToIso(sm.timestamp);
  if (created === null) warnings.push(`The legacy timestamp ${JSON.stringify(sm.timestamp)} is not "YYYY-mm-dd HH:MM:SS"; the session's creation time is the import time.`);
  const plan = importPlanSummary(channels.length);

  const out = await uniqueSessionPath(path.dirname(path.resolve(o.out)), path.basename(o.out).replace(/\.ome\.zarr$/i, ''));
  const layout: SessionLayoutInit = {
    name: sessionName(sm, legacy),
    dtype: eightBit ? '|u1' : '<u2',
    shape: [C, Z, Y, X],
    voxel_size_um: { z: l0.scale[1]!, y: l0.scale[2]!, x: l0.scale[3]! },
    world_origin_um: [l0.translation[1]!, l0.translation[2]!, l0.translation[3]!],
    channels,
  };
  // Geometry problems are reported before the output folder exists.
  try {
    sessionLayout(layout);
  } catch (err) {
    throw new ImportError('unsupported', `py2flamingo session ${source} cannot be laid out as a session: ${message(err).replace(/\.$/, '')}.`, { cause: err });
  }
  const placement = new WeakMap<WriterFrame, FramePlacement>();
  const writer: SessionWriter = await createNodeSessionWriter({
    path: out,
    threads: o.threads ?? 2,
    layout,
    info: {
      app_version: pkg.version,
      ...(created ? { now: created } : {}),
      description: typeof sm.description === 'string' ? sm.description : '',
      microscope: { name: 'py2flamingo import', connection: 'none', address: null, orientation: null },
      plan,
      frames_expected: null,
      stage_reference: stageReference(sm.reference_stage_position),
    },
    accumulation: 'maximum',
    framesPerPlane: 1,
    // Planes arrive slab after slab, channel after channel: one open slab per channel is enough.
    mode: 'streaming',
    slabsPerChannel: 1,
    queueBytes: Math.max(64 * 2 ** 20, 2 * Y * X * (eightBit ? 1 : 2)),
    place: (f) => placement.get(f) ?? { channel: -1, z: -1, y: 0, x: 0 },
  });

  // Copy: one z block of legacy chunks per channel at a time (each chunk decoded once), every
  // plane of it handed to the writer; a plane with data marks its channel visible.
  const nonZero = new Array<boolean>(C).fill(false);
  const planeVoxels = Y * X;
  const chunkZ = Math.max(1, l0.chunks[1] ?? 64);
  const zBlock = chunkZ * planeVoxels * 2 <= 256 * 2 ** 20 ? chunkZ : 1;
  const total = C * Z;
  let frameNumber = 0;
  try {
    for (let c = 0; c < C; c++) {
      for (let z0 = 0; z0 < Z; z0 += zBlock) {
        if (o.signal?.aborted) throw new ImportError('failed', `The import of ${source} was stopped.`);
        const z1 = Math.min(Z, z0 + zBlock);
        const block = await l0.readRegion({ start: [c, z0, 0, 0], stop: [c + 1, z1, Y, X] }, o.signal ? { signal: o.signal } : {});
        const data = block.data as Uint16Array | Uint8Array;
        for (let z = z0; z < z1; z++) {
          const pixels = data.subarray((z - z0) * planeVoxels, (z - z0 + 1) * planeVoxels);
          if (!nonZero[c]) nonZero[c] = pixels.some((v) => v !== 0);
          const frame: WriterFrame = { pixels, width: X, height: Y, meta: existingPlaneMeta(c, z, Z, frameNumber++, lightOf(channels[c]!)) };
          placement.set(frame, { channel: c, z, y: 0, x: 0 });
          if ((await writer.write(frame)) === 'dropped') throw new ImportError('failed', `The session writer dropped plane ${z} of channel ${c}.`);
        }
        o.onProgress?.({ planesDone: c * Z + z1, planesTotal: total });
      }
    }
  } catch (err) {
    await writer.abort(`the import failed: ${message(err)}`).catch(() => undefined);
    if (err instanceof ImportError) throw new ImportError(err.code, `${err.message.replace(/\.$/, '')}; the partial session ${out} is marked interrupted.`, { cause: err });
    throw new ImportError('failed', `Importing ${source} failed (${message(err).replace(/\.$/, '')}); the partial session ${out} is marked interrupted.`, { cause: err });
  }
  const summary = await writer.finalize();
  if (summary.status !== 'complete' || summary.framesWritten !== total) {
    throw new ImportError('failed', `Writing ${out} did not complete (${summary.statusReason ?? `${summary.framesWritten} of ${total} planes written`}${summary.errors.length ? `: ${summary.errors.join(' ')}` : ''}).`);
  }
  for (const w of image.warnings) if (w.code === 'bad-chunk') warnings.push(w.message);

  await finishMetadata(out, writer, nonZero, legacyBounds(sm), legacy);
  return {
    path: out,
    source,
    channels: names.map((name, index) => ({ index, name, visible: nonZero[index]! })),
    shape: summary.shape,
    levels: summary.levels,
    framesWritten: summary.framesWritten,
    seconds: (performance.now() - started) / 1000,
    warnings,
  };
}

/** The laser slot and side of a legacy channel, as its frames carry them. */
function lightOf(ch: ChannelInit): { laser: number; wavelengthNm: number | null; side: IlluminationSide } {
  return { laser: ch.laser_nm == null ? 0 : SLOT_LASERS.indexOf(ch.laser_nm) + 1, wavelengthNm: ch.laser_nm ?? null, side: ch.illumination_side ?? 'left' };
}

/**
 * Rewrites the finalized `.zattrs` with the §8.3 fields the writer has no option for, built and
 * validated (§6.3) like every writer `.zattrs`, written atomically. On a failure the writer's
 * valid `.zattrs` stays and the error says what is missing.
 */
async function finishMetadata(out: string, writer: SessionWriter, nonZero: boolean[], bounds: FlamingoAttrs['bounds_um'], legacy: LegacyInfo): Promise<void> {
  const store = new FsStore(out);
  const layout = writer.layout;
  const fail = (why: string): ImportError =>
    new ImportError('failed', `The data of ${out} are complete but its .zattrs could not receive the py2flamingo metadata (flamingo.legacy): ${why.replace(/\.$/, '')}.`);
  const bytes = await store.get('.zattrs');
  if (!bytes) throw fail('.zattrs is missing');
  const attrs = JSON.parse(new TextDecoder().decode(bytes)) as { flamingo?: FlamingoAttrs };
  const written = attrs.flamingo;
  if (!written) throw fail('.zattrs has no flamingo key');
  const now = new Date().toISOString();
  const flamingo: FlamingoAttrs = {
    ...written,
    updated: now < written.created ? written.created : now,
    written_by: { ...written.written_by, written_at: now },
    channels: written.channels.map((ch, i) => ({ ...ch, visible: nonZero[i] ?? false })),
    bounds_um: bounds,
    acquisition: {
      ...written.acquisition,
      frames_expected: null,
      frames_received: 0,
      frames_written: 0,
      frames_dropped: 0,
      dropped_by_reason: { queue_full: 0, out_of_bounds: 0, invalid_frame: 0 },
    },
    legacy: { ...legacy },
  };
  const zattrs = zattrsJson(layout, flamingo);
  const check = validateSessionMetadata({ zgroup: ZGROUP_JSON, zattrs, zarrays: layout.levels.map((_, l) => zarrayJson(layout, l)) }, { requireFlamingo: true });
  if (!check.valid) throw fail(check.errors.join(' '));
  await store.set('.zattrs', jsonBytes(zattrs, '.zattrs'));
}
