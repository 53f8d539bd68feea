"""Shape ops: view/reshape, permute, expand, cat/stack, split, flip, roll, repeat ...

Ops that return views share memory (and the version counter) with their input, as in PyTorch.
"""

from __future__ import annotations

import builtins
import math

from ..autograd.function import Primitive
from ._util import Tensor, _make, dims_of, np, wrap_dim, xp_of


def _share(out: Tensor, base: Tensor) -> Tensor:
    """Make ``out`` a view of ``base`` for in-place bookkeeping (one version counter)."""
    if base._vc is None:
        base._vc = [0]
    out._vc = base._vc
    return out


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def infer_shape(shape, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape``; raise PyTorch's error if it does not fit ``numel``."""
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


class Reshape(Primitive):
    @staticmethod
    def forward(ctx, x, shape, strict):
        ctx.shape = x.shape
        if strict:
            try:
                return (
                    np.reshape(x, shape, copy=False)
                    if isinstance(x, np.ndarray)
                    else _view_reshape(x, shape)
                )
            except (ValueError, AttributeError):
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead."
                ) from None
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None, None


def _view_reshape(x, shape):
    v = x.view()
    v.shape = shape
    return v


def reshape(input, *shape):
    """The same elements in a new shape (a view when possible).

    Example:
        >>> ember.arange(6).reshape(2, -1).shape
        ember.Size([2, 3])
    """
    shape = infer_shape(_shape_arg(shape), input._data.size)
    if shape == input._data.shape:
        return alias(input)
    out = Reshape.apply(input, shape, False)
    if out._data.base is not None:
        _share(out, input)
    return out


def view(input, *shape):
    """A view with a new shape; fails where the strides do not allow one (use reshape).

    Example:
        >>> ember.zeros(4).view(2, 2).shape
        ember.Size([2, 2])
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from .. import _dtype as D

        dt = D.as_dtype(shape[0])
        if dt.itemsize != input._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported")
        return _share(_make(input._data.view(dt.np)), input)
    shape = infer_shape(_shape_arg(shape), input._data.size)
    return _share(Reshape.apply(input, shape, True), input)


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, other.shape)


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, other.shape)


class Alias(Primitive):
    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g


def alias(input):
    """A new tensor object viewing the same memory (keeps the graph)."""
    return _share(Alias.apply(input), input)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one.

    Example:
        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    if input.ndim == 0:
        return reshape(input, 1)
    s = wrap_dim(start_dim, input.ndim)
    e = wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input.shape
    return reshape(input, shp[:s] + (math.prod(shp[s : e + 1]),) + shp[e + 1 :])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes``."""
    d = wrap_dim(dim, input.ndim)
    sizes = tuple(sizes)
    n = input.shape[d]
    if -1 in sizes:
        sizes = infer_shape(sizes, n)
    elif math.prod(sizes) != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
            f"size of dim {dim} ({n}) in the input tensor"
        )
    return reshape(input, input.shape[:d] + sizes + input.shape[d + 1 :])


