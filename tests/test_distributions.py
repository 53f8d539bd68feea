"""ember.distributions against torch.distributions: log_prob, entropy, moments, cdf/icdf and
KL on the same parameters and values (float32 and float64), sample shapes, gradients, sample
statistics, seeding and argument validation."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from conftest import assert_close, to_np

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions

DTYPES = ["float32", "float64"]


def _pair(arr, dtype):
    arr = np.asarray(arr).astype(dtype)
    return ember.tensor(arr), torch.from_numpy(arr.copy())


def _ipair(arr):
    arr = np.asarray(arr).astype(np.int64)
    return ember.tensor(arr), torch.from_numpy(arr.copy())


def _onehot(idx, k):
    return np.eye(k)[idx]


def make_case(name, dtype, rng):
    """(ember distribution, torch distribution, ember value, torch value) for one case."""
    if name == "normal":
        loc, tloc = _pair(rng.standard_normal((3, 1)), dtype)
        scale, tscale = _pair(rng.uniform(0.5, 2.0, (4,)), dtype)
        v, tv = _pair(rng.standard_normal((3, 4)), dtype)
        return ED.Normal(loc, scale), TD.Normal(tloc, tscale), v, tv
    if name == "normal_numbers":
        v, tv = _pair(rng.standard_normal((5,)), dtype)
        return ED.Normal(0.5, 2.0), TD.Normal(0.5, 2.0), v.float(), tv.float()
    if name == "uniform":
        lo = rng.standard_normal((2, 3))
        hi = lo + rng.uniform(0.5, 2.0, (2, 3))
        low, tlow = _pair(lo, dtype)
        high, thigh = _pair(hi, dtype)
        v, tv = _pair(lo + (hi - lo) * rng.uniform(0, 1, (2, 3)), dtype)
        return ED.Uniform(low, high), TD.Uniform(tlow, thigh), v, tv
    if name == "bernoulli_probs":
        p, tp = _pair(rng.uniform(0.05, 0.95, (2, 3)), dtype)
        v, tv = _pair(rng.integers(0, 2, (4, 2, 3)), dtype)
        return ED.Bernoulli(probs=p), TD.Bernoulli(probs=tp), v, tv
    if name == "bernoulli_logits":
        lg, tlg = _pair(3 * rng.standard_normal((5,)), dtype)
        v, tv = _pair(rng.integers(0, 2, (5,)), dtype)
        return ED.Bernoulli(logits=lg), TD.Bernoulli(logits=tlg), v, tv
    if name == "categorical_probs":
        p, tp = _pair(rng.uniform(0.1, 2.0, (2, 3, 5)), dtype)
        v, tv = _ipair(rng.integers(0, 5, (2, 3)))
        return ED.Categorical(probs=p), TD.Categorical(probs=tp), v, tv
    if name == "categorical_logits":
        lg, tlg = _pair(2 * rng.standard_normal((4,)), dtype)
        v, tv = _ipair(rng.integers(0, 4, (6, 1)))
        return ED.Categorical(logits=lg), TD.Categorical(logits=tlg), v, tv
    if name == "onehot":
        p, tp = _pair(rng.uniform(0.1, 2.0, (2, 5)), dtype)
        v, tv = _pair(_onehot(rng.integers(0, 5, (3, 2)), 5), dtype)
        return ED.OneHotCategorical(probs=p), TD.OneHotCategorical(probs=tp), v, tv
    if name == "independent":
        loc, tloc = _pair(rng.standard_normal((2, 3)), dtype)
        scale, tscale = _pair(rng.uniform(0.5, 2.0, (2, 3)), dtype)
        v, tv = _pair(rng.standard_normal((4, 2, 3)), dtype)
        return (
            ED.Independent(ED.Normal(loc, scale), 1),
            TD.Independent(TD.Normal(tloc, tscale), 1),
            v,
            tv,
        )
    raise KeyError(name)


CASES = [
    "normal",
    "normal_numbers",
    "uniform",
    "bernoulli_probs",
    "bernoulli_logits",
    "categorical_probs",
    "categorical_logits",
    "onehot",
    "independent",
]


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CASES)
def test_log_prob_entropy_and_moments_match_torch(name, dtype):
    d, td, v, tv = make_case(name, dtype, np.random.default_rng(1))
    assert tuple(d.batch_shape) == tuple(td.batch_shape)
    assert tuple(d.event_shape) == tuple(td.event_shape)
    assert d.has_rsample == td.has_rsample
    tol = _tol(dtype)
    assert_close(d.log_prob(v), td.log_prob(tv), **tol)
    assert_close(d.entropy(), td.entropy(), **tol)
    for attr in ("mean", "variance", "stddev", "mode"):
        assert_close(getattr(d, attr), getattr(td, attr), **tol)
    if hasattr(td, "probs") and name != "independent":
        assert_close(d.probs, td.probs, **tol)
        assert_close(d.logits, td.logits, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["normal", "uniform"])
def test_cdf_and_icdf_match_torch(name, dtype):
    d, td, v, tv = make_case(name, dtype, np.random.default_rng(2))
    tol = _tol(dtype)
    assert_close(d.cdf(v), td.cdf(tv), **tol)
    q, tq = _pair(np.random.default_rng(3).uniform(0.01, 0.99, tuple(v.shape)), dtype)
    assert_close(d.icdf(q), td.icdf(tq), **dict(tol, rtol=1e-4 if dtype == "float32" else 1e-5))
    # icdf inverts cdf
    assert_close(d.cdf(d.icdf(q)), q, **dict(tol, atol=1e-5 if dtype == "float32" else 1e-9))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_and_rsample_shapes_match_torch(name, sample_shape):
    d, td, _, _ = make_case(name, "float64", np.random.default_rng(4))
    s, ts = d.sample(sample_shape), td.sample(sample_shape)
    assert tuple(s.shape) == tuple(ts.shape)
    assert str(s.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
    assert not s.requires_grad
    if td.has_rsample:
        assert tuple(d.rsample(sample_shape).shape) == tuple(td.rsample(sample_shape).shape)
    else:
        with pytest.raises(NotImplementedError):
            d.rsample(sample_shape)
    # samples lie in the support
    assert bool(d.support.check(s).all())


@pytest.mark.parametrize("name", ["normal", "uniform", "bernoulli_probs", "categorical_probs"])
def test_expand_matches_torch(name):
    d, td, _, _ = make_case(name, "float64", np.random.default_rng(5))
    shape = (7,) + tuple(td.batch_shape)
    e, te = d.expand(shape), td.expand(shape)
    assert tuple(e.batch_shape) == tuple(te.batch_shape)
    assert tuple(e.sample((2,)).shape) == tuple(te.sample((2,)).shape)
    assert_close(e.entropy(), te.entropy())


def _grad_pair(arr):
    arr = np.asarray(arr, dtype=np.float64)
    return (
        ember.tensor(arr, requires_grad=True),
        torch.tensor(arr, requires_grad=True),
    )


@pytest.mark.parametrize(
    "name",
    ["normal", "uniform", "bernoulli_probs", "bernoulli_logits", "categorical", "onehot"],
)
def test_log_prob_and_entropy_gradients_match_torch_and_gradcheck(name):
    rng = np.random.default_rng(6)
    if name == "normal":
        params = [_grad_pair(rng.standard_normal(3)), _grad_pair(rng.uniform(0.5, 2, 3))]
        value = rng.standard_normal((2, 3))
        cls, tcls = ED.Normal, TD.Normal
    elif name == "uniform":
        params = [_grad_pair(rng.uniform(-2, -1, 3)), _grad_pair(rng.uniform(1, 2, 3))]
        value = rng.uniform(-0.9, 0.9, (2, 3))
        cls, tcls = ED.Uniform, TD.Uniform
    elif name == "bernoulli_probs":
        params = [_grad_pair(rng.uniform(0.1, 0.9, 3))]
        value = rng.integers(0, 2, (2, 3))
        cls, tcls = (lambda p: ED.Bernoulli(probs=p)), (lambda p: TD.Bernoulli(probs=p))
    elif name == "bernoulli_logits":
        params = [_grad_pair(rng.standard_normal(3))]
        value = rng.integers(0, 2, (2, 3))
        cls, tcls = (lambda p: ED.Bernoulli(logits=p)), (lambda p: TD.Bernoulli(logits=p))
    elif name == "categorical":
        params = [_grad_pair(rng.standard_normal((2, 4)))]
        value = rng.integers(0, 4, (3, 2))
        cls, tcls = (lambda p: ED.Categorical(logits=p)), (lambda p: TD.Categorical(logits=p))
    else:
        params = [_grad_pair(rng.uniform(0.2, 2, (2, 4)))]
        value = _onehot(rng.integers(0, 4, (3, 2)), 4)
        cls = lambda p: ED.OneHotCategorical(probs=p)  # noqa: E731
        tcls = lambda p: TD.OneHotCategorical(probs=p)  # noqa: E731
    eparams = [p[0] for p in params]
    tparams = [p[1] for p in params]
    ev = ember.tensor(np.asarray(value, dtype=np.float64 if name != "categorical" else np.int64))
    tv = torch.from_numpy(
        np.asarray(value, dtype=np.float64 if name != "categorical" else np.int64)
    )
    weights = np.random.default_rng(7).standard_normal(tuple(ev.shape)[: ev.dim()])
    d, td = cls(*eparams), tcls(*tparams)
    lp, tlp = d.log_prob(ev), td.log_prob(tv)
    w, tw = ember.tensor(weights[..., 0] if name == "onehot" else weights), None
    tw = torch.from_numpy(to_np(w))
    ((lp * w).sum() + d.entropy().sum()).backward()
    ((tlp * tw).sum() + td.entropy().sum()).backward()
    for e, t in zip(eparams, tparams):
        assert_close(e.grad, t.grad)

    def f(*ps):
        dist = cls(*ps)
        return dist.log_prob(ev), dist.entropy()

    inputs = tuple(ember.tensor(to_np(p), requires_grad=True) for p in eparams)
    assert ember.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_rsample_is_loc_plus_scale_times_eps_and_differentiable(dtype):
    loc, tloc = _pair([0.5, -1.0, 2.0], dtype)
    scale, _ = _pair([1.0, 0.5, 3.0], dtype)
    loc.requires_grad_(True)
    scale.requires_grad_(True)
    ember.manual_seed(3)
    x = ED.Normal(loc, scale).rsample((4,))
    ember.manual_seed(3)
    eps = ember.randn((4, 3), dtype=loc.dtype)
    assert_close(x, (loc + scale * eps).detach())
    assert x.requires_grad
    x.sum().backward()
    assert_close(loc.grad, np.full(3, 4.0, dtype=dtype))
    assert_close(scale.grad, eps.sum(0))
    # the same noise in torch gives the same gradients
    tl, ts = (
        torch.tensor(to_np(loc), requires_grad=True),
        torch.tensor(to_np(scale), requires_grad=True),
    )
    (tl + ts * torch.from_numpy(to_np(eps))).sum().backward()
    assert_close(scale.grad, ts.grad)
    assert str(x.dtype).split(".")[-1] == str(tloc.dtype).split(".")[-1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_rsample_is_low_plus_u_times_width_and_differentiable(dtype):
    low, _ = _pair([0.0, -1.0], dtype)
    high, _ = _pair([1.0, 3.0], dtype)
    low.requires_grad_(True)
    high.requires_grad_(True)
    ember.manual_seed(5)
    x = ED.Uniform(low, high).rsample((6,))
    ember.manual_seed(5)
    u = ember.rand((6, 2), dtype=low.dtype)
    assert_close(x, (low + u * (high - low)).detach())
    x.sum().backward()
    assert_close(low.grad, (1 - u).sum(0))
    assert_close(high.grad, u.sum(0))


def test_rsample_gradcheck_under_fixed_seed():
    loc = ember.tensor([0.3, -0.2], dtype=ember.float64, requires_grad=True)
    scale = ember.tensor([1.5, 0.7], dtype=ember.float64, requires_grad=True)

    def f(loc, scale):
        ember.manual_seed(11)
        return ED.Normal(loc, scale).rsample((3,))

    assert ember.autograd.gradcheck(f, (loc, scale))


N = 20000


def _within(samples, mean, std, k=5.0):
    s = to_np(samples).astype(np.float64)
    se = np.asarray(std) / math.sqrt(s.shape[0])
    assert np.all(np.abs(s.mean(0) - np.asarray(mean)) < k * se + 1e-12), (s.mean(0), mean)


def test_sample_statistics():
    d = ED.Normal(ember.tensor([1.0, -2.0]), ember.tensor([0.5, 3.0]))
    s = d.sample((N,))
    _within(s, [1.0, -2.0], [0.5, 3.0])
    assert np.allclose(to_np(s).std(0), [0.5, 3.0], rtol=0.05)
    u = ED.Uniform(ember.tensor([0.0, 2.0]), ember.tensor([1.0, 6.0]))
    s = u.sample((N,))
    _within(s, [0.5, 4.0], [1 / 12**0.5, 4 / 12**0.5])
    assert to_np(s).min() >= 0.0 and to_np(s)[:, 1].min() >= 2.0 and to_np(s)[:, 1].max() < 6.0
    p = np.array([0.1, 0.5, 0.9])
    s = ED.Bernoulli(probs=ember.tensor(p)).sample((N,))
    _within(s, p, np.sqrt(p * (1 - p)))
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    s = to_np(ED.Categorical(probs=ember.tensor(probs)).sample((N,)))
    freq = np.stack([(s == k) for k in range(4)], 1).astype(np.float64)
    _within(freq, probs, np.sqrt(probs * (1 - probs)))
    s = ED.OneHotCategorical(probs=ember.tensor(probs)).sample((N,))
    _within(s, probs, np.sqrt(probs * (1 - probs)))


@pytest.mark.parametrize("name", ["normal", "uniform", "bernoulli_probs", "categorical_probs"])
def test_manual_seed_makes_sampling_reproducible(name):
    d, _, _, _ = make_case(name, "float32", np.random.default_rng(8))
    ember.manual_seed(123)
    a = to_np(d.sample((50,)))
    ember.manual_seed(123)
    b = to_np(d.sample((50,)))
    ember.manual_seed(124)
    c = to_np(d.sample((50,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


KL_PAIRS = ["normal", "bernoulli", "categorical", "onehot", "uniform", "independent"]


def _kl_case(name, dtype, rng):
    if name == "normal":
        a = [_pair(rng.standard_normal((2, 3)), dtype), _pair(rng.uniform(0.5, 2, (3,)), dtype)]
        b = [_pair(rng.standard_normal((3,)), dtype), _pair(rng.uniform(0.5, 2, (2, 3)), dtype)]
        return (ED.Normal, TD.Normal), a, b
    if name == "bernoulli":
        a = [_pair([0.0, 0.3, 1.0, 0.5, 0.2], dtype)]
        b = [_pair([0.4, 0.0, 0.6, 1.0, 0.7], dtype)]
        return (lambda p: ED.Bernoulli(probs=p), lambda p: TD.Bernoulli(probs=p)), a, b
    if name == "categorical":
        a = [_pair([[0.2, 0.0, 0.8], [0.3, 0.3, 0.4]], dtype)]
        b = [_pair([[0.5, 0.5, 0.0], [0.1, 0.6, 0.3]], dtype)]
        return (lambda p: ED.Categorical(probs=p), lambda p: TD.Categorical(probs=p)), a, b
    if name == "onehot":
        a = [_pair(rng.standard_normal((2, 4)), dtype)]
        b = [_pair(rng.standard_normal((4,)), dtype)]
        return (
            (
                lambda p: ED.OneHotCategorical(logits=p),
                lambda p: TD.OneHotCategorical(logits=p),
            ),
            a,
            b,
        )
    if name == "uniform":
        a = [_pair([0.0, 0.0, -1.0], dtype), _pair([1.0, 2.0, 1.0], dtype)]
        b = [_pair([-1.0, 0.5, -2.0], dtype), _pair([2.0, 3.0, 0.5], dtype)]
        return (ED.Uniform, TD.Uniform), a, b
    a = [_pair(rng.standard_normal((2, 3)), dtype), _pair(rng.uniform(0.5, 2, (2, 3)), dtype)]
    b = [_pair(rng.standard_normal((2, 3)), dtype), _pair(rng.uniform(0.5, 2, (2, 3)), dtype)]
    return (
        (
            lambda m, s: ED.Independent(ED.Normal(m, s), 1),
            lambda m, s: TD.Independent(TD.Normal(m, s), 1),
        ),
        a,
        b,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", KL_PAIRS)
def test_kl_divergence_matches_torch(name, dtype):
    (cls, tcls), a, b = _kl_case(name, dtype, np.random.default_rng(9))
    p, tp = cls(*[x[0] for x in a]), tcls(*[x[1] for x in a])
    q, tq = cls(*[x[0] for x in b]), tcls(*[x[1] for x in b])
    tol = _tol(dtype)
    assert_close(ED.kl_divergence(p, q), TD.kl_divergence(tp, tq), **tol)
    assert_close(ED.kl_divergence(q, p), TD.kl_divergence(tq, tp), **tol)
    self_kl = to_np(ED.kl_divergence(p, p))
    assert np.allclose(self_kl, 0.0, atol=1e-5)


def test_kl_gradients_match_torch():
    rng = np.random.default_rng(10)
    ps = [_grad_pair(rng.standard_normal(3)), _grad_pair(rng.uniform(0.5, 2, 3))]
    qs = [_grad_pair(rng.standard_normal(3)), _grad_pair(rng.uniform(0.5, 2, 3))]
    ED.kl_divergence(ED.Normal(ps[0][0], ps[1][0]), ED.Normal(qs[0][0], qs[1][0])).sum().backward()
    TD.kl_divergence(TD.Normal(ps[0][1], ps[1][1]), TD.Normal(qs[0][1], qs[1][1])).sum().backward()
    for e, t in ps + qs:
        assert_close(e.grad, t.grad)
    lp, tlp = _grad_pair(rng.standard_normal((2, 4)))
    lq, tlq = _grad_pair(rng.standard_normal((2, 4)))
    ED.kl_divergence(ED.Categorical(logits=lp), ED.Categorical(logits=lq)).sum().backward()
    TD.kl_divergence(TD.Categorical(logits=tlp), TD.Categorical(logits=tlq)).sum().backward()
    assert_close(lp.grad, tlp.grad)
    assert_close(lq.grad, tlq.grad)
    bp, tbp = _grad_pair(rng.standard_normal(4))
    bq, tbq = _grad_pair(rng.standard_normal(4))
    ED.kl_divergence(ED.Bernoulli(logits=bp), ED.Bernoulli(logits=bq)).sum().backward()
    TD.kl_divergence(TD.Bernoulli(logits=tbp), TD.Bernoulli(logits=tbq)).sum().backward()
    assert_close(bp.grad, tbp.grad)
    assert_close(bq.grad, tbq.grad)


def test_register_kl_and_missing_pairs():
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.Normal(0.0, 1.0), TD.Bernoulli(0.5))
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Bernoulli(0.5))

    class MyNormal(ED.Normal):
        pass

    # a subclass dispatches to its parent's rule until it registers its own
    p, q = MyNormal(0.0, 1.0), ED.Normal(1.0, 2.0)
    expected = TD.kl_divergence(TD.Normal(0.0, 1.0), TD.Normal(1.0, 2.0))
    assert_close(ED.kl_divergence(p, q), expected)

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert ED.kl_divergence(p, q).item() == 42.0
    assert_close(
        ED.kl_divergence(q, ED.Normal(0.0, 1.0)),
        TD.kl_divergence(TD.Normal(1.0, 2.0), TD.Normal(0.0, 1.0)),
    )


def _same_error(make_ember, make_torch):
    with pytest.raises(Exception) as te:
        make_torch()
    with pytest.raises(te.type):
        make_ember()


@pytest.mark.parametrize(
    "case",
    [
        "normal_negative_scale",
        "normal_nan_loc",
        "uniform_low_above_high",
        "bernoulli_probs_above_one",
        "bernoulli_both",
        "bernoulli_neither",
        "categorical_negative_probs",
        "categorical_both",
        "categorical_scalar_probs",
        "independent_too_many_dims",
        "bernoulli_log_prob_outside_support",
        "categorical_log_prob_outside_support",
        "uniform_log_prob_outside_support",
        "normal_log_prob_not_a_tensor",
        "normal_log_prob_wrong_shape",
        "onehot_log_prob_not_one_hot",
    ],
)
def test_validation_raises_the_same_exception_type_as_torch(case):
    def build(lib):
        D = ED if lib is ember else TD
        t = lib.tensor
        return {
            "normal_negative_scale": lambda: D.Normal(t([0.0, 1.0]), t([1.0, -1.0])),
            "normal_nan_loc": lambda: D.Normal(t([math.nan]), t([1.0])),
            "uniform_low_above_high": lambda: D.Uniform(t([0.0, 2.0]), t([1.0, 1.0])),
            "bernoulli_probs_above_one": lambda: D.Bernoulli(probs=t([0.5, 1.5])),
            "bernoulli_both": lambda: D.Bernoulli(probs=t([0.5]), logits=t([0.0])),
            "bernoulli_neither": lambda: D.Bernoulli(),
            "categorical_negative_probs": lambda: D.Categorical(probs=t([0.5, -0.1, 0.6])),
            "categorical_both": lambda: D.Categorical(probs=t([0.5, 0.5]), logits=t([0.0, 0.0])),
            "categorical_scalar_probs": lambda: D.Categorical(probs=t(1.0)),
            "independent_too_many_dims": lambda: D.Independent(D.Normal(t([0.0]), t([1.0])), 2),
            "bernoulli_log_prob_outside_support": lambda: D.Bernoulli(0.3).log_prob(t(0.5)),
            "categorical_log_prob_outside_support": lambda: D.Categorical(
                probs=t([0.5, 0.5])
            ).log_prob(t(2)),
            "uniform_log_prob_outside_support": lambda: D.Uniform(0.0, 1.0).log_prob(t(1.5)),
            "normal_log_prob_not_a_tensor": lambda: D.Normal(0.0, 1.0).log_prob(0.5),
            "normal_log_prob_wrong_shape": lambda: D.Normal(t([0.0, 0.0]), t([1.0, 1.0])).log_prob(
                t([0.0, 0.0, 0.0])
            ),
            "onehot_log_prob_not_one_hot": lambda: D.OneHotCategorical(
                probs=t([0.5, 0.5])
            ).log_prob(t([1.0, 1.0])),
        }[case]

    _same_error(build(ember), build(torch))


def test_validate_args_false_skips_checks():
    d = ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    td = TD.Normal(torch.tensor([0.0]), torch.tensor([-1.0]), validate_args=False)
    assert_close(d.variance, td.variance)
    b = ED.Bernoulli(0.3, validate_args=False)
    tb = TD.Bernoulli(0.3, validate_args=False)
    assert_close(b.log_prob(ember.tensor(0.5)), tb.log_prob(torch.tensor(0.5)))


def test_lazy_import_and_namespace():
    assert ember.distributions is importlib.import_module("ember.distributions")
    assert "distributions" not in ember._NOT_YET
    assert ember._LAZY["distributions"] == ".distributions"
    for name in ("Normal", "Uniform", "Bernoulli", "Categorical", "Independent", "kl_divergence"):
        assert hasattr(TD, name) and hasattr(ember.distributions, name)
    assert issubclass(ED.Normal, ED.Distribution)
