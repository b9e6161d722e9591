/**
 * NumPy `.npy` files as test data (spec §7.6): header versions 1, 2 and 3, little- or big-endian
 * `u1`, `u2`, `f4`, C or Fortran order, 2 to 5 dimensions, opened as a CZYX (or TCZYX) image with
 * a 1 µm voxel (the file has no voxel size). Everything else is refused with a message naming
 * the value.
 *
 * @example
 * const image = await readNpy(bytes, 'stack.npy');
 */

import type { AxisDescription, ImageDescription, OpenOptions, PixelArray } from './description.ts';
import { ReadError, WarningSink } from './description.ts';
import { elementFromTypestr, allocate, toElements } from './elements.ts';
import { cacheFor, makeLevel, product } from './level.ts';
import { channelsFrom, sampleChannelRange } from './ome.ts';

export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parses only numpy's header grammar: `{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseDict(text: string, file: string): Record<string, string | boolean | number[]> {
  let i = 0;
  const fail = (what: string): never => {
    throw new ReadError('bad-file', file, `${file} has a malformed header (${what} at character ${i}): ${JSON.stringify(text.trim().slice(0, 80))}.`);
  };
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') fail('expected a quoted string');
    const end = text.indexOf(q!, i + 1);
    if (end < 0) fail('unterminated string');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const out: Record<string, string | boolean | number[]> = {};
  ws();
  if (text[i] !== '{') fail("expected '{'");
  i++;
  for (;;) {
    ws();
    if (text[i] === '}') {
      i++;
      break;
    }
    const key = str();
    ws();
    if (text[i] !== ':') fail("expected ':'");
    i++;
    ws();
    let value: string | boolean | number[];
    if (text[i] === "'" || text[i] === '"') value = str();
    else if (text.startsWith('True', i)) {
      value = true;
      i += 4;
    } else if (text.startsWith('False', i)) {
      value = false;
      i += 5;
    } else if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') {
          i++;
          break;
        }
        const m = /^\d+/.exec(text.slice(i));
        if (!m) fail('expected a non-negative integer in the shape');
        dims.push(Number(m![0]));
        i += m![0].length;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail("expected ',' or ')' in the shape");
      }
      value = dims;
    } else value = fail('expected a string, True, False or a tuple');
    if (key in out) fail(`duplicate key '${key}'`);
    out[key] = value;
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail("expected ',' or '}'");
  }
  ws();
  if (i !== text.length) fail('text after the closing brace');
  return out;
}

export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new ReadError('bad-file', file, `${file} does not start with the NumPy magic "\\x93NUMPY"; it is not an .npy file.`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let len: number;
  let start: number;
  if (major === 1) {
    len = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new ReadError('truncated', file, `${file} ends inside its version ${major}.${minor} header.`);
    len = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new ReadError('unsupported', file, `${file} is .npy format version ${major}.${minor}; this reader reads versions 1.0, 2.0 and 3.0.`);
  }
  if (start + len > bytes.length) throw new ReadError('truncated', file, `${file} declares a ${len}-byte header but holds only ${bytes.length - start} bytes after the preamble.`);
  const raw = bytes.subarray(start, start + len);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: major === 3 }).decode(raw);
  } catch (cause) {
    throw new ReadError('bad-file', file, `${file} has a version 3 header that is not UTF-8.`, { cause });
  }
  const d = parseDict(text, file);
  for (const k of ['descr', 'fortran_order', 'shape']) if (!(k in d)) throw new ReadError('bad-file', file, `${file} header has no '${k}'.`);
  const extra = Object.keys(d).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length > 0) throw new ReadError('bad-file', file, `${file} header has unexpected keys (${extra.join(', ')}); numpy writes only descr, fortran_order and shape.`);
  if (typeof d.descr !== 'string') throw new ReadError('bad-file', file, `${file} header 'descr' is not a string.`);
  if (typeof d.fortran_order !== 'boolean') throw new ReadError('bad-file', file, `${file} header 'fortran_order' is not True or False.`);
  if (!Array.isArray(d.shape)) throw new ReadError('bad-file', file, `${file} header 'shape' is not a tuple.`);
  return { version: [major, minor], descr: d.descr, fortranOrder: d.fortran_order, shape: d.shape, dataOffset: start + len };
}

const ACCEPTED = new Set(['u1', '|u1', '<u1', '>u1', '<u2', '>u2', '<f4', '>f4']);

