"""The CPU backend: NumPy arrays, plus CPU kernels that NumPy lacks."""

from __future__ import annotations

import numpy as np

from .._device import CPU

xp = np
name = "cpu"


def is_available() -> bool:
    return True


def device_of(array):
    return CPU


def from_numpy(array, dev=None):
    return array


def to_numpy(array):
    return array


def synchronize() -> None:
    pass


def _special(name):
    """scipy.special's ufunc when SciPy is installed (it is optional), else None."""
    try:
        from scipy import special
    except ImportError:
        return None
    return getattr(special, name)


def erf(a):
    f = _special("erf")
    if f is not None:
        return f(a).astype(a.dtype, copy=False)
    import math

    return np.frompyfunc(math.erf, 1, 1)(a).astype(a.dtype)


def erfinv(a):
    f = _special("erfinv")
    if f is not None:
        return f(a).astype(a.dtype, copy=False)
    # Newton's method on erf from a rough start; converges in a few steps to float64 precision.
    x = np.asarray(a, dtype=np.float64)
    y = np.sign(x) * np.sqrt(-np.log(np.maximum((1 - x) * (1 + x), 1e-300)))
    for _ in range(60):
        y = y - (erf(y) - x) / (2 / np.sqrt(np.pi) * np.exp(-y * y))
    y = np.where(np.abs(x) == 1, np.sign(x) * np.inf, y)
    return y.astype(a.dtype)
