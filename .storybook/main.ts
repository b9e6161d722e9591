/**
 * Storybook 10 (`@storybook/react-vite`), written by hand (`storybook init` needs a package
 * that is not served here). Stories live in `stories/`; the Vite settings mirror the app's
 * (React, the wgsl_reflect alias, module workers).
 *
 * @example
 * STORYBOOK_DISABLE_TELEMETRY=1 npx storybook build -c .storybook -o storybook-static
 */
import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/react-vite';

const config: StorybookConfig = {
  framework: { name: '@storybook/react-vite', options: {} },
  stories: ['../stories/**/*.stories.tsx'],
  addons: [],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  typescript: { reactDocgen: false },
  viteFinal: async (vite) => ({
    ...vite,
    resolve: {
      ...vite.resolve,
      alias: {
        ...(vite.resolve?.alias as Record<string, string> | undefined),
        wgsl_reflect: fileURLToPath(new URL('../node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)),
      },
    },
    worker: { ...vite.worker, format: 'es' },
    build: { ...vite.build, chunkSizeWarningLimit: 8000 },
  }),
};

export default config;
