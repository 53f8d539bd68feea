"""torch.* top-level functions (ember/_toplevel.py) against PyTorch: values, dtypes, shapes,
gradients through the argument translation, errors, global switches and lazy loading."""

import subprocess
import sys

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _restore_torch_distribution_validation():
    # Calling torch.compile turns torch.distributions' argument validation off for the whole
    # process (torch 2.13 does so on importing torch._dynamo); later test files compare
    # ValueErrors from invalid parameters with it.
    saved = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(saved)


def _r(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _T(lib):
    """numpy -> a tensor of ``lib`` (a fresh copy per call, so in-place ops do not leak)."""

    def make(a, **kw):
        a = np.array(a)
        return lib.tensor(a, **kw)

    return make


def _np(t):
    if isinstance(t, (tuple, list)):
        return [_np(v) for v in t]
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    if isinstance(t, ember.Tensor):
        return t.detach().numpy()
    return t


def _dt(t):
    return str(t.dtype).split(".")[-1]


def _compare(e, t, rtol=2e-6, atol=2e-6):
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t)
        for a, b in zip(e, t):
            _compare(a, b, rtol, atol)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert tuple(e.shape) == tuple(t.shape)
        assert _dt(e) == _dt(t)
        np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)
    else:
        assert e == t


x1 = _r(2, 3, 8)
x2 = _r(2, 3, 6, 6)
x3 = _r(1, 2, 4, 4, 4)
w1, b4 = _r(4, 3, 3), _r(4)
w2 = _r(4, 3, 3, 3)
w3 = _r(3, 2, 2, 2, 2)
wt1, wt2, wt3 = _r(3, 2, 3), _r(3, 2, 3, 3), _r(2, 3, 2, 2, 2)
c3, d3 = _r(3), _r(3)
rm, rv = _r(3), np.abs(_r(3)) + 0.5
w8, b8 = _r(8), _r(8)
emb = _r(5, 3)
idx = np.array([[0, 2, 4], [2, 2, 1]])
a4, b4_, n4 = _r(4, 5), _r(4, 5), _r(4, 5)
y4 = np.array([1.0, -1.0, 1.0, -1.0], np.float32)
logp = np.log(np.abs(_r(3, 4)) + 0.1).astype(np.float32)
p34 = (np.abs(_r(3, 4)) + 0.1).astype(np.float32)
ps, cs, wb, bb = _r(1, 8, 2, 3), _r(1, 6, 2, 2), _r(2, 3, 5), _r(2)


def _inplace(name, *args):
    """Row for an in-place op: the result and the (mutated) input."""

    def row(m, T):
        t = T(x1)
        return getattr(m, name)(t, *args), t

    return row


def _bn_train(m, T):
    mean, var = T(rm), T(rv)
    out = m.batch_norm(T(x1), T(c3), T(d3), mean, var, True, 0.3, 1e-3, False)
    return out, mean, var


