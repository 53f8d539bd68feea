"""Dropout modules (elementwise, channel-wise and alpha dropout)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability p and scale the rest by 1/(1-p) while training.

    Example:
        >>> ember.nn.Dropout(0.5).eval()(ember.ones(3))
        tensor([1., 1., 1.])
    """

    _fn = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input with probability p while training.

    Example:
        >>> ember.nn.Dropout1d(0.5).eval()(ember.ones(1, 2, 3)).shape
        ember.Size([1, 2, 3])
    """

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) input with probability p while training.

    Example:
        >>> ember.nn.Dropout2d(0.25).eval()(ember.ones(1, 2, 3, 3)).shape
        ember.Size([1, 2, 3, 3])
    """

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) input with probability p while training.

    Example:
        >>> ember.nn.Dropout3d(0.5).eval()(ember.ones(1, 2, 2, 2, 2)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU activations' mean and variance.

    Example:
        >>> ember.nn.AlphaDropout(0.2).eval()(ember.ones(3))
        tensor([1., 1., 1.])
    """

    _fn = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels.

    Example:
        >>> ember.nn.FeatureAlphaDropout(0.2).eval()(ember.ones(1, 2, 3)).shape
        ember.Size([1, 2, 3])
    """

    _fn = staticmethod(F.feature_alpha_dropout)
