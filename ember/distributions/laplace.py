"""The Laplace distribution, as in ``torch.distributions.Laplace``."""

from __future__ import annotations

import math

import ember

from .distribution import _LocScale
from .utils import _eps

__all__ = ["Laplace"]


class Laplace(_LocScale):
    """Laplace (double exponential) distribution with location ``loc`` and scale ``scale``.

    Example::

        >>> Laplace(0.0, 1.0).log_prob(ember.tensor(0.0))
        tensor(-0.6931)
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        # u in (-1, 1): -1 itself would give an infinite draw
        u = ember.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        u = u * (2 - _eps(self.loc.dtype)) - (1 - _eps(self.loc.dtype))
        return self.loc - self.scale * u.sign() * ember.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -ember.log(2 * self.scale) - ember.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * ember.expm1(-z.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * ember.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + ember.log(2 * self.scale)
