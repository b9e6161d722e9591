/**
 * The status region's text for the live counters (`LiveCounters`, from the backend): one line a
 * screen reader reads and a test can match, e.g.
 * `Frames: 120 of 200 acquired, 118 displayed, 2 skipped by the display, 64 written, 0 dropped by the writer; writer queue 3.`
 *
 * @example
 * statusEl.textContent = countersText(backend.counters());
 */
import { ZERO_COUNTERS, type LiveCounters } from '../acquisition/live-backend.ts';

export function countersText(c: LiveCounters): string {
  const acquired = c.framesExpected > 0 ? `${c.framesAcquired} of ${c.framesExpected} acquired` : `${c.framesAcquired} acquired`;
  return (
    `Frames: ${acquired}, ${c.framesDisplayed} displayed, ${c.framesDisplayDropped} skipped by the display, ` +
    `${c.framesWritten} written, ${c.framesWriterDropped} dropped by the writer; writer queue ${c.writerQueueDepth}.`
  );
}

/** All counters zero (before an acquisition). */
export function emptyCounters(): LiveCounters {
  return { ...ZERO_COUNTERS };
}
