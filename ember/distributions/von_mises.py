"""The von Mises distribution on the circle, as in ``torch.distributions.VonMises``."""

from __future__ import annotations

import math

import numpy as np

import ember
from ember.special import i0e, i1e

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["VonMises"]


def _log_i0(k):
    # i0 overflows from k ~ 700; i0e(k) = exp(-k) i0(k) does not
    return ember.log(i0e(k)) + k


def _best_fisher(kappa: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Angles in ``(-pi, pi)`` from VonMises(0, kappa) by Best and Fisher's (1979) rejection
    sampler with a wrapped Cauchy envelope (float64 arrays)."""
    k = kappa.ravel()
    # tau - sqrt(2 tau) and tau - 2 both cancel for small k; rho below is the same quantity
    # rewritten without the subtractions: rho = (tau - sqrt(2 tau)) / (2 k).
    s = np.sqrt(1.0 + 4.0 * k * k)
    tau = 1.0 + s
    rho = tau * 2.0 * k / ((s + 1.0) * (tau + np.sqrt(2.0 * tau)))
    r = (1.0 + rho * rho) / (2.0 * rho)
    out = np.empty_like(k)
    todo = np.arange(k.size)
    while todo.size:
        u1, u2, u3 = gen.random((3, todo.size))
        z = np.cos(math.pi * u1)
        f = (1.0 + r[todo] * z) / (r[todo] + z)
        c = k[todo] * (r[todo] - f)
        with np.errstate(divide="ignore"):
            ok = (c * (2.0 - c) > u2) | (np.log(c / u2) + 1.0 - c >= 0)
        out[todo[ok]] = np.sign(u3[ok] - 0.5) * np.arccos(np.clip(f[ok], -1.0, 1.0))
        todo = todo[~ok]
    return out.reshape(kappa.shape)


class VonMises(Distribution):
    """Circular distribution with mean direction ``loc`` and ``concentration`` (kappa > 0).

    ``log_prob`` is ``kappa cos(x - loc) - log(2 pi I0(kappa))`` for any real ``x``; samples lie
    in ``[-pi, pi)``. There is no ``rsample``.

    Example::

        >>> VonMises(0.0, 1.0).log_prob(ember.tensor(0.0))
        tensor(-1.0738)
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(VonMises, _instance)
        batch_shape = ember.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self.concentration
        return k * ember.cos(value - self.loc) - math.log(2 * math.pi) - _log_i0(k)

    def sample(self, sample_shape=()):
        from ember.random import _gen

        shape = self._extended_shape(sample_shape)
        kappa = np.asarray(self.concentration.detach().cpu()._data, dtype=np.float64)
        loc = np.asarray(self.loc.detach().cpu()._data, dtype=np.float64)
        theta = _best_fisher(np.broadcast_to(kappa, tuple(shape)), _gen(None))
        x = np.mod(theta + loc + math.pi, 2 * math.pi) - math.pi
        dtype = self.loc.dtype
        return ember.tensor(x, device=self.loc.device).to(dtype)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """Circular variance ``1 - I1(kappa) / I0(kappa)``."""
        k = self.concentration
        return 1 - i1e(k) / i0e(k)
