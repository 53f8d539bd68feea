"""Reductions (sum, mean, max, var, logsumexp, norm ...), scans and sorting."""

from __future__ import annotations

import builtins
import collections
import math

from ..autograd.function import Primitive
from ._util import D, Tensor, _make, dims_of, np, state, wrap_dim, xp_of
from .elementwise import _out, sqrt, where, zeros_like_

values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Primitive):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim:
            g = g.reshape(_keep_shape(ctx.shape, ctx.dims))
        return g.expand(ctx.shape), None, None, None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over ``dim`` (all dims by default); integer inputs sum in int64.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).sum(dim=0)
        tensor([4, 6])
    """
    dims = dims_of(dim, input.ndim) if dim is not None and dim != () else tuple(range(input.ndim))
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    dt = None
    if input._data.dtype.kind in "biu":
        dt = np.int64
    return _out(Sum.apply(input, dims, keepdim, dt), out)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (undoes broadcasting).

    Example:
        >>> ember.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    lead = input.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and input.shape[lead + i] != 1
    )
    if not dims:
        return input
    r = sum(input, dims, keepdim=True)
    return r.reshape(shape) if lead else r


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over ``dim`` (all dims by default); needs a floating or complex dtype.

    Example:
        >>> ember.tensor([1.0, 2.0, 6.0]).mean()
        tensor(3.)
    """
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.scalar_name}"
        )
    dims = dims_of(dim, input.ndim) if dim is not None and dim != () else tuple(range(input.ndim))
    n = 1
    for d in dims:
        n *= input.shape[d]
    return _out(
        sum(input, dims, keepdim) / n if n else sum(input, dims, keepdim) * float("nan"), out
    )


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero."""
    return sum(where(input.isnan(), zeros_like_(input), input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean ignoring NaN."""
    ok = ~input.isnan()
    return nansum(input, dim, keepdim) / ok.sum(dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over ``dim`` (all elements by default)."""
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if dim is None:
        return Prod.apply(input.reshape(-1), 0, False)
    return Prod.apply(input, wrap_dim(dim, input.ndim), keepdim)


class Prod(Primitive):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        dt = np.int64 if x.dtype.kind in "biu" else None
        return np.prod(x, axis=dim, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = ctx.dim
        if not ctx.keepdim and x.ndim:
            g = g.unsqueeze(d)
        # product of all the other elements: exclusive cumprods from both sides (zero-safe)
        n = x.shape[d] if x.ndim else 1
        if x.ndim == 0:
            return g, None, None
        if g._data.dtype.kind == "c":  # NOTE [ complex gradients ]
            x = x.conj()
        from .shape import cat, flip

        one = x.narrow(d, 0, 1) * 0 + 1
        left = cat([one, x.narrow(d, 0, n - 1)], d).cumprod(d) if n > 1 else one
        rx = flip(x, (d,))
        right = flip(cat([one, rx.narrow(d, 0, n - 1)], d).cumprod(d), (d,)) if n > 1 else one
        return g * left * right, None, None


def _reduce_minmax(input, dim, keepdim, fn_name):
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(
                f"{fn_name}(): Expected reduction dim to be specified for "
                "input.numel() == 0. Specify the reduction dim with the 'dim' "
                "argument."
            )
        return (amax if fn_name == "max" else amin)(input)
    d = wrap_dim(dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{fn_name}(): Expected reduction dim {d} to have non-zero size.")
    idx = (argmax if fn_name == "max" else argmin)(input, d, keepdim=True)
    vals = input.gather(d, idx) if input.ndim else input
    if not keepdim and input.ndim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return values_indices(vals, idx)


def max(input, dim=None, keepdim=False, *, out=None):
    """Largest element; with ``dim``, (values, indices) along it; with a tensor, maximum.

    Example:
        >>> ember.tensor([[1, 5], [7, 2]]).max(dim=1)
        ember.return_types.max(values=tensor([5, 7]), indices=tensor([1, 0]))
    """
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(input, dim)
    return _reduce_minmax(input, dim, keepdim, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    """Smallest element; with ``dim``, (values, indices) along it; with a tensor, minimum."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(input, dim)
    return _reduce_minmax(input, dim, keepdim, "min")


class AMax(Primitive):
    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        out = (np.amax if is_max else np.amin)(x, axis=dims, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return (
            out
            if keepdim
            else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))
        )

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if not ctx.keepdim:
            g = g.reshape(out.shape)
        mask = (x == out.detach()).to(g.dtype)
        # ties share the gradient evenly, as in PyTorch
        return mask * (g / mask.sum(ctx.dims, keepdim=True)), None, None, None


