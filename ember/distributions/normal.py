"""The normal distribution, as in ``torch.distributions.Normal``."""

from __future__ import annotations

import math

import ember

from .distribution import _LocScale

__all__ = ["Normal"]


class Normal(_LocScale):
    """Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    Example::

        >>> d = Normal(ember.tensor([0.0]), ember.tensor([1.0]))
        >>> d.log_prob(ember.tensor([0.0]))
        tensor([-0.9189])
    """

    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = ember.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc.expand(shape) + eps * self.scale.expand(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ember.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * ember.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + ember.log(self.scale)