# (id, f(module, to_tensor)) -> the same call on torch and on ember
CASES = [
    ("conv1d", lambda m, T: m.conv1d(T(x1), T(w1), T(b4), 2, 1, 1, 1)),
    ("conv1d_same", lambda m, T: m.conv1d(T(x1), T(w1), None, 1, "same", 2)),
    ("conv2d", lambda m, T: m.conv2d(T(x2), T(w2), T(b4), 1, 2, 2, 1)),
    ("conv3d", lambda m, T: m.conv3d(T(x3), T(w3), None, 2, 1)),
    ("conv_transpose1d", lambda m, T: m.conv_transpose1d(T(x1), T(wt1), T(c3[:2]), 2, 1, 1, 1, 1)),
    ("conv_transpose2d", lambda m, T: m.conv_transpose2d(T(x2), T(wt2), None, 2, 1, 1, 1, 2)),
    ("conv_transpose3d", lambda m, T: m.conv_transpose3d(T(x3), T(wt3), None, 2, 0, 1)),
    ("max_pool1d", lambda m, T: m.max_pool1d(T(x1), 3, 2, 1)),
    ("max_pool1d_default_stride", lambda m, T: m.max_pool1d(T(x1), 2)),
    ("max_pool2d", lambda m, T: m.max_pool2d(T(x2), 3, (), 1, 1, True)),
    ("max_pool3d", lambda m, T: m.max_pool3d(T(x3), 2)),
    ("max_pool1d_with_indices", lambda m, T: m.max_pool1d_with_indices(T(x1), 3, 2, 1, 1, True)),
    ("avg_pool1d", lambda m, T: m.avg_pool1d(T(x1), 3, 2, 1, True, False)),
    ("adaptive_avg_pool1d", lambda m, T: m.adaptive_avg_pool1d(T(x1), 3)),
    ("adaptive_max_pool1d", lambda m, T: m.adaptive_max_pool1d(T(x1), 3)),
    (
        "batch_norm_eval",
        lambda m, T: m.batch_norm(T(x1), T(c3), T(d3), T(rm), T(rv), False, 0.1, 1e-5, False),
    ),
    ("batch_norm_train", _bn_train),
    (
        "instance_norm",
        lambda m, T: m.instance_norm(T(x1), T(c3), T(d3), None, None, True, 0.1, 1e-5, False),
    ),
    ("layer_norm", lambda m, T: m.layer_norm(T(x1), [8], T(w8), T(b8), 1e-3, False)),
    ("layer_norm_defaults", lambda m, T: m.layer_norm(T(x1), (3, 8))),
    ("group_norm", lambda m, T: m.group_norm(T(x1), 3, T(c3), T(d3), 1e-3, True)),
    ("rms_norm", lambda m, T: m.rms_norm(T(x1), [8], T(w8), 1e-4)),
    ("rms_norm_default_eps", lambda m, T: m.rms_norm(T(x1), [3, 8])),
    ("embedding", lambda m, T: m.embedding(T(emb), T(idx))),
    ("embedding_padding", lambda m, T: m.embedding(T(emb), T(idx), 2, True)),
    ("pixel_shuffle", lambda m, T: m.pixel_shuffle(T(ps), 2)),
    ("pixel_unshuffle", lambda m, T: m.pixel_unshuffle(T(x2), 3)),
    ("channel_shuffle", lambda m, T: m.channel_shuffle(T(cs), 3)),
    ("native_channel_shuffle", lambda m, T: m.native_channel_shuffle(T(cs), 2)),
    ("selu", lambda m, T: m.selu(T(x1))),
    ("celu", lambda m, T: m.celu(T(x1), 2.0)),
    ("prelu", lambda m, T: m.prelu(T(x1), T(c3))),
    ("prelu_method", lambda m, T: T(x1).prelu(T(c3[:1]))),
    ("rrelu_eval", lambda m, T: m.rrelu(T(x1), 0.1, 0.3, False)),
    ("threshold", lambda m, T: m.threshold(T(x1), 0.1, 20.0)),
    ("hardshrink", lambda m, T: m.hardshrink(T(x1), 0.3)),
    ("hardshrink_method", lambda m, T: T(x1).hardshrink(0.7)),
    ("relu_", _inplace("relu_")),
    ("selu_", _inplace("selu_")),
    ("celu_", _inplace("celu_", 0.5)),
    ("threshold_", _inplace("threshold_", 0.2, -3.0)),
    ("rrelu_eval_", _inplace("rrelu_", 0.2, 0.4)),
    ("relu_method", lambda m, T: T(x1).relu_()),
    ("bilinear", lambda m, T: m.bilinear(T(a4[:, :3]), T(b4_), T(wb), T(bb))),
    ("cosine_similarity", lambda m, T: m.cosine_similarity(T(a4), T(b4_), 0, 1e-6)),
    ("pairwise_distance", lambda m, T: m.pairwise_distance(T(a4), T(b4_), 1.5, 1e-5, True)),
    ("pdist", lambda m, T: m.pdist(T(a4), 1.5)),
    ("constant_pad_nd", lambda m, T: m.constant_pad_nd(T(x1), [1, -2, 2, 0], 3.0)),
    ("constant_pad_nd_default", lambda m, T: m.constant_pad_nd(T(x1), (2, 1))),
    ("fill", lambda m, T: m.fill(T(x1), 3.5)),
    ("fill_int", lambda m, T: m.fill(T(idx), 3.7)),
    ("fill_tensor", lambda m, T: m.fill(T(x1), T(np.float64(2.5)))),
    ("scalar_tensor", lambda m, T: m.scalar_tensor(3)),
    ("scalar_tensor_bool", lambda m, T: m.scalar_tensor(True, dtype=m.int64)),
    ("scalar_tensor_f64", lambda m, T: m.scalar_tensor(0.1, dtype=m.float64)),
    ("resolve_conj", lambda m, T: m.resolve_conj(T(x1))),
    ("resolve_neg", lambda m, T: T(x1).resolve_neg()),
    ("flags", lambda m, T: [m.is_conj(T(x1)), m.is_neg(T(x1)), m.is_inference(T(x1))]),
    ("flag_methods", lambda m, T: [T(x1).is_conj(), T(x1).is_neg(), T(x1).is_inference()]),
    ("is_storage", lambda m, T: m.is_storage(T(x1))),
    ("set_flush_denormal", lambda m, T: m.set_flush_denormal(False) in (True, False)),
    ("as_strided", lambda m, T: m.as_strided(T(np.arange(12.0)), (3, 3), (1, 2), 1)),
    ("as_strided_view_offset", lambda m, T: m.as_strided(T(np.arange(12.0))[2:], (4,), (2,))),
    (
        "as_strided_zero_offset",
        lambda m, T: m.as_strided(T(np.arange(12.0))[2:], (2, 2), (1, 1), 0),
    ),
    (
        "as_strided_method",
        lambda m, T: T(np.arange(12.0)).view(3, 4).t().as_strided((2, 3), (3, 1)),
    ),
]
for _win in ("hann", "hamming", "blackman", "bartlett", "kaiser"):
    _f = _win + "_window"
    CASES += [
        (_f, lambda m, T, f=_f: getattr(m, f)(7)),
        (_f + "_symmetric", lambda m, T, f=_f: getattr(m, f)(6, False, dtype=m.float64)),
        (_f + "_short", lambda m, T, f=_f: [getattr(m, f)(n) for n in (0, 1, 2)]),
    ]
