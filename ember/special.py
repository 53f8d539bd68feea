"""torch.special: special functions, written with ember ops so that autograd covers them.

Most are compositions of existing differentiable ops. Two are small primitives for accuracy
where a composition would lose it: ``erfcx`` (the tails of ``erfc``, ``ndtr`` and ``log_ndtr``
without cancellation) and ``ndtri`` (Newton-refined in the tails);
their backward formulas are ember ops as well, so higher-order gradients work.

``gammaln``, ``digamma`` (``psi``), ``polygamma`` and ``multigammaln`` are ember's gamma family
(ember/ops/gamma.py).
The incomplete gamma functions, Bessel and Airy functions, ``zeta``, ``i0`` and the orthogonal
polynomials live in ember/ops/special_extra.py.
"""

from __future__ import annotations

import math

import numpy as np

from .autograd.grad_mode import no_grad
from .backend import of
from .nn.functional import log_softmax as _log_softmax
from .nn.functional import softmax as _softmax
from .ops._util import Tensor, _make, in_float64, promote, xp_of
from .ops.elementwise import _out, _unary, erf, erfinv, exp2, expm1, log1p, sigmoid, sinc, where
from .ops.elementwise import round as _round
from .ops.gamma import digamma, mvlgamma, polygamma
from .ops.gamma import lgamma as gammaln
from .ops.reduce import logsumexp as _logsumexp
from .ops.special_extra import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    gammainc,
    gammaincc,
    hermite_polynomial_h,
    hermite_polynomial_he,
    i0,
    i0e,
    i1,
    i1e,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    spherical_bessel_j0,
    zeta,
)

psi = digamma


