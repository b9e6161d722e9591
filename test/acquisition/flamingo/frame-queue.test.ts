import { describe, expect, it } from 'vitest';
import { FrameQueue } from '../../../src/acquisition/flamingo/frame-queue.ts';

async function drain<T>(q: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of q) out.push(x);
  return out;
}

describe('FrameQueue', () => {
  it('hands items to a waiting consumer and ends after close', async () => {
    const q = new FrameQueue<number>({ capacity: 2, policy: 'drop-newest' });
    const got = drain(q);
    for (let i = 0; i < 10; i++) q.push(i); // the consumer takes each as it comes
    q.close();
    expect(await got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].slice(0, (await got).length));
  });

  it('loses nothing while the backlog fits', async () => {
    const q = new FrameQueue<number>({ capacity: 5, policy: 'drop-newest' });
    for (let i = 0; i < 5; i++) q.push(i);
    q.close();
    expect(await drain(q)).toEqual([0, 1, 2, 3, 4]);
    expect(q.dropped).toBe(0);
  });

  it('drop-newest keeps the prefix and counts the rest', async () => {
    const q = new FrameQueue<number>({ capacity: 3, policy: 'drop-newest' });
    for (let i = 0; i < 7; i++) q.push(i);
    q.close();
    expect(await drain(q)).toEqual([0, 1, 2]);
    expect([q.dropped, q.pushed]).toEqual([4, 7]);
  });

  it('drop-oldest keeps the newest', async () => {
    const dropped: number[] = [];
    const q = new FrameQueue<number>({ capacity: 3, policy: 'drop-oldest', onDrop: (x) => dropped.push(x) });
    for (let i = 0; i < 7; i++) q.push(i);
    q.close();
    expect(await drain(q)).toEqual([4, 5, 6]);
    expect(dropped).toEqual([0, 1, 2, 3]);
  });

  it('bounds bytes as well as items', async () => {
    const q = new FrameQueue<Uint8Array>({ capacity: 100, maxBytes: 10, policy: 'drop-newest', sizeOf: (b) => b.length });
    for (let i = 0; i < 5; i++) q.push(new Uint8Array(4));
    q.close();
    expect((await drain(q)).length).toBe(2);
    expect(q.dropped).toBe(3);
  });

  it('counts what arrives after the consumer stopped', async () => {
    const q = new FrameQueue<number>({ capacity: 10, policy: 'drop-newest' });
    q.push(1);
    q.push(2);
    for await (const x of q) {
      expect(x).toBe(1);
      break;
    }
    q.push(3);
    expect(q.dropped).toBe(2);
  });

  it('refuses a second concurrent consumer', async () => {
    const q = new FrameQueue<number>({ capacity: 1, policy: 'drop-newest' });
    const first = q.next();
    await expect(q.next()).rejects.toThrow(/one place only/);
    q.close();
    expect((await first).done).toBe(true);
  });
});
