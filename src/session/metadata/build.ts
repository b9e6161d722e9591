/**
 * Builders of a session's exact JSON (spec §3.3, §3.7, §3.8, §4, examples §9): `.zgroup`,
 * each level's `.zarray` and the `.zattrs`, as objects and as UTF-8 bytes (2-space indent).
 *
 * @example
 * const layout = sessionLayout(init);
 * let flamingo = initialFlamingo(layout, { app_version: '0.1.0', now: new Date().toISOString(), microscope, plan });
 * await store.set('.zgroup', ZGROUP_BYTES);
 * for (let l = 0; l < layout.levels.length; l++) await store.set(`${l}/.zarray`, zarrayBytes(layout, l));
 * await store.set('.zattrs', zattrsBytes(layout, flamingo));
 * // … at each flush point:
 * flamingo = { ...flamingo, acquisition: { ...flamingo.acquisition, frames_written: 128 }, updated: now };
 * await store.set('.zattrs', zattrsBytes(layout, flamingo));
 */

import type { FrameMeta } from '../../acquisition/connector.ts';
import { MetadataError } from './errors.ts';
import { jsonBytes } from './json.ts';
import { dtypeRange } from './layout.ts';
import type { SessionLayout } from './layout.ts';
import {
  SESSION_FORMAT,
  SESSION_FORMAT_VERSION,
} from './types.ts';
import type {
  AcquisitionFacts,
  IlluminationSide,
  Accumulation,
  FlamingoAttrs,
  MicroscopeInfo,
  MultiscaleJson,
  OmeAxisJson,
  OmeroJson,
  PlanSummary,
  ReductionMetadataJson,
  SessionZarrayJson,
  SessionZattrsJson,
  StageReference,
} from './types.ts';

/** The root `.zgroup`. */
export const ZGROUP_JSON: Readonly<{ zarr_format: 2 }> = Object.freeze({ zarr_format: 2 });
export const ZGROUP_BYTES: Uint8Array = jsonBytes(ZGROUP_JSON, '.zgroup');

/** The app name written in `flamingo.written_by.app`. */
export const APP_NAME = 'flamingo-viv';

/** Axes of §3.2 for a layout. */
export function axesJson(layout: SessionLayout): OmeAxisJson[] {
  return layout.axes.map((name): OmeAxisJson => {
    if (name === 't') return { name, type: 'time', unit: 'second' };
    if (name === 'c') return { name, type: 'channel' };
    return { name, type: 'space', unit: 'micrometer' };
  });
}

/** `multiscales[0].metadata` of §3.5. */
export function reductionMetadata(reduction: 'mean' | 'max'): ReductionMetadataJson {
  if (reduction === 'max') {
    return {
      description: '2x2 block maximum in y and x per level; c and z are not reduced',
      method: 'flamingo-viv block reduction',
      version: '1',
      kwargs: { reduction: 'max', factors: { y: 2, x: 2 }, partial_blocks: 'existing-voxels' },
    };
  }
  return {
    description: '2x2 block mean in y and x per level; c and z are not reduced',
    method: 'flamingo-viv block reduction',
    version: '1',
    kwargs: { reduction: 'mean', factors: { y: 2, x: 2 }, rounding: 'half-up', partial_blocks: 'existing-voxels' },
  };
}

/** The one `multiscales` entry (§3.7). `name` defaults to the layout's. */
export function multiscaleJson(layout: SessionLayout, name = layout.name): MultiscaleJson {
  return {
    version: '0.4',
    name,
    axes: axesJson(layout),
    datasets: layout.levels.map((l) => ({
      path: l.path,
      coordinateTransformations: [
        { type: 'scale', scale: [...l.scale] },
        { type: 'translation', translation: [...l.translation] },
      ],
    })),
    type: layout.reduction,
    metadata: reductionMetadata(layout.reduction),
  };
}

