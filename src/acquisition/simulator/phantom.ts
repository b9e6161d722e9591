/**
 * The simulated specimen (pure, seeded, deterministic): a glass capillary along the
 * stage Y axis, filled with gel, holding a few dense spheroids of nuclei, scattered
 * single nuclei and some fibres, all at fixed stage coordinates (mm). Each laser line
 * sees different structures with different brightness. `renderPlane` images one plane
 * through a light sheet of finite thickness and returns the expected photo-electrons
 * per pixel at the reference illumination (10 % laser power, 10 ms exposure), before
 * camera noise; `camera.ts` adds offset and noise.
 *
 * Geometry (shared with the connector): with the stage at (X, Y, Z), pixel (row r,
 * col c) of a W × H frame sees x = X + (c − (W−1)/2)·p, y = Y + (r − (H−1)/2)·p, z = Z.
 *
 * @example
 * const phantom = createPhantom(1);
 * const n = phantom.nuclei[0]!;
 * const plane = phantom.renderPlane({ centerXMm: n.xMm, centerYMm: n.yMm, zMm: n.zMm,
 *   width: 64, height: 64, pixelSizeUm: 1.0475, channel: n.channels[0]!, side: 'left' });
 * plane[32 * 64 + 32]; // bright: the nucleus sits at the frame centre
 */

import { Rng, deriveSeed } from './random.ts';

/** Channel id of transmitted LED light (brightfield-like: bright background, dark nuclei). */
export const LED_CHANNEL = 8;
/** Fluorophores: laser n (1–4) excites fluorophore n − 1. */
export const FLUOROPHORES = 4;

export interface PhantomNucleus {
  xMm: number;
  yMm: number;
  zMm: number;
  radiusUm: number;
  /** Fluorophores (laser − 1, 0–3) this nucleus shows up in. */
  channels: number[];
  /** Peak photo-electrons per pixel per fluorophore 0–3 at the reference illumination (0 = absent). */
  brightness: number[];
  /** Inside a spheroid (dense) or alone in the gel. */
  kind: 'spheroid' | 'scattered';
}

export interface PhantomFibre {
  /** Polyline through the gel, in stage mm. */
  points: Array<{ xMm: number; yMm: number; zMm: number }>;
  radiusUm: number;
  channels: number[];
  brightness: number[];
}

export interface PhantomCapillary {
  /** The capillary axis runs along stage Y through (xMm, zMm). */
  xMm: number;
  zMm: number;
  innerRadiusMm: number;
  wallMm: number;
}

export interface PlaneView {
  /** Stage position the frame is taken at (the frame centre). */
  centerXMm: number;
  centerYMm: number;
  zMm: number;
  width: number;
  height: number;
  pixelSizeUm: number;
  /** Channel id: 0–3 left (laser − 1), 4–7 right (laser + 3; same fluorophore as channel − 4), or LED_CHANNEL. */
  channel: number;
  side: 'left' | 'right';
}

export interface PhantomOptions {
  /**
   * Where the main spheroid sits (default: the default ScopeSettings Home, 8 / 14 / 19 mm);
   * the capillary axis passes 0.2 mm below it in Z.
   */
  centerXMm?: number;
  centerYMm?: number;
  centerZMm?: number;
  /** Number of spheroids, the first one centred on the centre (default 5). */
  spheroids?: number;
  /** Nuclei scattered in the gel (default 2500). */
  scatteredNuclei?: number;
  /** Fibres (default 24). */
  fibres?: number;
  /** Light-sheet thickness, FWHM in µm (default 4). */
  sheetFwhmUm?: number;
  /** Capillary inner radius in mm (default 0.9). */
  capillaryRadiusMm?: number;
}

export interface Phantom {
  seed: number;
  capillary: PhantomCapillary;
  nuclei: PhantomNucleus[];
  fibres: PhantomFibre[];
  sheetFwhmUm: number;
  /**
   * Expected photo-electrons per pixel (row-major, height × width) at the reference
   * illumination. Writes into `out` when it is given and large enough.
   */
  renderPlane(view: PlaneView, out?: Float32Array): Float32Array;
  /**
   * The same image as camera counts in one pass: offset + electrons × scale, rounded and
   * capped at `maxCount`, written into `out` (the fast path for frame synthesis).
   */
  renderCounts(view: PlaneView, scale: number, offset: number, maxCount: number, out: Uint16Array): Uint16Array;
}

