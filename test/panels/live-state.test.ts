import { describe, expect, it } from 'vitest';
import { countersText, initialLiveState, MESSAGE_LIMIT, reduceLiveState } from '../../src/panels/live-state.ts';
import type { LiveCounters, LiveSessionInfo } from '../../src/acquisition/live-backend.ts';

const counters: LiveCounters = {
  framesExpected: 100,
  framesAcquired: 40,
  framesDisplayed: 30,
  framesDisplayDropped: 10,
  framesWritten: 38,
  framesWriterDropped: 0,
  writerQueueDepth: 2,
};

const session: LiveSessionInfo = {
  name: 'a',
  storeUrl: null,
  status: 'acquiring',
  levelShapes: [[1, 10, 64, 64]],
  voxelSizeUm: { z: 2, y: 1, x: 1 },
  channels: [{ name: '488 nm', color: '00FF00', wavelengthNm: 488, contrast: [100, 900], visible: true }],
  displayLevel: 0,
  version: 3,
};

describe('live state', () => {
  it('follows an acquisition from start to finish', () => {
    let s = initialLiveState();
    s = reduceLiveState(s, { type: 'session', session });
    s = reduceLiveState(s, { type: 'acquisition', phase: 'started', session: 'a' });
    expect(s.acquiring).toBe(true);
    s = reduceLiveState(s, { type: 'counters', counters });
    expect(s.counters).toBe(counters);
    const summary = { outcome: 'stopped' as const, framesExpected: 100, framesReceived: 40, framesMissing: 60, framesTrimmed: 0, mipFramesDropped: 0, framesDropped: 0, seconds: 1, notes: [] };
    s = reduceLiveState(s, { type: 'acquisition', phase: 'finished', session: 'a', summary, status: 'interrupted' });
    expect(s.acquiring).toBe(false);
    expect(s.lastSummary).toBe(summary);
    expect(s.session).toBe(session);
  });

  it('forgets the microscope and its stage position and stops on a disconnect, saying why', () => {
    let s = reduceLiveState(initialLiveState(), { type: 'position', position: { xMm: 8, yMm: 14, zMm: 19, rDeg: 0 } });
    s = reduceLiveState(s, { type: 'acquisition', phase: 'started', session: 'a' });
    s = reduceLiveState(s, { type: 'disconnected', reason: 'socket closed' });
    expect(s.acquiring).toBe(false);
    expect(s.microscope).toBeNull();
    expect(s.position).toBeNull();
    expect(s.messages.at(-1)).toEqual({ level: 'warn', message: 'Disconnected: socket closed' });
  });

  it('keeps the newest messages only', () => {
    let s = initialLiveState();
    for (let i = 0; i < MESSAGE_LIMIT + 5; i++) s = reduceLiveState(s, { type: 'log', level: 'info', message: `m${i}` });
    expect(s.messages).toHaveLength(MESSAGE_LIMIT);
    expect(s.messages[0]!.message).toBe('m5');
  });

  it('ignores data events', () => {
    const s = initialLiveState();
    expect(reduceLiveState(s, { type: 'flushed', session: 'a', channel: 0, zStart: 0, zEnd: 1, version: 1 })).toBe(s);
  });

  it('writes the counters as one line of text', () => {
    expect(countersText(counters)).toBe('Frames acquired 40 of 100, displayed 30, skipped by display 10, written 38, dropped by writer 0, writer queue 2');
  });
});
