"""ember.distributions' Gamma family, multivariate normals and count distributions against
torch.distributions: log_prob / cdf / entropy / moments and their gradients on the same
parameters (float64), rsample gradients in the concentrations (Monte Carlo and finite
differences of the implicit gradient), sample moments, shapes, validation and KL values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.distributions as ED
from ember.distributions._gamma_math import gammainc, standard_gamma_grad

torch = pytest.importorskip("torch")
TD = torch.distributions


def _pair(arr, requires_grad=False):
    arr = np.asarray(arr, dtype=np.float64)
    e = ember.tensor(arr, requires_grad=requires_grad)
    t = torch.tensor(arr, requires_grad=requires_grad)
    return e, t


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=True)


def _spd(rng, shape, n):
    a = rng.standard_normal(tuple(shape) + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def make_case(name, rng, grad=False):
    """(ember dist, torch dist, ember value, torch value, ember params, torch params)."""
    P = lambda a: _pair(a, grad)  # noqa: E731
    if name == "gamma":
        (c, tc), (r, tr) = P(rng.uniform(0.3, 4, (3, 1))), P(rng.uniform(0.5, 2, (4,)))
        v, tv = _pair(rng.uniform(0.05, 4, (2, 3, 4)))
        return ED.Gamma(c, r), TD.Gamma(tc, tr), v, tv, [c, r], [tc, tr]
    if name == "chi2":
        d, td = P(rng.uniform(0.5, 6, (4,)))
        v, tv = _pair(rng.uniform(0.05, 6, (3, 4)))
        return ED.Chi2(d), TD.Chi2(td), v, tv, [d], [td]
    if name == "inverse_gamma":
        (c, tc), (r, tr) = P(rng.uniform(0.5, 4, (5,))), P(rng.uniform(0.5, 2, (5,)))
        v, tv = _pair(rng.uniform(0.05, 4, (2, 5)))
        return ED.InverseGamma(c, r), TD.InverseGamma(tc, tr), v, tv, [c, r], [tc, tr]
    if name == "beta":
        (a, ta), (b, tb) = P(rng.uniform(0.3, 4, (3, 1))), P(rng.uniform(0.3, 4, (4,)))
        v, tv = _pair(rng.uniform(0.02, 0.98, (2, 3, 4)))
        return ED.Beta(a, b), TD.Beta(ta, tb), v, tv, [a, b], [ta, tb]
    if name == "dirichlet":
        c, tc = P(rng.uniform(0.3, 4, (2, 4)))
        v, tv = _pair(rng.dirichlet(np.ones(4), (3, 2)))
        return ED.Dirichlet(c), TD.Dirichlet(tc), v, tv, [c], [tc]
    if name == "studentt":
        (d, td), (m, tm), (s, ts) = (
            P(rng.uniform(0.5, 5, (4,))),
            P(rng.standard_normal(4)),
            P(rng.uniform(0.5, 2, (4,))),
        )
        v, tv = _pair(3 * rng.standard_normal((3, 4)))
        return ED.StudentT(d, m, s), TD.StudentT(td, tm, ts), v, tv, [d, m, s], [td, tm, ts]
    if name == "fisher":
        (a, ta), (b, tb) = P(rng.uniform(1, 9, (5,))), P(rng.uniform(1, 9, (5,)))
        v, tv = _pair(rng.uniform(0.05, 4, (2, 5)))
        return ED.FisherSnedecor(a, b), TD.FisherSnedecor(ta, tb), v, tv, [a, b], [ta, tb]
    if name.startswith("mvn"):
        kind = name.split("_", 1)[1]
        cov = _spd(rng, (2, 1), 3)
        mat = {"cov": cov, "prec": np.linalg.inv(cov), "tril": np.linalg.cholesky(cov)}[kind]
        kw = {"cov": "covariance_matrix", "prec": "precision_matrix", "tril": "scale_tril"}[kind]
        (loc, tloc), (m, tm) = P(rng.standard_normal((4, 3))), P(mat)
        v, tv = _pair(rng.standard_normal((5, 2, 4, 3)))
        return (
            ED.MultivariateNormal(loc, **{kw: m}),
            TD.MultivariateNormal(tloc, **{kw: tm}),
            v,
            tv,
            [loc, m],
            [tloc, tm],
        )
    if name == "lowrank":
        (loc, tl), (w, tw) = P(rng.standard_normal((4, 3))), P(rng.standard_normal((2, 1, 3, 2)))
        d, td = P(rng.uniform(0.5, 2, (3,)))
        v, tv = _pair(rng.standard_normal((5, 2, 4, 3)))
        return (
            ED.LowRankMultivariateNormal(loc, w, d),
            TD.LowRankMultivariateNormal(tl, tw, td),
            v,
            tv,
            [loc, w, d],
            [tl, tw, td],
        )
    if name == "poisson":
        r, tr = P(rng.uniform(0.5, 6, (4,)))
        v, tv = _pair(rng.integers(0, 9, (3, 4)))
        return ED.Poisson(r), TD.Poisson(tr), v, tv, [r], [tr]
    if name in ("binomial", "binomial_logits"):
        n, tn = _pair(np.full((4,), 6.0))
        p, tp = P(rng.uniform(0.1, 0.9, (4,)) if name == "binomial" else rng.normal(0, 2, (4,)))
        key = "probs" if name == "binomial" else "logits"
        v, tv = _pair(rng.integers(0, 7, (3, 4)))
        return ED.Binomial(n, **{key: p}), TD.Binomial(tn, **{key: tp}), v, tv, [p], [tp]
    if name in ("geometric", "geometric_logits"):
        p, tp = P(rng.uniform(0.1, 0.9, (4,)) if name == "geometric" else rng.normal(0, 2, (4,)))
        key = "probs" if name == "geometric" else "logits"
        v, tv = _pair(rng.integers(0, 9, (3, 4)))
        return ED.Geometric(**{key: p}), TD.Geometric(**{key: tp}), v, tv, [p], [tp]
    if name in ("negbin", "negbin_logits"):
        (n, tn) = P(rng.uniform(0.5, 6, (4,)))
        p, tp = P(rng.uniform(0.1, 0.9, (4,)) if name == "negbin" else rng.normal(0, 1, (4,)))
        key = "probs" if name == "negbin" else "logits"
        v, tv = _pair(rng.integers(0, 9, (3, 4)))
        return (
            ED.NegativeBinomial(n, **{key: p}),
            TD.NegativeBinomial(tn, **{key: tp}),
            v,
            tv,
            [n, p],
            [tn, tp],
        )
    if name in ("multinomial", "multinomial_logits"):
        p, tp = P(
            rng.uniform(0.1, 2, (2, 4)) if name == "multinomial" else rng.normal(0, 1, (2, 4))
        )
        key = "probs" if name == "multinomial" else "logits"
        v, tv = _pair(rng.multinomial(5, [0.25] * 4, (3, 2)))
        return ED.Multinomial(5, **{key: p}), TD.Multinomial(5, **{key: tp}), v, tv, [p], [tp]
    if name == "mixture":
        (lg, tlg), (m, tm) = P(rng.standard_normal((2, 3))), P(rng.standard_normal((2, 3)))
        s, ts = P(rng.uniform(0.5, 2, (2, 3)))
        v, tv = _pair(rng.standard_normal((4, 2)))
        e = ED.MixtureSameFamily(ED.Categorical(logits=lg), ED.Normal(m, s))
        t = TD.MixtureSameFamily(TD.Categorical(logits=tlg), TD.Normal(tm, ts))
        return e, t, v, tv, [lg, m, s], [tlg, tm, ts]
    if name == "mixture_mvn":
        lg, tlg = P(rng.standard_normal((3,)))
        (m, tm), (c, tc) = P(rng.standard_normal((3, 2))), P(_spd(rng, (3,), 2))
        v, tv = _pair(rng.standard_normal((4, 2)))
        e = ED.MixtureSameFamily(ED.Categorical(logits=lg), ED.MultivariateNormal(m, c))
        t = TD.MixtureSameFamily(TD.Categorical(logits=tlg), TD.MultivariateNormal(tm, tc))
        return e, t, v, tv, [lg, m, c], [tlg, tm, tc]
    raise KeyError(name)


CASES = [
    "gamma",
    "chi2",
    "inverse_gamma",
    "beta",
    "dirichlet",
    "studentt",
    "fisher",
    "mvn_cov",
    "mvn_prec",
    "mvn_tril",
    "lowrank",
    "poisson",
    "binomial",
    "binomial_logits",
    "geometric",
    "geometric_logits",
    "negbin",
    "negbin_logits",
    "multinomial",
    "multinomial_logits",
    "mixture",
    "mixture_mvn",
]


def _try(fn):
    try:
        return fn()
    except NotImplementedError:
        return NotImplemented


@pytest.mark.parametrize("name", CASES)
def test_values_match_torch(name):
    e, t, v, tv, _, _ = make_case(name, np.random.default_rng(0))
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    _close(e.log_prob(v), t.log_prob(tv))
    for attr in ("mean", "mode", "variance", "stddev"):
        ref = _try(lambda attr=attr: getattr(t, attr))
        if ref is not NotImplemented:
            _close(getattr(e, attr), ref)
    for method in ("entropy",):
        ref = _try(lambda method=method: getattr(t, method)())
        got = _try(lambda method=method: getattr(e, method)())
        assert (got is NotImplemented) == (ref is NotImplemented), method
        if ref is not NotImplemented:
            _close(got, ref)
    ref = _try(lambda: t.cdf(tv))
    if ref is not NotImplemented:
        _close(e.cdf(v), ref)


@pytest.mark.parametrize("name", CASES)
def test_log_prob_gradients_match_torch(name):
    e, t, v, tv, ps, tps = make_case(name, np.random.default_rng(1), grad=True)
    e.log_prob(v).sum().backward()
    t.log_prob(tv).sum().backward()
    for p, tp in zip(ps, tps):
        _close(p.grad, tp.grad, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "name", ["gamma", "chi2", "inverse_gamma", "beta", "dirichlet", "studentt"]
)
def test_entropy_gradients_match_torch(name):
    e, t, _, _, ps, tps = make_case(name, np.random.default_rng(2), grad=True)
    e.entropy().sum().backward()
    t.entropy().sum().backward()
    for p, tp in zip(ps, tps):
        assert (p.grad is None) == (tp.grad is None)
        if tp.grad is not None:
            _close(p.grad, tp.grad)


def test_gamma_cdf_gradient_in_value_matches_torch():
    rng = np.random.default_rng(3)
    c, tc = _pair(rng.uniform(0.3, 4, (6,)))
    x, tx = _pair(rng.uniform(0.1, 5, (6,)), requires_grad=True)
    ED.Gamma(c, 1.5).cdf(x).sum().backward()
    TD.Gamma(tc, 1.5).cdf(tx).sum().backward()
    _close(x.grad, tx.grad)


def test_gammainc_extreme_arguments():
    sp = pytest.importorskip("scipy.special")
    a = np.array([1e-3, 0.1, 0.5, 1, 7, 80, 500, 3000, 0.2, 40])
    x = np.array([1e-20, 3, 0.01, 30, 7, 70, 520, 3100, 60, 2])
    np.testing.assert_allclose(gammainc(a, x), sp.gammainc(a, x), rtol=1e-11, atol=1e-300)


def _quantile(a, u):
    """x with torch's P(a, x) = u, by bisection (an independent reference for the sampler)."""
    lo, hi = torch.zeros_like(a), torch.full_like(a, 1e4)
    for _ in range(200):
        mid = (lo + hi) / 2
        low = torch.special.gammainc(a, mid) < u
        lo, hi = torch.where(low, mid, lo), torch.where(low, hi, mid)
    return (lo + hi) / 2


