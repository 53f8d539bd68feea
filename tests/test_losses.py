"""Losses against PyTorch: every loss with each reduction and its options (forward and input
gradients), the loss modules, numerical stability for extreme logits, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def randn(*shape, scale=1.0):
    return lambda rng: (rng.standard_normal(shape) * scale).astype(np.float32)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape).astype(np.float32)


def ints(high, *shape, low=0):
    return lambda rng: rng.integers(low, high, shape).astype(np.int64)


def signs(*shape):
    return lambda rng: np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def probs(*shape):
    def make(rng):
        e = np.exp(rng.standard_normal(shape))
        return (e / e.sum(1, keepdims=True)).astype(np.float32)

    return make


def const(arr, dtype=None):
    return lambda rng: np.asarray(arr, dtype=dtype)


W3 = const([0.2, 1.0, 3.0], np.float32)
W5 = const([0.5, 1.0, 2.0, 0.1, 1.5], np.float32)

# name: (function name, input makers, option dicts). Tensor-valued options are makers too.
LOSSES = {
    "nll": (
        "nll_loss",
        [randn(6, 3), ints(3, 6)],
        [{}, {"weight": W3}, {"ignore_index": 1}, {"weight": W3, "ignore_index": 0}],
    ),
    "nll-4d": ("nll_loss", [randn(2, 3, 4, 5), ints(3, 2, 4, 5)], [{}, {"weight": W3}]),
    "nll-1d": ("nll_loss", [randn(5), const(2)], [{}]),
    "cross_entropy": (
        "cross_entropy",
        [randn(7, 5, scale=3), ints(5, 7)],
        [
            {},
            {"weight": W5},
            {"ignore_index": 2},
            {"label_smoothing": 0.1},
            {"weight": W5, "label_smoothing": 0.2, "ignore_index": 4},
        ],
    ),
    "cross_entropy-batch1": ("cross_entropy", [randn(1, 5), ints(5, 1)], [{}]),
    "cross_entropy-kdim": (
        "cross_entropy",
        [randn(2, 3, 4), ints(3, 2, 4)],
        [{}, {"label_smoothing": 0.3, "weight": W3}],
    ),
    "cross_entropy-probs": (
        "cross_entropy",
        [randn(4, 5), probs(4, 5)],
        [{}, {"weight": W5}, {"label_smoothing": 0.25}],
    ),
    "cross_entropy-1d": ("cross_entropy", [randn(5), const(3)], [{}]),
    "mse": ("mse_loss", [randn(4, 3), randn(4, 3)], [{}, {"weight": uniform(0, 2, 4, 3)}]),
    "l1": ("l1_loss", [randn(4, 3), randn(4, 3)], [{}, {"weight": uniform(0, 2, 4, 3)}]),
    "smooth_l1": (
        "smooth_l1_loss",
        [randn(5, 4, scale=2), randn(5, 4)],
        [{}, {"beta": 0.5}, {"beta": 0.0}],
    ),
    "huber": (
        "huber_loss",
        [randn(5, 4, scale=2), randn(5, 4)],
        [{}, {"delta": 0.5, "weight": uniform(0, 2, 5, 4)}],
    ),
    "bce": (
        "binary_cross_entropy",
        [uniform(0.01, 0.99, 4, 3), uniform(0, 1, 4, 3)],
        [{}, {"weight": uniform(0, 2, 4, 3)}],
    ),
    "bce_logits": (
        "binary_cross_entropy_with_logits",
        [randn(4, 3, scale=3), uniform(0, 1, 4, 3)],
        [
            {},
            {"weight": uniform(0, 2, 4, 3)},
            {"pos_weight": W3},
            {"weight": uniform(0, 2, 3), "pos_weight": W3},
        ],
    ),
    "kl_div": ("kl_div", [randn(3, 4), probs(3, 4)], [{}, {"log_target": True}]),
    "poisson_nll": (
        "poisson_nll_loss",
        [randn(4, 3), uniform(0, 4, 4, 3)],
        [{}, {"full": True}, {"log_input": False, "eps": 1e-4}],
    ),
    "gaussian_nll": (
        "gaussian_nll_loss",
        [randn(4, 3), randn(4, 3), uniform(0.1, 2, 4, 3)],
        [{}, {"full": True}, {"eps": 0.5}],
    ),
    "gaussian_nll-var-col": (
        "gaussian_nll_loss",
        [randn(4, 3), randn(4, 3), uniform(0.1, 2, 4, 1)],
        [{}],
    ),
    "gaussian_nll-var-row": (
        "gaussian_nll_loss",
        [randn(4, 3), randn(4, 3), uniform(0.1, 2, 4)],
        [{}],
    ),
    "cosine_embedding": (
        "cosine_embedding_loss",
        [randn(5, 4), randn(5, 4), signs(5)],
        [{}, {"margin": 0.3}],
    ),
    "margin_ranking": (
        "margin_ranking_loss",
        [randn(6), randn(6), signs(6)],
        [{}, {"margin": 0.5}],
    ),
    "triplet": (
        "triplet_margin_loss",
        [randn(5, 4), randn(5, 4), randn(5, 4)],
        [{}, {"p": 1.0, "swap": True, "margin": 2.0}],
    ),
    "triplet_distance": (
        "triplet_margin_with_distance_loss",
        [randn(5, 4), randn(5, 4), randn(5, 4)],
        [{}, {"swap": True, "margin": 0.5}],
    ),
    "multilabel_soft_margin": (
        "multilabel_soft_margin_loss",
        [randn(4, 3), ints(2, 4, 3)],
        [{}, {"weight": W3}],
    ),
    "hinge_embedding": ("hinge_embedding_loss", [randn(5, 2), signs(5, 2)], [{}, {"margin": 0.5}]),
    "soft_margin": ("soft_margin_loss", [randn(5, 2, scale=3), signs(5, 2)], [{}]),
    "multi_margin": (
        "multi_margin_loss",
        [randn(4, 5), ints(5, 4)],
        [{}, {"p": 2, "margin": 0.5, "weight": W5}],
    ),
    "multilabel_margin": (
        "multilabel_margin_loss",
        [randn(3, 4), const([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 0, 0, 0]])],
        [{}],
    ),
}

CASES = [
    (f"{name}-{i}-{red}", fn, makers, opts, red)
    for name, (fn, makers, optlist) in LOSSES.items()
    for i, opts in enumerate(optlist)
    for red in ("mean", "sum", "none")
]


# PyTorch has no gradient for these losses' targets
NO_TARGET_GRAD = {"soft_margin_loss", "multilabel_soft_margin_loss"}


def _build(lib, arrays, opts, fn=""):
    """Tensors for ``arrays`` (float ones require grad, targets included) and ``opts``."""
    ins = [
        lib.tensor(
            a,
            requires_grad=a.dtype.kind == "f"
            and not (i == len(arrays) - 1 and fn in NO_TARGET_GRAD),
        )
        for i, a in enumerate(arrays)
    ]
    kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in opts.items()}
    return ins, kw


@pytest.mark.parametrize("case, fn, makers, opts, reduction", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(case, fn, makers, opts, reduction):
    rng = np.random.default_rng(0)
    arrays = [m(rng) for m in makers]
    opt_vals = {k: v(rng) if callable(v) else v for k, v in opts.items()}
    outs, grads = [], []
    for lib, F in ((torch, TF), (ember, EF)):
        ins, kw = _build(lib, arrays, opt_vals, fn)
        out = getattr(F, fn)(*ins, reduction=reduction, **kw)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.tensor(g))
        outs.append(out)
        grads.append([t.grad for t in ins])
    assert_close(outs[1], outs[0], rtol=1e-5, atol=1e-5)
    for e, t in zip(grads[1], grads[0]):
        assert (e is None) == (t is None)
        if t is not None:
            assert_close(e, t, rtol=1e-4, atol=1e-5)


MODULES = [
    ("NLLLoss", {"weight": [0.2, 1.0, 3.0], "ignore_index": 1}, "nll"),
    (
        "CrossEntropyLoss",
        {"weight": [0.5, 1.0, 2.0, 0.1, 1.5], "label_smoothing": 0.1},
        "cross_entropy",
    ),
    ("MSELoss", {"reduction": "sum"}, "mse"),
    ("L1Loss", {}, "l1"),
    ("SmoothL1Loss", {"beta": 0.3}, "smooth_l1"),
    ("HuberLoss", {"delta": 2.0}, "huber"),
    ("BCELoss", {}, "bce"),
    ("BCEWithLogitsLoss", {"pos_weight": [1.0, 2.0, 0.5]}, "bce_logits"),
    ("KLDivLoss", {"reduction": "batchmean"}, "kl_div"),
    ("PoissonNLLLoss", {"log_input": False}, "poisson_nll"),
    ("GaussianNLLLoss", {"full": True}, "gaussian_nll"),
    ("CosineEmbeddingLoss", {"margin": 0.1}, "cosine_embedding"),
    ("MarginRankingLoss", {"margin": 0.2}, "margin_ranking"),
    ("TripletMarginLoss", {"margin": 0.5}, "triplet"),
    ("TripletMarginWithDistanceLoss", {}, "triplet_distance"),
    ("MultiLabelSoftMarginLoss", {}, "multilabel_soft_margin"),
    ("HingeEmbeddingLoss", {}, "hinge_embedding"),
    ("SoftMarginLoss", {}, "soft_margin"),
    ("MultiMarginLoss", {"p": 2}, "multi_margin"),
    ("MultiLabelMarginLoss", {}, "multilabel_margin"),
]


@pytest.mark.parametrize("cls, kwargs, data", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(cls, kwargs, data):
    rng = np.random.default_rng(0)
    arrays = [m(rng) for m in LOSSES[data][1]]
    res = []
    for lib in (torch, ember):
        kw = {k: lib.tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        m = getattr(lib.nn, cls)(**kw)
        ins, _ = _build(lib, arrays, {}, LOSSES[data][0])
        out = m(*ins)
        out.backward(lib.ones_like(out))
        res.append((m, out, [t.grad for t in ins]))
    (tm, t_out, t_g), (em, e_out, e_g) = res
    assert repr(em) == repr(tm).replace("torch", "ember")
    assert list(em.state_dict()) == list(tm.state_dict())
    assert_close(e_out, t_out, rtol=1e-5, atol=1e-5)
    for e, t in zip(e_g, t_g):
        if t is not None:
            assert_close(e, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_of_log_softmax", "bce_logits"])
def test_extreme_logits_are_finite(fn):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]], np.float32)
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        inp = lib.tensor(x, requires_grad=True)
        if fn == "cross_entropy":
            loss = F.cross_entropy(inp, lib.tensor([1, 0, 2]), label_smoothing=0.1)
        elif fn == "nll_of_log_softmax":
            loss = F.nll_loss(F.log_softmax(inp, dim=1), lib.tensor([1, 0, 2]))
        else:
            t = lib.tensor(np.array([[0, 1, 1], [1, 0, 1], [0, 0, 1]], np.float32))
            loss = F.binary_cross_entropy_with_logits(
                inp, t, pos_weight=lib.tensor([1.0, 2.0, 3.0])
            )
        loss.backward()
        res.append((loss, inp.grad))
    (t_loss, t_grad), (e_loss, e_grad) = res
    assert np.isfinite(float(e_loss)) and bool(ember.isfinite(e_grad).all())
    assert_close(e_loss, t_loss, rtol=1e-5)
    assert_close(e_grad, t_grad, atol=1e-6)


def test_legacy_size_average_and_reduce():
    x, t = ember.randn(4, 3), ember.tensor([0, 1, 2, 1])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        s = EF.nll_loss(x, t, size_average=False)
    assert_close(s, EF.nll_loss(x, t, reduction="sum"))
    with pytest.warns(UserWarning):
        n = ember.nn.MSELoss(reduce=False)(x, x * 2)
    assert n.shape == (4, 3)


def test_all_ignored_mean_is_nan_like_torch():
    x = np.zeros((2, 3), np.float32)
    e = EF.cross_entropy(ember.tensor(x), ember.tensor([-100, -100]))
    t = TF.cross_entropy(torch.tensor(x), torch.tensor([-100, -100]))
    assert np.isnan(float(e)) and np.isnan(float(t))


def test_loss_bad_inputs():
    x = ember.randn(3, 4)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        EF.nll_loss(x, ember.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        EF.cross_entropy(x, ember.tensor([0, -3, 1]))
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(3\) to match target "
        r"batch_size \(2\)",
    ):
        EF.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        EF.nll_loss(x, ember.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        EF.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="Target size"):
        EF.binary_cross_entropy_with_logits(ember.zeros(3), ember.zeros(2))
    with pytest.raises(ValueError, match="xyz is not a valid value for reduction"):
        EF.mse_loss(x, x, reduction="xyz")
    with pytest.raises(ValueError, match="var has negative entry"):
        EF.gaussian_nll_loss(x, x, -ember.ones(3, 4))
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        ember.nn.TripletMarginLoss(margin=0.0)
    with pytest.warns(UserWarning, match="target size"):
        EF.mse_loss(ember.zeros(3, 1), ember.zeros(3))


def test_cross_entropy_is_fast_enough():
    """No per-sample Python loop: a big batch costs about as much as a few small ones."""
    import time

    x = ember.randn(4096, 100, requires_grad=True)
    t = ember.randint(0, 100, (4096,))
    start = time.perf_counter()
    for _ in range(3):
        EF.cross_entropy(x, t).backward()
    assert (time.perf_counter() - start) / 3 < 2.0  # ~20 ms unloaded


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_double_backward_matches_torch(reduction):
    """mse_loss's common call is one fused op; its gradients of gradients match PyTorch's."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    res = []
    for lib in (torch, ember):
        ins = [lib.tensor(v, requires_grad=True) for v in (a, b)]
        loss = lib.nn.functional.mse_loss(*ins, reduction=reduction)
        loss = loss if reduction != "none" else (loss * loss).sum()
        g = lib.autograd.grad(loss, ins, create_graph=True)
        # weights 1 and 2: g_target = -g_input, so an unweighted sum would cancel to zero
        gg = lib.autograd.grad(sum((x * x * x).sum() * (k + 1) for k, x in enumerate(g)), ins)
        res.append([t.detach().numpy() for t in (loss, *g, *gg)])
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)
