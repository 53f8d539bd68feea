"""Instance normalisation: per-sample, per-channel statistics over spatial dims."""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from .. import functional as F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _spatial = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        batched = self._spatial + 2
        if input.ndim not in (batched - 1, batched):
            raise ValueError(
                f"expected {batched - 1}D or {batched}D input (got {input.ndim}D input)"
            )
        fdim = input.ndim - self._spatial - 1
        if input.shape[fdim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={fdim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[fdim]}."
                )
            warnings.warn(
                f"input's size at dim={fdim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not "
                "used because affine=False",
                stacklevel=2,
            )
        x = input if input.ndim == batched else input.unsqueeze(0)
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out if input.ndim == batched else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L) input.

    Example:
        >>> ember.nn.InstanceNorm1d(3)(ember.randn(2, 3, 5)).shape
        ember.Size([2, 3, 5])
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W) input.

    Example:
        >>> ember.nn.InstanceNorm2d(3)(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W) input.

    Example:
        >>> ember.nn.InstanceNorm3d(3)(ember.randn(1, 3, 2, 2, 2)).shape
        ember.Size([1, 3, 2, 2, 2])
    """

    _spatial = 3
