import { describe, expect, it } from 'vitest';
import type { LiveSessionInfo, PlaneEvent } from '../../src/acquisition/live-backend.ts';
import { LiveImage } from '../../src/layers/live-image.ts';
import { createLiveMipLayer, createLivePlaneLayer, createLiveVolumeLayer, drawnChannels, layerId } from '../../src/layers/layers.ts';
import { watchImage } from '../../src/layers/throttle.ts';
import type { ChannelView } from '../../src/layers/types.ts';

const info: LiveSessionInfo = {
  name: 's', storeUrl: null, status: 'acquiring', levelShapes: [[2, 5, 16, 16], [2, 5, 8, 8], [2, 5, 4, 4]], voxelSizeUm: { z: 2, y: 0.5, x: 0.5 },
  channels: [
    { name: 'a', color: '00FF00', wavelengthNm: 488, contrast: [0, 10], visible: true },
    { name: 'b', color: 'FF00FF', wavelengthNm: 561, contrast: [5, 50], visible: false },
  ],
  displayLevel: 1, version: 0,
};
const channels: ChannelView[] = [
  { index: 0, color: [0, 255, 0], contrast: [100, 900], visible: true },
  { index: 1, color: [255, 0, 255], contrast: [10, 4000], visible: false },
];
const plane = (channel: number, z: number, version: number): PlaneEvent => ({ type: 'plane', session: 's', channel, z, level: 1, width: 8, height: 8, pixels: new Uint16Array(64).fill(7), version, acquiredAtMs: 0, frameNumber: version });

describe('live layer factories', () => {
  it('plane layer: id with view id, released loaders, newest z per channel, stable selections, channel props', async () => {
    const image = await LiveImage.open(info, null);
    const loaders = watchImage(image, '2d').current;
    image.apply(plane(0, 3, 1));
    image.apply(plane(1, 2, 2));
    const a = createLivePlaneLayer({ id: 'live', viewId: 'detail', image, loaders, channels });
    expect(a.id).toBe('live-#detail#');
    expect(a.constructor.name).toBe('MultiscaleImageLayer');
    const p = a.props as unknown as Record<string, unknown>;
    expect(p.loader).toBe(loaders.levels);
    expect(p.selections).toEqual([{ c: 0, z: 3 }, { c: 1, z: 2 }]);
    expect(p.colors).toEqual([[0, 255, 0], [255, 0, 255]]);
    expect(p.contrastLimits).toEqual([[100, 900], [10, 4000]]);
    expect(p.channelsVisible).toEqual([true, false]);
    expect(p.dtype).toBe('Uint16');
    expect(p.viewportId).toBe('detail');
    // Same planes: same selections array (Viv would refetch on a new one).
    const b = createLivePlaneLayer({ id: 'live', viewId: 'detail', image, loaders, channels: channels.map((c) => ({ ...c, contrast: [0, 1] as [number, number] })) });
    expect((b.props as unknown as Record<string, unknown>).selections).toBe(p.selections);
    // A newer plane moves the selection.
    image.apply(plane(0, 4, 3));
    const c = createLivePlaneLayer({ id: 'live', viewId: 'detail', image, loaders, channels });
    expect((c.props as unknown as Record<string, unknown>).selections).toEqual([{ c: 0, z: 4 }, { c: 1, z: 2 }]);
    // A chosen z; no view id; without loaders the image's current ones.
    const d = createLivePlaneLayer({ id: 'fixed', image, channels, z: 9 });
    expect(d.id).toBe('fixed');
    expect((d.props as unknown as Record<string, unknown>).selections).toEqual([{ c: 0, z: 4 }, { c: 1, z: 4 }]);
    expect((d.props as unknown as Record<string, unknown>).loader).toBe(image.loaders());
  });

  it('MIP layer: the display level MIP source, scaled to level-0 coordinates', async () => {
    const image = await LiveImage.open(info, null);
    const layer = createLiveMipLayer({ id: 'mip', viewId: 'detail', image, channels });
    const p = layer.props as unknown as Record<string, unknown> & { modelMatrix: { getScale(): number[] } };
    expect(layer.id).toBe('mip-#detail#');
    expect(layer.constructor.name).toBe('ImageLayer');
    expect(p.loader).toBe(image.mipLoader());
    expect(p.selections).toEqual([{ c: 0, z: 0 }, { c: 1, z: 0 }]);
    expect(p.modelMatrix.getScale()).toEqual([2, 2, 1]);
  });

  it('volume layer: the display volume at resolution 0, MIP or additive extension kept across calls', async () => {
    const { ColorPalette3DExtensions } = await import('@hms-dbmi/viv');
    const image = await LiveImage.open(info, null);
    const t3 = watchImage(image, '3d');
    const a = createLiveVolumeLayer({ id: 'vol', viewId: '3d', image, loaders: t3.current, channels });
    const p = a.props as unknown as Record<string, unknown> & { extensions: unknown[]; loader: { meta: unknown }[] };
    expect(a.id).toBe('vol-#3d#');
    expect(a.constructor.name).toBe('VolumeLayer');
    expect(p.loader).toHaveLength(1);
    expect(p.loader[0]).toBe(t3.current.volume);
    expect(p.loader[0]!.meta).toEqual({ physicalSizes: { x: { size: 1, unit: 'µm' }, y: { size: 1, unit: 'µm' }, z: { size: 2, unit: 'µm' } } });
    expect(p.resolution).toBe(0);
    expect(p.extensions[0]).toBeInstanceOf(ColorPalette3DExtensions.MaximumIntensityProjectionExtension);
    const b = createLiveVolumeLayer({ id: 'vol', viewId: '3d', image, loaders: t3.current, channels, renderingMode: 'additive', zSlice: [0, 4] });
    const q = b.props as unknown as Record<string, unknown> & { extensions: unknown[] };
    expect(q.extensions[0]).toBeInstanceOf(ColorPalette3DExtensions.AdditiveBlendExtension);
    expect(q.zSlice).toEqual([0, 4]);
    const c = createLiveVolumeLayer({ id: 'vol', viewId: '3d', image, loaders: t3.current, channels });
    expect((c.props as unknown as Record<string, unknown>).extensions).toBe(p.extensions);
    expect((c.props as unknown as Record<string, unknown>).selections).toBe(q.selections);
    t3.dispose();
  });

  it('draws at most six channels, the visible ones first when there are more', () => {
    expect(layerId('x')).toBe('x');
    const many = Array.from({ length: 9 }, (_, i): ChannelView => ({ index: i, color: [1, 2, 3], contrast: [0, 1], visible: i % 2 === 0 }));
    expect(drawnChannels(many).map((c) => c.index)).toEqual([0, 2, 4, 6, 8]);
    expect(drawnChannels(many.slice(0, 6)).map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
