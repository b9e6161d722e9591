import { describe, expect, it } from 'vitest';
import { ZERO_COUNTERS, type LiveEvent, type LiveSessionInfo } from '../../../src/acquisition/live-backend.ts';
import { LiveStateReplay } from '../../../src/acquisition/remote/replay.ts';

const info = { name: 'Flamingo simulator', width: 2048, height: 2048 } as unknown as Extract<LiveEvent, { type: 'connected' }>['info'];
const session = (name: string, status: LiveSessionInfo['status']): LiveSessionInfo => ({
  name,
  storeUrl: null,
  status,
  levelShapes: [[1, 4, 8, 8]],
  voxelSizeUm: { z: 1, y: 1, x: 1 },
  channels: [],
  displayLevel: 0,
  version: 0,
});

describe('LiveStateReplay', () => {
  it('replays the newest state in the order a fresh listener needs it, and nothing of the data events', () => {
    const r = new LiveStateReplay();
    expect(r.events()).toEqual([]);
    const events: LiveEvent[] = [
      { type: 'counters', counters: { ...ZERO_COUNTERS } },
      { type: 'position', position: { xMm: 1, yMm: 2, zMm: 3, rDeg: 0 } },
      { type: 'connected', info, microscope: 'sim' },
      { type: 'position', position: { xMm: 1, yMm: 2, zMm: 4, rDeg: 0 } },
      { type: 'session', session: session('a', 'acquiring') },
      { type: 'acquisition', phase: 'started', session: 'a' },
      { type: 'flushed', session: 'a', channel: 0, zStart: 0, zEnd: 4, version: 1 },
      { type: 'log', level: 'info', message: 'hello' },
      { type: 'counters', counters: { ...ZERO_COUNTERS, framesAcquired: 5 } },
    ];
    for (const e of events) r.note(e);
    expect(r.runningSession()).toBe('a');
    expect(r.events()).toEqual([events[2], events[3], events[4], events[5], events[8]]);
    // Copies: a listener that changes what it got does not change the next replay.
    (r.events()[1] as Extract<LiveEvent, { type: 'position' }>).position.zMm = 99;
    expect(r.events()[1]).toEqual(events[3]);

    r.note({ type: 'session', session: session('a', 'complete') });
    r.note({ type: 'acquisition', phase: 'finished', session: 'a', status: 'complete' });
    expect(r.runningSession()).toBeNull();
    expect(r.events().map((e) => e.type)).toEqual(['connected', 'position', 'session', 'counters']);

    r.note({ type: 'acquisition', phase: 'started', session: 'b' });
    r.note({ type: 'disconnected', reason: 'gone' });
    expect(r.runningSession()).toBeNull();
    expect(r.events().map((e) => e.type)).toEqual(['position', 'session', 'counters']);
  });
});