/** Gel autofluorescence inside the capillary per fluorophore (e⁻ per pixel), and outside it. */
const GEL_BACKGROUND = [24, 14, 10, 6];
const WATER_BACKGROUND = [3, 2, 2, 1.5];
const WALL_SCATTER = [40, 30, 25, 18];
const LED_BACKGROUND = 2500;
/** Illumination decay length across the sample (mm). */
const FALLOFF_MM = 1.2;
const FIBRE_SAMPLE_UM = 0.5;

export function createPhantom(seed: number, options: PhantomOptions = {}): Phantom {
  return new SeededPhantom(seed, options);
}

class SeededPhantom implements Phantom {
  readonly seed: number;
  readonly capillary: PhantomCapillary;
  readonly nuclei: PhantomNucleus[] = [];
  readonly fibres: PhantomFibre[] = [];
  readonly sheetFwhmUm: number;
  private readonly sheetSigmaMm: number;
  // Nuclei sorted by z, as flat arrays for the renderer.
  private nz!: Float64Array;
  private nx!: Float64Array;
  private ny!: Float64Array;
  private nr!: Float64Array;
  private nb!: Float32Array; // 4 per nucleus
  private maxRadiusMm = 0;
  // Fibre sample points sorted by z.
  private fz!: Float64Array;
  private fx!: Float64Array;
  private fy!: Float64Array;
  private fr!: Float64Array;
  private fb!: Float32Array; // 4 per point
  private maxFibreRadiusMm = 0;
  private readonly stripePhases: Array<Array<{ k: number; phase: number; amp: number }>>;

  constructor(seed: number, o: PhantomOptions) {
    this.seed = seed;
    const cx = o.centerXMm ?? 8.0;
    const cy = o.centerYMm ?? 14.0;
    const cz = o.centerZMm ?? 19.0;
    this.sheetFwhmUm = o.sheetFwhmUm ?? 4;
    this.sheetSigmaMm = this.sheetFwhmUm / 2.3548 / 1000;
    const rin = o.capillaryRadiusMm ?? 0.9;
    this.capillary = { xMm: cx, zMm: cz - 0.2, innerRadiusMm: rin, wallMm: 0.12 };

    const rng = new Rng(deriveSeed(seed, 'phantom'));
    this.makeSpheroids(rng, o.spheroids ?? 5, cx, cy, cz, rin);
    this.makeScattered(rng, o.scatteredNuclei ?? 2500, cy, rin);
    this.makeFibres(rng, o.fibres ?? 24, cy, rin);
    this.indexNuclei();
    this.indexFibres();

    const srng = new Rng(deriveSeed(seed, 'stripes'));
    this.stripePhases = [0, 1].map(() =>
      Array.from({ length: 6 }, () => ({
        k: (2 * Math.PI) / srng.uniform(0.004, 0.05), // periods of 4–50 µm along y
        phase: srng.uniform(0, 2 * Math.PI),
        amp: srng.uniform(0.015, 0.04),
      })),
    );
  }

  private insideGel(x: number, z: number, margin: number): boolean {
    const dx = x - this.capillary.xMm;
    const dz = z - this.capillary.zMm;
    const r = this.capillary.innerRadiusMm - margin;
    return dx * dx + dz * dz < r * r;
  }

  private nucleusBrightness(rng: Rng, dense: boolean): number[] {
    const b = [0, 0, 0, 0];
    b[0] = rng.uniform(300, 650) * (dense ? 1 : 1.2); // DAPI-like: every nucleus
    if (rng.chance(0.45)) b[1] = rng.uniform(200, 1000); // GFP in a subset
    if (rng.chance(0.1)) b[2] = rng.uniform(100, 250); // dim in 561
    if (rng.chance(0.25)) b[3] = rng.uniform(700, 1500); // far-red label in a subset
    return b;
  }

  private addNucleus(x: number, y: number, z: number, radiusUm: number, b: number[], kind: PhantomNucleus['kind']): void {
    const channels: number[] = [];
    b.forEach((v, i) => {
      if (v > 0) channels.push(i);
    });
    this.nuclei.push({ xMm: x, yMm: y, zMm: z, radiusUm, channels, brightness: b, kind });
  }

