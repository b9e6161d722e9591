import { describe, expect, it } from 'vitest';
import { expose } from 'comlink';
import type { Endpoint } from 'comlink';
import { contrastApi } from '../../src/layers/contrast-api.ts';
import { ContrastClient } from '../../src/layers/contrast-client.ts';
import { contrastLimits, sampleForContrast } from '../../src/layers/contrast.ts';

/** numpy.percentile(..., method='nearest')-like reference: sorted[round(p/100·(n−1))]. */
function reference(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.round((p / 100) * (s.length - 1))]!;
}

describe('contrastLimits', () => {
  it('gives the nearest-rank percentiles of integer and float samples', () => {
    const u16 = Uint16Array.from({ length: 10001 }, (_, i) => (i * 7919) % 65536);
    expect(contrastLimits(u16, { lowPercentile: 1, highPercentile: 99 })).toEqual([reference([...u16], 1), reference([...u16], 99)]);
    expect(contrastLimits(u16)).toEqual([reference([...u16], 0.5), reference([...u16], 99.5)]);
    const i8 = Int8Array.from([-128, -5, 0, 3, 127]);
    expect(contrastLimits(i8, { lowPercentile: 0, highPercentile: 100 })).toEqual([-128, 127]);
    const f = Float32Array.from([0.5, NaN, -2, 3.25, 1]);
    expect(contrastLimits(f, { lowPercentile: 0, highPercentile: 100 })).toEqual([-2, 3.25]);
    expect(contrastLimits(new Uint16Array(0))).toEqual([0, 0]);
    expect(contrastLimits(new Uint16Array(50).fill(100))).toEqual([100, 101]);
  });

  it('refuses percentiles outside 0–100 or in the wrong order', () => {
    expect(() => contrastLimits([1], { lowPercentile: -1 })).toThrow(/lowPercentile is -1; expected a number from 0 to 100/);
    expect(() => contrastLimits([1], { lowPercentile: 60, highPercentile: 40 })).toThrow(/lowPercentile 60 is above highPercentile 40/);
  });

  it('samples at most maxSamples values on a regular stride', () => {
    const data = Uint16Array.from({ length: 1000 }, (_, i) => i);
    expect(sampleForContrast(data, 2000)).toEqual(data);
    const s = sampleForContrast(data, 10);
    expect(Array.from(s)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('runs over comlink (the worker API exposed on a MessagePort)', async () => {
    const { port1, port2 } = new MessageChannel();
    expose(contrastApi, port2 as unknown as Endpoint);
    const client = new ContrastClient(port1 as unknown as Endpoint, () => {
      port1.close();
      port2.close();
    });
    const data = Uint16Array.from({ length: 200000 }, (_, i) => i % 4096);
    const sample = sampleForContrast(data, 65536);
    expect(await client.limits(data, { lowPercentile: 2, highPercentile: 98 })).toEqual(contrastLimits(sample, { lowPercentile: 2, highPercentile: 98 }));
    expect(contrastApi.sampleLimits(data, 65536, { lowPercentile: 2, highPercentile: 98 })).toEqual(contrastLimits(sample, { lowPercentile: 2, highPercentile: 98 }));
    client.close();
  });
});
