/**
 * The one in-memory description every reader produces (spec §7): a flamingo-viv session, a
 * foreign OME-NGFF 0.4 (Zarr v2) or 0.5 (Zarr v3) image, a py2flamingo legacy session, a TIFF or
 * an `.npy` file all open into an `ImageDescription`, which the layers use without knowing where
 * the data came from.
 *
 * Levels read chunks on demand. A missing chunk reads as the fill value; a chunk that cannot be
 * decoded reads as the fill value too and is reported once, by key, through `warnings` and the
 * `onWarning` callback given to the opener (§3.4). Every read honours an `AbortSignal`.
 *
 * @example
 * const image = await openImage(store);
 * const plane = await image.levels[0]!.readRegion({ start: [0, 10, 0, 0], stop: [1, 11, 130, 100] });
 * plane.data; // Uint16Array of 130 × 100 values
 */

import { TaggedError } from '../../tagged-error.ts';
import type { FlamingoAttrs } from '../metadata/types.ts';

/** Element types a description can hold (`float64` data are converted to float32 on read). */
export type DataType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';

export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** Where a description came from. */
export type ImageSource = 'flamingo-session' | 'ome-ngff-0.4' | 'ome-ngff-0.5' | 'py2flamingo' | 'ome-tiff' | 'tiff' | 'npy';

