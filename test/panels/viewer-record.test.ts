import { describe, expect, it } from 'vitest';
import { fromFlamingoAttrs, fromImageDescription, fromSessionAttrs, toViewerRecord } from '../../src/panels/viewer-record.ts';
import type { ViewerSnapshot } from '../../src/panels/types.ts';

const snapshot: ViewerSnapshot = {
  viewer: {
    mode: '3d',
    view_state: { target_um: { x: 10, y: 20, z: 30 }, zoom: -1.5, rotation_x_deg: 15, rotation_orbit_deg: 40 },
    selection: { z: 4, t: 0 },
    render_3d: 'additive',
    channel_settings: [{ index: 0, opacity: 1, colormap: null }],
  },
  channels: [
    { index: 0, name: '488 nm', color: '00FF00', contrast: [120, 2000], visible: true },
    { index: 1, name: '561 nm', color: 'FF00FF', contrast: [90, 800], visible: false },
  ],
  transforms: [{ op: 'rotate', params: { axis: 'y', angle_deg: 30, center_um: null, order: 1 } }],
};

describe('viewer record', () => {
  it('round-trips through JSON and the flamingo key', () => {
    const stored = JSON.parse(JSON.stringify({ viewer: toViewerRecord(snapshot) })) as unknown;
    expect(fromFlamingoAttrs(stored)).toEqual(snapshot);
  });

  it('reads a session written elsewhere: channels and transforms from their own keys', () => {
    const flamingo = {
      viewer: { ...snapshot.viewer },
      channels: [{ index: 0, name: 'GFP', color: '#00ff00', contrast: [1, 2], visible: true, laser_nm: 488 }],
      transforms: [{ op: 'unknown-op', params: { a: 1 } }],
    };
    const back = fromFlamingoAttrs(flamingo);
    expect(back.channels).toEqual([{ index: 0, name: 'GFP', color: '00FF00', contrast: [1, 2], visible: true }]);
    expect(back.transforms).toEqual([{ op: 'unknown-op', params: { a: 1 } }]);
    expect(back.viewer?.mode).toBe('3d');
  });

  it('skips what it cannot read and fills defaults inside a readable viewer', () => {
    expect(fromFlamingoAttrs(null)).toEqual({});
    expect(fromFlamingoAttrs({ viewer: { mode: 'x' }, channels: 'no' })).toEqual({});
    const v = fromFlamingoAttrs({ viewer: { mode: '2d', view_state: {} } }).viewer;
    expect(v).toEqual({
      mode: '2d',
      view_state: { target_um: { x: 0, y: 0, z: 0 }, zoom: 0, rotation_x_deg: 0, rotation_orbit_deg: 0 },
      selection: { z: 0, t: 0 },
      render_3d: 'maximum-intensity',
      channel_settings: [],
    });
  });

  it('reads channels and transforms from their own keys before copies in viewer, and omero over flamingo (§4.8)', () => {
    const flamingo = {
      viewer: { ...snapshot.viewer, channels: [{ index: 0, name: 'old', color: '111111', contrast: [0, 1], visible: true }], transforms: [] },
      channels: snapshot.channels,
      transforms: snapshot.transforms,
    };
    expect(fromFlamingoAttrs(flamingo)).toEqual(snapshot);
    const omero = {
      channels: [
        { label: 'GFP edited', color: '00ff00', active: false, window: { min: 0, max: 65535, start: 10, end: 20 } },
        { label: '561 nm', color: 'FF00FF', active: false, window: { min: 0, max: 65535, start: 90, end: 800 } },
      ],
    };
    const back = fromSessionAttrs({ flamingo, omero });
    expect(back.channels).toEqual([
      { index: 0, name: 'GFP edited', color: '00FF00', contrast: [10, 20], visible: false },
      { index: 1, name: '561 nm', color: 'FF00FF', contrast: [90, 800], visible: false },
    ]);
    expect(back.transforms).toEqual(snapshot.transforms);
    expect(fromSessionAttrs({ omero }).channels?.map((c) => c.name)).toEqual(['GFP edited', '561 nm']);
    expect(fromSessionAttrs('x')).toEqual({});
  });

  it('takes an opened image\'s channels as its reader resolved them', () => {
    const channels = [
      { index: 0, name: 'GFP', color: '00FF00', window: { min: 0, max: 65535, start: 5, end: 50 }, visible: false },
      { index: 1, name: '561 nm', color: 'FF00FF', window: { min: 0, max: 65535, start: 90, end: 800 }, visible: false },
    ];
    const back = fromImageDescription({ flamingo: { viewer: snapshot.viewer, channels: snapshot.channels, transforms: snapshot.transforms } as never, channels });
    expect(back.channels?.[0]).toEqual({ index: 0, name: 'GFP', color: '00FF00', contrast: [5, 50], visible: false });
    expect(back.transforms).toEqual(snapshot.transforms);
    expect(fromImageDescription({ channels })).toEqual({});
  });
});