def test_standard_gamma_grad_matches_finite_differences_at_fixed_noise():
    a = torch.tensor([0.05, 0.3, 0.9, 1.0, 2.5, 6.0, 30.0, 150.0] * 3, dtype=torch.float64)
    u = torch.tensor([0.02] * 8 + [0.5] * 8 + [0.97] * 8, dtype=torch.float64)
    x = _quantile(a, u)
    h = 1e-5 * a
    fd = (_quantile(a + h, u) - _quantile(a - h, u)) / (2 * h)
    got = standard_gamma_grad(a.numpy(), x.numpy())
    keep = x.numpy() > 1e-250  # tiny a at small u: x underflows, so does the difference
    np.testing.assert_allclose(got[keep], fd.numpy()[keep], rtol=1e-4)
    # and the implicit-function form: dx/da = -(dP/da) / density, P by torch at fixed x
    dp = (torch.special.gammainc(a + h, x) - torch.special.gammainc(a - h, x)) / (2 * h)
    dens = torch.exp((a - 1) * x.log() - x - torch.lgamma(a))
    np.testing.assert_allclose(got[keep], (-dp / dens).numpy()[keep], rtol=1e-4)


def _mc_grad(make, param, n, seed, f):
    """Mean over n rsamples of d f(sample) / d param, for ember or torch."""
    if isinstance(param, ember.Tensor):
        ember.manual_seed(seed)
    else:
        torch.manual_seed(seed)
    x = make(param).rsample((n,))
    f(x).mean(0).sum().backward()
    return _np(param.grad)