export interface AxisDescription {
  name: string;
  /** `time`, `channel`, `space`, or absent when the source does not say. */
  type?: string;
  unit?: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** A block of pixels in C order with its shape (one entry per axis). */
export interface PixelBlock {
  data: PixelArray;
  shape: number[];
}

/** A box of voxels: `start` inclusive, `stop` exclusive, one entry per axis. */
export interface Region {
  start: number[];
  stop: number[];
}

export interface LevelDescription {
  /** The level's key in its store (`"0"`, `"s1"`), or a label such as `"npy"`. */
  readonly path: string;
  readonly shape: readonly number[];
  /** The chunk shape `getChunk` returns; edge chunks are returned at full size, padded with `fillValue`. */
  readonly chunks: readonly number[];
  readonly dtype: DataType;
  readonly fillValue: number;
  /** Physical size of one voxel per axis (per-dataset then multiscale-level transforms applied). */
  readonly scale: readonly number[];
  /** Physical coordinate of voxel 0's centre per axis. */
  readonly translation: readonly number[];
  /** One chunk by its index per axis (a fresh array the caller may change); a missing or undecodable chunk is all fill. */
  getChunk(index: readonly number[], options?: ReadOptions): Promise<PixelBlock>;
  /** Any box inside `shape`; voxels of missing or undecodable chunks are the fill value. */
  readRegion(region: Region, options?: ReadOptions): Promise<PixelBlock>;
}

export interface ChannelDescription {
  index: number;
  name: string;
  /** `RRGGBB`, upper case, no `#`. */
  color: string;
  /** `min`/`max`: data range; `start`/`end`: display range. */
  window: { min: number; max: number; start: number; end: number };
  visible: boolean;
}

/** A problem that did not stop reading: a bad chunk, a metadata inconsistency, an assumption. */
export interface ReadWarning {
  code: ReadWarningCode;
  /** The store key or file member concerned, when there is one. */
  key?: string;
  message: string;
}

export type ReadWarningCode =
  | 'bad-chunk' // a chunk could not be decoded and reads as fill (§3.4)
  | 'metadata' // metadata inconsistent or assumed (§4.8, §7.2)
  | 'converted' // data converted on read (float64 → float32)
  | 'unknown-size' // no voxel size in the file; 1 µm assumed (§7.5, §7.6)
  | 'trailing-bytes'; // a file longer than its data (§7.6)

export interface ImageDescription {
  readonly source: ImageSource;
  /** What was opened, for messages (a folder path, a file name). */
  readonly location: string;
  readonly name: string;
  readonly axes: readonly AxisDescription[];
  /** Highest resolution first. */
  readonly levels: readonly LevelDescription[];
  /** One per index of the channel axis (one channel when there is no channel axis). */
  readonly channels: readonly ChannelDescription[];
  /** The `flamingo` key of a flamingo-viv session (version-gated, unknown fields kept). */
  readonly flamingo?: FlamingoAttrs;
  /** For a py2flamingo session: the object to keep under `flamingo.legacy` (§8.3). */
  readonly legacy?: LegacyInfo;
  /** Warnings so far; bad chunks met later while reading are appended. */
  readonly warnings: ReadWarning[];
  /** The group attributes as read (`.zattrs`, or `attributes.ome` of a 0.5 image), when any. */
  readonly attributes?: Record<string, unknown>;
}

/** §8.3: what an import keeps verbatim in `flamingo.legacy`. */
export interface LegacyInfo {
  source: 'py2flamingo';
  zarr_format: 2 | 3;
  folder_name: string;
  dtype: '<u2' | '|u1';
  display_shape_zyx: [number, number, number];
  /** All keys exactly as read; non-finite numbers stored as `"Infinity"`, `"-Infinity"`, `"NaN"`. */
  session_metadata: Record<string, unknown>;
}

export interface OpenOptions extends ReadOptions {
  /** Called for each warning, as it happens (also appended to `warnings`). */
  onWarning?: (warning: ReadWarning) => void;
  /** For a 0.5 hierarchy with `bioformats2raw.layout`: the series to open (default 0). */
  series?: number;
  /** The app version for the §4.9 refusal message. */
  appVersion?: string;
  /** A zstd decoder to use instead of numcodecs' WebAssembly one (`openPath` passes native zstd in Node). */
  zstd?: { decode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> };
  /** Bytes of decoded chunks kept for re-use across all levels (default 64 MiB; 0: none). */
  cacheBytes?: number;
}

export type ReadErrorCode =
  | 'not-found' // no file, or no member that makes it an image
  | 'not-recognised' // a folder or file of no kind this reader knows (§7.1)
  | 'unsupported' // a known kind this reader refuses (2D overviews, multi-file OME-TIFF, a codec, a version)
  | 'newer-format' // flamingo.format_version newer than this code (§4.9)
  | 'bad-json' // metadata that is not JSON (or not the JSON object expected)
  | 'bad-metadata' // metadata JSON with a missing, mistyped or impossible value
  | 'unknown-codec' // a compressor, filter or codec this reader cannot decode
  | 'unknown-dtype' // an element type this reader cannot read
  | 'bad-file' // a TIFF or NPY file whose structure is broken
  | 'truncated'; // a file shorter than its header says

/** Every reader failure: one sentence naming the file or key, the value and what was expected. */
export class ReadError extends TaggedError<ReadErrorCode> {
  override readonly name = 'ReadError';
  /** The store key, file or JSON path concerned. */
  readonly key: string;

  constructor(code: ReadErrorCode, key: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.key = key;
  }
}

export function isReadError(err: unknown, code?: ReadErrorCode): err is ReadError {
  return err instanceof ReadError && (code === undefined || err.code === code);
}

/** Collects warnings into a list and forwards each to an optional callback; a bad chunk is reported once per key. */
export class WarningSink {
  readonly list: ReadWarning[] = [];
  private readonly seen = new Set<string>();
  private readonly onWarning: ((w: ReadWarning) => void) | undefined;

  constructor(onWarning?: (w: ReadWarning) => void) {
    this.onWarning = onWarning;
  }

  add(code: ReadWarningCode, message: string, key?: string): void {
    const id = code === 'bad-chunk' ? `${code}\u0000${key ?? message}` : `${code}\u0000${key ?? ''}\u0000${message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const w: ReadWarning = key === undefined ? { code, message } : { code, key, message };
    this.list.push(w);
    this.onWarning?.(w);
  }
}
