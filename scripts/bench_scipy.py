#!/usr/bin/env python3
"""The benchmark's seven tests run through scipy.ndimage (specs/benchmark.md section 3), for
`flamingo-viv bench --vs-scipy`: same input bytes, same iterations, outputs handed back so the
caller can check they are identical.

A long-lived worker: one JSON request per line on stdin, one JSON reply per line on stdout.

  {"cmd": "hello"}
      -> {"ok": true, "environment": {...}}          versions, platform, cores, timer resolution
  {"cmd": "offsets", "sizes": [200], "angles": [15, 45, 90]}
      -> {"ok": true, "offsets": {"200:15": [o0, o1, o2], ...}}   c - M.c as numpy computes it here
  {"cmd": "run", "test": "Rotation 15\u00b0", "mode": "FAST", "n": 200, "input": PATH,
   "iterations": 5, "warmup": 1, "output": PATH}
      -> {"ok": true, "samples_ms": [...], "shape": [n0, n1, n2]}
         input: n*n*n little-endian uint16 in C order; output: the last iteration's result, same form
  anything wrong -> {"ok": false, "error": "one sentence"}

Example:
    printf '{"cmd":"hello"}\\n' | /usr/bin/python3 scripts/bench_scipy.py
"""
import json
import os
import platform
import sys
import time

import numpy as np
import scipy
from scipy import ndimage
from scipy.spatial.transform import Rotation


def rotation_matrix(angle):
    return Rotation.from_euler("y", angle, degrees=True).as_matrix()


def rotation_offset(shape, matrix):
    centre = np.array(shape) / 2
    return centre - matrix @ centre


def rotate(vol, angle, order):
    m = rotation_matrix(angle)
    return ndimage.affine_transform(vol, m, offset=rotation_offset(vol.shape, m), order=order, mode="constant", cval=0)


def roll_and_zero(vol, offset):
    out = vol.copy()
    for axis, s in enumerate(offset):
        k = int(round(s))
        if k == 0:
            continue
        out = np.roll(out, k, axis=axis)
        index = [slice(None)] * out.ndim
        index[axis] = slice(0, k) if k > 0 else slice(k, None)
        out[tuple(index)] = 0
    return out


def translate(vol, offset, mode):
    if mode == "FAST":
        return roll_and_zero(vol, offset)
    return ndimage.shift(vol, offset, order=1, mode="constant", cval=0)


def downsample3(vol):
    n = [3 * (s // 3) for s in vol.shape]
    v = vol[: n[0], : n[1], : n[2]]
    blocks = v.reshape(n[0] // 3, 3, n[1] // 3, 3, n[2] // 3, 3)
    return blocks.mean(axis=(1, 3, 5)).astype(vol.dtype)


def operation(test, mode):
    q = 0 if mode == "FAST" else 1
    if test == "Gaussian Smoothing":
        return lambda v: ndimage.gaussian_filter(v, sigma=1.0)
    if test in ("Rotation 15\u00b0", "Rotation 45\u00b0", "Rotation 90\u00b0"):
        angle = float(test.split(" ")[1].rstrip("\u00b0"))
        return lambda v: rotate(v, angle, q)
    if test == "Translation Shift":
        return lambda v: translate(v, (10.0, 5.0, -3.0), mode)
    if test == "Downsample 3x":
        return downsample3
    if test == "Full Pipeline":
        return lambda v: translate(rotate(ndimage.gaussian_filter(v, sigma=1.0), 15.0, q), (5.0, 5.0, 5.0), mode)
    raise ValueError(f"'{test}' is not a test of the suite")


def timer_resolution_ms():
    best = None
    prev = time.perf_counter()
    for _ in range(2000):
        t = time.perf_counter()
        d = t - prev
        if d > 0 and (best is None or d < best):
            best = d
        prev = t
    return (best or 0.0) * 1000


def hello():
    versions = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    core = os.environ.get("OPENBLAS_CORETYPE")
    if core:
        versions["openblas_coretype"] = core
    return {
        "runtime": "python",
        "versions": versions,
        "platform": platform.platform(),
        "hardware_concurrency": os.cpu_count() or 1,
        "cross_origin_isolated": None,
        "timer_resolution_ms": timer_resolution_ms(),
        "shared_array_buffer": None,
        "wasm_simd": None,
        "setup_ms": None,
    }


def offsets(sizes, angles):
    out = {}
    for n in sizes:
        for a in angles:
            out[f"{n}:{a:g}"] = [float(x) for x in rotation_offset((n, n, n), rotation_matrix(a))]
    return out


def run(req):
    n = int(req["n"])
    vol = np.fromfile(req["input"], dtype="<u2")
    if vol.size != n * n * n:
        raise ValueError(f"the input file has {vol.size} voxels; a {n}^3 volume needs {n * n * n}")
    vol = vol.reshape(n, n, n).astype(np.uint16, copy=False)
    op = operation(req["test"], req["mode"])
    for _ in range(int(req.get("warmup", 0))):
        op(vol)
    samples = []
    out = None
    for _ in range(int(req["iterations"])):
        t0 = time.perf_counter()
        out = op(vol)
        t1 = time.perf_counter()
        samples.append((t1 - t0) * 1000)
    np.ascontiguousarray(out, dtype="<u2").tofile(req["output"])
    return {"samples_ms": samples, "shape": list(out.shape)}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "hello":
                reply = {"environment": hello()}
            elif cmd == "offsets":
                reply = {"offsets": offsets(req["sizes"], req["angles"])}
            elif cmd == "run":
                reply = run(req)
            else:
                raise ValueError(f"unknown request {cmd!r}")
            reply["ok"] = True
        except Exception as err:  # one reply per request, whatever went wrong
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
