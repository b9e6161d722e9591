import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../cli/run-cli.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('flamingo-viv start', () => {
  it('prints the ready line, serves the app isolated, and on Ctrl-C leaves a running session interrupted and exits 0', async () => {
    const app = path.join(tmp, 'built-app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'index.html'), '<!doctype html><title>built app</title>\n');
    const sessions = path.join(tmp, 'sessions');
    const { child, match, output, exited } = await startCli(
      ['start', '--port', '0', '--sessions', sessions, '--app', app, '--frame-size', '256x256'],
      /^flamingo-viv ready at (http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]+)\n/m,
      60_000,
    );
    const [, url, port, token] = match as unknown as [string, string, string, string];
    expect(Number(port)).toBeGreaterThan(0);
    expect(output().stdout).toBe(`flamingo-viv ready at ${url}/?token=${token}\n`);

    const page = await fetch(`${url}/?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>built app</title>');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');

    // A long z-stack, started over HTTP with the token; Ctrl-C while it runs.
    const started = await fetch(`${url}/api/ops/startAcquisition`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ request: { zStartMm: 19, zEndMm: 19.4, stepUm: 1, lasers: [488], name: 'interrupted run' } }),
    });
    expect(started.status).toBe(200);
    for (;;) {
      const status = (await (await fetch(`${url}/api/status`)).json()) as { counters: { framesWritten: number } };
      if (status.counters.framesWritten > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const folders = readdirSync(sessions);
    expect(folders).toEqual(['interrupted_run.ome.zarr']);
    const attrs = JSON.parse(readFileSync(path.join(sessions, folders[0]!, '.zattrs'), 'utf8')) as { flamingo: { status: string; status_reason: string; acquisition: { frames_written: number; frames_expected: number } } };
    expect(attrs.flamingo).toMatchObject({ status: 'interrupted', status_reason: 'stopped by the user' });
    expect(attrs.flamingo.acquisition.frames_written).toBeGreaterThan(0);
    expect(attrs.flamingo.acquisition.frames_written).toBeLessThan(attrs.flamingo.acquisition.frames_expected);
  }, 90_000);
});
