"""Helpers shared by the data-set tests: small IDX files and binomial error bars."""

import gzip
import math
import struct

import numpy as np


def write_idx(path, array, code=0x08, compress=False):
    """`array` as an IDX file (unsigned bytes or big-endian float32), raw or gzipped; returns `path`."""
    array = np.asarray(array)
    dtype = {0x08: ">u1", 0x0D: ">f4"}[code]
    payload = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += array.astype(dtype).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)
    return path


def four_sigma(p, n):
    """Four standard errors of a proportion p estimated from n draws."""
    return 4 * math.sqrt(p * (1 - p) / n)
