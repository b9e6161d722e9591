/**
 * The layers' public surface (Viv `PixelSource`s over live and stored images, layer factories,
 * throttling, contrast, the Vizarr config, the status text). Importing this loads Viv.
 *
 * @example
 * import { LiveImage, watchImage, createLivePlaneLayer } from 'flamingo-viv/layers';
 */
export { LiveImage, LayerError, isLayerError } from './live-image.ts';
export type { LayerErrorCode, LiveImageChange, LiveImageOptions } from './live-image.ts';
export { LoaderThrottle, THROTTLE_2D_MS, THROTTLE_3D_MS, systemClock, watchImage } from './throttle.ts';
export type { LoaderThrottleOptions, ReleasedLoaders, ThrottleClock } from './throttle.ts';
export { MAX_LAYER_CHANNELS, createLiveMipLayer, createLivePlaneLayer, createLiveVolumeLayer, drawnChannels, layerId, stableSelections } from './layers.ts';
export type { LiveLayerProps, LivePlaneLayerProps, LiveVolumeLayerProps } from './layers.ts';
export { DEFAULT_SAMPLE_SIZE, contrastLimits, sampleForContrast } from './contrast.ts';
export type { ContrastOptions, NumericArray } from './contrast.ts';
export { ContrastClient } from './contrast-client.ts';
export { contrastApi } from './contrast-api.ts';
export type { ContrastApi } from './contrast-api.ts';
export { toVizarrConfig } from './vizarr.ts';
export type { VizarrImageConfig } from './vizarr.ts';
export { countersText, emptyCounters } from './counters.ts';
export { VIV_SIGNAL_ABORTED, channelViews, rgbFromHex, vivDtype } from './types.ts';
export type { ChannelView, LivePixelSource, PhysicalSize, PixelData, Selection, VivDtype, VivTypedArray } from './types.ts';