def squeeze(input, dim=None):
    """Remove dims of size 1 (only those in ``dim`` when given).

    Example:
        >>> ember.zeros(1, 3, 1).squeeze().shape
        ember.Size([3])
    """
    shp = input.shape
    if dim is None:
        dims = [i for i, s in enumerate(shp) if s == 1]
    else:
        dims = [d for d in dims_of(dim, input.ndim) if input.ndim and shp[d] == 1]
    new = tuple(s for i, s in enumerate(shp) if i not in dims)
    return reshape(input, new) if new != shp else alias(input)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at ``dim``.

    Example:
        >>> ember.zeros(3).unsqueeze(0).shape
        ember.Size([1, 3])
    """
    d = wrap_dim(dim, input.ndim + 1)
    shp = input.shape
    return reshape(input, shp[:d] + (1,) + shp[d:])


class Permute(Primitive):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.permute(*inv), None


def permute(input, *dims):
    """Reorder the dims (a view).

    Example:
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    dims = _shape_arg(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is "
            f"not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _share(Permute.apply(input, dims), input)


def transpose(input, dim0, dim1):
    """Swap two dims (a view).

    Example:
        >>> ember.zeros(2, 3).transpose(0, 1).shape
        ember.Size([3, 2])
    """
    n = input.ndim
    if n == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return alias(input)
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    p = list(range(n))
    p[d0], p[d1] = p[d1], p[d0]
    return permute(input, *p)


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else alias(input)


def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = input.ndim
    src = [wrap_dim(s, n) for s in src]
    dst = [wrap_dim(d, n) for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


moveaxis = movedim


class Expand(Primitive):
    @staticmethod
    def forward(ctx, x, shape):
        return xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums g back to the input's shape


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a dim).

    Example:
        >>> ember.zeros(3, 1).expand(3, 4).shape
        ember.Size([3, 4])
    """
    sizes = _shape_arg(sizes)
    shp = input.shape
    if len(sizes) < len(shp):
        raise RuntimeError(
            f"expand({input.type_name()}{{{list(shp)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shp)})"
        )
    lead = len(sizes) - len(shp)
    new = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a "
                    "leading, non-existing dimension 0"
                )
            new.append(s)
            continue
        cur = shp[i - lead]
        if s == -1:
            new.append(cur)
        elif cur == 1 or cur == s:
            new.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shp)}"
            )
    new = tuple(new)
    if new == shp:
        return alias(input)
    return _share(Expand.apply(input, new), input)


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, other.shape)


def broadcast_to(input, shape):
    """``input.expand(shape)``."""
    return expand(input, shape)


def broadcast_tensors(*tensors):
    """Expand tensors to their common broadcast shape."""
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The broadcast shape of ``shapes``."""
    from .._tensor import Size

    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError as e:
        raise RuntimeError(f"Shape mismatch: {e}") from None


class Contiguous(Primitive):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x).ascontiguousarray(x)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(input, memory_format=None):
    """A C-contiguous tensor with the same values (itself if already contiguous)."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


class Clone(Primitive):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def detach(input):
    """``input.detach()``: the same memory, cut off from the graph.

    Example:
        >>> ember.detach(ember.ones(2, requires_grad=True)).requires_grad
        False
    """
    return input.detach()


def clone(input, *, memory_format=None):
    """A copy that stays in the graph.

    Example:
        >>> ember.tensor([1.0]).clone()
        tensor([1.])
    """
    return Clone.apply(input)


class Cat(Primitive):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return xp_of(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out, start = [None], 0
        for i, n in enumerate(ctx.sizes):
            out.append(g.narrow(ctx.dim, start, n) if ctx.needs_input_grad[i + 1] else None)
            start += n
        return tuple(out)


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (types promoted, 1-d empty tensors skipped).

    Example:
        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])
    """
    from .. import _dtype as D

    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}"
            )
    keep = [t_ for t_ in tensors if not (t_.ndim == 1 and t_.shape[0] == 0)]
    if not keep:
        return tensors[0].clone()
    ref = keep[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim)
    for i, t_ in enumerate(keep):
        if t_.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t_.ndim}"
            )
        for k in range(ref.ndim):
            if k != d and t_.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t_.shape[k]} for tensor number {i} in the "
                    "list."
                )
    dt = keep[0].dtype
    for t_ in keep[1:]:
        dt = D.promote_types(dt, t_.dtype)
    keep = [t_ if t_.dtype is dt else t_.to(dt) for t_ in keep]
    r = Cat.apply(d, *keep)
    if out is not None:
        from .elementwise import _out

        return _out(r, out)
    return r


concat = concatenate = cat


class Stack(Primitive):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return xp_of(xs[0]).stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad[1:]
        return (None,) + tuple(g.select(ctx.dim, i) if n else None for i, n in enumerate(need))


def stack(tensors, dim=0, *, out=None):
    """Join tensors along a new dim (types promoted).

    Example:
        >>> ember.stack([ember.zeros(3), ember.ones(3)]).shape
        ember.Size([2, 3])
    """
    from .. import _dtype as D

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}"
            )
    shp = tensors[0].shape
    dt = tensors[0].dtype
    for i, t_ in enumerate(tensors):
        if t_.shape != shp:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shp)} at entry 0 "
                f"and {list(t_.shape)} at entry {i}"
            )
        if t_.dtype is not dt:
            dt = D.promote_types(dt, t_.dtype)
    d = wrap_dim(dim, len(shp) + 1)
    r = Stack.apply(d, *[t_ if t_.dtype is dt else t_.to(dt) for t_ in tensors])
    if out is not None:
        from .elementwise import _out

        return _out(r, out)
    return r


