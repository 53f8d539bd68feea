"""Indexing: ``t[...]`` and ``t[...] = v``, gather/scatter, index_select/index_add, masks."""

from __future__ import annotations

from ..autograd.function import Primitive, once_differentiable
from ._util import D, Tensor, _make, np, state, wrap_dim, xp_of
from .elementwise import _assign, _check_inplace, where
from .shape import _share


def _key_part(k, xp):
    if isinstance(k, Tensor):
        a = k._data
        if a.dtype.kind in "fc":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if a.dtype == np.uint8:
            a = a.astype(bool)
        return a
    if isinstance(k, (list, tuple)) and not isinstance(k, tuple):
        a = xp.asarray(k)
        if a.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a
    if isinstance(k, (bool, np.bool_)):
        return k
    if hasattr(k, "__index__") and not isinstance(k, (slice, type(None), type(Ellipsis))):
        return int(k.__index__())
    return k


def normalize_key(key, xp):
    """Turn a python/ember index into one NumPy (or CuPy) understands."""
    if isinstance(key, tuple):
        return tuple(_key_part(k, xp) for k in key)
    if isinstance(key, list):
        return _key_part(key, xp)
    return _key_part(key, xp)


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        isinstance(k, (int, slice, type(None), type(Ellipsis))) and not isinstance(k, bool)
        for k in parts
    )


class Index(Primitive):
    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key, ctx.dtype = x.shape, key, x.dtype
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return IndexBackward.apply(g, ctx.shape, ctx.key), None


