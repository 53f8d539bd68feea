"""Pooling layers (kernels in ``ember.ops.pool``, reached through ``nn.functional``)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "LPPool1d",
    "LPPool2d",
]


def _tuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


class _MaxPoolNd(Module):
    _fname = ""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return getattr(F, self._fname)(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) input.

    Example:
        >>> ember.nn.MaxPool1d(2)(ember.randn(1, 2, 8)).shape
        ember.Size([1, 2, 4])
    """

    _fname = "max_pool1d"


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W) input.

    Example:
        >>> ember.nn.MaxPool2d(2)(ember.randn(1, 2, 8, 8)).shape
        ember.Size([1, 2, 4, 4])
    """

    _fname = "max_pool2d"


class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of (N, C, D, H, W) input.

    Example:
        >>> ember.nn.MaxPool3d(2)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _fname = "max_pool3d"


class AvgPool1d(Module):
    """Average over sliding windows of (N, C, L) input.

    Example:
        >>> ember.nn.AvgPool1d(2)(ember.randn(1, 2, 8)).shape
        ember.Size([1, 2, 4])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 1)
        self.stride = _tuple(stride if stride is not None else kernel_size, 1)
        self.padding = _tuple(padding, 1)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fname = ""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fname)(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Average over sliding windows of (N, C, H, W) input.

    Example:
        >>> ember.nn.AvgPool2d(2)(ember.randn(1, 2, 8, 8)).shape
        ember.Size([1, 2, 4, 4])
    """

    _fname = "avg_pool2d"


class AvgPool3d(_AvgPoolNd):
    """Average over sliding windows of (N, C, D, H, W) input.

    Example:
        >>> ember.nn.AvgPool3d(2)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _fname = "avg_pool3d"


class _AdaptivePool(Module):
    _fname = ""
    _max = False

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        if self._max:
            self.return_indices = return_indices

    def forward(self, input: Tensor):
        fn = getattr(F, self._fname)
        if self._max:
            return fn(input, self.output_size, self.return_indices)
        return fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling to a fixed output length.

    Example:
        >>> ember.nn.AdaptiveAvgPool1d(3)(ember.randn(1, 2, 8)).shape
        ember.Size([1, 2, 3])
    """

    _fname = "adaptive_avg_pool1d"

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed output size (H_out, W_out); None keeps an input size.

    Example:
        >>> ember.nn.AdaptiveAvgPool2d((5, 7))(ember.randn(1, 64, 8, 9)).shape
        ember.Size([1, 64, 5, 7])
    """

    _fname = "adaptive_avg_pool2d"

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling to a fixed output size (D, H, W).

    Example:
        >>> ember.nn.AdaptiveAvgPool3d(2)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _fname = "adaptive_avg_pool3d"

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling to a fixed output length.

    Example:
        >>> ember.nn.AdaptiveMaxPool1d(3)(ember.randn(1, 2, 8)).shape
        ember.Size([1, 2, 3])
    """

    _fname = "adaptive_max_pool1d"
    _max = True


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed output size (H_out, W_out).

    Example:
        >>> ember.nn.AdaptiveMaxPool2d(3)(ember.randn(1, 2, 8, 8)).shape
        ember.Size([1, 2, 3, 3])
    """

    _fname = "adaptive_max_pool2d"
    _max = True


class AdaptiveMaxPool3d(_AdaptivePool):
    """Max pooling to a fixed output size (D, H, W).

    Example:
        >>> ember.nn.AdaptiveMaxPool3d(2)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _fname = "adaptive_max_pool3d"
    _max = True


class _MaxUnpoolNd(Module):
    _nd = 0
    _fname = ""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self._nd)
        self.stride = _tuple(stride if stride is not None else kernel_size, self._nd)
        self.padding = _tuple(padding, self._nd)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return getattr(F, self._fname)(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d: scatter values back to the positions of their maxima.

    Example:
        >>> pool, unpool = ember.nn.MaxPool1d(2, return_indices=True), ember.nn.MaxUnpool1d(2)
        >>> unpool(*pool(ember.randn(1, 1, 4))).shape
        ember.Size([1, 1, 4])
    """

    _nd = 1
    _fname = "max_unpool1d"


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d: scatter values back to the positions of their maxima.

    Example:
        >>> pool, unpool = ember.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxUnpool2d(2)
        >>> unpool(*pool(ember.randn(1, 1, 4, 4))).shape
        ember.Size([1, 1, 4, 4])
    """

    _nd = 2
    _fname = "max_unpool2d"


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of MaxPool3d."""

    _nd = 3
    _fname = "max_unpool3d"


class _LPPoolNd(Module):
    _nd = 0

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        fn = F.lp_pool1d if self._nd == 1 else F.lp_pool2d
        return fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L) input.

    Example:
        >>> ember.nn.LPPool1d(2, 2)(ember.randn(1, 2, 8)).shape
        ember.Size([1, 2, 4])
    """

    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W) input.

    Example:
        >>> ember.nn.LPPool2d(2, 2)(ember.randn(1, 2, 8, 8)).shape
        ember.Size([1, 2, 4, 4])
    """

    _nd = 2
