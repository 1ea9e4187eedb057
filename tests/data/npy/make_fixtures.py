#!/usr/bin/env python3
"""Writes the .npy fixtures of tests/tst_npyfile.cpp with NumPy itself (np.save and
np.lib.format.write_array), so the reader is tested against real NumPy output.

Run from anywhere:  python3 tests/data/npy/make_fixtures.py   (NumPy 1.24, Debian 12)

Good files hold value(r, c) = (r * cols + c) * 0.5 - 2, exact in float16, float32 and float64.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def matrix(rows, cols, dtype):
    return (np.arange(rows * cols, dtype=np.float64).reshape(rows, cols) * 0.5 - 2).astype(dtype)


def save(name, array):
    np.save(os.path.join(HERE, name), array, allow_pickle=False)


def save_version(name, array, version):
    with open(os.path.join(HERE, name), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


# Readable: float32 as is, float64 and float16 converted; header versions 1.0, 2.0, 3.0.
save("f4_3x4.npy", matrix(3, 4, "<f4"))
save("f8_3x4.npy", matrix(3, 4, "<f8"))
save("f2_3x4.npy", matrix(3, 4, "<f2"))
save_version("v2_f4_3x4.npy", matrix(3, 4, "<f4"), (2, 0))
save_version("v3_f4_3x4.npy", matrix(3, 4, "<f4"), (3, 0))
save("empty_0x8.npy", np.zeros((0, 8), dtype="<f4"))
# float64 values that float32 must round: 0.1, 1/3, a float32 subnormal, a float32 overflow.
save("f8_rounding_1x4.npy", np.array([[0.1, 1.0 / 3.0, 1e-40, 1e300]], dtype="<f8"))

# Refused, each for one reason.
save("fortran_2x3.npy", np.asfortranarray(matrix(2, 3, "<f4")))
save("1d_5.npy", np.arange(5, dtype="<f4"))
save("3d_2x2x2.npy", np.zeros((2, 2, 2), dtype="<f4"))
save("scalar.npy", np.float32(1.5))
save("i4_2x3.npy", np.arange(6, dtype="<i4").reshape(2, 3))
save("bigendian_f4_2x3.npy", matrix(2, 3, ">f4"))
save("structured_2.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<f4")]))