class IndexBackward(Primitive):
    """Scatter ``g`` into zeros of the indexed tensor's shape (summing repeated indices)."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        z = xp_of(g).zeros(shape, g.dtype)
        if _is_basic(key):
            z[key] = g
        else:
            _add_at(z, key, g)
        return z

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.key), None, None


def _add_at(z, key, v):
    xp = xp_of(z)
    if xp is np:
        np.add.at(z, key, v)
    else:
        xp.add.at(z, key, v)


def _check_bounds(x, key):
    parts = key if isinstance(key, tuple) else (key,)
    dim = 0
    for k in parts:
        if k is None:
            continue
        if k is Ellipsis:
            dim = x.ndim - sum(
                1
                for p in parts
                if p is not None
                and p is not Ellipsis
                and not (hasattr(p, "dtype") and p.dtype == bool)
            )
            continue
        if isinstance(k, int) and not isinstance(k, bool):
            if dim >= x.ndim:
                raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
            n = x.shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        if hasattr(k, "dtype") and k.dtype == bool:
            dim += k.ndim
        else:
            dim += 1


def getitem(input, index):
    """``input[index]``: basic indexing gives a view, advanced indexing a copy."""
    xp = xp_of(input._data)
    key = normalize_key(index, xp)
    _check_bounds(input._data, key)
    basic = _is_basic(key)
    if not (state.enabled and input._rg):
        out = _make(input._data[key])
    else:
        out = Index.apply(input, key)
    if basic:
        _share(out, input)
    return out


class IndexPut(Primitive):
    @staticmethod
    def forward(ctx, x, v, key, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        out = x.copy()
        if accumulate:
            _add_at(out, key, xp_of(x).broadcast_to(v, out[key].shape))
        else:
            out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, g.new_zeros(()), ctx.key, False)
        if ctx.needs_input_grad[1]:
            gv = Index.apply(g, ctx.key)
        return gx, gv, None, None


def index_put(input, indices, values, accumulate=False):
    """Out-of-place ``input[indices] = values`` (``+=`` with accumulate), differentiable."""
    xp = xp_of(input._data)
    key = normalize_key(tuple(indices), xp)
    if not isinstance(values, Tensor):
        values = _make(xp.asarray(values, dtype=input._data.dtype))
    elif values._data.dtype != input._data.dtype:
        values = values.to(input.dtype)
    return IndexPut.apply(input, values, key, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """In-place index_put."""
    _check_inplace(input)
    return _assign(input, index_put(input, indices, values, accumulate), "index_put_")


def setitem(input, index, value):
    """``input[index] = value``; differentiable in both ``input`` and ``value``."""
    _check_inplace(input)
    xp = xp_of(input._data)
    key = normalize_key(index, xp)
    _check_bounds(input._data, key)
    if isinstance(value, Tensor):
        if value.device != input.device:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{input.device} and {value.device}!"
            )
        track = state.enabled and (value._rg or input._rg)
        v = value._data
    else:
        track = state.enabled and input._rg
        v = value
    if not track:
        if not getattr(input._data.flags, "writeable", True):
            raise RuntimeError(
                "unsupported operation: the tensor is a read-only view (from "
                "expand); clone() it first"
            )
        try:
            input._data[key] = v
        except ValueError:
            raise _setitem_error(input._data, key, v) from None
        input._bump()
        return
    if not isinstance(value, Tensor):
        value = _make(xp.asarray(value, dtype=input._data.dtype))
    elif value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    old = _make(input._data.copy(), input.grad_fn, input._out_nr) if input._rg else input
    old._rg = input._rg
    try:
        r = IndexPut.apply(old, value, key, False)
    except ValueError:
        raise _setitem_error(input._data, key, value._data) from None
    _assign(input, r, "setitem")


def _setitem_error(arr, key, v) -> RuntimeError:
    return RuntimeError(
        f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} cannot be "
        f"broadcast to indexing result of shape {list(arr[key].shape)}"
    )


def _grids(idx, dim):
    xp = xp_of(idx)
    g = list(xp.ogrid[tuple(slice(0, s) for s in idx.shape)]) if idx.ndim else []
    if idx.ndim:
        g[dim] = idx
    return tuple(g)


def _check_gather(name, input, dim, index):
    if not isinstance(index, Tensor) or index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = wrap_dim(dim, input.ndim)
    for k in range(index.ndim):
        if k != d and index.shape[k] > input.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                f"smaller than self {list(input.shape)} apart from dimension {d}"
            )
    n = input.shape[d] if input.ndim else 1
    a = index._data
    if a.size and (a.min() < -n or a.max() >= n) or (a.size and a.min() < 0):
        bad = int(a.max()) if a.max() >= n else int(a.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return d


class Gather(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(idx)
        if x.ndim == 0:
            return x[()] if idx.ndim == 0 else xp_of(x).broadcast_to(x, idx.shape).copy()
        return x[_grids(idx, dim)]

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        z = g.new_zeros(ctx.shape)
        if len(ctx.shape) == 0:
            return g.sum(), None, None
        return ScatterAdd.apply(z, ctx.dim, idx, g), None, None


def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` at ``index`` along ``dim``: ``out[i][j] = input[index[i][j]][j]``.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[1], [0]]))
        tensor([[2],
                [3]])
    """
    d = _check_gather("gather", input, dim, index)
    return Gather.apply(input, d, index)


class Scatter(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx, src):
        ctx.dim = dim
        ctx.save_for_backward(idx)
        out = x.copy()
        s = (
            src
            if not hasattr(src, "shape") or src.shape == idx.shape
            else src[tuple(slice(0, k) for k in idx.shape)]
            if src.ndim
            else src
        )
        out[_grids(idx, dim)] = s
        return out

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        gx = Scatter.apply(g, ctx.dim, idx, 0.0) if ctx.needs_input_grad[0] else None
        gs = g.gather(ctx.dim, idx) if ctx.needs_input_grad[3] else None
        return gx, None, None, gs