  private makeSpheroids(rng: Rng, count: number, cx: number, cy: number, cz: number, rin: number): void {
    const spacing = 0.016;
    for (let s = 0; s < count; s++) {
      let sx = cx;
      let sy = cy;
      let sz = cz;
      const radius = s === 0 ? 0.24 : rng.uniform(0.1, 0.22);
      if (s > 0) {
        for (let tries = 0; tries < 50; tries++) {
          sx = this.capillary.xMm + rng.uniform(-rin, rin);
          sz = this.capillary.zMm + rng.uniform(-rin, rin);
          sy = cy + rng.uniform(-1.6, 1.6);
          if (this.insideGel(sx, sz, radius + 0.03)) break;
        }
      }
      const n = Math.ceil(radius / spacing);
      for (let i = -n; i <= n; i++) {
        for (let j = -n; j <= n; j++) {
          for (let k = -n; k <= n; k++) {
            const dx = i * spacing + rng.uniform(-0.004, 0.004);
            const dy = j * spacing + rng.uniform(-0.004, 0.004);
            const dz = k * spacing + rng.uniform(-0.004, 0.004);
            if (dx * dx + dy * dy + dz * dz > radius * radius) continue;
            if (rng.chance(0.12)) continue; // gaps
            this.addNucleus(sx + dx, sy + dy, sz + dz, rng.uniform(3.5, 5.8), this.nucleusBrightness(rng, true), 'spheroid');
          }
        }
      }
    }
  }

  private makeScattered(rng: Rng, count: number, cy: number, rin: number): void {
    const { xMm: cx, zMm: cz } = this.capillary;
    for (let made = 0, tries = 0; made < count && tries < count * 20; tries++) {
      const x = cx + rng.uniform(-rin, rin);
      const z = cz + rng.uniform(-rin, rin);
      if (!this.insideGel(x, z, 0.02)) continue;
      this.addNucleus(x, cy + rng.uniform(-3, 3), z, rng.uniform(4, 6.5), this.nucleusBrightness(rng, false), 'scattered');
      made++;
    }
  }

  private makeFibres(rng: Rng, count: number, cy: number, rin: number): void {
    const { xMm: cx, zMm: cz } = this.capillary;
    for (let f = 0; f < count; f++) {
      let x = cx + rng.uniform(-rin * 0.8, rin * 0.8);
      let z = cz + rng.uniform(-rin * 0.8, rin * 0.8);
      let y = cy + rng.uniform(-2, 2);
      if (!this.insideGel(x, z, 0.05)) {
        x = cx;
        z = cz;
      }
      // Mostly in-plane fibres (small z slope) so that they show as long lines.
      let theta = rng.uniform(0, 2 * Math.PI);
      let phi = rng.uniform(-0.25, 0.25);
      const points: PhantomFibre['points'] = [];
      const segments = rng.int(30, 60);
      for (let i = 0; i <= segments; i++) {
        points.push({ xMm: x, yMm: y, zMm: z });
        const step = 0.03;
        x += step * Math.cos(phi) * Math.cos(theta);
        y += step * Math.cos(phi) * Math.sin(theta);
        z += step * Math.sin(phi);
        theta += rng.normal() * 0.15;
        phi = Math.max(-0.5, Math.min(0.5, phi + rng.normal() * 0.05));
        if (!this.insideGel(x, z, 0.01)) break;
      }
      const b = [0, 0, 0, 0];
      b[2] = rng.uniform(350, 700);
      if (rng.chance(0.5)) b[1] = rng.uniform(200, 500);
      const channels = b.flatMap((v, i) => (v > 0 ? [i] : []));
      if (points.length >= 2) this.fibres.push({ points, radiusUm: rng.uniform(0.8, 1.6), channels, brightness: b });
    }
  }

  private indexNuclei(): void {
    const order = this.nuclei.map((_, i) => i).sort((a, b) => this.nuclei[a]!.zMm - this.nuclei[b]!.zMm);
    const n = order.length;
    this.nz = new Float64Array(n);
    this.nx = new Float64Array(n);
    this.ny = new Float64Array(n);
    this.nr = new Float64Array(n);
    this.nb = new Float32Array(n * 4);
    order.forEach((src, i) => {
      const nu = this.nuclei[src]!;
      this.nz[i] = nu.zMm;
      this.nx[i] = nu.xMm;
      this.ny[i] = nu.yMm;
      this.nr[i] = nu.radiusUm / 1000;
      for (let c = 0; c < 4; c++) this.nb[i * 4 + c] = nu.brightness[c] ?? 0;
      this.maxRadiusMm = Math.max(this.maxRadiusMm, nu.radiusUm / 1000);
    });
  }

