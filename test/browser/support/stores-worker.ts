/**
 * The dedicated worker of the store tests: OpfsStore with sync access handles (Comlink API).
 *
 * @example
 * const api = Comlink.wrap<WorkerApi>(new Worker('/worker.js', { type: 'module' }));
 * await api.writeStack('/t/stack.ome.zarr', STACK_SHAPE);
 */
import * as Comlink from 'comlink';
import { OpfsStore } from '../../../src/session/store/opfs-store.ts';
import { hammer, storeSemantics } from './store-scenarios.ts';
import { writeStack, writeUntilFirstSlab } from './session-run.ts';
import type { Shape4 } from './synthetic.ts';

const api = {
  async hasSyncHandles(): Promise<boolean> {
    return typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle === 'function';
  },
  async semantics(path: string): Promise<Record<string, unknown>> {
    const store = await OpfsStore.createNew(path);
    const r = await storeSemantics(store);
    return { ...r, writeMode: store.writeMode };
  },
  async writeStack(path: string, shape: Shape4): Promise<Record<string, unknown>> {
    const store = await OpfsStore.createNew(path);
    const summary = await writeStack(store, shape);
    return { summary, writeMode: store.writeMode };
  },
  async writeUntilFirstSlab(path: string, shape: Shape4, zStop: number): Promise<{ flushed: number[] }> {
    return writeUntilFirstSlab(await OpfsStore.createNew(path), shape, zStop);
  },
  async hammer(path: string, key: string, rounds: number, size: number): Promise<void> {
    const store = await OpfsStore.open(path);
    await hammer(store, key, rounds, size);
  },
  /**
   * Writes forever (until the page goes away), holding the Web Lock `hammer:<path>` for as
   * long as this worker lives, so the next page can wait until it is really gone.
   */
  async hammerForever(path: string, key: string, size: number): Promise<void> {
    const store = await OpfsStore.open(path);
    await new Promise<void>((started) => {
      void navigator.locks.request(`hammer:${path}`, () => {
        started();
        return hammer(store, key, Number.MAX_SAFE_INTEGER, size);
      });
    });
  },
};

export type WorkerApi = typeof api;
Comlink.expose(api);
