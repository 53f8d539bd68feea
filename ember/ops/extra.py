"""More of PyTorch's top-level functions: grids and index sets, set membership, histograms,
statistics, numerical integration, NaN-ignoring order statistics, float decomposition,
distance matrices and the in-place view methods (``x.squeeze_()``).

Differentiable results are compositions of other ember ops, so every derivative order comes
from those; integer and index results carry no gradient.
"""

from __future__ import annotations

import builtins
import collections
import itertools
import math
import warnings

from ..autograd.function import Primitive
from ._util import D, Tensor, _make, np, promote, state, wrap_dim, xp_of
from .composite import split_with_sizes
from .creation import _finish
from .elementwise import _check_inplace, _need_input, check_broadcast, inplace, isnan, sqrt, where
from .index import index_put
from .reduce import _median_all, norm, sort, values_indices
from .shape import (
    cat,
    chunk,
    flip,
    movedim,
    narrow,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unsqueeze,
)

__all__ = [
    "adjoint",
    "histogram",
    "mode",
    "narrow_copy",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "block_diag",
    "cartesian_prod",
    "cdist",
    "combinations",
    "corrcoef",
    "cov",
    "cumulative_trapezoid",
    "frexp",
    "histc",
    "index_copy",
    "isin",
    "meshgrid",
    "nanmedian",
    "nanquantile",
    "nextafter",
    "renorm",
    "trapezoid",
    "trapz",
    "tril_indices",
    "triu_indices",
    "unique_consecutive",
    "unravel_index",
    "vander",
]

frexp_result = collections.namedtuple("frexp", ["mantissa", "exponent"])
histogram_result = collections.namedtuple("histogram", ["hist", "bin_edges"])


def _need_tensors(tensors) -> None:
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}"
            )


def _index_array(values, like: Tensor) -> Tensor:
    """Host integers as an int64 tensor on ``like``'s device."""
    return _make(xp_of(like._data).asarray(np.asarray(values, dtype=np.int64)))


