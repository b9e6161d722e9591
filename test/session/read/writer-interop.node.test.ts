/**
 * The readers against this project's own writer: a session written by `SessionWriter` (native
 * zstd, streaming mode, 3 levels) reads back exactly at level 0 through both zstd decoders, with
 * the flamingo state and channels as written.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openImage } from '../../../src/session/read/open.ts';
import { openPath } from '../../../src/session/read/open-file.node.ts';
import { FsStore } from '../../../src/session/store/fs-store.ts';
import { readOnly } from '../../../src/session/store/read-only.ts';
import { createNodeSessionWriter } from '../../../src/session/writer/index.node.ts';
import type { SessionWriterOptions } from '../../../src/session/writer/writer.ts';
import { Reference, frame } from '../writer/helpers.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir('flamingo-interop-');
afterAll(() => tmp.remove());

const info: SessionWriterOptions['info'] = {
  app_version: '0.1.0',
  microscope: { name: 'Flamingo simulator', connection: 'simulator', address: null, orientation: { z: '+z', y: '+y', x: '+x' } },
  plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 0.1, z_step_um: 2, planes_per_stack: 70, channels: [0, 1], timepoints: 1, interval_s: null },
};

describe('reading what the writer wrote', () => {
  it('reads a written session exactly, with its flamingo state', async () => {
    const p = path.join(tmp.dir, 'interop.ome.zarr');
    const shape: [number, number, number, number] = [2, 70, 150, 131];
    const w = await createNodeSessionWriter({
      path: p,
      threads: 0,
      fsync: 'none',
      mode: 'streaming',
      layout: { name: 'interop stack', shape, voxel_size_um: { z: 2, y: 0.5, x: 0.5 }, world_origin_um: [100, 200, 300], levels: 3, channels: [{ name: 'GFP', color: '00FF00' }, { name: 'RFP', color: 'FF00FF' }] },
      info,
      place: (f) => ({ channel: f.meta.channelIndex, z: f.meta.zIndex, y: 0, x: 0 }),
    });
    const ref = new Reference(shape, 'maximum');
    for (let z = 0; z < 70; z++) {
      for (let c = 0; c < 2; c++) {
        const f = frame(131, 150, 1 + z * 2 + c, { channelIndex: c, zIndex: z, frameNumber: z * 2 + c });
        ref.add(f, c, z, 0, 0);
        await w.write(f);
      }
    }
    await w.finalize();

    for (const image of [await openPath(p), await openImage(readOnly(new FsStore(p)))]) {
      expect(image.source).toBe('flamingo-session');
      expect(image.name).toBe('interop stack');
      expect(image.flamingo?.status).toBe('complete');
      expect(image.flamingo?.acquisition.frames_written).toBe(140);
      expect(image.levels.map((l) => l.shape)).toEqual([[2, 70, 150, 131], [2, 70, 75, 66], [2, 70, 38, 33]]);
      expect(image.levels[1]!.scale).toEqual([1, 2, 1, 1]);
      expect(image.channels.map((c) => [c.name, c.color])).toEqual([['GFP', '00FF00'], ['RFP', 'FF00FF']]);
      expect(image.warnings).toEqual([]);
      // The whole flamingo state round-trips, exactly as written.
      expect(image.flamingo).toEqual(JSON.parse(readFileSync(path.join(p, '.zattrs'), 'utf8')).flamingo);
      const l0 = await image.levels[0]!.readRegion({ start: [0, 0, 0, 0], stop: shape });
      expect(Buffer.from(l0.data.buffer, l0.data.byteOffset, l0.data.byteLength).equals(Buffer.from(ref.data.buffer))).toBe(true);
    }
  });
});
