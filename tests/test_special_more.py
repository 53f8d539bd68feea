"""torch.special's incomplete gamma, Bessel, Airy, zeta and orthogonal polynomial functions
against PyTorch (and SciPy, where PyTorch itself is less accurate than ember)."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

sp = pytest.importorskip("scipy.special")

INF, NAN = float("inf"), float("nan")
EDGES = [0.0, -0.0, INF, -INF, NAN]
WIDE = np.concatenate(
    [-np.logspace(-3, 2.8, 120), np.logspace(-300, -4, 8), np.logspace(-3, 2.8, 160)]
)


def _e(xs, dtype="float64", rg=False):
    t = ember.tensor(np.asarray(xs, dtype=dtype))
    return t.requires_grad_() if rg else t


def _close(got, want, rtol, atol=0.0):
    got, want = np.asarray(got, float), np.asarray(want, float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


# name, inputs, scipy reference (or None), atol vs PyTorch in float64 (PyTorch's own error
# near the zeros of the oscillating functions is about 1e-7 absolute)
UNARY = [
    ("i0", WIDE[np.abs(WIDE) < 700], sp.i0, 0),
    ("i0e", WIDE, sp.i0e, 0),
    ("i1", WIDE[np.abs(WIDE) < 700], sp.i1, 0),
    ("i1e", WIDE, sp.i1e, 0),
    ("modified_bessel_i0", WIDE[np.abs(WIDE) < 700], sp.i0, 0),
    ("modified_bessel_i1", WIDE[np.abs(WIDE) < 700], sp.i1, 0),
    ("modified_bessel_k0", WIDE, sp.k0, 0),
    ("modified_bessel_k1", WIDE, sp.k1, 0),
    ("scaled_modified_bessel_k0", WIDE, sp.k0e, 0),
    ("scaled_modified_bessel_k1", WIDE, sp.k1e, 0),
    ("bessel_j0", WIDE, sp.j0, 1e-6),
    ("bessel_j1", WIDE, sp.j1, 1e-6),
    ("bessel_y0", WIDE, sp.y0, 1e-6),
    ("bessel_y1", WIDE, sp.y1, 1e-6),
    ("spherical_bessel_j0", WIDE, lambda x: sp.spherical_jn(0, x), 0),
    ("airy_ai", np.linspace(-60, 100, 801), lambda x: sp.airy(x)[0], 5e-6),
]


@pytest.mark.parametrize("name, xs, ref, atol", UNARY, ids=[u[0] for u in UNARY])
def test_unary_float64_matches_pytorch_and_scipy(name, xs, ref, atol):
    xs = np.concatenate([xs, EDGES])
    got = getattr(ember.special, name)(_e(xs)).numpy()
    want = getattr(torch.special, name)(torch.tensor(xs)).numpy()
    _close(got, want, rtol=1e-12 if atol == 0 else 1e-9, atol=max(atol, 1e-300))
    fin = np.isfinite(xs)
    if name.startswith(("bessel_y", "modified_bessel_k", "scaled")):
        fin &= xs > 0
    # ember is accurate to ~1e-14 relative, near zeros ~1e-15 absolute (SciPy as reference)
    want = ref(xs[fin])
    _close(got[fin], want, rtol=5e-14, atol=1e-13 * np.abs(want).max() if atol else 1e-300)


@pytest.mark.parametrize("name, xs, ref, atol", UNARY, ids=[u[0] for u in UNARY])
def test_unary_float32_is_float64_rounded(name, xs, ref, atol):
    x32 = np.concatenate([xs, EDGES]).astype(np.float32)
    x32 = x32[np.abs(x32) < 80]  # float32 overflows beyond (PyTorch earlier, in e^x)
    got = getattr(ember.special, name)(_e(x32, "float32"))
    assert got.dtype == ember.float32
    fin = np.isfinite(x32)
    if name.startswith(("bessel_y", "modified_bessel_k", "scaled")):
        fin &= x32 > 0
    want = ref(x32[fin].astype(np.float64))
    _close(got.numpy()[fin], want, rtol=1e-6, atol=1e-7 if atol else 1e-38)
    # and PyTorch's float32 result, within float32 accuracy of an ill-conditioned argument
    t32 = getattr(torch.special, name)(torch.tensor(x32)).numpy()
    _close(got.numpy(), t32, rtol=2e-5, atol=2e-5 if atol else 1e-38)


def test_integer_input_gives_float32_and_scalars_are_refused():
    got = ember.special.bessel_j0(ember.tensor([1, 2]))
    assert got.dtype == ember.float32
    for name in ("bessel_j0", "i1e"):
        with pytest.raises(TypeError):
            getattr(ember.special, name)(2.0)


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_i_family_gradients_match_pytorch_and_gradcheck(name):
    xs = [-30.0, -3.0, -0.5, 0.0, 0.7, 2.0, 25.0]
    e = _e(xs, rg=True)
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    getattr(ember.special, name)(e).sum().backward()
    getattr(torch.special, name)(t).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-300)
    x = _e([-3.0, -0.5, 0.7, 2.0], rg=True)
    fn = getattr(ember.special, name)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_top_level_i0_igamma_and_methods():
    x = _e([0.5, 2.0])
    a = _e([1.5, 3.0])
    np.testing.assert_allclose(ember.i0(x).numpy(), sp.i0(x.numpy()), rtol=1e-14)
    np.testing.assert_allclose(x.i0().numpy(), sp.i0(x.numpy()), rtol=1e-14)
    np.testing.assert_allclose(ember.igamma(a, x).numpy(), sp.gammainc(a.numpy(), x.numpy()))
    np.testing.assert_allclose(a.igammac(x).numpy(), sp.gammaincc(a.numpy(), x.numpy()))
    y = a.clone()
    assert y.igamma_(x) is y
    np.testing.assert_allclose(y.numpy(), sp.gammainc(a.numpy(), x.numpy()))
    y = a.clone()
    y.igammac_(x)
    np.testing.assert_allclose(y.numpy(), sp.gammaincc(a.numpy(), x.numpy()))
    y = x.clone()
    y.i0_()
    np.testing.assert_allclose(y.numpy(), sp.i0(x.numpy()), rtol=1e-14)


def _grid(a, x):
    A, X = np.meshgrid(np.asarray(a, float), np.asarray(x, float))
    return A.ravel(), X.ravel()


GA, GX = _grid(
    np.concatenate([np.logspace(-8, 5, 27), [0.5, 1, 2, 3, 10.5]]),
    np.concatenate([np.logspace(-8, 5.1, 29), [0.5, 1, 2, 3]]),
)
# the edge cases: a or x at 0, inf, nan, negative
EA = [0, 0, 0, 1, INF, INF, 2, -1, NAN, 1, 0.5, -0.5, INF, 1, 0]
EX = [0, 1, INF, 0, 1, INF, -1, 2, 1, NAN, -0.0, 0.5, 0, INF, NAN]


@pytest.mark.parametrize("name, ref", [("gammainc", sp.gammainc), ("gammaincc", sp.gammaincc)])
def test_incomplete_gamma(name, ref):
    a, x = np.concatenate([GA, EA]), np.concatenate([GX, EX])
    got = getattr(ember.special, name)(_e(a), _e(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x)).numpy()
    _close(got, want, rtol=3e-8, atol=1e-300)  # PyTorch itself is off by 2e-8 at small a
    fin = np.isfinite(a) & np.isfinite(x) & (a > 0) & (x > 0)
    _close(got[fin], ref(a[fin], x[fin]), rtol=2e-12, atol=1e-300)
    # float32 computed in float64
    a32, x32 = GA.astype(np.float32), GX.astype(np.float32)
    g32 = getattr(ember.special, name)(_e(a32, "float32"), _e(x32, "float32"))
    assert g32.dtype == ember.float32
    _close(g32.numpy(), ref(a32.astype(float), x32.astype(float)), rtol=1e-6, atol=1e-37)


def test_incomplete_gamma_gradients_and_errors():
    a = [0.5, 1.5, 3.0, 40.0]
    x = [0.3, 2.0, 2.5, 35.0]
    e = _e(x, rg=True)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (ember.special.gammainc(_e(a), e) * 2 + ember.special.gammaincc(_e(a), e)).sum().backward()
    (
        torch.special.gammainc(torch.tensor(a, dtype=torch.float64), t) * 2
        + torch.special.gammaincc(torch.tensor(a, dtype=torch.float64), t)
    ).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    xa = _e(x, rg=True)
    for fn in (ember.special.gammainc, ember.special.gammaincc):
        assert gradcheck(lambda v, fn=fn: fn(_e(a), v), (xa,))
        assert gradgradcheck(lambda v, fn=fn: fn(_e(a), v), (xa,))
    with pytest.raises(NotImplementedError):
        ember.special.gammainc(_e(a, rg=True), _e(x)).sum().backward()
    with pytest.raises(NotImplementedError):
        ember.igammac(_e(a, rg=True), _e(x)).sum().backward()
    with pytest.raises(TypeError):
        ember.special.gammainc(_e(a), 2.0)
    with pytest.raises(NotImplementedError):
        ember.special.gammainc(ember.tensor([1, 2]), ember.tensor([1, 2]))
    assert ember.special.gammainc(_e([1.0], "float32"), _e([2.0])).dtype == ember.float64


ZS, ZQ = _grid(
    [1, 1.0001, 1.5, 2, 3, 4.5, 10, 30, 60, 100, 150, 300, 800, -1, 0.5, INF, NAN],
    [-3.5, -2.5, -1.5, -0.5, -1, 0, 1e-5, 0.1, 0.5, 1, 2, 7.3, 50, 1e3, 1e6, INF, NAN],
)


def test_zeta():
    got = ember.special.zeta(_e(ZS), _e(ZQ)).numpy()
    want = torch.special.zeta(torch.tensor(ZS), torch.tensor(ZQ)).numpy()
    _close(got, want, rtol=1e-13, atol=1e-300)
    fin = np.isfinite(want) & (ZQ > 0)
    _close(got[fin], sp.zeta(ZS[fin], ZQ[fin]), rtol=1e-13, atol=1e-300)
    # scalars on either side, integer tensors become float32
    assert ember.special.zeta(2, ember.tensor([1.0])).dtype == ember.float32
    r = ember.special.zeta(ember.tensor([2, 3]), 1)
    assert r.dtype == ember.float32
    np.testing.assert_allclose(r.numpy(), [np.pi**2 / 6, 1.2020569], rtol=1e-6)
    with pytest.raises(TypeError):
        ember.special.zeta(2.0, 1.0)


def test_zeta_gradient_in_q_and_error_in_x():
    s, q = [2.0, 3.5, 6.0], [0.3, 1.5, 4.0]
    e = _e(q, rg=True)
    t = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    ember.special.zeta(_e(s), e).sum().backward()
    torch.special.zeta(torch.tensor(s, dtype=torch.float64), t).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert gradcheck(lambda v: ember.special.zeta(_e(s), v), (_e(q, rg=True),))
    assert gradgradcheck(lambda v: ember.special.zeta(_e(s), v), (_e(q, rg=True),))
    with pytest.raises(NotImplementedError):
        ember.special.zeta(_e(s, rg=True), _e(q)).sum().backward()


POLYS = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
PX = np.concatenate([np.linspace(-1.5, 1.5, 31), [-1.0, 1.0, 0.0, 3.0, -4.0]])
PN = [-3, 0, 1, 2, 3, 5, 10, 30, 64, 65, 100, 200, 2.7, -0.5, NAN]


@pytest.mark.parametrize("name", POLYS)
def test_polynomials_match_pytorch(name):
    X, N = np.meshgrid(PX if "shifted" not in name else (PX + 1) / 2, PN)
    got = getattr(ember.special, name)(_e(X), _e(N)).numpy()
    want = getattr(torch.special, name)(torch.tensor(X), torch.tensor(N)).numpy()
    # relative to each degree's largest value on [-1, 1], as the values cross zero
    inside = np.abs(X if "shifted" not in name else 2 * X - 1) <= 1
    scale = np.nanmax(np.where(inside & np.isfinite(want), np.abs(want), 0), axis=1, keepdims=True)
    _close(got, want, rtol=1e-11, atol=1e-12 * np.broadcast_to(scale, want.shape).max())
    np.testing.assert_allclose(
        got, want, rtol=1e-11, atol=0, equal_nan=True, err_msg=name
    ) if name.startswith("hermite") else None
    # scalar n, scalar x, float32
    x32 = X[5].astype(np.float32)
    g = getattr(ember.special, name)(_e(x32, "float32"), 3)
    assert g.dtype == ember.float32
    w = getattr(torch.special, name)(torch.tensor(x32, dtype=torch.float64), 3).numpy()
    _close(g.numpy(), w, rtol=1e-6, atol=1e-6)
    g = getattr(ember.special, name)(0.25, ember.tensor([3, 4]))
    w = getattr(torch.special, name)(0.25, torch.tensor([3, 4]))
    assert g.dtype == ember.float32
    _close(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-7)


def test_functions_without_derivatives_do_not_require_grad():
    x = _e([0.5, 1.5], rg=True)
    n = _e([2.0, 3.0], rg=True)
    for name in ("bessel_j0", "modified_bessel_k1", "airy_ai", "spherical_bessel_j0"):
        y = getattr(ember.special, name)(x)
        assert not y.requires_grad
        with pytest.raises(RuntimeError):
            y.sum().backward()
    y = ember.special.legendre_polynomial_p(x, n)
    assert not y.requires_grad
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_pytorch_agrees_on_which_raise():
    # the reference behaviour the tests above mirror
    t = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    assert not torch.special.bessel_j0(t).requires_grad
    with pytest.raises(NotImplementedError):
        torch.special.gammainc(t, t.detach()).sum().backward()
