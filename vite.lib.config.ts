/**
 * The library build: `src/index.ts` (browsers, workers, Node) and `src/node.ts` (Node-only) as
 * ES modules in `dist/`, with every dependency and peer left as an import (Viv, deck.gl, luma.gl
 * and React are the host's; zarrita, numcodecs, comlink, fflate, ws come from npm install).
 * Type declarations come from `tsc -p tsconfig.build.json` into the same folder.
 *
 * @example
 * npx vite build --config vite.lib.config.ts && npx tsc -p tsconfig.build.json
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const packages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
const bare = (id: string): boolean =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  packages.some((p) => id === p || id.startsWith(`${p}/`)) ||
  /^@(deck\.gl|luma\.gl|vivjs|math\.gl|loaders\.gl)\//.test(id) ||
  /^(react|react-dom)(\/|$)/.test(id);

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: {
        index: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
        node: fileURLToPath(new URL('./src/node.ts', import.meta.url)),
        'plugin-entry': fileURLToPath(new URL('./src/plugin-entry.ts', import.meta.url)),
      },
      formats: ['es'],
    },
    rollupOptions: {
      external: bare,
      output: { preserveModules: false, chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
