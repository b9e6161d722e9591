/**
 * Vite config of the viewer shell (`app/`): React, cross-origin isolation headers (the
 * SharedArrayBuffers of the worker pipeline need them) in dev and preview, module workers, and
 * a relative base so the built app works from any folder the bridge serves it under.
 *
 * @example
 * npx vite --config app/vite.config.ts            # dev server
 * npx vite build --config app/vite.config.ts      # → dist/app/
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  resolve: {
    alias: {
      // wgsl_reflect 1.6 declares ESM but its `main` is CommonJS; luma.gl imports it by name.
      wgsl_reflect: fileURLToPath(new URL('../node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)),
    },
  },
  server: { headers: isolation, host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { headers: isolation, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../dist/app', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
});