  private indexFibres(): void {
    const pts: Array<[number, number, number, number, number[]]> = [];
    for (const f of this.fibres) {
      for (let s = 0; s + 1 < f.points.length; s++) {
        const a = f.points[s]!;
        const b = f.points[s + 1]!;
        const len = Math.hypot(b.xMm - a.xMm, b.yMm - a.yMm, b.zMm - a.zMm);
        const steps = Math.max(1, Math.ceil(len / (FIBRE_SAMPLE_UM / 1000)));
        for (let k = 0; k < steps; k++) {
          const t = k / steps;
          pts.push([
            a.xMm + t * (b.xMm - a.xMm),
            a.yMm + t * (b.yMm - a.yMm),
            a.zMm + t * (b.zMm - a.zMm),
            f.radiusUm / 1000,
            f.brightness,
          ]);
        }
      }
      this.maxFibreRadiusMm = Math.max(this.maxFibreRadiusMm, f.radiusUm / 1000);
    }
    pts.sort((p, q) => p[2] - q[2]);
    const n = pts.length;
    this.fx = new Float64Array(n);
    this.fy = new Float64Array(n);
    this.fz = new Float64Array(n);
    this.fr = new Float64Array(n);
    this.fb = new Float32Array(n * 4);
    pts.forEach(([x, y, z, r, b], i) => {
      this.fx[i] = x;
      this.fy[i] = y;
      this.fz[i] = z;
      this.fr[i] = r;
      for (let c = 0; c < 4; c++) this.fb[i * 4 + c] = b[c] ?? 0;
    });
  }

  renderPlane(view: PlaneView, out?: Float32Array): Float32Array {
    const n = checkView(view);
    const img = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
    this.render(view, img, 1, 0, 0, Infinity);
    return img;
  }

  renderCounts(view: PlaneView, scale: number, offset: number, maxCount: number, out: Uint16Array): Uint16Array {
    const n = checkView(view);
    const img = out.length >= n ? out.subarray(0, n) : new Uint16Array(n);
    this.render(view, img, scale, offset + 0.5, 0.5, maxCount);
    return img;
  }

  /**
   * Fills `img` with add + (background × gain + structures × gain) × scale, where the
   * gain is the side's falloff (per column) times the sheet's stripes (per row). The
   * background is written row by row from a few cached template rows; structures are
   * stamped sparsely on top.
   */
  private render(
    view: PlaneView,
    img: Float32Array | Uint16Array,
    scale: number,
    add: number,
    round: number,
    cap: number,
  ): void {
    const { width: w, height: h } = view;
    const led = view.channel === LED_CHANNEL;
    const fluor = led ? -1 : ((view.channel % FLUOROPHORES) + FLUOROPHORES) % FLUOROPHORES;
    const p = view.pixelSizeUm / 1000;
    const x0 = view.centerXMm - ((w - 1) / 2) * p;
    const y0 = view.centerYMm - ((h - 1) / 2) * p;
    const colBg = new Float64Array(w);
    const colGain = new Float64Array(w);
    this.columnProfiles(view, fluor, p, x0, colBg, colGain);
    const rowGain = new Float64Array(h);
    const stripes = led ? null : this.stripePhases[view.side === 'left' ? 0 : 1]!;
    let fMin = Infinity;
    let fMax = -Infinity;
    for (let r = 0; r < h; r++) {
      let f = 1;
      if (stripes) {
        const y = y0 + r * p;
        for (const s of stripes) f -= s.amp * (1 + Math.sin(s.k * y + s.phase));
      }
      rowGain[r] = f;
      if (f < fMin) fMin = f;
      if (f > fMax) fMax = f;
    }
    // Background rows from at most 256 templates (the stripe gain quantised).
    const levels = fMax - fMin < 1e-9 ? 1 : 256;
    const templates = new Map<number, Float32Array | Uint16Array>();
    for (let r = 0; r < h; r++) {
      const q = levels === 1 ? 0 : Math.round(((rowGain[r]! - fMin) / (fMax - fMin)) * (levels - 1));
      let t = templates.get(q);
      if (!t) {
        const f = levels === 1 ? fMin : fMin + ((fMax - fMin) * q) / (levels - 1);
        t = img instanceof Uint16Array ? new Uint16Array(w) : new Float32Array(w);
        for (let c = 0; c < w; c++) {
          const v = add + colBg[c]! * colGain[c]! * f * scale;
          t[c] = v < 0 ? 0 : v > cap ? cap : v;
        }
        templates.set(q, t);
      }
      img.set(t, r * w);
    }
    const g: Gains = { colGain, rowGain, scale, round, cap };
    this.stampNuclei(img, view, fluor, p, x0, y0, g);
    this.stampFibres(img, view, fluor, p, x0, y0, g);
  }