def _amaxmin(input, dim, keepdim, is_max, name):
    dims = dims_of(dim, input.ndim) if dim is not None and dim != () else tuple(range(input.ndim))
    for d in dims:
        if input.shape[d] == 0 if input.ndim else False:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if input.numel() == 0 and not dims:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        )
    return AMax.apply(input, dims, keepdim, is_max)


def amax(input, dim=(), keepdim=False):
    """Largest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amaxmin(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim=False):
    """Smallest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amaxmin(input, dim, keepdim, False, "amin")


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over ``dim``."""
    mm = collections.namedtuple("aminmax", ["min", "max"])
    d = () if dim is None else dim
    return mm(amin(input, d, keepdim), amax(input, d, keepdim))


def _arg(input, dim, keepdim, fn):
    a = input._data
    if dim is None:
        r = fn(a.reshape(-1))
        r = xp_of(a).asarray(r, dtype=np.int64)  # np.asarray would pull a CuPy result to host
        return _make(r.reshape((1,) * a.ndim if keepdim else ()))
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return _make(xp_of(a).zeros((), np.int64))
    return _make(fn(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor unless ``dim`` is given).

    Example:
        >>> ember.tensor([1, 9, 3]).argmax()
        tensor(1)
    """
    return _arg(input, dim, keepdim, xp_of(input._data).argmax)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element."""
    return _arg(input, dim, keepdim, xp_of(input._data).argmin)


def var(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default).

    Example:
        >>> ember.tensor([1.0, 2.0, 3.0]).var()
        tensor(1.)
    """
    if isinstance(dim, bool):  # var(input, unbiased)
        unbiased, dim = dim, None
    if unbiased is not None:
        correction = 1 if unbiased else 0
    dims = dims_of(dim, input.ndim) if dim is not None else tuple(range(input.ndim))
    n = 1
    for d in dims:
        n *= input.shape[d]
    mu = mean(input, dims, keepdim=True)
    d2 = input - mu
    s = sum(d2 * d2, dims, keepdim)
    return s / builtins.max(n - correction, 0)


