"""The inverse-gamma distribution, as in ``torch.distributions.InverseGamma``."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Gamma, _clamp_tiny

__all__ = ["InverseGamma"]


class InverseGamma(Distribution):
    """Distribution of ``1 / X`` for ``X ~ Gamma(concentration, rate)``.

    PyTorch builds it as a TransformedDistribution; here the formulas are direct, with the same
    results (and ``rsample`` differentiable in both parameters).

    Example::

        >>> InverseGamma(ember.tensor([3.0]), ember.tensor([2.0])).mean
        tensor([1.])
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.base_dist = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        batch_shape = ember.Size(batch_shape)
        new.base_dist = self.base_dist.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        c, r = self.concentration, self.rate
        return ember.where(c > 1, r / (c - 1), ember.full_like(c, math.inf))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        c, r = self.concentration, self.rate
        var = r.pow(2) / ((c - 1).pow(2) * (c - 2))
        return ember.where(c > 2, var, ember.full_like(c, math.inf))

    def rsample(self, sample_shape=()):
        return _clamp_tiny(self.base_dist.rsample(sample_shape).reciprocal())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.base_dist.log_prob(value.reciprocal()) - 2 * ember.log(value)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - self.base_dist.cdf(value.reciprocal())

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + ember.lgamma(c) - (1 + c) * ember.digamma(c)

    def __repr__(self):
        return f"InverseGamma(concentration: {self.concentration}, rate: {self.rate})"
