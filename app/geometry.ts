/**
 * The shell's geometry, as plain functions: the size of what is shown, and the conversion
 * between deck.gl view states and the session's stored camera (`flamingo.viewer.view_state`:
 * µm and log2 screen pixels per µm).
 *
 * World units: in 2D, level-0 pixels (what Viv's DetailView/OverviewView expect); in 3D, voxels
 * scaled by their size relative to the smallest axis (Viv's VolumeLayer convention).
 *
 * @example
 * const g = contentGeometry(content);
 * const stored = toStoredCamera({ target: [512, 512, 0], zoom: -1 }, unitUm(loader[0], false));
 */
import type { ViewerContent } from '../src/panels/types.ts';
import type { ViewerState } from '../src/session/metadata/types.ts';

export interface ContentGeometry {
  /** Level-0 size in voxels. */
  width: number;
  height: number;
  depth: number;
  channels: number;
  /** Level-0 voxel size in µm. */
  voxelUm: { x: number; y: number; z: number };
}

/** Geometry of a session or an image (axes found by name; a missing axis has size 1). */
export function contentGeometry(content: ViewerContent): ContentGeometry {
  if (content.kind === 'session') {
    const s = content.session;
    const [c = 1, z = 1, y = 1, x = 1] = s.levelShapes[0] ?? [];
    return { width: x, height: y, depth: z, channels: c, voxelUm: { ...s.voxelSizeUm } };
  }
  const img = content.image;
  const level = img.levels[0];
  const names = img.axes.map((a) => a.name.toLowerCase());
  const size = (n: string): number => {
    const i = names.indexOf(n);
    return i < 0 || level === undefined ? 1 : (level.shape[i] ?? 1);
  };
  const scale = (n: string): number => {
    const i = names.indexOf(n);
    const v = i < 0 || level === undefined ? 1 : (level.scale[i] ?? 1);
    return v > 0 && Number.isFinite(v) ? v : 1;
  };
  return {
    width: size('x'),
    height: size('y'),
    depth: size('z'),
    channels: img.channels.length,
    voxelUm: { x: scale('x'), y: scale('y'), z: scale('z') },
  };
}

/** A deck.gl view state as the shell keeps it (2D: `OrthographicView`, 3D: `OrbitView`). */
export interface DeckCamera {
  target: [number, number, number];
  zoom: number;
  rotationX?: number;
  rotationOrbit?: number;
}

export type StoredCamera = ViewerState['view_state'];

export const DETAIL = 'detail';
export const OVERVIEW = 'overview';
export const VOLUME = 'volume3d';

interface SizedSource {
  meta?: { physicalSizes?: Partial<Record<'x' | 'y' | 'z', { size: number }>> };
}

/**
 * µm per world unit: in 2D (Viv image layers) one level-0 pixel, `physicalSizes.x`; in 3D (Viv's
 * VolumeLayer) the smallest physical voxel size of the volume source. 1 when unknown.
 */
export function unitUm(source: unknown, use3d: boolean): number {
  const p = (source as SizedSource | null)?.meta?.physicalSizes;
  const ok = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!use3d) return ok(p?.x?.size) ? p.x.size : 1;
  const sizes = [p?.x?.size, p?.y?.size, p?.z?.size].filter(ok);
  return sizes.length === 3 ? Math.min(...sizes) : 1;
}

/** The stored camera (spec §4.5, µm and log2 screen pixels per µm) of a deck.gl view state. */
export function toStoredCamera(cam: DeckCamera, unit: number): StoredCamera {
  return {
    target_um: { x: cam.target[0] * unit, y: cam.target[1] * unit, z: cam.target[2] * unit },
    zoom: cam.zoom - Math.log2(unit),
    rotation_x_deg: cam.rotationX ?? 0,
    rotation_orbit_deg: cam.rotationOrbit ?? 0,
  };
}

/** The deck.gl view state of a stored camera (2D keeps target z at 0). */
export function fromStoredCamera(s: StoredCamera, unit: number, use3d: boolean): DeckCamera {
  const cam: DeckCamera = {
    target: [s.target_um.x / unit, s.target_um.y / unit, use3d ? s.target_um.z / unit : 0],
    zoom: s.zoom + Math.log2(unit),
  };
  if (use3d) {
    cam.rotationX = s.rotation_x_deg;
    cam.rotationOrbit = s.rotation_orbit_deg;
  }
  return cam;
}

/** `RRGGBB` (or `#RRGGBB`) as `[r, g, b]`; white for anything else. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (m === null) return [255, 255, 255];
  const n = parseInt(m[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
