"""The CPU backend: NumPy arrays, plus CPU kernels that NumPy lacks."""

from __future__ import annotations

import os

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


# -- intra-op parallelism --------------------------------------------------------------------
# NOTE [chunk parallelism]
# The convolution kernels work on chunks of a few images (im2col copy, GEMM, col2im adds). Run
# chunks on a small thread pool with BLAS single-threaded inside each, rather than one chunk at
# a time with BLAS's own threads: the copies and adds then use every core too, small GEMMs skip
# BLAS's per-call thread synchronisation, and a busy machine (another process on a core) slows
# the work down gracefully instead of stalling BLAS's spinning threads. NumPy releases the GIL
# inside GEMMs and copies. The pool size follows BLAS's thread count (ember.set_num_threads,
# OPENBLAS_NUM_THREADS); without threadpoolctl the chunks simply run one after another.

_pool = None
_pool_n = 0
_pool_lock = None
_blas = None  # threadpoolctl controllers of the BLAS libraries, or () when unavailable


def _blas_controllers():
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas = tuple(ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # not installed, or a BLAS it cannot drive
            _blas = ()
    return _blas


def _reset_after_fork():  # the pool's threads do not survive a fork
    global _pool, _pool_n, _pool_lock
    _pool, _pool_n, _pool_lock = None, 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def parallel_chunks(fn, starts) -> list:
    """``[fn(s) for s in starts]``, spread over the BLAS threads (see NOTE [chunk parallelism]).

    ``fn`` must only write memory that no other call writes.
    """
    global _pool, _pool_n, _pool_lock
    starts = list(starts)
    ctls = _blas_controllers() if len(starts) > 1 else ()
    n = min((c.num_threads for c in ctls), default=1)
    if n <= 1:
        return [fn(s) for s in starts]
    if _pool_n != n:
        import threading
        from concurrent.futures import ThreadPoolExecutor

        _pool, _pool_n = ThreadPoolExecutor(n, thread_name_prefix="ember"), n
        _pool_lock = _pool_lock or threading.Lock()
    with _pool_lock:  # one parallel region at a time: the BLAS thread setting is global
        saved = [c.num_threads for c in ctls]
        for c in ctls:
            c.set_num_threads(1)
        try:
            return list(_pool.map(fn, starts))
        finally:
            for c, k in zip(ctls, saved):
                c.set_num_threads(k)
