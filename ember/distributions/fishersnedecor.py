"""The Fisher-Snedecor (F) distribution, as in ``torch.distributions.FisherSnedecor``."""

from __future__ import annotations

import math
import numbers

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Gamma, _clamp_tiny
from .utils import broadcast_all

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """F-distribution with ``df1`` and ``df2`` degrees of freedom.

    A ratio of two scaled Gamma draws, so ``rsample`` is differentiable in both.

    Example::

        >>> FisherSnedecor(ember.tensor([5.0]), ember.tensor([5.0])).mean
        tensor([1.6667])
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        if isinstance(df1, numbers.Number) and isinstance(df2, numbers.Number):
            batch_shape = ember.Size()
        else:
            batch_shape = self.df1.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = ember.Size(batch_shape)
        new.df1 = self.df1.expand(batch_shape)
        new.df2 = self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _nan(self):
        return ember.full_like(self.df2, math.nan)

    @property
    def mean(self):
        return ember.where(self.df2 > 2, self.df2 / (self.df2 - 2), self._nan())

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return ember.where(self.df1 > 2, mode, self._nan())

    @property
    def variance(self):
        df1, df2 = self.df1, self.df2
        var = 2 * df2.pow(2) * (df1 + df2 - 2) / (df1 * (df2 - 2).pow(2) * (df2 - 4))
        return ember.where(df2 > 4, var, self._nan())

    def rsample(self, sample_shape=()):
        # Gamma(df / 2, df / 2) draws, i.e. chi2(df) / df, with the rates set to df and the
        # factor 2 cancelling in the ratio
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape)
        return _clamp_tiny(x1 / x2)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        t1 = ember.lgamma(h1 + h2) - ember.lgamma(h1) - ember.lgamma(h2)
        t2 = h1 * ratio.log() + (h1 - 1) * ember.log(value)
        t3 = (h1 + h2) * ember.log1p(ratio * value)
        return t1 + t2 - t3