  /** Background (gel, walls, water) and illumination gain for every column. */
  private columnProfiles(view: PlaneView, fluor: number, p: number, x0: number, colBg: Float64Array, colGain: Float64Array): void {
    const cap = this.capillary;
    const dzc = view.zMm - cap.zMm;
    const rin = cap.innerRadiusMm;
    const rout = rin + cap.wallMm;
    const halfIn = Math.abs(dzc) < rin ? Math.sqrt(rin * rin - dzc * dzc) : -1;
    const halfOut = Math.abs(dzc) < rout ? Math.sqrt(rout * rout - dzc * dzc) : -1;
    const xIn = cap.xMm - Math.max(0, halfIn);
    const xOut = cap.xMm + Math.max(0, halfIn);
    for (let c = 0; c < colBg.length; c++) {
      const x = x0 + c * p;
      const ax = Math.abs(x - cap.xMm);
      const inside = halfIn > 0 && ax < halfIn;
      const wall = !inside && halfOut > 0 && ax < halfOut;
      if (fluor < 0) {
        colBg[c] = wall ? LED_BACKGROUND * 0.55 : LED_BACKGROUND;
        colGain[c] = 1;
      } else {
        colBg[c] = inside ? GEL_BACKGROUND[fluor]! : wall ? WALL_SCATTER[fluor]! : WATER_BACKGROUND[fluor]!;
        const depth = view.side === 'left' ? x - xIn : xOut - x;
        colGain[c] = inside ? 0.25 + 0.75 * Math.exp(-Math.max(0, depth) / FALLOFF_MM) : 1;
      }
    }
  }

