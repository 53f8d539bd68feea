"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold (im2col) and fold (col2im).

NOTE [conv kernels]
Three primitives share one geometry and are each other's gradients, so every order of
derivative stays inside the family (PyTorch's convolution_backward is built the same way):

    y  = _Conv(x, w)                  dx = _ConvInputGrad(gy, w)   dw = _ConvWeightGrad(x, gy)
    _ConvInputGrad(gy, w) -> x shape  d/dgy = _Conv(g, w)          d/dw = _ConvWeightGrad(g, gy)
    _ConvWeightGrad(x, gy) -> w shape d/dx = _ConvInputGrad(gy, g) d/dgy = _Conv(x, g)

conv_transpose is _ConvInputGrad with the weight read as (in, out/groups, *k).

Kernels: the zero-padded input is read through a strided view (no copy) as columns
(channels x kernel offsets, positions), copied for a few images at a time so that the working
set stays in cache, and multiplied by the weight in one GEMM per chunk. For stride 1 the
positions are a single run of the flattened padded image ("flat" columns): each copied row
is long and contiguous instead of one short image row, at the price of a few junk columns
(the kernel's overhang past the right edge) that are dropped from the result and held at zero
in the gradient. benchmarks/NOTES.md records the measurements behind these choices.
"""

from __future__ import annotations

import itertools
import math

from ..amp import autocast_mode as _autocast
from ..autograd.function import Primitive
from ._util import Tensor, np, xp_of

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
]

# Bytes of columns built per chunk on the CPU: two or three images of the MNIST net's conv2,
# which fits in L2/L3 (see benchmarks/NOTES.md). Accelerators take the whole batch at once.
_CHUNK_BYTES = 2 << 20


def _ntuple(v, n: int, name: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} "
            f"values to match the convolution dimensions, but got "
            f"{name}={list(v)}"
        )
    return v


class _Geom:
    """Geometry of one convolution: kernel, stride, dilation, (lo, hi) pads, groups, sizes.

    ``S`` is the unpadded input's spatial size and ``Lo`` the output's.
    """

    __slots__ = ("k", "s", "d", "pads", "groups", "S", "Lo", "Sp", "flat")

    def __init__(self, k, s, d, pads, groups, S, Lo):
        self.k, self.s, self.d, self.pads, self.groups = k, s, d, pads, groups
        self.S, self.Lo = tuple(S), tuple(Lo)
        self.Sp = tuple(n + lo + hi for n, (lo, hi) in zip(S, pads))
        self.flat = all(v == 1 for v in s)

    def plane(self):
        """Element strides of the padded image's spatial dims."""
        return tuple(math.prod(self.Sp[i + 1 :]) for i in range(len(self.Sp)))

    def tspace(self):
        """(shape, element strides) of the column positions (see NOTE [conv kernels])."""
        P = self.plane()
        if self.flat:
            return (sum((n - 1) * p for n, p in zip(self.Lo, P)) + 1,), (1,)
        return self.Lo, tuple(s * p for s, p in zip(self.s, P))

    def offsets(self):
        """Flat element offset of every kernel tap, in weight order."""
        P = self.plane()
        steps = [[q * d * p for q in range(k)] for k, d, p in zip(self.k, self.d, P)]
        return [sum(t) for t in itertools.product(*steps)]


def _as_strided(a, shape, strides):
    """A view of ``a``'s memory with the given shape and element strides."""
    it = a.itemsize
    strides = tuple(s * it for s in strides)
    if type(a) is np.ndarray and a.flags.c_contiguous:
        # 4x cheaper than as_strided (measured), and NumPy checks the view fits in ``a``.
        return np.ndarray(tuple(shape), a.dtype, buffer=a, strides=strides)
    return xp_of(a).lib.stride_tricks.as_strided(a, tuple(shape), strides)


def _padded(x, g: _Geom):
    """``x`` (N, C, *S) zero-padded to (N, C, *Sp), C-contiguous."""
    xp = xp_of(x)
    if g.Sp == g.S:
        return xp.ascontiguousarray(x)
    out = xp.zeros(x.shape[:2] + g.Sp, x.dtype)
    out[(..., *(slice(lo, lo + n) for (lo, _), n in zip(g.pads, g.S)))] = x
    return out


def _unpadded(xpad, g: _Geom):
    if g.Sp == g.S:
        return xpad
    inner = xpad[(..., *(slice(lo, lo + n) for (lo, _), n in zip(g.pads, g.S)))]
    return xp_of(xpad).ascontiguousarray(inner)


def _chunk(xp, per_image: int, n: int) -> int:
    if xp is not np:
        return max(n, 1)
    return max(1, min(n, _CHUNK_BYTES // max(per_image, 1)))


def _cols(xpad, n0: int, n: int, g: _Geom, batch_inner: bool):
    """Strided (no-copy) column view of images n0..n0+n of the padded input.

    Shape (C, *k, n, *t) when ``batch_inner`` (for one GEMM over the chunk), else (n, C, *k, *t).
    """
    C = xpad.shape[1]
    P = math.prod(g.Sp)
    tshape, tstr = g.tspace()
    kstr = tuple(d * p for d, p in zip(g.d, g.plane()))
    base = xpad[n0 : n0 + n]
    if batch_inner:
        return _as_strided(base, (C, *g.k, n, *tshape), (P, *kstr, C * P, *tstr))
    return _as_strided(base, (n, C, *g.k, *tshape), (C * P, P, *kstr, *tstr))


def _gy_t(gy, g: _Geom, n0: int, n: int):
    """Output gradient of images n0..n0+n as (groups, O/groups, n*T), zero in junk columns."""
    xp = xp_of(gy)
    O = gy.shape[1]
    T = math.prod(g.tspace()[0])
    chunk = gy[n0 : n0 + n]
    if g.flat:
        buf = xp.zeros((O, n, T), gy.dtype)
        _as_strided(buf, (n, O) + g.Lo, (T, n * T) + g.plane())[...] = chunk
    else:
        buf = xp.ascontiguousarray(chunk.reshape(n, O, T).transpose(1, 0, 2))
    return buf.reshape(g.groups, O // g.groups, n * T)


def _run_chunks(xp, fn, N: int, step: int) -> list:
    """``fn(n0)`` for the first image n0 of every chunk.

    One chunk at a time, with BLAS's own threads in each GEMM: running chunks on a thread pool
    (single-threaded GEMMs) measured 30% slower inside the MNIST training step on a quiet
    machine, though faster when other processes share the cores (benchmarks/NOTES.md).
    """
    return [fn(n0) for n0 in range(0, N, step)]


def _conv_forward(x, w, b, g: _Geom):
    xp = xp_of(x)
    N, C = x.shape[:2]
    O, G = w.shape[0], g.groups
    KK = math.prod(g.k)
    K = C // G * KK
    tshape, _ = g.tspace()
    T = math.prod(tshape)
    out = xp.empty((N, O) + g.Lo, x.dtype)
    if N == 0 or out.size == 0:
        return out
    xpad = _padded(x, g)
    wm = w.reshape(G, O // G, K)
    step = _chunk(xp, (C * KK + O) * T * x.itemsize, N)
    bias = None if b is None else b.reshape((O,) + (1,) * len(g.Lo))
    sshape = g.Lo if g.flat else tshape
    sstr = g.plane() if g.flat else _cstrides(tshape)

    def chunk(n0):
        n = min(step, N - n0)
        cols = _cols(xpad, n0, n, g, True).reshape(G, K, n * T)
        res = xp.matmul(wm, cols)  # (G, O/G, n*T): one GEMM per group
        src = _as_strided(res, (n, O) + sshape, (T, n * T) + sstr)
        if bias is None:
            out[n0 : n0 + n] = src
        else:
            xp.add(src, bias, out=out[n0 : n0 + n])

    _run_chunks(xp, chunk, N, step)
    return out


def _cstrides(shape):
    return tuple(math.prod(shape[i + 1 :]) for i in range(len(shape)))


def _conv_grads(x, gy, w, wshape, g: _Geom, want_x: bool, want_w: bool):
    """(input gradient, weight gradient) of a convolution, either or both (None if not wanted).

    Both at once would lay out each chunk's output gradient once for the two GEMMs, but that
    measured no faster than two passes (benchmarks/NOTES.md), so backward asks for one each.
    """
    xp = xp_of(gy)
    N, O = gy.shape[:2]
    G = g.groups
    C = x.shape[1] if w is None else w.shape[1] * G
    Cg, KK = C // G, math.prod(g.k)
    tshape, tstr = g.tspace()
    T, P = math.prod(tshape), math.prod(g.Sp)
    dxp = xp.zeros((N, C) + g.Sp, gy.dtype) if want_x else None
    if N == 0 or gy.size == 0 or (want_x and dxp.size == 0):
        gw = xp.zeros(wshape, gy.dtype) if want_w else None
        return (_unpadded(dxp, g) if want_x else None), gw
    xpad = _padded(x, g) if want_w else None
    if want_x:
        # (G, O/G, Cg, *k) -> (G, KK*Cg, O/G): each tap's rows are one contiguous block of dcols.
        wr = w.reshape((G, O // G, Cg, KK)).transpose(0, 3, 2, 1).reshape(G, KK * Cg, O // G)
        offs = g.offsets()
        flat = dxp.reshape(-1)
    step = _chunk(xp, (C * KK + O) * T * gy.itemsize, N)

    def chunk(n0):  # col2im of images n0..n0+n only touches their own part of dxp
        n = min(step, N - n0)
        gyt = _gy_t(gy, g, n0, n)
        part = None
        if want_w:
            cols = _cols(xpad, n0, n, g, True).reshape(G, Cg * KK, n * T)
            part = xp.matmul(gyt, cols.transpose(0, 2, 1))
        if want_x:
            dcols = xp.matmul(wr, gyt).reshape(G, KK, Cg, n, *tshape)
            for q, off in enumerate(offs):
                start = n0 * C * P + off
                dst = _as_strided(flat[start:], (G, Cg, n) + tshape, (Cg * P, P, C * P) + tstr)
                xp.add(dst, dcols[:, q], out=dst)
        return part

    parts = _run_chunks(xp, chunk, N, step)
    gw = None
    if want_w:
        gw = parts[0]
        for p in parts[1:]:
            gw += p
        gw = gw.reshape(wshape)
    return (_unpadded(dxp, g) if want_x else None), gw


def _conv_weight_grad(x, gy, wshape, g: _Geom):
    return _conv_grads(x, gy, None, wshape, g, False, True)[1]


def _conv_input_grad(gy, w, g: _Geom):
    return _conv_grads(None, gy, w, None, g, True, False)[0]


class _Conv(Primitive):
    @staticmethod
    def forward(ctx, x, w, b, g):
        ctx.g, ctx.wshape = g, w.shape
        ctx.save_for_backward(
            x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None
        )
        return _conv_forward(x, w, b, g)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        g = ctx.g
        nx, nw, nb = ctx.needs_input_grad[:3]
        gx = _ConvInputGrad.apply(gy, w, g) if nx else None
        gw = _ConvWeightGrad.apply(x, gy, ctx.wshape, g) if nw else None
        gb = gy.sum((0,) + tuple(range(2, gy.ndim))) if nb else None
        return gx, gw, gb, None


class _ConvInputGrad(Primitive):
    @staticmethod
    def forward(ctx, gy, w, g):
        ctx.g = g
        ctx.save_for_backward(gy if ctx.needs_input_grad[1] else None, w)
        return _conv_input_grad(gy, w, g)

    @staticmethod
    def backward(ctx, gg):
        gy, w = ctx.saved_tensors
        g = ctx.g
        d_gy = _Conv.apply(gg, w, None, g) if ctx.needs_input_grad[0] else None
        d_w = _ConvWeightGrad.apply(gg, gy, tuple(w.shape), g) if ctx.needs_input_grad[1] else None
        return d_gy, d_w, None


class _ConvWeightGrad(Primitive):
    @staticmethod
    def forward(ctx, x, gy, wshape, g):
        ctx.g = g
        ctx.save_for_backward(
            x if ctx.needs_input_grad[1] else None, gy if ctx.needs_input_grad[0] else None
        )
        return _conv_weight_grad(x, gy, wshape, g)

    @staticmethod
    def backward(ctx, gg):
        x, gy = ctx.saved_tensors
        g = ctx.g
        d_x = _ConvInputGrad.apply(gy, gg, g) if ctx.needs_input_grad[0] else None
        d_gy = _Conv.apply(x, gg, None, g) if ctx.needs_input_grad[1] else None
        return d_x, d_gy, None, None


# -- public functions ------------------------------------------------------------------------


def _check_common(input, weight, bias, nd, name, transposed):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' and 'weight' must be Tensor, not "
            f"{type(input).__name__} and {type(weight).__name__}"
        )
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
            f"{name}, but got input of size: {list(input.shape)}"
        )
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"weight should have at least three dimensions; expected "
            f"{nd + 2}D weight for {name}, but got weight of size "
            f"{list(weight.shape)}"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_tname(input)} but found {_tname(weight)}"
            if not transposed
            else f"Input type ({_lname(input)}) and weight type ({_lname(weight)}) "
            f"should be the same"
        )
    if input.device != weight.device:
        raise RuntimeError(
            f"Input type ({input.device}) and weight type ({weight.device}) "
            "should be on the same device"
        )
    if bias is not None:
        if bias.dtype != input.dtype:
            raise RuntimeError(
                f"Input type ({_lname(input)}) and bias type ({_lname(bias)}) should be the same"
            )
        nout = weight.shape[0] if not transposed else None
        if bias.ndim != 1 or (nout is not None and bias.shape[0] != nout):
            raise RuntimeError(
                f"Given weight of size {list(weight.shape)}, expected bias to be "
                f"1-dimensional with {nout} elements, but got bias of size "
                f"{list(bias.shape)} instead"
            )


def _tname(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype)
    )


def _lname(t):
    return _tname(t).lower()


def _check_params(stride, dilation, groups, pads):
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, weight, bias = _autocast.cast("conv", input, weight, bias)
    _check_common(input, weight, bias, nd, name, False)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    groups = int(groups)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = [d * (kk - 1) for d, kk in zip(dilation, k)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _ntuple(padding, nd, "padding"))
    _check_params(stride, dilation, groups, pads)
    N, C = input.shape[:2]
    O = weight.shape[0]
    if O % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} "
            f"at dimension 0, but got weight of size [{list(weight.shape)}] "
            "instead"
        )
    if C != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, "
            f"expected input{list(input.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {C} channels instead"
        )
    S = tuple(input.shape[2:])
    Sp = [n + lo + hi for n, (lo, hi) in zip(S, pads)]
    ke = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(a < b for a, b in zip(Sp, ke)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, Sp))}). Kernel "
            f"size: ({' x '.join(map(str, ke))}). Kernel size can't be greater than actual "
            "input size"
        )
    Lo = tuple((a - b) // s + 1 for a, b, s in zip(Sp, ke, stride))
    g = _Geom(k, stride, dilation, pads, groups, S, Lo)
    out = _Conv.apply(input, weight, bias, g)
    return out.squeeze(0) if unbatched else out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C, L) or (C, L) input.

    Shape: input (N, C_in, L), weight (C_out, C_in/groups, k) -> (N, C_out, L_out).
    ``padding`` is an int, a 1-tuple, 'valid' or 'same'.

    Example:
        >>> ember.nn.functional.conv1d(ember.ones(1, 2, 5), ember.ones(3, 2, 3)).shape
        ember.Size([1, 3, 3])
    """
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C, H, W) or (C, H, W) input.

    Shape: input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW) -> (N, C_out, H_out, W_out)
    with H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1.

    Example:
        >>> ember.nn.functional.conv2d(ember.ones(1, 1, 5, 5), ember.ones(4, 1, 3, 3)).shape
        ember.Size([1, 4, 3, 3])
    """
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input.

    Example:
        >>> ember.nn.functional.conv3d(ember.ones(1, 1, 4, 4, 4), ember.ones(2, 1, 3, 3, 3)).shape
        ember.Size([1, 2, 2, 2, 2])
    """
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    name = f"conv_transpose{nd}d"
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, weight, bias = _autocast.cast("conv_transpose", input, weight, bias)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    _check_common(input, weight, bias, nd, name, True)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    groups = int(groups)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    pad = _ntuple(padding, nd, "padding")
    opad = _ntuple(output_padding, nd, "output_padding")
    pads = tuple((p, p) for p in pad)
    _check_params(stride, dilation, groups, pads)
    if any(o >= s and o >= d for o, s, d in zip(opad, stride, dilation)) or any(
        o < 0 for o in opad
    ):
        names = ("depth", "height", "width")[3 - nd :] if nd > 1 else ("width",)
        parts = [f"output_padding_{n}: {o}" for n, o in zip(names, opad)]
        parts += [f"stride_{n}: {s}" for n, s in zip(names, stride)]
        parts += [f"dilation_{n}: {d}" for n, d in zip(names, dilation)]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but "
            "got " + " ".join(parts)
        )
    N, Cin = input.shape[:2]
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} "
            f"at dimension 0, but got weight of size [{list(weight.shape)}] "
            "instead"
        )
    if Cin != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
            f"got {Cin} channels instead"
        )
    Cout = weight.shape[1] * groups
    if bias is not None and bias.shape[0] != Cout:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"bias to be 1-dimensional with {Cout} elements, but got bias of "
            f"size {list(bias.shape)} instead"
        )
    k = tuple(weight.shape[2:])
    Lin = tuple(input.shape[2:])
    S = tuple(
        (n - 1) * s - 2 * p + d * (kk - 1) + o + 1
        for n, s, p, d, kk, o in zip(Lin, stride, pad, dilation, k, opad)
    )
    if any(v <= 0 for v in S):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, Lin))}). "
            f"Calculated output size per channel: ({' x '.join(map(str, S))}). "
            "Output size is too small"
        )
    g = _Geom(k, stride, dilation, pads, groups, S, Lin)
    out = _ConvInputGrad.apply(input, weight, g)
    if bias is not None:
        out = out + bias.reshape((Cout,) + (1,) * nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d with respect to its input).

    Shape: input (N, C_in, L), weight (C_in, C_out/groups, k) -> (N, C_out, L_out) with
    L_out = (L-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.

    Example:
        >>> ember.nn.functional.conv_transpose1d(ember.ones(1, 2, 3), ember.ones(2, 1, 2)).shape
        ember.Size([1, 1, 4])
    """
    return _conv_transposend(
        1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution ("deconvolution").

    Shape: input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out).

    Example:
        >>> x = ember.ones(1, 2, 3, 3)
        >>> ember.nn.functional.conv_transpose2d(x, ember.ones(2, 4, 2, 2), stride=2).shape
        ember.Size([1, 4, 6, 6])
    """
    return _conv_transposend(
        2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """3-D transposed convolution.

    Example:
        >>> x = ember.ones(1, 2, 2, 2, 2)
        >>> ember.nn.functional.conv_transpose3d(x, ember.ones(2, 1, 2, 2, 2)).shape
        ember.Size([1, 1, 3, 3, 3])
    """
    return _conv_transposend(
        3, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


# -- unfold / fold ---------------------------------------------------------------------------


def _im2col(x, g: _Geom):
    """(N, C, *S) -> (N, C*KK, L): every sliding block as a column (PyTorch's unfold layout)."""
    N, C = x.shape[:2]
    xpad = _padded(x, g)
    gg = _Geom(g.k, g.s, g.d, g.pads, 1, g.S, g.Lo)
    gg.flat = False
    return _cols(xpad, 0, N, gg, False).reshape(N, C * math.prod(g.k), math.prod(g.Lo))


def _col2im(cols, C: int, g: _Geom):
    """The adjoint of _im2col: add every column back into its block."""
    xp = xp_of(cols)
    N = cols.shape[0]
    KK = math.prod(g.k)
    dxp = xp.zeros((N, C) + g.Sp, cols.dtype)
    gg = _Geom(g.k, g.s, g.d, g.pads, 1, g.S, g.Lo)
    gg.flat = False
    tshape, tstr = gg.tspace()
    P = math.prod(g.Sp)
    src = cols.reshape((N, C, KK) + g.Lo)
    flat = dxp.reshape(-1)
    if flat.size:
        for q, off in enumerate(gg.offsets()):
            dst = _as_strided(flat[off:], (N, C) + tshape, (C * P, P) + tstr)
            xp.add(dst, src[:, :, q], out=dst)
    return _unpadded(dxp, g)


class _Unfold(Primitive):
    @staticmethod
    def forward(ctx, x, g):
        ctx.g, ctx.C = g, x.shape[1]
        return _im2col(x, g)

    @staticmethod
    def backward(ctx, gy):
        return _Fold.apply(gy, ctx.C, ctx.g), None


class _Fold(Primitive):
    @staticmethod
    def forward(ctx, cols, C, g):
        ctx.g = g
        return _col2im(cols, C, g)

    @staticmethod
    def backward(ctx, gx):
        return _Unfold.apply(gx, ctx.g), None, None


def _fold_geom(S, kernel_size, dilation, padding, stride, name):
    k = _ntuple(kernel_size, 2, "kernel_size")
    d = _ntuple(dilation, 2, "dilation")
    p = _ntuple(padding, 2, "padding")
    s = _ntuple(stride, 2, "stride")
    if any(v <= 0 for v in k):
        raise RuntimeError(
            f"{name}(): kernel size should be greater than zero, but got kernel_size={k}"
        )
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{name}(): dilation should be greater than zero, but got dilation={d}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"{name}(): padding should be non-negative, but got padding={p}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}(): stride should be greater than zero, but got stride={s}")
    Lo = tuple(
        (n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(S, p, d, k, s)
    )
    return _Geom(k, s, d, tuple((v, v) for v in p), 1, S, Lo), (k, d, p, s)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks (im2col): (N, C, H, W) -> (N, C*kH*kW, L).

    Example:
        >>> ember.nn.functional.unfold(ember.ones(1, 2, 4, 4), 2).shape
        ember.Size([1, 8, 9])
    """
    if input.ndim not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)"
        )
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    g, (k, d, p, _) = _fold_geom(
        tuple(input.shape[2:]), kernel_size, dilation, padding, stride, "im2col"
    )
    if any(v <= 0 for v in g.Lo):
        raise RuntimeError(
            f"Given input with spatial size {tuple(input.shape[2:])}, "
            f"kernel_size={k}, dilation={d}, padding={p}, calculated shape of "
            f"the array of sliding blocks as {g.Lo}, but its components must "
            "be at least one."
        )
    out = _Unfold.apply(input, g)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks into a tensor, summing overlaps (col2im); unfold's adjoint.

    Shape: (N, C*kH*kW, L) -> (N, C, *output_size).

    Example:
        >>> ember.nn.functional.fold(ember.ones(1, 8, 9), (4, 4), 2).shape
        ember.Size([1, 2, 4, 4])
    """
    if input.ndim not in (2, 3):
        raise NotImplementedError(
            f"Input Error: Only unbatched (2D) or batched (3D) input "
            f"Tensors are supported (got {input.ndim}D)"
        )
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    S = _ntuple(output_size, 2, "output_size")
    g, (k, d, p, s) = _fold_geom(S, kernel_size, dilation, padding, stride, "col2im")
    KK = k[0] * k[1]
    if input.shape[1] % KK:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product "
            f"of kernel_size, but got input.size(1)={input.shape[1]} and "
            f"kernel_size={k}."
        )
    L = math.prod(g.Lo)
    if any(v <= 0 for v in g.Lo) or input.shape[2] != L:
        raise RuntimeError(
            f"Given output_size={S}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {g.Lo[0]} * {g.Lo[1]} = {L}, "
            f"but got input.size(2)={input.shape[2]}."
        )
    out = _Fold.apply(input, input.shape[1] // KK, g)
    return out.squeeze(0) if unbatched else out
