"""The half-Cauchy distribution, as in ``torch.distributions.HalfCauchy``."""

from __future__ import annotations

import math

import ember

from .cauchy import Cauchy
from .transformed_distribution import _Folded

__all__ = ["HalfCauchy"]


class HalfCauchy(_Folded):
    """Distribution of ``|X|`` for ``X ~ Cauchy(0, scale)``.

    Example::

        >>> HalfCauchy(1.0).cdf(ember.tensor(1.0))
        tensor(0.5000)
    """

    _base = Cauchy

    @property
    def mean(self):
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = ember.as_tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        return self._folded_log_prob(value)
