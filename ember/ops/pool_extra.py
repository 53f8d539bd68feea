"""Fractional max pooling and 3-D power-average pooling (the rest of the pools: ``pool.py``).

Fractional max pooling (Graham, 2014) slides a fixed ``kernel_size`` window over pseudo-random
start positions, one sequence per (sample, channel) plane and spatial dim, drawn from
``_random_samples`` of shape (N, C, nd) with values in [0, 1). The windows are gathered with
one index array, so the gradient (a scatter to each window's winner) comes from ``gather``.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make
from ..backend import xp_of
from .pool import _lp_pool, _tuple, avg_pool3d

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
    "lp_pool3d",
]


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """3-D power-average pooling: (sum over the window of x**p) ** (1/p).

    Example:
        >>> ember.nn.functional.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 2, 2)
        tensor([[[[[2.8284]]]]])
    """
    return _lp_pool(3, avg_pool3d, input, norm_type, kernel_size, stride, ceil_mode)


# NOTE [ Fractional pooling intervals ]
# Found by experiment against PyTorch: along a dim of input size n, output size o and kernel k,
# with sample u, alpha = (n - k) / (o - 1) and window i (i < o - 1) starts at
# trunc((i + u) * alpha) - trunc(u * alpha); the last window starts at n - k. The arithmetic is
# done in the input's floating type (float32 rounding changes some starts). The samples' last
# axis holds, for 2-D pooling, (width, height); for 3-D pooling, (time, height, width).
_SAMPLE_AXIS = {2: (1, 0), 3: (0, 1, 2)}


def _starts(u: np.ndarray, n: int, o: int, k: int) -> np.ndarray:
    """Window starts, shape u.shape + (o,), for samples ``u`` (see NOTE above)."""
    if o == 0:
        return np.zeros(u.shape + (0,), np.int64)
    out = np.full(u.shape + (o,), n - k, np.int64)
    if o > 1:
        ft = u.dtype.type
        alpha = ft(n - k) / ft(o - 1)
        i = np.arange(o - 1, dtype=u.dtype)
        first = np.trunc((i + u[..., None]) * alpha).astype(np.int64)
        out[..., :-1] = first - np.trunc(u * alpha).astype(np.int64)[..., None]
    return out


def _output_size(nd, name, input, output_size, output_ratio) -> tuple:
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
        ratio = output_ratio
        if not isinstance(ratio, (tuple, list)):
            ratio = (ratio,) * nd
        if len(ratio) != nd:
            raise RuntimeError(f"{name}: output_ratio must have {nd} elements")
        return tuple(int(n * r) for n, r in zip(input.shape[-nd:], ratio))
    return _tuple(output_size, nd, name, "output_size")


def _check_samples(nd, samples: Tensor, input: Tensor, n: int, c: int) -> None:
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[2] != nd:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}."
        )
    if samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")


def _fractional_max(nd, input, kernel_size, output_size, output_ratio, samples):
    name = f"fractional_max_pool{nd}d"
    k = _tuple(kernel_size, nd, name, "kernel_size")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {list(k)}")
    o = _output_size(nd, name, input, output_size, output_ratio)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}"
        )
    first = input.ndim - nd - 1
    for d in range(first, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"got{list(input.shape)} with dimension {d} being empty."
            )
    if any(v < 0 for v in o):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(o)}: {[*input.shape[:-nd], *o]}"
        )
    S = tuple(input.shape[-nd:])
    words = ("time", "height", "width")[3 - nd :]
    for w, n_, k_, o_ in zip(words, S, k, o):
        # 2-D pooling allows o + k - 1 == n, 3-D pooling does not (PyTorch's checks differ).
        if o_ + k_ - 1 > n_ - (nd == 3):
            raise RuntimeError(f"{name}(): pool {w} {k_} too large relative to input {w} {n_}")
    x = input if input.ndim == nd + 2 else input.unsqueeze(0)
    N, C = x.shape[:2]
    if samples is None:
        from .creation import rand

        samples = rand(N, C, nd, dtype=input.dtype, device=input.device)
    else:
        _check_samples(nd, samples, input, N, C)
    u = np.asarray(samples.detach().cpu()._data)[:N]
    if u.dtype != np.float64:
        u = u.astype(np.float32)
    # Flat input position of every tap of every window: (N, C, *o, prod(k)).
    flat = np.zeros((N, C) + o + k, np.int64)
    for d in range(nd):
        starts = _starts(u[..., _SAMPLE_AXIS[nd][d]], S[d], o[d], k[d])  # (N, C, o_d)
        shape = [N, C] + [1] * (2 * nd)
        shape[2 + d] = o[d]
        taps_d = np.arange(k[d]).reshape([1] * (2 + nd + d) + [k[d]] + [1] * (nd - d - 1))
        pos = starts.reshape(shape) + taps_d
        flat = flat * S[d] + pos
    flat = flat.reshape((N, C) + o + (int(np.prod(k)),))
    xp = xp_of(x._data)
    taps = xp.asarray(flat)
    plane = x._data.reshape(N, C, int(np.prod(S)))
    win = xp.take_along_axis(plane, taps.reshape(N, C, int(np.prod(o)) * flat.shape[-1]), -1)
    win = win.reshape(taps.shape)
    loc = win.argmax(-1) if win.shape[-1] else xp.zeros(win.shape[:-1], np.int64)
    if win.dtype.kind == "f" and win.size:
        # PyTorch's scan keeps the last NaN of a window (the first maximum otherwise).
        nan = xp.isnan(win)
        last_nan = win.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
        loc = xp.where(nan.any(-1), last_nan, loc)
    index = _make(xp.take_along_axis(taps, loc[..., None], -1)[..., 0].astype(np.int64))
    out = x.flatten(2).gather(2, index.flatten(2)).reshape(index.shape)
    if input.ndim == nd + 1:
        out, index = out.squeeze(0), index.squeeze(0)
    return out, index


def fractional_max_pool2d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """2-D fractional max pooling over (N, C, H, W) or (C, H, W) input.

    Windows of ``kernel_size`` start at pseudo-random positions chosen so that the output has
    ``output_size`` (or ``input size * output_ratio``). ``_random_samples`` (N, C, 2) in [0, 1)
    fixes the positions; by default they are drawn from ``ember.rand``.

    Example:
        >>> F = ember.nn.functional
        >>> F.fractional_max_pool2d(ember.randn(1, 2, 9, 9), 2, output_size=5).shape
        ember.Size([1, 2, 5, 5])
    """
    out, index = _fractional_max(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, index) if return_indices else out


def fractional_max_pool3d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W) input.

    ``_random_samples`` has shape (N, C, 3); see :func:`fractional_max_pool2d`.

    Example:
        >>> F = ember.nn.functional
        >>> F.fractional_max_pool3d(ember.randn(1, 1, 8, 8, 8), 2, output_ratio=0.5).shape
        ember.Size([1, 1, 4, 4, 4])
    """
    out, index = _fractional_max(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, index) if return_indices else out


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """fractional_max_pool2d that always returns (output, indices)."""
    return _fractional_max(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """fractional_max_pool3d that always returns (output, indices)."""
    return _fractional_max(3, input, kernel_size, output_size, output_ratio, _random_samples)
