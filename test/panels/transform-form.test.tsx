import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { LiveBackend } from '../../src/acquisition/live-backend.ts';
import type { ViewerController, ViewerSnapshot } from '../../src/panels/types.ts';
import { checkDraft, checkDrafts, defaultDraft, draftLabel, draftsFromEntries, entriesFromDrafts, type ChannelDrafts } from '../../src/panels/transform-form.ts';
import { TransformHub, entryChannels, transformHubFor } from '../../src/panels/transform-state.ts';
import { TransformPanel, cacheStatsText } from '../../src/panels/transform-panel.tsx';
import { opsFromEntries } from '../../src/transforms/display/session-entries.ts';
import { TransformManager } from '../../src/transforms/manager/transform-manager.ts';
import type { TransformEntry } from '../../src/session/metadata/types.ts';
import { initialFlamingo } from '../../src/session/metadata/build.ts';
import { parseFlamingo } from '../../src/session/metadata/flamingo.ts';
import { sessionLayout } from '../../src/session/metadata/layout.ts';

/** The session's own reader accepts the entries as `flamingo.transforms` and keeps them as they are. */
function storedThroughSession(transforms: TransformEntry[]): TransformEntry[] {
  const layout = sessionLayout({ name: 't', shape: [2, 5, 16, 16], voxel_size_um: { z: 2, y: 0.5, x: 0.5 }, world_origin_um: [0, 0, 0], channels: [{ name: 'a', color: '00FF00' }, { name: 'b', color: 'FF00FF' }] });
  const flamingo = initialFlamingo(layout, {
    app_version: '0.1.0', now: '2026-11-26T10:31:02.004Z',
    microscope: { name: 'sim', connection: 'simulator', address: null, orientation: null },
    plan: { kind: 'live', tiles: null, tile_overlap_percent: null, z_start_mm: null, z_end_mm: null, z_step_um: null, planes_per_stack: null, channels: [0, 1], timepoints: null, interval_s: null },
  });
  const json = JSON.parse(JSON.stringify({ ...flamingo, transforms })) as unknown;
  return parseFlamingo(json).flamingo.transforms;
}

const drafts: ChannelDrafts = {
  all: [{ op: 'rotate', axis: 'y', angleDeg: 30, order: 1 }],
  1: [{ op: 'gaussian', sigma: [1, 2, 2], truncate: 3 }, { op: 'downsample', factor: 2, reduce: 'max' }],
  0: [{ op: 'shift', offsetUm: [4, 1, -1], order: 0 }],
};

