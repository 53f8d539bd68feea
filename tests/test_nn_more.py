"""Lazy modules, fractional max pooling, LPPool3d, AdaptiveLogSoftmaxWithLoss and the deprecated
aliases, each against PyTorch with the same weights (copied after materialization for lazy
modules) and, for pooling, the same ``_random_samples``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import assert_close, to_torch

import ember
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")


def _np(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _load_from_torch(em, tm) -> None:
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _forward_backward(em, tm, x):
    """Outputs and input/parameter gradients of both modules for the same input and weights."""
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    eo, to = em(ex), tm(tx)
    w = _np(tuple(to.shape), seed=7)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    assert_close(eo, to, rtol=1e-5, atol=1e-5)
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    tgrads = {n: p.grad for n, p in tm.named_parameters()}
    for n, p in em.named_parameters():
        assert_close(p.grad, tgrads[n], rtol=1e-4, atol=1e-4)
    tbufs = dict(tm.named_buffers())
    for n, b in em.named_buffers():
        assert_close(b, tbufs[n], rtol=1e-5, atol=1e-6)


# -- lazy modules ------------------------------------------------------------------------------

LAZY = [
    ("LazyLinear", lambda nn: nn.LazyLinear(3), (4, 5)),
    ("LazyLinear-nobias-3d", lambda nn: nn.LazyLinear(2, bias=False), (2, 3, 6)),
    ("LazyConv1d", lambda nn: nn.LazyConv1d(4, 3), (2, 3, 9)),
    ("LazyConv2d-groups", lambda nn: nn.LazyConv2d(4, 3, padding=1, groups=2), (2, 4, 6, 6)),
    ("LazyConv2d-unbatched", lambda nn: nn.LazyConv2d(2, 3), (3, 6, 6)),
    ("LazyConv3d", lambda nn: nn.LazyConv3d(2, 2, bias=False), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", lambda nn: nn.LazyConvTranspose1d(2, 3, stride=2), (1, 4, 5)),
    ("LazyConvTranspose2d", lambda nn: nn.LazyConvTranspose2d(4, 3, groups=2), (1, 4, 5, 5)),
    ("LazyConvTranspose3d", lambda nn: nn.LazyConvTranspose3d(2, 2), (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", lambda nn: nn.LazyBatchNorm1d(), (4, 3)),
    ("LazyBatchNorm2d-noaffine", lambda nn: nn.LazyBatchNorm2d(affine=False), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", lambda nn: nn.LazyBatchNorm3d(momentum=None), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", lambda nn: nn.LazyInstanceNorm1d(), (2, 3, 5)),
    (
        "LazyInstanceNorm2d-plain",
        lambda nn: nn.LazyInstanceNorm2d(affine=False, track_running_stats=False),
        (2, 3, 4, 4),
    ),
    ("LazyInstanceNorm3d", lambda nn: nn.LazyInstanceNorm3d(), (1, 3, 2, 2, 2)),
]


@pytest.mark.filterwarnings("ignore:input's size at dim")
@pytest.mark.parametrize("name,make,shape", LAZY, ids=[r[0] for r in LAZY])
def test_lazy_module_matches_torch(name, make, shape):
    em, tm = make(ember.nn), make(torch.nn)
    assert repr(em) == repr(tm)
    assert em.has_uninitialized_params() == tm.has_uninitialized_params()
    # An uninitialized module's state_dict holds the uninitialized entries themselves.
    esd, tsd = em.state_dict(), tm.state_dict()
    assert list(esd) == list(tsd)
    for k in esd:
        assert type(esd[k]).__name__ == type(tsd[k]).__name__
    before = dict(em.named_parameters())
    x = _np(shape)
    em(ember.tensor(x)), tm(torch.tensor(x))  # the dry run
    assert type(em).__name__ == type(tm).__name__ and not name.startswith(type(em).__name__)
    assert repr(em) == repr(tm)
    eshapes = {k: tuple(v.shape) for k, v in em.state_dict().items()}
    assert eshapes == {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    # Materialized in place: the objects taken before the dry run are the module's parameters.
    for n, p in em.named_parameters():
        assert p is before[n] and type(p) is ember.nn.Parameter and p.requires_grad
    _load_from_torch(em, tm)
    _forward_backward(em, tm, _np(shape, seed=1))


def test_optimizer_built_after_dry_run_trains_the_materialized_parameters():
    net = ember.nn.Sequential(ember.nn.LazyLinear(4), ember.nn.ReLU(), ember.nn.LazyLinear(1))
    pending = list(net.parameters())
    assert all(ember.nn.parameter.is_lazy(p) for p in pending)
    net(ember.randn(2, 3))
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(p) for p in pending]
    before = net[0].weight.detach().clone()
    net(ember.randn(5, 3)).sum().backward()
    opt.step()
    assert not np.allclose(before.numpy(), net[0].weight.detach().numpy())


def test_lazy_module_dtype_and_requires_grad_before_dry_run():
    m = ember.nn.LazyLinear(3).double()
    bn = ember.nn.LazyBatchNorm1d(dtype=ember.float64)
    m(ember.randn(2, 4, dtype=ember.float64))
    bn(ember.randn(5, 2, dtype=ember.float64))
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64
    assert bn.running_mean.dtype == ember.float64 and bn.num_batches_tracked.dtype == ember.int64
    t = torch.nn.LazyLinear(3).double()
    t(torch.randn(2, 4, dtype=torch.float64))
    assert str(t.weight.dtype) == "torch.float64"


def test_load_state_dict_materializes_a_lazy_module():
    tm = torch.nn.Linear(4, 3)
    em = ember.nn.LazyLinear(3)
    _load_from_torch(em, tm)
    assert not em.has_uninitialized_params() and tuple(em.weight.shape) == (3, 4)
    assert type(em).__name__ == "LazyLinear"  # as in PyTorch, the class changes on first call
    _forward_backward(em, tm, _np((2, 4)))
    assert type(em) is ember.nn.Linear and em.in_features == 4
    conv, tconv = ember.nn.LazyConv2d(4, 3, groups=2), torch.nn.Conv2d(6, 4, 3, groups=2)
    _load_from_torch(conv, tconv)
    _forward_backward(conv, tconv, _np((1, 6, 5, 5)))
    assert conv.in_channels == 6
    bn, tbn = ember.nn.LazyBatchNorm2d(), torch.nn.BatchNorm2d(3)
    tbn(torch.randn(4, 3, 2, 2))
    _load_from_torch(bn, tbn)
    _forward_backward(bn, tbn, _np((2, 3, 2, 2)))


def test_partial_load_and_bad_lazy_inputs_raise_like_torch():
    for lib in (ember, torch):
        m = lib.nn.LazyLinear(3)
        with pytest.raises(RuntimeError, match="Missing key"):
            m.load_state_dict({"weight": lib.zeros(3, 4)})
        assert type(m.bias).__name__ == "UninitializedParameter"
        assert type(m.weight).__name__ == "Parameter"
        with pytest.raises(RuntimeError, match="uninitialized"):
            _ = lib.nn.UninitializedParameter().shape
        with pytest.raises(RuntimeError, match="unbatched"):
            lib.nn.LazyConv2d(4, 3)(lib.zeros(1, 2, 5, 5, 5))
        with pytest.raises(ValueError, match="divisible"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.zeros(1, 3, 5, 5))
        with pytest.raises(RuntimeError):
            lib.nn.LazyLinear(3)(lib.zeros(2, 4, dtype=lib.int64))


def test_uninitialized_tensors():
    p = ember.nn.UninitializedParameter(requires_grad=False, dtype=ember.float64)
    b = ember.nn.UninitializedBuffer()
    assert repr(p) == "<UninitializedParameter>" and repr(b) == "<UninitializedBuffer>"
    assert p.dtype == ember.float64 and not p.requires_grad and not b.requires_grad
    p.materialize((2, 3))
    b.materialize((4,), dtype=ember.float64)
    assert type(p) is ember.nn.Parameter and tuple(p.shape) == (2, 3) and not p.requires_grad
    assert type(b) is ember.Tensor and b.dtype == ember.float64 and tuple(b.shape) == (4,)


# -- fractional max pooling --------------------------------------------------------------------

FRACTIONAL = [
    # (nd, input shape, kernel_size, output_size, output_ratio, dtype)
    (2, (2, 3, 9, 11), 2, (5, 4), None, np.float32),
    (2, (1, 2, 10, 10), (3, 2), None, (0.5, 0.7), np.float32),
    (2, (2, 7, 7), 3, 5, None, np.float64),  # unbatched; o + k - 1 == n is allowed in 2-D
    (2, (1, 1, 5, 6), 1, (1, 6), None, np.float32),
    (3, (2, 2, 6, 7, 8), 2, (3, 4, 5), None, np.float32),
    (3, (1, 3, 8, 9, 7), (2, 3, 2), None, 0.5, np.float64),
    (3, (2, 5, 5, 5), 2, 2, None, np.float32),  # unbatched
]


def _fractional_args(nd, shape, k, out, ratio, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal(shape) * 2).astype(dtype)  # rounding makes ties
    n = shape[0] if len(shape) == nd + 2 else 1
    samples = rng.random((n, shape[-nd - 1], nd)).astype(dtype)
    return x, samples


@pytest.mark.parametrize("nd,shape,k,out,ratio,dtype", FRACTIONAL)
def test_fractional_max_pool_matches_torch(nd, shape, k, out, ratio, dtype):
    x, s = _fractional_args(nd, shape, k, out, ratio, dtype)
    if ratio is not None and not isinstance(ratio, tuple):
        ratio = (ratio,) * nd  # torch's functional form wants a tuple
    ef = getattr(ember.nn.functional, f"fractional_max_pool{nd}d")
    tf = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kw = dict(output_size=out, output_ratio=ratio, return_indices=True)
    eo, ei = ef(ex, k, **kw, _random_samples=ember.tensor(s))
    to, ti = tf(tx, k, **kw, _random_samples=torch.tensor(s))
    assert_close(eo, to, rtol=0, atol=0)
    assert_close(ei, ti)
    w = _np(tuple(to.shape), seed=3, dtype=dtype)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-6, atol=1e-6)
    ewi = getattr(ember.nn.functional, f"fractional_max_pool{nd}d_with_indices")
    o2, i2 = ewi(ember.tensor(x), k, out, ratio, _random_samples=ember.tensor(s))
    assert_close(o2, to) and assert_close(i2, ti)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_module_and_gradcheck(nd):
    shape = (1, 2) + (6,) * nd
    x, s = _fractional_args(nd, shape, 2, 3, None, np.float64, seed=5)
    x = np.random.default_rng(1).standard_normal(shape)  # no ties: finite differences are exact
    Em = getattr(ember.nn, f"FractionalMaxPool{nd}d")
    Tm = getattr(torch.nn, f"FractionalMaxPool{nd}d")
    em = Em(2, output_ratio=0.6, return_indices=True, _random_samples=ember.tensor(s))
    tm = Tm(2, output_ratio=0.6, return_indices=True, _random_samples=torch.tensor(s))
    assert list(em.state_dict()) == list(tm.state_dict()) == ["_random_samples"]
    assert em.kernel_size == tm.kernel_size and em.output_ratio == tm.output_ratio
    (eo, ei), (to, ti) = em(ember.tensor(x)), tm(torch.tensor(x))
    assert_close(eo, to) and assert_close(ei, ti)
    ef = getattr(ember.nn.functional, f"fractional_max_pool{nd}d")
    xt = ember.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: ef(t, 2, output_size=3, _random_samples=ember.tensor(s)), (xt,))
    # Without samples, each call draws fresh ones (same shape, valid windows).
    plain = Em(3, output_size=3)
    assert tuple(plain(ember.tensor(x)).shape) == shape[:2] + (3,) * nd


def _fractional_bad_cases(lib):
    F = lib.nn.functional
    z = lib.zeros
    s2 = lib.rand(1, 2, 2)
    return [
        lambda: F.fractional_max_pool2d(z(1, 2, 8, 8), 2),
        lambda: F.fractional_max_pool2d(z(1, 2, 8, 8), 3, output_size=7),
        lambda: F.fractional_max_pool2d(z(1, 2, 8, 3), 2, output_size=3),
        lambda: F.fractional_max_pool3d(z(1, 1, 8, 8, 8), 3, output_size=6),
        lambda: F.fractional_max_pool2d(z(1, 2, 9), 2, output_size=3, _random_samples=s2),
        lambda: F.fractional_max_pool2d(z(1, 0, 9, 9), 2, output_size=3),
        lambda: F.fractional_max_pool2d(
            z(1, 2, 9, 9), 2, output_size=3, _random_samples=z(1, 2, 3)
        ),
        lambda: F.fractional_max_pool2d(z(1, 3, 9, 9), 2, output_size=3, _random_samples=s2),
        lambda: F.fractional_max_pool2d(z(2, 2, 9, 9), 2, output_size=3, _random_samples=s2),
        lambda: F.fractional_max_pool2d(
            z(1, 2, 9, 9), 2, output_size=3, _random_samples=s2.double()
        ),
        lambda: F.fractional_max_pool2d(z(1, 2, 9, 9), 2, output_size=(3, 3, 3)),
        lambda: F.fractional_max_pool2d(z(1, 2, 9, 9), 2, output_size=-1, _random_samples=s2),
        lambda: lib.nn.FractionalMaxPool2d(2),
        lambda: lib.nn.FractionalMaxPool2d(2, output_ratio=(0.5, 1.0)),
        lambda: lib.nn.FractionalMaxPool3d(2, output_size=3, output_ratio=0.5),
    ]


@pytest.mark.parametrize("case", range(len(_fractional_bad_cases(ember))))
def test_fractional_max_pool_bad_inputs_raise_like_torch(case):
    with pytest.raises(Exception) as te:
        _fractional_bad_cases(torch)[case]()
    with pytest.raises(te.type):
        _fractional_bad_cases(ember)[case]()


def test_fractional_max_pool_nan_and_empty_batch():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan, 2.0]]]], np.float32)
    s = np.zeros((1, 1, 2), np.float32)
    kw = dict(output_size=(1, 2), return_indices=True)
    eo, ei = ember.nn.functional.fractional_max_pool2d(
        ember.tensor(x), (1, 4), **kw, _random_samples=ember.tensor(s)
    )
    to, ti = torch.nn.functional.fractional_max_pool2d(
        torch.tensor(x), (1, 4), **kw, _random_samples=torch.tensor(s)
    )
    assert_close(eo, to) and assert_close(ei, ti)
    e = ember.nn.functional.fractional_max_pool2d(ember.zeros(0, 2, 6, 6), 2, output_size=3)
    assert tuple(e.shape) == (0, 2, 3, 3)


# -- LPPool3d ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,shape",
    [
        ((2, 2), (1, 2, 4, 4, 4)),
        ((3, (2, 1, 2), (1, 2, 1)), (2, 1, 5, 3, 4)),
        ((1.5, 2), (2, 6, 6, 6)),
    ],
)
def test_lp_pool3d_matches_torch(args, shape):
    x = np.abs(_np(shape)) + 0.1
    em, tm = ember.nn.LPPool3d(*args), torch.nn.LPPool3d(*args)
    assert repr(em) == repr(tm)
    _forward_backward(em, tm, x)
    xt = ember.tensor(x.astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: ember.nn.functional.lp_pool3d(t, *args), (xt,))


def test_lp_pool3d_ceil_mode():
    x = np.abs(_np((1, 1, 5, 5, 5))) + 0.1
    e = ember.nn.functional.lp_pool3d(ember.tensor(x), 2, 2, ceil_mode=True)
    t = torch.nn.functional.lp_pool3d(torch.tensor(x), 2, 2, ceil_mode=True)
    assert_close(e, t)


# -- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------------

ASM = [
    dict(in_features=8, n_classes=10, cutoffs=[3, 6], div_value=2.0),
    dict(in_features=16, n_classes=20, cutoffs=[5], head_bias=True),
    dict(in_features=6, n_classes=12, cutoffs=(2, 7, 9), div_value=1.5, head_bias=True),
]


@pytest.mark.parametrize("kw", ASM)
def test_adaptive_log_softmax_matches_torch(kw):
    em = ember.nn.AdaptiveLogSoftmaxWithLoss(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns on zero-sized tail layers
        tm = torch.nn.AdaptiveLogSoftmaxWithLoss(**kw)
    assert repr(em) == repr(tm)
    assert {k: tuple(v.shape) for k, v in em.state_dict().items()} == {
        k: tuple(v.shape) for k, v in tm.state_dict().items()
    }
    assert list(em.state_dict()) == list(tm.state_dict())
    _load_from_torch(em, tm)
    n = kw["n_classes"]
    x = _np((7, kw["in_features"]))
    target = np.array([0, n - 1, 1, n // 2, 2, n - 2, 0])
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = em(ex, ember.tensor(target)), tm(tx, torch.tensor(target))
    assert type(eo).__name__ == "_ASMoutput" and eo._fields == ("output", "loss")
    assert_close(eo.output, to.output, atol=1e-5)
    assert_close(eo.loss, to.loss, atol=1e-5)
    eo.loss.backward()
    to.loss.backward()
    assert_close(ex.grad, tx.grad, atol=1e-5)
    tg = {k: p.grad for k, p in tm.named_parameters()}
    for k, p in em.named_parameters():
        if tg[k] is None:  # a cluster no target fell in
            assert p.grad is None or not p.grad.numpy().any()
        else:
            assert_close(p.grad, tg[k], atol=1e-5)
    assert_close(em.log_prob(ember.tensor(x)), tm.log_prob(torch.tensor(x)), atol=1e-5)
    assert_close(em.predict(ember.tensor(x)), tm.predict(torch.tensor(x)))
    eu, tu = em(ember.tensor(x[1]), ember.tensor(target[1])), tm(tx[1], torch.tensor(target[1]))
    assert_close(eu.output, tu.output, atol=1e-5) and assert_close(eu.loss, tu.loss, atol=1e-5)


def test_adaptive_log_softmax_gradcheck_and_predict_everywhere():
    em = ember.nn.AdaptiveLogSoftmaxWithLoss(5, 9, [2, 5], div_value=1.0, head_bias=True).double()
    target = ember.tensor([0, 3, 8, 6, 1])
    x = ember.tensor(np.random.default_rng(0).standard_normal((5, 5)), requires_grad=True)
    assert gradcheck(lambda t: em(t, target).output, (x,))
    assert gradcheck(lambda t: em.log_prob(t), (x,))
    # predict is the argmax of log_prob whichever part of the model decides
    xs = ember.tensor(np.random.default_rng(1).standard_normal((64, 5)) * 3)
    assert (em.predict(xs).numpy() == em.log_prob(xs).argmax(1).numpy()).all()


def _asm_bad_cases(lib):
    m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0)
    x, t = lib.zeros(4, 8), lib.tensor([0, 4, 9, 2])
    return [
        lambda: m(x, lib.tensor([0, 4, 10, 2])),
        lambda: m(x, lib.tensor([0, 4, -1, 2])),
        lambda: m(x, t[:3]),
        lambda: m(x[None], t),
        lambda: m(x, t[None]),
        lambda: m(x, t[0]),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3]),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10]),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 3]),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [0, 3]),
        lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3.0, 5]),
    ]


@pytest.mark.parametrize("case", range(len(_asm_bad_cases(ember))))
def test_adaptive_log_softmax_bad_inputs_raise_like_torch(case):
    with pytest.raises(Exception) as te:
        _asm_bad_cases(torch)[case]()
    with pytest.raises(te.type):
        _asm_bad_cases(ember)[case]()


# -- deprecated aliases ------------------------------------------------------------------------


def test_nll_loss_2d_and_container_are_deprecated_aliases():
    x = _np((2, 3, 4, 4))
    t = np.random.default_rng(0).integers(0, 3, (2, 4, 4))
    with pytest.warns(FutureWarning):
        e = ember.nn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning):
        tl = torch.nn.NLLLoss2d(ignore_index=1)
    assert isinstance(e, ember.nn.NLLLoss)
    ex = ember.tensor(x).log_softmax(1)
    assert_close(e(ex, ember.tensor(t)), tl(to_torch(ex), torch.tensor(t)))
    with pytest.warns(FutureWarning):
        c = ember.nn.Container(fc=ember.nn.Linear(2, 2), act=ember.nn.ReLU())
    assert list(c.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(c.act, ember.nn.ReLU)