def hstack(tensors):
    """Stack horizontally (along dim 1, or 0 for 1-d tensors)."""
    tensors = [atleast_1d(t_) for t_ in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Stack vertically (rows)."""
    return cat([atleast_2d(t_) for t_ in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Stack along the third dim."""
    return cat([atleast_3d(t_) for t_ in tensors], 2)


def column_stack(tensors):
    """Stack 1-d tensors as columns."""
    return hstack([t_.reshape(-1, 1) if t_.ndim <= 1 else t_ for t_ in tensors])


def atleast_1d(t_):
    """View with at least one dim."""
    return t_.reshape(1) if t_.ndim == 0 else t_


def atleast_2d(t_):
    """View with at least two dims."""
    return t_.reshape(1, -1) if t_.ndim < 2 else t_


def atleast_3d(t_):
    """View with at least three dims."""
    if t_.ndim == 0:
        return t_.reshape(1, 1, 1)
    if t_.ndim == 1:
        return t_.reshape(1, -1, 1)
    if t_.ndim == 2:
        return t_.unsqueeze(-1)
    return t_


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` of dim ``dim`` (a view).

    Example:
        >>> ember.arange(5).narrow(0, 1, 2)
        tensor([1, 2])
    """
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return input[idx]


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (or the given section sizes) along ``dim``.

    Example:
        >>> [c.shape[0] for c in ember.arange(5).split(2)]
        [2, 2, 1]
    """
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and n:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        sizes = [builtins.min(s, n - i) for i in range(0, n, s)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for k in sizes:
        out.append(narrow(tensor, d, start, k))
        start += k
    return tuple(out)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``n`` nearly equal parts, or at the given indices."""
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections]
        bounds.append(n)
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    return split(input, sizes, d)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (the last may be smaller).

    Example:
        >>> len(ember.arange(6).chunk(4))
        3
    """
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    size = -(-n // chunks) if n else 0
    return split(input, size if size else 1, d) if n else (input,)


def unbind(input, dim=0):
    """Remove ``dim``, returning the slices along it.

    Example:
        >>> len(ember.zeros(3, 2).unbind(0))
        3
    """
    d = wrap_dim(dim, input.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.shape[d]))


class Flip(Primitive):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp_of(x).flip(x, dims)

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.dims), None


def flip(input, dims):
    """Reverse the order along ``dims`` (a copy, as in PyTorch).

    Example:
        >>> ember.flip(ember.tensor([1, 2, 3]), (0,))
        tensor([3, 2, 1])
    """
    if not isinstance(dims, (tuple, list)):
        raise TypeError(
            f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}"
        )
    d = dims_of(dims, input.ndim)
    if len(d) != len(dims) and input.ndim:
        raise RuntimeError(f"dims has duplicates, original flip dims size={len(dims)}")
    return Flip.apply(input, d)


def flip_method(self, *dims):
    """``x.flip(0, 1)`` or ``x.flip((0, 1))``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return flip(self, tuple(dims))


def fliplr(input):
    """Flip left-right (dim 1)."""
    return flip(input, (1,))


def flipud(input):
    """Flip up-down (dim 0)."""
    return flip(input, (0,))


class Roll(Primitive):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return roll(g, neg, ctx.dims), None, None


def roll(input, shifts, dims=None):
    """Rotate elements along ``dims`` by ``shifts`` (flattened when ``dims`` is None).

    Example:
        >>> ember.tensor([1, 2, 3]).roll(1)
        tensor([3, 1, 2])
    """
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    if isinstance(shifts, int):
        shifts = (shifts,)
    if isinstance(dims, int):
        dims = (dims,)
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    return Roll.apply(input, tuple(shifts), dims)


class Repeat(Primitive):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        return xp_of(x).tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        # view g as (r0, s0, r1, s1, ...) and sum the repeat axes away
        shp = ctx.shape
        inter = []
        for r, s in zip(g.shape, shp):
            inter += [r // s if s else 0, s]
        return g.reshape(inter).sum(tuple(range(0, len(inter), 2))), None


def repeat(input, *sizes):
    """Tile the tensor ``sizes`` times along each dim.

    Example:
        >>> ember.tensor([1, 2]).repeat(2)
        tensor([1, 2, 1, 2])
    """
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number "
            "of dimensions of tensor"
        )
    x = input.reshape((1,) * (len(sizes) - input.ndim) + tuple(input.shape))
    return Repeat.apply(x, sizes)


def tile(input, dims):
    """Like repeat, padding ``dims`` with ones on the left when it is shorter."""
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (along ``dim``, or of the flattened tensor)."""
    from .index import index_select

    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    xp = xp_of(input._data)
    reps = repeats._data if isinstance(repeats, Tensor) else xp.full(n, int(repeats))
    idx = xp.repeat(xp.arange(n), reps)
    return index_select(input, d, _make(idx.astype(np.int64)))


def tril(input, diagonal=0):
    """Lower triangle of the last two dims (the rest zeroed)."""
    xp = xp_of(input._data)
    m = xp.tril(xp.ones(input.shape[-2:], dtype=bool), diagonal)
    return input.masked_fill(_make(~m), 0)


def triu(input, diagonal=0):
    """Upper triangle of the last two dims (the rest zeroed)."""
    xp = xp_of(input._data)
    m = xp.triu(xp.ones(input.shape[-2:], dtype=bool), diagonal)
    return input.masked_fill(_make(~m), 0)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims ``dim1``/``dim2`` as the last dim."""
    from .index import _take_along

    n1, n2 = input.shape[dim1], input.shape[dim2]
    xp = xp_of(input._data)
    i = xp.arange(
        builtins.max(0, builtins.min(n1 - builtins.max(-offset, 0), n2 - builtins.max(offset, 0)))
    )
    rows, cols = i + builtins.max(-offset, 0), i + builtins.max(offset, 0)
    x = movedim(input, (dim1, dim2), (-2, -1))
    return _take_along(x, rows, cols)


def diag(input, diagonal=0):
    """Diagonal of a matrix, or a square matrix with a vector on its ``diagonal``."""
    if input.ndim == 1:
        from .index import index_put

        k = builtins.abs(diagonal)
        n = input.shape[0] + k
        xp = xp_of(input._data)
        i = xp.arange(input.shape[0])
        rows, cols = (i, i + k) if diagonal >= 0 else (i + k, i)
        return index_put(input.new_zeros((n, n)), (_make(rows), _make(cols)), input)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return globals()["diagonal"](input, diagonal)


def trace(input):
    """Sum of the main diagonal of a matrix."""
    return diagonal(input).sum()