@pytest.mark.parametrize(
    "name,make,f,exact",
    [
        # d E[x] / d alpha = 1 / rate for Gamma(alpha, rate)
        ("gamma", lambda m, a: m.Gamma(a, 2.0), lambda x: x, lambda a: np.full_like(a, 0.5)),
        # d E[x^2] / d alpha = (2 alpha + 1) / rate^2
        ("gamma2", lambda m, a: m.Gamma(a, 1.0), lambda x: x * x, lambda a: 2 * a + 1),
        # d E[x] / d a = b / (a + b)^2 for Beta(a, b = 1.5)
        ("beta", lambda m, a: m.Beta(a, 1.5), lambda x: x, lambda a: 1.5 / (a + 1.5) ** 2),
        # Dirichlet: d E[x_0] / d alpha_j = (delta_0j s - alpha_0) / s^2
        (
            "dirichlet",
            lambda m, a: m.Dirichlet(a),
            lambda x: x[..., 0],
            lambda a: (np.eye(len(a))[0] * a.sum() - a[0]) / a.sum() ** 2,
        ),
    ],
)
def test_rsample_concentration_gradients_monte_carlo(name, make, f, exact):
    alpha = np.array([0.4, 1.0, 3.0]) if name != "gamma2" else np.array([0.5, 2.0])
    e_a, t_a = _pair(alpha, requires_grad=True)
    n = 20000
    got = _mc_grad(lambda a: make(ED, a), e_a, n, 0, f)
    ref = _mc_grad(lambda a: make(TD, a), t_a, n, 0, f)
    np.testing.assert_allclose(got, exact(alpha), rtol=0.08, atol=0.01)
    np.testing.assert_allclose(got, ref, rtol=0.1, atol=0.015)


