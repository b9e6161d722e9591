/**
 * Child process for the crash test: writes a 1-channel z-stack of seeded frames into the
 * session folder given as argv[2], prints `flushed <zChunk>` after each slab flush, and
 * paces itself so the parent can SIGKILL it at chosen moments. Never finishes on its own
 * before the parent kills it (it waits after the last frame).
 */
import { createNodeSessionWriter } from '../../../src/session/writer/index.node.ts';
import { CRASH_SHAPE, crashFrame } from './crash-frames.ts';

const path = process.argv[2]!;
const writer = await createNodeSessionWriter({
  path,
  threads: 1,
  fsync: 'metadata',
  mode: 'streaming',
  layout: { name: 'crash', shape: [...CRASH_SHAPE], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 2, channels: [{ name: 'a', color: 'FFFFFF' }] },
  info: {
    app_version: '0.1.0',
    microscope: { name: 'crash test', connection: 'none', address: null, orientation: null },
    plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 1, z_step_um: 1, planes_per_stack: CRASH_SHAPE[1], channels: [0], timepoints: 1, interval_s: null },
  },
  place: (f) => ({ channel: 0, z: f.meta.zIndex, y: 0, x: 0 }),
  onEvent: (e) => {
    if (e.type === 'flushed') process.stdout.write(`flushed ${e.zChunk}\n`);
  },
});
process.stdout.write('ready\n');
for (let z = 0; z < CRASH_SHAPE[1]; z++) {
  await writer.write(crashFrame(z));
  await new Promise((r) => setTimeout(r, 2));
}
process.stdout.write('all written\n');
await new Promise(() => undefined);
