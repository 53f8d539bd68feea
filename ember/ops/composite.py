"""Ops written as compositions of other ember ops: their gradients (of every order) come from
the ops they are made of, so none of them needs a backward of its own.

PyTorch functions that scripts reach for now and then: differences, log-add-exp, Kronecker
products, rotations, diagonal embedding, quantiles and a few predicates.
"""

from __future__ import annotations

import builtins
import math

from ._util import D, Tensor, _make, np, wrap_dim, xp_of
from .elementwise import (
    _bitwise,
    _need_input,
    abs,
    check_broadcast,
    exp,
    log,
    log1p,
    maximum,
    sqrt,
    where,
)
from .reduce import cummax, cumsum, norm, sort
from .shape import cat, flip, movedim, narrow, reshape, split, tensor_split, transpose

__all__ = [
    "addr",
    "copysign",
    "cummin",
    "diag_embed",
    "diagflat",
    "diagonal_scatter",
    "diff",
    "dist",
    "dsplit",
    "gcd",
    "get_device",
    "heaviside",
    "hsplit",
    "hypot",
    "index_reduce",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "kron",
    "lcm",
    "ldexp",
    "logaddexp",
    "logaddexp2",
    "logcumsumexp",
    "positive",
    "put",
    "quantile",
    "ravel",
    "rot90",
    "select_scatter",
    "signbit",
    "slice_scatter",
    "split_with_sizes",
    "vsplit",
]


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``).

    Example:
        >>> ember.diff(ember.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
    """
    _need_input("diff", input)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        if x.shape[d] == 0:
            break
        a, b = narrow(x, d, 1, x.shape[d] - 1), narrow(x, d, 0, x.shape[d] - 1)
        x = a.logical_xor(b) if x.dtype == D.bool_ else a - b
    return x


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(a) + exp(b))`` without overflow.

    Example:
        >>> ember.logaddexp(ember.tensor([0.0]), ember.tensor([0.0]))
        tensor([0.6931])
    """
    check_broadcast(input, other)
    m = maximum(input, other)
    spread = m + log1p(exp(-abs(input - other)))
    # Equal arguments (both infinite included): the mean keeps each gradient at one half.
    return where(input == other, (input + other) / 2 + math.log(2.0), spread)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**a + 2**b)`` without overflow.

    Example:
        >>> ember.logaddexp2(ember.tensor([1.0]), ember.tensor([1.0]))
        tensor([2.])
    """
    ln2 = math.log(2.0)
    return logaddexp(input * ln2, other * ln2) / ln2


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(a**2 + b**2)`` elementwise.

    Example:
        >>> ember.hypot(ember.tensor([3.0]), ember.tensor([4.0]))
        tensor([5.])
    """
    return sqrt(input * input + other * other)


