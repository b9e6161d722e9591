/**
 * Writes NumPy `.npy` version 1.0 files (C order, little-endian) for uint8, uint16 and float32
 * arrays: the format `flamingo-viv transform` writes and numpy reads with `np.load`.
 *
 * @example
 * const bytes = encodeNpy(new Uint16Array(2 * 3 * 4), [2, 3, 4]); // np.load → uint16 (2, 3, 4)
 */

export type NpyArray = Uint8Array | Uint16Array | Float32Array;

const DESCR = (data: NpyArray): string => (data instanceof Uint8Array ? '|u1' : data instanceof Uint16Array ? '<u2' : '<f4');

export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((s) => Number.isInteger(s) && s >= 0) || n !== data.length) {
    throw new RangeError(`An .npy array of shape (${shape.join(', ')}) needs ${n} values; got ${data.length}.`);
  }
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('encodeNpy needs a little-endian machine.');
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR(data)}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // Preamble (10 bytes) + header padded with spaces to a multiple of 64, ending in '\n'.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  if (headerLength > 65535) throw new RangeError(`The .npy header for shape (${shape.join(', ')}) is too long for format 1.0.`);
  const out = new Uint8Array(10 + headerLength + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 0xff, headerLength >> 8]);
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + headerLength);
  return out;
}
