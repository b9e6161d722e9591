import { describe, expect, it } from 'vitest';
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import { MemoryStore } from '../../../src/session/store/memory-store.ts';
import { InlineEncoder } from '../../../src/session/writer/encoder.ts';
import { SessionWriter } from '../../../src/session/writer/writer.ts';
import type { SessionWriterOptions, WriterEvent } from '../../../src/session/writer/writer.ts';
import { frame } from './helpers.ts';

/** A memory store whose chunk writes wait until `open()` is called. */
class GatedStore extends MemoryStore {
  private gate: Promise<void> | null = null;
  private release: () => void = () => undefined;

  close(): void {
    this.gate = new Promise((r) => (this.release = r));
  }

  open(): void {
    this.release();
    this.gate = null;
  }

  override async set(key: string, value: Uint8Array): Promise<void> {
    if (this.gate && /^\d+\/\d/.test(key)) await this.gate;
    return super.set(key, value);
  }
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function options(store: MemoryStore, events: WriterEvent[], extra: Partial<SessionWriterOptions> = {}): SessionWriterOptions {
  const codec = createWasmZstdCodec(1);
  return {
    store,
    codec,
    encoder: new InlineEncoder(codec),
    mode: 'streaming',
    slabsPerChannel: 1,
    queueBytes: 3 * 64 * 64 * 2,
    stallTimeoutMs: 50,
    heartbeatMs: 0,
    layout: { name: 'bp', shape: [1, 128, 64, 64], voxel_size_um: { z: 1, y: 1, x: 1 }, world_origin_um: [0, 0, 0], levels: 1, channels: [{ name: 'a', color: 'FFFFFF' }], compressor: { id: 'zstd', level: 1 } },
    info: {
      app_version: '0.1.0',
      microscope: { name: 'test', connection: 'none', address: null, orientation: null },
      plan: { kind: 'z-stack', tiles: 1, tile_overlap_percent: null, z_start_mm: 0, z_end_mm: 1, z_step_um: 1, planes_per_stack: 128, channels: [0], timepoints: 1, interval_s: null },
    },
    place: (f) => ({ channel: f.meta.channelIndex, z: f.meta.zIndex, y: 0, x: 0 }),
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

describe('SessionWriter back-pressure and drops', () => {
  it('holds the source back while the queue is high, then counts and reports the frames it must drop', async () => {
    const store = new GatedStore();
    const events: WriterEvent[] = [];
    const w = await SessionWriter.create(options(store, events));
    store.close();
    // Slab 0 completes (64 planes) and its flush blocks on the store.
    for (let z = 0; z < 64; z++) expect(await w.write(frame(64, 64, z + 1, { zIndex: z, frameNumber: z }))).toBe('queued');
    // Plane 64 needs a second slab (K = 1): it waits in the queue with 65 and 66; the queue is full.
    const p64 = w.write(frame(64, 64, 65, { zIndex: 64, frameNumber: 64 }));
    const p65 = w.write(frame(64, 64, 66, { zIndex: 65, frameNumber: 65 }));
    let p66done = false;
    const p66 = w.write(frame(64, 64, 67, { zIndex: 66, frameNumber: 66 })).then((r) => ((p66done = true), r));
    await tick(10);
    expect(w.stats().framesQueued).toBe(3);
    expect(p66done).toBe(false); // back-pressure: above the high-water mark, the source waits
    // A source that cannot pause loses the next frame at once; a waiting one after the stall timeout.
    expect(w.tryWrite(frame(64, 64, 68, { zIndex: 67, frameNumber: 67 }))).toBe('dropped');
    expect(await w.write(frame(64, 64, 69, { zIndex: 68, frameNumber: 68 }))).toBe('dropped');
    // Frames that are wrong or outside the canvas are counted by reason.
    const bad = frame(64, 64, 70, { zIndex: 1, frameNumber: 69 });
    bad.pixels = new Uint16Array(10);
    expect(await w.write(bad)).toBe('dropped');
    expect(await w.write(frame(64, 64, 71, { zIndex: 500, frameNumber: 70 }))).toBe('dropped');
    store.open();
    expect(await Promise.all([p64, p65, p66])).toEqual(['queued', 'queued', 'queued']);
    for (let z = 69; z < 128; z++) await w.write(frame(64, 64, z + 1, { zIndex: z, frameNumber: z + 2 }));
    const s = await w.finalize();
    expect(s).toMatchObject({
      status: 'complete',
      framesReceived: 128 + 2,
      framesWritten: 126,
      framesDropped: 4,
      droppedByReason: { queue_full: 2, out_of_bounds: 1, invalid_frame: 1 },
      errors: [],
    });
    const drops = events.filter((e): e is Extract<WriterEvent, { type: 'dropped' }> => e.type === 'dropped');
    expect(drops.map((d) => [d.reason, d.frameNumber, d.plane])).toEqual([
      ['queue_full', 67, 67],
      ['queue_full', 68, 68],
      ['invalid_frame', 69, 1],
      ['out_of_bounds', 70, 500],
    ]);
    expect(drops[0]!.message).toMatch(/Frame 67 \(channel 0, plane 67\) was dropped \(queue_full\)/);
    const zattrs = JSON.parse(new TextDecoder().decode(await store.get('.zattrs'))) as { flamingo: { acquisition: Record<string, unknown> } };
    expect(zattrs.flamingo.acquisition).toMatchObject({ frames_received: 130, frames_written: 126, frames_dropped: 4, dropped_by_reason: { queue_full: 2, out_of_bounds: 1, invalid_frame: 1 } });
    expect(() => w.tryWrite(frame(64, 64, 1, { zIndex: 0 }))).toThrow(/finalized/);
  });

  it('metadata never claims frames whose slab is not on disk yet', async () => {
    const store = new GatedStore();
    const events: WriterEvent[] = [];
    const w = await SessionWriter.create(options(store, events, { queueBytes: 64 * 2 ** 20 }));
    store.close();
    for (let z = 0; z < 70; z++) await w.write(frame(64, 64, z + 1, { zIndex: z }));
    await tick(20);
    const mid = JSON.parse(new TextDecoder().decode(await store.get('.zattrs'))) as { flamingo: { status: string; acquisition: { frames_written: number; frames_received: number } } };
    expect(mid.flamingo.status).toBe('acquiring');
    expect(mid.flamingo.acquisition.frames_written).toBe(0);
    expect(await store.list('0/0/')).toEqual([]);
    store.open();
    const s = await w.finalize();
    expect(s.framesWritten).toBe(70);
    // Sparse in z too: z-chunk 1 holds planes 64–69, padded with fill.
    expect((await store.list('0/0/')).sort()).toEqual(['0/0/0/0/0', '0/0/1/0/0']);
  });

  it('rewrites .zattrs as a heartbeat while acquiring, with the same counters', async () => {
    const store = new MemoryStore();
    let clock = Date.parse('2026-11-26T10:00:00.000Z');
    const w = await SessionWriter.create(options(store, [], { heartbeatMs: 20, now: () => new Date((clock += 1000)) }));
    const read = async (): Promise<{ updated: string; created: string; status: string }> =>
      (JSON.parse(new TextDecoder().decode(await store.get('.zattrs'))) as { flamingo: { updated: string; created: string; status: string } }).flamingo;
    const first = await read();
    await w.write(frame(64, 64, 1, { zIndex: 0 }));
    await tick(120);
    const later = await read();
    expect(later.status).toBe('acquiring');
    expect(later.updated > first.updated).toBe(true);
    expect(later.created).toBe(first.created);
    expect((await w.finalize()).status).toBe('complete');
    expect((await read()).status).toBe('complete');
  });
});
