"""Pooling, padding and resampling: max/avg/adaptive/lp pooling, unpooling, pad, interpolate,
pixel_shuffle.

NOTE [pooling kernels]
A pooling window is never materialised: for each of the k1*k2*... kernel taps, the padded input
seen at that tap for every output position is one basic strided slice of the input, so pooling
is a short Python loop over taps of whole-array NumPy operations. Max pooling keeps the winning
tap (an int8 per output element) rather than an index tensor; the gradient is routed with one
masked copy per tap, and PyTorch's flat indices are computed only when return_indices asks.
The linear poolings (average) and their gradients are each other's adjoints, as are the
max-pool gradient scatter and gather, so double backward stays inside these primitives.
Adaptive average pooling, interpolation and padding are composites of matmul / index_select.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings

from ..autograd.function import Primitive
from ._util import Tensor, _make, np, xp_of

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "pad",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
]

# -- geometry --------------------------------------------------------------------------------


def _tuple(v, nd: int, name: str, what: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        word = {1: "one int", 2: "a tuple of two ints", 3: "a tuple of three ints"}[nd]
        raise RuntimeError(f"{name}: {what} must either be a single int, or {word}")
    return v


class _PGeom:
    """Pooling geometry: kernel, stride, dilation, left pad, input and output spatial sizes.

    ``B`` is the extent of the padded buffer actually read: the input plus the left padding
    plus whatever right padding (or ceil-mode overhang) some window reaches.
    """

    __slots__ = ("k", "s", "d", "p", "S", "Lo", "B")

    def __init__(self, k, s, d, p, S, Lo):
        self.k, self.s, self.d, self.p, self.S, self.Lo = k, s, d, p, tuple(S), tuple(Lo)
        need = [(kk - 1) * dd + ss * (lo - 1) + 1 for kk, dd, ss, lo in zip(k, d, s, Lo)]
        self.B = tuple(max(n + pp, m) for n, pp, m in zip(S, p, need))

    @property
    def padded(self) -> bool:
        return self.B != self.S or any(self.p)

    @property
    def overlap(self) -> bool:
        return any(ss < (kk - 1) * dd + 1 for kk, dd, ss in zip(self.k, self.d, self.s))

    def taps(self):
        """One tuple of slices per kernel tap: the padded input under that tap, per output."""
        ranges = [
            [slice(q * dd, q * dd + ss * (lo - 1) + 1, ss) for q in range(kk)]
            for kk, dd, ss, lo in zip(self.k, self.d, self.s, self.Lo)
        ]
        return [(Ellipsis,) + t for t in itertools.product(*ranges)]

    def interior(self):
        return (Ellipsis,) + tuple(slice(pp, pp + n) for pp, n in zip(self.p, self.S))


def _pool_out(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geom(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd - 1 :]):
        raise RuntimeError(
            f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input"
        )
    k = _tuple(kernel_size, nd, name, "kernel_size")
    s = (
        k
        if stride is None or (not isinstance(stride, numbers.Number) and len(stride) == 0)
        else _tuple(stride, nd, name, "stride")
    )
    p = _tuple(padding, nd, name, "padding")
    d = _tuple(dilation, nd, name, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel_size must be greater than zero, but got kernel_size={k}")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got "
                f"pad={pp}, kernel_size={kk} and dilation={dd}"
            )
    S = tuple(input.shape[-nd:])
    Lo = tuple(_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(S, k, s, p, d))
    if any(v <= 0 for v in Lo):
        C = input.shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (C,) + S))}). Calculated "
            f"output size: ({'x'.join(map(str, (C,) + Lo))}). Output size is too "
            "small"
        )
    return _PGeom(k, s, d, p, S, Lo)


def _pad_to(x, g: _PGeom, fill):
    """``x`` inside a buffer of extent ``g.B`` filled with ``fill``."""
    if not g.padded:
        return x
    xp = xp_of(x)
    buf = xp.full(x.shape[: -len(g.S)] + g.B, fill, x.dtype)
    buf[g.interior()] = x
    return buf


def _crop(buf, g: _PGeom):
    if not g.padded:
        return buf
    return xp_of(buf).ascontiguousarray(buf[g.interior()])


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _batched(input, nd):
    """(input with a batch dim, whether one was added)."""
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _dim_taps(g: _PGeom, i: int, ndim: int):
    """Slices along spatial dim ``i`` (of an ``ndim``-d array) for each of its taps."""
    ax = ndim - len(g.k) + i
    out = []
    for q in range(g.k[i]):
        key = [slice(None)] * ndim
        key[ax] = slice(q * g.d[i], q * g.d[i] + g.s[i] * (g.Lo[i] - 1) + 1, g.s[i])
        out.append(tuple(key))
    return out


# -- max pooling -----------------------------------------------------------------------------


def _tap_dtype(g: _PGeom):
    return np.int8 if math.prod(g.k) < 128 else np.int32


# Planes (one image channel each) per chunk on the CPU: the separable passes over a chunk
# stay in cache (forward 11 -> 6.5 ms for the MNIST net's pool; running chunks on a thread pool
# measured no faster on top of that).
_ROW_CHUNK_BYTES = 1 << 20


def _rows_step(xp, rows: int, row_bytes: int):
    """Planes per chunk on the CPU, or None to process everything at once."""
    if xp is not np:
        return None
    step = max(1, _ROW_CHUNK_BYTES // max(row_bytes, 1))
    return step if step < rows else None


def _max_forward(x, g: _PGeom, want_tap: bool):
    """_max_planes over chunks of planes (see _ROW_CHUNK_BYTES)."""
    xp = xp_of(x)
    nd = len(g.k)
    lead = x.shape[:-nd]
    R = math.prod(lead)
    step = _rows_step(xp, R, math.prod(x.shape[-nd:]) * x.itemsize)
    if step is None:
        return _max_planes(x, g, want_tap)
    xr = x.reshape((R,) + x.shape[-nd:])
    m = xp.empty((R,) + g.Lo, x.dtype)
    tap = xp.empty((R,) + g.Lo, _tap_dtype(g)) if want_tap else None

    def chunk(r0):
        mm, tt = _max_planes(xr[r0 : r0 + step], g, want_tap)
        m[r0 : r0 + step] = mm
        if want_tap:
            tap[r0 : r0 + step] = tt

    for r0 in range(0, R, step):
        chunk(r0)
    return m.reshape(lead + g.Lo), (tap.reshape(lead + g.Lo) if want_tap else None)


def _max_planes(x, g: _PGeom, want_tap: bool):
    """(max over each window, index of the winning tap or None).

    The max over a box is separable: reduce the last dim over its taps, then the one before,
    and so on. Each pass reads its input once (where one pass per tap of the whole window
    would read it k1*k2 times), and the winning tap is carried along as
    q_i * prod(k[i+1:]) + (tap within the dims already reduced).
    """
    xp = xp_of(x)
    a = _pad_to(x, g, _lowest(x.dtype))
    nd = len(g.k)
    dt = np.dtype(_tap_dtype(g)).type
    tap, step, owned = None, 1, False
    # np.where / np.maximum into fresh arrays: measured 2-3x faster than masked np.copyto.
    for i in reversed(range(nd)):
        keys = _dim_taps(g, i, a.ndim)
        m = a[keys[0]]
        t = tap[keys[0]] if tap is not None else None
        for q in range(1, g.k[i]):
            v = a[keys[q]]
            if want_tap:
                upd = xp.greater(v, m)
                if t is None:
                    t = upd.astype(dt)
                else:
                    t = xp.where(
                        upd, dt(q * step) if tap is None else tap[keys[q]] + dt(q * step), t
                    )
            m = xp.maximum(m, v) if q == 1 else xp.maximum(m, v, out=m)
            owned = True
        if want_tap and t is None:
            t = xp.zeros(m.shape, dt)
        a, tap, step = m, t, step * g.k[i]
    if not owned:
        a = a.copy()
    if want_tap and a.dtype.kind == "f" and bool(xp.isnan(a).any()):
        # PyTorch takes a NaN (the last in the window) as the maximum: redo those windows.
        xpad = _pad_to(x, g, _lowest(x.dtype))
        for q, key in enumerate(g.taps()):
            xp.copyto(tap, q, where=xp.isnan(xpad[key]))
    return a, tap


def _flat_indices(tap, g: _PGeom):
    """PyTorch's indices: each winner's flat position in its (unpadded) input plane."""
    xp = xp_of(tap)
    nd = len(g.k)
    t = tap.astype(np.int64)
    flat = xp.zeros(tap.shape, np.int64)
    inner = 1
    for i in reversed(range(nd)):
        q = t % g.k[i]
        t //= g.k[i]
        o = xp.arange(g.Lo[i], dtype=np.int64).reshape((-1,) + (1,) * (nd - 1 - i))
        flat += (o * g.s[i] - g.p[i] + q * g.d[i]) * inner
        inner *= g.S[i]
    return flat


class _MaxPool(Primitive):
    @staticmethod
    def forward(ctx, x, g, want_indices):
        want_tap = ctx.needs_input_grad[0] or want_indices
        m, tap = _max_forward(x, g, want_tap)
        ctx.g, ctx.tap = g, tap
        if want_indices:
            idx = _flat_indices(tap, g)
            ctx.mark_non_differentiable(idx)
            return m, idx
        return m

    @staticmethod
    def backward(ctx, gy, *_):
        return _MaxScatter.apply(gy, ctx.tap, ctx.g), None, None


class _MaxScatter(Primitive):
    """Route each output gradient to its window's winning input (max pooling's gradient)."""

    @staticmethod
    def forward(ctx, gy, tap, g):
        ctx.tap, ctx.g = tap, g
        xp = xp_of(gy)
        nd = len(g.k)
        lead = gy.shape[:-nd]
        R = math.prod(lead)
        gx = xp.zeros(lead + g.B, gy.dtype)
        # Multiplying by the 0/1 mask is 3x faster than np.copyto(..., where=hit) (measured),
        # and exact unless a gradient is inf/nan (inf * 0 would leak nan to the losers).
        finite = gy.dtype.kind != "f" or bool(xp.isfinite(gy).all())
        gxr = gx.reshape((R,) + g.B)
        gyr, tr = gy.reshape((R,) + g.Lo), tap.reshape((R,) + g.Lo)
        step = _rows_step(xp, R, math.prod(g.B) * gy.itemsize) or R

        def chunk(r0):
            dst, src, t = gxr[r0 : r0 + step], gyr[r0 : r0 + step], tr[r0 : r0 + step]
            for q, sl in enumerate(g.taps()):
                hit = t == q
                if g.overlap:
                    dst[sl] += src * hit if finite else xp.where(hit, src, 0)
                elif finite:
                    xp.multiply(src, hit, out=dst[sl])
                else:
                    dst[sl] = xp.where(hit, src, 0)

        for r0 in range(0, R, step):
            chunk(r0)
        return _crop(gx, g)

    @staticmethod
    def backward(ctx, gg):
        return _MaxGather.apply(gg, ctx.tap, ctx.g), None, None


class _MaxGather(Primitive):
    """Each window's value at its winning tap (the adjoint of _MaxScatter)."""

    @staticmethod
    def forward(ctx, x, tap, g):
        ctx.tap, ctx.g = tap, g
        xp = xp_of(x)
        xpad = _pad_to(x, g, 0)
        out = xp.zeros(tap.shape, x.dtype)
        for q, sl in enumerate(g.taps()):
            out += xp.where(tap == q, xpad[sl], 0)
        return out

    @staticmethod
    def backward(ctx, gy):
        return _MaxScatter.apply(gy, ctx.tap, ctx.g), None, None


