"""Pooling, unpooling, padding and resampling against PyTorch, driven by tables."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, to_np

import ember
from ember.ops import pool as P

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(1)


def numeric_gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Compare ember's gradients of <fn(*inputs), r> with central differences (float64)."""
    out = fn(*inputs)
    r = ember.tensor(rng.standard_normal(tuple(out.shape)))
    grads = ember.autograd.grad((out * r).sum(), inputs, allow_unused=True)
    for t, g in zip(inputs, grads):
        a = t._data  # perturbed in place: the finite differences need no graph
        num = np.zeros(a.shape)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            fp = float((fn(*inputs) * r).sum())
            a[i] = old - eps
            fm = float((fn(*inputs) * r).sum())
            a[i] = old
            num[i] = (fp - fm) / (2 * eps)
        got = np.zeros(a.shape) if g is None else to_np(g)
        np.testing.assert_allclose(got, num, atol=atol, rtol=rtol)


def numeric_gradgradcheck(fn, inputs):
    """Finite differences of the (create_graph) gradient: checks double backward."""
    out = fn(*inputs)
    r = ember.tensor(rng.standard_normal(tuple(out.shape)))

    def grad_dot(*xs):
        gs = ember.autograd.grad((fn(*xs) * r).sum(), xs, create_graph=True)
        return sum((g * g).sum() for g in gs)

    numeric_gradcheck(grad_dot, inputs, atol=1e-4, rtol=1e-3)


def _distinct(shape):
    """Values with no ties (a tie makes the max-pool gradient depend on the tie-break)."""
    a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    return a / a.size + rng.standard_normal(shape) * 1e-3


# name, input shape, args, kwargs
CASES = [
    ("max_pool2d", (2, 3, 8, 8), (2,), {}),
    ("max_pool2d", (2, 3, 7, 8), (3, 2, 1, 1, True, True), {}),
    ("max_pool2d", (2, 3, 7, 8), ((3, 2), (1, 2), (1, 0), (2, 1), False, True), {}),
    ("max_pool2d", (3, 7, 9), (3,), {"stride": 2, "ceil_mode": True, "return_indices": True}),
    ("max_pool1d", (2, 3, 11), (3, 2, 1, 2, True, True), {}),
    ("max_pool1d", (3, 10), (2,), {}),
    ("max_pool3d", (1, 2, 5, 6, 4), (2, 1, 1, 1, True, True), {}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1, True, True), {}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1, True, False), {}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1, False, False, 5), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool1d", (3, 7, 8), (3, 2, 1, True, False), {}),
    ("avg_pool3d", (1, 2, 5, 6, 4), (2, 2, 1, True, False), {}),
    ("lp_pool2d", (2, 3, 7, 8), (2, 3, 2), {}),
    ("lp_pool1d", (2, 3, 9), (3, 2), {"ceil_mode": True}),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), ((3, 5),), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), ((None, 4),), {}),
    ("adaptive_avg_pool2d", (3, 7, 8), (1,), {}),
    ("adaptive_avg_pool1d", (2, 3, 7), (3,), {}),
    ("adaptive_avg_pool3d", (1, 2, 5, 6, 4), ((2, 3, 3),), {}),
    ("adaptive_max_pool2d", (2, 3, 7, 8), ((3, 5), True), {}),
    ("adaptive_max_pool2d", (2, 3, 8, 8), (4,), {"return_indices": True}),
    ("adaptive_max_pool1d", (2, 3, 7), (3, True), {}),
    ("adaptive_max_pool3d", (1, 2, 5, 6, 4), ((2, 3, 3), True), {}),
    ("pixel_shuffle", (2, 8, 3, 4), (2,), {}),
    ("pixel_unshuffle", (2, 3, 6, 4), (2,), {}),
]
for _mode in ("constant", "reflect", "replicate", "circular"):
    CASES += [
        ("pad", (2, 3, 5, 6), ((1, 2, 2, 1), _mode), {}),
        ("pad", (2, 3, 5, 6), ((-1, 2, 3, -2), _mode), {}),
        ("pad", (2, 3, 5), ((2, 1), _mode), {}),
    ]
