/**
 * Live layer factories (plain deck.gl/Viv objects, no React): the newest plane (or a chosen z)
 * as a Viv `MultiscaleImageLayer`, the max-intensity projection of the display volume as a 2D
 * `ImageLayer`, and the display volume as a Viv `VolumeLayer` (MIP or additive). Each is
 * multichannel with per-channel colour, contrast and visibility (`ChannelView`).
 *
 * Viv refetches when the identity of `loader` or `selections` changes, so: pass the loaders a
 * `LoaderThrottle` released (`watchImage(image, '2d').current`), and the factories keep one
 * `selections` array per layer id until the planes it selects change. Layer ids end in
 * `-#<viewId>#` when a `viewId` is given (what `VivViewer` needs for extra layers).
 *
 * @example
 * const t2d = watchImage(image, '2d', { onRelease: rerender });
 * const layer = createLivePlaneLayer({ id: 'live', viewId: 'detail', image, loaders: t2d.current, channels, z: 'newest' });
 */
import { ColorPalette3DExtensions, ImageLayer, MultiscaleImageLayer, VolumeLayer } from '@hms-dbmi/viv';
import { Matrix4 } from '@math.gl/core';
import type { Layer } from '@deck.gl/core';
import type { LiveImage } from './live-image.ts';
import type { ReleasedLoaders } from './throttle.ts';
import type { ChannelView, Selection } from './types.ts';

/** Viv draws at most this many channels in one layer. */
export const MAX_LAYER_CHANNELS = 6;

export interface LiveLayerProps {
  /** Base id; the layer id is `id` or `${id}-#${viewId}#`. */
  id: string;
  viewId?: string;
  image: LiveImage;
  /** Loaders released by a throttle; default: the image's current ones (unthrottled). */
  loaders?: ReleasedLoaders;
  channels: readonly ChannelView[];
  opacity?: number;
  /** Extra transform (rigid display transforms, DESIGN); composed after the layer's own scale. */
  modelMatrix?: Matrix4;
}

export interface LivePlaneLayerProps extends LiveLayerProps {
  /** `'newest'` (default): each channel's newest plane; or a fixed z. */
  z?: number | 'newest';
}

export interface LiveVolumeLayerProps extends LiveLayerProps {
  renderingMode?: 'mip' | 'additive';
  /** Clipping in volume coordinates (Viv `xSlice`, …). */
  xSlice?: [number, number];
  ySlice?: [number, number];
  zSlice?: [number, number];
}

/** `id`, or `id-#viewId#` when a view id is given. */
export function layerId(id: string, viewId?: string): string {
  return viewId ? `${id}-#${viewId}#` : id;
}

/** The channels a layer draws: all of them when Viv can, else the visible ones (at most six). */
export function drawnChannels(channels: readonly ChannelView[]): ChannelView[] {
  if (channels.length <= MAX_LAYER_CHANNELS) return [...channels];
  return channels.filter((c) => c.visible).slice(0, MAX_LAYER_CHANNELS);
}

/** One `selections` array per layer id, kept while it selects the same planes. */
const selectionMemo = new Map<string, { key: string; value: Selection[] }>();

/** The same array as last time for `id` when `wanted` selects the same planes. */
export function stableSelections(id: string, wanted: Selection[]): Selection[] {
  const key = wanted.map((s) => `${s.c}:${s.z}`).join(',');
  const memo = selectionMemo.get(id);
  if (memo && memo.key === key) return memo.value;
  if (selectionMemo.size > 256) selectionMemo.clear();
  selectionMemo.set(id, { key, value: wanted });
  return wanted;
}

function channelProps(drawn: ChannelView[]): { colors: [number, number, number][]; contrastLimits: [number, number][]; channelsVisible: boolean[] } {
  return {
    colors: drawn.map((c) => [...c.color] as [number, number, number]),
    contrastLimits: drawn.map((c) => [...c.contrast] as [number, number]),
    channelsVisible: drawn.map((c) => c.visible),
  };
}