export interface OmeroOptions {
  /**
   * `<f4` only: the observed data range `[min, max]` per channel (`window.min/max`, §3.8),
   * updated at every flush. Default: the channel's contrast.
   */
  dataRanges?: readonly (readonly [number, number] | undefined)[];
}

/** `omero` (§3.8), from the `flamingo.channels` (name, colour, contrast, visibility). */
export function omeroJson(layout: SessionLayout, flamingo: Pick<FlamingoAttrs, 'name' | 'channels'>, options: OmeroOptions = {}): OmeroJson {
  const range = dtypeRange(layout.dtype);
  const zSize = layout.levels[0]?.shape[layout.axes.indexOf('z')] ?? 1;
  return {
    version: '0.4',
    name: flamingo.name,
    rdefs: { defaultT: 0, defaultZ: Math.floor(zSize / 2), model: 'color' },
    channels: flamingo.channels.map((ch, i) => {
      const data = range ?? options.dataRanges?.[i] ?? ch.contrast;
      return {
        label: ch.name,
        color: ch.color,
        active: ch.visible,
        coefficient: 1,
        family: 'linear',
        inverted: false,
        window: { min: data[0], max: data[1], start: ch.contrast[0], end: ch.contrast[1] },
      };
    }),
  };
}

/** A level's `.zarray` (§3.3, §9.4). */
export function zarrayJson(layout: SessionLayout, level: number): SessionZarrayJson {
  const geometry = layout.levels[level];
  if (!geometry) throw new MetadataError('bad-layout', `${level}/.zarray`, `Level ${level} does not exist; the session has ${layout.levels.length} levels.`);
  return {
    zarr_format: 2,
    shape: [...geometry.shape],
    chunks: [...layout.chunks],
    dtype: layout.dtype,
    compressor: { ...layout.compressor },
    fill_value: 0,
    order: 'C',
    filters: null,
    dimension_separator: '/',
  };
}

export function zarrayBytes(layout: SessionLayout, level: number): Uint8Array {
  return jsonBytes(zarrayJson(layout, level), `${level}/.zarray`);
}

/**
 * The whole `.zattrs` (§3.7, §3.8, §4): `multiscales` from the layout, `omero` from
 * `flamingo.channels`, and `flamingo` as given except that `voxel_size_um`,
 * `world_origin_um` and `z_origin` are taken from the layout (so they always agree with
 * the transforms). Throws `bad-layout` when `flamingo.channels` does not match the c axis.
 */
export function zattrsJson(layout: SessionLayout, flamingo: FlamingoAttrs, options: OmeroOptions = {}): SessionZattrsJson {
  const cSize = layout.levels[0]?.shape[layout.axes.indexOf('c')];
  if (flamingo.channels.length !== cSize) {
    throw new MetadataError('bad-layout', 'flamingo.channels', `flamingo.channels has ${flamingo.channels.length} entries but the c axis has size ${String(cSize)}.`);
  }
  const out: FlamingoAttrs = { ...flamingo };
  out.voxel_size_um = { ...layout.voxelSizeUm };
  out.world_origin_um = [...layout.worldOriginUm];
  out.z_origin = layout.zOrigin;
  return {
    multiscales: [multiscaleJson(layout, flamingo.name)],
    omero: omeroJson(layout, flamingo, options),
    flamingo: out,
  };
}

export function zattrsBytes(layout: SessionLayout, flamingo: FlamingoAttrs, options: OmeroOptions = {}): Uint8Array {
  return jsonBytes(zattrsJson(layout, flamingo, options), '.zattrs');
}

/** The plan summary of a session made from existing data (an import, a transform): no stage plan, channels 0…n−1. */
export function importPlanSummary(channels: number): PlanSummary {
  return {
    kind: 'import',
    tiles: null,
    tile_overlap_percent: null,
    z_start_mm: null,
    z_end_mm: null,
    z_step_um: null,
    planes_per_stack: null,
    channels: Array.from({ length: channels }, (_, i) => i),
    timepoints: null,
    interval_s: null,
  };
}

