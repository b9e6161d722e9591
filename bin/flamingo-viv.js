#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step): tsx registers its loader, then the
// command module takes over. Exit codes: 0 success, 1 task failed, 2 bad usage.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
