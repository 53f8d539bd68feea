"""nn.init: gains, the distributions each initialiser draws from (moments and bounds on large
tensors, compared with PyTorch's on the same shapes), and the default initialisation of layers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.nn import init

torch = pytest.importorskip("torch")
tinit = torch.nn.init


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("conv1d",),
        ("conv2d",),
        ("conv3d",),
        ("conv_transpose1d",),
        ("conv_transpose2d",),
        ("conv_transpose3d",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("leaky_relu", 0),
        ("selu",),
    ],
)
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == pytest.approx(tinit.calculate_gain(*args), rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_mid")
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(ember.empty(3))


SHAPE = (300, 200)
CONV_SHAPE = (64, 32, 3, 3)


# (name, call(init_module, tensor)); shapes chosen so fans differ (fan_in != fan_out)
def _same_moments(e: np.ndarray, t: np.ndarray) -> None:
    """Mean and std agree within ~5 standard errors for ``e.size`` samples."""
    n = e.size
    assert abs(e.mean() - t.mean()) < 5 * t.std() * math.sqrt(2 / n) + 1e-7
    assert abs(e.std() / t.std() - 1) < 5 / math.sqrt(n)


DISTS = [
    ("uniform", lambda I, t: I.uniform_(t, -0.3, 0.7), SHAPE),
    ("normal", lambda I, t: I.normal_(t, 0.5, 2.0), SHAPE),
    ("trunc_normal", lambda I, t: I.trunc_normal_(t, 0.1, 1.0, -1.0, 1.5), SHAPE),
    ("trunc_normal-narrow", lambda I, t: I.trunc_normal_(t, std=0.02, a=-0.04, b=0.04), SHAPE),
    ("xavier_uniform", lambda I, t: I.xavier_uniform_(t, gain=2.0), SHAPE),
    ("xavier_normal", lambda I, t: I.xavier_normal_(t), CONV_SHAPE),
    ("kaiming_uniform", lambda I, t: I.kaiming_uniform_(t, a=math.sqrt(5)), CONV_SHAPE),
    (
        "kaiming_uniform-relu-out",
        lambda I, t: I.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
        SHAPE,
    ),
    ("kaiming_normal", lambda I, t: I.kaiming_normal_(t), SHAPE),
    ("kaiming_normal-out", lambda I, t: I.kaiming_normal_(t, 0.1, "fan_out"), CONV_SHAPE),
    ("orthogonal", lambda I, t: I.orthogonal_(t, gain=1.5), SHAPE),
]


@pytest.mark.parametrize("name, call, shape", DISTS, ids=[d[0] for d in DISTS])
def test_distribution_matches_torch(name, call, shape):
    e = call(init, ember.empty(*shape)).numpy()
    t = call(tinit, torch.empty(*shape)).numpy()
    assert e.shape == t.shape and e.dtype == t.dtype
    _same_moments(e, t)
    if name.startswith(("uniform", "trunc")):
        assert e.min() >= t.min() - 0.01 * t.std() and e.max() <= t.max() + 0.01 * t.std()
    if name.endswith("uniform"):
        bound = np.abs(t).max()
        assert np.abs(e).max() <= bound * 1.001 and np.abs(e).max() > bound * 0.99


def test_orthogonal_is_orthogonal():
    for shape in ((4, 7), (7, 4), (3, 2, 2)):
        w = init.orthogonal_(ember.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)


def test_deterministic_inits_match_torch():
    for fn, shape, args in (
        (init.eye_, (3, 5), ()),
        (init.dirac_, (4, 2, 3, 3), ()),
        (init.dirac_, (4, 2, 3), (2,)),
        (init.constant_, (2, 3), (0.25,)),
        (init.ones_, (2,), ()),
        (init.zeros_, (2, 2), ()),
    ):
        e = fn(ember.empty(*shape), *args)
        t = getattr(tinit, fn.__name__)(torch.empty(*shape), *args)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_sparse_zeroes_a_fraction_per_column():
    w = init.sparse_(ember.empty(10, 6), sparsity=0.3).numpy()
    assert ((w == 0).sum(0) == 3).all()


def test_generator_and_global_seed_make_inits_reproducible():
    g = ember.Generator().manual_seed(7)
    a = init.kaiming_uniform_(ember.empty(5, 4), generator=g)
    g.manual_seed(7)
    b = init.kaiming_uniform_(ember.empty(5, 4), generator=g)
    assert (a.numpy() == b.numpy()).all()
    ember.manual_seed(3)
    l1 = ember.nn.Linear(4, 3)
    ember.manual_seed(3)
    l2 = ember.nn.Linear(4, 3)
    assert (l1.weight.detach().numpy() == l2.weight.detach().numpy()).all()


def test_init_keeps_parameters_leaves():
    p = ember.nn.Parameter(ember.empty(3, 4))
    out = init.xavier_normal_(p)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None


LAYERS = [
    lambda nn: nn.Linear(300, 200),
    lambda nn: nn.Bilinear(40, 30, 50),
    lambda nn: nn.Conv2d(32, 64, 3),
    lambda nn: nn.Conv1d(16, 48, 5, groups=4),
    lambda nn: nn.ConvTranspose2d(32, 48, 3, groups=2),
    lambda nn: nn.Embedding(500, 64),
    lambda nn: nn.BatchNorm2d(16),
    lambda nn: nn.LayerNorm(32),
    lambda nn: nn.GroupNorm(4, 16),
    lambda nn: nn.PReLU(8),
    lambda nn: nn.Embedding(100, 8, padding_idx=3),
]


@pytest.mark.parametrize("make", LAYERS, ids=lambda f: "")
def test_default_layer_init_matches_torch(make):
    tm, em = make(torch.nn), make(ember.nn)
    tsd, esd = tm.state_dict(), em.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        t, e = tsd[k].numpy(), esd[k].numpy()
        assert e.shape == t.shape and e.dtype == t.dtype, k
        if t.std() == 0:
            np.testing.assert_array_equal(e, t)
            continue
        _same_moments(e, t)
        if "weight" not in k or not isinstance(tm, torch.nn.Embedding):  # bounded inits
            assert np.abs(e).max() <= np.abs(t).max() * 1.2, k
