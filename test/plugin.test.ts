import { existsSync, readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.ts';
import { activate, manifest, type PluginManifest } from '../src/plugin.ts';

const schema = JSON.parse(readFileSync('plugin.schema.json', 'utf8'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

describe('plugin.json', () => {
  it('validates against plugin.schema.json', () => {
    const ok = validate(JSON.parse(readFileSync('plugin.json', 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects manifests that are wrong in the ways that matter', () => {
    const bad = (patch: (m: Record<string, unknown>) => void): boolean => {
      const m = structuredClone(manifest) as unknown as Record<string, unknown>;
      patch(m);
      return validate(m);
    };
    expect(bad(() => {})).toBe(true);
    expect(bad((m) => delete m['entry'])).toBe(false);
    expect(bad((m) => (m['version'] = 'one'))).toBe(false);
    expect(bad((m) => ((m['engines'] as Record<string, unknown>)['react'] = undefined))).toBe(false);
    expect(bad((m) => ((m['contributes'] as { layers: unknown[] }).layers = [{ id: 'x', title: 't', factory: 'f', views: ['2d'] }]))).toBe(false);
    expect(bad((m) => ((m['contributes'] as { commands: unknown[] }).commands = [{ id: 'flamingo.x', title: 't', cli: 'Bad Name' }]))).toBe(false);
  });

  it('agrees with package.json: version, bin, module, engines', () => {
    expect(manifest.version).toBe(pkg.version);
    expect('./' + pkg.bin['flamingo-viv']).toBe(manifest.entry.cli);
    // The entry module is source a Vite host (and our app) imports; the package ships its build.
    expect(existsSync(manifest.entry.module)).toBe(true);
    expect(pkg.exports['./plugin'].import).toBe(manifest.entry.module.replace(/^\.\/src\/(.*)\.ts$/, './dist/$1.js'));
    expect(manifest.engines['@hms-dbmi/viv']).toBe(pkg.peerDependencies['@hms-dbmi/viv']);
    expect(manifest.engines['@deck.gl/core']).toBe(pkg.peerDependencies['@deck.gl/core']);
    expect(manifest.engines['node']).toBe(pkg.engines.node);
  });

  it('contributes exactly the CLI commands that exist', () => {
    expect(manifest.contributes.commands.map((c) => c.cli).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it('every contributed layer and panel resolves to an export of the entry module', async () => {
    const api = (await import(/* @vite-ignore */ `../${manifest.entry.module}`)) as Record<string, unknown>;
    expect(typeof api[manifest.entry.activate]).toBe('function');
    for (const l of manifest.contributes.layers) expect(typeof api[l.factory], l.id).toBe('function');
    for (const p of manifest.contributes.panels) expect(typeof api[p.component], p.id).toBe('function');
  });
});

describe('activate(host)', () => {
  const testManifest: PluginManifest = {
    ...manifest,
    contributes: {
      layers: [{ id: 'flamingo.test-layer', title: 'Test layer', factory: 'makeLayer', views: ['2d'] }],
      panels: [{ id: 'flamingo.test-panel', title: 'Test panel', component: 'TestPanel' }],
      commands: [],
    },
  };
  const exportsOk = { makeLayer: () => ({}), TestPanel: () => null };

  function recordingHost() {
    const live = new Set<string>();
    return {
      live,
      registerLayer: (c: { id: string }) => (live.add(c.id), () => live.delete(c.id)),
      registerPanel: (c: { id: string }) => (live.add(c.id), () => live.delete(c.id)),
    };
  }

  it('registers each contribution with its resolved export and disposes them', () => {
    const host = recordingHost();
    const handle = activate(host, { manifest: testManifest, exports: exportsOk });
    expect([...host.live].sort()).toEqual(['flamingo.test-layer', 'flamingo.test-panel']);
    expect(handle.layers).toEqual(['flamingo.test-layer']);
    handle.dispose();
    expect(host.live.size).toBe(0);
  });

  it('fails with the missing export named and leaves nothing registered', () => {
    const host = recordingHost();
    expect(() => activate(host, { manifest: testManifest, exports: { makeLayer: () => ({}) } })).toThrow(/TestPanel/);
    expect(host.live.size).toBe(0);
  });
});