def std(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """Standard deviation (the square root of var)."""
    return sqrt(var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased))


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    """(var, mean) over ``dim``."""
    return var(input, dim, correction=correction, keepdim=keepdim), mean(input, dim, keepdim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    """(std, mean) over ``dim``."""
    return std(input, dim, correction=correction, keepdim=keepdim), mean(input, dim, keepdim)


def logsumexp(input, dim=None, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, computed stably.

    Example:
        >>> ember.tensor([1e4, 1e4]).logsumexp(0)
        tensor(10000.6934)
    """
    if not input.is_floating_point():
        input = input.to(D.get_default_dtype())
    dims = dims_of(dim, input.ndim) if dim is not None else tuple(range(input.ndim))
    m = amax(input, dims, keepdim=True).detach()
    m = where(m.isinf(), zeros_like_(m), m)
    r = (input - m).exp().sum(dims, keepdim=True).log() + m
    return r if keepdim else r.squeeze(dims) if dims else r


class Norm2(Primitive):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = xp_of(x)
        y = xp.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        ctx.kshape = _keep_shape(x.shape, dims)
        return y

    @staticmethod
    def backward(ctx, g):
        # the output is saved (not recomputed) so that double backward sees d y / d x
        x, y = ctx.saved_tensors
        g, y = g.reshape(ctx.kshape), y.reshape(ctx.kshape)
        safe = where(y == 0, y * 0 + 1, y)
        return g * x / safe, None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (2-norm of all elements by default).

    Example:
        >>> ember.tensor([3.0, 4.0]).norm()
        tensor(5.)
    """
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if not input.is_floating_point():
        if not input.is_complex():
            raise RuntimeError(
                "linalg.vector_norm: Expected a floating point or complex tensor as "
                f"input. Got {input.dtype.scalar_name}"
            )
        # every vector norm of a complex tensor is that of its moduli |x| = sqrt(x * conj(x));
        # abs's backward (x / |x|, 0 at 0) gives PyTorch's gradient, and the result is real
        input = input.abs()
    if isinstance(dim, int):
        dim = (dim,)
    dims = dims_of(dim, input.ndim) if dim is not None else tuple(range(input.ndim))
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(input, dims, keepdim)
    if p == float("inf"):
        return amax(input.abs(), dims, keepdim)
    if p == float("-inf"):
        return amin(input.abs(), dims, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dims, keepdim)
    if p == 1:
        return sum(input.abs(), dims, keepdim)
    if p == "nuc":
        raise NotImplementedError("nuclear norm is not supported")
    return sum(input.abs() ** p, dims, keepdim) ** (1.0 / p)


def _logical_reduce(fn, input, dim, keepdim):
    dims = dims_of(dim, input.ndim) if dim is not None else None
    r = fn(input._data, axis=dims, keepdims=keepdim)
    if input._data.dtype == np.uint8:  # PyTorch keeps uint8 for uint8 inputs
        r = r.astype(np.uint8)
    return _make(xp_of(input._data).asarray(r))


def all(input, dim=None, keepdim=False):
    """Whether all elements (along ``dim``) are true.

    Example:
        >>> ember.tensor([[True, False], [True, True]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical_reduce(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether any element (along ``dim``) is true.

    Example:
        >>> ember.tensor([0.0, 2.0]).any()
        tensor(True)
    """
    return _logical_reduce(np.any, input, dim, keepdim)


def count_nonzero(input, dim=None):
    """How many elements are non-zero (along ``dim``)."""
    return sum((input != 0).long(), dim) if dim is not None else sum((input != 0).long())


class Cumsum(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)

    @staticmethod
    def backward(ctx, g):
        from .shape import flip

        d = ctx.dim
        return flip(flip(g, (d,)).cumsum(d), (d,)), None


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``.

    Example:
        >>> ember.tensor([1, 2, 3]).cumsum(0)
        tensor([1, 3, 6])
    """
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if input.ndim == 0:
        return Cumsum.apply(input.reshape(1), 0).reshape(())
    return Cumsum.apply(input, wrap_dim(dim, input.ndim))


class Cumprod(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        y = np.cumprod(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):

        x, y = ctx.saved_tensors
        d = ctx.dim
        if g._data.dtype.kind == "c":  # NOTE [ complex gradients ]
            x, y = x.conj(), y.conj()
        return _cumprod_grad(x, y, g, d), None


def _cumprod_grad(x, y, g, d):
    """Gradient of ``y = cumprod(x, d)`` for the incoming ``g``, zeros in ``x`` included.

    d y_j / d x_i = y_j / x_i for j >= i, which needs x_i != 0. With zeros: before the first
    zero of a slice the quotient still holds (later outputs are 0, as are their partials); at
    the first zero the partials are the products with that zero taken as 1 (``x1``); after it
    every partial contains the zero, so the value is 0 - written as ``x_z * (x1's gradient)``
    only when a graph is being built, so that second derivatives see the zero's factor too.
    """
    from .shape import flip

    def tail_sum(t):  # sum over j >= i
        return flip(flip(t, (d,)).cumsum(d), (d,))

    zero = x == 0
    if not bool(zero._data.any()):
        return tail_sum(g * y) / x
    nth = zero.to(y.dtype).cumsum(d)
    before, first = nth == 0, zero & (nth == 1)
    x1 = where(first, 1, x)
    y1 = cumprod(x1, d)
    at_zero = tail_sum(g * y1)
    if state.enabled:  # create_graph: the zero's factor for the positions after it
        xz = (where(first, x, 0)).sum(d, keepdim=True)  # each slice's first zero (value 0)
        after = xz * _cumprod_grad(x1, y1, g, d)
    else:
        after = zeros_like_(at_zero)
    return where(before, tail_sum(g * y) / where(before, x, 1), where(first, at_zero, after))


def cumsum_(input, dim, *, dtype=None):
    """In-place cumsum."""
    from .elementwise import inplace

    if input._data.dtype == np.bool_ and input.numel() > 1:
        raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
    if input._data.dtype == np.bool_:
        return input
    return inplace(cumsum, "cumsum_")(input, dim, dtype=dtype)


def cumprod_(input, dim, *, dtype=None):
    """In-place cumprod."""
    from .elementwise import inplace

    return inplace(cumprod, "cumprod_")(input, dim, dtype=dtype)


def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``."""
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if input.ndim == 0:
        return input.clone()
    return Cumprod.apply(input, wrap_dim(dim, input.ndim))


def cummax(input, dim):
    """Running maximum along ``dim`` as (values, indices)."""
    from ..backend import of

    d = wrap_dim(dim, input.ndim)
    be = of(input._data)
    # CuPy has no ufunc.accumulate: the running maximum is computed on the host.
    a = be.to_numpy(input._data)
    vals = np.maximum.accumulate(a, axis=d)
    ar = np.arange(a.shape[d]).reshape([-1 if i == d else 1 for i in range(a.ndim)])
    idx = np.maximum.accumulate(np.where(a == vals, ar, 0), axis=d).astype(np.int64)
    idx = _make(be.from_numpy(idx, input.device))
    return values_indices(input.gather(d, idx), idx)


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values along ``dim`` and their indices.

    Example:
        >>> ember.tensor([3, 1, 2]).sort()
        ember.return_types.sort(values=tensor([1, 2, 3]), indices=tensor([1, 2, 0]))
    """
    if input.ndim == 0:
        return values_indices(input, _make(xp_of(input._data).zeros((), np.int64)))
    d = wrap_dim(dim, input.ndim)
    a = input._data
    xp = xp_of(a)
    if descending:
        # a stable descending sort is a stable ascending sort of negated keys
        key = a.astype(np.int8) if a.dtype.kind == "b" else a
        idx = xp.argsort(_neg_key(key), axis=d, kind="stable")
    else:
        idx = xp.argsort(a, axis=d, kind="stable")
    idx = _make(idx.astype(np.int64, copy=False))
    return values_indices(input.gather(d, idx), idx)


def _neg_key(a):
    if a.dtype.kind == "u":
        return a.max() - a if a.size else a
    if a.dtype.kind in "iu" and a.size and a.min() == np.iinfo(a.dtype).min:
        a = a.astype(np.float64)
    return -a


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """Sort along the first dim."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``, with indices.

    Example:
        >>> ember.tensor([1, 5, 3]).topk(2)
        ember.return_types.topk(values=tensor([5, 3]), indices=tensor([1, 2]))
    """
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    s = sort(input, d, descending=largest)
    idx = s.indices.narrow(d, 0, k)
    return values_indices(input.gather(d, idx), idx)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element along ``dim`` (1-based k)."""
    d = wrap_dim(dim, input.ndim)
    idx = sort(input, d).indices.narrow(d, k - 1, 1)
    vals = input.gather(d, idx)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return values_indices(vals, idx)


def median(input, dim=None, keepdim=False):
    """Median (the lower of the two middle values for even counts, as in PyTorch).

    Example:
        >>> ember.median(ember.tensor([3.0, 1.0, 2.0, 4.0]))
        tensor(2.)
    """
    if dim is None:
        return _median_all(input.reshape(-1), skip_nan=False)
    d = wrap_dim(dim, input.ndim)
    return kthvalue(input, (input.shape[d] + 1) // 2, d, keepdim)


def _median_all(flat: Tensor, skip_nan: bool) -> Tensor:
    """Median of a 1-d tensor (``median()`` / ``nanmedian()`` without ``dim``).

    NaN wins unless ``skip_nan``; then NaN only when every element is NaN. Empty input gives
    NaN for floats and the dtype's smallest value for integers (PyTorch's fill).
    """
    a = flat._data
    xp = xp_of(a)
    floating = flat.is_floating_point()
    if a.size == 0:
        fill = np.nan if floating else np.iinfo(a.dtype).min
        return _make(xp.asarray(fill, dtype=a.dtype))
    srt = xp.sort(a)  # NaNs last
    nans = int(xp.isnan(srt).sum()) if floating else 0
    count = a.size - nans if skip_nan else (0 if nans else a.size)
    v = srt[(count - 1) // 2] if count else srt[-1]
    value = _make(xp.asarray(v))
    if not (flat.requires_grad and state.enabled):
        return value
    # NOTE [ median gradient ]: as in PyTorch, the reduce-all median spreads its gradient
    # evenly over every element equal to the result (over the NaNs when it is NaN). The value
    # stays exact: a finite result adds a zero that carries the gradient; a non-finite one is
    # the mean of equal values, which is exact.
    mask = _make(xp.isnan(a) if not count else a == v)
    spread = where(mask, flat, 0).sum() / mask.sum()
    if not math.isfinite(float(v)):
        return spread
    return value + (spread - spread.detach())