class ScatterAdd(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx, src):
        ctx.dim = dim
        ctx.save_for_backward(idx)
        out = x.copy()
        s = src if src.shape == idx.shape else src[tuple(slice(0, k) for k in idx.shape)]
        _add_at(out, _grids(idx, dim), s)
        return out

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        gs = g.gather(ctx.dim, idx) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Write ``src`` (or ``value``) into a copy of ``input`` at ``index`` along ``dim``.

    Example:
        >>> ember.zeros(3).scatter(0, ember.tensor([2]), ember.tensor([5.0]))
        tensor([0., 0., 5.])
    """
    if src is None:
        src = value
    d = _check_gather("scatter", input, dim, index)
    if reduce == "add":
        return scatter_add(
            input, d, index, src if isinstance(src, Tensor) else input.new_full(index.shape, src)
        )
    if reduce == "multiply":
        ones = input.new_ones(input.shape)
        s = src if isinstance(src, Tensor) else input.new_full(index.shape, src)
        f = ScatterMul.apply(ones, d, index, s)
        return input * f
    if reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            src = src.to(input.dtype)
        return Scatter.apply(input, d, index, src)
    return Scatter.apply(input, d, index, src)


class ScatterMul(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx, src):
        out = x.copy()
        s = src if src.shape == idx.shape else src[tuple(slice(0, k) for k in idx.shape)]
        xp_of(out).multiply.at(out, _grids(idx, dim), s)
        return out


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeats sum)."""
    d = _check_gather("scatter_add", input, dim, index)
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return ScatterAdd.apply(input, d, index, src)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` at ``index`` with 'sum', 'prod', 'mean', 'amax' or 'amin'."""
    d = _check_gather("scatter_reduce", input, dim, index)
    if reduce == "sum":
        base = input if include_self else scatter(input, d, index, value=0.0)
        return scatter_add(base, d, index, src)
    if reduce == "mean":
        base = input if include_self else scatter(input, d, index, value=0.0)
        total = scatter_add(base, d, index, src)
        cnt = scatter_add(
            input.new_ones(input.shape) if include_self else input.new_zeros(input.shape),
            d,
            index,
            src.new_ones(index.shape),
        )
        cnt = where(cnt == 0, cnt.new_ones(()), cnt)
        return total / cnt if input.is_floating_point() else total // cnt
    if reduce not in ("prod", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return ScatterReduce.apply(input, d, index, src, reduce, include_self)


class ScatterReduce(Primitive):
    """scatter_reduce with 'prod', 'amax' or 'amin' (sum and mean are built from scatter_add).

    Gradients as PyTorch's: amax/amin share the gradient evenly among the participants equal
    to the result (the input's own value counts when ``include_self``); prod gives each
    participant the product of the others, zeros included (no division by a zero).
    """

    @staticmethod
    def forward(ctx, x, dim, idx, src, reduce, include_self):
        out = x.copy()
        s = src[tuple(slice(0, k) for k in idx.shape)]
        grids = _grids(idx, dim)
        if not include_self:
            if out.dtype.kind == "f":
                fill = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
            else:
                info = np.iinfo(out.dtype)
                fill = {"prod": 1, "amax": info.min, "amin": info.max}[reduce]
            out[grids] = fill
        xp = xp_of(x)
        uf = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
        uf.at(out, grids, s)
        if any(ctx.needs_input_grad):
            ctx.cfg = (dim, reduce, include_self, src.shape)
            ctx.save_for_backward(x, idx, s, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, idx, s, out = (t._data for t in ctx.saved_tensors)
        dim, reduce, include_self, src_shape = ctx.cfg
        xp = xp_of(x)
        g = g._data
        grids = _grids(idx, dim)
        hit = xp.zeros(out.shape, bool)
        hit[grids] = True
        if reduce == "prod":
            # d out / d x at a reduced position: the product of the src values sent there.
            p_src = xp.ones_like(out)
            xp.multiply.at(p_src, grids, s)
            gx = xp.where(hit, g * p_src if include_self else 0, g)
            # d out / d s_j: the product of the other participants. Count zeros per target so
            # that no zero is divided by: one zero -> the product of the non-zeros for it,
            # two or more -> 0.
            own = include_self & hit
            zeros = (own & (x == 0)).astype(np.int64)
            _add_at(zeros, grids, (s == 0).astype(np.int64))
            nz = xp.where(own & (x != 0), x, 1)
            xp.multiply.at(nz, grids, xp.where(s != 0, s, 1))
            nz_t, zeros_t = nz[grids], zeros[grids]
            safe = xp.where(s != 0, s, 1)
            d_s = xp.where(
                s != 0, xp.where(zeros_t == 0, nz_t / safe, 0), xp.where(zeros_t == 1, nz_t, 0)
            )
        else:
            at_t = s == out[grids]
            own = (x == out) & hit if include_self else xp.zeros(out.shape, bool)
            count = own.astype(out.dtype)
            _add_at(count, grids, at_t.astype(out.dtype))
            share = g / xp.where(count > 0, count, 1)
            gx = xp.where(hit, share * own, g)
            d_s = at_t.astype(out.dtype)
            g = share
        gs = xp.zeros(src_shape, out.dtype)
        gs[tuple(slice(0, k) for k in idx.shape)] = g[grids] * d_s
        need = ctx.needs_input_grad
        return (
            _make(gx) if need[0] else None,
            None,
            None,
            _make(gs) if need[3] else None,
            None,
            None,
        )


class IndexSelect(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(idx)
        return xp_of(x).take(x, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        return IndexAdd.apply(g.new_zeros(ctx.shape), ctx.dim, idx, g), None, None


class IndexAdd(Primitive):
    @staticmethod
    def forward(ctx, x, dim, idx, src):
        ctx.dim = dim
        ctx.save_for_backward(idx)
        out = x.copy()
        key = (slice(None),) * dim + (idx,)
        _add_at(out, key, src)
        return out

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        gs = g.index_select(ctx.dim, idx) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


def _check_index(name, index):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")


def index_select(input, dim, index):
    """Rows (along ``dim``) picked by a 1-d ``index``.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).index_select(0, ember.tensor([1]))
        tensor([[3, 4]])
    """
    _check_index("index_select", index)
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    a = index._data.reshape(-1)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        return input.reshape(1).index_select(0, index).reshape(())
    return IndexSelect.apply(input, d, a.astype(np.int64, copy=False))


def index_add(input, dim, index, source, *, alpha=1):
    """Add ``alpha * source`` rows into a copy of ``input`` at ``index`` along ``dim``."""
    _check_index("index_add", index)
    d = wrap_dim(dim, input.ndim)
    if alpha != 1:
        source = source * alpha
    if source._data.dtype != input._data.dtype:
        source = source.to(input.dtype)
    return IndexAdd.apply(input, d, index._data.reshape(-1), source)


def index_fill(input, dim, index, value):
    """Fill the rows at ``index`` along ``dim`` with ``value``."""
    d = wrap_dim(dim, input.ndim)
    xp = xp_of(input._data)
    m = xp.zeros(input.shape[d], bool)
    m[index._data] = True
    shape = [1] * input.ndim
    shape[d] = input.shape[d]
    return masked_fill(input, _make(m.reshape(shape)), value)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is true, else ``input``.

    Example:
        >>> ember.zeros(3).masked_fill(ember.tensor([True, False, True]), 1.0)
        tensor([1., 0., 1.])
    """
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{getattr(mask, 'dtype', type(mask).__name__)}"
        )
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        v = value.to(input.dtype) if value._data.dtype != input._data.dtype else value
    else:
        v = _make(xp_of(input._data).asarray(value, dtype=input._data.dtype))
    r = where(mask, v, input)
    if r.shape != input.shape:
        raise RuntimeError(
            f"The size of the mask {list(mask.shape)} must be broadcastable to "
            f"the input {list(input.shape)}"
        )
    return r


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is true, as a 1-d tensor."""
    shape = np.broadcast_shapes(input.shape, mask.shape)
    return getitem(input.expand(shape), mask.expand(shape))


def masked_scatter(input, mask, source):
    """Copy ``source``'s leading elements into ``input`` where ``mask`` is true."""
    n = int(mask._data.sum())
    return index_put(input, (mask,), source.reshape(-1)[:n])


def take(input, index):
    """Elements of the flattened ``input`` at ``index``."""
    return getitem(input.reshape(-1), index)


def take_along_dim(input, indices, dim=None):
    """Gather along ``dim`` with broadcasting (flattened when ``dim`` is None)."""
    if dim is None:
        return take(input, indices.reshape(-1))
    shape = list(
        np.broadcast_shapes(
            input.shape[:dim] + (1,) + input.shape[dim + 1 :],
            indices.shape[:dim] + (1,) + indices.shape[dim + 1 :],
        )
    )
    s_in, s_idx = list(shape), list(shape)
    s_in[dim], s_idx[dim] = input.shape[dim], indices.shape[dim]
    return gather(input.expand(s_in), dim, indices.expand(s_idx))


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) tensor, or one 1-d tensor per dim.

    Example:
        >>> ember.tensor([0, 3, 0, 4]).nonzero()
        tensor([[1],
                [3]])
    """
    a = input._data
    xp = xp_of(a)
    if as_tuple:
        if a.ndim == 0:
            return (_make(xp.nonzero(a.reshape(1))[0].astype(np.int64)),)
        return tuple(_make(i.astype(np.int64)) for i in xp.nonzero(a))
    return _make(xp.argwhere(a).astype(np.int64))


def argwhere(input):
    """Same as ``nonzero(input)``."""
    return nonzero(input)


def _take_along(x, rows, cols):
    return getitem(x, (Ellipsis, _make(rows), _make(cols)))


def bincount(input, weights=None, minlength=0):
    """Count occurrences of each non-negative integer."""
    if input.ndim != 1 or input._data.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.numel() and int(input._data.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = xp_of(input._data)
    w = weights._data if weights is not None else None
    r = xp.bincount(input._data, weights=w, minlength=minlength)
    if weights is None:
        r = r.astype(np.int64)
    elif weights.dtype is D.float32:
        r = r.astype(np.float32)
    return _make(r)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (sorted), optionally with inverse indices and counts."""
    xp = xp_of(input._data)
    res = xp.unique(
        input._data if dim is None else input._data,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=dim,
    )
    if not (return_inverse or return_counts):
        return _make(res)
    out = [_make(res[0])]
    if return_inverse:
        out.append(_make(res[1].reshape(input.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(_make(res[-1].astype(np.int64)))
    return tuple(out)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None):
    """Indices where ``values`` would be inserted to keep the sequence sorted."""
    xp = xp_of(sorted_sequence._data)
    side = side or ("right" if right else "left")
    v = values._data if isinstance(values, Tensor) else xp.asarray(values)
    if sorted_sequence.ndim == 1:
        r = xp.searchsorted(sorted_sequence._data, v, side=side)
    else:
        flat_s = sorted_sequence._data.reshape(-1, sorted_sequence.shape[-1])
        flat_v = v.reshape(-1, v.shape[-1])
        r = xp.stack([xp.searchsorted(s, w, side=side) for s, w in zip(flat_s, flat_v)])
        r = r.reshape(v.shape)
    return _make(r.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Bucket index of each element for the sorted ``boundaries``."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    d = wrap_dim(dim, input.ndim)
    return getitem(input, (slice(None),) * d + (index,))


def _inplace(fn, name):
    from .elementwise import inplace

    return inplace(fn, name)


masked_fill_ = _inplace(masked_fill, "masked_fill_")
scatter_ = _inplace(scatter, "scatter_")
scatter_add_ = _inplace(scatter_add, "scatter_add_")
scatter_reduce_ = _inplace(scatter_reduce, "scatter_reduce_")
index_add_ = _inplace(index_add, "index_add_")
index_fill_ = _inplace(index_fill, "index_fill_")
masked_scatter_ = _inplace(masked_scatter, "masked_scatter_")
