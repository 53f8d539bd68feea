"""torch.autocast: run matrix products in a lower precision and losses in float32.

NOTE [ autocast entry checks ]
The ops that autocast changes start with ``if _autocast.active: ... = _autocast.cast(op, ...)``.
``active`` counts the enabled autocast regions open in any thread, so outside autocast the check
is one module attribute read; ``cast`` then reads this thread's state and the op's policy for the
device of the first tensor argument. As in PyTorch, only floating tensors on that device are cast
and float64 is left alone; gradients flow back through the casts in the parameters' own dtype.

The op lists follow PyTorch's (torch/csrc/autograd/autocast_mode.cpp, docs/amp.rst) for the ops
that have an entry check: linear, matmul/mm/bmm/addmm/baddbmm/addbmm and conv*/conv_transpose*
run in the autocast dtype on both devices; on the CPU the losses run in float32; on CUDA
softmax/log_softmax/layer_norm/group_norm and the losses do. Not covered yet: sum, prod,
cumsum, norms, exp/log/pow and the other pointwise float32 ops, prelu, RNN cells,
scaled_dot_product_attention, and the weight-cast cache (``cache_enabled`` is accepted and
ignored). ember's mv/dot/inner/einsum/tensordot are built on matmul and so follow it.
"""

from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as D

_LOWER = frozenset({"linear", "matmul", "addmm", "baddbmm", "addbmm", "conv", "conv_transpose"})
_LOSSES = frozenset(
    {
        "nll_loss",
        "cross_entropy",
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "huber_loss",
        "kl_div",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
    }
)
_FP32 = {
    "cpu": _LOSSES,
    "cuda": (_LOSSES - {"binary_cross_entropy"})
    | {"softmax", "log_softmax", "layer_norm", "group_norm", "normalize"},
}
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}

active = 0  # enabled autocast regions open in any thread: NOTE [ autocast entry checks ]
_lock = threading.Lock()


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": D.bfloat16, "cuda": D.float16}


_state = _State()


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in _DEFAULT_DTYPE:
        raise RuntimeError(
            f"autocast is not available for device_type '{device_type}' in ember "
            "(supported: 'cpu', 'cuda')"
        )
    return device_type


def _need_bfloat16(dtype):
    if dtype is None:
        raise RuntimeError(
            "autocast to bfloat16 needs ml_dtypes, which ember uses for bfloat16: "
            "pip install ml_dtypes (or pass dtype=ember.float16)"
        )
    return dtype


def is_autocast_available(device_type: str) -> bool:
    """Whether ``autocast`` supports ``device_type`` ('cpu' and 'cuda' in ember).

    Example:
        >>> ember.amp.is_autocast_available("cpu")
        True
    """
    return device_type in _DEFAULT_DTYPE


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` in this thread (CUDA when not given).

    Example:
        >>> with ember.autocast("cpu"):
        ...     ember.is_autocast_enabled("cpu")
        True
    """
    return _state.enabled[_check_device_type(device_type or "cuda")]


def get_autocast_dtype(device_type: str):
    """The dtype autocast casts matrix products to on ``device_type``.

    Example:
        >>> ember.get_autocast_dtype("cuda")
        ember.float16
    """
    return _need_bfloat16(_state.dtype[_check_device_type(device_type)])


class autocast:
    """Context manager and decorator that runs ops in mixed precision (``torch.autocast``).

    Inside the region, linear/matmul/conv take their floating inputs in ``dtype`` (float16 on
    'cuda', bfloat16 on 'cpu' by default) and the float32-preferring ops (losses; on CUDA also
    softmax, log_softmax and normalisations) upcast to float32. Only tensors on
    ``device_type`` are affected. NOTE [ autocast entry checks ] in this file lists the ops.

    Args:
        device_type: 'cpu' or 'cuda'.
        dtype: the lower precision, float16 or bfloat16.
        enabled: False turns autocast off inside the region (regions nest).
        cache_enabled: accepted for compatibility; ember keeps no weight-cast cache.

    Example:
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     (ember.ones(2, 2) @ ember.ones(2, 2)).dtype
        ember.float16
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        self.device = _check_device_type(device_type)
        self.fast_dtype = _state.dtype[device_type] if dtype is None else D.as_dtype(dtype)
        self._cache_enabled = cache_enabled
        self._enabled = bool(enabled)
        if self._enabled:
            _need_bfloat16(self.fast_dtype)  # None: bfloat16 asked for, ml_dtypes missing
        if self._enabled and self.fast_dtype not in (D.float16, D.bfloat16):
            which = "CPU" if device_type == "cpu" else "CUDA"
            warnings.warn(
                f"In {which} autocast, but the target dtype {self.fast_dtype} is not supported. "
                "Disabling autocast. Autocast only supports ember.bfloat16 and ember.float16.",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled and device_type == "cuda":
            from .. import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available. Disabling autocast.", stacklevel=2)
                self._enabled = False

    def __enter__(self):
        global active
        self._prev = (_state.enabled[self.device], _state.dtype[self.device])
        _state.enabled[self.device] = self._enabled
        if self._enabled:
            _state.dtype[self.device] = self.fast_dtype
            with _lock:
                active += 1
        return self

    def __exit__(self, *exc):
        global active
        _state.enabled[self.device], _state.dtype[self.device] = self._prev
        if self._enabled:
            with _lock:
                active -= 1
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            # A fresh region per call, so that recursive and concurrent calls nest correctly.
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return wrapper


def cast(op: str, *args):
    """``args`` cast for ``op`` under this thread's autocast state (tensors; None passes)."""
    dev = next((a.device.type for a in args if a is not None), None)
    if dev not in _DEFAULT_DTYPE or not _state.enabled[dev]:
        return args
    if op in _LOWER:
        target = _state.dtype[dev]
    elif op in _FP32[dev]:
        target = D.float32
    else:
        return args
    return tuple(
        a.to(target)
        if a is not None
        and a.device.type == dev
        and a.dtype.is_floating_point
        and a.dtype is not D.float64
        else a
        for a in args
    )