def test_rsample_gradients_flow_to_every_parameter():
    rng = np.random.default_rng(4)
    for name in ("studentt", "fisher", "inverse_gamma", "chi2", "mvn_cov", "lowrank"):
        e, _, _, _, ps, _ = make_case(name, rng, grad=True)
        e.rsample((3,)).sum().backward()
        for p in ps:
            assert p.grad is not None and np.isfinite(_np(p.grad)).all(), name


def _moments(name, rng):
    """(ember dist, true mean, true variance) for sample-moment checks."""
    if name in (
        "gamma",
        "beta",
        "dirichlet",
        "studentt",
        "chi2",
        "inverse_gamma",
        "poisson",
        "binomial",
        "geometric",
        "negbin",
        "multinomial",
        "mvn_cov",
        "lowrank",
        "mixture",
        "fisher",
    ):
        e, t, *_ = make_case(name, rng)
        return e, t.mean, t.variance
    raise KeyError(name)


@pytest.mark.parametrize(
    "name",
    [
        "gamma",
        "beta",
        "dirichlet",
        "chi2",
        "poisson",
        "binomial",
        "geometric",
        "negbin",
        "multinomial",
        "mvn_cov",
        "lowrank",
        "mixture",
    ],
)
def test_sample_moments(name):
    e, mean, var = _moments(name, np.random.default_rng(5))
    ember.manual_seed(0)
    s = _np(e.sample((40000,)))
    sd = np.sqrt(var.numpy())
    np.testing.assert_allclose(s.mean(0), mean.numpy(), atol=0.05 * sd.max() + 0.02, rtol=0.03)
    np.testing.assert_allclose(s.std(0), sd, rtol=0.06, atol=0.01)


