"""ember.distributions transforms, constraint registries, TransformedDistribution and the
distributions built on them, against torch.distributions in float64: forward / inverse /
log-det values and gradients, log_prob / cdf / icdf / moments / entropy, reparameterised
gradients, sample shapes, argument validation and KL divergences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close, to_np

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions

RTOL, ATOL = 1e-6, 1e-9


def _pair(arr, requires_grad=False):
    arr = np.asarray(arr, dtype=np.float64)
    e = ember.tensor(arr, requires_grad=requires_grad)
    t = torch.tensor(arr, requires_grad=requires_grad)
    return e, t


def _mod(M):
    """The transforms / constraints modules of ember or torch distributions."""
    return M.transforms, M.constraints


# ---------------------------------------------------------------------------------------------
# transforms: (name, factory(M) -> transform, input generator(rng))
# ---------------------------------------------------------------------------------------------


def _tensor(M, arr):
    return (ember.tensor if M is ED else torch.tensor)(np.asarray(arr, dtype=np.float64))


def _normal(*shape):
    return lambda rng: rng.normal(size=shape)


def _cdf_transform(M):
    return M.transforms.CumulativeDistributionTransform(M.Normal(0.5, 2.0))


TRANSFORMS = [
    ("exp", lambda M: M.transforms.ExpTransform(), lambda r: r.standard_normal((3, 4))),
    ("exp_inv", lambda M: M.transforms.ExpTransform().inv, lambda r: r.uniform(0.2, 3, (3, 4))),
    ("affine_num", lambda M: M.transforms.AffineTransform(1.5, -2.0), lambda r: r.normal(size=5)),
    (
        "affine_tensor_event1",
        lambda M: M.transforms.AffineTransform(
            _tensor(M, [0.5, -1.0, 2.0, 0.0]),
            _tensor(M, [[2.0, -0.5, 1.5, 3.0]] * 3),
            event_dim=1,
        ),
        lambda r: r.standard_normal((3, 4)),
    ),
    ("sigmoid", lambda M: M.transforms.SigmoidTransform(), lambda r: 3 * r.normal(size=(2, 3))),
    ("tanh", lambda M: M.transforms.TanhTransform(), lambda r: 1.5 * r.normal(size=(2, 3))),
    ("softplus", lambda M: M.transforms.SoftplusTransform(), lambda r: 3 * r.normal(size=6)),
    (
        "power",
        lambda M: M.transforms.PowerTransform(_tensor(M, [0.5, 2.0, -1.5])),
        lambda r: r.uniform(0.3, 3, (2, 3)),
    ),
    ("softmax", lambda M: M.transforms.SoftmaxTransform(), lambda r: r.normal(size=(3, 4))),
    ("stick", lambda M: M.transforms.StickBreakingTransform(), lambda r: r.normal(size=(3, 4))),
    ("lowchol", lambda M: M.transforms.LowerCholeskyTransform(), _normal(2, 3, 3)),
    ("posdef", lambda M: M.transforms.PositiveDefiniteTransform(), lambda r: r.normal(size=(3, 3))),
    ("reshape", lambda M: M.transforms.ReshapeTransform((2, 3), (6,)), _normal(4, 2, 3)),
    (
        "independent",
        lambda M: M.transforms.IndependentTransform(M.transforms.ExpTransform(), 1),
        lambda r: r.normal(size=(3, 4)),
    ),
    (
        "compose",
        lambda M: M.transforms.ComposeTransform(
            [M.transforms.AffineTransform(0.5, 2.0), M.transforms.TanhTransform(),
             M.transforms.AffineTransform(1.0, -3.0)]
        ),
        lambda r: 0.5 * r.normal(size=(2, 3)),
    ),
    (
        "compose_event",
        lambda M: M.transforms.ComposeTransform(
            [M.transforms.ExpTransform(), M.transforms.StickBreakingTransform().inv.inv]
        ),
        lambda r: r.normal(size=(2, 3)),
    ),
    ("identity", lambda M: M.transforms.identity_transform, lambda r: r.normal(size=(2, 3))),
    (
        "cat_batch",
        lambda M: M.transforms.CatTransform(
            [M.transforms.ExpTransform(), M.transforms.AffineTransform(1.0, 2.0)], dim=0,
            lengths=[1, 2],
        ),
        lambda r: r.normal(size=(3, 4)),
    ),
    (
        "cat_event",
        lambda M: M.transforms.CatTransform(
            [M.transforms.ExpTransform(), M.transforms.AffineTransform(0.0, 2.0, event_dim=1)],
            dim=-1, lengths=[1, 3],
        ),
        lambda r: r.normal(size=(3, 4)),
    ),
    (
        "stack",
        lambda M: M.transforms.StackTransform(
            [M.transforms.ExpTransform(), M.transforms.SigmoidTransform(),
             M.transforms.AffineTransform(1.0, 3.0)], dim=1,
        ),
        lambda r: r.normal(size=(4, 3)),
    ),
    ("cdf", _cdf_transform, lambda r: r.normal(size=(5,))),
]  # fmt: skip

NO_LADJ = {"softmax", "lowchol", "posdef"}
NOT_INVERTIBLE = {"softmax", "lowchol", "posdef"}  # inv(t(x)) != x: not one-to-one


@pytest.mark.parametrize("name,factory,gen", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transform_against_torch(name, factory, gen):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    et, tt = factory(ED), factory(TD)
    x, tx = _pair(gen(rng), requires_grad=True)
    y, ty = et(x), tt(tx)
    assert_close(y, ty, rtol=RTOL, atol=ATOL)
    ey, tyd = y.detach(), ty.detach()
    assert_close(et.inv(ey), tt.inv(tyd), rtol=1e-6, atol=1e-8)
    if name not in NOT_INVERTIBLE:
        assert_close(et.inv(ey), x, rtol=1e-6, atol=1e-8)
    assert tuple(et.forward_shape(tuple(x.shape))) == tuple(tt.forward_shape(tx.shape))
    assert tuple(et.inverse_shape(tuple(y.shape))) == tuple(tt.inverse_shape(ty.shape))
    assert et.domain.event_dim == tt.domain.event_dim
    assert et.codomain.event_dim == tt.codomain.event_dim
    assert et.bijective == tt.bijective
    w = np.random.default_rng(1).standard_normal(tuple(y.shape))
    loss, tloss = (y * ember.tensor(w)).sum(), (ty * torch.tensor(w)).sum()
    if name not in NO_LADJ:
        ladj, tladj = et.log_abs_det_jacobian(x, y), tt.log_abs_det_jacobian(tx, ty)
        assert_close(ladj, tladj, rtol=RTOL, atol=ATOL)
        loss, tloss = loss + ladj.sum(), tloss + tladj.sum()
    loss.backward()
    tloss.backward()
    assert_close(x.grad, tx.grad, rtol=1e-6, atol=1e-8)


def test_abs_transform():
    x, tx = _pair([-2.0, 0.5, 3.0])
    t, tt = ED.transforms.AbsTransform(), TD.transforms.AbsTransform()
    assert_close(t(x), tt(tx))
    assert_close(t.inv(t(x)), tt.inv(tt(tx)))
    assert not t.bijective


def test_tanh_log_det_is_stable_for_large_inputs():
    x, tx = _pair([-40.0, -20.0, 0.0, 20.0, 40.0], requires_grad=True)
    t = ED.transforms.TanhTransform()
    ladj = t.log_abs_det_jacobian(x, t(x))
    assert np.isfinite(to_np(ladj)).all()
    tt = TD.transforms.TanhTransform()
    assert_close(ladj, tt.log_abs_det_jacobian(tx, tt(tx)), rtol=RTOL)
    naive = np.log1p(-(np.tanh(to_np(x)) ** 2))
    assert np.isinf(naive).any()  # the naive formula really does fail here


def test_sign_and_equality():
    T = ED.transforms
    assert T.ExpTransform().sign == 1 and T.ExpTransform().inv.sign == 1
    assert T.AffineTransform(0.0, -2.0).sign == -1
    assert_close(T.AffineTransform(0.0, ember.tensor([-2.0, 3.0])).sign, torch.tensor([-1.0, 1.0]))
    assert_close(T.PowerTransform(ember.tensor(-0.5)).sign, torch.tensor(-1.0))
    assert T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -1.0)]).sign == -1
    with pytest.raises(NotImplementedError):
        _ = T.SoftmaxTransform().sign
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    compose = T.ComposeTransform([T.ExpTransform(), T.SigmoidTransform()])
    assert compose == T.ComposeTransform([T.ExpTransform(), T.SigmoidTransform()])
    assert isinstance(compose.inv.parts[0].inv, T.SigmoidTransform)
    with pytest.raises(ValueError, match="event_dim"):
        _ = T.ComposeTransform([T.ReshapeTransform((4,), (2, 2))]).event_dim


def test_cache():
    T = ED.transforms
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    x = ember.tensor([0.5, 1.0], dtype=ember.float64)
    cached = T.TanhTransform(cache_size=1)
    y = cached(x)
    assert cached.inv(y) is x and cached(x) is y
    uncached = T.TanhTransform()
    assert uncached.inv(uncached(x)) is not x
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    affine = T.AffineTransform(1.0, 2.0).with_cache(1)
    assert affine._cache_size == 1 and affine.inv(affine(x)) is x
    compose = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)], cache_size=1)
    assert all(p._cache_size == 1 for p in compose.parts)
    y = compose(x)
    assert compose.inv(y) is x


def test_shapes_and_errors():
    T = ED.transforms
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((2, 3), (5,))
    reshape = T.ReshapeTransform((2, 3), (6,))
    with pytest.raises(ValueError):
        reshape.forward_shape((3, 3))
    assert tuple(reshape.forward_shape((4, 2, 3))) == (4, 6)
    sb = T.StickBreakingTransform()
    assert tuple(sb.forward_shape((2, 3))) == (2, 4)
    assert tuple(sb.inverse_shape((2, 4))) == (2, 3)
    with pytest.raises(ValueError):
        T.IndependentTransform(T.ExpTransform(), 2)(ember.zeros(3))
    assert tuple(T.AffineTransform(ember.zeros(3), 1.0).forward_shape((2, 1))) == (2, 3)


# ---------------------------------------------------------------------------------------------
# constraint registries
# ---------------------------------------------------------------------------------------------


def _constraints(M):
    C = M.constraints
    return {
        "real": C.real,
        "positive": C.positive,
        "nonnegative": C.nonnegative,
        "greater_than": C.greater_than(2.0),
        "greater_than_eq": C.greater_than_eq(-1.0),
        "less_than": C.less_than(1.5),
        "interval": C.interval(-1.0, 3.0),
        "unit_interval": C.unit_interval,
        "half_open_interval": C.half_open_interval(0.0, 2.0),
        "simplex": C.simplex,
        "real_vector": C.real_vector,
        "independent": C.independent(C.positive, 1),
        "cat": C.cat([C.positive, C.interval(0.0, 1.0)], -1, [2, 2]),
        "stack": C.stack([C.positive, C.real, C.less_than(0.0), C.unit_interval], -1),
    }


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", list(_constraints(ED)))
def test_constraint_registry(registry, name):
    ec, tc = _constraints(ED)[name], _constraints(TD)[name]
    et, tt = getattr(ED, registry)(ec), getattr(TD, registry)(tc)
    x, tx = _pair(np.random.default_rng(3).normal(size=(3, 4)), requires_grad=True)
    y, ty = et(x), tt(tx)
    assert_close(y, ty, rtol=RTOL, atol=ATOL)
    assert bool(ec.check(y).all())
    assert et.bijective == tt.bijective
    if et.bijective:
        assert_close(et.inv(y.detach()), x, rtol=1e-6, atol=1e-8)
        ladj, tladj = et.log_abs_det_jacobian(x, y), tt.log_abs_det_jacobian(tx, ty)
        assert_close(ladj, tladj, rtol=RTOL, atol=ATOL)
        if tladj.requires_grad:  # the identity's log-det is a constant 0
            ladj.sum().backward()
            tladj.sum().backward()
            assert_close(x.grad, tx.grad, rtol=1e-6, atol=1e-8)


def test_transform_to_matrices():
    C = ED.constraints
    x, tx = _pair(np.random.default_rng(4).normal(size=(2, 3, 3)))
    y = ED.transform_to(C.lower_cholesky)(x)
    assert_close(y, TD.transform_to(TD.constraints.lower_cholesky)(tx))
    assert bool(C.lower_cholesky.check(y).all())
    y = ED.transform_to(C.positive_definite)(x)
    assert_close(y, TD.transform_to(TD.constraints.positive_definite)(tx), rtol=1e-6)
    assert bool(C.positive_definite.check(y).all())
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        ED.biject_to(C.lower_cholesky)
    assert isinstance(ED.biject_to(C.unit_interval), ED.transforms.SigmoidTransform)
    assert isinstance(ED.transform_to(C.simplex), ED.transforms.SoftmaxTransform)


# ---------------------------------------------------------------------------------------------
# distributions: (name, ctor(M, params), params generator, value generator)
# ---------------------------------------------------------------------------------------------


def _dirichlet(rng, shape):
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


def _transformed_affine_exp(M, p):
    T = M.transforms
    return M.TransformedDistribution(
        M.Normal(p["loc"], p["scale"]), [T.AffineTransform(1.0, -2.0), T.ExpTransform()]
    )


def _transformed_tanh(M, p):
    return M.TransformedDistribution(M.Normal(p["loc"], p["scale"]), M.transforms.TanhTransform())


LOC_SCALE = {"loc": lambda r: r.normal(size=3), "scale": lambda r: r.uniform(0.5, 2.0, 3)}
DISTS = {
    "exponential": (
        lambda M, p: M.Exponential(p["rate"]),
        {"rate": lambda r: r.uniform(0.5, 2.0, 3)},
        lambda r: r.exponential(size=(4, 3)),
    ),
    "laplace": (
        lambda M, p: M.Laplace(p["loc"], p["scale"]), LOC_SCALE, lambda r: r.normal(size=(4, 3)),
    ),
    "cauchy": (
        lambda M, p: M.Cauchy(p["loc"], p["scale"]), LOC_SCALE, lambda r: r.normal(size=(4, 3)),
    ),
    "lognormal": (
        lambda M, p: M.LogNormal(p["loc"], p["scale"]), LOC_SCALE,
        lambda r: r.lognormal(size=(4, 3)),
    ),
    "halfnormal": (
        lambda M, p: M.HalfNormal(p["scale"]), {"scale": LOC_SCALE["scale"]},
        lambda r: np.abs(r.normal(size=(4, 3))),
    ),
    "halfcauchy": (
        lambda M, p: M.HalfCauchy(p["scale"]), {"scale": LOC_SCALE["scale"]},
        lambda r: np.abs(r.standard_cauchy(size=(4, 3))),
    ),
    "gumbel": (
        lambda M, p: M.Gumbel(p["loc"], p["scale"]), LOC_SCALE, lambda r: r.normal(size=(4, 3)),
    ),
    "weibull": (
        lambda M, p: M.Weibull(p["scale"], p["concentration"]),
        {"scale": LOC_SCALE["scale"], "concentration": lambda r: np.array([0.7, 1.5, 3.0])},
        lambda r: r.uniform(0.1, 3.0, (4, 3)),
    ),
    "pareto": (
        lambda M, p: M.Pareto(p["scale"], p["alpha"]),
        {"scale": LOC_SCALE["scale"], "alpha": lambda r: np.array([0.8, 1.5, 3.0])},
        lambda r: 2.0 + r.exponential(size=(4, 3)),
    ),
    "kumaraswamy": (
        lambda M, p: M.Kumaraswamy(p["a"], p["b"]),
        {"a": lambda r: np.array([0.5, 2.0, 3.0]), "b": lambda r: np.array([2.0, 0.7, 4.0])},
        lambda r: r.uniform(0.05, 0.95, (4, 3)),
    ),
    "logistic_normal": (
        lambda M, p: M.LogisticNormal(p["loc"], p["scale"]),
        {"loc": lambda r: r.normal(size=(3, 2)), "scale": lambda r: r.uniform(0.5, 2, (3, 2))},
        lambda r: _dirichlet(r, (4, 3, 3)),
    ),
    "relaxed_bernoulli": (
        lambda M, p: M.RelaxedBernoulli(p["temperature"], probs=p["probs"]),
        {"temperature": lambda r: np.array(0.7), "probs": lambda r: r.uniform(0.1, 0.9, 3)},
        lambda r: r.uniform(0.05, 0.95, (4, 3)),
    ),
    "relaxed_bernoulli_logits": (
        lambda M, p: M.RelaxedBernoulli(p["temperature"], logits=p["logits"]),
        {"temperature": lambda r: np.array(1.3), "logits": lambda r: r.normal(size=3)},
        lambda r: r.uniform(0.05, 0.95, (4, 3)),
    ),
    "relaxed_onehot": (
        lambda M, p: M.RelaxedOneHotCategorical(p["temperature"], probs=p["probs"]),
        {"temperature": lambda r: np.array(0.6), "probs": lambda r: _dirichlet(r, (3, 4))},
        lambda r: _dirichlet(r, (4, 3, 4)),
    ),
    "relaxed_onehot_logits": (
        lambda M, p: M.RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]),
        {"temperature": lambda r: np.array(2.0), "logits": lambda r: r.normal(size=(3, 4))},
        lambda r: _dirichlet(r, (4, 3, 4)),
    ),
    "continuous_bernoulli": (
        lambda M, p: M.ContinuousBernoulli(probs=p["probs"]),
        {"probs": lambda r: np.array([0.2, 0.4995, 0.8])},  # the middle one: Taylor branch
        lambda r: r.uniform(0.0, 1.0, (4, 3)),
    ),
    "continuous_bernoulli_logits": (
        lambda M, p: M.ContinuousBernoulli(logits=p["logits"]),
        {"logits": lambda r: 2 * r.normal(size=3)},
        lambda r: r.uniform(0.0, 1.0, (4, 3)),
    ),
    "transformed_affine_exp": (
        _transformed_affine_exp, LOC_SCALE, lambda r: r.lognormal(size=(4, 3)),
    ),
    "transformed_tanh": (
        _transformed_tanh, LOC_SCALE, lambda r: r.uniform(-0.95, 0.95, (4, 3)),
    ),
}  # fmt: skip


def _make(name, requires_grad=False, seed=0):
    ctor, param_gens, value_gen = DISTS[name]
    rng = np.random.default_rng(seed)
    ep, tp = {}, {}
    for k, gen in param_gens.items():
        ep[k], tp[k] = _pair(gen(rng), requires_grad=requires_grad)
    ev, tv = _pair(value_gen(rng))
    return ctor(ED, ep), ctor(TD, tp), ev, tv, ep, tp


def _torch_attr(td, attr, *args):
    if isinstance(td, TD.Kumaraswamy) and attr == "mode":
        return NotImplemented  # PyTorch's mode is NaN everywhere; see test_kumaraswamy_mode
    try:
        out = getattr(td, attr)
        return out(*args) if callable(out) else out
    except NotImplementedError:
        return NotImplemented


@pytest.mark.parametrize("name", list(DISTS))
def test_distribution_values(name):
    ed, td, ev, tv, _, _ = _make(name)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    assert_close(ed.log_prob(ev), td.log_prob(tv), rtol=RTOL, atol=ATOL)
    u, tu = _pair(np.random.default_rng(9).uniform(0.02, 0.98, (4,) + tuple(td.batch_shape)))
    checks = [("cdf", (ev,), (tv,)), ("icdf", (u,), (tu,)), ("entropy", (), ())]
    checks += [(a, None, None) for a in ("mean", "variance", "mode", "stddev")]
    for attr, eargs, targs in checks:
        expected = _torch_attr(td, attr, *(targs or ()))
        if expected is NotImplemented and isinstance(td, TD.Kumaraswamy):
            continue
        if expected is NotImplemented:
            with pytest.raises(NotImplementedError):
                _torch_attr_raising(ed, attr, *(eargs or ()))
            continue
        actual = getattr(ed, attr)
        actual = actual(*eargs) if callable(actual) else actual
        assert_close(actual, expected, rtol=RTOL, atol=ATOL), attr


def _torch_attr_raising(d, attr, *args):
    out = getattr(d, attr)
    return out(*args) if callable(out) else out


@pytest.mark.parametrize("name", list(DISTS))
def test_sample_shapes_and_support(name):
    ed, td, *_ = _make(name)
    for sample_shape in [(), (2,), (2, 3)]:
        s = ed.sample(sample_shape)
        assert tuple(s.shape) == tuple(td.sample(sample_shape).shape)
        assert not s.requires_grad
        assert bool(ed.support.check(s).all())
    if ed.has_rsample:
        assert tuple(ed.rsample((5,)).shape) == tuple(td.rsample((5,)).shape)
    big = ed.expand((2,) + tuple(ed.batch_shape))
    tbig = td.expand((2,) + tuple(td.batch_shape))
    assert tuple(big.batch_shape) == tuple(tbig.batch_shape)
    assert type(big) is type(ed)
    v = big.sample()
    assert_close(big.log_prob(v), tbig.log_prob(torch.from_numpy(to_np(v))), rtol=RTOL, atol=ATOL)


def test_kumaraswamy_mode():
    a = ember.tensor([3.0, 2.0, 1.5, 0.5, 2.0], dtype=ember.float64)
    b = ember.tensor([4.0, 2.0, 1.2, 2.0, 0.5], dtype=ember.float64)
    mode = to_np(ED.Kumaraswamy(a, b).mode)
    assert np.isnan(mode[3:]).all()  # a < 1 or b < 1: the density is unbounded at an end
    ta, tb = torch.tensor(to_np(a)), torch.tensor(to_np(b))
    x = torch.linspace(1e-4, 1 - 1e-4, 20001, dtype=torch.float64).unsqueeze(-1)
    argmax = x[TD.Kumaraswamy(ta, tb).log_prob(x).argmax(0), 0].numpy()
    np.testing.assert_allclose(mode[:3], argmax[:3], atol=1e-4)


def test_seeded_sampling_is_reproducible():
    d = ED.Gumbel(ember.zeros(3), ember.ones(3))
    ember.manual_seed(5)
    a = d.sample((4,))
    ember.manual_seed(5)
    assert_close(d.sample((4,)), a)


# reparameterised gradients of univariate distributions with a cdf: a draw x = g(u, theta) with
# base noise u fixed satisfies F(x; theta) = const, so dx/dtheta = -dF/dtheta / p(x) (implicit
# reparameterisation). torch supplies F and p at ember's draws.
IMPLICIT = [
    "exponential", "laplace", "cauchy", "lognormal", "halfnormal", "halfcauchy", "gumbel",
    "weibull", "pareto", "kumaraswamy", "continuous_bernoulli", "transformed_affine_exp",
    "transformed_tanh",
]  # fmt: skip


@pytest.mark.parametrize("name", IMPLICIT)
def test_rsample_gradient_implicit(name):
    ed, td, _, _, ep, tp = _make(name, requires_grad=True)
    x = ed.rsample((6,))
    x.sum().backward()
    tx = torch.from_numpy(to_np(x))
    density = td.log_prob(tx).exp().detach()
    (-td.cdf(tx) / density).sum().backward()
    for k in ep:
        assert_close(ep[k].grad, tp[k].grad, rtol=1e-5, atol=1e-8)


def test_rsample_gradient_logistic_normal():
    ed, _, _, _, ep, tp = _make("logistic_normal", requires_grad=True)
    x = ed.rsample((5,))
    (x * ember.tensor(np.arange(15.0).reshape(5, 1, 3))).sum().backward()
    z = TD.transforms.StickBreakingTransform().inv(torch.from_numpy(to_np(x)))
    eps = (z - tp["loc"].detach()) / tp["scale"].detach()  # the base noise ember drew
    tx = TD.transforms.StickBreakingTransform()(tp["loc"] + tp["scale"] * eps)
    (tx * torch.arange(15.0, dtype=torch.float64).reshape(5, 1, 3)).sum().backward()
    assert_close(ep["loc"].grad, tp["loc"].grad, rtol=1e-5, atol=1e-8)
    assert_close(ep["scale"].grad, tp["scale"].grad, rtol=1e-5, atol=1e-8)


def test_rsample_gradient_relaxed_bernoulli():
    ed, _, _, _, ep, tp = _make("relaxed_bernoulli", requires_grad=True)
    x = ed.rsample((5,))
    x.sum().backward()
    t = tp["temperature"].detach()
    logit = torch.logit(torch.from_numpy(to_np(x)))
    probs = tp["probs"].detach()
    noise = logit * t - (probs.log() - (-probs).log1p())  # the logistic noise ember drew
    tx = torch.sigmoid((tp["probs"].log() - (-tp["probs"]).log1p() + noise) / t)
    tx.sum().backward()
    assert_close(ep["probs"].grad, tp["probs"].grad, rtol=1e-5, atol=1e-8)


def test_rsample_gradient_relaxed_onehot():
    ed, _, _, _, ep, tp = _make("relaxed_onehot_logits", requires_grad=True)
    x = ed.rsample((5,))
    w = np.random.default_rng(2).normal(size=tuple(x.shape))
    (x * ember.tensor(w)).sum().backward()
    t = float(tp["temperature"])
    logits = tp["logits"].detach() - tp["logits"].detach().logsumexp(-1, keepdim=True)
    gumbel = t * torch.from_numpy(to_np(x)).log() - logits  # up to a per-draw constant
    norm = tp["logits"] - tp["logits"].logsumexp(-1, keepdim=True)
    tx = torch.softmax((norm + gumbel) / t, -1)
    (tx * torch.from_numpy(w)).sum().backward()
    assert_close(ep["logits"].grad, tp["logits"].grad, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    "name",
    ["exponential", "laplace", "gumbel", "weibull", "kumaraswamy", "halfnormal", "lognormal",
     "continuous_bernoulli", "continuous_bernoulli_logits"],
)  # fmt: skip
def test_sample_mean_matches_mean(name):
    ed, *_ = _make(name)
    ember.manual_seed(123)
    n = 20000
    s = to_np(ed.sample((n,)))
    mean, std = to_np(ed.mean), to_np(ed.stddev)
    np.testing.assert_array_less(np.abs(s.mean(0) - mean), 5 * std / math.sqrt(n) + 1e-12)


@pytest.mark.parametrize("name", IMPLICIT)
def test_samples_follow_cdf(name):
    """Kolmogorov-Smirnov distance between the draws and the (torch-checked) cdf."""
    ed, *_ = _make(name)
    ember.manual_seed(321)
    n = 20000
    s = ed.sample((n,))
    cdf = np.sort(to_np(ed.cdf(s)), axis=0)
    ecdf = np.arange(1, n + 1)[:, None] / n
    assert np.abs(cdf - ecdf).max() < 1.8 / math.sqrt(n)  # about a 0.3% false alarm rate


def test_relaxed_low_temperature_approaches_discrete():
    probs = ember.tensor([0.2, 0.7], dtype=ember.float64)
    d = ED.RelaxedBernoulli(ember.tensor(0.05, dtype=ember.float64), probs=probs)
    s = to_np(d.sample((4000,)))
    assert ((s < 0.01) | (s > 0.99)).mean() > 0.9
    np.testing.assert_allclose((s > 0.5).mean(0), [0.2, 0.7], atol=0.04)
    oh = ED.RelaxedOneHotCategorical(0.05, probs=ember.tensor([0.1, 0.3, 0.6]))
    s = to_np(oh.sample((4000,)))
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.bincount(s.argmax(-1), minlength=3) / 4000, [0.1, 0.3, 0.6],
                               atol=0.04)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------

BAD_ARGS = [
    lambda M, t: M.Exponential(t([-1.0, 1.0])),
    lambda M, t: M.Laplace(t([0.0]), t([0.0])),
    lambda M, t: M.Cauchy(t([0.0]), t([-2.0])),
    lambda M, t: M.LogNormal(t([0.0]), t([-1.0])),
    lambda M, t: M.HalfNormal(t([-1.0])),
    lambda M, t: M.HalfCauchy(t([0.0])),
    lambda M, t: M.Gumbel(t([0.0]), t([-1.0])),
    lambda M, t: M.Weibull(t([1.0]), t([-1.0])),
    lambda M, t: M.Pareto(t([-1.0]), t([1.0])),
    lambda M, t: M.Kumaraswamy(t([1.0]), t([0.0])),
    lambda M, t: M.LogisticNormal(t([0.0, 1.0]), t([1.0, -1.0])),
    lambda M, t: M.RelaxedBernoulli(t(0.5), probs=t([1.5])),
    lambda M, t: M.RelaxedOneHotCategorical(t(0.5), probs=t([-0.5, 1.5])),
    lambda M, t: M.ContinuousBernoulli(probs=t([1.2]), validate_args=True),
]


@pytest.mark.parametrize("i", range(len(BAD_ARGS)))
def test_invalid_parameters_raise(i):
    with pytest.raises(ValueError):
        BAD_ARGS[i](TD, lambda v: torch.tensor(v, dtype=torch.float64))
    with pytest.raises(ValueError):
        BAD_ARGS[i](ED, lambda v: ember.tensor(v, dtype=ember.float64))


def test_invalid_values_raise():
    with pytest.raises(ValueError, match="support"):
        ED.Exponential(ember.tensor([1.0])).log_prob(ember.tensor([-1.0]))
    with pytest.raises(ValueError, match="support"):
        ED.Pareto(ember.tensor([2.0]), ember.tensor([1.0])).log_prob(ember.tensor([1.0]))
    with pytest.raises(ValueError):
        ED.Kumaraswamy(ember.tensor([1.0]), ember.tensor([1.0])).log_prob(ember.tensor([1.5]))
    with pytest.raises(ValueError):
        ED.TransformedDistribution(ED.Normal(0.0, 1.0), "exp")
    # without validation the same calls compute (PyTorch gives -inf / nan there too)
    d = ED.Exponential(ember.tensor([-1.0]), validate_args=False)
    assert d.batch_shape == (1,)


# ---------------------------------------------------------------------------------------------
# KL divergences
# ---------------------------------------------------------------------------------------------


def _kl_dists(M, t):
    return {
        "N": M.Normal(t([0.3, -1.0, 0.5]), t([1.0, 2.0, 0.7])),
        "U": M.Uniform(t([0.1, 0.2, 1.5]), t([0.9, 0.9, 3.0])),
        "E": M.Exponential(t([1.0, 2.0, 0.5])),
        "G": M.Gumbel(t([0.3, -1.0, 2.0]), t([1.0, 2.0, 0.5])),
        "L": M.Laplace(t([0.3, -1.0, 0.0]), t([1.0, 2.0, 0.3])),
        "P": M.Pareto(t([1.0, 2.0, 1.6]), t([3.0, 1.5, 0.9])),
        "C": M.Cauchy(t([0.3, -1.0, 0.0]), t([1.0, 2.0, 0.3])),
        "HN": M.HalfNormal(t([1.0, 2.0, 0.3])),
        "CB": M.ContinuousBernoulli(t([0.3, 0.8, 0.4999])),
        "LN": M.LogNormal(t([0.3, -1.0, 0.0]), t([1.0, 2.0, 0.3])),
    }


KL_PAIRS = [
    ("E", "E"), ("L", "L"), ("C", "C"), ("HN", "HN"), ("G", "G"), ("P", "P"), ("CB", "CB"),
    ("LN", "LN"), ("CB", "N"), ("CB", "E"), ("CB", "U"), ("U", "CB"), ("E", "G"), ("E", "N"),
    ("G", "N"), ("L", "N"), ("N", "G"), ("N", "L"), ("P", "E"), ("P", "N"), ("U", "E"),
    ("U", "G"), ("U", "N"), ("U", "P"), ("N", "U"), ("N", "E"), ("N", "P"), ("N", "CB"),
    ("E", "U"), ("E", "P"), ("E", "CB"), ("G", "U"), ("G", "E"), ("G", "P"), ("G", "CB"),
    ("L", "U"), ("L", "E"), ("L", "P"), ("L", "CB"), ("P", "U"), ("P", "CB"), ("CB", "P"),
]  # fmt: skip


def _kl_pair(p, q):
    def et(v):
        return ember.tensor(v, dtype=ember.float64)

    def tt(v):
        return torch.tensor(v, dtype=torch.float64)

    e, t = _kl_dists(ED, et), _kl_dists(TD, tt)
    # reverse the batch of q so that p and q differ
    eq, tq = _kl_dists(ED, lambda v: et(v[::-1])), _kl_dists(TD, lambda v: tt(v[::-1]))
    return e[p], eq[q], t[p], tq[q]


@pytest.mark.parametrize("p,q", KL_PAIRS, ids=[f"{p}-{q}" for p, q in KL_PAIRS])
def test_kl_against_torch(p, q):
    ep, eq, tp, tq = _kl_pair(p, q)
    assert_close(ED.kl_divergence(ep, eq), TD.kl_divergence(tp, tq), rtol=1e-6, atol=1e-9)


def test_kl_boundaries_and_errors():
    # Uniform(0, 1) and ContinuousBernoulli share the support: the KL is finite (PyTorch: inf)
    cb = ED.ContinuousBernoulli(ember.tensor([0.3], dtype=ember.float64))
    zero, one = ember.zeros(1, dtype=ember.float64), ember.ones(1, dtype=ember.float64)
    u = ED.Uniform(zero, one)
    expected = -to_np(cb.entropy())
    assert_close(ED.kl_divergence(cb, u), expected, rtol=1e-9)
    assert np.isfinite(to_np(ED.kl_divergence(u, cb))).all()
    # Monte Carlo check of one closed form: KL(Laplace || Normal)
    p, q = ED.Laplace(0.3, 1.2), ED.Normal(-0.5, 2.0)
    ember.manual_seed(0)
    x = p.sample((200000,))
    mc = float((p.log_prob(x) - q.log_prob(x)).mean())
    assert abs(mc - float(ED.kl_divergence(p, q))) < 0.01
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(ED.Cauchy(0.0, 1.0), ED.Normal(0.0, 1.0))
    t = ED.transforms
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(
            ED.TransformedDistribution(ED.Normal(0.0, 1.0), t.ExpTransform()),
            ED.TransformedDistribution(ED.Normal(0.0, 1.0), t.SigmoidTransform()),
        )


def test_repr_and_exports():
    assert set(ED.transforms.__all__) <= set(dir(ED))
    for name in [
        "Exponential",
        "Laplace",
        "Cauchy",
        "LogNormal",
        "HalfNormal",
        "HalfCauchy",
        "Gumbel",
        "Weibull",
        "Pareto",
        "Kumaraswamy",
        "LogisticNormal",
        "RelaxedBernoulli",
        "RelaxedOneHotCategorical",
        "ContinuousBernoulli",
        "TransformedDistribution",
        "biject_to",
        "transform_to",
        "identity_transform",
    ]:
        assert hasattr(ED, name), name  # fmt: skip
    assert repr(ED.transforms.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