function planeZ(image: LiveImage, c: number, z: number | 'newest'): number {
  const depth = image.levelShapes[0]![1]!;
  const want = z === 'newest' ? (image.newestZ(c) ?? 0) : z;
  return Math.max(0, Math.min(depth - 1, Math.round(want)));
}

/** The newest plane (or plane `z`) of each drawn channel, every pyramid level. */
export function createLivePlaneLayer(props: LivePlaneLayerProps): Layer {
  const id = layerId(props.id, props.viewId);
  const loaders = props.loaders?.levels ?? props.image.loaders();
  const drawn = drawnChannels(props.channels);
  const selections = stableSelections(id, drawn.map((c) => ({ c: c.index, z: planeZ(props.image, c.index, props.z ?? 'newest') })));
  return new MultiscaleImageLayer({
    id,
    loader: loaders,
    selections,
    dtype: loaders[0]!.dtype,
    ...channelProps(drawn),
    ...(props.opacity === undefined ? {} : { opacity: props.opacity }),
    ...(props.modelMatrix ? { modelMatrix: props.modelMatrix } : {}),
    ...(props.viewId ? { viewportId: props.viewId } : {}),
  }) as Layer;
}

/** Max over z of the display volume, drawn in level-0 coordinates (scaled by 2^displayLevel). */
export function createLiveMipLayer(props: LiveLayerProps): Layer {
  const id = layerId(props.id, props.viewId);
  const loader = props.loaders?.mip ?? props.image.mipLoader();
  const drawn = drawnChannels(props.channels);
  const selections = stableSelections(id, drawn.map((c) => ({ c: c.index, z: 0 })));
  const f = 2 ** props.image.displayLevel;
  const scale = new Matrix4().scale([f, f, 1]);
  const modelMatrix = props.modelMatrix ? props.modelMatrix.clone().multiplyRight(scale) : scale;
  return new ImageLayer({
    id,
    loader,
    selections,
    dtype: loader.dtype,
    ...channelProps(drawn),
    modelMatrix,
    ...(props.opacity === undefined ? {} : { opacity: props.opacity }),
    ...(props.viewId ? { viewportId: props.viewId } : {}),
  }) as Layer;
}

/** One instance per mode: a new extension array would make deck.gl rebuild the shaders. */
const VOLUME_EXTENSIONS = {
  mip: [new ColorPalette3DExtensions.MaximumIntensityProjectionExtension(undefined)],
  additive: [new ColorPalette3DExtensions.AdditiveBlendExtension(undefined)],
};

/** The display volume (every plane of the display level) in 3D, with that level's physical voxel size. */
export function createLiveVolumeLayer(props: LiveVolumeLayerProps): Layer {
  const id = layerId(props.id, props.viewId);
  const volume = props.loaders?.volume ?? props.image.volumeLoader();
  const drawn = drawnChannels(props.channels);
  const selections = stableSelections(id, drawn.map((c) => ({ c: c.index, z: 0 })));
  const mode = props.renderingMode ?? 'mip';
  // Viv's declared VolumeLayer props omit the base layer props (id, opacity, modelMatrix), hence the cast.
  return new VolumeLayer({
    id,
    loader: [volume],
    resolution: 0,
    selections,
    ...channelProps(drawn),
    dtype: volume.dtype,
    extensions: VOLUME_EXTENSIONS[mode],
    useProgressIndicator: false,
    ...(props.xSlice ? { xSlice: props.xSlice } : {}),
    ...(props.ySlice ? { ySlice: props.ySlice } : {}),
    ...(props.zSlice ? { zSlice: props.zSlice } : {}),
    ...(props.opacity === undefined ? {} : { opacity: props.opacity }),
    ...(props.modelMatrix ? { modelMatrix: props.modelMatrix } : {}),
  } as never) as Layer;
}