def test_heavy_tailed_samples_follow_their_cdf():
    # StudentT / F / InverseGamma may lack moments: compare empirical quantiles to the cdf
    ember.manual_seed(1)
    for e, t in [
        (ED.StudentT(ember.tensor(1.5)), TD.StudentT(torch.tensor(1.5, dtype=torch.float64))),
        (ED.FisherSnedecor(ember.tensor(3.0), ember.tensor(2.0)), None),
        (ED.InverseGamma(ember.tensor(0.8), ember.tensor(1.3)), None),
    ]:
        s = np.sort(_np(e.sample((20000,))))
        qs = s[[2000, 10000, 18000]]
        if t is not None:  # StudentT has no cdf: check symmetry and the median
            assert abs(qs[1]) < 0.05 and abs(qs[0] + qs[2]) < 0.15
            continue
        if isinstance(e, ED.InverseGamma):
            cdf = _np(e.cdf(ember.tensor(qs)))
        else:  # F(3, 2): P(F <= q) = I_{3q/(3q+2)}(1.5, 1), via a Beta(1.5, 1) cdf (x^1.5)
            cdf = (3 * qs / (3 * qs + 2)) ** 1.5
        np.testing.assert_allclose(cdf, [0.1, 0.5, 0.9], atol=0.015)


def test_gamma_small_concentration_samples_are_positive_and_distributed():
    ember.manual_seed(2)
    s = ED.Gamma(ember.tensor([0.05]), ember.tensor([1.0])).sample((20000,))
    arr = _np(s)
    assert (arr > 0).all()
    # E[log x] = digamma(alpha) for a standard gamma
    assert abs(np.log(arr).mean() - float(torch.digamma(torch.tensor(0.05)))) < 0.5


def test_seeding_is_reproducible():
    d = ED.Dirichlet(ember.tensor([0.5, 1.0, 2.0]))
    ember.manual_seed(7)
    a = d.sample((5,))
    ember.manual_seed(7)
    b = d.sample((5,))
    assert np.array_equal(_np(a), _np(b))


@pytest.mark.parametrize("name", CASES)
def test_sample_shapes(name):
    e, t, *_ = make_case(name, np.random.default_rng(6))
    ember.manual_seed(0)
    for shape in [(), (2,), (3, 2)]:
        assert tuple(e.sample(shape).shape) == tuple(t.sample(shape).shape)
        if t.has_rsample:
            assert tuple(e.rsample(shape).shape) == tuple(t.rsample(shape).shape)
    assert e.has_rsample == t.has_rsample


@pytest.mark.parametrize(
    "name",
    [
        "gamma",
        "beta",
        "dirichlet",
        "studentt",
        "mvn_cov",
        "lowrank",
        "poisson",
        "binomial",
        "geometric",
        "negbin",
        "multinomial",
        "mixture",
    ],
)
def test_expand(name):
    e, t, *_ = make_case(name, np.random.default_rng(7))
    new_batch = (2,) + tuple(e.batch_shape)
    ee, te = e.expand(new_batch), t.expand(new_batch)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    _close(ee.mean, te.mean)
    assert tuple(ee.sample((3,)).shape) == tuple(te.sample((3,)).shape)


def test_scalar_parameters():
    for e, t in [
        (ED.Gamma(2.0, 3.0), TD.Gamma(2.0, 3.0)),
        (ED.Beta(2.0, 3.0), TD.Beta(2.0, 3.0)),
        (ED.Chi2(3.0), TD.Chi2(3.0)),
        (ED.StudentT(3.0), TD.StudentT(3.0)),
        (ED.Poisson(2.0), TD.Poisson(2.0)),
        (ED.Geometric(0.3), TD.Geometric(0.3)),
    ]:
        assert tuple(e.batch_shape) == tuple(t.batch_shape) == ()
        _close(e.log_prob(ember.tensor(1.0)), t.log_prob(torch.tensor(1.0)), rtol=1e-5)
        assert tuple(e.sample((4,)).shape) == (4,)


@pytest.mark.parametrize(
    "build",
    [
        lambda m, T: m.Gamma(T([-1.0]), T([1.0])),
        lambda m, T: m.Gamma(T([1.0]), T([0.0])),
        lambda m, T: m.Chi2(T([0.0])),
        lambda m, T: m.Beta(T([0.0]), T([1.0])),
        lambda m, T: m.Dirichlet(T([1.0, -0.5])),
        lambda m, T: m.StudentT(T([-2.0])),
        lambda m, T: m.FisherSnedecor(T([1.0]), T([-1.0])),
        lambda m, T: m.InverseGamma(T([1.0]), T([-1.0])),
        lambda m, T: m.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 2.0], [2.0, 1.0]])),
        lambda m, T: m.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 1.0], [0.0, 1.0]])),
        lambda m, T: m.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [1.0]]), T([1.0, 0.0])),
        lambda m, T: m.Poisson(T([-1.0])),
        lambda m, T: m.Binomial(T([3.0]), T([1.5])),
        lambda m, T: m.Binomial(T([2.5]), T([0.5])),
        lambda m, T: m.Geometric(T([1.5])),
        lambda m, T: m.NegativeBinomial(T([-1.0]), T([0.5])),
        lambda m, T: m.NegativeBinomial(T([2.0]), T([1.0])),
        lambda m, T: m.Multinomial(3, T([-0.5, 1.0])),
    ],
)
def test_invalid_parameters_raise_value_error(build):
    with pytest.raises(ValueError):
        build(TD, lambda v: torch.tensor(v, dtype=torch.float64))
    with pytest.raises(ValueError):
        build(ED, lambda v: ember.tensor(v, dtype=ember.float64))


@pytest.mark.parametrize(
    "build,value",
    [
        (lambda m, T: m.Gamma(T([1.0]), T([1.0])), [-1.0]),
        (lambda m, T: m.Beta(T([1.0]), T([1.0])), [1.5]),
        (lambda m, T: m.Dirichlet(T([1.0, 1.0])), [0.3, 0.3]),
        (lambda m, T: m.Poisson(T([1.0])), [1.5]),
        (lambda m, T: m.Binomial(T([3.0]), T([0.5])), [4.0]),
        (lambda m, T: m.Geometric(T([0.5])), [-1.0]),
        (lambda m, T: m.Multinomial(3, T([0.5, 0.5])), [2.0, 2.0]),
        (lambda m, T: m.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 0.0], [0.0, 1.0]])), [0.0]),
    ],
)
def test_out_of_support_values_raise_value_error(build, value):
    with pytest.raises(ValueError):
        build(TD, lambda v: torch.tensor(v, dtype=torch.float64)).log_prob(
            torch.tensor(value, dtype=torch.float64)
        )
    with pytest.raises(ValueError):
        build(ED, lambda v: ember.tensor(v, dtype=ember.float64)).log_prob(
            ember.tensor(value, dtype=ember.float64)
        )


