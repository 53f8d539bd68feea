"""Short-time Fourier transform and its inverse (torch.stft / torch.istft), built on ember.fft.

Everything is composed of differentiable ops (pad, unfold, the fft primitives, fold), so
gradients flow to the signal, the spectrogram and the window.

Example:
    >>> x = ember.randn(64)
    >>> S = ember.stft(x, 16, window=ember.hann_window(16), return_complex=True)
    >>> S.shape
    ember.Size([9, 17])
"""

from __future__ import annotations

import warnings

from . import fft as _fft
from ._complex import view_as_real
from ._tensor import Tensor

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _full_window(window: Tensor | None, win_length: int, n_fft: int, like: Tensor) -> Tensor:
    """``window`` (ones by default) zero-padded on both sides to ``n_fft``, centred."""
    from .nn.functional import pad

    if window is None:
        real_dtype = like.real.dtype if like.is_complex() else like.dtype
        window = like.new_ones(win_length, dtype=real_dtype)
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        window = pad(window, (left, n_fft - win_length - left))
    return window


def _check_window(fn: str, window: Tensor | None, win_length: int) -> None:
    if window is not None and (window.ndim != 1 or window.shape[0] != win_length):
        raise RuntimeError(
            f"{fn}(...): expected a 1D window tensor of size equal to win_length={win_length}, "
            f"but got window with size {list(window.shape)}"
        )