CASES += [
    ("pad", (2, 3, 4, 5), ((1, 2, 3, 4, 5, 6, 1, 1), "constant", 2.5), {}),
    ("pad", (1, 2, 3, 3, 4), ((1, 1, 2, 0, 1, 2), "reflect"), {}),
    ("pad", (1, 2, 3, 3, 4), ((1, 1, 2, 0, 1, 2), "replicate"), {}),
]
for _mode, _kw in [
    ("nearest", {}),
    ("nearest-exact", {}),
    ("area", {}),
    ("bilinear", {"align_corners": False}),
    ("bilinear", {"align_corners": True}),
    ("bicubic", {"align_corners": False}),
    ("bicubic", {"align_corners": True}),
]:
    CASES += [
        ("interpolate", (2, 3, 5, 6), ((7, 13), None, _mode), _kw),
        ("interpolate", (2, 3, 5, 6), (None, (1.5, 2.3), _mode), _kw),
        ("interpolate", (2, 3, 5, 6), (None, (0.5, 0.7), _mode), _kw),
    ]
CASES += [
    ("interpolate", (2, 3, 5), (None, 2.5, "linear"), {}),
    ("interpolate", (2, 3, 5), (8, None, "linear"), {"align_corners": True}),
    ("interpolate", (1, 2, 3, 4, 2), (None, (1.5, 0.5, 2), "trilinear"), {"align_corners": True}),
    ("interpolate", (1, 2, 3, 4, 2), ((4, 3, 5), None, "nearest"), {}),
    ("interpolate", (2, 3, 5, 6), (None, 2.0, "bilinear"), {"recompute_scale_factor": True}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, shape, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_matches_torch(name, shape, args, kwargs, dtype):
    a = _distinct(shape).astype(dtype)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    oe = getattr(P, name)(xe, *args, **kwargs)
    ot = getattr(TF, name)(xt, *args, **kwargs)
    if isinstance(ot, tuple):
        assert_close(oe[1], ot[1])
        oe, ot = oe[0], ot[0]
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert_close(oe, ot, rtol=tol, atol=tol)
    gy = rng.standard_normal(tuple(ot.shape)).astype(dtype)
    oe.backward(ember.tensor(gy))
    ot.backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad, rtol=tol, atol=tol)


GRADCHECK = [
    lambda x: P.max_pool2d(x, 2, 1, 1),
    lambda x: P.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: P.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: P.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: P.adaptive_max_pool2d(x, (3, 2)),
    lambda x: P.pad(x, (1, 2, -1, 1), mode="reflect"),
    lambda x: P.pad(x, (2, -1, 1, 1), value=0.5),
    lambda x: P.interpolate(x, scale_factor=1.7, mode="bilinear"),
    lambda x: P.interpolate(x, size=(3, 7), mode="nearest"),
]


@pytest.mark.parametrize("fn", GRADCHECK, ids=range(len(GRADCHECK)))
def test_gradcheck_and_gradgradcheck(fn):
    x = ember.tensor(_distinct((1, 2, 5, 4)), requires_grad=True)
    numeric_gradcheck(fn, [x])
    numeric_gradgradcheck(lambda x: fn(x) ** 2, [x])


def test_max_pool_double_backward_matches_torch():
    a = _distinct((2, 2, 6, 6))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ge = ember.autograd.grad((P.max_pool2d(xe, 3, 1, 1) ** 3).sum(), xe, create_graph=True)[0]
    gt = torch.autograd.grad((TF.max_pool2d(xt, 3, 1, 1) ** 3).sum(), xt, create_graph=True)[0]
    assert_close(ge, gt)
    assert_close(
        ember.autograd.grad((ge**2).sum(), xe)[0], torch.autograd.grad((gt**2).sum(), xt)[0]
    )


def test_max_pool_nan_and_ties_follow_torch():
    a = np.array([[[[1.0, np.nan, 3.0, 3.0], [np.nan, 0.0, 3.0, 2.0]]]])
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    oe, ie = P.max_pool2d(xe, 2, return_indices=True)
    ot, it = TF.max_pool2d(xt, 2, return_indices=True)
    assert_close(oe, ot)
    assert_close(ie, it)


@pytest.mark.parametrize("args", [(2,), (3, 1, 1), ((3, 2), (2, 1), (1, 0), (1, 2), True)])
def test_max_pool_ties_pick_the_first_like_torch(args):
    a = rng.integers(0, 3, (2, 2, 7, 6)).astype(np.float64)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    oe, ie = P.max_pool2d(xe, *args, return_indices=True)
    ot, it = TF.max_pool2d(xt, *args, return_indices=True)
    assert_close(ie, it)
    oe.sum().backward()
    ot.sum().backward()
    assert_close(xe.grad, xt.grad)


def test_max_pool_routes_an_infinite_gradient_only_to_the_winner():
    a = _distinct((1, 1, 4, 4))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    gy = np.array([[[[np.inf, 1.0], [np.nan, -np.inf]]]])
    P.max_pool2d(xe, 2).backward(ember.tensor(gy))
    TF.max_pool2d(xt, 2).backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("args", [(2,), (3, 2, 1, 1, True)])
def test_max_pool_in_chunks_of_planes(monkeypatch, args):
    monkeypatch.setattr(P, "_ROW_CHUNK_BYTES", 1)  # one plane per chunk
    a = rng.integers(0, 4, (3, 5, 7, 6)).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    oe, ie = P.max_pool2d(xe, *args, return_indices=True)
    ot, it = TF.max_pool2d(xt, *args, return_indices=True)
    assert_close(oe, ot)
    assert_close(ie, it)
    gy = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(gy))
    ot.backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad)


