import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opFromOptions } from '../../src/cli/transform.ts';
import { runCli } from './run-cli.ts';

/** Python with numpy, scipy and zarr: makes the inputs and checks the outputs independently. */
function python(script: string, ...args: string[]): string {
  return execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
}

describe('flamingo-viv transform', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fv-transform-'));
    python(
      `
import numpy as np, sys
rng = np.random.default_rng(7)
d = sys.argv[1]
np.save(d + '/u16.npy', rng.integers(0, 65535, (12, 20, 24), dtype=np.uint16))
np.save(d + '/u8.npy', rng.integers(0, 255, (10, 16, 16), dtype=np.uint8))
np.save(d + '/f32.npy', rng.random((8, 12, 14), dtype=np.float32) * 1000)
np.save(d + '/plane.npy', rng.integers(0, 65535, (30, 40), dtype=np.uint16))
np.save(d + '/i32.npy', np.zeros((4, 4, 4), dtype=np.int32))
`,
      dir,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('smooths a uint16 .npy exactly as scipy.ndimage.gaussian_filter does', async () => {
    const r = await runCli(['transform', join(dir, 'u16.npy'), join(dir, 'u16-g.npy'), '--op', 'gaussian', '--sigma', '1,1.5,2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'npy', dtype: 'uint16', input_shape: [12, 20, 24], output_shape: [12, 20, 24] });
    const same = python(
      `
import numpy as np, scipy.ndimage as ndi, sys
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
ref = ndi.gaussian_filter(a, (1, 1.5, 2), mode='reflect', truncate=4.0)
print(b.dtype, b.shape, int(np.abs(ref.astype(np.int64) - b).max()))
`,
      join(dir, 'u16.npy'),
      join(dir, 'u16-g.npy'),
    );
    expect(same.trim()).toBe('uint16 (12, 20, 24) 0');
  });

  it('keeps uint8 and float32, and a 2-D array stays 2-D', async () => {
    expect((await runCli(['transform', join(dir, 'u8.npy'), join(dir, 'u8-d.npy'), '--op', 'downsample', '--factor', '2', '--reduce', 'max'])).code).toBe(0);
    expect((await runCli(['transform', join(dir, 'f32.npy'), join(dir, 'f32-s.npy'), '--op', 'shift', '--offset', '1.5,-2,0.25', '--order', '1'])).code).toBe(0);
    expect((await runCli(['transform', join(dir, 'plane.npy'), join(dir, 'plane-r.npy'), '--op', 'rotate', '--axis', 'z', '--angle', '0', '--order', '0'])).code).toBe(0);
    const out = python(
      `
import numpy as np, scipy.ndimage as ndi, sys
d = sys.argv[1]
a = np.load(d + '/u8.npy'); b = np.load(d + '/u8-d.npy')
ref = a.reshape(5, 2, 8, 2, 8, 2).max(axis=(1, 3, 5))
print(b.dtype, b.shape, bool((ref == b).all()))
f = np.load(d + '/f32.npy'); g = np.load(d + '/f32-s.npy')
fr = ndi.shift(f, (1.5, -2, 0.25), order=1, mode='constant', cval=0.0)
print(g.dtype, g.shape, bool(np.allclose(fr, g, rtol=1e-4, atol=1e-3)))
p = np.load(d + '/plane.npy'); q = np.load(d + '/plane-r.npy')
print(q.dtype, q.shape, bool((p == q).all()))
`,
      dir,
    );
    expect(out.trim().split('\n')).toEqual(['uint8 (5, 8, 8) True', 'float32 (8, 12, 14) True', 'uint16 (30, 40) True']);
  });

  it('transforms a session into a new session that python zarr reads', async () => {
    // The known-good sample session shipped with the specs is the input image.
    const sample = '../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr';
    const out = join(dir, 'smoothed.ome.zarr');
    const r = await runCli(['transform', sample, out, '--op', 'gaussian', '--sigma', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { kind: string; output: string; output_shape: number[] };
    expect(result.kind).toBe('session');
    const valid = await runCli(['validate', result.output, '--json']);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true });
    const check = python(
      `
import numpy as np, zarr, scipy.ndimage as ndi, sys
a = zarr.open(sys.argv[1], mode='r')['0'][:]
b = zarr.open(sys.argv[2], mode='r')['0'][:]
worst = 0
for c in range(a.shape[0]):
    ref = ndi.gaussian_filter(a[c], 1.0, mode='reflect', truncate=4.0)
    worst = max(worst, int(np.abs(ref.astype(np.int64) - b[c]).max()))
print(a.shape == b.shape, b.dtype, worst)
`,
      sample,
      result.output,
    );
    expect(check.trim()).toBe('True uint16 0');
  });

  it('refuses bad usage with exit 2 and a message naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--op', 'blur'], /--op must be one of/],
      [['--op', 'gaussian'], /--sigma is required/],
      [['--op', 'gaussian', '--sigma', '1,2'], /--sigma takes 1 or 3/],
      [['--op', 'rotate', '--axis', 'w', '--angle', '3'], /--axis must be one of x, y, z/],
      [['--op', 'affine', '--matrix', '1,0,0,0,1,0,0,0', '--offset', '0,0,0'], /--matrix takes 9/],
      [['--op', 'shift', '--offset', 'a,b,c'], /--offset must be a number/],
      [['--op', 'downsample', '--factor', '0'], /--factor must be between 1 and 1024/],
      [['--op', 'shift', '--offset', '0,0,0', '--order', '3'], /--order must be between 0 and 1/],
    ];
    for (const [args, message] of cases) {
      const values: Record<string, string> = {};
      for (let i = 0; i < args.length; i += 2) values[args[i]!.slice(2)] = args[i + 1]!;
      expect(() => opFromOptions(values), args.join(' ')).toThrow(message);
    }
    // And through the real command: exit status 2, the message on stderr, nothing written.
    const r = await runCli(['transform', join(dir, 'u16.npy'), join(dir, 'bad.npy'), '--op', 'gaussian', '--sigma', '1,2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sigma takes 1 or 3/);
    expect(existsSync(join(dir, 'bad.npy'))).toBe(false);
  });

  it('fails clearly on data it cannot transform and writes nothing', async () => {
    const r = await runCli(['transform', join(dir, 'i32.npy'), join(dir, 'i32-out.npy'), '--op', 'gaussian', '--sigma', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/i32\.npy/);
    const big = await runCli(['transform', join(dir, 'u8.npy'), join(dir, 'u8-big.npy'), '--op', 'downsample', '--factor', '64']);
    expect(big.code).not.toBe(0);
    expect(big.stderr).toMatch(/factor|empty|shape/i);
    writeFileSync(join(dir, 'junk.npy'), 'not numpy');
    const junk = await runCli(['transform', join(dir, 'junk.npy'), join(dir, 'junk-out.npy'), '--op', 'gaussian', '--sigma', '1']);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/junk\.npy.*not an \.npy file/);
    expect(readdirSync(dir).filter((f) => /out\.npy|big\.npy|\.tmp$/.test(f))).toEqual([]);
  });
});
