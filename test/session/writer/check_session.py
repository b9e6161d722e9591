"""Independent check of a session written by flamingo-viv's writer (zarr-python 2 + numpy).

Usage: check_session.py SESSION EXPECTED_LEVEL0.raw C,Z,Y,X [mean|max] [ZMAX]
Compares level 0 with the expected array (of the session's dtype: uint16, uint8 or float32),
each level n with the 2x2 reduction of level n-1 (integers: mean rounded half up over existing
voxels; float32: mean in float64 summed in the order (y0,x0)+(y0,x1)+(y1,x0)+(y1,x1), rounded
to float32; or max), bit for bit, and checks that exactly the chunks holding non-fill data
exist as files. With ZMAX (a multiple of 64), only planes below
it are compared (a session whose writer was killed: later slabs may be partly on disk).
Prints one JSON object.
"""
import json
import os
import sys

import numpy as np
import zarr


def reduce(a, kind):
    c, z, y, x = a.shape
    Y, X = (y + 1) // 2, (x + 1) // 2
    flt = a.dtype.kind == "f"
    if kind == "max":
        p = np.full((c, z, Y * 2, X * 2), -np.inf if flt else 0, np.float64 if flt else np.int64)
        p[..., :y, :x] = a
        return p.reshape(c, z, Y, 2, X, 2).max(axis=(3, 5)).astype(a.dtype)
    p = np.zeros((c, z, Y * 2, X * 2), np.float64 if flt else np.int64)
    p[..., :y, :x] = a
    m = np.zeros((Y * 2, X * 2), np.int64)
    m[:y, :x] = 1
    q = p.reshape(c, z, Y, 2, X, 2)
    s = ((q[:, :, :, 0, :, 0] + q[:, :, :, 0, :, 1]) + q[:, :, :, 1, :, 0]) + q[:, :, :, 1, :, 1]
    n = m.reshape(Y, 2, X, 2).sum(axis=(1, 3))
    if flt:
        return (s / n).astype(a.dtype)
    return ((2 * s + n) // (2 * n)).astype(a.dtype)


def same(a, b):
    """Bit-exact equality (float32 compared by their bits)."""
    if a.dtype.kind == "f":
        return a.view(np.uint32 if a.dtype.itemsize == 4 else np.uint64) == b.view(np.uint32 if b.dtype.itemsize == 4 else np.uint64)
    return a == b


def main():
    root, expected_path, shape_text = sys.argv[1:4]
    kind = sys.argv[4] if len(sys.argv) > 4 else "mean"
    zmax = int(sys.argv[5]) if len(sys.argv) > 5 else None
    shape = tuple(int(v) for v in shape_text.split(","))
    errors = []
    g = zarr.open_group(root, mode="r")
    ms = g.attrs["multiscales"][0]
    dtype = g[ms["datasets"][0]["path"]].dtype
    expected = np.fromfile(expected_path, dtype=dtype).reshape(shape)
    if zmax is not None:
        expected = expected[:, :zmax]
    prev = expected
    shapes = []
    files = 0
    for n, ds in enumerate(ms["datasets"]):
        arr = g[ds["path"]]
        data = arr[...]
        if zmax is not None:
            data = data[:, :zmax]
        shapes.append(list(arr.shape))
        want = expected if n == 0 else reduce(prev, kind)
        if data.shape != want.shape:
            errors.append(f"level {n}: shape {data.shape}, expected {want.shape}")
        elif data.dtype != want.dtype:
            errors.append(f"level {n}: dtype {data.dtype}, expected {want.dtype}")
        elif not same(data, want).all():
            diff = np.argwhere(~same(data, want))
            i = tuple(diff[0])
            errors.append(f"level {n}: {len(diff)} voxels differ, first at {i}: {data[i]} != {want[i]}")
        prev = want
        # Sparse: a chunk file exists exactly where the chunk holds non-fill data.
        c, z, y, x = want.shape
        for ci in range(c):
            for zc in range((z + 63) // 64):
                for cy in range((y + 63) // 64):
                    for cx in range((x + 63) // 64):
                        block = want[ci, zc * 64:(zc + 1) * 64, cy * 64:(cy + 1) * 64, cx * 64:(cx + 1) * 64]
                        path = os.path.join(root, ds["path"], str(ci), str(zc), str(cy), str(cx))
                        exists = os.path.isfile(path)
                        files += exists
                        has = bool(np.ascontiguousarray(block).view(np.uint8).any())
                        if exists != has:
                            errors.append(f"chunk {ds['path']}/{ci}/{zc}/{cy}/{cx}: file {'present' if exists else 'missing'} but data {'all fill' if not has else 'present'}")
    tmp = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".tmp")]
    if tmp:
        errors.append(f"temporary files left: {tmp[:3]}")
    level0 = g[ms["datasets"][0]["path"]][...]
    finite = level0[np.isfinite(level0)] if level0.dtype.kind == "f" else level0
    data_range = [float(finite.min()), float(finite.max())] if finite.size else None
    print(json.dumps({"ok": not errors, "errors": errors[:20], "shapes": shapes, "chunk_files": files, "dtype": level0.dtype.str, "data_range": data_range, "attrs": g.attrs.asdict()}))


main()
