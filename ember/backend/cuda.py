"""The CUDA backend: CuPy arrays. The only module in ember that imports cupy.

Like the CPU backend it offers ``xp``, ``device_of``, ``from_numpy``, ``to_numpy``,
``synchronize`` and the kernels NumPy and CuPy spell differently (``erf``, ``erfinv``). It also
holds what ``ember.cuda`` needs from CuPy: device selection, memory statistics and pinned memory.

Without CuPy, or without a GPU, ``is_available()`` is False and asking for a 'cuda' tensor
raises a RuntimeError that says how to get CUDA.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from .._device import device

try:
    import cupy as xp
    import cupyx
except Exception:  # ImportError, or a CuPy without a usable CUDA runtime
    xp = cupyx = None

name = "cuda"
_registered = None  # the array type registered with ember.backend, once registered
_available = None  # cached is_available()
_initialized = False  # this process has touched a GPU
_bad_fork = False  # forked from a process that had: CUDA must not be used here
_peak: dict = {}  # device id -> peak bytes allocated since the last reset
_devices: dict = {}  # device id -> ember.device, so device_of does not build one per call


def _use(cupy_like, cupyx_like):
    """Serve 'cuda' from another CuPy-like module pair; returns the previous pair.

    Only the test stand-in (tests/fake_cupy.py) uses this, to run the CUDA code paths on CPU.
    """
    global xp, cupyx, _registered, _available, _initialized
    from . import _by_array, _by_type

    prev = (xp, cupyx)
    if _registered is not None:
        _by_type.pop("cuda", None)
        _by_array.pop(_registered, None)
    xp, cupyx = cupy_like, cupyx_like
    _registered, _available, _initialized = None, None, False
    _peak.clear()
    return prev


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    global _available
    if xp is None:
        return False
    if _available is None:
        try:
            _available = xp.cuda.runtime.getDeviceCount() > 0
        except Exception:  # no driver, no device, or a CUDA error
            _available = False
    return _available


def device_count() -> int:
    return xp.cuda.runtime.getDeviceCount() if is_available() else 0


def lazy_init() -> None:
    """Check that CUDA can be used in this process; mark it as used."""
    global _initialized
    if _bad_fork:
        raise RuntimeError(
            "Cannot re-initialize CUDA in forked subprocess. To use CUDA with multiprocessing, "
            "you must use the 'spawn' start method"
        )
    if not is_available():
        raise RuntimeError(
            "CUDA is not available: install CuPy (pip install 'ember[cuda]' for CUDA 12, "
            "pip install cupy-cuda13x for CUDA 13) on a machine with an NVIDIA GPU and a "
            "working driver, or use device='cpu'"
        )
    _initialized = True


def _after_fork_in_child() -> None:
    global _bad_fork
    if _initialized:
        _bad_fork = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def ensure_registered() -> None:
    """Register this backend for device 'cuda', or raise a clear error when there is no GPU."""
    global _registered
    lazy_init()
    if _registered is not None:
        return
    from . import register

    register("cuda", __import__(__name__, fromlist=["x"]), xp.ndarray)
    _registered = xp.ndarray
    _track_peak()


def _track_peak() -> None:
    # CuPy's pool knows the bytes in use but not their peak; an allocator that looks after each
    # allocation sees every new maximum (usage only peaks right after an allocation).
    pool = xp.get_default_memory_pool()
    malloc = pool.malloc

    def tracking_malloc(size):
        mem = malloc(size)
        used = pool.used_bytes()
        if used > _peak.get(mem.device_id, 0):
            _peak[mem.device_id] = used
        return mem

    xp.cuda.set_allocator(tracking_malloc)


# -- arrays ------------------------------------------------------------------------------------


def device_of(array) -> device:
    i = array.device.id
    d = _devices.get(i)
    if d is None:
        d = _devices[i] = device("cuda", i)
    return d


def device_context(dev):
    """A context manager making ``dev`` (an ember device, int or None) the current GPU."""
    idx = dev.index if isinstance(dev, device) else dev
    if idx is None:
        return contextlib.nullcontext()
    return xp.cuda.Device(idx)


def from_numpy(array, dev: device):
    """Copy host ``array`` to GPU ``dev``."""
    if _bad_fork or not _initialized:
        lazy_init()
    with device_context(dev):
        return xp.asarray(array)


def to_numpy(array) -> np.ndarray:
    return xp.asnumpy(array)


def synchronize(dev=None) -> None:
    """Wait for all work queued on GPU ``dev`` (the current one by default)."""
    with device_context(dev):
        xp.cuda.Device().synchronize()


def current_device() -> int:
    return xp.cuda.runtime.getDevice()


def set_device(idx: int) -> None:
    xp.cuda.Device(idx).use()


# -- memory ------------------------------------------------------------------------------------


def memory_allocated(idx: int) -> int:
    with xp.cuda.Device(idx):
        return xp.get_default_memory_pool().used_bytes()


def memory_reserved(idx: int) -> int:
    with xp.cuda.Device(idx):
        return xp.get_default_memory_pool().total_bytes()


def max_memory_allocated(idx: int) -> int:
    return max(_peak.get(idx, 0), memory_allocated(idx))


def reset_peak_memory_stats(idx: int) -> None:
    _peak[idx] = memory_allocated(idx)


def empty_cache() -> None:
    """Give cached blocks of every GPU back to the driver."""
    pool = xp.get_default_memory_pool()
    for i in range(device_count()):
        with xp.cuda.Device(i):
            pool.free_all_blocks()


def mem_get_info(idx: int) -> tuple:
    with xp.cuda.Device(idx):
        return tuple(xp.cuda.runtime.memGetInfo())


def pin(array: np.ndarray) -> np.ndarray:
    """A copy of host ``array`` in page-locked memory (fast, asynchronous host-to-GPU copies)."""
    if _bad_fork:
        lazy_init()  # raises: pinning calls into CUDA
    out = cupyx.empty_pinned(array.shape, array.dtype)
    out[...] = array
    return out


def is_pinned(array) -> bool:
    """Whether host ``array`` lives in page-locked memory allocated by CuPy."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, xp.cuda.PinnedMemoryPointer)


def properties(idx: int) -> dict:
    """The raw CUDA device properties of GPU ``idx``."""
    return xp.cuda.runtime.getDeviceProperties(idx)


# -- kernels NumPy and CuPy spell differently (same names as in backend/cpu.py) ----------------


def _special():
    # A submodule that is slow to import: imported on first use.
    special = getattr(getattr(cupyx, "scipy", None), "special", None)
    if special is None:
        from cupyx.scipy import special
    return special


def erf(a):
    return _special().erf(a)


def erfinv(a):
    return _special().erfinv(a)


def nccl():
    """CuPy's NCCL bindings when CuPy was built with NCCL and a GPU is present, else None."""
    if not is_available() or not getattr(xp.cuda, "nccl_enabled", False):
        return None
    mod = getattr(xp.cuda, "nccl", None)
    if mod is None:
        try:
            from cupy.cuda import nccl as mod
        except Exception:  # CuPy without its NCCL library
            return None
    return mod