def multigammaln(input: Tensor, p: int) -> Tensor:
    """Log of the multivariate gamma function (``ember.mvlgamma``).

    Example:
        >>> ember.special.multigammaln(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    return mvlgamma(input, p)


__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]

_SQRT2 = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_2PI = math.log(2.0 * math.pi)


@in_float64
def _erfcx_fwd(z):
    xp = xp_of(z)
    small = z < 2
    with np.errstate(over="ignore", invalid="ignore"):
        # Below 2, 1 - erf(z) keeps about 14 digits (erfc(2) is 5e-3); above it the continued
        # fraction erfcx(z) = 1 / (sqrt(pi) (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))))
        # converges to double precision within 60 terms for every z >= 2.
        zs = xp.where(small, z, 0.0)
        direct = xp.exp(zs * zs) * (1.0 - of(z).erf(zs))
        zl = xp.where(small, 2.0, z)
        t = zl
        for n in range(60, 0, -1):
            t = zl + (n / 2.0) / t
        return xp.where(small, direct, 1.0 / (_SQRT_PI * t))


erfcx, _ = _unary(
    "erfcx",
    _erfcx_fwd,
    lambda x, y, g: g * (2 * x * y - 2 / _SQRT_PI),
    save="xy",
    doc="""Scaled complementary error function ``exp(x**2) * erfc(x)``.

    Example:
        >>> ember.special.erfcx(ember.tensor([0.0, 30.0]))
        tensor([1.0000, 0.0188])
    """,
)


def erfc(input, *, out=None):
    """Complementary error function ``1 - erf(x)``, accurate in the upper tail.

    Example:
        >>> ember.special.erfc(ember.tensor([0.0, 10.0], dtype=ember.float64))
        tensor([1.0000e+00, 2.0885e-45], dtype=ember.float64)
    """
    pos = input >= 0
    # NOTE: where(pos, x, -x) rather than abs(x), so that the gradient at 0 is not sign(0) = 0.
    a = where(pos, input, -input)
    e = (-(a * a)).exp() * erfcx(a)
    return _out(where(pos, e, 2 - e), out)


def ndtr(input, *, out=None):
    """Standard normal cumulative distribution function.

    Example:
        >>> ember.special.ndtr(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return _out(0.5 * erfc(-input / _SQRT2), out)


def log_ndtr(input, *, out=None):
    """Logarithm of the standard normal CDF, accurate far into both tails.

    Example:
        >>> ember.special.log_ndtr(ember.tensor([0.0]))
        tensor([-0.6931])
    """
    pos = input > 0
    # Upper half: log(1 - ndtr(-x)); lower half: log(erfc(z) / 2) = -z**2 + log(erfcx(z) / 2).
    # Each branch sees a harmless constant where the other one is taken.
    xp_ = where(pos, input, 0.0 * input)
    upper = log1p(-0.5 * erfc(xp_ / _SQRT2))
    z = where(pos, 0.0 * input, -input / _SQRT2)
    lower = (0.5 * erfcx(z)).log() - z * z
    return _out(where(pos, upper, lower), out)


def _ndtri_lower(q):
    # ndtri for 0 <= q <= 1/2: erfinv (or the tail asymptote where 2q - 1 rounds to -1) gives a
    # start, and Newton steps on log_ndtr(x) = log(q) restore full relative accuracy in the tail.
    xp = xp_of(q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lq = xp.log(q)
        tiny = q < 1e-10
        s = xp.where(tiny, -2.0 * lq, 2.0)
        asym = -xp.sqrt(s - xp.log(s) - _LOG_2PI)
        x = xp.where(tiny, asym, _SQRT2 * of(q).erfinv(2.0 * xp.where(tiny, 0.5, q) - 1.0))
        with no_grad():
            for _ in range(5):
                lx = log_ndtr(_make(x))._data
                x = x - (lx - lq) * xp.exp(lx + 0.5 * x * x) * _SQRT_2PI
        return xp.where(q == 0, -xp.inf, x)


@in_float64
def _ndtri_fwd(p):
    xp = xp_of(p)
    upper = p > 0.5
    x = _ndtri_lower(xp.where(upper, 1.0 - p, p))  # 1 - p is exact for p >= 1/2
    x = xp.where(upper, -x, x)
    return xp.where((p < 0) | (p > 1), xp.nan, x)


ndtri, _ = _unary(
    "ndtri",
    _ndtri_fwd,
    lambda x, y, g: g * _SQRT_2PI * (0.5 * y * y).exp(),
    save="y",
    doc="""Inverse of the standard normal CDF: ``ndtr(ndtri(p)) == p``.

    Example:
        >>> ember.special.ndtri(ember.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """,
)


def expit(input, *, out=None):
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Example:
        >>> ember.special.expit(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return sigmoid(input, out=out)


def logit(input, eps=None, *, out=None):
    """Log-odds ``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when eps is given.

    Example:
        >>> ember.special.logit(ember.tensor([0.5]))
        tensor([0.])
    """
    x = input if eps is None else input.clamp(eps, 1 - eps)
    return _out((x / (1 - x)).log(), out)


def _xlog(name, logfn, input, other, out):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one of 'input' and 'other' to be a Tensor")
    (a, b), _ = promote(input, other, float_op=True)
    like = a if isinstance(a, Tensor) else b
    a, b = (
        v if isinstance(v, Tensor) else _make(xp_of(like._data).asarray(v, like._data.dtype))
        for v in (a, b)
    )
    # 0 where input is 0, unless other is NaN (PyTorch's convention); the log there sees 1
    zero = (a == 0) & ~b.isnan()
    r = a * logfn(where(zero, 1.0, b))
    return _out(where(zero, 0.0, r), out)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where input is 0 (NaN if other is NaN).

    Example:
        >>> ember.special.xlogy(ember.tensor([0.0, 2.0]), ember.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    return _xlog("xlogy", lambda t: t.log(), input, other, out)


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, 0 where input is 0 (NaN if other is NaN).

    Example:
        >>> ember.special.xlog1py(ember.tensor([0.0, 2.0]), ember.tensor([-1.0, 0.0]))
        tensor([0., 0.])
    """
    return _xlog("xlog1py", log1p, input, other, out)


def entr(input, *, out=None):
    """Elementwise entropy ``-x * log(x)``: 0 at 0, -inf for negative x.

    Example:
        >>> ember.special.entr(ember.tensor([0.0, 1.0]))
        tensor([0., -0.])
    """
    if not input.is_floating_point():
        input = input.float()
    pos = input > 0
    safe = where(pos, input, 0.0 * input + 1)
    r = -safe * safe.log()
    rest = where(input == 0, 0.0, where(input.isnan(), input, -math.inf))
    return _out(where(pos, r, rest.detach()), out)


def round(input, *, decimals=0, out=None):
    """Round half to even, to ``decimals`` decimal places.

    Example:
        >>> ember.special.round(ember.tensor([0.5, 1.5, 1.234]), decimals=0)
        tensor([0., 2., 1.])
    """
    return _round(input, decimals=decimals, out=out)


def softmax(input, dim, *, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``.

    Example:
        >>> ember.special.softmax(ember.tensor([0.0, 0.0]), 0)
        tensor([0.5000, 0.5000])
    """
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed stably.

    Example:
        >>> ember.special.log_softmax(ember.tensor([0.0, 0.0]), 0)
        tensor([-0.6931, -0.6931])
    """
    return _log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """``log(sum(exp(x)))`` along ``dim``, computed stably.

    Example:
        >>> ember.special.logsumexp(ember.tensor([0.0, 0.0]), 0)
        tensor(0.6931)
    """
    return _out(_logsumexp(input, dim, keepdim), out)
