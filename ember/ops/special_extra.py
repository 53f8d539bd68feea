"""More of torch.special: incomplete gamma, Bessel and Airy functions, Hurwitz zeta and the
classical orthogonal polynomials.

Kernels run in float64 on the input's array library (NumPy or CuPy) and hand back the input's
dtype. Where PyTorch has a derivative it is written with ember ops, so it is differentiable
again: i0' = i1, i1' = i0 - i1/x (and the scaled pair likewise), d/dx gammainc(a, x) is the
gamma density, d/dq zeta(x, q) = -x zeta(x + 1, q). Where PyTorch has none (the Bessel functions
other than the i-family, airy_ai, the polynomials) the result does not require grad, and where
PyTorch raises on backward (gammainc w.r.t. a, zeta w.r.t. x) ember raises the same exception.

Numerical methods, all from standard expansions:

- I0, I1: power series up to 20, the Hankel asymptotic series above.
- K0, K1: the logarithmic power series up to 2; from 2 to 20 the trapezoid rule on
  exp(x) K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt (an even, analytic, doubly
  exponentially decaying integrand, so the rule converges geometrically); the asymptotic
  series above 20.
- J0, J1, Y0, Y1: power series below 2; Miller's backward recurrence, normalised by
  J0 + 2 sum J_2k = 1, and Neumann's series for Y0 (Y1 = -Y0') up to 25; Hankel's asymptotic
  expansion above.
- Ai: Taylor series of the Airy equation y'' = x y around the integers -10..10 (anchor values
  computed once in high precision), asymptotic expansions beyond.
- gammainc: the power series of P for x < a + 1, the continued fraction of Q (modified Lentz)
  otherwise, with the prefactor x^a e^-x / Gamma(a + 1) from Stirling's series for large a.
- zeta: Euler-Maclaurin summation.
"""

from __future__ import annotations

import math

from ..autograd.function import Primitive
from ._util import D, Tensor, _make, in_float64, np, promote, xp_of
from .elementwise import _out, _unary, inplace, where
from .gamma import _B2K, _lgamma_fwd, lgamma

__all__ = ["i0", "igamma", "igammac"]

_EULER = 0.57721566490153286061
_EPS = 2.0**-52  # the spacing of doubles at 1: a continued fraction factor there has converged
_TWO_OVER_PI = 2.0 / math.pi


def _series_terms(xp, x, nu, alt, terms):
    """sum_k (+-1)^k a_k(nu) / x^k, a_k = prod_j (4 nu^2 - (2j - 1)^2) / (k! 8^k)."""
    mu = 4.0 * nu * nu
    t = xp.ones_like(x)
    s = t.copy()
    for k in range(1, terms + 1):
        t = t * ((mu - (2 * k - 1) ** 2) / (8.0 * k)) / x
        if alt:
            t = -t
        s = s + t
    return s


# ---------------------------------------------------------------------------------------------
# modified Bessel functions of the first kind


def _bessel_i(x, nu, scaled):
    """I_nu(x) (or exp(-|x|) I_nu(x)) for nu in (0, 1), x float64."""
    xp = xp_of(x)
    ax = xp.abs(x)
    small = ax <= 20
    xs = xp.where(small, ax, 0.0)
    q = 0.25 * xs * xs
    term = xp.ones_like(xs) if nu == 0 else 0.5 * xs
    s = term
    for k in range(1, 40):
        term = term * q / (k * (k + nu))
        s = s + term
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        xl = xp.where(small, 40.0, ax)
        big = _series_terms(xp, xl, nu, True, 30) / xp.sqrt(2 * math.pi * xl)  # exp(-x) I(x)
        if scaled:
            out = xp.where(small, s * xp.exp(-xs), big)
        else:
            h = xp.exp(0.5 * xl)  # e^x in two halves: I0 overflows later than e^x does
            out = xp.where(small, s, big * h * h)
        out = xp.where(ax == np.inf, 0.0 if scaled else np.nan, out)
    if nu == 1:
        out = xp.where(x < 0, -out, out)
    return xp.where(xp.isnan(x), np.nan, out)


@in_float64
def _i0_fwd(x):
    return _bessel_i(x, 0, False)


@in_float64
def _i1_fwd(x):
    return _bessel_i(x, 1, False)


@in_float64
def _i0e_fwd(x):
    return _bessel_i(x, 0, True)


@in_float64
def _i1e_fwd(x):
    return _bessel_i(x, 1, True)


def _i1_bwd(x, y, g):
    zero = x == 0
    safe = where(zero, 1.0, x)
    return g * where(zero, 0.5, i0(x) - i1(x) / safe)


def _i1e_bwd(x, y, g):
    zero = x == 0
    safe = where(zero, 1.0, x)
    return g * where(zero, 0.5, i0e(x) - i1e(x) * (x.sign() + 1 / safe))


