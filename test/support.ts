/** Small helpers shared by tests: byte concatenation, chunked feeding, spec text. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pushes `bytes` into a push parser cut at the given offsets; returns every message in order. */
export function feed<M>(parser: { push(chunk: Uint8Array): M[] }, bytes: Uint8Array, cuts: readonly number[] = []): M[] {
  const out: M[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return out;
}

/** The first fenced block after a heading (e.g. `### 8.6`) of a spec in ../shared/specs, read at test time. */
export function specBlock(specFile: string, heading: string): string {
  const spec = readFileSync(resolve(process.cwd(), '../shared/specs', specFile), 'utf8');
  const lines = spec.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${heading} `));
  if (at < 0) throw new Error(`Heading ${heading} is not in ${specFile}.`);
  const open = lines.findIndex((l, i) => i > at && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  return lines.slice(open + 1, close).join('\n');
}

/** mulberry32: a tiny seeded PRNG in [0, 1), so a failing random case replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