def stft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: bool | None = None,
    return_complex: bool | None = None,
    align_to_window: bool | None = None,
) -> Tensor:
    """Short-time Fourier transform: the DFT of windowed frames ``hop_length`` apart.

    Args:
        input: signal, shape (L) or (B, L).
        n_fft: frame size; ``window`` (``win_length`` long, ones by default) is centred in it.
        center: pad the signal by ``n_fft // 2`` on both sides (``pad_mode``) so that frame t
            is centred on sample ``t * hop_length``.
        normalized: scale by ``n_fft ** -0.5``.
        onesided: keep ``n_fft // 2 + 1`` frequencies (default for real input and window).
        return_complex: must be given for real input, as in PyTorch; False returns
            ``view_as_real`` of the result.

    Shape: (B?, n_freq, n_frames), with n_frames = 1 + (L' - n_fft) // hop_length for the
    (padded) length L'.

    Example:
        >>> ember.stft(ember.ones(32), 8, window=ember.ones(8), return_complex=True).shape
        ember.Size([5, 17])
    """
    from .nn.functional import pad

    is_complex = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not is_complex:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release."
            )
        return_complex = True
    if not return_complex:
        warnings.warn(
            "stft with return_complex=False is deprecated: it returns view_as_real of the "
            "complex result.",
            UserWarning,
            stacklevel=2,
        )
    if align_to_window is not None and center:
        raise ValueError("stft(...): align_to_window should only be set when center = false")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft(...): expected a 1D or 2D tensor, got {input.ndim}D")
    if pad_mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {pad_mode}")
    batched = input.ndim == 2
    x = input if batched else input.unsqueeze(0)
    if center:
        p = n_fft // 2
        x = pad(x.unsqueeze(1), (p, p), mode=pad_mode).squeeze(1)
    length = x.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"stft(...): expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft(...): expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"stft(...): expected 0 < win_length <= n_fft, but got win_length={win}")
    _check_window("stft", window, win)
    if onesided is None:
        onesided = not is_complex
    elif onesided and is_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if window is None:
        warnings.warn(
            "stft: no window given, so a rectangular one is applied (spectral leakage); pass "
            "window=ember.ones(n_fft) to silence this, or use a tapered window.",
            UserWarning,
            stacklevel=2,
        )
    if align_to_window and win < n_fft:
        x = x.narrow(-1, (n_fft - win) // 2, length - (n_fft - win) // 2)
        length = x.shape[-1]
    frames = x.unfold(-1, n_fft, hop)  # (B, n_frames, n_fft)
    if window is not None or win < n_fft:
        frames = frames * _full_window(window, win, n_fft, x)
    norm = "ortho" if normalized else "backward"
    spec = (_fft.rfft if onesided else _fft.fft)(frames, dim=-1, norm=norm).transpose(-1, -2)
    if not batched:
        spec = spec.squeeze(0)
    return spec if return_complex else view_as_real(spec)


def istft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    normalized: bool = False,
    onesided: bool | None = None,
    length: int | None = None,
    return_complex: bool = False,
) -> Tensor:
    """Inverse of :func:`stft`: inverse DFT of each frame, windowed overlap-add, divided by the
    overlap-added squared window.

    Args:
        input: complex spectrogram (B?, n_freq, n_frames) from ``stft(..., return_complex=True)``.
        onesided: whether ``input`` holds ``n_fft // 2 + 1`` frequencies (inferred by default).
        length: crop or zero-pad the signal to this many samples.
        return_complex: return the complex signal (needs a two-sided ``input``).

    Example:
        >>> w = ember.hann_window(16)
        >>> x = ember.randn(64)
        >>> y = ember.istft(ember.stft(x, 16, window=w, return_complex=True), 16, window=w)
        >>> bool((y - x).abs().max() < 1e-5)
        True
    """
    from .nn.functional import fold, pad

    if not input.is_complex():
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with "
            "return_complex=True."
        )
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not 0 < win <= n_fft:
        raise RuntimeError("istft(...): expected 0 < win_length <= n_fft")
    if not 0 < hop <= win:
        raise RuntimeError("istft(...): expected 0 < hop_length <= win_length")
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"istft(...): expected a tensor with 2 or 3 dimensions of complex dtype, but got "
            f"{input.ndim}"
        )
    _check_window("istft", window, win)
    batched = input.ndim == 3
    spec = input if batched else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[-2], spec.shape[-1]
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(
            "istft(...): expected the frequency dimension (3rd to the last) of the input tensor "
            f"to match n_fft / 2 + 1 when onesided=True, but got {n_freq}"
        )
    if not onesided and n_freq != n_fft:
        raise RuntimeError(
            "istft(...): expected the frequency dimension (3rd to the last) of the input tensor "
            f"to match n_fft when onesided=False, but got {n_freq}"
        )
    if return_complex and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if not return_complex and window is not None and window.is_complex():
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    if window is None:
        warnings.warn(
            "istft: no window given, so a rectangular one is applied; pass the window stft "
            "used for a lossless inversion.",
            UserWarning,
            stacklevel=2,
        )
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(-1, -2)  # (B, n_frames, n_freq)
    if return_complex:
        frames = _fft.ifft(frames, n_fft, dim=-1, norm=norm)
    else:
        # a two-sided spectrum is read through its first half, as a real signal's (PyTorch too)
        frames = _fft.irfft(frames.narrow(-1, 0, n_fft // 2 + 1), n_fft, dim=-1, norm=norm)
    w = _full_window(window, win, n_fft, frames)
    frames = frames * w
    total = n_fft + hop * (n_frames - 1)
    # overlap-add: fold sums the (1, n_fft) blocks placed hop_length apart
    y = fold(frames.transpose(1, 2), (1, total), (1, n_fft), stride=(1, hop))[:, 0, 0]
    wsq = (w.abs() if w.is_complex() else w).pow(2).reshape(1, n_fft, 1)
    env = fold(wsq.expand(1, n_fft, n_frames), (1, total), (1, n_fft), stride=(1, hop))[0, 0, 0]
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    end = min(end, total)
    y, env = y[:, start:end], env[start:end]
    if env.numel() and float(env.abs().min()) < 1e-11:
        raise RuntimeError(f"istft(...): window overlap add min: {float(env.abs().min()):.6g}")
    y = y / env
    if length is not None and y.shape[-1] < length:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning,
            stacklevel=2,
        )
        y = pad(y, (0, length - y.shape[-1]))
    return y if batched else y.squeeze(0)