i0, _ = _unary(
    "i0",
    _i0_fwd,
    lambda x, y, g: g * i1(x),
    doc="""Modified Bessel function of the first kind, order 0.

    Example:
        >>> ember.i0(ember.tensor([0.0, 1.0]))
        tensor([1.0000, 1.2661])
    """,
)
i1, _ = _unary(
    "i1",
    _i1_fwd,
    _i1_bwd,
    doc="""Modified Bessel function of the first kind, order 1.

    Example:
        >>> ember.special.i1(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.5652])
    """,
)
i0e, _ = _unary(
    "i0e",
    _i0e_fwd,
    lambda x, y, g: g * (i1e(x) - x.sign() * i0e(x)),
    doc="""Exponentially scaled ``exp(-|x|) * i0(x)``.

    Example:
        >>> ember.special.i0e(ember.tensor([0.0, 1.0]))
        tensor([1.0000, 0.4658])
    """,
)
i1e, _ = _unary(
    "i1e",
    _i1e_fwd,
    _i1e_bwd,
    doc="""Exponentially scaled ``exp(-|x|) * i1(x)``.

    Example:
        >>> ember.special.i1e(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.2079])
    """,
)
i0_ = inplace(i0, "i0_")


# ---------------------------------------------------------------------------------------------
# functions without a derivative in PyTorch: results that do not require grad


