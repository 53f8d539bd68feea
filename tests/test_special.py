import math

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck


def _t(xs, dtype="float64", requires_grad=False):
    # NOTE: built from a NumPy array: ember.tensor(list, dtype=float64) currently rounds the
    # list through float32, which would hide the float64 accuracy these tests check.
    t = ember.tensor(np.array(xs, dtype=dtype))
    return t.requires_grad_() if requires_grad else t


X = [-7.0, -2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 1.9, 2.1, 3.5, 7.0]
P = [1e-3, 0.02, 0.3, 0.5, 0.7, 0.98]

# name, inputs, extra kwargs, double backward checked
UNARY = [
    ("erf", X, {}, True),
    ("erfc", X, {}, True),
    ("erfcx", X[1:], {}, True),
    ("erfinv", [-0.9, -0.3, 0.0, 0.5, 0.95], {}, True),
    ("expit", X, {}, True),
    ("logit", P, {}, True),
    ("logit", [0.0, 0.3, 1.0], {"eps": 1e-2}, False),
    ("exp2", X, {}, True),
    ("expm1", X, {}, True),
    ("log1p", [-0.5, 0.0, 1e-9, 3.0], {}, True),
    ("sinc", [-2.5, -0.3, 0.4, 1.5], {}, True),
    ("round", [-2.5, -0.5, 0.5, 1.5, 2.4], {}, False),
    ("round", [1.2345, -9.87654], {"decimals": 2}, False),
    ("i0", X, {}, True),
    ("entr", [0.0, 0.1, 1.0, 3.0, -1.0, float("inf"), float("-inf")], {}, False),
    ("ndtr", X, {}, True),
    ("ndtri", P, {}, True),
    ("log_ndtr", X + [-30.0, 12.0], {}, True),
]


@pytest.mark.parametrize("name, xs, kw, _", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_matches_pytorch(name, xs, kw, _, dtype):
    got = getattr(ember.special, name)(_t(xs, dtype), **kw)
    want = getattr(torch.special, name)(torch.tensor(xs, dtype=getattr(torch, dtype)), **kw)
    assert str(got.dtype).split(".")[1] == dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize(
    "name, xs, kw, double", [u for u in UNARY if u[0] not in ("round", "entr")]
)
def test_gradients_match_finite_differences(name, xs, kw, double):
    fn = getattr(ember.special, name)
    x = _t(xs, requires_grad=True)
    assert gradcheck(lambda t: fn(t, **kw), (x,))
    if double:
        assert gradgradcheck(lambda t: fn(t, **kw), (x,))


def test_gradients_match_pytorch():
    for name in ("erfc", "ndtr", "log_ndtr", "i0", "erfcx"):
        e = _t(X[1:], requires_grad=True)
        t = torch.tensor(X[1:], dtype=torch.float64, requires_grad=True)
        getattr(ember.special, name)(e).sum().backward()
        getattr(torch.special, name)(t).sum().backward()
        np.testing.assert_allclose(
            e.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-15, err_msg=name
        )


def test_tails_are_accurate():
    # ndtr far in the lower tail, where 1 - erf would cancel to 0: against the standard library
    xs = [-8.0, -15.0, -30.0]
    got = ember.special.ndtr(_t(xs)).numpy()
    want = [0.5 * math.erfc(-x / math.sqrt(2)) for x in xs]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    p = [1e-20, 1e-100, 1 - 1e-12]
    got = ember.special.ndtri(_t(p))
    want = torch.special.ndtri(torch.tensor(p, dtype=torch.float64))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_binary_xlog_matches_pytorch_including_zero_and_nan(name):
    a = [0.0, 0.0, 2.0, 1.5, 3.0]
    b = [float("nan"), 0.0, 0.5, 2.0, -0.5]
    got = getattr(ember.special, name)(_t(a, "float32"), _t(b, "float32"))
    want = getattr(torch.special, name)(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, equal_nan=True)
    got = getattr(ember.special, name)(2.0, ember.tensor([0.5, 3.0]))
    want = getattr(torch.special, name)(2.0, torch.tensor([0.5, 3.0]))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    x = _t([0.5, 2.0], requires_grad=True)
    y = _t([1.5, 0.25], requires_grad=True)
    assert gradcheck(getattr(ember.special, name), (x, y))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_reductions_match_pytorch(name):
    data = np.random.default_rng(0).normal(size=(3, 4))
    for dim in (0, 1, -1):
        got = getattr(ember.special, name)(ember.tensor(data), dim)
        want = getattr(torch.special, name)(torch.tensor(data), dim)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    x = ember.tensor(data, requires_grad=True)
    assert gradcheck(lambda t: getattr(ember.special, name)(t, 1), (x,))


@pytest.mark.parametrize(
    "call",
    [
        lambda sp, x: sp.gammaln(x),
        lambda sp, x: sp.digamma(x),
        lambda sp, x: sp.psi(x),
        lambda sp, x: sp.polygamma(2, x),
        lambda sp, x: sp.multigammaln(x + 2.0, 3),
    ],
)
def test_gamma_family_matches_torch_special(call):
    data = np.array([-2.5, -0.5, 0.25, 1.0, 3.5, 12.0, 40.0])
    got = call(ember.special, ember.tensor(data)).numpy()
    want = call(torch.special, torch.tensor(data)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-13)


def test_sinc_higher_derivatives_at_zero():
    # PyTorch 2.13 returns nan for sinc's second derivative at 0; ember gives the series value.
    x = ember.tensor(np.array([0.0, 0.0, 0.25]), requires_grad=True)
    assert ember.autograd.gradcheck(ember.special.sinc, (x,))
    assert ember.autograd.gradgradcheck(ember.special.sinc, (x,))
    (g,) = ember.autograd.grad(ember.special.sinc(x).sum(), x, create_graph=True)
    (h,) = ember.autograd.grad(g.sum(), x)
    assert g[0].item() == 0.0 and abs(h[0].item() + np.pi**2 / 3) < 1e-12
