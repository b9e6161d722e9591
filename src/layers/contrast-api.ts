/**
 * What the contrast worker exposes (comlink): percentiles of a sample, or of a bounded sample
 * it takes itself from a transferred array. Plain functions, so a test can expose the same
 * object over any `MessagePort`.
 *
 * @example
 * expose(contrastApi); // in contrast.worker.ts
 */
import { DEFAULT_SAMPLE_SIZE, contrastLimits, sampleForContrast } from './contrast.ts';
import type { ContrastOptions, NumericArray } from './contrast.ts';

export interface ContrastApi {
  /** Percentiles of `sample` as given. */
  limits(sample: NumericArray, options?: ContrastOptions): [number, number];
  /** Percentiles of at most `maxSamples` values taken from `data` on a regular stride. */
  sampleLimits(data: NumericArray, maxSamples?: number, options?: ContrastOptions): [number, number];
}

export const contrastApi: ContrastApi = {
  limits: (sample, options) => contrastLimits(sample, options),
  sampleLimits: (data, maxSamples = DEFAULT_SAMPLE_SIZE, options) => contrastLimits(sampleForContrast(data, maxSamples), options),
};
