import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every source module, so that none rots unimported (and each at least loads). */
function sourceModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceModules(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('source tree', () => {
  // Worker entry points run only inside a worker (they read workerData or expose themselves to
  // their parent); the pool, contrast and backend tests load them there.
  const modules = sourceModules('src').filter((m) => !/(-worker\.node|\.worker|[/-]worker\.(node|browser))\.ts$/.test(m));

  it.each(modules.map((m) => [relative('src', m)]))('%s loads', async (path) => {
    await expect(import(/* @vite-ignore */ `../src/${path}`)).resolves.toBeDefined();
  });

  it('the public API exports exactly what it did (a new export is a deliberate choice)', async () => {
    const api = await import('../src/index.ts');
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });

  it('the Node API exports exactly what it did', async () => {
    const api = await import('../src/node.ts');
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });
});