def _plain(name, kernel, doc):
    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(
                f"special_{name}(): argument 'input' (position 1) must be Tensor, "
                f"not {type(input).__name__}"
            )
        if not input.is_floating_point():
            input = input.to(D.float_result(input.dtype))
        return _out(_make(in_float64(kernel)(input._data)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _doc(summary, call, result):
    return f"""{summary}

    Example:
        >>> ember.special.{call}
        {result}
    """


modified_bessel_i0 = _plain(
    "modified_bessel_i0",
    lambda x: _bessel_i(x, 0, False),
    _doc(
        "Modified Bessel function I0 (no gradient).",
        "modified_bessel_i0(ember.tensor([1.0]))",
        "tensor([1.2661])",
    ),
)
modified_bessel_i1 = _plain(
    "modified_bessel_i1",
    lambda x: _bessel_i(x, 1, False),
    _doc(
        "Modified Bessel function I1 (no gradient).",
        "modified_bessel_i1(ember.tensor([1.0]))",
        "tensor([0.5652])",
    ),
)

# Trapezoid nodes for exp(x) K_nu(x) on 2 < x <= 20: step 0.1 keeps the rule's error below
# exp(x - pi^2 / 0.2) ~ 1e-34 there, and x (cosh 5 - 1) >= 146 makes the cut at t = 5 harmless.
_K_STEP = 0.1
_K_NODES = np.arange(51) * _K_STEP


def _bessel_k(x, nu, scaled):
    """K_nu(x) (or exp(x) K_nu(x)) for nu in (0, 1), x float64."""
    xp = xp_of(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = (x > 0) & (x <= 2)
        xs = xp.where(small, x, 1.0)
        q = 0.25 * xs * xs
        lg = xp.log(0.5 * xs)
        term = xp.ones_like(xs)  # q^k / (k! (k + nu)!)
        harm = 0.0  # H_k
        i_sum = term
        if nu == 0:
            rest = xp.zeros_like(xs)
        else:
            rest = term * (1.0 - 2 * _EULER)  # psi(1) + psi(2)
        for k in range(1, 25):
            term = term * q / (k * (k + nu))
            harm += 1.0 / k
            i_sum = i_sum + term
            if nu == 0:
                rest = rest + harm * term
            else:
                rest = rest + (2 * harm + 1.0 / (k + 1) - 2 * _EULER) * term
        if nu == 0:
            ks = -(lg + _EULER) * i_sum + rest
        else:
            ks = 1.0 / xs + lg * (0.5 * xs * i_sum) - 0.25 * xs * rest
        ks_scaled = ks * xp.exp(xs)

        mid = (x > 2) & (x <= 20)
        xm = xp.where(mid, x, 10.0)[..., None]
        t = xp.asarray(_K_NODES)
        f = xp.exp(-xm * (xp.cosh(t) - 1.0)) * (xp.cosh(nu * t) * _K_STEP)
        km_scaled = f.sum(-1) - 0.5 * f[..., 0]

        xb = xp.where(x > 20, x, 40.0)
        kb_scaled = _series_terms(xp, xb, nu, False, 30) * xp.sqrt(0.5 * math.pi / xb)

        out = xp.where(small, ks_scaled, xp.where(mid, km_scaled, kb_scaled))
        if not scaled:
            out = xp.where(small, ks, out * xp.exp(-x))
        out = xp.where(x == 0, np.inf, out)
        out = xp.where(x == np.inf, 0.0, out)
        return xp.where((x < 0) | xp.isnan(x), np.nan, out)


modified_bessel_k0 = _plain(
    "modified_bessel_k0",
    lambda x: _bessel_k(x, 0, False),
    _doc(
        "Modified Bessel function of the second kind K0.",
        "modified_bessel_k0(ember.tensor([1.0]))",
        "tensor([0.4210])",
    ),
)
modified_bessel_k1 = _plain(
    "modified_bessel_k1",
    lambda x: _bessel_k(x, 1, False),
    _doc(
        "Modified Bessel function of the second kind K1.",
        "modified_bessel_k1(ember.tensor([1.0]))",
        "tensor([0.6019])",
    ),
)
scaled_modified_bessel_k0 = _plain(
    "scaled_modified_bessel_k0",
    lambda x: _bessel_k(x, 0, True),
    _doc(
        "Exponentially scaled ``exp(x) * K0(x)``.",
        "scaled_modified_bessel_k0(ember.tensor([1.0]))",
        "tensor([1.1445])",
    ),
)
scaled_modified_bessel_k1 = _plain(
    "scaled_modified_bessel_k1",
    lambda x: _bessel_k(x, 1, True),
    _doc(
        "Exponentially scaled ``exp(x) * K1(x)``.",
        "scaled_modified_bessel_k1(ember.tensor([1.0]))",
        "tensor([1.6362])",
    ),
)


# ---------------------------------------------------------------------------------------------
# Bessel functions of the first and second kind

_MILLER_START = 80  # J_80(x) < 1e-40 J_0(x)-ish for x <= 25; (2/x)^80 80! cannot overflow


def _bessel_jy(x, want):
    """One of J0, J1, Y0, Y1 (``want`` in "j0 j1 y0 y1") of float64 ``x``."""
    xp = xp_of(x)
    order = int(want[1])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ax = xp.abs(x)
        # power series below 2
        small = ax < 2
        xs = xp.where(small, x, 1.0)
        axs = xp.abs(xs)
        q = -0.25 * xs * xs
        term = xp.ones_like(xs)  # (-q)^k / (k! (k + order)!)
        j_sum = term
        harm = 0.0
        rest = xp.zeros_like(xs) if order == 0 else term * (1.0 - 2 * _EULER)
        for k in range(1, 25):
            term = term * q / (k * (k + order))
            harm += 1.0 / k
            j_sum = j_sum + term
            if order == 0:
                rest = rest - harm * term
            else:
                rest = rest + (2 * harm + 1.0 / (k + 1) - 2 * _EULER) * term
        lg = xp.log(0.5 * axs)
        if order == 0:
            js = j_sum
            ys = _TWO_OVER_PI * ((lg + _EULER) * js + rest)
        else:
            js = 0.5 * xs * j_sum
            ys = -_TWO_OVER_PI / axs + _TWO_OVER_PI * lg * js - axs / (2 * math.pi) * rest

        # Miller's backward recurrence from 2 to 25
        mid = (ax >= 2) & (ax <= 25)
        xm = xp.where(mid, ax, 10.0)
        hi = xp.zeros_like(xm)
        cur = xp.full(xm.shape, 1e-30)
        norm = xp.zeros_like(xm)
        neu0 = xp.zeros_like(xm)  # sum_k (-1)^k J_2k / k
        neu1 = xp.zeros_like(xm)  # sum_k (-1)^k (J_2k-1 - J_2k+1) / k
        j1 = None
        for m in range(_MILLER_START, 0, -1):  # cur = J_m (unnormalised)
            if m % 2 == 0:
                k = m // 2
                norm = norm + 2 * cur
                neu0 = neu0 + ((-1) ** k / k) * cur
            else:
                k = (m + 1) // 2
                c = (-1) ** k / k
                if m >= 3:
                    c -= (-1) ** (k - 1) / (k - 1)
                neu1 = neu1 + c * cur
            if m == 1:
                j1 = cur
            hi, cur = cur, (2.0 * m / xm) * cur - hi
        norm = norm + cur
        j0m, j1m = cur / norm, j1 / norm
        lgm = xp.log(0.5 * xm) + _EULER
        y0m = _TWO_OVER_PI * (lgm * j0m - 2 * neu0 / norm)
        y1m = _TWO_OVER_PI * (lgm * j1m - j0m / xm + neu1 / norm)

        # Hankel's asymptotic expansion above 25, with cos/sin(x - (2 order + 1) pi / 4)
        # expanded so that no rounded multiple of pi is subtracted from a large x
        xb = xp.where(ax > 25, ax, 50.0)
        mu = 4.0 * order * order
        p = xp.ones_like(xb)
        qq = xp.zeros_like(xb)
        t = xp.ones_like(xb)
        for k in range(1, 40):
            t = t * ((mu - (2 * k - 1) ** 2) / (8.0 * k)) / xb
            if k % 2:
                qq = qq + (-1) ** (k // 2) * t
            else:
                p = p + (-1) ** (k // 2) * t
        cx, sx = xp.cos(xb), xp.sin(xb)
        r = 1.0 / math.sqrt(2.0)
        if order == 0:
            cc, ss = (cx + sx) * r, (sx - cx) * r
        else:
            cc, ss = (sx - cx) * r, -(sx + cx) * r
        amp = xp.sqrt(_TWO_OVER_PI / xb)
        jb = amp * (p * cc - qq * ss)
        yb = amp * (p * ss + qq * cc)

        if want[0] == "j":
            jmid, jbig = (j0m, jb) if order == 0 else (xp.sign(x) * j1m, xp.sign(x) * jb)
            out = xp.where(small, js, xp.where(mid, jmid, jbig))
            return xp.where(xp.isfinite(x), out, np.nan)
        y = xp.where(small, ys, xp.where(mid, y0m if order == 0 else y1m, yb))
        y = xp.where(x == 0, -np.inf, y)
        return xp.where((x < 0) | xp.isnan(x) | (x == np.inf), np.nan, y)


bessel_j0 = _plain(
    "bessel_j0",
    lambda x: _bessel_jy(x, "j0"),
    _doc(
        "Bessel function of the first kind, order 0.",
        "bessel_j0(ember.tensor([1.0]))",
        "tensor([0.7652])",
    ),
)
bessel_j1 = _plain(
    "bessel_j1",
    lambda x: _bessel_jy(x, "j1"),
    _doc(
        "Bessel function of the first kind, order 1.",
        "bessel_j1(ember.tensor([1.0]))",
        "tensor([0.4401])",
    ),
)
bessel_y0 = _plain(
    "bessel_y0",
    lambda x: _bessel_jy(x, "y0"),
    _doc(
        "Bessel function of the second kind, order 0.",
        "bessel_y0(ember.tensor([1.0]))",
        "tensor([0.0883])",
    ),
)
bessel_y1 = _plain(
    "bessel_y1",
    lambda x: _bessel_jy(x, "y1"),
    _doc(
        "Bessel function of the second kind, order 1.",
        "bessel_y1(ember.tensor([1.0]))",
        "tensor([-0.7812])",
    ),
)


def _sph_j0(x):
    xp = xp_of(x)
    with np.errstate(invalid="ignore"):
        small = xp.abs(x) < 0.5
        xs = xp.where(small, x, 0.0)
        q = -xs * xs
        term = xp.ones_like(xs)
        s = term
        for k in range(1, 10):
            term = term * q / ((2 * k) * (2 * k + 1))
            s = s + term
        xl = xp.where(small, 1.0, x)
        out = xp.where(small, s, xp.sin(xl) / xl)
        return xp.where(xp.isinf(x), 0.0, out)


spherical_bessel_j0 = _plain(
    "spherical_bessel_j0",
    _sph_j0,
    _doc(
        "Spherical Bessel function ``sin(x) / x``.",
        "spherical_bessel_j0(ember.tensor([1.0]))",
        "tensor([0.8415])",
    ),
)

# ---------------------------------------------------------------------------------------------
# Airy Ai

# Ai(k) and Ai'(k) for k = -10..10, computed once in high precision.
_AIRY_AI = np.array([
    0.04024123848644319, -0.022133721547341403, -0.0527050503563862, 0.18428083525050565,
    -0.3291451736298231, 0.35076100902411433, -0.07026553294928951, -0.37881429367765806,
    0.22740742820168558, 0.5355608832923521, 0.3550280538878172, 0.13529241631288141,
    0.03492413042327438, 0.006591139357460719, 0.0009515638512048018, 0.00010834442813607442,
    9.947694360252889e-06, 7.492128863997167e-07, 4.6922076160992316e-08, 2.47116843087249e-09,
    1.1047532552898686e-10,
])  # fmt: skip
_AIRY_AIP = np.array([
    0.99626504413279, -0.9756639809263316, 0.9355609381983065, -0.7710081684101265,
    0.3459354872813429, 0.32719281855444315, -0.7906285753685813, 0.3145837692165988,
    0.618259020741691, -0.01016056711664521, -0.2588194037928068, -0.1591474412967932,
    -0.05309038443365363, -0.011912976705951319, -0.001958640950204179,
    -0.0002474138908684625, -2.4765200397034955e-05, -2.008150894738792e-06,
    -1.3414392979067865e-07, -7.480641389658946e-09, -3.5206336767389237e-10,
])  # fmt: skip


def _airy_u(n):
    u = [1.0]
    for k in range(1, n):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    return u


_AIRY_U = _airy_u(36)


def _airy_ai(x):
    xp = xp_of(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        mid = xp.abs(x) <= 10.5
        xm = xp.where(mid, x, 0.0)
        x0 = xp.clip(xp.round(xm), -10, 10)
        idx = (x0 + 10).astype(np.int64)
        h = xm - x0
        # Taylor coefficients of the solution of y'' = x y around x0: c'' recurrence
        c_prev2 = xp.asarray(_AIRY_AI)[idx]
        c_prev1 = xp.asarray(_AIRY_AIP)[idx]
        c_m = 0.5 * x0 * c_prev2  # c_2
        hp = h * h
        s = c_prev2 + c_prev1 * h + c_m * hp
        cs = [c_prev2, c_prev1, c_m]
        for m in range(1, 30):  # c_{m+2} = (x0 c_m + c_{m-1}) / ((m + 2)(m + 1))
            c_next = (x0 * cs[m] + cs[m - 1]) / ((m + 2) * (m + 1))
            cs.append(c_next)
            hp = hp * h
            s = s + c_next * hp
        # x > 10.5: Ai(x) ~ exp(-z) / (2 sqrt(pi) x^(1/4)) sum (-1)^k u_k / z^k, z = 2/3 x^1.5
        xb = xp.where(x > 10.5, x, 16.0)
        z = (2.0 / 3.0) * xb * xp.sqrt(xb)
        acc = xp.zeros_like(z)
        zk = xp.ones_like(z)
        for k, u in enumerate(_AIRY_U):
            acc = acc + (-1) ** k * u * zk
            zk = zk / z
        pos = acc * xp.exp(-z) / (2 * math.sqrt(math.pi) * xp.sqrt(xp.sqrt(xb)))
        # x < -10.5: oscillating expansion with phase z + pi/4
        xn = xp.where(x < -10.5, -x, 16.0)
        z = (2.0 / 3.0) * xn * xp.sqrt(xn)
        p = xp.zeros_like(z)
        q = xp.zeros_like(z)
        zk = xp.ones_like(z)
        for k, u in enumerate(_AIRY_U):
            if k % 2:
                q = q + (-1) ** (k // 2) * u * zk
            else:
                p = p + (-1) ** (k // 2) * u * zk
            zk = zk / z
        sz, cz = xp.sin(z), xp.cos(z)
        r = 1.0 / math.sqrt(2.0)
        sin_ph, cos_ph = (sz + cz) * r, (cz - sz) * r
        neg = (sin_ph * p - cos_ph * q) / (math.sqrt(math.pi) * xp.sqrt(xp.sqrt(xn)))
        out = xp.where(mid, s, xp.where(x > 0, pos, neg))
        return xp.where(xp.isfinite(x), out, np.nan)


airy_ai = _plain(
    "airy_ai",
    _airy_ai,
    _doc("Airy function Ai.", "airy_ai(ember.tensor([0.0]))", "tensor([0.3550])"),
)

# ---------------------------------------------------------------------------------------------
# two-argument functions


def _pair(name, input, other, scalars):
    """Both operands as Tensors of their promoted floating dtype (PyTorch's argument rules)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one of 'input' and 'other' to be a Tensor")
    if not scalars:
        for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
            if not isinstance(v, Tensor):
                raise TypeError(
                    f"{name}(): argument '{arg}' (position {pos}) must be Tensor, "
                    f"not {type(v).__name__}"
                )
    (a, b), dt = promote(input, other, float_op=scalars)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.scalar_name}'")
    like = a if isinstance(a, Tensor) else b
    xp = xp_of(like._data)
    return tuple(v if isinstance(v, Tensor) else _make(xp.asarray(v, dtype=dt.np)) for v in (a, b))


def _f64_pair(kernel):
    def run(a, b):
        return kernel(a.astype(np.float64), b.astype(np.float64)).astype(a.dtype, copy=False)

    return run


def _stirling_tail(xp, a):
    """lgamma(a + 1) - (a log a - a + log(2 pi a) / 2) for a >= 10 (Stirling's series)."""
    inv = 1.0 / a
    inv2 = inv * inv
    return sum(b / (2 * k * (2 * k - 1)) * inv * inv2 ** (k - 1) for k, b in enumerate(_B2K, 1))


def _log_power_exp(xp, a, x):
    """log(x^a e^-x / Gamma(a + 1)) for a, x > 0, without the cancellation of large terms."""
    big = a >= 10
    ab = xp.where(big, a, 10.0)
    t = (x - ab) / ab
    with np.errstate(invalid="ignore", divide="ignore"):
        # log(x / a) - (x / a - 1): log1p keeps the small differences, log(x / a) the far ones
        lr = xp.where(xp.abs(t) < 0.5, xp.log1p(t), xp.log(x / ab)) - t
        stirling = ab * lr - 0.5 * xp.log(2 * math.pi * ab) - _stirling_tail(xp, ab)
    direct = a * xp.log(x) - x - _lgamma_fwd(xp.where(big, 1.0, a + 1.0))
    return xp.where(big, stirling, direct)


_IGAMMA_MAX_ITER = 100000
_LGAMMA1P: list = []


def _lgamma1p_small(xp, a):
    """lgamma(1 + a) for 0 <= a < 1/2, to full relative accuracy: -euler a + sum_k
    (-1)^k zeta(k) a^k / k (the coefficients are made once, with this module's zeta)."""
    if not _LGAMMA1P:
        k = np.arange(2.0, 60.0)
        _LGAMMA1P.extend((-1) ** k * _zeta_kernel(k, np.ones_like(k)) / k)
    acc = xp.zeros_like(a)
    for c in reversed(_LGAMMA1P):
        acc = (acc + c) * a
    return (acc - _EULER) * a


def _igammac_small_a(xp, a, x):
    """Q(a, x) for a < 1/2 and x < 3/2 without the cancellation of 1 - P(a, x):
    Q = -expm1(a log x - lgamma(1 + a)) + x^a / Gamma(a) sum_n>=1 (-1)^(n+1) x^n / (n! (a + n)).
    """
    head = -xp.expm1(a * xp.log(x) - _lgamma1p_small(xp, a))
    term = xp.ones_like(x)
    s = xp.zeros_like(x)
    for n in range(1, 40):
        term = -term * x / n
        s = s - term / (a + n)
    # x^a / Gamma(a) = a x^a / Gamma(1 + a)
    return head + a * xp.exp(a * xp.log(x) - _lgamma1p_small(xp, a)) * s


def _igamma_kernel(a, x, upper):
    """P(a, x) (``upper`` False) or Q(a, x) = 1 - P(a, x), float64 arrays."""
    xp = xp_of(a)
    a, x = xp.broadcast_arrays(a, x)
    ok = (a > 0) & (x > 0) & (a < np.inf) & (x < np.inf)
    aa = xp.where(ok, a, 1.0)
    xx = xp.where(ok, x, 1.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        lpe = _log_power_exp(xp, aa, xx)
        series = xx < aa + 1
        # P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))
        as_ = xp.where(series, aa, 1.0)
        xs = xp.where(series, xx, 0.0)
        term = xp.ones_like(as_)
        s = term
        n = 0
        while n < _IGAMMA_MAX_ITER:
            n += 1
            term = term * xs / (as_ + n)
            s = s + term
            if not bool((term > _EPS * s).any()):
                break
        p_series = xp.exp(lpe) * s
        # Q = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / ...))
        ac = xp.where(series, 1.0, aa)
        xc = xp.where(series, 3.0, xx)
        tiny = 1e-300
        b = xc + 1.0 - ac
        c = xp.full(b.shape, 1.0 / tiny)
        d = 1.0 / b
        f = d
        i = 0
        while i < _IGAMMA_MAX_ITER:
            i += 1
            an = -i * (i - ac)
            b = b + 2.0
            d = an * d + b
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = c * d
            f = f * delta
            if not bool((xp.abs(delta - 1.0) > _EPS).any()):
                break
        q_cf = xp.exp(lpe + xp.log(ac)) * f
        p = xp.where(series, p_series, 1.0 - q_cf)
        tiny_a = series & (aa < 0.5)
        q_small = _igammac_small_a(xp, xp.where(tiny_a, aa, 0.25), xp.where(tiny_a, xx, 1.0))
        q = xp.where(series, xp.where(tiny_a, q_small, 1.0 - p_series), q_cf)
        out = q if upper else p
        lo, hi = (1.0, 0.0) if upper else (0.0, 1.0)  # the values of P = 0 and P = 1
        out = xp.where(x == np.inf, hi, out)
        out = xp.where((x == 0) | (a == np.inf), lo, out)
        out = xp.where(a == 0, hi, out)
        bad = xp.isnan(a) | xp.isnan(x) | (a < 0) | (x < 0)
        bad = bad | ((a == 0) & (x == 0)) | ((a == np.inf) & (x == np.inf))
        return xp.where(bad, np.nan, out)


def _igamma_dx(ctx, name: str):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) at the saved (a, x), in ember ops; there is no
    derivative in ``a`` (as in PyTorch)."""
    if ctx.needs_input_grad[0]:
        raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
    a, x = ctx.saved_tensors
    return ((a - 1) * x.log() - x - lgamma(a)).exp()


class Igamma(Primitive):
    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _f64_pair(lambda a, x: _igamma_kernel(a, x, False))(a, x)

    @staticmethod
    def backward(ctx, g):
        return None, g * _igamma_dx(ctx, "igamma")


class Igammac(Primitive):
    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _f64_pair(lambda a, x: _igamma_kernel(a, x, True))(a, x)

    @staticmethod
    def backward(ctx, g):
        return None, -g * _igamma_dx(ctx, "igammac")


def igamma(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Regularised lower incomplete gamma function P(input, other).

    Differentiable in ``other`` only; a gradient for ``input`` raises NotImplementedError.

    Example:
        >>> ember.igamma(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([0.8647])
    """
    return _out(Igamma.apply(*_pair("igamma", input, other, False)), out)


def igammac(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Regularised upper incomplete gamma function Q(input, other) = 1 - P(input, other).

    Example:
        >>> ember.igammac(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([0.1353])
    """
    return _out(Igammac.apply(*_pair("igammac", input, other, False)), out)


igamma_ = inplace(igamma, "igamma_")
igammac_ = inplace(igammac, "igammac_")


def gammainc(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Regularised lower incomplete gamma function (``ember.igamma``).

    Example:
        >>> ember.special.gammainc(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([0.8647])
    """
    return igamma(input, other, out=out)


def gammaincc(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Regularised upper incomplete gamma function (``ember.igammac``).

    Example:
        >>> ember.special.gammaincc(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([0.1353])
    """
    return igammac(input, other, out=out)


# Bernoulli numbers B_2j / (2j)! for the Euler-Maclaurin tail of zeta, j = 1..8.
_EM_COEF = tuple(b / math.factorial(2 * k) for k, b in enumerate(_B2K, 1))


def _zeta_kernel(s, q):
    xp = xp_of(s)
    s, q = xp.broadcast_arrays(s, q)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        whole_q = q == xp.floor(q)
        ok = (s > 1) & (s < np.inf) & (q < np.inf) & ((q > 0) | ((s == xp.floor(s)) & ~whole_q))
        ss = xp.where(ok, s, 2.0)
        qq = xp.where(ok, q, 1.0)
        # Sum the first terms directly until q >= 2 s (and >= 10): then the Euler-Maclaurin
        # terms shrink like (s / (2 pi q))^(2j) and eight of them reach double precision.
        target = xp.clip(2.0 * ss, 10.0, 200.0)
        head = xp.zeros_like(ss)
        while True:
            low = qq < target
            if not bool(low.any()):
                break
            head = head + xp.where(low, xp.power(xp.where(low, qq, 1.0), -ss), 0.0)
            qq = xp.where(low, qq + 1.0, qq)
        qs = xp.power(qq, -ss)
        tail = qq * qs / (ss - 1.0) + 0.5 * qs
        poch = ss  # s (s + 1) ... (s + 2j - 2)
        pw = qs / qq  # q^(-s - 2j + 1)
        inv2 = 1.0 / (qq * qq)
        for j, c in enumerate(_EM_COEF, 1):
            tail = tail + c * poch * pw
            poch = poch * (ss + 2 * j - 1) * (ss + 2 * j)
            pw = pw * inv2
        out = xp.where(ok, head + tail, np.nan)
        # s = inf as PyTorch: q^-inf is inf below 1 and 1 at 1; NaN above
        out = xp.where(s == np.inf, xp.where(q < 1, np.inf, xp.where(q == 1, 1.0, np.nan)), out)
        out = xp.where(xp.isnan(s) | xp.isnan(q), np.nan, out)
        # poles, checked first by PyTorch (so they win over a NaN in the other argument)
        pole = (s == 1) | ((q <= 0) & whole_q & ((s > 1) | xp.isnan(s)))
        return xp.where(pole, np.inf, out)


class Zeta(Primitive):
    @staticmethod
    def forward(ctx, s, q):
        ctx.save_for_backward(s, q)
        return _f64_pair(_zeta_kernel)(s, q)

    @staticmethod
    def backward(ctx, g):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        s, q = ctx.saved_tensors
        return None, -g * s * Zeta.apply(s + 1, q)


def zeta(input, other, *, out: Tensor | None = None) -> Tensor:
    """Hurwitz zeta function ``sum_k (other + k) ** -input``; ``zeta(x, 1)`` is Riemann's.

    Differentiable in ``other``; a gradient for ``input`` raises NotImplementedError.

    Example:
        >>> ember.special.zeta(ember.tensor([2.0]), 1.0)
        tensor([1.6449])
    """
    return _out(Zeta.apply(*_pair("zeta", input, other, True)), out)


# ---------------------------------------------------------------------------------------------
# orthogonal polynomials: three-term recurrences, vectorised over elements of different n

# (p1(x), p_{k+1} from (k, x, p_k, p_{k-1})) per family
_FAMILIES = {
    "chebyshev_polynomial_t": (lambda x: x, lambda k, x, p, pm: 2 * x * p - pm),
    "chebyshev_polynomial_u": (lambda x: 2 * x, lambda k, x, p, pm: 2 * x * p - pm),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, lambda k, x, p, pm: 2 * x * p - pm),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, lambda k, x, p, pm: 2 * x * p - pm),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda k, x, p, pm: 2 * x * p - 2 * k * pm),
    "hermite_polynomial_he": (lambda x: x, lambda k, x, p, pm: x * p - k * pm),
    "laguerre_polynomial_l": (
        lambda x: 1 - x,
        lambda k, x, p, pm: ((2 * k + 1 - x) * p - k * pm) / (k + 1),
    ),
    "legendre_polynomial_p": (
        lambda x: x,
        lambda k, x, p, pm: ((2 * k + 1) * x * p - k * pm) / (k + 1),
    ),
}

# Above this degree the Chebyshev families use their trigonometric closed forms on |x| < 1
# (cos(n t) and friends with x = cos t) instead of n recurrence steps.
_TRIG_DEGREE = 64


def _chebyshev_trig(kind, x, n):
    xp = xp_of(x)
    t = xp.arccos(x)
    if kind == "t":
        return xp.cos(n * t)
    if kind == "u":
        return xp.sin((n + 1) * t) / xp.sin(t)
    if kind == "v":
        return xp.cos((n + 0.5) * t) / xp.cos(0.5 * t)
    return xp.sin((n + 0.5) * t) / xp.sin(0.5 * t)


def _poly_kernel(name):
    first, step = _FAMILIES[name]
    kind = name[-1] if name.startswith("chebyshev") else None

    def run(x, n):
        xp = xp_of(x)
        x, n = xp.broadcast_arrays(x, n)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # PyTorch truncates n to an integer; NaN counts as negative
            n = xp.where(xp.isnan(n), -1.0, xp.trunc(n))
            trig = None
            if kind is not None:
                trig = (n > _TRIG_DEGREE) & (xp.abs(x) < 1)
            loop_n = n if trig is None else xp.where(trig, 0.0, n)
            out = xp.where(n == 0, 1.0, 0.0)
            pm = xp.ones_like(x)
            p = first(x)
            out = xp.where(n == 1, p, out)
            top = int(loop_n.max()) if loop_n.size else 0
            for k in range(1, top):
                pm, p = p, step(k, x, p, pm)
                out = xp.where(loop_n == k + 1, p, out)
            if trig is not None and bool(trig.any()):
                xt = xp.where(trig, x, 0.5)
                out = xp.where(trig, _chebyshev_trig(kind, xt, xp.where(trig, n, 0.0)), out)
            return out

    return run


def _polynomial(name, example, result):
    kernel = _poly_kernel(name)

    def fn(input, n, *, out: Tensor | None = None) -> Tensor:
        x, nn = _pair(f"special_{name}", input, n, True)
        return _out(_make(_f64_pair(kernel)(x._data, nn._data)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""The polynomial ``{name}`` of degree ``n`` at ``input`` (no gradient).

    Negative ``n`` gives 0; a fractional ``n`` is truncated.

    Example:
        >>> ember.special.{name}(ember.tensor([{example}]), 3)
        {result}
    """
    return fn


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "0.5", "tensor([-1.])")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "0.5", "tensor([-1.])")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "0.5", "tensor([-1.])")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "0.5", "tensor([-1.])")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "0.5", "tensor([-5.])")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "0.5", "tensor([-1.3750])")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "0.5", "tensor([-0.1458])")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "0.5", "tensor([-0.4375])")


def _shifted(name, base, result):
    def fn(input, n, *, out: Tensor | None = None) -> Tensor:
        x, nn = _pair(f"special_{name}", input, n, True)
        return base(2 * x - 1, nn, out=out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""``{base.__name__}(2 * input - 1, n)``, the polynomial on [0, 1] (no gradient).

    Example:
        >>> ember.special.{name}(ember.tensor([0.75]), 3)
        {result}
    """
    return fn


shifted_chebyshev_polynomial_t = _shifted(
    "shifted_chebyshev_polynomial_t", chebyshev_polynomial_t, "tensor([-1.])"
)
shifted_chebyshev_polynomial_u = _shifted(
    "shifted_chebyshev_polynomial_u", chebyshev_polynomial_u, "tensor([-1.])"
)
shifted_chebyshev_polynomial_v = _shifted(
    "shifted_chebyshev_polynomial_v", chebyshev_polynomial_v, "tensor([-1.])"
)
shifted_chebyshev_polynomial_w = _shifted(
    "shifted_chebyshev_polynomial_w", chebyshev_polynomial_w, "tensor([-1.])"
)
