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
    files: ['src/acquisition/protocol/**', 'src/transforms/kernels/**', 'src/bench/stats*', 'src/session/metadata/**'],
    rules: { 'no-restricted-imports': ['error', pureCore] },
  },
  {
    files: ['src/acquisition/**'],
    ignores: ['src/acquisition/flamingo/**', 'src/acquisition/simulator/**'],
    rules: { 'no-restricted-imports': ['error', pureCore] },
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
