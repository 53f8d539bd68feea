"""Helpers shared by the op modules: dim handling, promotion, scalar wrapping."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.grad_mode import state
from ..backend import xp_of

__all__ = [
    "Tensor",
    "_make",
    "wrap_dim",
    "dims_of",
    "state",
    "xp_of",
    "promote",
    "is_scalar",
    "as_tensor_like",
    "scalar_like",
    "in_float64",
    "conj_all",
    "np",
    "D",
]

wrap_dim = _wrap_dim


def in_float64(fn):
    """An array kernel run in float64 that hands back its input's dtype (special functions)."""

    def run(a):
        return fn(a.astype(np.float64, copy=False)).astype(a.dtype, copy=False)

    return run


# NOTE [ complex gradients ]
# ember follows PyTorch's convention: the gradient of a real loss L with respect to a complex
# z = x + iy is dL/dx + i dL/dy, the conjugate Wirtinger derivative (times 2). For a holomorphic
# op y = f(z) the chain rule then reads grad_z = grad_y * conj(f'(z)): mul gives g * conj(b),
# matmul g @ b.mH, exp g * conj(exp(z)). Each backward is written once, for real numbers; when
# its incoming gradient is complex it conjugates the saved operands first (``conj_all``). For
# formulas made of +, -, *, / and functions with real Taylor coefficients (exp, sin, ...),
# f'(conj z) == conj(f'(z)), so this yields exactly the conjugated derivative. The check is one
# dtype test on the gradient: real tensors take the unchanged path. A real input that met a
# complex one gets the real part of its gradient (engine ``_fit``, ``ToCopy.backward``).


def conj_all(*xs) -> tuple:
    """``xs`` conjugated (Tensors and python numbers; None passes through).

    See NOTE [ complex gradients ].
    """
    return tuple(
        x.conj() if isinstance(x, Tensor) else x if x is None else x.conjugate() for x in xs
    )


def dims_of(dim, ndim: int) -> tuple:
    """Normalise ``dim`` (None, int, or sequence) to a sorted tuple of non-negative dims.

    A 0-d tensor accepts dim 0 or -1 (as PyTorch does) and has no dims to reduce.
    """
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        d = _wrap_dim(int(dim), ndim)
        return (d,) if ndim else ()
    out = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
    for a, b in zip(out, out[1:]):
        if a == b:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return out if ndim else ()


def is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def as_tensor_like(x, like: Tensor, dtype=None) -> Tensor:
    """``x`` (scalar, list or array) as a Tensor on ``like``'s device."""
    if isinstance(x, Tensor):
        return x
    xp = xp_of(like._data)
    if dtype is None:
        dtype = D.result_type(x) if is_scalar(x) else None
    arr = xp.asarray(x, dtype=dtype.np if dtype is not None else None)
    return _make(arr)


def scalar_like(x, like: Tensor) -> Tensor:
    """A python scalar as a 0-d tensor, with the dtype PyTorch gives it next to ``like``."""
    if isinstance(x, Tensor):
        return x
    if not is_scalar(x):
        raise TypeError(f"unsupported operand type(s): '{type(x).__name__}' and 'Tensor'")
    dt = D.result_type(like, x)
    return _make(xp_of(like._data).asarray(x, dtype=dt.np))


def promote(*xs, float_op: bool = False):
    """Cast tensor operands to their PyTorch result dtype; python scalars pass through.

    Returns the converted operands and the result dtype. ``float_op`` makes integer results
    floating (true division, exp...).
    """
    dt = D.result_type(*xs)
    if float_op:
        dt = D.float_result(dt)
    out = []
    for x in xs:
        if isinstance(x, Tensor):
            if x._data.dtype != dt.np:
                x = x.to(dt)
        elif not is_scalar(x):
            raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")
        else:
            if isinstance(x, np.generic):
                x = x.item()
            if dt is D.bfloat16 or dt._cat == D._INT and type(x) is int and not _fits(x, dt):
                # NumPy would widen bfloat16 and refuse out-of-range ints; PyTorch keeps the
                # tensor's dtype (ints wrap around)
                x = np.array(x).astype(dt.np)[()]
        out.append(x)
    return out, dt


def _fits(v: int, dt) -> bool:
    info = np.iinfo(dt.np)
    return info.min <= v <= info.max
