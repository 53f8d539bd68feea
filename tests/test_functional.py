"""nn.functional against torch.nn.functional: one table of (name, call, inputs), forward values
and gradients compared on the same inputs; plus stability, double backward and error cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def randn(*shape, scale=1.0, dtype=np.float32):
    return lambda rng: (rng.standard_normal(shape) * scale).astype(dtype)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape).astype(np.float32)


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def const(arr, dtype=None):
    return lambda rng: np.asarray(arr, dtype=dtype)


def _f64(F):
    return torch.float64 if F is TF else ember.float64


# (id, call(F, *inputs), input makers). ``call`` receives the library's functional module.
FUNCS = [
    ("relu", lambda F, x: F.relu(x), [randn(3, 5)]),
    ("relu6", lambda F, x: F.relu6(x), [randn(3, 5, scale=5)]),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2), [randn(3, 5)]),
    ("prelu", lambda F, x, w: F.prelu(x, w), [randn(2, 3, 4), uniform(0, 1, 3)]),
    ("prelu-shared", lambda F, x, w: F.prelu(x, w), [randn(2, 3), uniform(0, 1, 1)]),
    ("elu", lambda F, x: F.elu(x, 0.5), [randn(4, 4, scale=3)]),
    ("elu-large", lambda F, x: F.elu(x), [randn(4, 4, scale=300)]),
    ("selu", lambda F, x: F.selu(x), [randn(4, 4, scale=3)]),
    ("celu", lambda F, x: F.celu(x, 2.0), [randn(4, 4, scale=3)]),
    ("gelu", lambda F, x: F.gelu(x), [randn(4, 4, scale=3)]),
    ("gelu-tanh", lambda F, x: F.gelu(x, approximate="tanh"), [randn(4, 4, scale=3)]),
    ("silu", lambda F, x: F.silu(x), [randn(4, 4, scale=3)]),
    ("mish", lambda F, x: F.mish(x), [randn(4, 4, scale=3)]),
    ("hardtanh", lambda F, x: F.hardtanh(x, -0.5, 2.0), [randn(4, 4, scale=3)]),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), [randn(4, 4, scale=4)]),
    ("hardswish", lambda F, x: F.hardswish(x), [randn(4, 4, scale=4)]),
    ("softplus", lambda F, x: F.softplus(x, beta=2.0, threshold=3.0), [randn(4, 4, scale=3)]),
    ("softplus-large", lambda F, x: F.softplus(x), [randn(4, 4, scale=100)]),
    ("softsign", lambda F, x: F.softsign(x), [randn(4, 4)]),
    ("tanhshrink", lambda F, x: F.tanhshrink(x), [randn(4, 4)]),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -1.0), [randn(4, 4)]),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), [randn(4, 4, scale=50)]),
    ("sigmoid", lambda F, x: F.sigmoid(x), [randn(4, 4)]),
    ("tanh", lambda F, x: F.tanh(x), [randn(4, 4)]),
    ("hardshrink", lambda F, x: F.hardshrink(x, 0.3), [randn(4, 4)]),
    ("softshrink", lambda F, x: F.softshrink(x, 0.3), [randn(4, 4)]),
    ("glu", lambda F, x: F.glu(x, 1), [randn(3, 6)]),
    ("softmax", lambda F, x: F.softmax(x, dim=1), [randn(3, 5, 2)]),
    ("softmax-last", lambda F, x: F.softmax(x, -1), [randn(1, 7)]),
    ("softmax-0d", lambda F, x: F.softmax(x, 0), [randn()]),
    ("softmax-f64", lambda F, x: F.softmax(x, 0, dtype=_f64(F)), [randn(4)]),
    ("log_softmax", lambda F, x: F.log_softmax(x, dim=1), [randn(4, 6, scale=5)]),
    ("log_softmax-dim0", lambda F, x: F.log_softmax(x, 0), [randn(3, 2, 2)]),
    ("softmin", lambda F, x: F.softmin(x, dim=0), [randn(4, 3)]),
    ("linear", lambda F, x, w, b: F.linear(x, w, b), [randn(4, 3), randn(5, 3), randn(5)]),
    ("linear-nobias-3d", lambda F, x, w: F.linear(x, w), [randn(2, 4, 3), randn(5, 3)]),
    ("linear-1d", lambda F, x, w, b: F.linear(x, w, b), [randn(3), randn(2, 3), randn(2)]),
    (
        "bilinear",
        lambda F, a, b, w, c: F.bilinear(a, b, w, c),
        [randn(4, 2), randn(4, 3), randn(5, 2, 3), randn(5)],
    ),
    (
        "layer_norm",
        lambda F, x, w, b: F.layer_norm(x, (4,), w, b),
        [randn(3, 4, scale=3), randn(4), randn(4)],
    ),
    ("layer_norm-2d", lambda F, x: F.layer_norm(x, [2, 3], eps=1e-3), [randn(2, 2, 3)]),
    (
        "group_norm",
        lambda F, x, w, b: F.group_norm(x, 2, w, b),
        [randn(2, 4, 3), randn(4), randn(4)],
    ),
    ("rms_norm", lambda F, x, w: F.rms_norm(x, (3,), w, 1e-5), [randn(2, 3), randn(3)]),
    (
        "batch_norm-train",
        lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [randn(4, 3, 2), randn(3), randn(3)],
    ),
    (
        "batch_norm-eval",
        lambda F, x, m, v: F.batch_norm(x, m.detach(), v.detach(), eps=1e-3),
        [randn(4, 3), randn(3), uniform(0.5, 2, 3)],
    ),
    ("instance_norm", lambda F, x: F.instance_norm(x), [randn(2, 3, 5)]),
    ("local_response_norm", lambda F, x: F.local_response_norm(x, 3), [randn(2, 4, 3, 3)]),
    ("normalize", lambda F, x: F.normalize(x), [randn(3, 4)]),
    ("normalize-p1-dim0", lambda F, x: F.normalize(x, p=1.0, dim=0), [randn(3, 4)]),
    ("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b), [randn(4, 5), randn(4, 5)]),
    (
        "cosine_similarity-bcast",
        lambda F, a, b: F.cosine_similarity(a, b, dim=-1),
        [randn(3, 1, 4), randn(2, 4)],
    ),
    (
        "pairwise_distance",
        lambda F, a, b: F.pairwise_distance(a, b, keepdim=True),
        [randn(4, 5), randn(4, 5)],
    ),
    ("pdist", lambda F, x: F.pdist(x), [randn(5, 3)]),
    ("embedding", lambda F, i, w: F.embedding(i, w), [ints(6, 2, 3), randn(6, 4)]),
    (
        "embedding-pad",
        lambda F, i, w: F.embedding(i, w, padding_idx=2),
        [const([[2, 1, 2], [0, 5, 2]]), randn(6, 4)],
    ),
    (
        "embedding_bag",
        lambda F, i, w, o: F.embedding_bag(i, w, o, mode="sum"),
        [const([0, 3, 3, 1, 5]), randn(6, 2), const([0, 1, 1])],
    ),
    (
        "embedding_bag-psw",
        lambda F, i, w, p: F.embedding_bag(i, w, mode="sum", per_sample_weights=p),
        [ints(6, 3, 2), randn(6, 2), randn(3, 2)],
    ),
    (
        "affine_grid",
        lambda F, t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False),
        [randn(2, 2, 3)],
    ),
    (
        "affine_grid-corners",
        lambda F, t: F.affine_grid(t, [1, 1, 3, 2], align_corners=True),
        [randn(1, 2, 3)],
    ),
    (
        "grid_sample-bilinear-zeros-True",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "zeros", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-bilinear-zeros-False",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "zeros", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-bilinear-border-True",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "border", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-bilinear-border-False",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "border", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-bilinear-reflection-True",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "reflection", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-bilinear-reflection-False",
        lambda F, x, g: F.grid_sample(x, g, "bilinear", "reflection", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-zeros-True",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "zeros", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-zeros-False",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "zeros", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-border-True",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "border", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-border-False",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "border", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-reflection-True",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "reflection", True),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    (
        "grid_sample-nearest-reflection-False",
        lambda F, x, g: F.grid_sample(x, g, "nearest", "reflection", False),
        [randn(2, 3, 5, 4), uniform(-1.3, 1.3, 2, 3, 6, 2)],
    ),
    ("one_hot", lambda F, i: F.one_hot(i), [ints(5, 3, 2)]),
    ("one_hot-n", lambda F, i: F.one_hot(i, 7), [ints(5, 4)]),
    ("dropout-eval", lambda F, x: F.dropout(x, 0.5, training=False), [randn(3, 4)]),
    ("dropout-p0", lambda F, x: F.dropout(x, 0.0), [randn(3, 4)]),
    ("dropout2d-eval", lambda F, x: F.dropout2d(x, 0.5, training=False), [randn(2, 3, 2, 2)]),
    ("alpha_dropout-eval", lambda F, x: F.alpha_dropout(x, 0.5), [randn(3, 4)]),
]


def _run(F, lib, call, arrays):
    ins = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    return ins, call(F, *ins)


@pytest.mark.parametrize("name, call, makers", FUNCS, ids=[f[0] for f in FUNCS])
def test_functional_matches_torch(name, call, makers):
    rng = np.random.default_rng(0)
    arrays = [m(rng) for m in makers]
    t_in, t_out = _run(TF, torch, call, arrays)
    e_in, e_out = _run(EF, ember, call, arrays)
    assert_close(e_out, t_out, rtol=1e-5, atol=1e-5)
    if not t_out.requires_grad:
        return
    g = rng.standard_normal(tuple(t_out.shape)).astype(
        arrays[0].dtype if arrays[0].dtype.kind == "f" else np.float32
    )
    g = g.astype(np.float64) if t_out.dtype == torch.float64 else g
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    for a, b in zip(e_in, t_in):
        if b.grad is None:
            assert a.grad is None or float(a.grad.abs().sum()) == 0
        elif a.grad is None:  # ember leaves a gradient that is zero by definition unset
            assert float(b.grad.abs().sum()) == 0
        else:
            assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


INPLACE = [
    ("relu_", lambda F, x: F.relu_(x)),
    ("relu-inplace", lambda F, x: F.relu(x, inplace=True)),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x, 0.1)),
    ("elu_", lambda F, x: F.elu_(x)),
    ("hardtanh_", lambda F, x: F.hardtanh_(x, -0.5, 0.5)),
    ("silu-inplace", lambda F, x: F.silu(x, inplace=True)),
    ("threshold_", lambda F, x: F.threshold_(x, 0.1, 2.0)),
]


@pytest.mark.parametrize("name, call", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_activations(name, call):
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        leaf = lib.tensor(x, requires_grad=True)
        h = leaf * 2
        out = call(F, h)
        assert out is h
        (out * out).sum().backward()
        res.append((h.detach(), leaf.grad))
    assert_close(res[1][0], res[0][0])
    assert_close(res[1][1], res[0][1])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        call(EF, ember.tensor(x, requires_grad=True))


@pytest.mark.parametrize(
    "fn",
    [
        "log_softmax",
        "softmax",
        "relu",
        "gelu",
        "elu",
        "softplus",
        "logsigmoid",
        "layer_norm",
        "normalize",
    ],
)
def test_double_backward_matches_torch(fn):
    """Backward formulas are ember ops, so gradients of gradients match PyTorch's."""
    x = np.random.default_rng(2).standard_normal((3, 4))
    w = np.random.default_rng(3).standard_normal((3, 4))

    def call(F, t):
        if fn in ("log_softmax", "softmax"):
            return getattr(F, fn)(t, dim=1)
        if fn == "layer_norm":
            return F.layer_norm(t, (4,))
        if fn == "normalize":
            return F.normalize(t)
        return getattr(F, fn)(t)

    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        t = lib.tensor(x, requires_grad=True)
        y = (call(F, t) * t * lib.tensor(w)).sum()
        (g,) = lib.autograd.grad(y, t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t)
        res.append((g, gg))
    assert_close(res[1][0], res[0][0], rtol=1e-10, atol=1e-10)
    assert_close(res[1][1], res[0][1], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "fn",
    [
        "softmax",
        "log_softmax",
        "logsigmoid",
        "softplus",
        "elu",
        "gelu",
        "silu",
        "mish",
        "selu",
        "celu",
    ],
)
def test_large_inputs_stay_finite(fn):
    x = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, -1e4, 1e4, 1e4]], np.float32)
    kwargs = {"dim": 1} if "softmax" in fn else {}
    t = torch.tensor(x, requires_grad=True)
    e = ember.tensor(x, requires_grad=True)
    t_out, e_out = getattr(TF, fn)(t, **kwargs), getattr(EF, fn)(e, **kwargs)
    assert bool(ember.isfinite(e_out).all())
    assert_close(e_out, t_out)
    g = np.linspace(-1, 1, 8).reshape(2, 4).astype(np.float32)
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    assert bool(ember.isfinite(e.grad).all())
    assert_close(e.grad, t.grad, atol=1e-5)


