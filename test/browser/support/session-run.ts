/**
 * Runs the session writer (InlineEncoder + numcodecs' WebAssembly zstd) over any store, in
 * a page or a worker, feeding the synthetic z-stack of `synthetic.ts`.
 *
 * @example
 * const summary = await writeStack(store, STACK_SHAPE);
 */
import { createWasmZstdCodec } from '../../../src/session/codec/zstd-wasm.ts';
import type { SessionStore } from '../../../src/session/store/types.ts';
import { InlineEncoder } from '../../../src/session/writer/encoder.ts';
import { SessionWriter } from '../../../src/session/writer/writer.ts';
import type { WriterEvent } from '../../../src/session/writer/writer.ts';
import { STACK_INFO, placeAtOrigin, stackLayout, syntheticFrame } from './synthetic.ts';
import type { Shape4 } from './synthetic.ts';

export async function createWriter(store: SessionStore, shape: Shape4, onEvent?: (e: WriterEvent) => void): Promise<SessionWriter> {
  const codec = createWasmZstdCodec(3);
  return SessionWriter.create({
    store,
    codec,
    encoder: new InlineEncoder(codec),
    layout: stackLayout('browser stack', shape),
    info: STACK_INFO,
    place: placeAtOrigin,
    mode: 'streaming',
    heartbeatMs: 0,
    onEvent,
  });
}

/** Writes every plane of every channel and finalizes; returns the summary (plain data). */
export async function writeStack(store: SessionStore, shape: Shape4): Promise<Record<string, unknown>> {
  const writer = await createWriter(store, shape);
  for (let z = 0; z < shape[1]; z++) for (let c = 0; c < shape[0]; c++) await writer.write(syntheticFrame(shape, c, z));
  return { ...(await writer.finalize()) };
}

/**
 * Writes planes `0 … zStop-1` and resolves once slab 0 (planes 0–63) is flushed, chunks and
 * `.zattrs` both; the writer is left open, holding the later planes in memory.
 */
export async function writeUntilFirstSlab(store: SessionStore, shape: Shape4, zStop: number): Promise<{ flushed: number[] }> {
  const flushed: number[] = [];
  let resolveSlab0!: () => void;
  const slab0 = new Promise<void>((r) => (resolveSlab0 = r));
  const writer = await createWriter(store, shape, (e) => {
    if (e.type === 'flushed') {
      flushed.push(e.zChunk);
      if (e.zChunk === 0) resolveSlab0();
    }
  });
  for (let z = 0; z < zStop; z++) for (let c = 0; c < shape[0]; c++) await writer.write(syntheticFrame(shape, c, z));
  await slab0;
  (globalThis as { keepWriter?: unknown }).keepWriter = writer;
  return { flushed };
}
