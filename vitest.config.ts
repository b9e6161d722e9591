import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // wgsl_reflect 1.6 declares ESM but its `main` is CommonJS; Viv/luma.gl import it by name.
    alias: {
      wgsl_reflect: fileURLToPath(new URL('./node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Loopback servers and child processes: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    server: {
      deps: { inline: ['@hms-dbmi/viv', /@vivjs\//, /@deck\.gl\//, /@luma\.gl\//, 'wgsl_reflect'] },
    },
  },
});
