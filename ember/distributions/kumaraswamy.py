"""The Kumaraswamy distribution, as in ``torch.distributions.Kumaraswamy``."""

from __future__ import annotations

import math

import ember

from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["Kumaraswamy"]

_EULER = 0.57721566490153286060


def _moments(a, b, n):
    """``E[X^n] = b * B(1 + n/a, b)``, with the beta function from lgamma."""
    arg1 = 1 + n / a
    log_value = ember.lgamma(arg1) + ember.lgamma(b) - ember.lgamma(arg1 + b)
    return b * ember.exp(log_value)


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distribution on ``(0, 1)``: ``(1 - U ** (1/b)) ** (1/a)`` for uniform ``U``.

    ``a`` is ``concentration1`` and ``b`` is ``concentration0``, as for the Beta distribution.

    Example::

        >>> Kumaraswamy(1.0, 1.0).log_prob(ember.tensor(0.5))
        tensor(0.)
    """

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(
            ember.zeros_like(self.concentration0),
            ember.ones_like(self.concentration0),
            validate_args=validate_args,
        )
        transforms = [
            PowerTransform(exponent=self.concentration0.reciprocal()),
            AffineTransform(loc=1.0, scale=-1.0),
            PowerTransform(exponent=self.concentration1.reciprocal()),
        ]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        # ((a - 1) / (a b - 1)) ** (1 / a); defined only for a >= 1 and b >= 1
        log_mode = ((a - 1) / (a * b - 1)).log() / a
        mode = log_mode.exp()
        return ember.where((a < 1) | (b < 1), ember.full_like(mode, math.nan), mode)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _moments(a, b, 2) - _moments(a, b, 1).pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = ember.digamma(b + 1) + _EULER  # the b-th harmonic number
        return (1 - a.reciprocal()) * harmonic_b + (1 - b.reciprocal()) - ember.log(a * b)
