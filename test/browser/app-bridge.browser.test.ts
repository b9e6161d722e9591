/**
 * The viewer app served by the bridge (`flamingo-viv start`'s server, simulator on its own
 * thread), opened with the printed `?token=` URL in Chromium and driven by role: the app picks
 * the bridge, connects, runs a z-stack with the counters moving, stops, saves the session, and
 * links it to Vizarr and Neuroglancer by its served URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';
import { startBridge } from '../../src/bridge/index.ts';
import type { RunningBridge } from '../../src/bridge/index.ts';

let h: Harness;
let bridge: RunningBridge;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-app-bridge-'));
  const appDir = path.join(tmp, 'app');
  await build({ configFile: 'app/vite.config.ts', logLevel: 'error', build: { outDir: appDir, emptyOutDir: true, sourcemap: false, minify: false } });
  bridge = await startBridge({
    port: 0,
    sessionsDir: path.join(tmp, 'sessions'),
    app: { dist: appDir, devRoot: null },
    simulator: { seed: 1, frameWidth: 512, frameHeight: 512 },
  });
  h = await openBrowser({ viewport: { width: 1280, height: 900 } });
  await h.page.goto(bridge.readyUrl);
}, 240_000);

afterAll(async () => {
  await h?.close();
  await bridge?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function acquired(text: string): number {
  const m = /Frames acquired (\d+) of (\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

describe('viewer app (served by the bridge)', () => {
  it('picks the bridge, runs a z-stack with moving counters, stops and saves', async () => {
    const page = h.page;
    await page.getByText(`Bridge at ${bridge.url}`, { exact: true }).waitFor({ timeout: 60_000 });
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    await page.getByText(/^Connected to /).or(connect).first().waitFor({ timeout: 60_000 });
    if (await connect.isVisible()) await connect.click();
    await page.getByText(/^Connected to /).waitFor({ timeout: 60_000 });
    const plan = page.getByRole('form', { name: 'Acquisition plan' });
    // The plan starts at the stage's Z (the simulator's home, 19 mm) ...
    await expect.poll(async () => plan.getByLabel('Start Z (mm)').inputValue(), { timeout: 30_000 }).toBe('19');

    // ... also in a second tab opened on the bridge that is connected already.
    const second = await h.newPage({ fresh: true });
    await second.goto(bridge.readyUrl);
    await second.getByText(/^Connected to /).waitFor({ timeout: 60_000 });
    const secondPlan = second.getByRole('form', { name: 'Acquisition plan' });
    await expect.poll(async () => secondPlan.getByLabel('Start Z (mm)').inputValue(), { timeout: 30_000 }).toBe('19');
    expect(await secondPlan.getByLabel('End Z (mm)').inputValue()).toBe('19.1');
    await second.close();

    await plan.getByLabel('Session name').fill('bridge-test');
    await page.getByRole('button', { name: 'Start acquisition' }).click();
    const counters = page.getByRole('status', { name: 'Counters' });
    let first = -1;
    await expect.poll(async () => (first = acquired(await counters.innerText())), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(async () => acquired(await counters.innerText()), { timeout: 60_000 }).toBeGreaterThan(first);
    const stop = page.getByRole('button', { name: 'Stop' });
    // The stack may end on its own meanwhile: then Stop is disabled again and there is nothing to stop.
    await stop.click({ timeout: 5000 }).catch(() => undefined);
    await expect.poll(async () => page.getByRole('button', { name: 'Start acquisition' }).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await counters.innerText()).toContain('dropped by writer 0');

    await page.getByLabel('Description').fill('saved through the bridge');
    await page.getByRole('button', { name: 'Save session' }).click();
    await page.getByText(/^Saved bridge-test/).waitFor({ timeout: 30_000 });
    const served = `${bridge.url}/sessions/bridge-test.ome.zarr/`;
    expect(await page.getByRole('link', { name: 'Open in Vizarr' }).getAttribute('href')).toContain(encodeURIComponent(served));
    expect(await page.getByRole('link', { name: 'Open in Neuroglancer' }).getAttribute('href')).toContain(encodeURIComponent(`zarr://${served.replace(/\/$/, '')}`));
  }, 240_000);

  it('opens a served session by URL, and shows an error for a bad one', async () => {
    const page = h.page;
    await page.getByLabel('Session URL').fill(`${bridge.url}/sessions/no-such-session.ome.zarr/`);
    await page.getByRole('button', { name: 'Open URL' }).click();
    await page.getByRole('alert').filter({ hasText: 'Open URL failed' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Session URL').fill(`${bridge.url}/sessions/bridge-test.ome.zarr/`);
    await page.getByRole('button', { name: 'Open URL' }).click();
    await page.getByText('Opened bridge-test.').waitFor({ timeout: 30_000 });
    await expect.poll(async () => page.getByRole('region', { name: '2D view' }).getAttribute('data-layers'), { timeout: 30_000 }).toBe('1');
  }, 120_000);
});
