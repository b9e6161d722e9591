import { describe, expect, it } from 'vitest';
import { fromFlamingoAttrs, toViewerRecord } from '../../src/panels/viewer-record.ts';
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
});
