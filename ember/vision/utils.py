"""Image utilities, as ``torchvision.utils``: ``make_grid`` and ``save_image``."""

from __future__ import annotations

import math
import os

import numpy as np

import ember
from ember._tensor import Tensor, _make
from ember.backend import xp_of

__all__ = ["make_grid", "save_image"]


def make_grid(
    tensor: Tensor | list[Tensor],
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images (``B x C x H x W`` or a list of ``C x H x W``) into one image.

    Images are laid out ``nrow`` per row with ``padding`` pixels of ``pad_value`` around them;
    one-channel images become three-channel. ``normalize`` rescales to [0, 1] using
    ``value_range`` (default: the min and max, per image with ``scale_each``).

    Example:
        >>> make_grid(ember.zeros(4, 1, 2, 2), nrow=2, padding=1).shape
        ember.Size([3, 7, 7])
    """
    if isinstance(tensor, list | tuple):
        tensor = ember.stack(list(tensor), dim=0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    arr = tensor.detach()._data
    xp = xp_of(arr)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = xp.concatenate((arr, arr, arr), 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = xp.concatenate((arr, arr, arr), 1)
    if arr.ndim != 4:
        raise ValueError(
            f"Expected a 2D, 3D or 4D tensor (or a list of 3D ones), got {tensor.ndim}D"
        )
    if normalize:
        arr = arr.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError(
                "value_range has to be a tuple (min, max) if specified. min and max are numbers"
            )

        def norm(img, low, high):
            img = xp.clip(img, low, high)
            return (img - low) / max(high - low, 1e-5)

        def norm_range(img):
            if value_range is not None:
                return norm(img, value_range[0], value_range[1])
            return norm(img, float(img.min()), float(img.max()))

        if scale_each:
            arr = xp.stack([norm_range(a) for a in arr])
        else:
            arr = norm_range(arr)
    if arr.shape[0] == 1:
        return _make(arr[0])
    nmaps, c, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = h + padding, w + padding
    grid = xp.full((c, height * ymaps + padding, width * xmaps + padding), pad_value, arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top, left = y * height + padding, x * width + padding
        grid[:, top : top + h, left : left + w] = arr[k]
    return _make(grid)


def save_image(tensor: Tensor | list[Tensor], fp, format: str | None = None, **kwargs) -> None:
    """Save a tensor image (or a grid of a batch, see :func:`make_grid`) to a file with Pillow.

    Values are expected in [0, 1]; they are scaled to 0..255 and rounded.

    Example:
        >>> save_image(ember.rand(4, 3, 8, 8), "grid.png")  # doctest: +SKIP
    """
    from PIL import Image

    grid = make_grid(tensor, **kwargs)
    arr = np.asarray(grid.cpu()._data, dtype=np.float32)
    arr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    Image.fromarray(np.ascontiguousarray(arr)).save(
        os.fspath(fp) if isinstance(fp, os.PathLike) else fp, format=format
    )