def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` as (values, indices).

    Example:
        >>> ember.cummin(ember.tensor([3.0, 1.0, 2.0]), 0).values
        tensor([3., 1., 1.])
    """
    if input.dtype == D.bool_ or input.dtype.np.kind == "u":
        raise TypeError(f"cummin(): dtype {input.dtype} is not supported")
    r = cummax(-input, dim)
    return type(r)(-r.values, r.indices)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: every element of ``input`` times the whole of ``other``.

    Example:
        >>> ember.kron(ember.eye(2), ember.ones(2, 2)).shape
        ember.Size([4, 4])
    """
    nd = builtins.max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (nd - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other.ndim) + tuple(other.shape))
    # a -> (a0, 1, a1, 1, ...), b -> (1, b0, 1, b1, ...), then merge each pair of axes.
    sa = [s for k in a.shape for s in (k, 1)]
    sb = [s for k in b.shape for s in (1, k)]
    out = reshape(a, sa) * reshape(b, sb)
    return reshape(out, tuple(i * j for i, j in zip(a.shape, b.shape)))


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second).

    Example:
        >>> ember.rot90(ember.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return flip(transpose(input, d0, d1), [d1])
    return input.clone()


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal (over ``dim1``, ``dim2``) holds the last dimension.

    Example:
        >>> ember.diag_embed(ember.tensor([1.0, 2.0])).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
    """
    nd = input.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input if input.ndim else reshape(input, (1,))
    n = x.shape[-1]
    out = x.unsqueeze(-1) * _make(xp_of(x._data).eye(n, dtype=x._data.dtype))
    if offset:
        # Shift the n x n diagonal block to the offset diagonal of an m x m matrix.
        k, batch = builtins.abs(offset), tuple(out.shape[:-2])
        side, below = out.new_zeros(batch + (n, k)), out.new_zeros(batch + (k, n + k))
        if offset > 0:  # zero columns on the left, zero rows at the bottom
            out = cat([cat([side, out], -1), below], -2)
        else:  # zero rows on top, zero columns on the right
            out = cat([below, cat([out, side], -1)], -2)
    return movedim(out, (nd - 2, nd - 1), (d1, d2))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened ``input`` on its ``offset`` diagonal.

    Example:
        >>> ember.diagflat(ember.tensor([[1, 2]])).shape
        ember.Size([2, 2])
    """
    return diag_embed(reshape(input, (-1,)), offset)


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when the layout allows).

    Example:
        >>> ember.ravel(ember.zeros(2, 3)).shape
        ember.Size([6])
    """
    return reshape(input, (-1,))


def positive(input: Tensor) -> Tensor:
    """``input`` itself (``+x``); bool tensors are refused, as in PyTorch.

    Example:
        >>> x = ember.ones(2)
        >>> ember.positive(x) is x
        True
    """
    if input.dtype == D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _split_dim(name: str, input: Tensor, sections, dim: int) -> list:
    if isinstance(sections, int):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return list(tensor_split(input, sections, dim))


def hsplit(input: Tensor, sections) -> list:
    """Split along dimension 1 (0 for 1-D tensors) into equal parts or at indices.

    Example:
        >>> [t.shape for t in ember.hsplit(ember.zeros(2, 4), 2)]
        [ember.Size([2, 2]), ember.Size([2, 2])]
    """
    if input.ndim < 1:
        raise RuntimeError(
            "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!"
        )
    return _split_dim("hsplit", input, sections, 0 if input.ndim == 1 else 1)


def vsplit(input: Tensor, sections) -> list:
    """Split along dimension 0 into equal parts or at indices.

    Example:
        >>> len(ember.vsplit(ember.zeros(4, 2), [1]))
        2
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
            f"{input.ndim} dimensions!"
        )
    return _split_dim("vsplit", input, sections, 0)


def dsplit(input: Tensor, sections) -> list:
    """Split along dimension 2 into equal parts or at indices.

    Example:
        >>> len(ember.dsplit(ember.zeros(1, 2, 4), 2))
        2
    """
    if input.ndim < 3:
        raise RuntimeError(
            f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
            f"{input.ndim} dimensions!"
        )
    return _split_dim("dsplit", input, sections, 2)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> list:
    """Split along ``dim`` into pieces of the given sizes (they must add up to its length).

    Example:
        >>> [t.shape[0] for t in ember.split_with_sizes(ember.zeros(5), [2, 3])]
        [2, 3]
    """
    size = input.shape[wrap_dim(dim, input.ndim)]
    if sum(split_sizes) != size:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
            f"at dimension {dim}), but got split_sizes={list(split_sizes)}"
        )
    return list(split(input, list(split_sizes), dim))


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, shifted by the maximum so it does not overflow.

    Example:
        >>> ember.logcumsumexp(ember.tensor([0.0, 0.0]), 0)
        tensor([0.0000, 0.6931])
    """
    d = wrap_dim(dim, input.ndim) if input.ndim else 0
    if input.ndim == 0:
        return input.clone()
    m = input.detach().amax(d, keepdim=True)
    # Any constant shift gives the same value and gradient; non-finite maxima shift by 0.
    m = where(m.isfinite(), m, m.new_zeros(()))
    return log(cumsum(exp(input - m), d)) + m


def copysign(input: Tensor, other) -> Tensor:
    """``|input|`` with the sign of ``other`` (-0.0 counts as negative).

    Example:
        >>> ember.copysign(ember.tensor([1.0, 2.0]), ember.tensor([-0.0, 3.0]))
        tensor([-1.,  2.])
    """
    if not isinstance(other, Tensor):
        other = input.new_tensor(other, dtype=D.float32 if isinstance(other, float) else None)
    sign = where(signbit(other), -1.0, 1.0)
    out = abs(input) * sign
    return out if out.is_floating_point() else out.to(D.get_default_dtype())


def signbit(input: Tensor) -> Tensor:
    """Whether the sign bit is set (true for -0.0 as well as negatives).

    Example:
        >>> ember.signbit(ember.tensor([-0.0, 1.0]))
        tensor([ True, False])
    """
    _need_input("signbit", input)
    return _make(xp_of(input._data).signbit(input._data))


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """Step function: 0 below zero, 1 above, ``values`` at zero.

    Example:
        >>> ember.heaviside(ember.tensor([-1.0, 0.0, 2.0]), ember.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    _need_input("heaviside", values, 2, "values")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    check_broadcast(input, values)
    xp = xp_of(input._data)
    return _make(xp.heaviside(input._data, values._data).astype(input._data.dtype))


gcd = _bitwise(np.gcd, "gcd", bools=False)
gcd.__doc__ = """Greatest common divisor, elementwise (integer tensors).

    Example:
        >>> ember.gcd(ember.tensor([12, 9]), ember.tensor([8, 6]))
        tensor([4, 3])
    """
lcm = _bitwise(np.lcm, "lcm", bools=False)
lcm.__doc__ = """Least common multiple, elementwise (integer tensors).

    Example:
        >>> ember.lcm(ember.tensor([4, 6]), ember.tensor([6, 4]))
        tensor([12, 12])
    """


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2**other``.

    Example:
        >>> ember.ldexp(ember.tensor([1.0]), ember.tensor([3]))
        tensor([8.])
    """
    scale = (other * 1.0).exp2() if not other.is_floating_point() else other.exp2()
    out = input * scale
    return out if out.is_floating_point() else out.to(D.get_default_dtype())


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other``.

    Example:
        >>> ember.dist(ember.tensor([0.0, 0.0]), ember.tensor([3.0, 4.0]))
        tensor(5.)
    """
    return norm(input - other, p)


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation="linear"):
    """The ``q``-th quantiles along ``dim`` (all elements when None), interpolated between the
    two nearest sorted values as ``interpolation`` says.

    Example:
        >>> ember.quantile(ember.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    if not input.is_floating_point():
        raise RuntimeError(
            f"quantile() input tensor must be either float or double dtype, got {input.dtype}"
        )
    scalar_q = not isinstance(q, Tensor)
    qa = np.asarray(q.tolist() if isinstance(q, Tensor) else q, dtype=np.float64)
    if qa.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if ((qa < 0) | (qa > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    x = reshape(input, (-1,)) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, input.ndim)
    n = x.shape[d]
    if n == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    srt = sort(x, d).values
    pos = qa.reshape(-1) * (n - 1)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # halves to even, like PyTorch
    frac = (
        pos - lo
        if interpolation == "linear"
        else np.full(pos.shape, 0.5 if interpolation == "midpoint" else 0.0)
    )
    a, b = srt.index_select(d, _idx(lo, x)), srt.index_select(d, _idx(hi, x))
    w = _make(
        xp_of(x._data)
        .asarray(frac, dtype=x._data.dtype)
        .reshape([-1 if i == d else 1 for i in range(x.ndim)])
    )
    out = a + (b - a) * w  # (..., len(q) at d, ...)
    out = movedim(out, d, 0)  # PyTorch puts the q dimension first
    if keepdim:
        shape = list(input.shape) if dim is not None else [1] * input.ndim
        if dim is not None:
            shape[d] = 1
        out = reshape(out, (out.shape[0], *shape))
    if scalar_q:
        out = out[0]
    return out


def _idx(values, like: Tensor) -> Tensor:
    return _make(xp_of(like._data).asarray(values, dtype=np.int64))


def unfold_method(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``x.unfold(dim, size, step)``: every window of ``size`` elements along ``dim``, ``step``
    apart, as a new last dimension (a copy, not a view as in PyTorch).

    Example:
        >>> ember.arange(5.0).unfold(0, 2, 2).tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    if self.ndim == 0:
        wrap_dim(dimension, 1)
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return reshape(self, (1,))
    d = wrap_dim(dimension, self.ndim)
    n = self.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    starts = np.arange(count) * step
    idx = _idx((starts[:, None] + np.arange(size)).reshape(-1), self)
    picked = self.index_select(d, idx)  # dim d now holds count * size elements
    shape = (*self.shape[:d], count, size, *self.shape[d + 1 :])
    return movedim(reshape(picked, shape), d + 1, -1)


# -- predicates that PyTorch also offers as functions ------------------------------------------


def is_signed(input: Tensor) -> bool:
    """Whether the dtype is signed (floats included).

    Example:
        >>> ember.is_signed(ember.tensor([1], dtype=ember.uint8))
        False
    """
    return input.dtype.np.kind in "fic" or input.dtype.is_floating_point  # bfloat16: kind V


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor.

    Example:
        >>> ember.is_nonzero(ember.tensor([0.5]))
        True
    """
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two shapes are equal.

    Example:
        >>> ember.zeros(2).is_same_size(ember.ones(2))
        True
    """
    return tuple(input.shape) == tuple(other.shape)


def get_device(input: Tensor) -> int:
    """The CUDA device index, or -1 on the CPU.

    Example:
        >>> ember.zeros(1).get_device()
        -1
    """
    return -1 if input.device.type == "cpu" else (input.device.index or 0)


# -- outer-product update, scatters into slices, flat put, index_reduce --------------------------


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)`` (``input`` is ignored when beta is 0).

    Example:
        >>> ember.addr(ember.zeros(2, 2), ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor([[3., 4.],
                [6., 8.]])
    """
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        _need_input("addr", v)
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    _need_input("addr", input)
    from .linalg import outer

    prod = outer(vec1, vec2)
    if alpha != 1:
        prod = prod * alpha
    check_broadcast(input.shape, prod.shape)
    if beta == 0:  # as PyTorch: nan / inf in input do not leak through beta = 0
        return prod.to(D.promote_types(input.dtype, prod.dtype))
    return (input if beta == 1 else input * beta) + prod


def _slice_shape(shape, key) -> tuple:
    """Shape of ``x[key]`` for a tensor of ``shape`` (basic indexing), without any data."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), tuple(shape), (0,) * len(shape))[key].shape


def _check_src(src: Tensor, want) -> None:
    if tuple(src.shape) != tuple(want):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. "
            f"src size = {list(src.shape)}, slice size = {list(want)}"
        )


def _scatter_into(input: Tensor, src: Tensor, key: tuple) -> Tensor:
    _check_src(src, _slice_shape(input.shape, key))
    from .index import index_put

    return index_put(input, key, src)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` whose slice ``select(dim, index)`` is ``src``.

    Example:
        >>> ember.select_scatter(ember.zeros(2, 2), ember.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    _need_input("select_scatter", input)
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} "
            f"at dimension {dim}"
        )
    return _scatter_into(input, src, (slice(None),) * d + (int(index),))


