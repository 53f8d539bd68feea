"""The gamma-function family: lgamma, digamma, polygamma and mvlgamma.

Kernels run in float64 on the array library of the input (NumPy or CuPy) and return the
input's dtype. Each derivative is the next member of the family, written as an ember op, so
gradients of every order exist: lgamma' = digamma, digamma' = polygamma(1), and
polygamma(n)' = polygamma(n + 1).
"""

from __future__ import annotations

import math

from ._util import D, Tensor, _make, in_float64, np, xp_of
from .elementwise import _unary

__all__ = ["digamma", "lgamma", "mvlgamma", "polygamma"]

# Lanczos approximation, g = 7, nine terms (relative error ~1e-15 for x >= 0.5).
_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Bernoulli numbers B_2k for the asymptotic series, k = 1..8.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_SHIFT = 12.0  # recurrences move arguments up to here before the asymptotic series


def _lanczos_lgamma(xp, x):
    z = x - 1.0
    acc = xp.full(z.shape, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], 1):
        acc += c / (z + i)
    t = z + _G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(acc)


@in_float64
def _lgamma_fwd(x):
    xp = xp_of(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = x < 0.5
        # Reflection for x < 0.5: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x).
        refl = (
            math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - _lanczos_lgamma(xp, 1.0 - x)
        )
        out = xp.where(small, refl, _lanczos_lgamma(xp, xp.where(small, 1.0, x)))
        out = xp.where((x <= 0) & (x == xp.floor(x)), np.inf, out)  # poles
        out = xp.where((x == 1) | (x == 2), 0.0, out)  # exact zeros, as in PyTorch
        return xp.where(xp.isinf(x), np.inf, out)


def _shifted(xp, x, n):
    """(x moved up to >= _SHIFT, the recurrence's sum of (x + k) ** -(n + 1) terms)."""
    acc = xp.zeros(x.shape)
    x = x.copy()
    while True:
        low = x < _SHIFT
        if not low.any():
            return x, acc
        acc += xp.where(low, 1.0 / xp.where(low, x, 1.0) ** (n + 1), 0.0)
        x = xp.where(low, x + 1.0, x)


@in_float64
def _digamma_fwd(x):
    xp = xp_of(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        small = x < 0.5
        # Reflection: digamma(x) = digamma(1 - x) - pi / tan(pi x).
        y = xp.where(small, 1.0 - x, x)
        y = xp.where(xp.isfinite(y), y, _SHIFT)
        y, acc = _shifted(xp, y, 0)
        inv2 = 1.0 / (y * y)
        series = sum(b / (2 * k) * inv2**k for k, b in enumerate(_B2K, 1))
        out = xp.log(y) - 0.5 / y - series - acc
        out = xp.where(small, out - math.pi / xp.tan(math.pi * x), out)
        out = xp.where(x == 0, -np.inf, out)
        out = xp.where((x < 0) & (x == xp.floor(x)), np.nan, out)
        out = xp.where(x == np.inf, np.inf, out)
        return xp.where(xp.isnan(x) | (x == -np.inf), np.nan, out)


def _polygamma_fwd(n):
    @in_float64
    def run(x):
        xp = xp_of(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pole = (x <= 0) & (x == xp.floor(x)) & xp.isfinite(x)
            y, acc = _shifted(xp, xp.where(pole | ~xp.isfinite(x), _SHIFT, x), n)
            # (-1)^(n+1) [ (n-1)!/y^n + n!/(2 y^(n+1)) + sum_k B2k (2k+n-1)!/(2k)! / y^(2k+n) ]
            series = math.factorial(n - 1) / y**n + math.factorial(n) / (2 * y ** (n + 1))
            for k, b in enumerate(_B2K, 1):
                c = b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
                series = series + c / y ** (2 * k + n)
            sign = 1.0 if n % 2 else -1.0
            out = sign * (series + math.factorial(n) * acc)
            # Poles and infinities as PyTorch reports them: +inf (odd n) or -inf (even n) at
            # poles; at -inf the same but NaN for n = 1; at +inf 0 for n = 1, NaN above.
            inf = np.inf if n % 2 else -np.inf
            out = xp.where(pole, inf, out)
            out = xp.where(x == -np.inf, np.nan if n == 1 else inf, out)
            out = xp.where(x == np.inf, 0.0 if n == 1 else np.nan, out)
            return xp.where(xp.isnan(x), np.nan, out)

    return run


_POLY_OPS: dict = {}


def _polygamma_fn(n: int):
    """The elementwise op for one order n >= 1 (made once, then cached)."""
    if n not in _POLY_OPS:
        bwd = lambda x, y, g: g * polygamma(n + 1, x)  # noqa: E731
        _POLY_OPS[n] = _unary(f"polygamma{n}", _polygamma_fwd(n), bwd)[0]
    return _POLY_OPS[n]


lgamma, _ = _unary(
    "lgamma",
    _lgamma_fwd,
    lambda x, y, g: g * digamma(x),
    doc="""Natural log of the absolute value of the gamma function.

    Example:
        >>> ember.lgamma(ember.tensor([1.0, 5.0]))
        tensor([0.0000, 3.1781])
    """,
)

digamma, _ = _unary(
    "digamma",
    _digamma_fwd,
    lambda x, y, g: g * polygamma(1, x),
    doc="""The derivative of lgamma (psi).

    Example:
        >>> ember.digamma(ember.tensor([1.0]))
        tensor([-0.5772])
    """,
)


def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:
    """The ``n``-th derivative of digamma (``n = 0`` is digamma itself).

    Example:
        >>> ember.polygamma(1, ember.tensor([1.0]))
        tensor([1.6449])
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)
    return _polygamma_fn(n)(input, out=out)


def polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)``: see :func:`polygamma`."""
    return polygamma(n, self)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """Log of the multivariate gamma function of dimension ``p``.

    Example:
        >>> ember.mvlgamma(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if not input.is_floating_point():
        input = input.to(D.get_default_dtype())
    # Like PyTorch 2.x, no domain check: elements <= (p - 1) / 2 give inf or values of |Gamma|.
    shifts = _make(xp_of(input._data).asarray(np.arange(p) / -2.0, dtype=input._data.dtype))
    total = lgamma(input.unsqueeze(-1) + shifts).sum(-1)
    return total + p * (p - 1) / 4 * math.log(math.pi)
