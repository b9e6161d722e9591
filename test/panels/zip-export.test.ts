import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/session/store/memory-store.ts';
import { zipStore } from '../../src/panels/zip-export.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('zip export', () => {
  it('puts every file of the session under NAME.ome.zarr/, leaving out temporaries', async () => {
    const store = new MemoryStore('test session');
    await store.set('.zgroup', text('{"zarr_format": 2}'));
    await store.set('0/0/0/0/0', new Uint8Array([1, 2, 3]));
    await store.set('.zattrs.ab12.3.tmp', text('half written'));
    const steps: number[] = [];
    const zip = await zipStore(store, 'embryo', { onProgress: (done) => steps.push(done) });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['embryo.ome.zarr/.zgroup', 'embryo.ome.zarr/0/0/0/0/0']);
    expect(files['embryo.ome.zarr/0/0/0/0/0']).toEqual(new Uint8Array([1, 2, 3]));
    expect(steps).toEqual([1, 2]);
  });

  it('refuses an empty store with a sentence naming it', async () => {
    await expect(zipStore(new MemoryStore('empty store'), 'x')).rejects.toThrow('empty store holds no files, so there is nothing to export.');
  });
});