  /** First index in a sorted array with value ≥ v. */
  private static lowerBound(a: Float64Array, v: number): number {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private stampNuclei(
    img: Float32Array | Uint16Array,
    view: PlaneView,
    fluor: number,
    p: number,
    x0: number,
    y0: number,
    g: Gains,
  ): void {
    const { width: w, height: h, zMm } = view;
    const sigma = this.sheetSigmaMm;
    const reach = this.maxRadiusMm + 3 * sigma;
    const end = SeededPhantom.lowerBound(this.nz, zMm + reach);
    const edgePx = 0.7;
    const xMax = x0 + (w - 1) * p;
    const yMax = y0 + (h - 1) * p;
    const { colGain, rowGain, scale, round, cap } = g;
    for (let i = SeededPhantom.lowerBound(this.nz, zMm - reach); i < end; i++) {
      const b = fluor < 0 ? -600 : this.nb[i * 4 + fluor]!;
      if (b === 0) continue;
      const R = this.nr[i]!;
      const dzEff = Math.max(0, Math.abs(this.nz[i]! - zMm) - sigma);
      let rc: number;
      let amp = b;
      if (dzEff < R) {
        rc = Math.sqrt(R * R - dzEff * dzEff);
      } else {
        const t = (dzEff - R) / sigma;
        amp = b * Math.exp(-0.5 * t * t);
        if (Math.abs(amp) < 0.02 * Math.abs(b)) continue;
        rc = 0.35 * R;
      }
      amp *= scale;
      const x = this.nx[i]!;
      const y = this.ny[i]!;
      const rcPx = Math.max(rc / p, 0.5);
      const reachPx = rcPx + edgePx + 1;
      if (x < x0 - reachPx * p || x > xMax + reachPx * p || y < y0 - reachPx * p || y > yMax + reachPx * p) continue;
      const cxp = (x - x0) / p;
      const cyp = (y - y0) / p;
      const c0 = Math.max(0, Math.floor(cxp - reachPx));
      const c1 = Math.min(w - 1, Math.ceil(cxp + reachPx));
      const r0 = Math.max(0, Math.floor(cyp - reachPx));
      const r1 = Math.min(h - 1, Math.ceil(cyp + reachPx));
      const rc2 = rcPx * rcPx;
      const inv = 1 / (2 * rcPx * edgePx);
      const inner = 0.25 / rc2;
      for (let r = r0; r <= r1; r++) {
        const dy = r - cyp;
        const dy2 = dy * dy;
        const row = r * w;
        const rg = amp * rowGain[r]!;
        for (let c = c0; c <= c1; c++) {
          const dx = c - cxp;
          const d2 = dx * dx + dy2;
          let t = (rc2 - d2) * inv + 0.5;
          if (t <= 0) continue;
          if (t > 1) t = 1;
          // Slightly brighter towards the middle, as chromatin-dense nuclei look.
          const v = img[row + c]! + rg * colGain[c]! * t * (1 - inner * d2) + round;
          img[row + c] = v < 0 ? 0 : v > cap ? cap : v;
        }
      }
    }
  }

  private stampFibres(
    img: Float32Array | Uint16Array,
    view: PlaneView,
    fluor: number,
    p: number,
    x0: number,
    y0: number,
    g: Gains,
  ): void {
    const { width: w, height: h, zMm } = view;
    const sigma = this.sheetSigmaMm;
    const reach = this.maxFibreRadiusMm + 3 * sigma;
    const end = SeededPhantom.lowerBound(this.fz, zMm + reach);
    const spacingPx = FIBRE_SAMPLE_UM / 1000 / p;
    const { colGain, rowGain, scale, round, cap } = g;
    for (let i = SeededPhantom.lowerBound(this.fz, zMm - reach); i < end; i++) {
      const b = fluor < 0 ? -250 : this.fb[i * 4 + fluor]!;
      if (b === 0) continue;
      const r = this.fr[i]!;
      const dz = this.fz[i]! - zMm;
      const s2 = sigma * sigma + r * r;
      const wz = Math.exp((-0.5 * dz * dz) / s2);
      if (wz < 0.03) continue;
      const sPx = Math.max(0.6, r / p);
      const cxp = (this.fx[i]! - x0) / p;
      const cyp = (this.fy[i]! - y0) / p;
      const reachPx = 2.5 * sPx;
      if (cxp < -reachPx || cyp < -reachPx || cxp > w - 1 + reachPx || cyp > h - 1 + reachPx) continue;
      // Per-point amplitude so that a line's peak is about b whatever the pixel size.
      const amp = (scale * b * wz * spacingPx) / (Math.sqrt(2 * Math.PI) * sPx);
      const inv = -0.5 / (sPx * sPx);
      const c0 = Math.max(0, Math.floor(cxp - reachPx));
      const c1 = Math.min(w - 1, Math.ceil(cxp + reachPx));
      const r0 = Math.max(0, Math.floor(cyp - reachPx));
      const r1 = Math.min(h - 1, Math.ceil(cyp + reachPx));
      for (let rr = r0; rr <= r1; rr++) {
        const dy = rr - cyp;
        const row = rr * w;
        const rg = amp * rowGain[rr]!;
        for (let c = c0; c <= c1; c++) {
          const dx = c - cxp;
          const v = img[row + c]! + rg * colGain[c]! * Math.exp((dx * dx + dy * dy) * inv) + round;
          img[row + c] = v < 0 ? 0 : v > cap ? cap : v;
        }
      }
    }
  }
}

interface Gains {
  colGain: Float64Array;
  rowGain: Float64Array;
  scale: number;
  /** 0.5 when the target holds integers (stores truncate), else 0. */
  round: number;
  cap: number;
}

function checkView(view: PlaneView): number {
  const { width: w, height: h } = view;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) {
    throw new Error(`Plane size must be positive integers, got ${w} × ${h}.`);
  }
  if (!(view.pixelSizeUm > 0)) throw new Error(`Pixel size must be positive, got ${view.pixelSizeUm} µm.`);
  return w * h;
}
