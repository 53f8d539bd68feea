"""The half-normal distribution, as in ``torch.distributions.HalfNormal``."""

from __future__ import annotations

import math

from .normal import Normal
from .transformed_distribution import _Folded

__all__ = ["HalfNormal"]


class HalfNormal(_Folded):
    """Distribution of ``|X|`` for ``X ~ Normal(0, scale)``.

    Example::

        >>> HalfNormal(1.0).cdf(ember.tensor(0.0))
        tensor(0.)
    """

    _base = Normal

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)