# -- grids and index sets ----------------------------------------------------------------------


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: output ``i`` repeats tensor ``i`` along every other
    dimension. ``indexing='xy'`` swaps the first two dimensions (NumPy's default).

    Args:
        tensors: 0-d or 1-d tensors of one dtype, as varargs or one list.
        indexing: ``'ij'`` (matrix, the default) or ``'xy'`` (Cartesian).

    Example:
        >>> xs, ys = ember.meshgrid(ember.tensor([1, 2, 3]), ember.tensor([4, 5]), indexing="ij")
        >>> xs.tolist()
        [[1, 1], [2, 2], [3, 3]]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "ember.meshgrid: pass the indexing argument ('ij' or 'xy'); without it the grid "
            "uses 'ij', as PyTorch does for now.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    _need_tensors(tensors)
    for x in tensors:
        if x.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor "
                f"of shape {list(x.shape)}"
            )
        if x.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if x.device != tensors[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    xs = [reshape(x, (-1,)) for x in tensors]
    swap = indexing == "xy" and len(xs) >= 2
    if swap:  # 'xy' is 'ij' with the first two inputs (and outputs) exchanged
        xs[0], xs[1] = xs[1], xs[0]
    shape = tuple(x.shape[0] for x in xs)
    out = []
    for i, x in enumerate(xs):
        view = [1] * len(xs)
        view[i] = shape[i]
        out.append(reshape(x, view).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (``itertools.product``).

    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    _need_tensors(tensors)
    for x in tensors:
        if x.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-D tensor's elements, as rows
    (``itertools.combinations``, or ``combinations_with_replacement``).

    Example:
        >>> ember.combinations(ember.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    _need_input("combinations", input)
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.asarray(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1)
    return reshape(input.index_select(0, _index_array(idx, input)), (-1, r))


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix from 0-, 1- or 2-D tensors (a 1-D tensor is one row).

    Example:
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    _need_tensors(tensors)
    for i, x in enumerate(tensors):
        if x.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                f"Input {i} has {x.ndim} dimensions"
            )
    if not tensors:
        return _make(np.zeros((1, 0), D.get_default_dtype().np))
    dt = D.result_type(*tensors)
    mats = [reshape(x, (1, -1)) if x.ndim < 2 else x for x in tensors]
    mats = [m if m.dtype == dt else m.to(dt) for m in mats]
    width = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        h, w = m.shape
        pads = [m.new_zeros((h, left)), m, m.new_zeros((h, width - left - w))]
        rows.append(cat(pads, 1))
        left += w
    return cat(rows, 0)


def _tri_indices(name: str, np_fn, row: int, col: int, offset: int, dtype, device) -> Tensor:
    for arg, v in (("row", row), ("col", col), ("offset", offset)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name}(): argument '{arg}' must be int, not {type(v).__name__}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = D.as_dtype(dtype) if dtype is not None else D.int64
    if dt not in (D.int32, D.int64):
        raise NotImplementedError(f"\"{name}\" not implemented for '{dt.scalar_name}'")
    r, c = np_fn(row, offset, col)
    return _finish(np.stack([r, c]).astype(dt.np).reshape(2, -1), None, device)


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None
) -> Tensor:
    """The (row, column) coordinates of the lower triangle of a ``row x col`` matrix, as a
    ``(2, N)`` tensor in row-major order; ``offset`` moves the diagonal up (>0) or down.

    Example:
        >>> ember.tril_indices(3, 3).tolist()
        [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None
) -> Tensor:
    """The (row, column) coordinates of the upper triangle of a ``row x col`` matrix, as a
    ``(2, N)`` tensor in row-major order; ``offset`` moves the diagonal up (>0) or down.

    Example:
        >>> ember.triu_indices(3, 3).tolist()
        [[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    """
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix: column ``j`` is ``x ** (N - 1 - j)`` (``x ** j`` when
    ``increasing``). Integer and bool inputs give int64.

    Example:
        >>> ember.vander(ember.tensor([1, 2, 3]), 3).tolist()
        [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    _need_input("vander", x, arg="x")
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(D.int64)
    if n == 0:
        return x.new_zeros((x.shape[0], 0))
    # Repeated products rather than pow: exact for integers and differentiable at x == 0 to
    # every order.
    cols = [x.new_ones(x.shape)]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    out = stack(cols, 1)
    return out if increasing else flip(out, [1])


def unravel_index(indices: Tensor, shape) -> tuple:
    """Flat indices into ``shape`` as one coordinate tensor per dimension (``divmod`` from the
    last dimension, so negative indices wrap around like Python's).

    Example:
        >>> ember.unravel_index(ember.tensor([4, 1]), (3, 2))
        (tensor([2, 0]), tensor([0, 1]))
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices.dtype == D.bool_ or indices.dtype.np.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if isinstance(shape, Tensor) or not isinstance(shape, (list, tuple)):
        raise TypeError(
            f"expected 'shape' to be int or sequence of ints, but got {type(shape).__name__}"
        )
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"expected 'shape' sequence to only contain ints, but got {type(s).__name__}"
            )
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    a = indices._data.astype(np.int64)
    if 0 in shape and a.size:
        raise RuntimeError("unravel_index: 'shape' has a zero-size dimension, so no index fits")
    out = []
    for s in reversed(shape):
        out.append(_make(a % s if a.size else a.copy()))
        a = a // s if a.size else a
    return tuple(reversed(out))


# -- set membership and runs -------------------------------------------------------------------


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a
    scalar); a bool tensor shaped like ``elements``.

    Example:
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
        tensor([False,  True, False])
    """
    e_t, t_t = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (e_t or t_t):
        raise TypeError(
            "isin() received an invalid combination of arguments - got "
            f"({type(elements).__name__}, {type(test_elements).__name__})"
        )
    for v in (elements, test_elements):
        if not isinstance(v, Tensor) and not isinstance(v, (int, float, np.number)):
            raise TypeError(f"isin(): expected a Tensor or a number, got {type(v).__name__}")
        if getattr(v, "dtype", None) == D.bool_ or isinstance(v, bool):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    like = elements if e_t else test_elements
    (e, t), dt = promote(elements, test_elements)
    xp = xp_of(like._data)
    ea = e._data if e_t else xp.asarray(e, dtype=dt.np)
    ta = t._data if t_t else xp.asarray(t, dtype=dt.np)
    return _make(xp.isin(ea, ta.reshape(-1), assume_unique=assume_unique, invert=invert))


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None
):
    """Collapse runs of equal consecutive elements (rows along ``dim``) to one; optionally the
    run each element belongs to and each run's length.

    Example:
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))
        tensor([1, 2, 1])
    """
    _need_input("unique_consecutive", input)
    a = input._data
    xp = xp_of(a)
    if dim is None:
        rows = a.reshape(-1, 1)
        inverse_shape = a.shape
    else:
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim(dim, a.ndim)
        if a.size == 0 and a.shape[d]:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied"
            )
        rows = xp.moveaxis(a, d, 0).reshape(a.shape[d], a.size // builtins.max(a.shape[d], 1))
        inverse_shape = (a.shape[d],)
    n = rows.shape[0]
    starts = xp.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.flatnonzero(starts)
    values = a.reshape(-1)[first] if dim is None else xp.take(a, first, axis=d)
    out = [_make(values)]
    if return_inverse:
        inv = (xp.cumsum(starts) - 1).astype(np.int64)
        out.append(_make(inv.reshape(inverse_shape)))
    if return_counts:
        out.append(_make(xp.diff(xp.append(first, n)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the elements in ``bins`` equal-width bins over ``[min, max]`` (the data's own
    range when ``min == max``); elements outside, and NaNs, are not counted.

    Example:
        >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    _need_input("histc", input)
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool):
        raise TypeError(f"histc(): argument 'bins' must be int, not {type(bins).__name__}")
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"histogram_cpu\" not implemented for '{input.dtype.scalar_name}'"
        )
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    a = input._data
    xp = xp_of(a)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())  # NaN when the data holds one
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    calc = a.dtype if a.dtype.kind == "f" else np.float32  # bfloat16 bins in float32
    x = a.reshape(-1).astype(calc, copy=False)
    scalar = np.dtype(calc).type
    lo_c, hi_c = scalar(lo), scalar(hi)
    x = x[(x >= lo_c) & (x <= hi_c)]  # NaNs fail both tests
    pos = ((x - lo_c) * scalar(bins) / (hi_c - lo_c)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)  # x == max belongs to the last bin
    return _make(xp.bincount(pos, minlength=bins).astype(a.dtype))


# -- statistics --------------------------------------------------------------------------------


def _check_weights(name: str, w: Tensor, n_obs: int, integral: bool) -> None:
    if w.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
            f"{w.ndim} dimensions"
        )
    if w.numel() != n_obs:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {n_obs}"
        )
    kind_ok = (
        not w.is_floating_point() and w.dtype != D.bool_ if integral else w.is_floating_point()
    )
    if not kind_ok:
        want = "integral" if integral else "floating point"
        raise RuntimeError(
            f"cov(): expected {name} to have {want} dtype but got {name} with "
            f"{w.dtype.scalar_name} dtype"
        )
    if w.numel() and bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns),
    optionally with integer frequency and float observation weights.

    Args:
        input: a 1-D (one variable) or 2-D tensor.
        correction: subtracted from the number of observations (1: unbiased, 0: ML estimate).
        fweights, aweights: per-observation weights (1-D or 0-D).

    Example:
        >>> ember.cov(ember.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _need_input("cov", input)
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    if input.dtype == D.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    if not isinstance(correction, (int, np.integer)) or isinstance(correction, bool):
        raise TypeError(
            f"cov(): argument 'correction' must be int, not {type(correction).__name__}"
        )
    x = reshape(input, (1, -1)) if input.ndim < 2 else input
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(D.get_default_dtype())
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n_obs, integral=True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n_obs, integral=False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.mean(1) if n_obs else x.sum(1) / 0.0
        norm_factor = n_obs - correction
    else:
        w = reshape(w, (-1,))
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * (w * reshape(aweights, (-1,))).sum() / w_sum
    if float(norm_factor) <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm_factor = norm_factor * 0
    xm = x - unsqueeze(avg, 1)
    weighted = xm if w is None else xm * w
    with np.errstate(divide="ignore", invalid="ignore"):  # inf/nan as in PyTorch, silently
        c = (weighted @ t(xm)) / norm_factor
    return squeeze(c)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``.

    Example:
        >>> ember.corrcoef(ember.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _need_input("corrcoef", input)
    if input.ndim > 2:
        raise RuntimeError(
            "corrcoef(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = sqrt(c.diagonal())
    c = c / unsqueeze(std, 1) / unsqueeze(std, 0)
    return c.clamp(-1, 1)  # rounding can push |r| past 1


# -- numerical integration ---------------------------------------------------------------------


def _integration_args(name: str, y: Tensor, x, dx, dim: int):
    _need_input(name, y, arg="y")
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: x and dx")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'x' must be Tensor, not {type(x).__name__}")
    if y.dtype == D.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, y.ndim)
    if not (y.is_floating_point() or y.is_complex()):
        y = y.to(D.get_default_dtype())
    spacing = None
    if x is not None:
        n = y.shape[d]
        if x.ndim == 1:
            if x.shape[0] != n:
                raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
            view = [1] * y.ndim
            view[d] = builtins.max(n - 1, 0)
            spacing = reshape(x[1:] - x[:-1], view)
        else:
            m = x.shape[wrap_dim(dim, x.ndim)]
            xd = wrap_dim(dim, x.ndim)
            spacing = narrow(x, xd, 1, m - 1) - narrow(x, xd, 0, m - 1) if m else x
    return y, d, spacing


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """Integrate ``y`` along ``dim`` with the trapezoidal rule, at points ``x`` (spacing ``dx``,
    1 by default, when ``x`` is None).

    Example:
        >>> ember.trapezoid(ember.tensor([1.0, 2.0, 4.0]))
        tensor(4.5000)
    """
    y, d, spacing = _integration_args("trapezoid", y, x, dx, dim)
    n = y.shape[d]
    if n == 0:
        return y.sum(d)
    if spacing is None:
        ends = narrow(y, d, 0, 1).squeeze(d) + narrow(y, d, n - 1, 1).squeeze(d)
        out = y.sum(d) - ends * 0.5
        return out if dx is None else out * dx
    return ((narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * spacing).sum(d) / 2


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule (the older name of :func:`trapezoid`).

    Example:
        >>> ember.trapz(ember.tensor([1.0, 3.0]), dx=2.0)
        tensor(4.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """Running trapezoidal-rule integral of ``y`` along ``dim`` (one element shorter than ``y``
    there).

    Example:
        >>> ember.cumulative_trapezoid(ember.tensor([1.0, 2.0, 4.0]))
        tensor([1.5000, 4.5000])
    """
    if isinstance(y, Tensor) and y.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    y, d, spacing = _integration_args("cumulative_trapezoid", y, x, dx, dim)
    n = y.shape[d]
    if n == 0:
        return y.clone()
    pairs = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if spacing is None:
        return (pairs * (1 if dx is None else dx)).cumsum(d) / 2
    return (pairs * spacing).cumsum(d) / 2


# -- NaN-ignoring order statistics -------------------------------------------------------------


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The median that ignores NaNs (the lower middle value for even counts; NaN only when a
    slice is all NaN). With ``dim``: (values, indices), like ``median``.

    Example:
        >>> ember.nanmedian(ember.tensor([3.0, float("nan"), 1.0, 2.0]))
        tensor(2.)
    """
    _need_input("nanmedian", input)
    if input.dtype == D.bool_:
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    if dim is None:
        return _median_all(reshape(input, (-1,)), skip_nan=True)
    if input.ndim == 0:
        wrap_dim(dim, 0)
        return values_indices(input.clone(), _make(xp_of(input._data).zeros((), np.int64)))
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    order = sort(input.detach(), d).indices  # NaNs sort last
    count = (~isnan(input)).sum(d, keepdim=True)
    k = where(count > 0, (count - 1) // 2, 0)
    idx = order.gather(d, k)
    vals = input.gather(d, idx)
    if not keepdim:
        vals, idx = squeeze(vals, d), squeeze(idx, d)
    return values_indices(vals, idx)


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """Counts (or weights, or a density) of ``input``'s values in ``bins`` equal bins over
    ``range`` (default: min to max), or between the given edges; returns (hist, bin_edges) in
    ``input``'s dtype. The last bin includes its right edge.

    Example:
        >>> ember.histogram(ember.tensor([1.0, 2.0, 1.0]), bins=2).hist
        tensor([2., 1.])
    """
    _need_input("histogram", input)
    if not input.is_floating_point():
        name = input.dtype.scalar_name
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{name}'")
    a = input._data
    xp = xp_of(a)
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    w = None if weight is None else weight._data.reshape(-1)
    lo_hi = None if range is None else (float(range[0]), float(range[1]))
    hist, edges = xp.histogram(a.reshape(-1), bins=edges, range=lo_hi, weights=w, density=density)
    return histogram_result(_make(hist.astype(a.dtype)), _make(edges.astype(a.dtype)))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest among ties) and the index of its last
    occurrence, as (values, indices); the gradient flows to that index.

    Example:
        >>> ember.mode(ember.tensor([1.0, 2.0, 2.0, 1.0, 3.0])).values
        tensor(1.)
    """
    _need_input("mode", input)
    if input.ndim == 0:
        wrap_dim(dim, 0)
        return values_indices(input.clone(), _make(xp_of(input._data).zeros((), np.int64)))
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    a = input._data
    xp = xp_of(a)
    rows = xp.moveaxis(a, d, -1).reshape(-1, n)
    srt = xp.sort(rows, axis=1)
    # The count so far within each run of equal sorted values; the first position reaching the
    # longest run lies in the run of the smallest most frequent value.
    pos = xp.arange(n)
    start = xp.ones(srt.shape, bool)
    start[:, 1:] = srt[:, 1:] != srt[:, :-1]
    run_start = xp.maximum.accumulate(xp.where(start, pos, 0), axis=1)
    best = xp.argmax(pos - run_start, axis=1)
    value = srt[xp.arange(len(srt)), best]
    last = n - 1 - xp.argmax((rows == value[:, None])[:, ::-1], axis=1)
    shape = tuple(s for i, s in enumerate(input.shape) if i != d)
    idx = _make(last.reshape(shape).astype(np.int64))
    vals = input.gather(d, unsqueeze(idx, d))
    if keepdim:
        idx = unsqueeze(idx, d)
    else:
        vals = squeeze(vals, d)
    return values_indices(vals, idx)


def nanquantile(
    input: Tensor, q, dim: int | None = None, keepdim: bool = False, *, interpolation="linear"
) -> Tensor:
    """The ``q``-th quantiles along ``dim`` ignoring NaNs (all elements when ``dim`` is None);
    NaN only for all-NaN slices. ``q`` dimension first when ``q`` is a 1-D tensor.

    Example:
        >>> ember.nanquantile(ember.tensor([1.0, float("nan"), 2.0, 3.0]), 0.5)
        tensor(2.)
    """
    _need_input("nanquantile", input)
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    qa = np.asarray(q.tolist() if isinstance(q, Tensor) else q, dtype=np.float64).reshape(-1)
    bad = qa[(qa < 0) | (qa > 1)]
    if bad.size:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {bad[0]:g}")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if dim is None:
        x, d = reshape(input, (-1,)), 0
    else:
        d = wrap_dim(dim, input.ndim)
        x = input if input.ndim else reshape(input, (1,))
    xp = xp_of(x._data)
    srt = sort(x, d).values  # NaNs last
    count = (~isnan(x)).sum(d, keepdim=True).to(x.dtype)
    view = [-1 if i == d else 1 for i in range(x.ndim)]
    qt = _make(xp.asarray(qa, dtype=x._data.dtype).reshape(view))
    rank = (qt * (count - 1)).clamp_min(0)  # all-NaN slices read sorted position 0: NaN
    if interpolation == "nearest":
        lo = hi = rank.round()
    elif interpolation == "lower":
        lo = hi = rank.floor()
    elif interpolation == "higher":
        lo = hi = rank.ceil()
    else:
        lo, hi = rank.floor(), rank.ceil()
    below = srt.gather(d, lo.long())
    if interpolation in ("linear", "midpoint"):
        above = srt.gather(d, hi.long())
        w = rank - lo if interpolation == "linear" else where(hi > lo, 0.5, 0.0).to(x.dtype)
        # PyTorch's lerp: from the nearer end, so w == 0 returns ``below`` exactly
        span = above - below
        out = where(w < 0.5, below + w * span, above - span * (1 - w))
    else:
        out = below
    out = movedim(out, d, 0)
    if keepdim:
        shape = [1] * input.ndim if dim is None else list(input.shape)
        if dim is not None and input.ndim:
            shape[d] = 1
        out = reshape(out, (out.shape[0], *shape))
    return out[0] if not isinstance(q, Tensor) or q.ndim == 0 else out


# -- floating-point decomposition --------------------------------------------------------------


def frexp(input: Tensor):
    """Split into mantissa in ``[0.5, 1)`` (signed) and an int32 exponent:
    ``input == mantissa * 2 ** exponent``.

    Example:
        >>> ember.frexp(ember.tensor([8.0, 0.75])).exponent
        tensor([4, 0], dtype=ember.int32)
    """
    _need_input("frexp", input)
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    a = input._data
    xp = xp_of(a)
    _, e = xp.frexp(a if a.dtype.kind == "f" else a.astype(np.float32))
    e = e.astype(np.int32)
    # mantissa = x * 2**-e, in two exact power-of-two steps: 2**-e alone overflows for
    # subnormal inputs. The gradient is 2**-e, as in PyTorch.
    half = e // 2
    s1 = xp.exp2(-half.astype(np.float64)).astype(a.dtype)
    s2 = xp.exp2(-(e - half).astype(np.float64)).astype(a.dtype)
    return frexp_result(input * _make(s1) * _make(s2), _make(e))


class _NextAfter(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        # The result moves with ``input`` one to one and ``other`` only picks a direction; where
        # the two are equal the result is ``other`` and, as in PyTorch, neither gets a gradient.
        a, b = ctx.saved_tensors
        ga = where(a == b, 0.0, g) if ctx.needs_input_grad[0] else None
        return ga, (g * 0 if ctx.needs_input_grad[1] else None)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after ``input`` in the direction of ``other``.

    Example:
        >>> (ember.nextafter(ember.tensor([1.0]), ember.tensor([2.0])) - 1).item() > 0
        True
    """
    _need_input("nextafter", input)
    _need_input("nextafter", other, 2, "other")
    (a, b), dt = promote(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{dt.scalar_name}'")
    check_broadcast(a, b)
    return _NextAfter.apply(a, b)


# -- indexing, in place and out ----------------------------------------------------------------


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices ``index`` along ``dim`` are replaced by ``source``'s.

    Example:
        >>> ember.index_copy(ember.zeros(3), 0, ember.tensor([2]), ember.tensor([5.0]))
        tensor([0., 0., 5.])
    """
    _need_input("index_copy", input)
    _need_input("index_copy", index, 3, "index")
    _need_input("index_copy", source, 4, "source")
    if index.dtype != D.int64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {index.dtype.scalar_name}"
        )
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    d = wrap_dim(dim, input.ndim)
    if source.dtype != input.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{input.dtype.scalar_name} and (source) {source.dtype.scalar_name}"
        )
    if input.ndim and source.ndim and input.ndim != source.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
            f"({input.ndim})"
        )
    n_src = source.shape[d] if source.ndim else 1
    if index.numel() != n_src:
        raise IndexError(
            f"index_copy_(): Number of indices ({index.numel()}) should be equal to "
            f"source.size(dim) ({n_src})"
        )
    for i in range(builtins.min(input.ndim, source.ndim)):
        if i != d and input.shape[i] != source.shape[i]:
            raise RuntimeError(
                "index_copy_(): Source/destination tensor must have same slice shapes. "
                f"Destination slice shape: {input.shape[i]} at dimension {i} and source slice "
                f"shape: {source.shape[i]} at dimension {i}."
            )
    size = input.shape[d] if input.ndim else 1
    ia = index._data.reshape(-1)
    if ia.size:
        bad = ia[(ia < 0) | (ia >= size)]
        if bad.size:
            raise IndexError(
                f"index_copy_(): index {int(bad[0])} is out of bounds for dimension {d} with "
                f"size {size}"
            )
    if input.ndim == 0:
        return reshape(source, ()) * 1
    src = reshape(source, (n_src,)) if source.ndim == 0 else source
    return index_put(input, (slice(None),) * d + (reshape(index, (-1,)),), src)


def _fill_diagonal(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(self.shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return self.masked_fill(_make(xp_of(self._data).asarray(mask)), fill_value)


fill_diagonal_ = inplace(_fill_diagonal, "fill_diagonal_")
fill_diagonal_.__doc__ = """Fill the main diagonal in place (``wrap``: restart it below a tall
    matrix's square part every ``cols + 1`` rows, as NumPy's ``fill_diagonal``).

    Example:
        >>> ember.zeros(2, 3).fill_diagonal_(1.0).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Rescale each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` to norm
    ``maxnorm`` (slices within the bound are kept).

    Example:
        >>> ember.renorm(ember.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    _need_input("renorm", input)
    if input.ndim < 2:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = wrap_dim(dim, input.ndim)
    dims = tuple(i for i in range(input.ndim) if i != d)
    big = norm(input.detach(), p, dims, keepdim=True) > maxnorm
    # Slices within the bound take the norm of ones instead, so a zero slice never puts the
    # norm's 0/0 gradient into the graph.
    safe = norm(where(big, input, 1.0), p, dims, keepdim=True)
    return input * where(big, maxnorm / (safe + 1e-7), 1.0)


# -- distances ---------------------------------------------------------------------------------

_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = _CDIST_MODES[0]) -> Tensor:
    """The ``p``-norm distance between every row of ``x1`` (``..., P, M``) and every row of
    ``x2`` (``..., R, M``), as ``(..., P, R)``; batch dimensions broadcast.

    ``compute_mode``: for p = 2, ``'use_mm_for_euclid_dist'`` computes through a matrix product
    (fast, less accurate for close points), ``'donot_use_mm_for_euclid_dist'`` from the
    differences, and the default uses the product when P or R exceeds 25.

    Example:
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [0.0, 1.0]]))
        tensor([[5., 1.]])
    """
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    _need_input("cdist", x1, arg="x1")
    _need_input("cdist", x2, 2, "x2")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.is_floating_point():
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {x.dtype.scalar_name}"
            )
    if x1.dtype != x2.dtype:
        raise RuntimeError(
            f"expected scalar type {x1.dtype.scalar_name} but found {x2.dtype.scalar_name}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.shape[-1] == 0:
        batch = np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
        return x1.new_zeros((*batch, x1.shape[-2], x2.shape[-2]))
    rows1, rows2 = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or compute_mode == _CDIST_MODES[0]
        and (rows1 > 25 or rows2 > 25)
    )
    if use_mm:
        sq = (
            (x1 * x1).sum(-1, keepdim=True)
            + unsqueeze((x2 * x2).sum(-1), -2)
            - 2 * (x1 @ transpose(x2, -1, -2))
        ).clamp_min(0)
        return _safe_root(sq, 2.0)
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)  # (..., P, R, M)
    if p == 0:
        count = (diff != 0).sum(-1).to(x1.dtype)
        # a count has zero gradient everywhere; keep it in the graph as PyTorch does
        return count + (diff - diff.detach()).sum(-1) * 0
    if p == 1:
        return diff.abs().sum(-1)
    if p == math.inf:
        mag = diff.abs()
        top = mag.detach().amax(-1, keepdim=True)
        # PyTorch sends the full gradient to every coordinate that attains the maximum
        ties = where(mag == top, mag - mag.detach(), 0.0).sum(-1)
        return squeeze(top, -1) + ties
    if p == 2:
        return _safe_root((diff * diff).sum(-1), 2.0)
    mag = diff.abs()
    zero = mag == 0
    # |d| ** p with p < 1 has an infinite slope at 0; those terms are constant zero here
    terms = where(zero, 0.0, where(zero, 1.0, mag) ** p)
    return _safe_root(terms.sum(-1), p)


def _safe_root(s: Tensor, p: float) -> Tensor:
    """``s ** (1 / p)`` with a zero gradient where ``s == 0`` (coincident points)."""
    zero = s == 0
    safe = where(zero, 1.0, s)
    root = sqrt(safe) if p == 2 else safe ** (1.0 / p)
    return where(zero, 0.0, root)


# -- in-place view changes ---------------------------------------------------------------------


def _inplace_view(fn, name: str):
    """``x.squeeze_()`` and kin: ``x`` itself becomes the view ``fn(x)``.

    The tensor swaps its array for the new view of the same memory, takes the view's graph
    node (so gradients flow back through ``fn``) and bumps the version counter, as PyTorch
    does: backward through an op that saved the old-shaped tensor then raises instead of
    reading a tensor of the wrong shape.
    """

    def op(self: Tensor, *args, **kwargs) -> Tensor:
        _check_inplace(self)
        r = fn(self, *args, **kwargs)
        self._data = r._data
        self._bump()
        if r._rg and state.enabled:
            self.grad_fn, self._out_nr = r.grad_fn, r._out_nr
        return self

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place version of ``{fn.__name__}``: changes this tensor's shape."
    return op


# Tensor methods that are not top-level functions in PyTorch.
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims, a view (``x.mH``).

    Example:
        >>> ember.adjoint(ember.zeros(2, 3)).shape
        ember.Size([3, 2])
    """
    if input.ndim < 2:
        raise RuntimeError(
            "tensor.adjoint() is only supported on matrices or batches of matrices. "
            f"Got {input.ndim}-D tensor."
        )
    return input.mH


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor rather than a view.

    Example:
        >>> ember.arange(5).narrow_copy(0, 1, 2).tolist()
        [1, 2]
    """
    return narrow(input, dim, start, length).clone()


# PyTorch's "unsafe" variants differ only in autograd bookkeeping ember does not have.
unsafe_chunk = chunk
unsafe_split = split
unsafe_split_with_sizes = split_with_sizes

METHODS = {
    "adjoint": adjoint,
    "histogram": histogram,
    "mode": mode,
    "narrow_copy": narrow_copy,
    "unsafe_chunk": chunk,
    "unsafe_split": split,
    "unsafe_split_with_sizes": split_with_sizes,
    "nextafter_": inplace(nextafter, "nextafter_"),
    "index_copy_": inplace(index_copy, "index_copy_"),
    "fill_diagonal_": fill_diagonal_,
    "renorm_": inplace(renorm, "renorm_"),
    "squeeze_": _inplace_view(squeeze, "squeeze_"),
    "unsqueeze_": _inplace_view(unsqueeze, "unsqueeze_"),
    "t_": _inplace_view(t, "t_"),
    "transpose_": _inplace_view(transpose, "transpose_"),
    "swapaxes_": _inplace_view(swapaxes, "swapaxes_"),
    "swapdims_": _inplace_view(swapaxes, "swapdims_"),
}