/**
 * The frame metadata of plane `z` of channel `c` of existing data (an import, a transform): no
 * stage, one stack per channel; `light` says which laser and side the channel had, when known.
 */
export function existingPlaneMeta(c: number, z: number, zCount: number, frameNumber: number, light: { laser: number; wavelengthNm: number | null; side: IlluminationSide } = { laser: 0, wavelengthNm: null, side: 'left' }): FrameMeta {
  return {
    channel: c,
    channelIndex: c,
    ...light,
    zIndex: z,
    zCount,
    stage: { xMm: 0, yMm: 0, zMm: 0, rDeg: 0 },
    tileIndex: 0,
    timepoint: 0,
    stackIndex: c,
    frameNumber,
    receivedAtMs: Date.now(),
    receivedMonotonicMs: performance.now(),
  };
}

export interface InitialFlamingoInfo {
  /** The app's semver, for `written_by.app_version`. */
  app_version: string;
  /** ISO 8601 UTC with milliseconds and `Z` (`new Date().toISOString()`): `created`, `updated`, `written_at`. */
  now: string;
  description?: string;
  stage_reference?: StageReference | null;
  microscope: MicroscopeInfo;
  plan: PlanSummary;
  frames_expected?: number | null;
  accumulation?: Accumulation;
}

/**
 * The `flamingo` key of a new session (§5.2): status `acquiring`, counters 0, `bounds_um`
 * null, channels from the layout, a 2D viewer centred on the volume, no transforms.
 */
export function initialFlamingo(layout: SessionLayout, info: InitialFlamingoInfo): FlamingoAttrs {
  const shape0 = layout.levels[0]?.shape ?? [];
  const n = (a: 'z' | 'y' | 'x'): number => shape0[layout.axes.indexOf(a)] ?? 1;
  const [tz, ty, tx] = layout.worldOriginUm;
  const v = layout.voxelSizeUm;
  const acquisition: AcquisitionFacts = {
    microscope: info.microscope,
    plan: info.plan,
    frames_expected: info.frames_expected ?? null,
    frames_received: 0,
    frames_written: 0,
    frames_dropped: 0,
    dropped_by_reason: { queue_full: 0, out_of_bounds: 0, invalid_frame: 0 },
  };
  return {
    format: SESSION_FORMAT,
    format_version: SESSION_FORMAT_VERSION,
    written_by: { app: APP_NAME, app_version: info.app_version, written_at: info.now },
    name: layout.name,
    description: info.description ?? '',
    status: 'acquiring',
    status_reason: null,
    created: info.now,
    updated: info.now,
    stage_reference: info.stage_reference ?? null,
    voxel_size_um: { ...v },
    world_origin_um: [tz, ty, tx],
    z_origin: layout.zOrigin,
    bounds_um: null,
    channels: layout.channels.map((ch, index) => ({
      index,
      name: ch.name,
      laser_nm: ch.laser_nm,
      illumination_side: ch.illumination_side,
      color: ch.color,
      contrast: [ch.contrast[0], ch.contrast[1]],
      visible: ch.visible,
    })),
    acquisition,
    accumulation: info.accumulation ?? 'maximum',
    viewer: {
      mode: '2d',
      view_state: {
        target_um: { x: tx + ((n('x') - 1) / 2) * v.x, y: ty + ((n('y') - 1) / 2) * v.y, z: tz + ((n('z') - 1) / 2) * v.z },
        zoom: 0,
        rotation_x_deg: 0,
        rotation_orbit_deg: 0,
      },
      selection: { z: Math.floor(n('z') / 2), t: 0 },
      render_3d: 'maximum-intensity',
      channel_settings: layout.channels.map((_, index) => ({ index, opacity: 1, colormap: null })),
    },
    transforms: [],
  };
}
