/**
 * The benchmark environment in Node: `describeEnvironment` plus `os.availableParallelism()`
 * (Node 20 has no `navigator`) and the package version.
 *
 * @example
 * const env = nodeEnvironment({ setupMs: 31.2 }); // { runtime: 'node', versions: { flamingo_viv: '0.1.0', node: '20.20.2', v8: '…' }, … }
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describeEnvironment, type BenchmarkEnvironment } from './environment.ts';

/** flamingo-viv's version, from its package.json. */
export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export function nodeEnvironment(options: { setupMs?: number | null; timerResolutionMs?: number } = {}): BenchmarkEnvironment {
  return describeEnvironment({
    appVersion: appVersion(),
    setupMs: options.setupMs ?? null,
    timerResolutionMs: options.timerResolutionMs,
    hardwareConcurrency: os.availableParallelism(),
  });
}