/** Reads a whole `.npy` file held in memory. */
export async function readNpy(bytes: Uint8Array, file: string, options: OpenOptions = {}): Promise<ImageDescription> {
  const warnings = new WarningSink(options.onWarning);
  const h = parseNpyHeader(bytes, file);
  if (!ACCEPTED.has(h.descr)) {
    throw new ReadError('unknown-dtype', file, `${file} holds dtype '${h.descr}'; this reader reads uint8 ('|u1'), uint16 ('<u2', '>u2') and float32 ('<f4', '>f4').`);
  }
  const el = elementFromTypestr(h.descr === 'u1' ? '|u1' : h.descr)!;
  const rank = h.shape.length;
  if (rank < 2 || rank > 5) throw new ReadError('unsupported', file, `${file} has ${rank} dimensions (shape (${h.shape.join(', ')})); expected 2 (y, x) to 5 (t, c, z, y, x).`);
  if (h.shape.some((s) => s === 0)) throw new ReadError('bad-file', file, `${file} has shape (${h.shape.join(', ')}), which holds no pixels.`);
  const count = product(h.shape);
  const need = count * el.bytes;
  if (!Number.isSafeInteger(need)) throw new ReadError('bad-file', file, `${file} has shape (${h.shape.join(', ')}), too large to index.`);
  const have = bytes.length - h.dataOffset;
  if (have < need) throw new ReadError('truncated', file, `${file} is truncated: its header (shape (${h.shape.join(', ')}), '${h.descr}') needs ${need} data bytes but the file holds ${have}.`);
  if (have > need) warnings.add('trailing-bytes', `${file} has ${have - need} bytes after its data; they are ignored.`, file);
  warnings.add('unknown-size', `${file} carries no voxel size; 1 µm is assumed.`, file);

  // Normalise to CZYX, or TCZYX for 5-D.
  const shape = rank === 5 ? h.shape.slice() : [...new Array<number>(4 - rank).fill(1), ...h.shape];
  const n = shape.length;
  const names = n === 5 ? ['t', 'c', 'z', 'y', 'x'] : ['c', 'z', 'y', 'x'];
  const axes: AxisDescription[] = names.map((a) => (a === 'c' ? { name: a, type: 'channel' } : a === 't' ? { name: a, type: 'time', unit: 'second' } : { name: a, type: 'space', unit: 'micrometer' }));
  const Y = shape[n - 2]!;
  const X = shape[n - 1]!;
  const chunks = [...new Array<number>(n - 2).fill(1), Y, X];
  // File strides (elements) of each normalised axis.
  const strides = new Array<number>(n).fill(0);
  if (h.fortranOrder) {
    let s = 1;
    for (let a = n - rank; a < n; a++) {
      strides[a] = s;
      s *= shape[a]!;
    }
  } else {
    let s = 1;
    for (let a = n - 1; a >= n - rank; a--) {
      strides[a] = s;
      s *= shape[a]!;
    }
  }
  const data = bytes.subarray(h.dataOffset, h.dataOffset + need);
  const level = makeLevel({
    path: file,
    shape,
    chunks,
    dtype: el.dtype,
    fillValue: 0,
    scale: new Array<number>(n).fill(1),
    translation: new Array<number>(n).fill(0),
    warnings,
    cache: cacheFor(options),
    loader: {
      keyOf: (index) => `${file} plane [${index.slice(0, n - 2).join(', ')}]`,
      async load(index, signal): Promise<PixelArray> {
        signal?.throwIfAborted();
        let base = 0;
        for (let a = 0; a < n - 2; a++) base += index[a]! * strides[a]!;
        if (!h.fortranOrder) return toElements(data.subarray(base * el.bytes, (base + Y * X) * el.bytes), el, Y * X);
        const out = allocate(el.dtype, Y * X);
        const dv = new DataView(data.buffer, data.byteOffset, data.length);
        const le = el.littleEndian;
        const get = el.bytes === 1 ? (o: number) => dv.getUint8(o) : el.dtype === 'uint16' ? (o: number) => dv.getUint16(o, le) : (o: number) => dv.getFloat32(o, le);
        for (let y = 0; y < Y; y++) {
          for (let x = 0; x < X; x++) out[y * X + x] = get((base + y * strides[n - 2]! + x * strides[n - 1]!) * el.bytes);
        }
        return out;
      },
    },
  });
  const channels = await channelsFrom(null, shape[n - 4]!, el.dtype, file, warnings, (c) => sampleChannelRange(level, axes, c, options.signal));
  return { source: 'npy', location: file, name: file.replace(/^.*[\\/]/, '').replace(/\.npy$/i, ''), axes, levels: [level], channels, warnings: warnings.list };
}
