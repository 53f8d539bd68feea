"""FractionalMaxPool2d/3d and LPPool3d (the other pooling layers live in ``pooling.py``)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module
from .pooling import _LPPoolNd

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool3d"]


def _ntuple(v, n: int):
    if v is None or isinstance(v, (tuple, list)):
        return None if v is None else tuple(v)
    return (v,) * n


class _FractionalMaxPoolNd(Module):
    _nd = 0

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ):
        super().__init__()
        nd = self._nd
        self.kernel_size = _ntuple(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, nd)
        self.output_ratio = _ntuple(output_ratio, nd)
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{type(self).__name__} requires specifying either an output size, or a "
                "pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        fn = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling to ``output_size`` or ``input size * output_ratio``.

    Example:
        >>> ember.nn.FractionalMaxPool2d(3, output_ratio=0.5)(ember.randn(1, 2, 10, 12)).shape
        ember.Size([1, 2, 5, 6])
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling to ``output_size`` or ``input size * output_ratio``.

    Example:
        >>> ember.nn.FractionalMaxPool3d(2, output_size=3)(ember.randn(1, 2, 6, 6, 6)).shape
        ember.Size([1, 2, 3, 3, 3])
    """

    _nd = 3


class LPPool3d(_LPPoolNd):
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W) input.

    Example:
        >>> ember.nn.LPPool3d(2, 2)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )
