"""scipy.ndimage reference for the transform tests: reads a JSON manifest of cases (raw C-order
little-endian inputs), runs each case's ops the way specs/benchmark.md §3 describes and writes
each output as raw bytes. Prints a JSON summary (versions, rotation matrices and offsets)."""
import json
import sys

import numpy as np
import scipy
from scipy import ndimage
from scipy.spatial.transform import Rotation

LETTER = {"x": "z", "y": "y", "z": "x"}  # physical axis -> scipy's euler letter (spec §5.3)


def run_op(x, op, info):
    kind = op["op"]
    if kind == "gaussian":
        return ndimage.gaussian_filter(x, sigma=tuple(op["sigma"]), truncate=op.get("truncate", 4.0), mode="reflect")
    if kind == "rotate":
        m = Rotation.from_euler(LETTER[op["axis"]], op["angleDeg"], degrees=True).as_matrix()
        c = np.array(x.shape) / 2
        off = c - m @ c
        info.append({"matrix": m.ravel().tolist(), "offset": off.tolist()})
        return ndimage.affine_transform(x, m, offset=off, order=op["order"], mode="constant", cval=op.get("cval", 0.0), prefilter=False)
    if kind == "affine":
        m = np.array(op["matrix"], dtype=np.float64).reshape(3, 3)
        shape = tuple(op["outputShape"]) if "outputShape" in op else None
        return ndimage.affine_transform(x, m, offset=op["offset"], output_shape=shape, order=op["order"], mode="constant", cval=op.get("cval", 0.0), prefilter=False)
    if kind == "shift":
        if op["order"] == 0:
            out = x.copy()
            for axis, s in enumerate(op["offset"]):
                k = int(round(s))
                if k == 0:
                    continue
                out = np.roll(out, k, axis=axis)
                sl = [slice(None)] * 3
                sl[axis] = slice(0, k) if k > 0 else slice(k, None)
                out[tuple(sl)] = 0
            return out
        return ndimage.shift(x, op["offset"], order=1, mode="constant", cval=op.get("cval", 0.0), prefilter=False)
    if kind == "downsample":
        f = op["factor"]
        n = [s // f for s in x.shape]
        t = x[: n[0] * f, : n[1] * f, : n[2] * f].reshape(n[0], f, n[1], f, n[2], f)
        if op["reduce"] == "max":
            return t.max(axis=(1, 3, 5))
        return t.mean(axis=(1, 3, 5)).astype(x.dtype)
    raise ValueError(kind)


def main():
    manifest = json.load(open(sys.argv[1]))
    summary = {"scipy": scipy.__version__, "numpy": np.__version__, "cases": []}
    for case in manifest["cases"]:
        x = np.fromfile(case["input"], dtype=np.dtype(case["dtype"]).newbyteorder("<")).reshape(case["shape"])
        info = []
        for op in case["ops"]:
            x = run_op(x, op, info)
        np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tofile(case["output"])
        summary["cases"].append({"shape": list(x.shape), "dtype": str(x.dtype), "rotations": info})
    print(json.dumps(summary))


main()