def test_missing_or_double_parameters_raise():
    with pytest.raises(ValueError):
        ED.MultivariateNormal(ember.zeros(2))
    with pytest.raises(ValueError):
        ED.MultivariateNormal(ember.zeros(2), ember.eye(2), scale_tril=ember.eye(2))
    with pytest.raises(ValueError):
        ED.Binomial(3)
    with pytest.raises(ValueError):
        ED.MixtureSameFamily(ED.Categorical(ember.ones(3)), ED.Normal(ember.zeros(2), 1.0))


def _kl_pairs(rng):
    """(name, ember p, ember q, torch p, torch q)."""
    P = _pair
    pairs = []

    def add(name, em, tm):
        pairs.append((name, em[0], em[1], tm[0], tm[1]))

    (a1, ta1), (b1, tb1) = P(rng.uniform(0.5, 3, 4)), P(rng.uniform(0.5, 3, 4))
    (a2, ta2), (b2, tb2) = P(rng.uniform(0.5, 3, 4)), P(rng.uniform(0.5, 3, 4))
    (m, tm), (s, ts) = P(rng.standard_normal(4)), P(rng.uniform(0.5, 2, 4))
    (lo, tlo), (hi, thi) = P(rng.uniform(0.05, 0.4, 4)), P(rng.uniform(0.6, 0.95, 4))
    (pr, tpr), (pr2, tpr2) = P(rng.uniform(0.1, 0.9, 4)), P(rng.uniform(0.1, 0.9, 4))
    (c1, tc1), (c2, tc2) = P(rng.uniform(0.5, 3, (2, 3))), P(rng.uniform(0.5, 3, (2, 3)))
    add(
        "gamma_gamma",
        (ED.Gamma(a1, b1), ED.Gamma(a2, b2)),
        (TD.Gamma(ta1, tb1), TD.Gamma(ta2, tb2)),
    )
    add("chi2_gamma", (ED.Chi2(a1), ED.Gamma(a2, b2)), (TD.Chi2(ta1), TD.Gamma(ta2, tb2)))
    add("beta_beta", (ED.Beta(a1, b1), ED.Beta(a2, b2)), (TD.Beta(ta1, tb1), TD.Beta(ta2, tb2)))
    add("dir_dir", (ED.Dirichlet(c1), ED.Dirichlet(c2)), (TD.Dirichlet(tc1), TD.Dirichlet(tc2)))
    add("poisson", (ED.Poisson(a1), ED.Poisson(a2)), (TD.Poisson(ta1), TD.Poisson(ta2)))
    add("geometric", (ED.Geometric(pr), ED.Geometric(pr2)), (TD.Geometric(tpr), TD.Geometric(tpr2)))
    n, tn = P(np.full(4, 5.0))
    add(
        "binomial",
        (ED.Binomial(n, pr), ED.Binomial(n, pr2)),
        (TD.Binomial(tn, tpr), TD.Binomial(tn, tpr2)),
    )
    add("bern_poisson", (ED.Bernoulli(pr), ED.Poisson(a1)), (TD.Bernoulli(tpr), TD.Poisson(ta1)))
    add("poisson_bern", (ED.Poisson(a1), ED.Bernoulli(pr)), (TD.Poisson(ta1), TD.Bernoulli(tpr)))
    add("beta_normal", (ED.Beta(a1, b1), ED.Normal(m, s)), (TD.Beta(ta1, tb1), TD.Normal(tm, ts)))
    add(
        "gamma_normal", (ED.Gamma(a1, b1), ED.Normal(m, s)), (TD.Gamma(ta1, tb1), TD.Normal(tm, ts))
    )
    add("beta_gamma", (ED.Beta(a1, b1), ED.Gamma(a2, b2)), (TD.Beta(ta1, tb1), TD.Gamma(ta2, tb2)))
    add(
        "beta_uniform",
        (ED.Beta(a1, b1), ED.Uniform(lo - 0.1, hi + 0.1)),
        (TD.Beta(ta1, tb1), TD.Uniform(tlo - 0.1, thi + 0.1)),
    )
    add(
        "uniform_beta",
        (ED.Uniform(lo, hi), ED.Beta(a1, b1)),
        (TD.Uniform(tlo, thi), TD.Beta(ta1, tb1)),
    )
    add(
        "uniform_gamma",
        (ED.Uniform(lo - 0.2, hi), ED.Gamma(a1, b1)),
        (TD.Uniform(tlo - 0.2, thi), TD.Gamma(ta1, tb1)),
    )
    mvn = [make_case(k, np.random.default_rng(i)) for i, k in enumerate(["mvn_cov", "lowrank"] * 2)]
    for i, j in [(0, 2), (0, 1), (1, 0), (1, 3)]:
        add(f"mvn_{i}{j}", (mvn[i][0], mvn[j][0]), (mvn[i][1], mvn[j][1]))
    return pairs


