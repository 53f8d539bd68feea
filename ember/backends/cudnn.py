"""torch.backends.cudnn: cuDNN's flags, recorded and without effect (ember does not call cuDNN).

Example:
    >>> ember.backends.cudnn.deterministic = True
    >>> ember.backends.cudnn.deterministic
    True
"""

import contextlib

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """Whether cuDNN could be used: True only when ember has a CUDA device.

    Example:
        >>> ember.backends.cudnn.is_available()
        False
    """
    from .. import cuda

    return cuda.is_available()


def version():
    """cuDNN's version as an int, or None without CUDA (ember does not link cuDNN itself).

    Example:
        >>> ember.backends.cudnn.version() is None
        True
    """
    if not is_available():
        return None
    try:
        from cupy.cuda import cudnn as _cudnn  # optional: only CuPy builds with cuDNN have it
    except ImportError:
        return None
    return _cudnn.getVersion()


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block and restore them after it.

    Example:
        >>> with ember.backends.cudnn.flags(enabled=False):
        ...     pass
    """
    g = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    old = {n: g[n] for n in names}
    g.update(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        yield
    finally:
        g.update(old)
