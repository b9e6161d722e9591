/**
 * The typed model of a session's metadata (spec `session-format.md` §3–§4): the Zarr v2
 * `.zarray` of each level, the OME-NGFF 0.4 `multiscales` and `omero` blocks, and the
 * `flamingo` key. Pure types; the builders are in `build.ts`, the parsers in `parse.ts`,
 * the validator in `validate.ts`.
 */

/** dtypes a session may hold (§3.3). `<u1` and `<f8` are never written. */
export type SessionDtype = '<u2' | '|u1' | '<f4';

/** The two axis sets of §3.2. */
export type AxesLayout = 'CZYX' | 'TCZYX';
export type AxisName = 't' | 'c' | 'z' | 'y' | 'x';

export interface OmeAxisJson {
  name: string;
  type?: string;
  unit?: string;
}

/** Default compressor (§3.3): `level` 1–22. */
export interface ZstdCompressor {
  id: 'zstd';
  level: number;
}

/** The allowed alternative: Blosc with zstd inside, every field given. */
export interface BloscZstdCompressor {
  id: 'blosc';
  cname: 'zstd';
  clevel: number;
  shuffle: 1 | 2;
  blocksize: 0;
}

export type SessionCompressor = ZstdCompressor | BloscZstdCompressor;

/** A session level's `.zarray`, all nine keys, in the order they are written. */
export interface SessionZarrayJson {
  zarr_format: 2;
  shape: number[];
  chunks: number[];
  dtype: SessionDtype;
  compressor: SessionCompressor;
  fill_value: 0;
  order: 'C';
  filters: null;
  dimension_separator: '/';
}

export type ScaleTransformJson = { type: 'scale'; scale: number[] };
export type TranslationTransformJson = { type: 'translation'; translation: number[] };

export interface DatasetJson {
  path: string;
  coordinateTransformations: [ScaleTransformJson, TranslationTransformJson];
}

export type Reduction = 'mean' | 'max';

export interface ReductionMetadataJson {
  description: string;
  method: 'flamingo-viv block reduction';
  version: '1';
  kwargs: {
    reduction: Reduction;
    factors: { y: 2; x: 2 };
    rounding?: 'half-up';
    partial_blocks: 'existing-voxels';
  };
}

export interface MultiscaleJson {
  version: '0.4';
  name: string;
  axes: OmeAxisJson[];
  datasets: DatasetJson[];
  type: Reduction;
  metadata: ReductionMetadataJson;
}

export interface OmeroWindowJson {
  min: number;
  max: number;
  start: number;
  end: number;
}

export interface OmeroChannelJson {
  label: string;
  color: string;
  active: boolean;
  coefficient: 1;
  family: 'linear';
  inverted: false;
  window: OmeroWindowJson;
}

export interface OmeroJson {
  version: '0.4';
  name: string;
  rdefs: { defaultT: 0; defaultZ: number; model: 'color' };
  channels: OmeroChannelJson[];
}

// ---- the flamingo key (§4) ----

export const SESSION_FORMAT = 'flamingo-viv.session';
/** The newest `format_version` this code reads and writes (§4.9). */
export const SESSION_FORMAT_VERSION = 1;

export type SessionStatus = 'acquiring' | 'interrupted' | 'complete';
export type ZOrigin = 'session' | 'stage';
export type Accumulation = 'maximum' | 'latest' | 'average' | 'additive';
export type SignedStageAxis = '+x' | '-x' | '+y' | '-y' | '+z' | '-z';
export type IlluminationSide = 'left' | 'right';
export type PlanKind = 'z-stack' | 'tile-scan' | 'time-lapse' | 'live' | 'import';
export type ConnectionKind = 'tcp' | 'simulator' | 'none';
export type Render3d = 'maximum-intensity' | 'minimum-intensity' | 'additive';

/** `[z, y, x]` in µm. */
export type Zyx = [number, number, number];

export interface WrittenBy {
  app: string;
  app_version: string;
  written_at: string;
}

export interface StageReference {
  x_mm: number;
  y_mm: number;
  z_mm: number;
  r_deg: number;
}

export interface FlamingoChannel {
  index: number;
  name: string;
  laser_nm: number | null;
  illumination_side: IlluminationSide | null;
  color: string;
  contrast: [number, number];
  visible: boolean;
}

export interface MicroscopeInfo {
  name: string;
  connection: ConnectionKind;
  address: string | null;
  orientation: { z: SignedStageAxis; y: SignedStageAxis; x: SignedStageAxis } | null;
}

export interface PlanSummary {
  kind: PlanKind;
  tiles: number | null;
  tile_overlap_percent: number | null;
  z_start_mm: number | null;
  z_end_mm: number | null;
  z_step_um: number | null;
  planes_per_stack: number | null;
  channels: number[];
  timepoints: number | null;
  interval_s: number | null;
}

export interface DroppedByReason {
  queue_full: number;
  out_of_bounds: number;
  invalid_frame: number;
}

export interface AcquisitionFacts {
  microscope: MicroscopeInfo;
  plan: PlanSummary;
  frames_expected: number | null;
  frames_received: number;
  frames_written: number;
  frames_dropped: number;
  dropped_by_reason: DroppedByReason;
}

export interface ViewerState {
  mode: '2d' | '3d';
  view_state: {
    target_um: { x: number; y: number; z: number };
    zoom: number;
    rotation_x_deg: number;
    rotation_orbit_deg: number;
  };
  selection: { z: number; t: number };
  render_3d: Render3d;
  channel_settings: { index: number; opacity: number; colormap: string | null }[];
}

/** One display transform (§4.6); unknown ops are kept as they are. */
export interface TransformEntry {
  op: string;
  params: Record<string, unknown>;
}

/** The whole `flamingo` key (§4.1). Unknown fields found on read are kept by `parseFlamingo`. */
export interface FlamingoAttrs {
  format: typeof SESSION_FORMAT;
  format_version: number;
  written_by: WrittenBy;
  name: string;
  description: string;
  status: SessionStatus;
  status_reason: string | null;
  created: string;
  updated: string;
  stage_reference: StageReference | null;
  voxel_size_um: { z: number; y: number; x: number };
  world_origin_um: Zyx;
  z_origin: ZOrigin;
  bounds_um: { min: Zyx; max: Zyx } | null;
  channels: FlamingoChannel[];
  acquisition: AcquisitionFacts;
  accumulation: Accumulation;
  viewer: ViewerState;
  transforms: TransformEntry[];
  legacy?: Record<string, unknown>;
  [unknownField: string]: unknown;
}

/** The whole `.zattrs` of a session, keys in written order. */
export interface SessionZattrsJson {
  multiscales: [MultiscaleJson];
  omero: OmeroJson;
  flamingo: FlamingoAttrs;
}

/** Outcome of a validation: `errors` and `warnings` name the file and JSON path. */
export interface ValidationResult {
  valid: boolean;
  errors: string[];
  warnings: string[];
}
