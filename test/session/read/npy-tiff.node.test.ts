import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isReadError } from '../../../src/session/read/description.ts';
import type { ImageDescription } from '../../../src/session/read/description.ts';
import { readNpy } from '../../../src/session/read/npy.ts';
import { openPath } from '../../../src/session/read/open-file.node.ts';
import { readTiff } from '../../../src/session/read/tiff.ts';
import { python, tempDir } from './helpers.ts';
import { makeTiff } from './tiff-writer.ts';

const tmp = tempDir('flamingo-npy-');
afterAll(() => tmp.remove());

async function all(image: ImageDescription): Promise<number[]> {
  const l = image.levels[0]!;
  return Array.from((await l.readRegion({ start: l.shape.map(() => 0), stop: l.shape.slice() })).data);
}

/** value of element (idx…) in the numpy fixtures: sum of idx[k]·w[k] mod 251. */
function npyValue(idx: number[]): number {
  const w = [11, 7, 5, 3, 1];
  return idx.reduce((a, v, k) => a + v * w[w.length - idx.length + k]!, 0) % 251;
}

describe('.npy', () => {
  const files = [
    { name: 'v1-u2-3d.npy', dtype: '<u2', shape: [3, 4, 5], version: '(1, 0)', order: 'C' },
    { name: 'v2-u1-4d.npy', dtype: '|u1', shape: [2, 3, 4, 5], version: '(2, 0)', order: 'C' },
    { name: 'v3-f4-2d.npy', dtype: '<f4', shape: [4, 5], version: '(3, 0)', order: 'C' },
    { name: 'be-u2-3d.npy', dtype: '>u2', shape: [3, 4, 5], version: '(1, 0)', order: 'C' },
    { name: 'be-f4-fortran.npy', dtype: '>f4', shape: [3, 4, 5], version: '(1, 0)', order: 'F' },
    { name: 'fortran-u2-4d.npy', dtype: '<u2', shape: [2, 3, 4, 5], version: '(1, 0)', order: 'F' },
    { name: 'u1-5d.npy', dtype: '|u1', shape: [2, 1, 2, 3, 4], version: '(1, 0)', order: 'C' },
  ];
  python(
    `
import sys, json, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
for f in json.loads(sys.argv[2]):
    shape = f["shape"]
    w = [11, 7, 5, 3, 1][5 - len(shape):]
    idx = np.indices(shape)
    a = (sum(idx[k] * w[k] for k in range(len(shape))) % 251).astype(f["dtype"])
    if f["order"] == "F":
        a = np.asfortranarray(a)
    with open(d + "/" + f["name"], "wb") as out:
        fmt.write_array(out, a, version=eval(f["version"]))
`,
    [tmp.dir, JSON.stringify(files)],
  );

  for (const f of files) {
    it(`reads ${f.name}`, async () => {
      const image = await openPath(path.join(tmp.dir, f.name));
      expect(image.source).toBe('npy');
      const rank = f.shape.length;
      const shape = rank === 5 ? f.shape : [...new Array<number>(4 - rank).fill(1), ...f.shape];
      expect(image.levels[0]!.shape).toEqual(shape);
      expect(image.levels[0]!.dtype).toBe(f.dtype.endsWith('u1') ? 'uint8' : f.dtype.endsWith('u2') ? 'uint16' : 'float32');
      expect(image.axes.map((a) => a.name).join('')).toBe(rank === 5 ? 'tczyx' : 'czyx');
      expect(image.warnings.map((w) => w.code)).toEqual(['unknown-size']);
      const data = await all(image);
      const want: number[] = [];
      const n = f.shape.reduce((a, b) => a * b, 1);
      for (let k = 0; k < n; k++) {
        const idx: number[] = [];
        let rem = k;
        for (let a = rank - 1; a >= 0; a--) {
          idx.unshift(rem % f.shape[a]!);
          rem = Math.floor(rem / f.shape[a]!);
        }
        want.push(npyValue(idx));
      }
      expect(data).toEqual(want);
    });
  }

  it('warns about trailing bytes and refuses other dtypes, naming them', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(tmp.dir, 'v1-u2-3d.npy')));
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    const image = await readNpy(longer, 'longer.npy');
    expect(image.warnings.map((w) => w.code)).toEqual(['trailing-bytes', 'unknown-size']);
    python('import sys, numpy as np; np.save(sys.argv[1], np.zeros((2, 3), "<i2"))', [path.join(tmp.dir, 'i2.npy')]);
    await expect(openPath(path.join(tmp.dir, 'i2.npy'))).rejects.toThrow("i2.npy holds dtype '<i2'; this reader reads uint8");
  });
});

