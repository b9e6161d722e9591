/**
 * Contrast limits from a bounded sample (pure, worker-safe): `sampleForContrast` takes at most
 * `maxSamples` values from a plane or volume on a regular stride, and `contrastLimits` returns
 * the low and high percentiles of a sample (integers by counting, floats by sorting; NaN
 * skipped). `ContrastClient` runs `contrastLimits` in a worker (`contrast.worker.ts`, comlink)
 * so a large sample never blocks the main thread.
 *
 * @example
 * const sample = sampleForContrast(plane.data, 65536);
 * contrastLimits(sample, { lowPercentile: 0.5, highPercentile: 99.5 }); // [lo, hi]
 */

export interface ContrastOptions {
  /** 0–100; default 0.5. */
  lowPercentile?: number;
  /** 0–100; default 99.5. */
  highPercentile?: number;
}

export type NumericArray = ArrayLike<number> & { readonly length: number };

/** Default number of values a sample holds. */
export const DEFAULT_SAMPLE_SIZE = 65536;

/** At most `maxSamples` values of `data`, taken on a regular stride (the whole array when small). */
export function sampleForContrast(data: NumericArray, maxSamples = DEFAULT_SAMPLE_SIZE): NumericArray {
  if (data.length <= maxSamples) return 'slice' in data && typeof data.slice === 'function' ? (data.slice() as NumericArray) : Float64Array.from(data);
  const out = new Float64Array(maxSamples);
  const step = data.length / maxSamples;
  for (let i = 0; i < maxSamples; i++) out[i] = data[Math.floor(i * step)]!;
  return out;
}

function checkPercentile(p: number, name: string): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100) throw new RangeError(`Contrast ${name} is ${String(p)}; expected a number from 0 to 100.`);
  return p;
}

/**
 * The `[low, high]` percentiles of `sample` (nearest rank: the value at index
 * `round(p/100 · (n − 1))` of the sorted sample). `[0, 0]` for an empty sample; when both
 * limits are equal, the high one is raised by 1 so a layer still has a range.
 */
export function contrastLimits(sample: NumericArray, options: ContrastOptions = {}): [number, number] {
  const lowP = checkPercentile(options.lowPercentile ?? 0.5, 'lowPercentile');
  const highP = checkPercentile(options.highPercentile ?? 99.5, 'highPercentile');
  if (lowP > highP) throw new RangeError(`Contrast lowPercentile ${lowP} is above highPercentile ${highP}.`);
  const n = sample.length;
  if (n === 0) return [0, 0];
  const sorted = isSmallIntegers(sample) ? countingSort(sample) : floatSort(sample);
  const m = sorted.length;
  if (m === 0) return [0, 0];
  const at = (p: number): number => sorted[Math.round((p / 100) * (m - 1))]!;
  const lo = at(lowP);
  let hi = at(highP);
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

function isSmallIntegers(a: NumericArray): boolean {
  return a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Int8Array || a instanceof Int16Array;
}

/** Sorted copy of an 8/16-bit integer array by counting (65536 bins at most). */
function countingSort(a: NumericArray): Int32Array {
  const offset = a instanceof Int8Array ? 128 : a instanceof Int16Array ? 32768 : 0;
  const bins = new Uint32Array(a instanceof Uint8Array || a instanceof Int8Array ? 256 : 65536);
  for (let i = 0; i < a.length; i++) bins[a[i]! + offset]!++;
  const out = new Int32Array(a.length);
  let k = 0;
  for (let v = 0; v < bins.length; v++) {
    const count = bins[v]!;
    if (count) out.fill(v - offset, k, k + count);
    k += count;
  }
  return out;
}

function floatSort(a: NumericArray): Float64Array {
  const out = new Float64Array(a.length);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!Number.isNaN(v)) out[k++] = v;
  }
  return out.subarray(0, k).sort();
}
