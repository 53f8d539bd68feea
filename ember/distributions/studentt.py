"""Student's t-distribution, as in ``torch.distributions.StudentT``."""

from __future__ import annotations

import math
import numbers

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t-distribution with ``df`` degrees of freedom, ``loc`` and ``scale``.

    ``rsample`` is a normal draw over the square root of a Chi2 draw / df, so it is
    differentiable in ``df`` as well as in ``loc`` and ``scale``.

    Example::

        >>> StudentT(ember.tensor([2.0])).log_prob(ember.tensor([0.0]))
        tensor([-1.0397])
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        if all(isinstance(v, numbers.Number) for v in (df, loc, scale)):
            batch_shape = ember.Size()
        else:
            batch_shape = self.df.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = ember.Size(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return ember.where(self.df > 1, self.loc, ember.full_like(self.loc, math.nan))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        heavy = ember.where(df > 1, ember.full_like(df, math.inf), ember.full_like(df, math.nan))
        return ember.where(df > 2, finite, heavy)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = ember.randn(shape, dtype=self.df.dtype, device=self.df.device)
        z = self._chi2.rsample(sample_shape)
        y = x * ember.rsqrt(z / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        half_df = 0.5 * self.df
        norm = (
            self.scale.log()
            + 0.5 * self.df.log()
            + 0.5 * math.log(math.pi)
            + ember.lgamma(half_df)
            - ember.lgamma(half_df + 0.5)
        )
        return -0.5 * (self.df + 1.0) * ember.log1p(y.pow(2) / self.df) - norm

    def entropy(self):
        half_df = 0.5 * self.df
        lbeta = ember.lgamma(half_df) + math.lgamma(0.5) - ember.lgamma(half_df + 0.5)
        return (
            self.scale.log()
            + (half_df + 0.5) * (ember.digamma(half_df + 0.5) - ember.digamma(half_df))
            + 0.5 * self.df.log()
            + lbeta
        )
