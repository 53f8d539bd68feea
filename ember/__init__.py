"""ember: a small deep-learning framework with PyTorch's API, on NumPy (CPU) and CuPy (CUDA).

Example:
    >>> import ember as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

from . import _dtype, _malloc

_malloc.tune()  # NOTE [ malloc tuning ] in _malloc.py
from ._device import device
from ._dtype import (
    bfloat16,
    can_cast,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from ._dtype import bool_ as bool  # noqa: A001  (ember.bool, as torch.bool)
from ._format import set_printoptions
from ._tensor import Size, Tensor
from .autograd import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd import set_detect_anomaly as set_anomaly_enabled
from .ops import *  # noqa: F401,F403
from .ops import range_ as range  # noqa: A001
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128
__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor.

    Example:
        >>> ember.is_tensor(ember.zeros(1))
        True
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """Number of elements of ``input``."""
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input`` has a floating dtype."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype."""
    return input.is_complex()


def set_num_threads(n: int) -> None:
    """Set the BLAS thread count (through threadpoolctl when it is installed)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n)


def get_num_threads() -> int:
    """The number of CPU threads BLAS may use."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


_LAZY = {
    "nn": ".nn",
    "optim": ".optim",
    "cuda": ".cuda",
    "utils": ".utils",
    "onnx": ".onnx",
    "vision": ".vision",
    "distributed": ".distributed",
    "profiler": ".profiler",
    "accelerator": ".accelerator",
    "backends": ".backends",
    "testing": ".testing",
    "linalg": ".linalg",
    "serialization": ".serialization",
    "amp": ".amp",
    "jit": ".jit",
    "special": ".special",
    "fft": ".fft",
    "distributions": ".distributions",
}
_LAZY_ATTRS = {
    "relu": ".nn.functional",
    "softmax": ".nn.functional",
    "log_softmax": ".nn.functional",
    "save": ".serialization",
    "load": ".serialization",
    "autograd": ".autograd",
    "return_types": ".ops",
}


def __getattr__(name):
    # Submodules load on first use so that ``import ember`` stays fast.
    import importlib

    if name in _LAZY:
        return importlib.import_module(_LAZY[name], __name__)
    if name in _LAZY_ATTRS:
        mod = importlib.import_module(_LAZY_ATTRS[name], __name__)
        return getattr(mod, name, mod)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
