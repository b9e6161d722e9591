import { describe, expect, it } from 'vitest';
import { countersText, emptyCounters } from '../../src/layers/counters.ts';
import { channelViews, rgbFromHex, vivDtype } from '../../src/layers/types.ts';

describe('status text and small helpers', () => {
  it('writes the counters as one sentence', () => {
    expect(countersText({ framesExpected: 200, framesAcquired: 120, framesDisplayed: 118, framesDisplayDropped: 2, framesWritten: 64, framesWriterDropped: 0, writerQueueDepth: 3 })).toBe(
      'Frames: 120 of 200 acquired, 118 displayed, 2 skipped by the display, 64 written, 0 dropped by the writer; writer queue 3.',
    );
    expect(countersText(emptyCounters())).toBe('Frames: 0 acquired, 0 displayed, 0 skipped by the display, 0 written, 0 dropped by the writer; writer queue 0.');
  });

  it('maps colours and dtypes', () => {
    expect(rgbFromHex('#FF8000')).toEqual([255, 128, 0]);
    expect(rgbFromHex('00ff00')).toEqual([0, 255, 0]);
    expect(rgbFromHex('red')).toEqual([255, 255, 255]);
    expect(channelViews({ channels: [{ name: 'a', color: '00FF00', wavelengthNm: 488, contrast: [1, 2], visible: false }] })).toEqual([{ index: 0, color: [0, 255, 0], contrast: [1, 2], visible: false }]);
    expect(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32'].map((d) => vivDtype(d as Parameters<typeof vivDtype>[0]))).toEqual(['Uint8', 'Int8', 'Uint16', 'Int16', 'Uint32', 'Int32', 'Float32']);
  });
});