def test_max_unpool_roundtrip_and_grad():
    a = _distinct((2, 3, 7, 8))
    ot, it = TF.max_pool2d(torch.tensor(a), 2, return_indices=True)
    for size in (None, (7, 8)):
        ve = ember.tensor(ot.numpy(), requires_grad=True)
        vt = ot.clone().requires_grad_(True)
        ue = P.max_unpool2d(ve, ember.tensor(it.numpy()), 2, output_size=size)
        ut = TF.max_unpool2d(vt, it, 2, output_size=size)
        assert_close(ue, ut)
        gy = rng.standard_normal(tuple(ut.shape))
        ue.backward(ember.tensor(gy))
        ut.backward(torch.tensor(gy))
        assert_close(ve.grad, vt.grad)
    o1, i1 = TF.max_pool1d(torch.tensor(a[0]), 3, 2, return_indices=True)
    assert_close(
        P.max_unpool1d(ember.tensor(o1.numpy()), ember.tensor(i1.numpy()), 3, 2),
        TF.max_unpool1d(o1, i1, 3, 2),
    )


def test_integer_max_pool_and_pad_and_inference():
    a = rng.integers(-50, 50, (2, 3, 6, 6))
    assert_close(
        P.max_pool2d(ember.tensor(a), 2, padding=1), TF.max_pool2d(torch.tensor(a), 2, padding=1)
    )
    assert_close(P.pad(ember.tensor(a), (1, 1), value=7), TF.pad(torch.tensor(a), (1, 1), value=7))
    x = ember.tensor(_distinct((2, 3, 6, 6)), requires_grad=True)
    with ember.no_grad():
        y = P.max_pool2d(x, 2)
    assert y.grad_fn is None and not y.requires_grad


def test_upsample_aliases_warn():
    a = _distinct((1, 2, 3, 4))
    with pytest.warns(UserWarning):
        ue = P.upsample(ember.tensor(a), scale_factor=2, mode="bilinear", align_corners=True)
    assert_close(
        ue, TF.interpolate(torch.tensor(a), scale_factor=2, mode="bilinear", align_corners=True)
    )
    with pytest.warns(UserWarning):
        assert_close(
            P.upsample_nearest(ember.tensor(a), size=(5, 5)),
            TF.interpolate(torch.tensor(a), size=(5, 5)),
        )


def _t(*shape):
    return ember.tensor(rng.standard_normal(shape))