def test_softmax_implicit_dim_warns_and_matches():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = EF.softmax(ember.tensor(x))
    with pytest.warns(UserWarning):
        ref = TF.softmax(torch.tensor(x))
    assert_close(out, ref)


def test_functional_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        EF.glu(ember.ones(3, 5))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        EF.one_hot(ember.ones(3))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        EF.one_hot(ember.tensor([0, 4]), 3)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        EF.dropout(ember.ones(2), p=-0.1)
    with pytest.raises(RuntimeError, match="Given normalized_shape"):
        EF.layer_norm(ember.ones(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        EF.group_norm(ember.ones(2, 3, 4), 2)
    with pytest.raises(IndexError, match="index out of range"):
        EF.embedding(ember.tensor([3]), ember.ones(3, 2))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        EF.prelu(ember.ones(2, 3), ember.ones(2))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        EF.linear(ember.ones(2, 3), ember.ones(4, 5))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        EF.batch_norm(ember.ones(1, 3), None, None, training=True)


def test_batch_norm_updates_running_stats_like_torch():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((5, 3, 2)) * 2 + 1).astype(np.float32)
    tm, tv = torch.zeros(3), torch.ones(3)
    em, ev = ember.zeros(3), ember.ones(3)
    TF.batch_norm(torch.tensor(x), tm, tv, training=True, momentum=0.2)
    EF.batch_norm(ember.tensor(x), em, ev, training=True, momentum=0.2)
    assert_close(em, tm)
    assert_close(ev, tv)


def test_gumbel_softmax():
    ember.manual_seed(0)
    logits = ember.randn(4, 5, requires_grad=True)
    soft = EF.gumbel_softmax(logits, tau=0.5)
    assert_close(soft.sum(-1), np.ones(4, np.float32), atol=1e-6)
    hard = EF.gumbel_softmax(logits, hard=True)
    assert sorted(set(hard.detach().flatten().tolist())) == [0.0, 1.0]
    assert_close(hard.sum(-1), np.ones(4, np.float32))
    (hard * ember.arange(5.0)).sum().backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0


@pytest.mark.parametrize("shape, bias", [((2, 3, 4), True), ((4,), True), ((3, 4), False)])
def test_linear_double_backward_matches_torch(shape, bias):
    """F.linear is one fused op; its backward is ember ops, so second derivatives match."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((5, 4)), rng.standard_normal(5)
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        ins = [lib.tensor(a, requires_grad=True) for a in ((x, w, b) if bias else (x, w))]
        y = F.linear(*ins)
        g = lib.autograd.grad((y * y).sum(), ins, create_graph=True)
        gg = lib.autograd.grad(sum((gi * gi).sum() for gi in g), ins)
        res.append([t.detach().numpy() for t in (y, *g, *gg)])
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)
