// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports a pure core may not use: no Node built-ins, no DOM-bound or React packages. */
const pureCore = {
  patterns: [
    { group: ['node:*'], message: 'Pure cores run in browsers and workers: no Node built-ins.' },
    { group: ['react', 'react-dom', 'react/*'], message: 'React lives only in panels/ and app/.' },
    { group: ['@deck.gl/*', '@luma.gl/*', '@hms-dbmi/viv'], message: 'Pure cores know nothing of rendering.' },
    { group: ['**/flamingo/*', '**/simulator/*', '**/cli/*', '**/bridge/*', '**/panels/*', '**/layers/*'], message: 'Imports point downward only (DESIGN.md).' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'storybook-static/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: [
      'src/acquisition/protocol/**',
      'src/session/metadata/**',
      'src/transforms/kernels/**',
      'src/transforms/display/**',
      'src/transforms/manager/**',
      'src/transforms/apply.ts',
      'src/transforms/types.ts',
      'src/bench/statistics.ts',
      'src/bench/suite.ts',
      'src/bench/results.ts',
      'src/bench/export.ts',
      'src/bench/compare.ts',
    ],
    rules: { 'no-restricted-imports': ['error', pureCore] },
  },
  {
    files: ['src/acquisition/**'],
    ignores: ['src/acquisition/flamingo/**', 'src/acquisition/simulator/**', 'src/acquisition/browser/**'],
    rules: { 'no-restricted-imports': ['error', pureCore] },
  },
  {
    // The protocol logic runs over any transport (TCP in Node, memory in a worker); only the
    // socket and the TCP simulator server are Node. The browser backend runs the simulator.
    files: ['src/acquisition/flamingo/**', 'src/acquisition/simulator/**', 'src/acquisition/browser/**'],
    ignores: ['src/acquisition/flamingo/socket.ts', 'src/acquisition/simulator/server.ts', 'src/acquisition/simulator/live-viewer.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: pureCore.patterns.filter((p) => !p.group.includes('**/simulator/*')).concat([{ group: ['**/cli/*', '**/bridge/*', '**/panels/*', '**/layers/*'], message: 'Imports point downward only (DESIGN.md).' }]) }],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    files: ['src/cli/**', 'bin/**', 'test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
