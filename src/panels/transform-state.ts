/**
 * What the Transform panel and the transform layer share for one viewer: the display transforms
 * (session `flamingo.transforms` entries, each optionally limited to some channels with
 * `params.channels`), the `TransformManager` over a browser worker pool (made once, on first
 * use), and cancel requests. Kept per backend object (a viewer has one backend, and both the
 * panel's props and the layer's context carry it), so no shell change is needed.
 *
 * @example
 * const hub = transformHubFor(backend);
 * hub.setEntries([{ op: 'rotate', params: { axis: 'z', angle_deg: 30, center_um: null, order: 1 } }]);
 * hub.opsEntriesFor(0);    // the entries that apply to channel 0, in order
 * hub.manager().stats();   // cache hits, misses, bytes
 */
import type { TransformEntry } from '../session/metadata/types.ts';
import { TransformManager } from '../transforms/manager/transform-manager.ts';
import { createBrowserTransformPool } from '../transforms/pool/browser-pool.ts';

export type HubEvent = { type: 'entries' } | { type: 'cancel' };

/** The channels an entry applies to: `params.channels` (indices), or every channel when absent. */
export function entryChannels(entry: TransformEntry): number[] | null {
  const c = entry.params['channels'];
  return Array.isArray(c) && c.every((i) => Number.isInteger(i) && i >= 0) ? (c as number[]) : null;
}

export class TransformHub {
  private entryList: TransformEntry[] = [];
  private managerValue: TransformManager | null = null;
  private readonly listeners = new Set<(e: HubEvent) => void>();
  private readonly makeManager: () => TransformManager;
  /** Changes on every `setEntries` (what a layer compares to know the ops changed). */
  generation = 0;

  constructor(makeManager: () => TransformManager) {
    this.makeManager = makeManager;
  }

  get entries(): readonly TransformEntry[] {
    return this.entryList;
  }

  /** The entries that apply to `channel`, in order. */
  entriesFor(channel: number): TransformEntry[] {
    return this.entryList.filter((e) => {
      const c = entryChannels(e);
      return c === null || c.includes(channel);
    });
  }

  setEntries(entries: readonly TransformEntry[]): void {
    this.entryList = entries.map((e) => ({ op: e.op, params: { ...e.params } }));
    this.generation++;
    this.emit({ type: 'entries' });
  }

  /** Asks every layer to stop the computations it started (they stay stopped until the next `setEntries`). */
  cancel(): void {
    this.emit({ type: 'cancel' });
  }

  /** The manager, made on first use. */
  manager(): TransformManager {
    this.managerValue ??= this.makeManager();
    return this.managerValue;
  }

  /** Whether the manager was made (stats are all zero until then). */
  get started(): boolean {
    return this.managerValue !== null;
  }

  on(listener: (e: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: HubEvent): void {
    for (const l of this.listeners) l(e);
  }
}

/** A manager over `createBrowserTransformPool(navigator.hardwareConcurrency)` with a 512 MiB cache. */
export function browserTransformManager(): TransformManager {
  const cores = typeof navigator === 'undefined' ? 2 : navigator.hardwareConcurrency || 2;
  return new TransformManager({ pool: createBrowserTransformPool(Math.max(1, Math.min(cores, 16))) });
}

const hubs = new WeakMap<object, TransformHub>();

/** The hub of the viewer that uses `backend`, made on first call (`make` decides how its manager starts). */
export function transformHubFor(backend: object, make: () => TransformManager = browserTransformManager): TransformHub {
  let hub = hubs.get(backend);
  if (!hub) {
    hub = new TransformHub(make);
    hubs.set(backend, hub);
  }
  return hub;
}