BAD = [
    (
        lambda: P.max_pool2d(_t(2, 3, 5, 5), 3, padding=2),
        RuntimeError,
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
        "dilation=1",
    ),
    (
        lambda: P.max_pool2d(_t(2, 3, 1, 1), 3),
        RuntimeError,
        "Given input size: (3x1x1). Calculated output size: (3x0x0). Output size is too small",
    ),
    (
        lambda: P.max_pool2d(_t(5, 5), 3),
        RuntimeError,
        "non-empty 3D or 4D (batch mode) tensor expected for input",
    ),
    (lambda: P.max_pool2d(_t(2, 3, 5, 5), 2, stride=0), RuntimeError, "stride should not be zero"),
    (
        lambda: P.max_pool2d(_t(2, 3, 5, 5), (2, 2, 2)),
        RuntimeError,
        "max_pool2d: kernel_size must either be a single int, or a tuple of two ints",
    ),
    (
        lambda: P.max_pool2d(_t(2, 3, 5, 5), 2, dilation=0),
        RuntimeError,
        "dilation should be greater than zero",
    ),
    (
        lambda: P.avg_pool2d(_t(2, 3, 5, 5), 2, divisor_override=0),
        RuntimeError,
        "divisor must be not zero",
    ),
    (
        lambda: P.adaptive_avg_pool2d(_t(5, 5), 3),
        RuntimeError,
        "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5, 5]",
    ),
    (
        lambda: P.adaptive_avg_pool2d(_t(2, 3, 5, 5), (1, 2, 3)),
        RuntimeError,
        "adaptive_avg_pool2d: output_size must be 2",
    ),
    (
        lambda: P.max_unpool2d(_t(1, 1, 2, 2), ember.tensor([[[[0, 1], [2, 18]]]]), 2),
        RuntimeError,
        "Found an invalid max index: 18 (output volumes are of size 4x4",
    ),
    (
        lambda: P.max_unpool2d(
            _t(1, 1, 2, 2), ember.zeros(1, 1, 2, 2).long(), 2, output_size=(7, 7)
        ),
        ValueError,
        "(dim 0 must be between 2 and 6)",
    ),
    (lambda: P.pad(_t(2, 3), (1, 2, 3)), RuntimeError, "Padding length must be divisible by 2"),
    (
        lambda: P.pad(_t(2, 3), (1, 1, 1, 1, 1, 1)),
        RuntimeError,
        "Padding length should be less than or equal to two times the input dimension",
    ),
    (
        lambda: P.pad(_t(1, 2, 3), (3, 3), mode="reflect"),
        RuntimeError,
        "Padding size should be less than the corresponding input dimension, but got: padding "
        "(3, 3) at dimension 2 of input [1, 2, 3]",
    ),
    (
        lambda: P.pad(_t(1, 2, 3), (4, 0), mode="circular"),
        RuntimeError,
        "Padding value causes wrapping around more than once.",
    ),
    (
        lambda: P.pad(_t(2, 3, 5, 5), (1, 1), mode="reflect"),
        NotImplementedError,
        "Padding size 2 is not supported for 4D input tensor.",
    ),
    (
        lambda: P.pad(_t(2, 3), (1, 1), mode="foo"),
        NotImplementedError,
        "Unrecognised padding mode foo",
    ),
    (
        lambda: P.pad(_t(1, 2, 3), (1, 1), mode="reflect", value=2),
        RuntimeError,
        'Padding mode "reflect" doesn\'t take in value argument',
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4)),
        ValueError,
        "either size or scale_factor should be defined",
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4), size=3, scale_factor=2),
        ValueError,
        "only one of size or scale_factor should be defined",
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4), size=3, mode="linear"),
        NotImplementedError,
        "Got 4D input, but linear mode needs 3D input",
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4), size=3, align_corners=True),
        ValueError,
        "align_corners option can only be set with the interpolating modes",
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4), size=(3, 4, 5)),
        ValueError,
        "Input and output must have the same number of spatial dimensions",
    ),
    (
        lambda: P.interpolate(_t(1, 1, 4, 4), size=0),
        RuntimeError,
        "Input and output sizes should be greater than 0",
    ),
    (lambda: P.interpolate(_t(1, 1, 4, 4), size=3, mode="foo"), NotImplementedError, "Input Error"),
    (
        lambda: P.pixel_shuffle(_t(2, 3, 5, 5), 2),
        RuntimeError,
        "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
        "upscale_factor, but input.size(-3)=3 is not divisible by 4",
    ),
    (
        lambda: P.pixel_unshuffle(_t(2, 3, 5, 5), 2),
        RuntimeError,
        "pixel_unshuffle expects height to be divisible by downscale_factor",
    ),
]


@pytest.mark.parametrize("fn, exc, msg", BAD, ids=range(len(BAD)))
def test_bad_inputs_raise_like_torch(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)
