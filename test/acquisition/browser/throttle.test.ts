import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatestWins } from '../../../src/acquisition/browser/throttle.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LatestWins: at most one send per interval, the newest, without delay when idle', () => {
  it('sends the first note at once, then once per interval with the count of notes it stands for', () => {
    const sent: Array<[number, number]> = [];
    const t = new LatestWins(100, (notes) => sent.push([Date.now() % 100_000, notes]), () => Date.now() % 100_000);
    const t0 = Date.now() % 100_000;
    t.note(); // leading edge
    expect(sent).toEqual([[t0, 1]]);
    vi.advanceTimersByTime(10);
    t.note();
    vi.advanceTimersByTime(10);
    t.note();
    t.note();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(80); // the interval is over: the trailing send
    expect(sent).toEqual([[t0, 1], [t0 + 100, 3]]);
    vi.advanceTimersByTime(500); // nothing pending: nothing sent
    expect(sent).toHaveLength(2);
    t.note(); // idle for long: at once again
    expect(sent.at(-1)).toEqual([t0 + 600, 1]);
  });

  it('flush sends what is pending now; cancel drops it', () => {
    const sent: number[] = [];
    const t = new LatestWins(100, (notes) => sent.push(notes), () => Date.now());
    t.note();
    t.note();
    t.note();
    expect(t.notes).toBe(2);
    t.flush();
    expect(sent).toEqual([1, 2]);
    t.note();
    t.cancel();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 2]);
    t.flush();
    expect(sent).toEqual([1, 2]);
  });
});
