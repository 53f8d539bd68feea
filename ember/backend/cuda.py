"""The CUDA backend: CuPy arrays. The only module in ember that imports cupy."""

from __future__ import annotations

import contextlib

from .._device import device

try:
    import cupy as xp
except Exception:  # ImportError, or a CuPy without a usable CUDA runtime
    xp = None

name = "cuda"
_registered = False


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    if xp is None:
        return False
    try:
        return xp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def ensure_registered() -> None:
    """Register this backend for device 'cuda', or raise a clear error when there is no GPU."""
    global _registered
    if _registered:
        return
    if not is_available():
        raise RuntimeError(
            "CUDA is not available: install CuPy (pip install 'ember[cuda]') on a machine with "
            "an NVIDIA GPU, or use device='cpu'"
        )
    from . import register

    register("cuda", __import__(__name__, fromlist=["x"]), xp.ndarray)
    _registered = True


def device_of(array) -> device:
    return device("cuda", array.device.id)


def device_context(dev: device):
    if dev.index is None:
        return contextlib.nullcontext()
    return xp.cuda.Device(dev.index)


def from_numpy(array, dev: device):
    with device_context(dev):
        return xp.asarray(array)


def to_numpy(array):
    return xp.asnumpy(array)


def synchronize() -> None:
    xp.cuda.get_current_stream().synchronize()


def erf(a):
    import cupyx.scipy.special as special

    return special.erf(a)


def erfinv(a):
    import cupyx.scipy.special as special

    return special.erfinv(a)
