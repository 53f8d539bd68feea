"""Discrete Fourier transforms: torch.fft's functions, on ``xp.fft`` (numpy.fft or cupy.fft).

Three primitives do the work, each differentiable through the others (so double backward
works): ``_C2C`` (complex to complex, forward or inverse), ``_R2C`` (real input, one-sided
spectrum along the last transformed dim) and ``_C2R`` (one-sided spectrum to real signal). The
Hermitian transforms are conjugates of those with the dual normalisation. Inputs are padded or
cropped to ``n``/``s`` with differentiable ops before a primitive runs.

NOTE [ fft gradients ]
In PyTorch's convention (NOTE [ complex gradients ] in ember/ops/_util.py) a linear map
y = A x has grad_x = A^H grad_y. The adjoint of a DFT with normalisation ``norm`` is the inverse
DFT with the dual one ("backward" <-> "forward", "ortho" stays). ``rfft`` keeps bins 0..n//2 of
the full spectrum, so its adjoint zero-fills the rest and keeps the real part; that equals
``irfft`` of the gradient with the mirrored bins (1 .. n - n//2 - 1) halved, because irfft adds
each mirrored bin twice. ``irfft`` in turn reads those bins twice, so its adjoint is ``rfft`` of
the gradient with the mirrored bins doubled.

Example:
    >>> ember.fft.fft(ember.tensor([1.0, 0.0, 0.0, 0.0]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from ._complex import conj, real
from .autograd.function import Primitive
from .ops._util import Tensor, _make, wrap_dim, xp_of

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "hfft2",
    "ihfft2",
    "hfftn",
    "ihfftn",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}
_REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}


# -- primitives --------------------------------------------------------------------------------


class _C2C(Primitive):
    @staticmethod
    def forward(ctx, x, dims, norm, forward):
        ctx.dims, ctx.norm, ctx.fwd = dims, norm, forward
        ctx.real_in = x.dtype.kind != "c"
        fft_mod = xp_of(x).fft
        out = (fft_mod.fftn if forward else fft_mod.ifftn)(x, axes=dims, norm=norm)
        return out.astype(_complex_np(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        gi = _C2C.apply(g, ctx.dims, _DUAL[ctx.norm], not ctx.fwd)  # NOTE [ fft gradients ]
        return (real(gi) if ctx.real_in else gi), None, None, None


class _R2C(Primitive):
    @staticmethod
    def forward(ctx, x, dims, norm):
        ctx.dims, ctx.norm, ctx.n = dims, norm, x.shape[dims[-1]]
        out = xp_of(x).fft.rfftn(x, axes=dims, norm=norm)
        return out.astype(_COMPLEX_OF[x.dtype], copy=False)

    @staticmethod
    def backward(ctx, g):
        # NOTE [ fft gradients ]: halve the mirrored bins, then irfft with the dual norm
        w = _mirror_weights(g, ctx.dims[-1], ctx.n, 0.5)
        gi = _C2R.apply(g * w if w is not None else g, ctx.dims, _DUAL[ctx.norm], ctx.n)
        return gi, None, None


class _C2R(Primitive):
    @staticmethod
    def forward(ctx, x, dims, norm, n):
        ctx.dims, ctx.norm, ctx.n = dims, norm, n
        ctx.real_in = x.dtype.kind != "c"
        s = [x.shape[d] for d in dims[:-1]] + [n]
        out = xp_of(x).fft.irfftn(x, s=s, axes=dims, norm=norm)
        return out.astype(_real_np(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        # NOTE [ fft gradients ]: rfft with the dual norm, mirrored bins counted twice
        gi = _R2C.apply(g, ctx.dims, _DUAL[ctx.norm])
        w = _mirror_weights(gi, ctx.dims[-1], ctx.n, 2.0)
        if w is not None:
            gi = gi * w
        return (real(gi) if ctx.real_in else gi), None, None, None


def _complex_np(dt):
    return dt if dt.kind == "c" else _COMPLEX_OF[dt]


def _real_np(dt):
    return _REAL_OF[dt] if dt.kind == "c" else dt


def _mirror_weights(like: Tensor, dim: int, n: int, value: float):
    """Weights along ``dim`` of a one-sided spectrum of length n: ``value`` on the bins that
    also stand for their mirror image (1 .. n - n//2 - 1), 1 elsewhere; None if there are none."""
    m = n // 2 + 1
    if n - m <= 0:
        return None
    w = np.ones(m, dtype=_real_np(like._data.dtype))
    w[1 : n - m + 1] = value
    shape = [1] * like.ndim
    shape[dim] = m
    return _make(xp_of(like._data).asarray(w.reshape(shape)))


# -- argument handling -------------------------------------------------------------------------


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _prepare(input: Tensor, fn: str, real_only: bool = False) -> Tensor:
    """``input`` in a dtype the transforms take: integers and bool become the default float."""
    dt = input._data.dtype
    if dt.kind == "c":
        if real_only:
            raise RuntimeError(
                f"{fn} expects a real input tensor, but got {input.dtype.scalar_name}"
            )
        return input
    if dt in _COMPLEX_OF:
        return input
    if input.is_floating_point():  # float16, bfloat16: PyTorch's CPU FFT has no kernel either
        raise RuntimeError(f"Unsupported dtype {input.dtype.scalar_name}")
    return input.to(D.get_default_dtype())


def _check_n(n: int) -> int:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return int(n)


def _dims_and_sizes(input: Tensor, s, dim, default_all: bool = True):
    """The transformed dims (in the order given) and their sizes, as PyTorch resolves them:
    ``dim`` wins; with only ``s``, the last ``len(s)`` dims; else every dim (or (-2, -1))."""
    ndim = input.ndim
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    if isinstance(s, (int, np.integer)):
        s = (int(s),)
    if dim is not None:
        dims = tuple(wrap_dim(int(d), ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(
                f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions."
            )
        dims = tuple(range(ndim - len(s), ndim))
    else:
        dims = tuple(range(ndim)) if default_all else tuple(wrap_dim(d, ndim) for d in (-2, -1))
    if s is None:
        sizes = [input.shape[d] for d in dims]
    else:
        sizes = [input.shape[d] if int(n) == -1 else _check_n(int(n)) for d, n in zip(dims, s)]
    return dims, sizes


def _resize(x: Tensor, dims, sizes) -> Tensor:
    """Crop or zero-pad ``x`` at the end of each of ``dims`` to ``sizes`` (differentiable)."""
    from .ops.shape import cat

    for d, n in zip(dims, sizes):
        cur = x.shape[d]
        if n < cur:
            x = x.narrow(d, 0, n)
        elif n > cur:
            shape = list(x.shape)
            shape[d] = n - cur
            x = cat([x, x.new_zeros(shape)], d)
    return x


def _c2c(input, s, dim, norm, forward, fn, default_all=True) -> Tensor:
    x = _prepare(input, fn)
    norm = _norm(norm)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    x = _resize(x, dims, sizes)
    if not dims:
        return x.to(D.from_numpy(np.dtype(_complex_np(x._data.dtype))))
    return _C2C.apply(x, dims, norm, forward)


def _r2c(input, s, dim, norm, fn, default_all=True) -> Tensor:
    x = _prepare(input, fn, real_only=True)
    norm = _norm(norm)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    if not dims:
        raise RuntimeError("rfftn must transform at least one axis")
    return _R2C.apply(_resize(x, dims, sizes), dims, norm)


def _c2r(input, s, dim, norm, fn, default_all=True) -> Tensor:
    x = _prepare(input, fn)
    norm = _norm(norm)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    if not dims:
        raise RuntimeError("irfftn must transform at least one axis")
    s_last = None if s is None else s if isinstance(s, (int, np.integer)) else list(s)[-1]
    n = _check_n(2 * (x.shape[dims[-1]] - 1) if s_last is None or s_last == -1 else sizes[-1])
    sizes[-1] = n // 2 + 1
    return _C2R.apply(_resize(x, dims, sizes), dims, norm, n)


def _one(n, dim):
    return (None if n is None else (_check_n(int(n)),)), (dim,)


# -- complex-to-complex ------------------------------------------------------------------------


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """One-dimensional discrete Fourier transform along ``dim``.

    Args:
        n: signal length: ``input`` is zero-padded or cropped to it first.
        norm: "backward" (no scaling, the default), "ortho" (1/sqrt(n)) or "forward" (1/n).

    Example:
        >>> ember.fft.fft(ember.tensor([1.0, 2.0]))
        tensor([ 3.+0.j, -1.+0.j])
    """
    return _c2c(input, *_one(n, dim), norm, True, "fft")


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """Inverse of :func:`fft` (scaled by 1/n by default).

    Example:
        >>> ember.fft.ifft(ember.tensor([3.0, -1.0]))
        tensor([1.+0.j, 2.+0.j])
    """
    return _c2c(input, *_one(n, dim), norm, False, "ifft")


def fft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Two-dimensional DFT over ``dim`` (the last two dims by default).

    Example:
        >>> ember.fft.fft2(ember.ones(2, 2))
        tensor([[4.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]])
    """
    return _c2c(input, s, dim, norm, True, "fft2")


def ifft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Inverse of :func:`fft2`.

    Example:
        >>> ember.fft.ifft2(ember.fft.fft2(ember.ones(2, 2))).real
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _c2c(input, s, dim, norm, False, "ifft2")


def fftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """N-dimensional DFT over ``dim`` (all dims, or the last ``len(s)`` ones, by default).

    Example:
        >>> ember.fft.fftn(ember.ones(2, 2)).abs().sum()
        tensor(4.)
    """
    return _c2c(input, s, dim, norm, True, "fftn")


def ifftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """Inverse of :func:`fftn`.

    Example:
        >>> ember.fft.ifftn(ember.fft.fftn(ember.ones(2, 2))).real.sum()
        tensor(4.)
    """
    return _c2c(input, s, dim, norm, False, "ifftn")


# -- real-to-complex and back ------------------------------------------------------------------


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """DFT of a real signal, keeping the n//2 + 1 non-redundant frequencies.

    Example:
        >>> ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _r2c(input, *_one(n, dim), norm, "rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """Inverse of :func:`rfft`: a real signal of length ``n`` (default 2 * (size - 1)).

    Example:
        >>> ember.fft.irfft(ember.tensor([10.0, -2 + 2j, -2.0]))
        tensor([1., 2., 3., 4.])
    """
    return _c2r(input, *_one(n, dim), norm, "irfft")


def rfft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Two-dimensional :func:`rfftn` (one-sided along the last of ``dim``).

    Example:
        >>> ember.fft.rfft2(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return _r2c(input, s, dim, norm, "rfft2")


def irfft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Inverse of :func:`rfft2`.

    Example:
        >>> ember.fft.irfft2(ember.fft.rfft2(ember.ones(2, 4))).shape
        ember.Size([2, 4])
    """
    return _c2r(input, s, dim, norm, "irfft2")


def rfftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """N-dimensional DFT of a real input, one-sided along the last transformed dim.

    Example:
        >>> ember.fft.rfftn(ember.ones(2, 3, 4)).shape
        ember.Size([2, 3, 3])
    """
    return _r2c(input, s, dim, norm, "rfftn")


def irfftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """Inverse of :func:`rfftn`: the last transformed dim becomes ``s[-1]``
    (default 2 * (size - 1)).

    Example:
        >>> ember.fft.irfftn(ember.ones(2, 3, 3)).shape
        ember.Size([2, 3, 4])
    """
    return _c2r(input, s, dim, norm, "irfftn")


# -- Hermitian: a one-sided spectrum to a real signal's DFT, and back --------------------------
# hfft(x) is the forward DFT of the Hermitian signal whose first half is x: irfft(conj(x)) with
# the dual normalisation; ihfft is conj(rfft) with the dual normalisation.


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """DFT of a Hermitian-symmetric signal given by its first half: a real result of
    length ``n`` (default 2 * (size - 1)).

    Example:
        >>> ember.fft.hfft(ember.tensor([1.0, 0.0, 0.0]))
        tensor([1., 1., 1., 1.])
    """
    x = _prepare(input, "hfft")
    return _c2r(conj(x), *_one(n, dim), _DUAL[_norm(norm)], "hfft")


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """Inverse of :func:`hfft`: the one-sided inverse DFT of a real signal.

    Example:
        >>> ember.fft.ihfft(ember.tensor([1.0, 1.0, 1.0, 1.0]))
        tensor([1.-0.j, 0.-0.j, 0.-0.j])
    """
    return conj(_r2c(input, *_one(n, dim), _DUAL[_norm(norm)], "ihfft"))


def hfft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Two-dimensional :func:`hfftn`.

    Example:
        >>> ember.fft.hfft2(ember.ones(2, 3)).shape
        ember.Size([2, 4])
    """
    return hfftn(input, s, dim, norm)


def ihfft2(
    input: Tensor, s: Sequence[int] | None = None, dim=(-2, -1), norm: str | None = None
) -> Tensor:
    """Two-dimensional :func:`ihfftn`.

    Example:
        >>> ember.fft.ihfft2(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return ihfftn(input, s, dim, norm)


def hfftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """N-dimensional DFT of a Hermitian-symmetric signal given by its one-sided half (along the
    last transformed dim): a real result.

    Example:
        >>> ember.fft.hfftn(ember.ones(2, 3)).shape
        ember.Size([2, 4])
    """
    x = _prepare(input, "hfftn")
    return _c2r(conj(x), s, dim, _DUAL[_norm(norm)], "hfftn")


def ihfftn(
    input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
) -> Tensor:
    """Inverse of :func:`hfftn`: the one-sided inverse DFT of a real signal.

    Example:
        >>> ember.fft.ihfftn(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return conj(_r2c(input, s, dim, _DUAL[_norm(norm)], "ihfftn"))


# -- helpers -----------------------------------------------------------------------------------


def _freq(values: np.ndarray, dtype, device, requires_grad) -> Tensor:
    from .ops.creation import tensor

    dt = D.get_default_dtype() if dtype is None else D.as_dtype(dtype)
    return tensor(values, dtype=dt, device=device, requires_grad=requires_grad)


def fftfreq(
    n: int,
    d: float = 1.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Sample frequencies of an ``n``-point :func:`fft` with sample spacing ``d``:
    [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d * n).

    Example:
        >>> ember.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    k = np.arange(n, dtype=np.float64)
    k[(n + 1) // 2 :] -= n
    return _freq(k / (d * n), dtype, device, requires_grad)


def rfftfreq(
    n: int,
    d: float = 1.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Sample frequencies of an ``n``-point :func:`rfft`: [0, 1, ..., n // 2] / (d * n).

    Example:
        >>> ember.fft.rfftfreq(4)
        tensor([0.0000, 0.2500, 0.5000])
    """
    return _freq(np.arange(n // 2 + 1, dtype=np.float64) / (d * n), dtype, device, requires_grad)


def _shift(input: Tensor, dim, sign: int) -> Tensor:
    from .ops.shape import roll

    if dim is None:
        dims = tuple(range(input.ndim))
    elif isinstance(dim, (int, np.integer)):
        dims = (int(dim),)
    else:
        dims = tuple(dim)
    if not dims:
        return input.clone()
    shifts = tuple(sign * (input.shape[wrap_dim(d, input.ndim)] // 2) for d in dims)
    return roll(input, shifts, dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero frequency to the centre of ``dim`` (all dims by default).

    Example:
        >>> ember.fft.fftshift(ember.fft.fftfreq(4))
        tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """Inverse of :func:`fftshift`.

    Example:
        >>> ember.fft.ifftshift(ember.tensor([-2, -1, 0, 1]))
        tensor([ 0,  1, -2, -1])
    """
    return _shift(input, dim, -1)
