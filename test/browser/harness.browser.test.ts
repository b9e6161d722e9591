/**
 * The Chromium harness itself: cross-origin isolation in the page and its module workers,
 * WebGL2 through SwiftShader (a draw that samples a 16-bit 3D texture reads back right),
 * what it serves (bundles, files, folders, a route), collected page errors, fresh contexts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from './harness.ts';
import type { Harness } from './harness.ts';
import type { Page } from 'playwright-core';

let h: Harness;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fv-harness-'));

beforeAll(async () => {
  mkdirSync(path.join(tmp, 'sub'));
  writeFileSync(path.join(tmp, 'sub', 'data.bin'), Buffer.from([1, 2, 3]));
  h = await openBrowser({
    entries: { main: 'test/browser/support/harness-page.ts', worker: 'test/browser/support/harness-worker.ts' },
    files: { '/hello.txt': 'hello' },
    dirs: { '/folder/': tmp },
    route: (req, res) => {
      if (req.url !== '/custom') return false;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('custom');
      return true;
    },
  });
});
afterAll(async () => {
  await h?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const page = <R>(fn: string): Promise<R> => h.page.evaluate(fn) as Promise<R>;

describe('the Chromium harness', () => {
  it('serves an isolated page whose module worker shares memory', async () => {
    expect(h.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await page('crossOriginIsolated')).toBe(true);
    expect(await page('harnessPage.askWorker()')).toEqual({ isolated: true, sab: true, sum: 42 });
  });

  it('renders WebGL2 through SwiftShader, sampling an R16UI 3D texture', async () => {
    const r = await page<{ version: string; renderer: string; pixel: number[] } | null>(`(() => {
      const c = document.createElement('canvas'); c.width = c.height = 4;
      const gl = c.getContext('webgl2'); if (!gl) return null;
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const shader = (type, src) => { const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s); return s; };
      const p = gl.createProgram();
      gl.attachShader(p, shader(gl.VERTEX_SHADER, '#version 300 es\\nin vec2 a; void main() { gl_Position = vec4(a, 0, 1); }'));
      gl.attachShader(p, shader(gl.FRAGMENT_SHADER, '#version 300 es\\nprecision highp float; uniform highp usampler3D t; out vec4 o; void main() { o = vec4(float(texture(t, vec3(0.5)).r) / 65535.0, 0.5, 0.25, 1); }'));
      gl.linkProgram(p); gl.useProgram(p);
      gl.bindTexture(gl.TEXTURE_3D, gl.createTexture());
      gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texImage3D(gl.TEXTURE_3D, 0, gl.R16UI, 1, 1, 1, 0, gl.RED_INTEGER, gl.UNSIGNED_SHORT, new Uint16Array([65535]));
      gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
      gl.enableVertexAttribArray(0); gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      const px = new Uint8Array(4); gl.readPixels(1, 1, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      return { version: gl.getParameter(gl.VERSION), renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : '', pixel: [...px] };
    })()`);
    expect(r).not.toBeNull();
    expect(r!.version).toMatch(/^WebGL 2\.0/);
    expect(r!.renderer).toMatch(/SwiftShader/);
    expect(r!.pixel).toEqual([255, 128, 64, 255]);
  });

  it('serves files, folders and a route of the test’s own, with the isolation headers', async () => {
    const r = await page<Record<string, unknown>>(`(async () => {
      const text = async (u) => { const res = await fetch(u); return [res.status, await res.text()]; };
      const data = await fetch('/folder/sub/data.bin');
      return {
        hello: await text('/hello.txt'),
        custom: await text('/custom'),
        data: [...new Uint8Array(await data.arrayBuffer())],
        coep: data.headers.get('cross-origin-embedder-policy'),
        missing: (await fetch('/folder/sub/none')).status,
        escape: (await fetch('/folder/..%2F..%2Fetc%2Fpasswd')).status,
        unknown: (await fetch('/nothing-here')).status,
      };
    })()`);
    expect(r).toEqual({ hello: [200, 'hello'], custom: [200, 'custom'], data: [1, 2, 3], coep: 'require-corp', missing: 404, escape: 403, unknown: 404 });
    expect(h.url('/folder/sub/data.bin')).toBe(`${h.origin}/folder/sub/data.bin`);
  });

  it('collects uncaught page errors', async () => {
    await page('harnessPage.throwLater()');
    await h.page.waitForFunction(() => true);
    await expect.poll(() => h.errors.some((e) => e.includes('boom from the page'))).toBe(true);
  });

  it('opens more pages: the same context shares OPFS, a fresh one starts empty', async () => {
    await page(`navigator.storage.getDirectory().then((d) => d.getFileHandle('mark', { create: true }))`);
    const names = (p: Page) => p.evaluate(`(async () => { const out = []; for await (const k of (await navigator.storage.getDirectory()).keys()) out.push(k); return out; })()`);
    const same = await h.newPage();
    const fresh = await h.newPage({ fresh: true });
    expect(await names(same)).toContain('mark');
    expect(await names(fresh)).toEqual([]);
    expect(await fresh.evaluate('harnessPage.askWorker()')).toMatchObject({ sum: 42 });
  });

  it('opens a page of custom HTML with no entries, ready at its load event', async () => {
    const other = await openBrowser({ html: '<!doctype html><p id="x">plain</p>' });
    try {
      expect(await other.page.textContent('#x')).toBe('plain');
      expect(await other.page.evaluate('crossOriginIsolated')).toBe(true);
    } finally {
      await other.close();
    }
  });
});
