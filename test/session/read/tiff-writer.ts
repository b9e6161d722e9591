/**
 * A tiny hand-assembled TIFF writer for reader tests: classic TIFF, one strip per page,
 * uncompressed, Deflate or PackBits, either byte order, an optional ImageDescription on page 0 and resolution tags.
 */

import { deflateSync } from 'node:zlib';

export interface TiffPage {
  width: number;
  height: number;
  /** Pixel values in row order. */
  data: Uint8Array | Uint16Array | Float32Array | Int16Array;
}

export interface TiffOptions {
  bigEndian?: boolean;
  description?: string;
  /** XResolution/YResolution as [numerator, denominator] and ResolutionUnit (3 = cm). */
  resolution?: { x: [number, number]; y: [number, number]; unit: number };
  /** Compression tag value written (data stay raw); for refusal tests. */
  compression?: number;
  /** Really compress the strips: Deflate (tag 8, zlib stream) or PackBits (tag 32773). */
  encode?: 'deflate' | 'packbits';
  /** Write BigTIFF (version 43, 8-byte offsets and counts). */
  big?: boolean;
}

/** PackBits with literal runs only (valid, if not small). */
function packBits(raw: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i += 128) {
    const n = Math.min(128, raw.length - i);
    out.push(n - 1, ...raw.subarray(i, i + n));
  }
  return new Uint8Array(out);
}

interface Entry {
  tag: number;
  type: number; // 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL
  values: number[] | string;
}

export function makeTiff(pages: TiffPage[], options: TiffOptions = {}): Uint8Array {
  const le = !options.bigEndian;
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  const big = options.big === true;
  let cursor = big ? 16 : 8;
  const E = big ? 20 : 12; // entry size
  const H = big ? 8 : 2; // entry count size
  const N = big ? 8 : 4; // next-offset size
  const alloc = (bytes: Uint8Array): number => {
    const off = cursor;
    chunks.push({ offset: off, bytes });
    cursor += bytes.length + (bytes.length % 2);
    return off;
  };
  const ifdOffsets: number[] = [];
  const ifdPatches: { at: number; value: number }[] = [];
  pages.forEach((p, i) => {
    const bps = p.data.BYTES_PER_ELEMENT;
    const fmt = p.data instanceof Float32Array ? 3 : p.data instanceof Int16Array ? 2 : 1;
    const raw = new Uint8Array(p.width * p.height * bps);
    const dv = new DataView(raw.buffer);
    for (let k = 0; k < p.data.length; k++) {
      const v = p.data[k]!;
      if (bps === 1) dv.setUint8(k, v);
      else if (fmt === 3) dv.setFloat32(k * 4, v, le);
      else if (fmt === 2) dv.setInt16(k * 2, v, le);
      else dv.setUint16(k * 2, v, le);
    }
    const stored = options.encode === 'deflate' ? new Uint8Array(deflateSync(raw)) : options.encode === 'packbits' ? packBits(raw) : raw;
    const stripOff = alloc(stored);
    const entries: Entry[] = [
      { tag: 256, type: 4, values: [p.width] },
      { tag: 257, type: 4, values: [p.height] },
      { tag: 258, type: 3, values: [bps * 8] },
      { tag: 259, type: 3, values: [options.compression ?? (options.encode === 'deflate' ? 8 : options.encode === 'packbits' ? 32773 : 1)] },
      { tag: 262, type: 3, values: [1] },
      { tag: 273, type: 4, values: [stripOff] },
      { tag: 277, type: 3, values: [1] },
      { tag: 278, type: 4, values: [p.height] },
      { tag: 279, type: 4, values: [stored.length] },
      { tag: 339, type: 3, values: [fmt] },
    ];
    if (i === 0 && options.description !== undefined) entries.push({ tag: 270, type: 2, values: options.description });
    if (options.resolution) {
      entries.push({ tag: 282, type: 5, values: options.resolution.x });
      entries.push({ tag: 283, type: 5, values: options.resolution.y });
      entries.push({ tag: 296, type: 3, values: [options.resolution.unit] });
    }
    entries.sort((a, b) => a.tag - b.tag);
    // out-of-line values
    const ifd = new Uint8Array(H + entries.length * E + N);
    const iv = new DataView(ifd.buffer);
    if (big) iv.setBigUint64(0, BigInt(entries.length), le);
    else iv.setUint16(0, entries.length, le);
    const ifdOff = cursor;
    cursor += ifd.length;
    chunks.push({ offset: ifdOff, bytes: ifd });
    entries.forEach((e, k) => {
      const at = H + k * E;
      iv.setUint16(at, e.tag, le);
      iv.setUint16(at + 2, e.type, le);
      let payload: Uint8Array;
      let count: number;
      if (typeof e.values === 'string') {
        payload = new TextEncoder().encode(`${e.values}\0`);
        count = payload.length;
      } else {
        const size = e.type === 3 ? 2 : e.type === 5 ? 8 : 4;
        count = e.type === 5 ? e.values.length / 2 : e.values.length;
        payload = new Uint8Array(count * size);
        const pv = new DataView(payload.buffer);
        if (e.type === 3) e.values.forEach((v, j) => pv.setUint16(j * 2, v, le));
        else e.values.forEach((v, j) => pv.setUint32(j * 4, v, le));
      }
      if (big) iv.setBigUint64(at + 4, BigInt(count), le);
      else iv.setUint32(at + 4, count, le);
      const inline = big ? 8 : 4;
      const valueAt = big ? at + 12 : at + 8;
      if (payload.length <= inline) {
        ifd.set(payload, valueAt);
      } else {
        const off = alloc(payload);
        if (big) iv.setBigUint64(valueAt, BigInt(off), le);
        else iv.setUint32(valueAt, off, le);
      }
    });
    ifdOffsets.push(ifdOff);
    ifdPatches.push({ at: ifdOff + H + entries.length * E, value: 0 });
  });
  const out = new Uint8Array(cursor);
  const ov = new DataView(out.buffer);
  out[0] = le ? 0x49 : 0x4d;
  out[1] = le ? 0x49 : 0x4d;
  if (big) {
    ov.setUint16(2, 43, le);
    ov.setUint16(4, 8, le);
    ov.setBigUint64(8, BigInt(ifdOffsets[0] ?? 0), le);
  } else {
    ov.setUint16(2, 42, le);
    ov.setUint32(4, ifdOffsets[0] ?? 0, le);
  }
  for (const c of chunks) out.set(c.bytes, c.offset);
  ifdPatches.forEach((p, i) => (big ? ov.setBigUint64(p.at, BigInt(ifdOffsets[i + 1] ?? 0), le) : ov.setUint32(p.at, ifdOffsets[i + 1] ?? 0, le)));
  return out;
}
