"""The only place that knows which array library serves which device.

Each backend module offers ``xp`` (the NumPy-like array module), ``device_of(array)``,
``from_numpy(array, device)``, ``to_numpy(array)``, ``is_available()`` and its kernels. Op code
asks ``xp_of(array)`` and never branches on NumPy versus CuPy.
"""

from __future__ import annotations

import numpy as np

from .._device import device
from . import cpu

_by_type = {"cpu": cpu}
# array class -> backend module; the CUDA backend (or a test stand-in) registers its class.
_by_array = {np.ndarray: cpu}


def register(device_type: str, module, array_type) -> None:
    """Make ``module`` serve ``device_type`` and arrays of ``array_type``."""
    _by_type[device_type] = module
    _by_array[array_type] = module


def get(dev: device):
    """The backend module that serves device ``dev``."""
    t = dev.type
    if t not in _by_type and t == "cuda":
        from . import cuda

        cuda.ensure_registered()
    try:
        return _by_type[t]
    except KeyError:
        raise RuntimeError(f"no backend for device type '{t}'") from None


def of(array):
    """The backend module that owns ``array``."""
    try:
        return _by_array[type(array)]
    except KeyError:
        for cls, mod in _by_array.items():
            if isinstance(array, cls):
                return mod
        raise TypeError(f"not a backend array: {type(array).__name__}") from None


def xp_of(array):
    """The array module (numpy or cupy) for ``array``."""
    return of(array).xp


def device_of(array) -> device:
    return of(array).device_of(array)


def transfer(array, dst: device):
    """Copy ``array`` to device ``dst`` (returns it unchanged when it already lives there)."""
    src = of(array)
    if src.device_of(array) == dst:
        return array
    host = src.to_numpy(array)
    return get(dst).from_numpy(host, dst)
