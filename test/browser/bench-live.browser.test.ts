/**
 * `bench:live` end to end on small frames: the DevTools driver opens a page, evaluates in it,
 * reports page errors and cleans up after itself; the benchmark builds the app, drives the
 * Acquisition panel, and reports what the bridge and the viewer did, with numbers that add up.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/bench/cdp.node.ts';
import { runLiveBenchmark } from '../../src/bench/live.node.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('the DevTools driver', () => {
  it('opens a page, evaluates in it, waits for a condition, collects page errors and closes Chromium', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>t</title><p id="p">0</p><script>setTimeout(() => { p.textContent = "ready"; }, 300); setTimeout(() => { throw new Error("boom in the page"); }, 10);</script>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const page = await launchChromium({ executable: CHROMIUM, width: 640, height: 480, args: ['--no-sandbox'] });
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await page.evaluate<number>('6 * 7')).toBe(42);
      expect(await page.evaluate<{ w: number }>('({ w: innerWidth })')).toEqual({ w: 640 });
      expect(await page.waitFor<string>("document.getElementById('p').textContent === 'ready' && 'yes'", 'The paragraph turning ready', 10_000)).toBe('yes');
      await expect(page.evaluate('nope()')).rejects.toThrow(/In the page: ReferenceError: nope is not defined/);
      await expect(page.waitFor('false', 'Something that never happens', 300, 50)).rejects.toThrow(/Something that never happens did not happen within 0.3 s \(page errors: .*boom in the page/);
      expect(page.errors.join(' ')).toMatch(/boom in the page/);
    } finally {
      await page.close();
      server.close();
    }
    // Chromium itself is gone (its process group was killed).
    expect(() => process.kill(page.pid, 0)).toThrow();
  }, 60_000);

  it('says which Chromium could not be started', async () => {
    await expect(launchChromium({ executable: '/nonexistent/chromium', width: 100, height: 100 })).rejects.toThrow(/\/nonexistent\/chromium/);
  });
});

describe('bench:live on small frames', () => {
  it('acquires every plane, writes them all, shows some, and splits the latency into parts that add up', async () => {
    const lines: string[] = [];
    const r = await runLiveBenchmark({ frames: 30, frameSize: 128, log: (l) => lines.push(l) });
    expect(lines.some((l) => /acquiring 30 planes of 128²/.test(l))).toBe(true);
    expect(r).toMatchObject({ frames: 30, width: 128, height: 128, writer_dropped: 0 });
    expect(r.frames_received).toBe(30);
    expect(r.frames_written).toBe(30);
    expect(r.frames_displayed).toBeGreaterThan(0);
    expect(r.frames_displayed + r.frames_display_dropped).toBe(r.frames_received);
    expect(r.latency_samples).toBe(r.frames_displayed);
    for (const k of ['fps_ingest', 'latency_ms_p50', 'latency_ms_p95', 'transit_ms_p50', 'viewer_ms_p50', 'cpu_seconds_bridge', 'seconds'] as const) {
      expect(Number.isFinite(r[k]) && r[k] > 0, k).toBe(true);
    }
    expect(r.latency_ms_p50).toBeLessThanOrEqual(r.latency_ms_p95);
    // Each displayed plane's latency is its transit plus its time in the viewer (medians need not add).
    expect(r.transit_ms_p50).toBeLessThanOrEqual(r.latency_ms_p95);
    expect(r.cpu_seconds_chromium).toBeGreaterThanOrEqual(0);
    expect(r.renderer).toMatch(/WebGL|SwiftShader|ANGLE/i);
  }, 240_000);
});