def _max_poolnd(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    g = _pool_geom(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    x, unb = _batched(input, nd)
    out = _MaxPool.apply(x, g, bool(return_indices))
    if return_indices:
        o, i = out
        return (o.squeeze(0), i.squeeze(0)) if unb else (o, i)
    return out.squeeze(0) if unb else out


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling over (N, C, L) or (C, L) input.

    Example:
        >>> ember.nn.functional.max_pool1d(ember.arange(6.).view(1, 1, 6), 2)
        tensor([[[1., 3., 5.]]])
    """
    return _max_poolnd(
        1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input; ``stride`` defaults to the kernel.

    With ``return_indices`` also returns each maximum's flat index in its H*W input plane.

    Example:
        >>> ember.nn.functional.max_pool2d(ember.arange(16.).view(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return _max_poolnd(
        2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input.

    Example:
        >>> ember.nn.functional.max_pool3d(ember.ones(1, 1, 4, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _max_poolnd(
        3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool1d that always returns (output, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool2d that always returns (output, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool3d that always returns (output, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# -- average pooling -------------------------------------------------------------------------


def _avg_scale(g: _PGeom, count_include_pad, divisor_override, dtype, xp):
    """1 / divisor per output position (broadcastable over the output)."""
    if divisor_override is not None:
        return 1.0 / divisor_override
    nd = len(g.k)
    scale = None
    for i in range(nd):
        start = np.arange(g.Lo[i]) * g.s[i] - g.p[i]
        end = np.minimum(start + g.k[i], g.S[i] + g.p[i])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, g.S[i])
        cnt = (end - start).reshape((-1,) + (1,) * (nd - 1 - i))
        scale = cnt if scale is None else scale * cnt
    if bool((scale == scale.flat[0]).all()):
        return 1.0 / float(scale.flat[0])
    return xp.asarray((1.0 / scale).astype(dtype))


class _WindowMean(Primitive):
    """Sum over each window times ``scale`` (1/divisor): average pooling, one dim at a time."""

    @staticmethod
    def forward(ctx, x, g, scale):
        ctx.g, ctx.scale = g, scale
        xp = xp_of(x)
        a = _pad_to(x, g, 0)
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        for i in reversed(range(len(g.k))):
            keys = _dim_taps(g, i, a.ndim)
            acc = a[keys[0]].copy()
            for key in keys[1:]:
                acc += a[key]
            a = acc
        a *= scale
        if x.dtype.kind != "f":
            a = xp.trunc(a).astype(x.dtype)
        return a

    @staticmethod
    def backward(ctx, gy):
        return _WindowMeanT.apply(gy, ctx.g, ctx.scale), None, None


class _WindowMeanT(Primitive):
    """The adjoint of _WindowMean: spread each output's gradient over its window."""

    @staticmethod
    def forward(ctx, gy, g, scale):
        ctx.g, ctx.scale = g, scale
        xp = xp_of(gy)
        b = gy * scale
        if b.dtype != gy.dtype:
            b = b.astype(gy.dtype)
        nd = len(g.k)
        for i in range(nd):
            shape = list(b.shape)
            shape[b.ndim - nd + i] = g.B[i]
            out = xp.zeros(shape, gy.dtype)
            for key in _dim_taps(g, i, b.ndim):
                out[key] += b
            b = out
        return _crop(b, g)

    @staticmethod
    def backward(ctx, gg):
        return _WindowMean.apply(gg, ctx.g, ctx.scale), None, None


def _avg_poolnd(
    nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    g = _pool_geom(name, nd, input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x, unb = _batched(input, nd)
    dt = x._data.dtype if x._data.dtype.kind == "f" else np.dtype(np.float64)
    scale = _avg_scale(g, count_include_pad, divisor_override, dt, xp_of(x._data))
    out = _WindowMean.apply(x, g, scale)
    return out.squeeze(0) if unb else out


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L) input.

    Example:
        >>> ember.nn.functional.avg_pool1d(ember.arange(4.).view(1, 1, 4), 2)
        tensor([[[0.5000, 2.5000]]])
    """
    return _avg_poolnd(
        1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling; ``count_include_pad`` counts zero padding in the divisor.

    Example:
        >>> ember.nn.functional.avg_pool2d(ember.ones(1, 1, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2])
    """
    return _avg_poolnd(
        2,
        "avg_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-D average pooling.

    Example:
        >>> ember.nn.functional.avg_pool3d(ember.ones(1, 1, 4, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _avg_poolnd(
        3,
        "avg_pool3d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _lp_pool(nd, avg, input, norm_type, kernel_size, stride, ceil_mode):
    k = _tuple(kernel_size, nd, f"lp_pool{nd}d", "kernel_size")
    if stride is not None:
        out = avg(input.pow(norm_type), k, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), k, padding=0, ceil_mode=ceil_mode)
    # PyTorch's formula (sign * relu(abs)): the same value, and gradient 0 where the mean is 0.
    return (out.sign() * out.abs()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """1-D power-average pooling: (sum over the window of x**p) ** (1/p).

    Example:
        >>> ember.nn.functional.lp_pool1d(ember.ones(1, 1, 4), 2, 2)
        tensor([[[1.4142, 1.4142]]])
    """
    return _lp_pool(1, avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """2-D power-average pooling: (sum over the window of x**p) ** (1/p).

    Example:
        >>> ember.nn.functional.lp_pool2d(ember.ones(1, 1, 2, 2), 2, 2)
        tensor([[[[2.]]]])
    """
    return _lp_pool(2, avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode)


# -- adaptive pooling ------------------------------------------------------------------------


def _adaptive_sizes(name, nd, input, output_size):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input.shape)}"
        )
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    S = tuple(input.shape[-nd:])
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, S))
    if any(o < 0 for o in out):
        raise RuntimeError(
            f"{name}: elements of output_size must be greater than or equal to "
            f"0 but received {list(out)}"
        )
    for i, n in enumerate(input.shape[1 if input.ndim == nd + 2 else 0 :]):
        if n == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {list(input.shape)} with "
                f"dimension {i + input.ndim - nd - 1} being empty"
            )
    return S, out


def _bins(n: int, m: int):
    """PyTorch's adaptive bins: [floor(i*n/m), ceil((i+1)*n/m)) for i < m."""
    i = np.arange(m)
    return (i * n) // m, -((-(i + 1) * n) // m)


def _adaptive_avg(nd, name, input, output_size):
    S, Lo = _adaptive_sizes(name, nd, input, output_size)
    if all(o == 1 for o in Lo) and input.numel():
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    if all(o and n % o == 0 for n, o in zip(S, Lo)):
        k = tuple(n // o for n, o in zip(S, Lo))
        x, unb = _batched(input, nd)
        g = _PGeom(k, k, (1,) * nd, (0,) * nd, S, Lo)
        out = _WindowMean.apply(x, g, 1.0 / math.prod(k))
        return out.squeeze(0) if unb else out
    # Uneven bins: one (out x in) averaging matrix per dim; matmul keeps it differentiable.
    xp = xp_of(input._data)
    out = input
    for i in range(nd):
        n, m = S[i], Lo[i]
        start, end = _bins(n, m)
        A = np.zeros((m, n), input._data.dtype)
        for r in range(m):  # m rows of a small matrix, not a loop over elements
            A[r, start[r] : end[r]] = 1.0 / (end[r] - start[r])
        At = _make(xp.asarray(A.T.copy()))
        dim = input.ndim - nd + i
        out = (out.transpose(dim, -1) @ At).transpose(dim, -1)
    return out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-D average pooling to a fixed output length (PyTorch's bins).

    Example:
        >>> ember.nn.functional.adaptive_avg_pool1d(ember.arange(4.).view(1, 1, 4), 2)
        tensor([[[0.5000, 2.5000]]])
    """
    return _adaptive_avg(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """2-D average pooling to a fixed output size; ``None`` keeps that input size.

    Example:
        >>> ember.nn.functional.adaptive_avg_pool2d(ember.ones(1, 3, 7, 5), (2, None)).shape
        ember.Size([1, 3, 2, 5])
    """
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """3-D average pooling to a fixed output size.

    Example:
        >>> ember.nn.functional.adaptive_avg_pool3d(ember.ones(1, 1, 4, 4, 4), 1).shape
        ember.Size([1, 1, 1, 1, 1])
    """
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max(nd, name, input, output_size, return_indices):
    S, Lo = _adaptive_sizes(name, nd, input, output_size)
    if all(o and n % o == 0 for n, o in zip(S, Lo)):
        k = tuple(n // o for n, o in zip(S, Lo))
        return _max_poolnd(nd, name, input, k, k, 0, 1, False, return_indices)
    # Uneven bins: gather each bin padded to the longest one by repeating its last element
    # (a repeat never changes the max, and argmax keeps the first occurrence).
    xp = xp_of(input._data)
    x, unb = _batched(input, nd)
    lead = x.shape[:2]
    idx = []
    for i in range(nd):
        start, end = _bins(S[i], Lo[i])
        kmax = int((end - start).max()) if Lo[i] else 1
        r = np.minimum(start[:, None] + np.arange(kmax)[None, :], (end - 1)[:, None])
        shape = [1] * (2 * nd)
        shape[2 * i], shape[2 * i + 1] = r.shape
        idx.append(xp.asarray(r.reshape(shape)))
    win = x._data[(Ellipsis, *idx)]  # (N, C, Lo1, k1, Lo2, k2, ...)
    perm = (0, 1) + tuple(2 + 2 * i for i in range(nd)) + tuple(3 + 2 * i for i in range(nd))
    win = win.transpose(perm)
    ks = win.shape[2 + nd :]
    loc = win.reshape(win.shape[: 2 + nd] + (-1,)).argmax(-1)
    flat = xp.zeros(loc.shape, np.int64)
    for i in range(nd):
        qi = (loc // math.prod(ks[i + 1 :])) % ks[i]
        grid = idx[i].reshape(Lo[i], ks[i])
        oi = xp.arange(Lo[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        flat = flat * S[i] + grid[oi, qi]
    index = _make(flat)
    out = x.flatten(2).gather(2, index.flatten(2)).reshape(lead + Lo)
    if unb:
        out, index = out.squeeze(0), index.squeeze(0)
    return (out, index) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """1-D max pooling to a fixed output length.

    Example:
        >>> ember.nn.functional.adaptive_max_pool1d(ember.arange(5.).view(1, 1, 5), 2)
        tensor([[[2., 4.]]])
    """
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """2-D max pooling to a fixed output size (with flat indices when asked).

    Example:
        >>> ember.nn.functional.adaptive_max_pool2d(ember.ones(1, 1, 5, 7), 3).shape
        ember.Size([1, 1, 3, 3])
    """
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """3-D max pooling to a fixed output size.

    Example:
        >>> ember.nn.functional.adaptive_max_pool3d(ember.ones(1, 1, 4, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d that always returns (output, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d that always returns (output, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool3d that always returns (output, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


# -- unpooling -------------------------------------------------------------------------------


def _max_unpoolnd(nd, name, input, indices, kernel_size, stride, padding, output_size):
    k = _tuple(kernel_size, nd, name, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, name, "stride")
    p = _tuple(padding, nd, name, "padding")
    if input.shape != indices.shape:
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: "
            f"{list(indices.shape)}"
        )
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}: Expected {nd + 1}D or {nd + 2}D input, but got {list(input.shape)}"
        )
    L = tuple(input.shape[-nd:])
    default = tuple((n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(L, s, p, k))
    if output_size is None:
        out_sz = default
    else:
        out_sz = tuple(int(v) for v in output_size)
        if len(out_sz) == nd + 2 or len(out_sz) == nd + 1:
            out_sz = out_sz[-nd:]
        if len(out_sz) != nd:
            raise ValueError(
                f"output_size should be a sequence containing {nd} or {nd + 2} "
                f"elements, but it has a length of '{len(out_sz)}'"
            )
        for i, (v, dflt, ss) in enumerate(zip(out_sz, default, s)):
            if v < dflt - ss or v > dflt + ss:
                raise ValueError(
                    f'invalid output_size "{tuple(out_sz)}" (dim {i} must be '
                    f"between {dflt - ss} and {dflt + ss})"
                )
    x, unb = _batched(input, nd)
    idx, _ = _batched(indices, nd)
    plane = math.prod(out_sz)
    ia = idx._data
    if ia.size:
        lo, hi = int(ia.min()), int(ia.max())
        if lo < 0 or hi >= plane:
            bad = lo if lo < 0 else hi
            raise RuntimeError(
                f"Found an invalid max index: {bad} (output volumes are of size "
                f"{'x'.join(map(str, out_sz))}"
            )
    from . import creation

    base = creation.zeros(x.shape[:2] + (plane,), dtype=x.dtype, device=x.device)
    out = base.scatter(2, idx.flatten(2), x.flatten(2)).reshape(x.shape[:2] + out_sz)
    return out.squeeze(0) if unb else out


def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Partial inverse of max_pool1d: put each value back at its index, zeros elsewhere.

    Example:
        >>> F = ember.nn.functional
        >>> o, i = F.max_pool1d(ember.arange(4.).view(1, 1, 4), 2, return_indices=True)
        >>> F.max_unpool1d(o, i, 2)
        tensor([[[0., 1., 0., 3.]]])
    """
    return _max_unpoolnd(
        1, "max_unpool1d", input, indices, kernel_size, stride, padding, output_size
    )


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Partial inverse of max_pool2d (given its indices).

    Example:
        >>> F = ember.nn.functional
        >>> o, i = F.max_pool2d(ember.ones(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(o, i, 2).shape
        ember.Size([1, 1, 4, 4])
    """
    return _max_unpoolnd(
        2, "max_unpool2d", input, indices, kernel_size, stride, padding, output_size
    )


def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Partial inverse of max_pool3d (given its indices).

    Example:
        >>> F = ember.nn.functional
        >>> o, i = F.max_pool3d(ember.ones(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(o, i, 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _max_unpoolnd(
        3, "max_unpool3d", input, indices, kernel_size, stride, padding, output_size
    )


# -- padding ---------------------------------------------------------------------------------


class _ConstantPad(Primitive):
    @staticmethod
    def forward(ctx, x, pads, value):
        """``pads``: one (lo, hi) per dim of x, possibly negative (cropping)."""
        ctx.pads = pads
        xp = xp_of(x)
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads))
        out = xp.full(shape, value, x.dtype) if value != 0 else xp.zeros(shape, x.dtype)
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
        dst = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(shape, pads))
        if all(s.stop > s.start for s in src):
            out[dst] = x[src]
        return out

    @staticmethod
    def backward(ctx, g):
        return _ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None


def _pad_index(n, lo, hi, mode, dim, shape, plen):
    """Source index (into a length-n dim) of every padded position."""
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                f"{dim} of input {list(shape)}"
            )
        period = 2 * (n - 1) if n > 1 else 1
        j = np.abs(j) % period if n > 1 else j * 0
        return np.where(j >= n, period - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular: crop first, then wrap around what is left (as PyTorch does)
    a, b = max(-lo, 0), n - max(-hi, 0)
    m = b - a
    if max(lo, 0) > m or max(hi, 0) > m:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return a + (np.arange(-max(lo, 0), m + max(hi, 0)) % m)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative values, crop) the last dims; ``pad`` lists (left, right) pairs
    starting from the last dim.

    Modes: 'constant' (any dims, fill ``value``), 'reflect', 'replicate' and 'circular'
    (the last 1-3 dims of a batched or unbatched input).

    Example:
        >>> ember.nn.functional.pad(ember.ones(1, 2), (1, 2))
        tensor([[0., 1., 1., 0., 0.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    npair = len(pad) // 2
    if npair > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension "
            f"{input.ndim}"
        )
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(npair)][::-1]  # first padded dim first
    if mode == "constant":
        pads = ((0, 0),) * (input.ndim - npair) + tuple(pairs)
        v = 0 if value is None else value
        if any(n + lo + hi < 0 for n, (lo, hi) in zip(input.shape, pads)):
            raise RuntimeError("narrow(): length must be non-negative.")
        if input._data.dtype.kind in "iub" and isinstance(v, float):
            v = int(v)
        return _ConstantPad.apply(input, pads, v)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (1 <= npair <= 3 and input.ndim in (npair + 1, npair + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor."
        )
    out = input
    xp = xp_of(input._data)
    for i, (lo, hi) in enumerate(pairs):
        dim = input.ndim - npair + i
        n = input.shape[dim]
        if mode != "circular" and n + lo + hi < 0:
            raise RuntimeError(f"input (W: {n}) is too small. Calculated output W: {n + lo + hi}")
        idx = _pad_index(n, lo, hi, mode, dim, input.shape, len(pad))
        out = out.index_select(dim, _make(xp.asarray(idx.astype(np.int64))))
    return out


# -- resampling ------------------------------------------------------------------------------

_INTERP = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_ND = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _src_scale(n_in, n_out, align_corners, scale, f32=np.float32):
    """PyTorch's area_pixel_compute_scale, in the precision its CPU kernels use."""
    if align_corners:
        return f32(n_in - 1) / f32(n_out - 1) if n_out > 1 else f32(0)
    if scale is not None and scale > 0:
        return f32(1.0 / scale)
    return f32(n_in) / f32(n_out)


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input by ``size`` or ``scale_factor``.

    Modes: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' (4-D), 'trilinear'
    (5-D) and 'area'; ``align_corners`` for the linear modes.

    Example:
        >>> x = ember.arange(4.).view(1, 1, 2, 2)
        >>> ember.nn.functional.interpolate(x, scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    nd = input.ndim - 2
    if mode not in _INTERP or nd not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{input.ndim}D) for the modes: nearest | linear | bilinear | "
            f"bicubic | trilinear | area | nearest-exact (got {mode})"
        )
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(
            "Anti-alias option is restricted to bilinear and bicubic modes and "
            "requires a 4-D tensor as input"
        )
    S = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * nd if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != nd:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, "
                f"but got input with spatial dimensions of {list(S)} and output "
                f"size of {tuple(sizes)}. Please provide input tensor in (N, C, d1, "
                f"d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        out = tuple(int(v) for v in sizes)
        scales = (None,) * nd
    elif scale_factor is not None:
        sf = (
            (scale_factor,) * nd
            if isinstance(scale_factor, numbers.Number)
            else tuple(scale_factor)
        )
        if len(sf) != nd:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial "
                f"dimensions, but got input with spatial dimensions of {list(S)} "
                f"and scale_factor of shape {tuple(sf)}. Please provide input tensor "
                f"in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, "
                f"...,sK) format."
            )
        out = tuple(int(math.floor(float(n) * float(f))) for n, f in zip(S, sf))
        scales = (None,) * nd if recompute_scale_factor else tuple(float(f) for f in sf)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(v <= 0 for v in out) or any(v <= 0 for v in S):
        names = ("D", "H", "W")[3 - nd :]
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{a}: {b}" for a, b in zip(names, S))
            + ") output ("
            + ", ".join(f"{a}: {b}" for a, b in zip(names, out))
            + ")"
        )
    if mode in _LINEAR_ND and _LINEAR_ND[mode] != nd:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_ND[mode] + 2}D input"
        )
    if mode == "bicubic" and nd != 2:
        raise NotImplementedError(f"Got {input.ndim}D input, but bicubic mode needs 4D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember yet")
    if mode == "area":
        return _adaptive_avg(nd, f"adaptive_avg_pool{nd}d", input, out)
    xp = xp_of(input._data)
    res = input
    for i in range(nd):
        dim = 2 + i
        n, m = S[i], out[i]
        if mode in ("nearest", "nearest-exact"):
            scale = _src_scale(n, m, False, scales[i])
            o = np.arange(m, dtype=np.float32)
            if mode == "nearest-exact":
                o = o + np.float32(0.5)
            idx = np.minimum(np.floor(o * scale).astype(np.int64), n - 1)
            if n == m:
                continue
            res = res.index_select(dim, _make(xp.asarray(idx)))
            continue
        if n == m and not align_corners and scales[i] in (None, 1.0):
            continue
        # Source coordinates in the precision PyTorch uses (float64 for double, else float32).
        ft = np.float64 if input._data.dtype == np.float64 else np.float32
        scale = _src_scale(n, m, align_corners, scales[i], ft)
        o = np.arange(m, dtype=ft)
        shape = (-1,) + (1,) * (nd - 1 - i)
        if mode == "bicubic":
            res = _cubic_along(res, dim, n, o, scale, align_corners, ft, shape, xp)
            continue
        src = o * scale if align_corners else np.maximum((o + ft(0.5)) * scale - ft(0.5), ft(0))
        i0 = src.astype(np.int64)
        i1 = np.minimum(i0 + 1, n - 1)
        lam = (src - i0.astype(ft)).astype(input._data.dtype)
        w1 = _make(xp.asarray(lam.reshape(shape)))
        w0 = _make(xp.asarray((1 - lam).reshape(shape)))
        a = res.index_select(dim, _make(xp.asarray(i0)))
        b = res.index_select(dim, _make(xp.asarray(i1)))
        res = a * w0 + b * w1
    return res if res is not input else input.clone()


def _cubic_along(x, dim, n, o, scale, align_corners, ft, shape, xp):
    """Bicubic resampling along one dim (PyTorch's Keys kernel, A = -0.75, clamped taps)."""
    src = o * scale if align_corners else (o + ft(0.5)) * scale - ft(0.5)
    i0 = np.floor(src)
    t = (src - i0).astype(ft)
    A = ft(-0.75)

    def near(z):  # |z| <= 1
        return ((A + 2) * z - (A + 3)) * z * z + 1

    def far(z):  # 1 < |z| < 2
        return ((A * z - 5 * A) * z + 8 * A) * z - 4 * A

    coeffs = (far(t + 1), near(t), near(1 - t), far(2 - t))
    out = None
    for k, c in enumerate(coeffs):
        idx = np.clip(i0.astype(np.int64) - 1 + k, 0, n - 1)
        wk = _make(xp.asarray(c.astype(x._data.dtype).reshape(shape)))
        term = x.index_select(dim, _make(xp.asarray(idx))) * wk
        out = term if out is None else out + term
    return out


def upsample(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch does).

    Example:
        >>> ember.nn.functional.upsample(ember.ones(1, 1, 2, 2), scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``.

    Example:
        >>> ember.nn.functional.upsample_nearest(ember.ones(1, 1, 2, 2), scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``.

    Example:
        >>> ember.nn.functional.upsample_bilinear(ember.ones(1, 1, 2, 2), scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r).

    Example:
        >>> ember.nn.functional.pixel_shuffle(ember.ones(1, 8, 2, 3), 2).shape
        ember.Size([1, 2, 4, 6])
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got "
            f"input with {input.ndim} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be "
            f"divisible by the square of upscale_factor, but input.size(-3)={c} "
            f"is not divisible by {r * r}"
        )
    b = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W); pixel_shuffle's inverse.

    Example:
        >>> ember.nn.functional.pixel_unshuffle(ember.ones(1, 2, 4, 6), 2).shape
        ember.Size([1, 8, 2, 3])
    """
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but "
            f"got input with {input.ndim} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height to be divisible by downscale_factor, "
            f"but input.size(-2)={h} is not divisible by {r}"
        )
    if w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects width to be divisible by downscale_factor, "
            f"but input.size(-1)={w} is not divisible by {r}"
        )
    b = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
