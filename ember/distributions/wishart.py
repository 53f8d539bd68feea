"""The Wishart distribution over positive-definite matrices, as in
``torch.distributions.Wishart``."""

from __future__ import annotations

import math
import numbers

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]

_MATRIX_NAMES = ("covariance_matrix", "precision_matrix", "scale_tril")


def _log_det(lower):
    """log det(L L^T) from a Cholesky factor."""
    return 2 * lower.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class Wishart(Distribution):
    """Wishart distribution of ``p x p`` positive-definite matrices with ``df`` (> p - 1) degrees
    of freedom and scale given by one of ``covariance_matrix``, ``precision_matrix`` or a
    lower-triangular ``scale_tril``.

    ``rsample`` uses the Bartlett decomposition ``X = L A A^T L^T``, with ``A`` lower-triangular,
    standard normal below the diagonal and ``A_ii^2 ~ Chi2(df - i)``; the chi-squared draws carry
    the implicit reparameterization gradient (NOTE [ Implicit reparameterization of Gamma
    samples ]), so samples are differentiable in ``df`` as well as in the scale.

    Example::

        >>> Wishart(ember.tensor(3.0), ember.eye(2)).mean
        tensor([[3., 0.],
                [0., 3.]])
    """

    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self):
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self._event_shape[-1] - 1),
        }

    def __init__(
        self,
        df,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ):
        given = {
            name: m
            for name, m in zip(_MATRIX_NAMES, (covariance_matrix, precision_matrix, scale_tril))
            if m is not None
        }
        if len(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        ((name, matrix),) = given.items()
        if matrix.dim() < 2:
            raise ValueError(
                f"{name} must be at least two-dimensional, with optional leading batch dimensions"
            )
        if isinstance(df, numbers.Number):
            df = ember.tensor(df, dtype=matrix.dtype, device=matrix.device)
        batch_shape = ember.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(df.shape))
        event_shape = tuple(matrix.shape[-2:])
        self.df = df.expand(batch_shape)
        setattr(self, name, matrix.expand(tuple(batch_shape) + event_shape))
        self._unbroadcasted_scale_tril = matrix if name == "scale_tril" else None
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        # factorise only after validation, so a bad matrix raises ValueError, not a linalg error
        if name == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(matrix)
        elif name == "precision_matrix":
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = ember.Size(batch_shape)
        matrix_shape = tuple(batch_shape) + tuple(self.event_shape)
        new.df = self.df.expand(batch_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in _MATRIX_NAMES:
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(matrix_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.transpose(-1, -2)).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        return ember.cholesky_inverse(self._unbroadcasted_scale_tril).expand(self._matrix_shape())

    def _df(self):
        return self.df.unsqueeze(-1).unsqueeze(-1)

    @property
    def mean(self):
        return self._df() * self.covariance_matrix

    @property
    def mode(self):
        """``(df - p - 1) * covariance_matrix``, NaN where ``df <= p + 1`` (as torch)."""
        factor = self._df() - self._event_shape[-1] - 1
        factor = ember.where(factor > 0, factor, ember.full_like(factor, math.nan))
        return factor * self.covariance_matrix

    @property
    def variance(self):
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._df() * (cov.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p, dtype, device = self._event_shape[-1], self.df.dtype, self.df.device
        i = ember.arange(p, dtype=dtype, device=device)
        chi2 = Gamma(0.5 * (self.df.unsqueeze(-1) - i), 0.5, validate_args=False)
        diag = chi2.rsample(sample_shape).sqrt()
        below = ember.randn(shape, dtype=dtype, device=device).tril(-1)
        la = self._unbroadcasted_scale_tril @ (below + diag.diag_embed())
        return la @ la.transpose(-1, -2)

    def _multi_digamma(self, a):
        i = ember.arange(self._event_shape[-1], dtype=a.dtype, device=a.device)
        return ember.digamma(a.unsqueeze(-1) - 0.5 * i).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p, nu = self._event_shape[-1], self.df
        lower = self._unbroadcasted_scale_tril
        value_lower = ember.linalg.cholesky(value)
        # tr(Sigma^-1 X) = |L^-1 chol(X)|_F^2
        whitened = ember.linalg.solve_triangular(lower, value_lower, upper=False)
        trace = whitened.pow(2).flatten(-2).sum(-1)
        return (
            0.5 * (nu - p - 1) * _log_det(value_lower)
            - 0.5 * trace
            - 0.5 * nu * p * math.log(2)
            - 0.5 * nu * _log_det(lower)
            - ember.mvlgamma(0.5 * nu, p)
        )

    def entropy(self):
        p, nu = self._event_shape[-1], self.df
        half_df = 0.5 * nu
        return (
            0.5 * (p + 1) * _log_det(self._unbroadcasted_scale_tril)
            + 0.5 * p * (p + 1) * math.log(2)
            + ember.mvlgamma(half_df, p)
            - 0.5 * (nu - p - 1) * self._multi_digamma(half_df)
            + 0.5 * nu * p
        )