def test_kl_divergences_match_torch():
    for name, p, q, tp, tq in _kl_pairs(np.random.default_rng(8)):
        ref = TD.kl_divergence(tp, tq)
        assert ED.kl_divergence(p, q).shape == tuple(ref.shape), name
        _close(ED.kl_divergence(p, q), ref, rtol=1e-6, atol=1e-8)


def test_kl_exponential_family_bregman_matches_closed_form():
    from ember.distributions.kl import _kl_expfamily_expfamily

    p, q = ED.Gamma(ember.tensor([0.7, 2.0]), 1.5), ED.Gamma(ember.tensor([1.3, 0.4]), 0.5)
    _close(_kl_expfamily_expfamily(p, q), ED.kl_divergence(p, q))
    p, q = ED.Poisson(ember.tensor([0.7, 2.0])), ED.Poisson(ember.tensor([1.3, 0.4]))
    _close(_kl_expfamily_expfamily(p, q), ED.kl_divergence(p, q))


def test_kl_gradients_match_torch():
    rng = np.random.default_rng(9)
    (a, ta), (b, tb) = _pair(rng.uniform(0.5, 3, 3), True), _pair(rng.uniform(0.5, 3, 3), True)
    ED.kl_divergence(ED.Beta(a, b), ED.Gamma(b, a)).sum().backward()
    TD.kl_divergence(TD.Beta(ta, tb), TD.Gamma(tb, ta)).sum().backward()
    _close(a.grad, ta.grad)
    _close(b.grad, tb.grad)


def test_straight_through_gradient():
    p = ember.tensor([0.2, 0.3, 0.5], requires_grad=True)
    d = ED.OneHotCategoricalStraightThrough(probs=p)
    ember.manual_seed(0)
    s = d.rsample((4,))
    assert set(np.unique(_np(s))) <= {0.0, 1.0} and np.allclose(_np(s).sum(-1), 1.0)
    (s * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    # the straight-through gradient of a linear function is its weights, once per sample
    _close(p.grad, 4 * np.array([1.0, 2.0, 3.0]) - 4 * np.dot([1.0, 2.0, 3.0], [0.2, 0.3, 0.5]))


def test_float32_parameters_keep_their_dtype():
    d = ED.Gamma(ember.tensor([2.0]), ember.tensor([1.0]))
    assert d.rsample((3,)).dtype == ember.float32
    assert ED.Dirichlet(ember.ones(3)).rsample().dtype == ember.float32
    mvn = ED.MultivariateNormal(ember.zeros(2), ember.eye(2))
    assert mvn.log_prob(ember.zeros(2)).dtype == ember.float32
    assert math.isfinite(float(ED.Beta(0.5, 0.5).log_prob(ember.tensor(0.25))))