describe('the Transform panel form', () => {
  it('writes session entries (all channels first, then per channel with params.channels) and reads them back', () => {
    const entries = entriesFromDrafts(drafts);
    expect(entries).toEqual([
      { op: 'rotate', params: { axis: 'y', angle_deg: 30, center_um: null, order: 1 } },
      { op: 'shift', params: { offset_um: [4, 1, -1], order: 0, channels: [0] } },
      { op: 'gaussian', params: { sigma_voxels: [1, 2, 2], truncate: 3, channels: [1] } },
      { op: 'downsample', params: { factor: [2, 2, 2], reduce: 'max', channels: [1] } },
    ]);
    expect(storedThroughSession(entries)).toEqual(entries);
    expect(draftsFromEntries(entries)).toEqual({ drafts: { all: drafts.all, 0: drafts[0], 1: drafts[1] }, kept: [] });
  });

  it('keeps entries it cannot edit, unchanged and last', () => {
    const odd: TransformEntry[] = [
      { op: 'warp', params: { strength: 3 } },
      { op: 'rotate', params: { axis: 'z', angle_deg: 10, center_um: [1, 2, 3], order: 1 } },
      { op: 'gaussian', params: { sigma_voxels: [1, 1, 1], truncate: 4, channels: [0, 1] } },
      { op: 'downsample', params: { factor: [1, 2, 2], reduce: 'mean' } },
    ];
    const got = draftsFromEntries([...odd, { op: 'rotate', params: { axis: 'x', angle_deg: 5, center_um: null, order: 0 } }]);
    expect(got.kept).toEqual(odd);
    expect(got.drafts).toEqual({ all: [{ op: 'rotate', axis: 'x', angleDeg: 5, order: 0 }] });
    expect(entriesFromDrafts(got.drafts, got.kept).slice(1)).toEqual(odd);
  });

  it('the entries become the kernel ops of each channel (in µm converted to voxels)', () => {
    const hub = new TransformHub(() => { throw new Error('no pool in this test'); });
    hub.setEntries(entriesFromDrafts(drafts));
    const geo = { shape: [10, 20, 20] as const, voxelUm: [2, 0.5, 0.5] as const };
    expect(opsFromEntries(hub.entriesFor(0), geo).ops).toEqual([
      { op: 'rotate', axis: 'y', angleDeg: 30, order: 1 },
      { op: 'shift', offset: [2, 2, -2], order: 0 },
    ]);
    expect(opsFromEntries(hub.entriesFor(1), geo).ops).toEqual([
      { op: 'rotate', axis: 'y', angleDeg: 30, order: 1 },
      { op: 'gaussian', sigma: [1, 2, 2], truncate: 3 },
      { op: 'downsample', factor: 2, reduce: 'max' },
    ]);
    expect(hub.entriesFor(2).map((e) => e.op)).toEqual(['rotate']);
    expect(entryChannels({ op: 'x', params: { channels: [1, 'a'] } })).toBeNull();
  });

  it('checks parameters in one sentence naming the channel', () => {
    expect(checkDraft(defaultDraft('gaussian'))).toBeNull();
    expect(checkDraft({ op: 'gaussian', sigma: [1, -1, 1], truncate: 4 })).toBe('Gaussian σ y is -1; expected a number ≥ 0.');
    expect(checkDraft({ op: 'downsample', factor: 1.5, reduce: 'mean' })).toBe('Downsample factor is 1.5; expected an integer ≥ 1.');
    expect(checkDraft({ op: 'rotate', axis: 'z', angleDeg: NaN, order: 1 })).toBe('Rotation angle is NaN; expected a number of degrees.');
    expect(checkDrafts({ 2: [{ op: 'shift', offsetUm: [1, NaN, 0], order: 1 }] }, (c) => `C${c}`)).toBe('C2: Shift offset 1, NaN, 0 µm is not three numbers (z, y, x).');
    expect(draftLabel({ op: 'rotate', axis: 'z', angleDeg: 15, order: 1 })).toBe('rotate z 15° (linear)');
  });

  it('one hub per backend, made on first use; its manager only when asked', () => {
    const a = {};
    let made = 0;
    const make = (): TransformManager => {
      made++;
      return new TransformManager({ pool: { size: 1, run: () => Promise.reject(new Error('unused')), close: () => Promise.resolve() } });
    };
    const hub = transformHubFor(a, make);
    expect(transformHubFor(a, make)).toBe(hub);
    expect(transformHubFor({}, make)).not.toBe(hub);
    expect(hub.started).toBe(false);
    hub.manager();
    hub.manager();
    expect([hub.started, made]).toEqual([true, 1]);
    const seen: string[] = [];
    hub.on((e) => seen.push(e.type));
    hub.setEntries([]);
    hub.cancel();
    expect([seen, hub.generation]).toEqual([['entries', 'cancel'], 1]);
  });

  it('renders its controls with accessible names (static markup)', () => {
    const snapshot: ViewerSnapshot = {
      viewer: { mode: '3d', view_state: { target_um: { x: 0, y: 0, z: 0 }, zoom: 0, rotation_x_deg: 0, rotation_orbit_deg: 0 }, selection: { z: 0, t: 0 }, render_3d: 'maximum-intensity', channel_settings: [] },
      channels: [{ index: 0, name: 'GFP', color: '00FF00', contrast: [0, 100], visible: true }],
      transforms: [],
    };
    const viewer: ViewerController = { snapshot: () => snapshot, restore: () => undefined, show: () => undefined, content: () => null };
    const hub = new TransformHub(() => { throw new Error('unused'); });
    const html = renderToStaticMarkup(<TransformPanel backend={{} as LiveBackend} viewer={viewer} hub={hub} />);
    expect(html).toContain('<option value="0">GFP</option>');
    expect(html).toContain('aria-label="Transform progress"');
    expect(html).toMatch(/<button type="button" disabled="">Cancel<\/button>/);
    expect(html).toContain('Cache: 0 hits, 0 misses, 0 B');
    expect(cacheStatsText({ cache: { hits: 3, misses: 2, bytes: 2048, entries: 2, capacityBytes: 1, evictions: 0 }, queued: 0, running: 0, shared: 0 })).toBe('Cache: 3 hits, 2 misses, 2.0 kB');
  });
});
