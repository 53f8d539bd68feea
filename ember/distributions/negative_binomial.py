"""The negative binomial distribution, as in ``torch.distributions.NegativeBinomial``."""

from __future__ import annotations

import ember
from ember.nn.functional import logsigmoid

from . import constraints
from .binomial import _CountedTrials
from .gamma import Gamma

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_CountedTrials):
    """Number of successes (each with probability ``probs``) before ``total_count`` failures.

    Example::

        >>> NegativeBinomial(2.0, ember.tensor([0.5])).mean
        tensor([2.])
    """

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def expand(self, batch_shape, _instance=None):
        return self._expand_counted(NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self):
        return self.total_count * ember.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / ember.sigmoid(-self.logits)

    def sample(self, sample_shape=()):
        # a Poisson draw whose rate is Gamma(total_count, (1 - p) / p) distributed
        with ember.no_grad():
            gamma = Gamma(self.total_count, ember.exp(-self.logits), validate_args=False)
            return ember.poisson(gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        log_unnormalized = r * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_normalization = -ember.lgamma(r + value) + ember.lgamma(1.0 + value) + ember.lgamma(r)
        # r + value == 0 only at r = 0, value = 0, which has probability 1
        log_normalization = ember.where(
            r + value == 0.0, ember.zeros_like(log_normalization), log_normalization
        )
        return log_unnormalized - log_normalization
