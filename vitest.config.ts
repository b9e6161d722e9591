import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const BROWSER_TESTS = 'test/**/*.browser.test.ts';

export default defineConfig({
  resolve: {
    // wgsl_reflect 1.6 declares ESM but its `main` is CommonJS; Viv/luma.gl import it by name.
    alias: {
      wgsl_reflect: fileURLToPath(new URL('./node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)),
    },
  },
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Loopback servers and child processes: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    server: {
      deps: { inline: ['@hms-dbmi/viv', /@vivjs\//, /@deck\.gl\//, /@luma\.gl\//, 'wgsl_reflect'] },
    },
    projects: [
      // Loopback-TCP and timing-sensitive tests first, without Chromium competing for the cores;
      // the real-browser tests (Chromium with software WebGL) after them.
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: [...configDefaults.exclude, BROWSER_TESTS], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'browser', include: [BROWSER_TESTS], sequence: { groupOrder: 1 } } },
    ],
  },
});
