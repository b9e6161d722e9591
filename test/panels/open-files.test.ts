import { describe, expect, it } from 'vitest';
import { openFiles } from '../../src/panels/open-files.ts';
import type { PickedFile } from '../../src/panels/open-files.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An .npy file of uint16 values, shape `shape`, C order. */
function npy(shape: number[], values: Uint16Array): Uint8Array {
  let header = `{'descr': '<u2', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, ...text('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
  out.set(text(header), 10);
  out.set(new Uint8Array(values.buffer), 10 + header.length);
  return out;
}

const file = (name: string, bytes: Uint8Array, webkitRelativePath = ''): PickedFile => ({
  name,
  webkitRelativePath,
  arrayBuffer: async () => bytes.slice().buffer,
});

describe('Load Test Data', () => {
  it('opens an .npy file', async () => {
    const values = Uint16Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const opened = await openFiles([file('stack.npy', npy([2, 3, 4], values))]);
    expect(opened.store).toBeNull();
    expect(opened.image.levels[0]!.shape).toEqual([1, 2, 3, 4]); // a channel axis is added
    const block = await opened.image.levels[0]!.readRegion({ start: [0, 1, 0, 0], stop: [1, 2, 1, 4] });
    expect(Array.from(block.data)).toEqual([120, 130, 140, 150]);
  });

  it('refuses other files and several loose files, saying what it takes', async () => {
    await expect(openFiles([file('notes.txt', text('x'))])).rejects.toThrow('notes.txt is not a .tif, .tiff or .npy file; a .zarr image is opened as a folder.');
    await expect(openFiles([file('a.npy', text('x')), file('b.npy', text('x'))])).rejects.toThrow('2 files were chosen');
    await expect(openFiles([])).rejects.toThrow('No file was chosen');
  });

  it('opens the files of a picked folder as a Zarr store, keyed inside the folder', async () => {
    const opened = openFiles([file('.zgroup', text('{"zarr_format": 2}'), 'x.zarr/.zgroup'), file('.zattrs', text('{}'), 'x.zarr/.zattrs')]);
    await expect(opened).rejects.toThrow('has none of "flamingo", "session_metadata" or "multiscales"');
  });
});
