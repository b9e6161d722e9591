/**
 * The shapes the layers hand to Viv, written out structurally so the library needs no import
 * of Viv's internal `@vivjs/types` package: a `LivePixelSource` is assignable to Viv's
 * `PixelSource<['c', 'z', 'y', 'x']>`, and `VivDtype` is one of Viv's `DTYPE_VALUES` keys.
 *
 * @example
 * const source: LivePixelSource = image.loaders()[0]!;
 * const { data, width, height } = await source.getTile({ x: 0, y: 0, selection: { c: 0, z: 3 } });
 */
import type { LiveSessionInfo } from '../acquisition/live-backend.ts';
import type { DataType } from '../session/read/description.ts';

export type VivDtype = 'Uint8' | 'Int8' | 'Uint16' | 'Int16' | 'Uint32' | 'Int32' | 'Float32';

export type Selection = { c: number; z: number };

/** The typed arrays Viv takes (over a plain `ArrayBuffer`, never shared memory). */
export type VivTypedArray =
  | Uint8Array<ArrayBuffer>
  | Int8Array<ArrayBuffer>
  | Uint16Array<ArrayBuffer>
  | Int16Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | Float32Array<ArrayBuffer>;

export interface PixelData {
  data: VivTypedArray;
  width: number;
  height: number;
}

export interface PhysicalSize {
  size: number;
  unit: string;
}

export interface LivePixelSource {
  getRaster(sel: { selection: Selection; signal?: AbortSignal }): Promise<PixelData>;
  getTile(sel: { x: number; y: number; selection: Selection; signal?: AbortSignal }): Promise<PixelData>;
  onTileError(err: Error): void;
  /** `[c, z, y, x]`. */
  readonly shape: number[];
  readonly dtype: VivDtype;
  readonly labels: ['c', 'z', 'y', 'x'];
  readonly tileSize: number;
  readonly meta: { physicalSizes?: { x: PhysicalSize; y: PhysicalSize; z: PhysicalSize } };
  /** The pyramid level this source reads (for the MIP and volume sources: the display level). */
  readonly level: number;
  /** The data version of the image when this source was handed out. */
  readonly version: number;
}

/** One channel's display settings. */
export interface ChannelView {
  index: number;
  /** 0–255 each. */
  color: [number, number, number];
  contrast: [number, number];
  visible: boolean;
}

/** Viv's thrown value for an aborted request (`SIGNAL_ABORTED` in `@vivjs/loaders`); Viv drops such tiles quietly. */
export const VIV_SIGNAL_ABORTED = '__vivSignalAborted';

const DTYPES: Record<DataType, VivDtype> = {
  uint8: 'Uint8',
  int8: 'Int8',
  uint16: 'Uint16',
  int16: 'Int16',
  uint32: 'Uint32',
  int32: 'Int32',
  float32: 'Float32',
};

/** The Viv dtype for a description's element type. */
export function vivDtype(dtype: DataType): VivDtype {
  return DTYPES[dtype];
}

/** `RRGGBB` or `#RRGGBB` → `[r, g, b]`; anything else is white. */
export function rgbFromHex(color: string): [number, number, number] {
  const c = color.startsWith('#') ? color.slice(1) : color;
  if (!/^[0-9A-Fa-f]{6}$/.test(c)) return [255, 255, 255];
  return [parseInt(c.slice(0, 2), 16), parseInt(c.slice(2, 4), 16), parseInt(c.slice(4, 6), 16)];
}

/** The session's channels as layer settings (colour, contrast, visibility), in channel order. */
export function channelViews(info: Pick<LiveSessionInfo, 'channels'>): ChannelView[] {
  return info.channels.map((c, index) => ({ index, color: rgbFromHex(c.color), contrast: [c.contrast[0], c.contrast[1]], visible: c.visible }));
}
