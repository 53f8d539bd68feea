"""VonMises, LKJCholesky (with CorrCholeskyTransform) and Wishart against torch.distributions:
log_prob / moments / entropy and log_prob gradients on the same float64 parameters, sample
moments and shapes under a fixed seed, and validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_distributions_more import _np, _pair, _try

import ember
import ember.distributions as ED
from ember.distributions import constraints, transforms

torch = pytest.importorskip("torch")
TD = torch.distributions


def _close(a, b, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=True)


def _random_corr_cholesky(rng, shape, d):
    a = rng.standard_normal(tuple(shape) + (d, d))
    cov = a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    corr = cov / sd[..., :, None] / sd[..., None, :]
    return np.linalg.cholesky(corr)


def _spd(rng, shape, n):
    a = rng.standard_normal(tuple(shape) + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def make_case(name, rng, grad=False):
    """(ember dist, torch dist, ember value, torch value, ember params, torch params)."""
    P = lambda a: _pair(a, grad)  # noqa: E731
    if name == "von_mises":
        (m, tm), (k, tk) = P(rng.uniform(-3, 3, (3, 1))), P([0.01, 0.7, 3.0, 40.0])
        v, tv = _pair(rng.uniform(-6, 6, (2, 3, 4)))
        return ED.VonMises(m, k), TD.VonMises(tm, tk), v, tv, [m, k], [tm, tk]
    if name.startswith("lkj"):
        d = int(name[-1])
        c, tc = P(rng.uniform(0.2, 3.0, (2, 3)))
        v, tv = _pair(_random_corr_cholesky(rng, (4, 1, 3), d))
        return ED.LKJCholesky(d, c), TD.LKJCholesky(d, tc), v, tv, [c], [tc]
    if name.startswith("wishart"):
        kind = name.split("_", 1)[1]
        cov = _spd(rng, (2, 1), 3)
        mat = {"cov": cov, "prec": np.linalg.inv(cov), "tril": np.linalg.cholesky(cov)}[kind]
        kw = {"cov": "covariance_matrix", "prec": "precision_matrix", "tril": "scale_tril"}[kind]
        (df, tdf), (m, tm) = P([3.2, 4.0, 4.5, 7.0]), P(mat)
        v, tv = _pair(_spd(rng, (5, 2, 4), 3))
        e, t = ED.Wishart(df, **{kw: m}), TD.Wishart(tdf, **{kw: tm})
        return e, t, v, tv, [df, m], [tdf, tm]
    raise KeyError(name)


CASES = ["von_mises", "lkj2", "lkj3", "lkj5", "wishart_cov", "wishart_prec", "wishart_tril"]
# torch's log I0 / log I1 are polynomial fits good to ~3e-7; ember's come from i0e / i1e
RTOL = {"von_mises": 2e-5}


@pytest.mark.parametrize("name", CASES)
def test_values_match_torch(name):
    e, t, v, tv, _, _ = make_case(name, np.random.default_rng(0))
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    _close(e.log_prob(v), t.log_prob(tv))
    for attr in ("mean", "mode", "variance", "stddev"):
        ref = _try(lambda attr=attr: getattr(t, attr))
        got = _try(lambda attr=attr: getattr(e, attr))
        assert (ref is NotImplemented) == (got is NotImplemented), attr
        if ref is not NotImplemented:
            _close(got, ref, rtol=RTOL.get(name, 1e-6))
    ref, got = _try(t.entropy), _try(e.entropy)
    assert (ref is NotImplemented) == (got is NotImplemented)
    if ref is not NotImplemented:
        _close(got, ref)


@pytest.mark.parametrize("name", CASES)
def test_log_prob_grad_matches_torch(name):
    e, t, v, tv, ps, tps = make_case(name, np.random.default_rng(1), grad=True)
    e.log_prob(v).sum().backward()
    t.log_prob(tv).sum().backward()
    for p, tp in zip(ps, tps):
        g, tg = _np(p.grad), _np(tp.grad)
        if name == "wishart_tril" and g.ndim > 1:
            # only the lower triangle is a parameter; torch also passes gradient to the
            # (ignored) upper entries, ember's triangular solves do not
            g, tg = np.tril(g), np.tril(tg)
        _close(g, tg, rtol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_expand(name):
    e, t, _, _, _, _ = make_case(name, np.random.default_rng(2))
    shape = (2,) + tuple(e.batch_shape)
    ee, te = e.expand(shape), t.expand(shape)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.sample((3,)).shape) == (3,) + shape + tuple(e.event_shape)


def test_von_mises_sample_moments():
    ember.manual_seed(0)
    loc = ember.tensor([0.5, -3.0, 2.0, 3.1], dtype=ember.float64)
    k = ember.tensor([1e-6, 0.5, 2.0, 60.0], dtype=ember.float64)
    d = ED.VonMises(loc, k)
    x = d.sample((40000,)).numpy()
    assert x.shape == (40000, 4) and x.min() >= -math.pi and x.max() <= math.pi
    # E[cos(x - loc)] = I1/I0 = 1 - variance and E[sin(x - loc)] = 0
    c = np.cos(x - loc.numpy()).mean(0)
    s = np.sin(x - loc.numpy()).mean(0)
    np.testing.assert_allclose(c, 1 - d.variance.numpy(), atol=0.012)
    np.testing.assert_allclose(s, 0, atol=0.012)
    assert not d.has_rsample
    assert ED.VonMises(0.0, 1.0).sample((2, 3)).dtype == ember.get_default_dtype()


def test_von_mises_validation():
    with pytest.raises(ValueError):
        ED.VonMises(0.0, -1.0)
    with pytest.raises(ValueError):
        ED.VonMises(0.0, 0.0)
    with pytest.raises(ValueError):
        ED.VonMises(0.0, 1.0).log_prob(ember.tensor(float("nan")))
    ED.VonMises(0.0, -1.0, validate_args=False)
    with pytest.raises(ValueError):
        TD.VonMises(0.0, -1.0)


def test_corr_cholesky_transform_matches_torch():
    x = np.random.default_rng(3).normal(0, 1.5, (2, 3, 10))
    (ex, tx) = _pair(x, True)
    t, tt = transforms.CorrCholeskyTransform(), TD.transforms.CorrCholeskyTransform()
    y, ty = t(ex), tt(tx)
    _close(y, ty, atol=1e-12)
    assert bool(constraints.corr_cholesky.check(y).all())
    _close(t.log_abs_det_jacobian(ex, y), tt.log_abs_det_jacobian(tx, ty), atol=1e-8)
    _close(t.inv(y), x, atol=1e-7)
    (y.sum() + t.log_abs_det_jacobian(ex, y).sum()).backward()
    (ty.sum() + tt.log_abs_det_jacobian(tx, ty).sum()).backward()
    _close(ex.grad, tx.grad, atol=1e-7)
    # the log-det is log|det| of the Jacobian of x -> the free (strictly lower) entries
    x1 = ember.tensor(x[0, 0, :6])
    rows, cols = (ember.tensor(i) for i in np.tril_indices(4, -1))
    jac = ember.autograd.functional.jacobian(lambda v: t(v)[rows, cols], x1)
    _close(t.log_abs_det_jacobian(x1, t(x1)), np.linalg.slogdet(jac.numpy())[1], atol=1e-10)


def test_corr_cholesky_transform_shapes_and_registry():
    t = transforms.CorrCholeskyTransform()
    assert tuple(t.forward_shape((2, 6))) == (2, 4, 4)
    assert tuple(t.inverse_shape((2, 4, 4))) == (2, 6)
    with pytest.raises(ValueError):
        t.forward_shape((5,))
    assert isinstance(ED.biject_to(constraints.corr_cholesky), transforms.CorrCholeskyTransform)
    assert isinstance(ED.transform_to(constraints.corr_cholesky), transforms.CorrCholeskyTransform)
    good = t(ember.tensor([0.3, -0.2, 0.9]))
    assert bool(constraints.corr_cholesky.check(good))
    assert not bool(constraints.corr_cholesky.check(2 * good))
    assert not bool(constraints.corr_cholesky.check(good.transpose(-1, -2)))


def test_lkj_sample_moments():
    # every off-diagonal correlation r of LKJ(eta) in d dims has (r + 1) / 2 ~ Beta(a, a) with
    # a = eta - 1 + d / 2, so E r = 0 and Var r = 1 / (2 a + 1)
    ember.manual_seed(0)
    d, eta = 4, ember.tensor([0.4, 1.0, 3.0], dtype=ember.float64)
    lower = ED.LKJCholesky(d, eta).sample((20000,))
    assert tuple(lower.shape) == (20000, 3, d, d)
    assert bool(constraints.corr_cholesky.check(lower).all())
    corr = (lower @ lower.transpose(-1, -2)).numpy()
    off = corr[..., np.tril_indices(d, -1)[0], np.tril_indices(d, -1)[1]]
    a = eta.numpy() - 1 + d / 2
    np.testing.assert_allclose(off.mean(0), 0, atol=0.02)
    np.testing.assert_allclose(off.var(0), np.broadcast_to(1 / (2 * a + 1), (6, 3)).T, rtol=0.05)


def test_lkj_validation():
    with pytest.raises(ValueError):
        ED.LKJCholesky(1, 1.0)
    with pytest.raises(ValueError):
        ED.LKJCholesky(3, -1.0)
    with pytest.raises(ValueError):
        ED.LKJCholesky(3, 1.0).log_prob(2 * ember.eye(3))
    with pytest.raises(ValueError):
        TD.LKJCholesky(3, 1.0).log_prob(2 * torch.eye(3))


def test_wishart_sample_moments_and_df_gradient():
    ember.manual_seed(0)
    rng = np.random.default_rng(4)
    cov = ember.tensor(_spd(rng, (2,), 3) / 3)
    df = ember.tensor([3.5, 8.0], dtype=ember.float64, requires_grad=True)
    d = ED.Wishart(df, cov)
    x = d.rsample((20000,))
    assert tuple(x.shape) == (20000, 2, 3, 3)
    assert bool(constraints.positive_definite.check(x.detach()).all())
    xs = x.detach().numpy()
    np.testing.assert_allclose(xs.mean(0), d.mean.detach().numpy(), rtol=0.05, atol=0.05)
    np.testing.assert_allclose(xs.var(0), d.variance.detach().numpy(), rtol=0.1, atol=0.1)
    # d E[X] / d df = covariance_matrix, through the chi-squared draws' implicit gradient
    x.sum().backward()
    np.testing.assert_allclose(df.grad.numpy() / 20000, cov.numpy().sum((-2, -1)), rtol=0.05)
    assert tuple(ED.Wishart(4.0, ember.eye(2)).sample().shape) == (2, 2)


def test_wishart_validation():
    eye = ember.eye(3, dtype=ember.float64)
    with pytest.raises(ValueError):
        ED.Wishart(ember.tensor(1.5), eye)  # df must exceed p - 1 = 2
    with pytest.raises(ValueError):
        TD.Wishart(torch.tensor(1.5), torch.eye(3))
    with pytest.raises(ValueError):
        ED.Wishart(ember.tensor(4.0), -eye)
    with pytest.raises(ValueError):
        ED.Wishart(ember.tensor(4.0), eye, scale_tril=eye)
    with pytest.raises(ValueError):
        ED.Wishart(ember.tensor(4.0), ember.ones(3))
    with pytest.raises(ValueError):
        ED.Wishart(ember.tensor(4.0), eye).log_prob(-eye)
