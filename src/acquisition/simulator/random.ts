/**
 * Seeded pseudo-random numbers for the simulator (pure): a small, fast generator
 * (mulberry32) so that a seed always gives the same phantom, noise and quirks.
 *
 * @example
 * const rng = new Rng(42);
 * rng.next();          // uniform in [0, 1)
 * rng.normal();        // standard normal
 * rng.int(1, 3);       // 1, 2 or 3
 */

export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    // Mix the seed so that 0, 1, 2, … start far apart.
    this.state = hash32(seed >>> 0 || 0x9e3779b9);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A 32-bit integer hash (lowbias32), used to derive independent seeds. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seed derived from a base seed and a stream name, so that streams do not share sequences. */
export function deriveSeed(seed: number, stream: string): number {
  let h = hash32(seed >>> 0);
  for (let i = 0; i < stream.length; i++) h = hash32(h ^ stream.charCodeAt(i));
  return h;
}
