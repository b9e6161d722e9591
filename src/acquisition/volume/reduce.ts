/**
 * The session pyramid's 2×2 yx reduction (spec §3.5), as a pure plane kernel the display
 * path shares: `mean` is the mean of the existing voxels of a block rounded half up
 * (`(a+b+c+d+2)>>2`, `(a+b+1)>>1`, or the one voxel at a corner), `max` their maximum. It
 * gives the same numbers as the writer's slab kernel (`session/writer/kernel.ts`), which
 * reduces level by level from level 0; so does `reducePlane` here.
 *
 * @example
 * const half = reduce2x2(plane, 0, width, height, width, 'mean');   // ceil(h/2) × ceil(w/2)
 * const level2 = reducePlane(plane, height, width, 2, 'mean');       // { data, height, width }
 */

export type ReductionKind = 'mean' | 'max';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reduces the `h × w` window of `src` that starts at `srcOffset` (rows `srcStride` apart)
 * into `ceil(h/2) × ceil(w/2)` values written to `dst` at `dstOffset` (rows `dstStride`
 * apart; default a fresh dense array). Returns `dst`.
 */
export function reduce2x2(
  src: Uint16Array,
  srcOffset: number,
  srcStride: number,
  h: number,
  w: number,
  kind: ReductionKind,
  dst?: Uint16Array,
  dstOffset = 0,
  dstStride = Math.ceil(w / 2),
): Uint16Array {
  const oh = Math.ceil(h / 2);
  const ow = Math.ceil(w / 2);
  const out = dst ?? new Uint16Array(oh * ow);
  const fullW = w >> 1;
  const src32 = LITTLE_ENDIAN && (src.byteOffset & 3) === 0 ? new Uint32Array(src.buffer, src.byteOffset, src.length >> 1) : null;
  for (let oy = 0; oy < oh; oy++) {
    const r0 = srcOffset + 2 * oy * srcStride;
    const twoRows = 2 * oy + 1 < h;
    const r1 = twoRows ? r0 + srcStride : r0;
    const d = dstOffset + oy * dstStride;
    if (kind === 'mean') {
      if (twoRows && src32 && ((r0 | r1) & 1) === 0) {
        // Two voxels per 32-bit read (little-endian: the even voxel is the low half).
        const a0 = r0 >> 1;
        const b0 = r1 >> 1;
        for (let ox = 0; ox < fullW; ox++) {
          const a = src32[a0 + ox]!;
          const b = src32[b0 + ox]!;
          out[d + ox] = ((a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) + 2) >> 2;
        }
        if (fullW < ow) out[d + fullW] = (src[r0 + 2 * fullW]! + src[r1 + 2 * fullW]! + 1) >> 1;
      } else if (twoRows) {
        for (let ox = 0; ox < fullW; ox++) {
          const i = 2 * ox;
          out[d + ox] = (src[r0 + i]! + src[r0 + i + 1]! + src[r1 + i]! + src[r1 + i + 1]! + 2) >> 2;
        }
        if (fullW < ow) out[d + fullW] = (src[r0 + 2 * fullW]! + src[r1 + 2 * fullW]! + 1) >> 1;
      } else {
        for (let ox = 0; ox < fullW; ox++) {
          const i = 2 * ox;
          out[d + ox] = (src[r0 + i]! + src[r0 + i + 1]! + 1) >> 1;
        }
        if (fullW < ow) out[d + fullW] = src[r0 + 2 * fullW]!;
      }
    } else {
      for (let ox = 0; ox < ow; ox++) {
        const i = 2 * ox;
        const hasX = i + 1 < w;
        let m = src[r0 + i]!;
        if (hasX && src[r0 + i + 1]! > m) m = src[r0 + i + 1]!;
        if (src[r1 + i]! > m) m = src[r1 + i]!;
        if (hasX && src[r1 + i + 1]! > m) m = src[r1 + i + 1]!;
        out[d + ox] = m;
      }
    }
  }
  return out;
}

/** A dense plane: `data` holds `height × width` values, row-major. */
export interface Plane {
  data: Uint16Array;
  height: number;
  width: number;
}

/**
 * Reduces a dense `height × width` plane `times` times, level by level (as the pyramid is
 * built). `times = 0` returns the same array, not a copy.
 */
export function reducePlane(src: Uint16Array, height: number, width: number, times: number, kind: ReductionKind): Plane {
  let data = src;
  let h = height;
  let w = width;
  for (let k = 0; k < times; k++) {
    data = reduce2x2(data, 0, w, h, w, kind);
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return { data, height: h, width: w };
}

/**
 * Reduces a window of a plane `times` times into a destination plane: the window's origin
 * must be a multiple of `2^times` (or the window must end at the plane's edge), so that no
 * block straddles its border. `src` is `srcWidth` wide; the result lands in `dst` (`dstWidth`
 * wide) at `(y0 / 2^times, x0 / 2^times)`. `scratch` (optional) keeps the intermediate levels'
 * buffers for re-use between calls.
 */
export function reduceWindow(
  src: Uint16Array,
  srcWidth: number,
  y0: number,
  x0: number,
  h: number,
  w: number,
  times: number,
  kind: ReductionKind,
  dst: Uint16Array,
  dstWidth: number,
  scratch?: Uint16Array[],
): void {
  const f = 2 ** times;
  const dOff = (y0 / f) * dstWidth + x0 / f;
  if (times === 0) {
    for (let y = 0; y < h; y++) dst.set(src.subarray((y0 + y) * srcWidth + x0, (y0 + y) * srcWidth + x0 + w), dOff + y * dstWidth);
    return;
  }
  let cur = src;
  let off = y0 * srcWidth + x0;
  let stride = srcWidth;
  let ch = h;
  let cw = w;
  for (let k = 0; k < times; k++) {
    const last = k === times - 1;
    const nh = Math.ceil(ch / 2);
    const nw = Math.ceil(cw / 2);
    if (last) {
      reduce2x2(cur, off, stride, ch, cw, kind, dst, dOff, dstWidth);
    } else {
      let buf: Uint16Array | undefined;
      if (scratch) {
        buf = scratch[k];
        if (!buf || buf.length < nh * nw) scratch[k] = buf = new Uint16Array(nh * nw);
        buf = buf.subarray(0, nh * nw);
      }
      cur = reduce2x2(cur, off, stride, ch, cw, kind, buf);
      off = 0;
      stride = nw;
    }
    ch = nh;
    cw = nw;
  }
}