def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1
) -> Tensor:
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``.

    Example:
        >>> ember.slice_scatter(ember.zeros(4), ember.ones(2), start=0, step=2)
        tensor([1., 0., 1., 0.])
    """
    _need_input("slice_scatter", input)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, input.ndim)
    return _scatter_into(input, src, (slice(None),) * d + (slice(start, end, step),))


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """A copy of ``input`` whose ``diagonal(offset, dim1, dim2)`` is ``src``.

    Example:
        >>> ember.diagonal_scatter(ember.zeros(2, 2), ember.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _need_input("diagonal_scatter", input)
    d1, d2 = wrap_dim(dim1, input.ndim), wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = input.shape[d1], input.shape[d2]
    length = builtins.max(
        0, builtins.min(n1 + builtins.min(offset, 0), n2 - builtins.max(offset, 0))
    )
    _check_src(src, [n for i, n in enumerate(input.shape) if i not in (d1, d2)] + [length])
    from .index import index_put

    xp = xp_of(input._data)
    rows = _make(xp.arange(length) + builtins.max(-offset, 0))
    cols = _make(xp.arange(length) + builtins.max(offset, 0))
    moved = movedim(input, (d1, d2), (0, 1))
    out = index_put(moved, (rows, cols), movedim(src, -1, 0))
    return movedim(out, (0, 1), (d1, d2))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written at ``index`` into its flattened elements.

    Example:
        >>> ember.put(ember.zeros(2, 2), ember.tensor([0, 3]), ember.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    _need_input("put", input)
    if index.dtype != D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype}")
    if index.numel() != source.numel():
        raise IndexError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    flat_idx = index._data.reshape(-1)
    bad = flat_idx[(flat_idx >= n) | (flat_idx < -n)]
    if bad.size:
        raise IndexError(
            f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements."
        )
    from .index import index_put

    flat = reshape(input, (-1,))
    out = index_put(flat, (reshape(index, (-1,)),), reshape(source, (-1,)), accumulate)
    return reshape(out, input.shape)


def index_reduce(
    input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self=True
) -> Tensor:
    """Reduce (prod, mean, amax or amin) the slices of ``source`` into ``input`` at ``index``.

    Example:
        >>> src = ember.tensor([2.0, 3.0])
        >>> ember.index_reduce(ember.ones(2), 0, ember.tensor([0, 0]), src, "prod")
        tensor([6., 1.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    _need_input("index_reduce", input)
    d = wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    shape = [1] * source.ndim
    shape[d if source.ndim else 0] = -1
    idx = reshape(index, shape).expand(source.shape)
    return input.scatter_reduce(d, idx, source, reduce, include_self=include_self)
