import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decompress } from 'zstd-napi';
import { afterAll, describe, expect, it } from 'vitest';
import { bloscDecode, bloscHeader } from '../../../src/session/codec/blosc.ts';
import { createNativeBloscZstdCodec } from '../../../src/session/codec/blosc-zstd.node.ts';

const PYTHON = '/usr/bin/python3';
const unzstd = (b: Uint8Array): Uint8Array => new Uint8Array(decompress(b));
const dir = mkdtempSync(path.join(os.tmpdir(), 'flamingo-blosc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Camera-like uint16 (offset 100, a few counts of noise, rare bright pixels) as bytes. */
function cameraBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i + 1 < n; i += 2) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = 100 + (s >>> 28) + (i % 4001 === 0 ? 3000 : 0);
    out[i] = v & 0xff;
    out[i + 1] = v >> 8;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// numcodecs reads ours, writes its own; both directions in one python run.
const PY = `
import json, sys, os, numpy as np
from numcodecs import Blosc
d = sys.argv[1]
cases = json.load(open(os.path.join(d, 'ours.json')))
bad = []
for c in cases:
    raw = open(os.path.join(d, c + '.raw'), 'rb').read()
    got = bytes(Blosc().decode(open(os.path.join(d, c + '.blosc'), 'rb').read()))
    if got != raw: bad.append(c)
theirs = []
for shuffle in (0, 1, 2):
    for clevel in range(1, 10):
        for typesize, n, blocksize in ((2, 64**3 * 2, 0), (1, 5000, 0), (4, 40004, 4096), (8, 100000, 0), (2, 70001, 1024), (2, 1 << 20, 0)):
            if clevel > 3 and n > 200000: continue
            name = 'np-%d-%d-%d-%d-%d' % (shuffle, clevel, typesize, n, blocksize)
            raw = open(os.path.join(d, 'src-%d.raw' % n), 'rb').read()
            usable = len(raw) - len(raw) % typesize
            arr = np.frombuffer(raw[:usable], dtype='u%d' % typesize)
            enc = Blosc(cname='zstd', clevel=clevel, shuffle=shuffle, blocksize=blocksize).encode(arr)
            open(os.path.join(d, name + '.blosc'), 'wb').write(enc)
            theirs.append([name, n, usable])
# c-blosc splits blocks into typesize streams when asked (BLOSC_SPLITMODE); older writers did so.
os.environ['BLOSC_SPLITMODE'] = 'ALWAYS'
for shuffle in (0, 1, 2):
    for typesize, n, blocksize in ((2, 64**3 * 2, 0), (4, 40004, 4096), (2, 70001, 1024)):
        name = 'split-%d-%d-%d-%d' % (shuffle, typesize, n, blocksize)
        raw = open(os.path.join(d, 'src-%d.raw' % n), 'rb').read()
        usable = len(raw) - len(raw) % typesize
        enc = Blosc(cname='zstd', clevel=1, shuffle=shuffle, blocksize=blocksize).encode(np.frombuffer(raw[:usable], dtype='u%d' % typesize))
        open(os.path.join(d, name + '.blosc'), 'wb').write(enc)
        theirs.append([name, n, usable])
json.dump({'bad': bad, 'theirs': theirs}, open(os.path.join(d, 'result.json'), 'w'))
`;

describe('Blosc interop with python numcodecs', () => {
  it('numcodecs decodes our chunks bit-exact, and we decode numcodecs chunks (shuffle 0/1/2, clevel 1–9)', () => {
    const ours: string[] = [];
    const sizes = [5000, 40004, 64 ** 3 * 2, 100_000, 70_001, 1 << 20];
    for (const n of sizes) writeFileSync(path.join(dir, `src-${n}.raw`), cameraBytes(n, n));
    for (const shuffle of [1, 2] as const) {
      for (const clevel of [1, 3, 9]) {
        for (const [typesize, n, blocksize] of [[2, 64 ** 3 * 2, undefined], [2, 70_001, 4096], [4, 40_004, 1024], [1, 5000, undefined], [8, 100_000, 32_768]] as const) {
          const name = `ts-${shuffle}-${clevel}-${typesize}-${n}-${blocksize ?? 0}`;
          const raw = cameraBytes(n, n);
          const codec = createNativeBloscZstdCodec({ clevel, shuffle, typesize, blocksize });
          writeFileSync(path.join(dir, `${name}.raw`), raw);
          writeFileSync(path.join(dir, `${name}.blosc`), codec.encodeSync(raw));
          ours.push(name);
        }
      }
    }
    writeFileSync(path.join(dir, 'ours.json'), JSON.stringify(ours));
    execFileSync(PYTHON, ['-c', PY, dir], { stdio: 'pipe' });
    const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { bad: string[]; theirs: [string, number, number][] };
    expect(result.bad).toEqual([]);
    expect(result.theirs.length).toBeGreaterThan(100);
    const flags = new Set<number>();
    for (const [name, n, usable] of result.theirs) {
      const chunk = new Uint8Array(readFileSync(path.join(dir, `${name}.blosc`)));
      flags.add(bloscHeader(chunk).flags);
      const raw = cameraBytes(n, n).subarray(0, usable);
      if (!same(bloscDecode(chunk, unzstd), raw)) expect(name).toBe('decoded bit-exact');
    }
    // numcodecs wrote byte-shuffled, bit-shuffled and unshuffled chunks, split and not.
    expect([...flags].map((f) => f & 0x5)).toEqual(expect.arrayContaining([0, 1, 4]));
    expect([...flags].map((f) => f & 0x10)).toEqual(expect.arrayContaining([0, 0x10]));
  });
});
