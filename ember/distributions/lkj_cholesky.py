"""The LKJ distribution over Cholesky factors of correlation matrices, as in
``torch.distributions.LKJCholesky``.

NOTE [ LKJ by the onion method ]
Row ``i`` (0-based, ``i >= 1``) of the factor ``L`` is ``(w, sqrt(1 - |w|^2), 0, ...)`` with
``w = sqrt(y) u``, ``u`` uniform on the sphere in ``R^i`` and ``y ~ Beta(i / 2, b_i)``,
``b_i = eta + (d - 1 - i) / 2`` (Lewandowski, Kurowicka and Joe, 2009). Changing variables from
``(y, u)`` to ``w`` gives the density of row ``i`` over its ``i`` free entries:
``Gamma(eta + (d - 1) / 2) / (pi^(i/2) Gamma(b_i)) * L_ii^(2 (b_i - 1))``, since ``i / 2 + b_i``
is the same for every row. ``log_prob`` is the sum of these over the rows.
"""

from __future__ import annotations

import math

import ember

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution over lower Cholesky factors ``L`` of ``dim x dim`` correlation matrices,
    with density proportional to ``det(L L^T)^(concentration - 1)``.

    Sampled by the onion method (see NOTE [ LKJ by the onion method ]); there is no
    ``rsample``.

    Example::

        >>> LKJCholesky(3, 0.5).sample().shape
        ember.Size([3, 3])
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    has_rsample = False

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if not isinstance(dim, int) or dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = ember.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _row_index(self):
        return ember.arange(self.dim, dtype=self.concentration.dtype)

    def sample(self, sample_shape=()):
        with ember.no_grad():
            d, eta = self.dim, self.concentration
            i = self._row_index().to(eta.device)
            b = eta.unsqueeze(-1) + 0.5 * (d - 1 - i)
            # row 0 has no free entries; its Beta draw (any valid parameters) is discarded
            a = (0.5 * i).clamp(min=0.5).expand_as(b)
            y = Beta(a, b, validate_args=False).sample(sample_shape)
            y = ember.where(i == 0, ember.zeros_like(y), y)
            shape = self._extended_shape(sample_shape)
            u = ember.randn(shape, dtype=eta.dtype, device=eta.device).tril(-1)
            norm = u.pow(2).sum(-1, keepdim=True).sqrt()
            u = u / ember.where(norm == 0, ember.ones_like(norm), norm)
            return y.sqrt().unsqueeze(-1) * u + (1 - y).sqrt().diag_embed()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d, eta = self.dim, self.concentration
        i = self._row_index()[1:].to(eta.device)
        log_diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:].log()
        power = 2 * (eta.unsqueeze(-1) - 1) + d - 1 - i
        unnormalized = (power * log_diag).sum(-1)
        b = eta.unsqueeze(-1) + 0.5 * (d - 1 - i)
        log_norm = (
            (d - 1) * ember.lgamma(eta + 0.5 * (d - 1))
            - ember.lgamma(b).sum(-1)
            - 0.25 * d * (d - 1) * math.log(math.pi)
        )
        return unnormalized + log_norm
