/** Runs a Python snippet with /usr/bin/python3 (numpy, scipy) on JSON input; returns its JSON output. */
import { spawnSync } from 'node:child_process';

export function python<T>(code: string, input: unknown): T {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
