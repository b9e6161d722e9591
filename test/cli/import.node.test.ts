import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './run-cli.ts';

const REFERENCE = path.resolve('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr');
const root = mkdtempSync(path.join(os.tmpdir(), 'fv-import-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the real `flamingo-viv import …`. */
function runImport(args: string[]): Promise<CliResult> {
  return runCli(['import', ...args]);
}

/** A 2-slot py2flamingo Zarr v2 session written by python3-zarr; slot 1 is all zero. */
function writeLegacy(folder: string): void {
  execFileSync('/usr/bin/python3', [
    '-c',
    `
import sys, math, zarr, numpy as np
from numcodecs import Blosc
g = zarr.open_group(sys.argv[1], mode="w")
g.attrs["session_metadata"] = {
    "session_name": "cli demo", "timestamp": "2026-11-26 04:06:47", "description": "Saved from Sample View",
    "storage_voxel_size_um": [5, 5, 5], "display_voxel_size_um": [50, 50, 50], "chamber_dimensions_um": [500, 3500, 4000],
    "chamber_origin_um": [12500, 0, 1000], "sample_region_center_um": [19250, 7000, 6655], "sample_region_radius_um": 8000,
    "reference_stage_position": None, "num_channels": 2, "channel_names": ["405nm (DAPI)", "488nm (GFP)"],
    "data_bounds_min_um": [math.inf] * 3, "data_bounds_max_um": [-math.inf] * 3, "total_voxels": 0, "memory_mb": 1.0}
z, y, x = np.meshgrid(np.arange(10), np.arange(70), np.arange(80), indexing="ij")
for c in (0, 1):
    a = g.create_dataset(str(c), shape=(10, 70, 80), chunks=(64, 64, 64), dtype="<u2", compressor=Blosc(cname="zstd", clevel=3, shuffle=1))
    a[:] = ((z * 7 + y * 3 + x) % 4096).astype("<u2") if c == 0 else 0
`,
    folder,
  ]);
}

describe('flamingo-viv import', () => {
  const legacy = path.join(root, 'cli_demo_20261126_040647.zarr');

  it('converts a py2flamingo session and prints {path, source, channels, shape, levels, frames_written, seconds}', async () => {
    writeLegacy(legacy);
    const out = path.join(root, 'converted.ome.zarr');
    const r = await runImport([legacy, '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['channels', 'frames_written', 'levels', 'path', 'seconds', 'shape', 'source']);
    expect(j).toMatchObject({
      path: out,
      source: legacy,
      channels: [
        { index: 0, name: '405nm (DAPI)', visible: true },
        { index: 1, name: '488nm (GFP)', visible: false },
      ],
      shape: [2, 10, 70, 80],
      levels: 1,
      frames_written: 20,
    });
    expect(j.seconds).toBeGreaterThan(0);
    const same = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys, zarr, numpy as np; a = zarr.open_group(sys.argv[1], mode="r")["0"][:]; g = zarr.open_group(sys.argv[2], mode="r"); print(int((a != np.stack([g["0"][:], g["1"][:]])).sum()), zarr.open_group(sys.argv[1], mode="r").attrs["flamingo"]["legacy"]["folder_name"])', out, legacy],
      { encoding: 'utf8' },
    );
    expect(same.trim()).toBe('0 cli_demo_20261126_040647.zarr');
    const v = await runCli(['validate', out, '--json']);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, errors: [], shape: [2, 10, 70, 80] });
    expect(v.code).toBe(0);

    const text = await runImport([legacy, '--out', out]);
    expect(text.code).toBe(0);
    // The first session exists, so the second lands beside it with a UTC timestamp.
    expect(text.stdout).toMatch(/^Imported .*\n {2}into .*\/converted_\d{8}_\d{6}\.ome\.zarr\n/);
    expect(text.stdout).toMatch(/channels with data: 405nm \(DAPI\)\n/);
  });

  it('refuses the reference OME-NGFF sample with exit 1 and one sentence, creating nothing', async () => {
    const out = path.join(root, 'reference.ome.zarr');
    const r = await runImport([REFERENCE, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flamingo-viv import: ${REFERENCE} is an OME-NGFF 0.4 image (Zarr v2), not a py2flamingo session; import takes a py2flamingo session folder (.zarr with session_metadata).\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('bad usage exits 2: no --out, or not exactly one folder', async () => {
    const before = readdirSync(root).sort();
    const noOut = await runImport([REFERENCE]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^flamingo-viv import: --out PATH\.ome\.zarr is required/);
    const two = await runImport([REFERENCE, REFERENCE, '--out', path.join(root, 'x.ome.zarr')]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/give exactly one py2flamingo session folder, got 2\.\n$/);
    expect(readdirSync(root).sort()).toEqual(before);
  });
});
