/**
 * Source for a worker thread that runs one of the bridge's TypeScript worker bodies: it
 * registers tsx's loader (the sources are not compiled) when tsx is installed, then imports
 * the body. Use with `new Worker(workerCode(url), { eval: true })`.
 *
 * @example
 * const worker = new Worker(workerCode(new URL('./display-worker.node.ts', import.meta.url)), { eval: true });
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function workerCode(body: URL): string {
  let register = '';
  try {
    const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
    register = `const { register } = await import(${JSON.stringify(api)}); register();`;
  } catch {
    register = '';
  }
  return `(async () => { ${register} await import(${JSON.stringify(body.href)}); })().catch((e) => { setImmediate(() => { throw e; }); });`;
}