CASES += [
    ("hamming_window_ab", lambda m, T: m.hamming_window(8, True, 0.6, 0.3, dtype=m.float64)),
    ("kaiser_window_beta", lambda m, T: m.kaiser_window(8, False, 5.0)),
]

for _r_ in (0, 1, 2, 3):
    CASES += [
        (f"kl_div_{_r_}", lambda m, T, r=_r_: m.kl_div(T(logp), T(p34), r)),
        (
            f"kl_div_log_target_{_r_}",
            lambda m, T, r=_r_: m.kl_div(T(logp), T(np.log(p34)), r, log_target=True),
        ),
        (
            f"bce_logits_{_r_}",
            lambda m, T, r=_r_: m.binary_cross_entropy_with_logits(
                T(a4), T(np.abs(b4_) / 3), T(np.abs(n4)), T(np.abs(c3[:1]) + 1), r
            ),
        ),
        (
            f"cosine_embedding_loss_{_r_}",
            lambda m, T, r=_r_: m.cosine_embedding_loss(T(a4), T(b4_), T(y4), 0.1, r),
        ),
        (
            f"margin_ranking_loss_{_r_}",
            lambda m, T, r=_r_: m.margin_ranking_loss(
                T(a4[0]), T(b4_[0]), T(np.sign(n4[0])), 0.2, r
            ),
        ),
        (
            f"hinge_embedding_loss_{_r_}",
            lambda m, T, r=_r_: m.hinge_embedding_loss(T(a4), T(np.sign(b4_)), 0.5, r),
        ),
        (
            f"triplet_margin_loss_{_r_}",
            lambda m, T, r=_r_: m.triplet_margin_loss(
                T(a4), T(b4_), T(n4), 0.5, 1.5, 1e-6, True, r
            ),
        ),
        (
            f"poisson_nll_loss_{_r_}",
            lambda m, T, r=_r_: m.poisson_nll_loss(T(a4), T(np.abs(b4_)), True, False, 1e-8, r),
        ),
        (
            f"poisson_nll_loss_full_{_r_}",
            lambda m, T, r=_r_: m.poisson_nll_loss(
                T(np.abs(a4)), T(np.abs(b4_) * 3), False, True, 1e-3, r
            ),
        ),
    ]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case):
    _, f = case
    _compare(f(ember, _T(ember)), f(torch, _T(torch)))