describe('TIFF', () => {
  const page = (k: number, w = 6, h = 4): Uint16Array => new Uint16Array(w * h).map((_, i) => k * 100 + i);

  it('reads a plain multi-page TIFF as z planes, with an unknown pixel size', async () => {
    const image = await readTiff(makeTiff([0, 1, 2].map((k) => ({ width: 6, height: 4, data: page(k) }))), 'plain.tif');
    expect(image.source).toBe('tiff');
    expect(image.levels[0]!.shape).toEqual([1, 3, 4, 6]);
    expect(image.levels[0]!.scale).toEqual([1, 1, 1, 1]);
    expect(image.warnings.map((w) => w.code)).toEqual(['unknown-size']);
    expect(await all(image)).toEqual([...page(0), ...page(1), ...page(2)]);
  });

  for (const bigEndian of [false, true]) {
    it(`reads BigTIFF (${bigEndian ? 'big' : 'little'}-endian)`, async () => {
      const image = await readTiff(makeTiff([0, 1, 2].map((k) => ({ width: 6, height: 4, data: page(k) })), { big: true, bigEndian, description: 'ImageJ=1.5\nimages=3\nslices=3\n' }), 'big.tif');
      expect(image.levels[0]!.shape).toEqual([1, 3, 4, 6]);
      expect(await all(image)).toEqual([...page(0), ...page(1), ...page(2)]);
    });
  }

  for (const encode of ['deflate', 'packbits'] as const) {
    it(`reads ${encode}-compressed pages`, async () => {
      const image = await readTiff(makeTiff([0, 1].map((k) => ({ width: 6, height: 4, data: page(k) })), { encode }), `${encode}.tif`);
      expect(await all(image)).toEqual([...page(0), ...page(1)]);
      expect(image.warnings.map((w) => w.code)).toEqual(['unknown-size']);
    });
  }

  it('reads big-endian float32 pages and centimetre resolution', async () => {
    const f = (k: number): Float32Array => new Float32Array(12).map((_, i) => k + i / 8);
    const image = await readTiff(makeTiff([0, 1].map((k) => ({ width: 4, height: 3, data: f(k) })), { bigEndian: true, resolution: { x: [40000, 1], y: [20000, 1], unit: 3 } }), 'be.tif');
    expect(image.levels[0]!.dtype).toBe('float32');
    expect(image.levels[0]!.scale).toEqual([1, 0.25, 0.5, 0.25]);
    expect(image.warnings).toEqual([]);
    expect(await all(image)).toEqual([...f(0), ...f(1)]);
  });

  it('honours an ImageJ hyperstack description (channel fastest, then z)', async () => {
    const desc = 'ImageJ=1.54f\nimages=6\nchannels=2\nslices=3\nhyperstack=true\nunit=micron\nspacing=2.5\n';
    const image = await readTiff(makeTiff([0, 1, 2, 3, 4, 5].map((k) => ({ width: 6, height: 4, data: page(k) })), { description: desc, resolution: { x: [4, 1], y: [4, 1], unit: 1 } }), 'ij.tif');
    expect(image.levels[0]!.shape).toEqual([2, 3, 4, 6]);
    expect(image.levels[0]!.scale).toEqual([1, 2.5, 0.25, 0.25]);
    const c1z2 = await image.levels[0]!.readRegion({ start: [1, 2, 0, 0], stop: [2, 3, 4, 6] });
    expect(Array.from(c1z2.data)).toEqual(Array.from(page(5)));
  });

  const omeXml = (pixels: string, inner = ''): string =>
    `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" ${pixels}><Channel ID="Channel:0:0" Name="DAPI" Color="65535" SamplesPerPixel="1"/><Channel ID="Channel:0:1" Name="GFP" Color="-16776961" SamplesPerPixel="1"/>${inner}</Pixels></Image></OME>`;

  it('reads OME-TIFF dimensions, units, channel names and colours (planes in DimensionOrder)', async () => {
    const xml = omeXml('DimensionOrder="XYCZT" Type="uint16" SizeX="6" SizeY="4" SizeZ="3" SizeC="2" SizeT="1" PhysicalSizeX="500" PhysicalSizeXUnit="nm" PhysicalSizeY="0.5" PhysicalSizeZ="0.002" PhysicalSizeZUnit="mm"');
    const image = await readTiff(makeTiff([0, 1, 2, 3, 4, 5].map((k) => ({ width: 6, height: 4, data: page(k) })), { description: xml }), 'x.ome.tif');
    expect(image.source).toBe('ome-tiff');
    expect(image.name).toBe('x');
    expect(image.levels[0]!.shape).toEqual([2, 3, 4, 6]);
    expect(image.levels[0]!.scale).toEqual([1, 2, 0.5, 0.5]);
    expect(image.channels.map((c) => [c.name, c.color])).toEqual([['DAPI', '0000FF'], ['GFP', 'FF0000']]);
    // XYCZT: plane index = z * 2 + c
    const c0z1 = await image.levels[0]!.readRegion({ start: [0, 1, 0, 0], stop: [1, 2, 4, 6] });
    expect(Array.from(c0z1.data)).toEqual(Array.from(page(2)));
    expect(image.warnings).toEqual([]);
  });

  it('locates OME-TIFF planes by TiffData', async () => {
    const xml = omeXml('DimensionOrder="XYZCT" Type="uint16" SizeX="6" SizeY="4" SizeZ="2" SizeC="2" SizeT="1" PhysicalSizeX="1" PhysicalSizeY="1"', '<TiffData IFD="3" FirstC="0" FirstZ="0" PlaneCount="1"/><TiffData IFD="2" FirstC="0" FirstZ="1" PlaneCount="1"/><TiffData IFD="1" FirstC="1" FirstZ="0" PlaneCount="1"/><TiffData IFD="0" FirstC="1" FirstZ="1" PlaneCount="1"/>');
    const image = await readTiff(makeTiff([0, 1, 2, 3].map((k) => ({ width: 6, height: 4, data: page(k) })), { description: xml }), 'td.ome.tif');
    expect(await all(image)).toEqual([...page(3), ...page(2), ...page(1), ...page(0)]);
  });

  it('refuses multi-file OME-TIFF and unsupported compression, naming them', async () => {
    const xml = omeXml('DimensionOrder="XYZCT" Type="uint16" SizeX="6" SizeY="4" SizeZ="1" SizeC="1" SizeT="1"', '<TiffData IFD="0"><UUID FileName="other.ome.tif">urn:uuid:1</UUID></TiffData>');
    await expect(readTiff(makeTiff([{ width: 6, height: 4, data: page(0) }], { description: xml }), 'multi.ome.tif')).rejects.toThrow(/multi-file OME-TIFF/);
    const err = await readTiff(makeTiff([{ width: 6, height: 4, data: page(0) }], { compression: 7 }), 'jpeg.tif').catch((e: unknown) => e);
    expect(isReadError(err, 'unsupported')).toBe(true);
    expect((err as Error).message).toMatch(/compression JPEG \(7\)/);
  });
});
