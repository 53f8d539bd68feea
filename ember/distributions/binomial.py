"""The binomial distribution, as in ``torch.distributions.Binomial``."""

from __future__ import annotations

import numpy as np

import ember

from . import constraints
from .distribution import Distribution
from .utils import _ProbsOrLogits

__all__ = ["Binomial"]


def _draw_binomial(count: ember.Tensor, probs: ember.Tensor) -> ember.Tensor:
    from ember.random import _gen

    n = np.asarray(count.detach().cpu()._data).astype(np.int64)
    p = np.asarray(probs.detach().cpu()._data, dtype=np.float64)
    arr = _gen(None).binomial(n, p).astype(np.asarray(probs.detach().cpu()._data).dtype)
    return ember.tensor(arr, device=probs.device)


class _CountedTrials(_ProbsOrLogits, Distribution):
    """A ``total_count`` beside probs or logits (Binomial, NegativeBinomial)."""

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def _expand_counted(self, cls, batch_shape, _instance):
        new = self._get_checked_instance(cls, _instance)
        batch_shape = ember.Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        self._expand_probs_or_logits(new, batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new


class Binomial(_CountedTrials):
    """Number of successes in ``total_count`` trials with success ``probs`` (or ``logits``).

    Example::

        >>> Binomial(4, ember.tensor([0.5])).log_prob(ember.tensor([2.0]))
        tensor([-0.9808])
    """

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__(total_count, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_counted(Binomial, batch_shape, _instance)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return _draw_binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, k = self.total_count, value
        log_choose = ember.lgamma(n + 1) - ember.lgamma(k + 1) - ember.lgamma(n - k + 1)
        # log(1 + e^l) = max(l, 0) + log1p(e^-|l|) stays finite for large |logits|
        logits = self.logits
        log_norm = n * (logits.clamp(min=0) + ember.log1p(ember.exp(-logits.abs())))
        return log_choose + k * logits - log_norm

    def entropy(self):
        n = int(self.total_count.max().item())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        n = int(self.total_count.max().item())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = ember.arange(1 + n, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
