import { describe, expect, it } from 'vitest';
import type { LiveSessionInfo } from '../../src/acquisition/live-backend.ts';
import { toVizarrConfig } from '../../src/layers/vizarr.ts';

const session: LiveSessionInfo = {
  name: 'embryo 7', storeUrl: 'http://127.0.0.1:8600/sessions/embryo_7.ome.zarr/', status: 'complete', levelShapes: [[2, 10, 64, 64]], voxelSizeUm: { z: 2, y: 0.5, x: 0.5 },
  channels: [
    { name: 'GFP', color: '00ff00', wavelengthNm: 488, contrast: [100, 2000], visible: true },
    { name: 'mCherry', color: '#FF00FF', wavelengthNm: 561, contrast: [120, 900], visible: false },
  ],
  displayLevel: 0, version: 3,
};

describe('toVizarrConfig', () => {
  it('gives the exact addImage config: source, name, channel_axis and per-channel colours, names, limits, visibilities', () => {
    expect(toVizarrConfig(session)).toEqual({
      source: 'http://127.0.0.1:8600/sessions/embryo_7.ome.zarr/',
      name: 'embryo 7',
      channel_axis: 0,
      colors: ['#00FF00', '#FF00FF'],
      names: ['GFP', 'mCherry'],
      contrast_limits: [[100, 2000], [120, 900]],
      visibilities: [true, false],
      opacity: 1,
    });
  });

  it('takes a source for sessions the bridge does not serve, and refuses none', () => {
    expect(toVizarrConfig({ ...session, storeUrl: null }, { source: 'https://example.org/a.zarr', opacity: 0.5 })).toMatchObject({ source: 'https://example.org/a.zarr', opacity: 0.5 });
    expect(() => toVizarrConfig({ ...session, storeUrl: null })).toThrow(/Session 'embryo 7' is not served over HTTP/);
  });
});