# -- gradients: the aliases reorder arguments, so check every input gets its own gradient ------


def _grads(f, arrays):
    out = {}
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = f(lib, *ts)
        y = y[0] if isinstance(y, tuple) else y
        (y * lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))).sum().backward()
        out[lib] = [t.grad for t in ts]
    for e, t in zip(out[ember], out[torch]):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-9, atol=1e-9)


def _f64(*arrays):
    return [np.asarray(a, np.float64) for a in arrays]


GRAD_CASES = [
    (
        "batch_norm",
        lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        _f64(x1, c3, d3),
    ),
    (
        "instance_norm",
        lambda m, x, w, b: m.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        _f64(x1, c3, d3),
    ),
    ("layer_norm", lambda m, x, w, b: m.layer_norm(x, [8], w, b, 1e-5, True), _f64(x1, w8, b8)),
    ("group_norm", lambda m, x, w, b: m.group_norm(x, 3, w, b, 1e-5, True), _f64(x1, c3, d3)),
    (
        "conv_transpose2d",
        lambda m, x, w, b: m.conv_transpose2d(x, w, b, 2, 1, 1, 1, 2),
        _f64(x2, wt2, d3[:2]),
    ),
    ("bilinear", lambda m, x, y, w: m.bilinear(x, y, w, None), _f64(a4[:, :3], b4_, wb)),
    (
        "triplet_margin_loss",
        lambda m, a, p, n: m.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, True, 2),
        _f64(a4, b4_, n4),
    ),
    ("kl_div", lambda m, x, t: m.kl_div(x, t, 1, log_target=True), _f64(logp, np.log(p34))),
    (
        "bce_logits",
        lambda m, x, t: m.binary_cross_entropy_with_logits(
            x, t, None, m.tensor(np.abs(n4[0], dtype=np.float64)), 1
        ),
        _f64(a4, np.abs(b4_) / 3),
    ),
    (
        "as_strided",
        lambda m, x: m.as_strided(x.view(4, 3).t(), (3, 3), (1, 2), 1),
        _f64(np.arange(12.0)),
    ),
    ("fill", lambda m, x, v: m.fill(x, v), _f64(x1, np.float64(2.0))),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_torch(case):
    _, f, arrays = case
    _grads(f, arrays)


def test_embedding_gradient_weight_first_and_padding():
    for pad in (-1, 2):
        grads = []
        for lib in (torch, ember):
            w = lib.tensor(emb.astype(np.float64), requires_grad=True)
            lib.embedding(w, lib.tensor(idx), pad, True).sum().backward()
            grads.append(_np(w.grad))
        np.testing.assert_allclose(grads[1], grads[0])


