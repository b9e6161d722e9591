/** Shared helpers for reader tests: temporary folders, python3-zarr, stores in memory. */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';

export const REFERENCE = path.resolve('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr');

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a Python script with Debian's python3 (zarr 2.13, numpy); returns stdout bytes. */
export function python(script: string, args: string[] = []): Buffer {
  return execFileSync('/usr/bin/python3', ['-c', script, ...args], { maxBuffer: 64 * 2 ** 20 });
}

const enc = new TextEncoder();

export function json(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

export function text(s: string): Uint8Array {
  return enc.encode(s);
}

/** A memory store filled from `{key: bytes | JSON value}`. */
export async function memoryStore(files: Record<string, Uint8Array | string | object>, description = 'test store'): Promise<MemoryStore> {
  const s = new MemoryStore(description);
  for (const [k, v] of Object.entries(files)) await s.set(k, v instanceof Uint8Array ? v : typeof v === 'string' ? text(v) : json(v));
  return s;
}

export function referenceValue(c: number, z: number, y: number, x: number): number {
  return (c * 1000 + z * 7 + y * 3 + x) % 4096;
}
