/**
 * A byte-bounded least-recently-used cache of transform results, keyed by source, data
 * version and the canonical text of the operations. When a source's data version moves on,
 * every entry of that source with another version is evicted, so a result computed from old
 * data is never served.
 *
 * @example
 * const cache = new ResultCache(256 * 2 ** 20);
 * cache.set({ sourceId: 'live', version: 3, ops: 'gaussian…' }, volume);
 * cache.get({ sourceId: 'live', version: 3, ops: 'gaussian…' }); // volume (a hit)
 * cache.noteVersion('live', 4); // the entry above is gone
 */
import type { Volume } from '../types.ts';

export interface CacheKey {
  sourceId: string;
  version: number;
  /** Canonical text of the operation list (see `opsKey`). */
  ops: string;
}

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  capacityBytes: number;
  evictions: number;
}

interface Entry {
  key: CacheKey;
  volume: Volume;
  bytes: number;
}

export const keyText = (k: CacheKey): string => `${k.sourceId}\u0000${k.version}\u0000${k.ops}`;

export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  /** The newest data version seen per source. */
  private readonly versions = new Map<string, number>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(readonly capacityBytes: number) {
    if (!Number.isFinite(capacityBytes) || capacityBytes < 0) {
      throw new RangeError(`Cache capacity ${String(capacityBytes)} bytes is not a non-negative number.`);
    }
  }

  /** The cached result (counted as a hit) or undefined (a miss). A stale version is always a miss. */
  get(key: CacheKey): Volume | undefined {
    this.noteVersion(key.sourceId, key.version);
    const text = keyText(key);
    const entry = this.entries.get(text);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    // Refresh recency: Map iteration order is insertion order, oldest first.
    this.entries.delete(text);
    this.entries.set(text, entry);
    this.hits++;
    return entry.volume;
  }

  /** Stores a result unless it is bigger than the whole cache or its version is already stale. */
  set(key: CacheKey, volume: Volume): void {
    const newest = this.versions.get(key.sourceId);
    if (newest !== undefined && key.version < newest) return;
    this.noteVersion(key.sourceId, key.version);
    const bytes = volume.data.byteLength;
    if (bytes > this.capacityBytes) return;
    const text = keyText(key);
    const old = this.entries.get(text);
    if (old) {
      this.entries.delete(text);
      this.bytes -= old.bytes;
    }
    this.entries.set(text, { key, volume, bytes });
    this.bytes += bytes;
    for (const [t, e] of this.entries) {
      if (this.bytes <= this.capacityBytes) break;
      this.entries.delete(t);
      this.bytes -= e.bytes;
      this.evictions++;
    }
  }

  /** Records that `sourceId` now holds data `version`; entries of any other version are dropped. */
  noteVersion(sourceId: string, version: number): void {
    const newest = this.versions.get(sourceId);
    if (newest !== undefined && version <= newest) return;
    this.versions.set(sourceId, version);
    if (newest === undefined) return;
    for (const [t, e] of this.entries) {
      if (e.key.sourceId === sourceId && e.key.version !== version) {
        this.entries.delete(t);
        this.bytes -= e.bytes;
        this.evictions++;
      }
    }
  }

  /** Whether `version` is older than the newest seen for the source. */
  isStale(sourceId: string, version: number): boolean {
    const newest = this.versions.get(sourceId);
    return newest !== undefined && version < newest;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.entries.size,
      bytes: this.bytes,
      capacityBytes: this.capacityBytes,
      evictions: this.evictions,
    };
  }
}
