import { describe, expect, it } from 'vitest';
import { ContributionRegistry } from '../../app/host.ts';
import { activate, manifest } from '../../src/plugin.ts';
import * as panels from '../../src/panels/index.ts';
import { fromStoredCamera, toStoredCamera, unitUm } from '../../app/geometry.ts';

describe('the shell as a plugin host', () => {
  it('mounts the contributed panels from plugin.json, in manifest order, and removes them on dispose', () => {
    const registry = new ContributionRegistry();
    const noLayers = { ...manifest, contributes: { ...manifest.contributes, layers: [] } };
    const handle = activate(registry.host, { manifest: noLayers, exports: panels as unknown as Record<string, unknown> });
    expect(registry.panels().map((p) => [p.contribution.id, p.component])).toEqual([
      ['flamingo.acquisition', panels.AcquisitionPanel],
      ['flamingo.session', panels.SessionPanel],
      ['flamingo.transforms', panels.TransformPanel],
      ['flamingo.benchmark', panels.BenchmarkPanel],
    ]);
    handle.dispose();
    expect(registry.panels()).toEqual([]);
  });

  it('refuses a contribution that is not a function, naming it', () => {
    const registry = new ContributionRegistry();
    const bad = { ...manifest, contributes: { layers: [], commands: [], panels: [{ id: 'flamingo.x', title: 'X', component: 'notAComponent' }] } };
    expect(() => activate(registry.host, { manifest: bad, exports: { notAComponent: 42 } })).toThrow("Panel 'flamingo.x' names 'notAComponent', which is not a React component.");
  });

  it('offers layers per view', () => {
    const registry = new ContributionRegistry();
    const f = (): null => null;
    activate(registry.host, {
      manifest: { ...manifest, contributes: { panels: [], commands: [], layers: [{ id: 'flamingo.a', title: 'A', factory: 'f', views: ['2d'] }, { id: 'flamingo.b', title: 'B', factory: 'f', views: ['2d', '3d'] }] } },
      exports: { f },
    });
    expect(registry.layers('2d').map((l) => l.contribution.id)).toEqual(['flamingo.a', 'flamingo.b']);
    expect(registry.layers('3d').map((l) => l.contribution.id)).toEqual(['flamingo.b']);
  });
});

describe('stored cameras', () => {
  it('converts deck.gl view states to µm and back (2D: level-0 pixels; 3D: the smallest voxel side)', () => {
    const source = { meta: { physicalSizes: { x: { size: 0.5 }, y: { size: 0.5 }, z: { size: 2 } } } };
    expect(unitUm(source, false)).toBe(0.5);
    expect(unitUm(source, true)).toBe(0.5);
    expect(unitUm({}, true)).toBe(1);
    const cam = { target: [100, 50, 10] as [number, number, number], zoom: -1, rotationX: 20, rotationOrbit: 30 };
    const stored = toStoredCamera(cam, 0.5);
    expect(stored).toEqual({ target_um: { x: 50, y: 25, z: 5 }, zoom: 0, rotation_x_deg: 20, rotation_orbit_deg: 30 });
    expect(fromStoredCamera(stored, 0.5, true)).toEqual(cam);
    expect(fromStoredCamera(stored, 0.5, false)).toEqual({ target: [100, 50, 0], zoom: -1 });
  });
});
