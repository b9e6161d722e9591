import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createZstdCodec } from '../../../src/session/codec/index.node.ts';
import { CodecError } from '../../../src/session/codec/types.ts';
import { createNativeZstdCodec } from '../../../src/session/codec/zstd-native.node.ts';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';

function chunk(seed: number, n = 32 ** 3): Uint16Array {
  const a = new Uint16Array(n);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = 100 + (s >>> 27) + (i % 5000 === 0 ? 60000 : 0);
  }
  return a;
}

describe('zstd codecs', () => {
  it('native and WebAssembly codecs read each other and keep every byte', async () => {
    const native = createNativeZstdCodec(3);
    const wasm = createWasmZstdCodec(3);
    expect(native.config).toEqual({ id: 'zstd', level: 3 });
    expect(wasm.config).toEqual({ id: 'zstd', level: 3 });
    const data = chunk(7);
    const raw = new Uint8Array(data.buffer);
    const a = await native.encode(data);
    const b = await wasm.encode(raw);
    expect(a.byteLength).toBeLessThan(raw.byteLength);
    expect(await wasm.decode(a)).toEqual(raw);
    expect(await native.decode(b)).toEqual(raw);
    // A view into a larger buffer encodes only its own bytes.
    const big = new Uint16Array(10 + data.length);
    big.set(data, 10);
    expect(await native.decode(await native.encode(big.subarray(10)))).toEqual(raw);
  });

  it('createZstdCodec prefers native and falls back on request', async () => {
    expect((await createZstdCodec(1)).implementation).toBe('native');
    expect((await createZstdCodec(1, { prefer: 'wasm' })).implementation).toBe('wasm');
  });

  it('refuses levels outside 1–22 and reports corrupt chunks', async () => {
    for (const l of [0, 23, 1.5, Number.NaN]) {
      expect(() => createNativeZstdCodec(l)).toThrow(CodecError);
      expect(() => createWasmZstdCodec(l)).toThrow(/not an integer from 1 to 22/);
    }
    const enc = await createNativeZstdCodec(1).encode(chunk(1));
    const cut = enc.subarray(0, enc.byteLength >> 1);
    await expect(createNativeZstdCodec(1).decode(cut)).rejects.toMatchObject({ code: 'corrupt-chunk' });
    await expect(createWasmZstdCodec(1).decode(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({ code: 'corrupt-chunk' });
  });

  it('writes chunks python numcodecs decodes to the same values', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fv-codec-'));
    try {
      const data = chunk(3);
      writeFileSync(path.join(dir, 'native'), await createNativeZstdCodec(5).encode(data));
      writeFileSync(path.join(dir, 'wasm'), await createWasmZstdCodec(5).encode(data));
      writeFileSync(path.join(dir, 'raw'), new Uint8Array(data.buffer));
      const script = [
        'import sys, numpy as np, numcodecs',
        'd = sys.argv[1]',
        'raw = np.fromfile(d + "/raw", dtype="<u2")',
        'codec = numcodecs.get_codec({"id": "zstd", "level": 5})',
        'for n in ("native", "wasm"):',
        '    out = np.frombuffer(codec.decode(open(d + "/" + n, "rb").read()), dtype="<u2")',
        '    assert np.array_equal(out, raw), n',
        'print("ok")',
      ].join('\n');
      expect(execFileSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' }).trim()).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
