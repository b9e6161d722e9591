/**
 * Image formation on a PCO-panda-like sCMOS camera (pure): photo-electrons from the
 * phantom become a clean "base" plane (offset + signal, capped below saturation), and
 * every frame gets fresh noise: shot noise (≈ √signal · normal) and read noise, drawn
 * from a precomputed table of normals at random offsets per row, so a 2048² frame costs
 * one pass of a few arithmetic operations per pixel.
 *
 * @example
 * const cam = new CameraModel();
 * const base = new Uint16Array(64 * 64);
 * cam.toBase(electrons, 1.0, base);                 // clean plane, cached by the caller
 * const range = displayRange(base);                 // header scale min / max
 * cam.addNoise(base, 64, frame, rng);               // a fresh noisy frame
 */

import { Rng, deriveSeed } from './random.ts';

export interface CameraOptions {
  /** Dark offset in counts (default 100). */
  offset?: number;
  /** Read noise in electrons RMS (default 1.4). */
  readNoiseE?: number;
  /** Largest clean signal in counts, so that offset + signal + noise stays below 65535 (default 60000). */
  maxBase?: number;
}

/** Normals (clipped to ±5) in units of 1/512, shared by every camera of the process. */
const NOISE_TABLE_SIZE = 1 << 22;
const NOISE_SCALE = 512;
/** σ per count in units of 1/64. */
const SIGMA_SCALE = 64;
/** Products are in units of 1/(512·64) = 2^-15. */
const PRODUCT_SHIFT = 15;
let sharedNoise: Int16Array | null = null;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function noiseTable(): Int16Array {
  if (!sharedNoise) {
    const rng = new Rng(deriveSeed(0x5eed, 'camera-noise'));
    const t = new Int16Array(NOISE_TABLE_SIZE);
    for (let i = 0; i < t.length; i++) {
      const v = rng.normal();
      t[i] = Math.round((v > 5 ? 5 : v < -5 ? -5 : v) * NOISE_SCALE);
    }
    sharedNoise = t;
  }
  return sharedNoise;
}

export class CameraModel {
  readonly offset: number;
  readonly readNoiseE: number;
  readonly maxBase: number;
  /** σ for each clean base value, in 1/64 counts (gain 1 e⁻ per count). */
  private readonly sigma: Int32Array;
  private readonly table: Int16Array;
  /** The same table read as pairs. */
  private readonly table32: Int32Array;

  constructor(o: CameraOptions = {}) {
    this.offset = o.offset ?? 100;
    this.readNoiseE = o.readNoiseE ?? 1.4;
    this.maxBase = Math.min(o.maxBase ?? 60000, 65535 - 5 * Math.sqrt(65535) - 2);
    if (this.offset < 5 * 3 + this.readNoiseE * 5) throw new Error(`Camera offset ${this.offset} is too small for the noise model.`);
    this.sigma = new Int32Array(65536);
    const r2 = this.readNoiseE * this.readNoiseE;
    for (let b = 0; b < 65536; b++) this.sigma[b] = Math.round(Math.sqrt(Math.max(0, b - this.offset) + r2) * SIGMA_SCALE);
    this.table = noiseTable();
    this.table32 = new Int32Array(this.table.buffer, this.table.byteOffset, this.table.length >> 1);
  }

  /** Clean counts: offset + electrons × scale, rounded, capped at `maxBase`. */
  toBase(electrons: Float32Array, scale: number, out: Uint16Array): void {
    const n = Math.min(electrons.length, out.length);
    const off = this.offset + 0.5;
    const cap = this.maxBase;
    for (let i = 0; i < n; i++) {
      const v = off + electrons[i]! * scale;
      out[i] = v < cap ? v : cap;
    }
  }

  /**
   * Writes `base` plus shot and read noise into `out` (same length, whole rows). Each row
   * reads the noise table at a fresh random offset. Even widths on 4-byte-aligned arrays
   * take a faster path that handles two pixels per 32-bit word.
   */
  addNoise(base: Uint16Array, width: number, out: Uint16Array, rng: Rng): void {
    if ((width & 1) === 0 && (base.byteOffset & 3) === 0 && (out.byteOffset & 3) === 0 && LITTLE_ENDIAN) {
      this.addNoisePairs(base, width, out, rng);
      return;
    }
    const n = base.length;
    const sigma = this.sigma;
    const table = this.table;
    const span = table.length - width;
    const half = 1 << (PRODUCT_SHIFT - 1);
    for (let row = 0; row < n; row += width) {
      const o = Math.floor(rng.next() * span);
      for (let j = 0; j < width; j++) {
        const b = base[row + j]!;
        out[row + j] = b + ((sigma[b]! * table[o + j]! + half) >> PRODUCT_SHIFT);
      }
    }
  }

  private addNoisePairs(base: Uint16Array, width: number, out: Uint16Array, rng: Rng): void {
    const b32 = new Uint32Array(base.buffer, base.byteOffset, base.length >> 1);
    const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 1);
    const t32 = this.table32;
    const sigma = this.sigma;
    const w2 = width >> 1;
    const n2 = b32.length;
    const span = t32.length - w2;
    const half = 1 << (PRODUCT_SHIFT - 1);
    for (let row = 0; row < n2; row += w2) {
      const o = Math.floor(rng.next() * span);
      for (let j = 0; j < w2; j++) {
        const v = b32[row + j]!;
        const t = t32[o + j]!;
        const b0 = v & 0xffff;
        const b1 = v >>> 16;
        const a0 = b0 + ((sigma[b0]! * ((t << 16) >> 16) + half) >> PRODUCT_SHIFT);
        const a1 = b1 + ((sigma[b1]! * (t >> 16) + half) >> PRODUCT_SHIFT);
        o32[row + j] = (a0 | (a1 << 16)) >>> 0;
      }
    }
  }
}

/**
 * Display range for the frame header: about the 1st and 99.9th percentiles of a
 * (sub-sampled) plane.
 */
const histogram = new Uint32Array(65536);

export function displayRange(plane: Uint16Array, lowFraction = 0.01, highFraction = 0.999): { min: number; max: number } {
  const hist = histogram;
  hist.fill(0);
  // About 65 000 samples (an odd stride so that columns are not aliased).
  const stride = plane.length > 1 << 17 ? ((plane.length >> 16) | 1) : 1;
  let count = 0;
  for (let i = 0; i < plane.length; i += stride) {
    hist[plane[i]!]!++;
    count++;
  }
  if (count === 0) return { min: 0, max: 0 };
  const lo = Math.floor(count * lowFraction);
  const hi = Math.min(count - 1, Math.floor(count * highFraction));
  let seen = 0;
  let min = -1;
  let max = 0;
  for (let v = 0; v < 65536; v++) {
    seen += hist[v]!;
    if (min < 0 && seen > lo) min = v;
    if (seen > hi) {
      max = v;
      break;
    }
  }
  if (max <= min) max = min + 1;
  return { min: Math.max(0, min), max };
}