def test_gradcheck_float64():
    x = ember.tensor(_r(2, 3, 5).astype(np.float64), requires_grad=True)
    w = ember.tensor(_r(3, 2, 3).astype(np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda x, w: ember.conv_transpose1d(x, w, None, 2, 1, 1, 1, 1), (x, w)
    )
    base = ember.tensor(np.arange(10.0), requires_grad=True)
    assert ember.autograd.gradcheck(lambda b: ember.as_strided(b, (3, 4), (2, 1), 1), (base,))
    assert ember.autograd.gradgradcheck(lambda b: ember.as_strided(b, (3, 2), (1, 1)) ** 2, (base,))


# -- views -----------------------------------------------------------------------------------


def test_as_strided_is_a_view():
    x = ember.arange(12.0)
    v = ember.as_strided(x, (3, 3), (2, 1), 1)
    assert v.data_ptr() == x.data_ptr() + 4
    x[3] = 100.0
    assert v[1, 0].item() == 100.0
    v[0, 0] = -1.0
    assert x[1].item() == -1.0
    assert x._version == v._version  # one version counter, as for every ember view
    e = ember.empty_strided((2, 3), (1, 2))
    t = torch.empty_strided((2, 3), (1, 2))
    assert e.stride() == t.stride() and e.is_contiguous() == t.is_contiguous()
    assert ember.empty_strided(
        (2, 3), (3, 1), dtype=ember.float64, requires_grad=True
    ).requires_grad


def test_frombuffer_shares_memory():
    buf = bytearray(np.arange(4, dtype=np.float32).tobytes())
    for kw in ({}, {"count": 2, "offset": 4}):
        e = ember.frombuffer(buf, dtype=ember.float32, **kw)
        t = torch.frombuffer(buf, dtype=torch.float32, **kw)
        _compare(e, t)
    e = ember.frombuffer(buf, dtype=ember.float32)
    e[0] = 7.0
    assert np.frombuffer(buf, np.float32)[0] == 7.0
    with pytest.warns(UserWarning):
        ember.frombuffer(b"abcd", dtype=ember.uint8)


# -- random ops: shape, scaling and identity, not values -------------------------------------


def test_dropout_family():
    x = ember.ones(200, 50)
    for fn in (ember.dropout, ember.feature_dropout):
        y = fn(x, 0.3, True)
        assert y.shape == x.shape
        vals = np.unique(y.numpy())
        np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
        assert 0.2 < (y == 0).float().mean().item() < 0.4
        np.testing.assert_array_equal(fn(x, 0.3, False).numpy(), x.numpy())
    y = ember.feature_dropout(ember.ones(30, 40, 5), 0.5, True).numpy()
    assert (y == y[:, :, :1]).all()  # whole channels
    y = ember.dropout_(x.clone(), 0.5, True)
    assert (y == 0).any()
    z = x.clone()
    ember.feature_dropout_(z, 0.5, True)
    assert (z == 0).any()
    for fn in (ember.alpha_dropout, ember.feature_alpha_dropout):
        y = fn(x, 0.2, True).numpy()
        assert len(np.unique(y.round(4))) == 2
        assert abs(y.mean()) < 1.5
        np.testing.assert_array_equal(fn(x, 0.2, False).numpy(), x.numpy())
    z = x.clone()
    ember.alpha_dropout_(z, 0.2, True)
    assert len(np.unique(z.numpy().round(4))) == 2
    z = x.clone()
    ember.feature_alpha_dropout_(z, 0.2, True)
    assert len(np.unique(z.numpy().round(4))) == 2


def test_rrelu_training():
    x = ember.tensor(-np.abs(_r(1000)) - 0.1)
    slope = (ember.rrelu(x, 0.1, 0.3, True) / x).numpy()
    assert slope.min() >= 0.1 - 1e-6 and slope.max() <= 0.3 + 1e-6 and slope.std() > 0.01
    pos = ember.tensor(np.abs(_r(10)))
    np.testing.assert_array_equal(ember.rrelu(pos, 0.1, 0.3, True).numpy(), pos.numpy())
    y = x.clone()
    ember.rrelu_(y, 0.1, 0.3, True)
    assert (y != x).all()


# -- errors: the same exception type as torch ------------------------------------------------

ERRORS = [
    ("dropout_p", lambda m, T: m.dropout(T(x1), 1.5, True)),
    ("dropout_missing_train", lambda m, T: m.dropout(T(x1), 0.5)),
    ("dropout_not_tensor", lambda m, T: m.dropout([1.0], 0.5, True)),
    ("alpha_dropout_p", lambda m, T: m.alpha_dropout(T(x1), -0.1, False)),
    ("feature_dropout_1d", lambda m, T: m.feature_dropout(T(c3), 0.5, True)),
    ("feature_dropout_p_eval", lambda m, T: m.feature_dropout(T(x1), 1.5, False)),
    ("feature_dropout__1d", lambda m, T: m.feature_dropout_(T(c3), 0.5, True)),
    ("feature_alpha_dropout_1d", lambda m, T: m.feature_alpha_dropout(T(c3), 0.5, True)),
    ("kl_div_str_reduction", lambda m, T: m.kl_div(T(logp), T(p34), "mean")),
    ("kl_div_bool_reduction", lambda m, T: m.kl_div(T(logp), T(p34), True)),
    (
        "bce_float_reduction",
        lambda m, T: m.binary_cross_entropy_with_logits(T(a4), T(b4_), None, None, 1.0),
    ),
    (
        "poisson_missing_reduction",
        lambda m, T: m.poisson_nll_loss(T(a4), T(b4_), True, False, 1e-8),
    ),
    ("margin_str_reduction", lambda m, T: m.margin_ranking_loss(T(c3), T(d3), T(c3), 0.0, "sum")),
    ("constant_pad_nd_odd", lambda m, T: m.constant_pad_nd(T(x1), [1, 2, 3])),
    ("threshold_inplace_arg", lambda m, T: m.threshold(T(x1), 0.1, 20.0, True)),
    ("selu_inplace_arg", lambda m, T: m.selu(T(x1), True)),
    ("layer_norm_int_shape", lambda m, T: m.layer_norm(T(x1), 8)),
    ("rms_norm_int_shape", lambda m, T: m.rms_norm(T(x1), 8)),
    (
        "batch_norm_missing_cudnn",
        lambda m, T: m.batch_norm(T(x1), None, None, None, None, True, 0.1, 1e-5),
    ),
    ("embedding_order", lambda m, T: m.embedding(T(idx), T(emb))),
    ("max_pool1d_return_indices_arg", lambda m, T: m.max_pool1d(T(x1), 2, 2, 0, 1, False, True)),
    ("prelu_channels", lambda m, T: m.prelu(T(x1), T(w8))),
    ("compile_mode", lambda m, T: m.compile(lambda x: x, mode="bogus")),
    ("compile_mode_type", lambda m, T: m.compile(lambda x: x, mode=3)),
    ("compile_mode_options", lambda m, T: m.compile(lambda x: x, mode="default", options={})),
    ("compile_backend", lambda m, T: m.compile(lambda x: x, backend="nosuch")),
    ("compile_not_callable", lambda m, T: m.compile(3)),
    ("compile_decorator_none", lambda m, T: m.compile(mode="default")(None)),
    ("compile_dynamic", lambda m, T: m.compile(lambda x: x, dynamic="x")),
    ("compile_positional", lambda m, T: m.compile(lambda x: x, True)),
    ("matmul_precision_type", lambda m, T: m.set_float32_matmul_precision(3)),
    ("deterministic_type", lambda m, T: m.use_deterministic_algorithms(1)),
    (
        "deterministic_warn_only_type",
        lambda m, T: m.use_deterministic_algorithms(True, warn_only=1),
    ),
    ("deterministic_positional", lambda m, T: m.use_deterministic_algorithms(True, True)),
    ("debug_mode_str", lambda m, T: m.set_deterministic_debug_mode("bad")),
    ("debug_mode_int", lambda m, T: m.set_deterministic_debug_mode(5)),
    ("debug_mode_float", lambda m, T: m.set_deterministic_debug_mode(1.0)),
    ("warn_always_type", lambda m, T: m.set_warn_always(1)),
    ("flush_denormal_type", lambda m, T: m.set_flush_denormal("x")),
    ("interop_zero", lambda m, T: m.set_num_interop_threads(0)),
    ("interop_type", lambda m, T: m.set_num_interop_threads("a")),
    ("interop_bool", lambda m, T: m.set_num_interop_threads(True)),
    ("is_inference_type", lambda m, T: m.is_inference(3)),
    ("is_conj_type", lambda m, T: m.is_conj(3)),
    ("resolve_neg_type", lambda m, T: m.resolve_neg([1])),
    ("fill_1d_value", lambda m, T: m.fill(T(x1), T(c3))),
    ("fill_not_tensor", lambda m, T: m.fill([1.0], 2)),
    ("scalar_tensor_str", lambda m, T: m.scalar_tensor("a")),
    ("scalar_tensor_complex", lambda m, T: m.scalar_tensor(1 + 2j)),
    ("empty_strided_rank", lambda m, T: m.empty_strided((2, 3), (1,))),
    ("empty_strided_negative_size", lambda m, T: m.empty_strided((2, -3), (1, 1))),
    ("empty_strided_negative_stride", lambda m, T: m.empty_strided((2, 3), (-1, 1))),
    ("as_strided_out_of_bounds", lambda m, T: m.as_strided(T(np.arange(12.0)), (3, 3), (4, 1), 2)),
    ("as_strided_negative_stride", lambda m, T: m.as_strided(T(np.arange(12.0)), (3, 3), (-1, 1))),
    ("as_strided_rank", lambda m, T: m.as_strided(T(np.arange(12.0)), (3,), (1, 1))),
    ("as_strided_offset", lambda m, T: m.as_strided(T(np.arange(12.0)), (3,), (1,), -1)),
    ("frombuffer_ragged", lambda m, T: m.frombuffer(bytearray(7), dtype=m.float32)),
    ("frombuffer_empty", lambda m, T: m.frombuffer(bytearray(0), dtype=m.float32)),
    ("frombuffer_count", lambda m, T: m.frombuffer(bytearray(8), dtype=m.float32, count=3)),
    ("frombuffer_offset", lambda m, T: m.frombuffer(bytearray(8), dtype=m.float32, offset=9)),
    ("frombuffer_no_dtype", lambda m, T: m.frombuffer(bytearray(8))),
    ("window_negative", lambda m, T: m.hann_window(-1)),
    ("window_float_length", lambda m, T: m.hamming_window(4.0)),
    ("window_int_dtype", lambda m, T: m.blackman_window(4, dtype=m.int64)),
    ("kaiser_int_dtype", lambda m, T: m.kaiser_window(4, dtype=m.int32)),
    ("bartlett_bool_length", lambda m, T: m.bartlett_window(True)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, f = case
    with pytest.raises(Exception) as t_err:
        f(torch, _T(torch))
    with pytest.raises(Exception) as e_err:
        f(ember, _T(ember))
    # torch's own subclasses (torch._dynamo's InvalidBackend) count as their builtin base
    subclass = t_err.type.__module__ != "builtins" and issubclass(t_err.type, e_err.type)
    assert e_err.type is t_err.type or (subclass and e_err.type is not Exception), (
        e_err.type,
        t_err.type,
    )


# -- global switches -------------------------------------------------------------------------


def test_matmul_precision_round_trip():
    try:
        for p in ("high", "medium", "highest"):
            ember.set_float32_matmul_precision(p)
            assert ember.get_float32_matmul_precision() == p
            assert ember.backends.cuda.matmul.allow_tf32 == (p != "highest")
        with pytest.warns(UserWarning):
            ember.set_float32_matmul_precision("bad")
        assert ember.get_float32_matmul_precision() == "highest"
    finally:
        ember.set_float32_matmul_precision("highest")


def test_deterministic_switches_match_torch():
    steps = [
        lambda m: m.use_deterministic_algorithms(True),
        lambda m: m.use_deterministic_algorithms(True, warn_only=True),
        lambda m: m.set_deterministic_debug_mode("error"),
        lambda m: m.set_deterministic_debug_mode(1),
        lambda m: m.set_deterministic_debug_mode("default"),
    ]
    try:
        for step in steps:
            seen = []
            for m in (torch, ember):
                step(m)
                seen.append(
                    (
                        m.are_deterministic_algorithms_enabled(),
                        m.is_deterministic_algorithms_warn_only_enabled(),
                        m.get_deterministic_debug_mode(),
                    )
                )
            assert seen[0] == seen[1]
    finally:
        torch.use_deterministic_algorithms(False)
        ember.use_deterministic_algorithms(False)


def test_small_switches():
    try:
        ember.set_warn_always(True)
        assert ember.is_warn_always_enabled() is True
    finally:
        ember.set_warn_always(False)
    assert ember.is_warn_always_enabled() is False
    assert ember.set_flush_denormal(True) is False
    assert ember.get_num_interop_threads() >= 1
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3


def test_compile_is_identity():
    model = ember.nn.Linear(2, 2)
    assert ember.compile(model) is model
    assert ember.compile(model, mode="max-autotune", fullgraph=True, backend="eager") is model

    @ember.compile
    def f(x):
        return x * 2

    @ember.compile(mode="reduce-overhead", fullgraph=True, dynamic=False)
    def g(x):
        return x + 1

    assert f(ember.tensor(2.0)).item() == 4.0 and g(ember.tensor(2.0)).item() == 3.0
    assert f.__name__ == "f" and g.__name__ == "g"
    custom = ember.compile(f, backend=lambda gm, inputs: gm, options={"x": 1})
    assert custom is f


def test_typename_matches_torch():
    for e, t in [
        (ember.zeros(1), torch.zeros(1)),
        (ember.zeros(1, dtype=ember.int64), torch.zeros(1, dtype=torch.int64)),
        (ember.zeros(1, dtype=ember.bool), torch.zeros(1, dtype=torch.bool)),
        (ember.nn.Linear(1, 1), torch.nn.Linear(1, 1)),
        (ember.nn.Linear, torch.nn.Linear),
        (3, 3),
        ("s", "s"),
        (np.float32, np.float32),
    ]:
        assert ember.typename(e) == torch.typename(t).replace("torch", "ember")


# -- namespace and lazy loading --------------------------------------------------------------


def test_every_name_is_lazy_and_from_toplevel():
    import ember._toplevel as top

    names = [n for n, mod in ember._LAZY_ATTRS.items() if mod == "._toplevel"]
    assert len(names) == 85
    for n in names:
        assert getattr(ember, n) is getattr(top, n), n
        assert callable(getattr(torch, n)), n  # torch has it too
        assert getattr(top, n).__doc__, n


def test_import_does_not_load_toplevel():
    code = (
        "import sys, ember; assert 'ember._toplevel' not in sys.modules, 'eager'; "
        "ember.dropout; assert 'ember._toplevel' in sys.modules, 'not loaded'"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_ctc_loss_int_reduction():
    lp = ember.zeros(5, 2, 3).log_softmax(2)
    tlp = torch.zeros(5, 2, 3).log_softmax(2)
    args = ([5, 4], [2, 1])
    for extra in ((), (0, 0), (0, 1), (0, 2, True)):
        got = ember.ctc_loss(lp, ember.tensor([[1, 2], [1, 1]]), *args, *extra)
        want = torch.ctc_loss(tlp, torch.tensor([[1, 2], [1, 1]]), *args, *extra)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        ember.ctc_loss(lp, ember.tensor([[1, 2]]), [5], [2], 0, "mean", False)


def test_rrelu_generator_not_supported():
    with pytest.raises(NotImplementedError):
        ember.rrelu(ember.ones(2), 0.1, 0.3, True, ember.Generator())


def test_feature_dropout_1d_allowed_when_it_drops_nothing():
    for m in (torch, ember):
        m.feature_dropout(m.ones(3), 0.5, False)
        m.feature_alpha_dropout(m.ones(3), 0.0, True)
