"""Convolutions (conv1d/2d/3d, conv_transpose, unfold/fold) against PyTorch, driven by tables."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, to_np

import ember
from ember.ops import conv as C

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def _pair(shape, dtype=np.float64):
    """The same random values as a (leaf) ember tensor and a torch tensor, both needing grad."""
    a = rng.standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


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


def _fns(nd, transposed=False):
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    return getattr(C, name), getattr(TF, name)


# nd, N, C_in, spatial, C_out, kernel, stride, padding, dilation, groups, bias
CONV = [
    (1, 2, 3, (9,), 4, (3,), 1, 0, 1, 1, True),
    (1, 2, 4, (10,), 6, (2,), 2, 1, 2, 2, False),
    (1, 1, 2, (7,), 2, (3,), 1, "same", 2, 1, True),
    (2, 2, 3, (7, 8), 4, (3, 3), 1, 1, 1, 1, True),
    (2, 2, 4, (9, 7), 6, (3, 2), (2, 1), (1, 0), (2, 1), 2, True),
    (2, 1, 6, (6, 6), 6, (3, 3), 1, "same", 2, 3, False),
    (2, 2, 2, (5, 6), 3, (2, 2), 1, "same", 1, 1, True),
    (2, 2, 3, (8, 8), 4, (1, 1), (2, 3), 0, 1, 1, True),
    (2, 1, 2, (5, 5), 2, (3, 3), 1, "valid", 1, 1, True),
    (2, 3, 4, (6, 5), 4, (3, 3), 1, (0, 2), 1, 4, True),
    (3, 2, 2, (5, 4, 6), 3, (2, 3, 2), (1, 2, 1), (1, 0, 1), 1, 1, True),
    (3, 1, 4, (5, 5, 5), 4, (3, 3, 3), 1, "same", 1, 2, False),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV, ids=lambda c: f"{c[0]}d-{c[3]}-k{c[5]}-s{c[6]}-p{c[7]}")
def test_conv_forward_and_grads(case):
    nd, N, Ci, S, Co, k, s, p, d, g, has_b = case
    fe, ft = _fns(nd)
    xe, xt = _pair((N, Ci) + S)
    we, wt = _pair((Co, Ci // g) + k)
    be, bt = _pair((Co,)) if has_b else (None, None)
    ye, yt = fe(xe, we, be, s, p, d, g), ft(xt, wt, bt, s, p, d, g)
    assert_close(ye, yt, rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(gy))
    yt.backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad, rtol=1e-10, atol=1e-10)
    assert_close(we.grad, wt.grad, rtol=1e-10, atol=1e-10)
    if has_b:
        assert_close(be.grad, bt.grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CONV[::3], ids=lambda c: f"{c[0]}d-{c[3]}-k{c[5]}")
def test_conv_double_backward_matches_torch(case):
    nd, N, Ci, S, Co, k, s, p, d, g, has_b = case
    fe, ft = _fns(nd)
    xe, xt = _pair((N, Ci) + S)
    we, wt = _pair((Co, Ci // g) + k)
    ge = ember.autograd.grad((fe(xe, we, None, s, p, d, g) ** 2).sum(), [xe, we], create_graph=True)
    gt = torch.autograd.grad((ft(xt, wt, None, s, p, d, g) ** 2).sum(), [xt, wt], create_graph=True)
    he = ember.autograd.grad((ge[0] ** 2).sum() + (ge[1] ** 3).sum(), [xe, we])
    ht = torch.autograd.grad((gt[0] ** 2).sum() + (gt[1] ** 3).sum(), [xt, wt])
    for a, b in zip(he, ht):
        assert_close(a, b, rtol=1e-8, atol=1e-8)


def test_conv_gradcheck_and_gradgradcheck():
    x = ember.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((2, 1, 2, 3)), requires_grad=True)
    b = ember.tensor(rng.standard_normal(2), requires_grad=True)

    def f(x, w, b):
        return C.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1), groups=2)

    numeric_gradcheck(f, [x, w, b])
    numeric_gradgradcheck(f, [x, w, b])

    def ft(x, w):  # stride 1: the flat-columns kernels
        return C.conv2d(x, w, None, padding="same")

    w2 = ember.tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    numeric_gradgradcheck(ft, [x, w2])


# nd, N, C_in, spatial, C_out, kernel, stride, padding, output_padding, groups, dilation, bias
CONVT = [
    (1, 2, 3, (5,), 2, (3,), 3, 0, 2, 1, 1, True),
    (1, 1, 4, (4,), 6, (2,), 1, 1, 0, 2, 2, False),
    (2, 2, 4, (3, 4), 6, (3, 2), 2, 1, 1, 2, 1, True),
    (2, 1, 2, (3, 3), 2, (3, 3), 1, 0, 1, 1, 2, True),
    (2, 2, 3, (4, 4), 4, (3, 3), 1, 1, 0, 1, 1, True),
    (2, 2, 2, (3, 3), 4, (2, 2), 2, 0, 0, 1, 1, False),
    (3, 1, 2, (2, 3, 2), 2, (2, 2, 2), (1, 2, 1), 0, (0, 1, 0), 1, 2, True),
]


@pytest.mark.parametrize("case", CONVT, ids=lambda c: f"{c[0]}d-{c[3]}-k{c[5]}-s{c[6]}")
def test_conv_transpose_forward_grads_and_double_backward(case):
    nd, N, Ci, S, Co, k, s, p, op, g, d, has_b = case
    fe, ft = _fns(nd, transposed=True)
    xe, xt = _pair((N, Ci) + S)
    we, wt = _pair((Ci, Co // g) + k)
    be, bt = _pair((Co,)) if has_b else (None, None)
    ye, yt = fe(xe, we, be, s, p, op, g, d), ft(xt, wt, bt, s, p, op, g, d)
    assert_close(ye, yt, rtol=1e-10, atol=1e-10)
    gy = torch.tensor(rng.standard_normal(tuple(yt.shape)))
    ins_e, ins_t = [xe, we] + ([be] if has_b else []), [xt, wt] + ([bt] if has_b else [])
    ge = ember.autograd.grad((ye * ember.tensor(gy.numpy())).sum(), ins_e, create_graph=True)
    gt = torch.autograd.grad((yt * gy).sum(), ins_t, create_graph=True)
    for a, b in zip(ge, gt):
        assert_close(a, b, rtol=1e-10, atol=1e-10)
    he = ember.autograd.grad((ge[0] ** 2).sum() + (ge[1] ** 3).sum(), [xe, we])
    ht = torch.autograd.grad((gt[0] ** 2).sum() + (gt[1] ** 3).sum(), [xt, wt])
    for a, b in zip(he, ht):
        assert_close(a, b, rtol=1e-8, atol=1e-8)


def test_conv_transpose_gradcheck():
    x = ember.tensor(rng.standard_normal((1, 2, 3, 2)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)

    def f(x, w):
        return C.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2)

    numeric_gradcheck(f, [x, w])
    numeric_gradgradcheck(f, [x, w])


def test_unbatched_and_empty_batch():
    xe, xt = _pair((3, 7, 6))
    we, wt = _pair((4, 3, 3, 3))
    assert_close(C.conv2d(xe, we, padding=1), TF.conv2d(xt, wt, padding=1))
    xe, xt = _pair((0, 3, 5, 5))
    assert C.conv2d(xe, we).shape == TF.conv2d(xt, wt).shape
    xe, xt = _pair((3, 5))
    we, wt = _pair((3, 2, 2))
    assert_close(C.conv_transpose1d(xe, we, stride=2), TF.conv_transpose1d(xt, wt, stride=2))


def test_float32_non_contiguous_and_chunked(monkeypatch):
    # A transposed (non-contiguous) float32 input, and columns split into chunks of 2 images
    # with a partial last chunk, through the flat (stride 1) and strided kernels.
    monkeypatch.setattr(C, "_CHUNK_BYTES", 1)
    a = rng.standard_normal((5, 3, 9, 8)).astype(np.float32)
    for stride in (1, 2):
        xe = ember.tensor(a.transpose(0, 1, 3, 2), requires_grad=True)
        xt = torch.tensor(a.transpose(0, 1, 3, 2), requires_grad=True)
        we, wt = _pair((4, 3, 3, 3), np.float32)
        be, bt = _pair((4,), np.float32)
        ye, yt = C.conv2d(xe, we, be, stride, 1), TF.conv2d(xt, wt, bt, stride, 1)
        assert_close(ye, yt, rtol=1e-4, atol=1e-4)
        ye.sum().backward()
        yt.sum().backward()
        assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
        assert_close(we.grad, wt.grad, rtol=1e-4, atol=1e-3)
        assert_close(be.grad, bt.grad, rtol=1e-4, atol=1e-3)


def test_input_gradient_skipped_when_not_needed(monkeypatch):
    calls = []
    real = C._conv_grads

    def spy(x, gy, w, wshape, g, want_x, want_w):
        calls.append(want_x)
        return real(x, gy, w, wshape, g, want_x, want_w)

    monkeypatch.setattr(C, "_conv_grads", spy)
    x = ember.tensor(rng.standard_normal((2, 1, 6, 6)))
    w = ember.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    C.conv2d(x, w).sum().backward()
    assert w.grad is not None and calls == [False]


def test_both_gradients_in_one_pass_match():
    x, gy, w = (rng.standard_normal(s) for s in [(3, 4, 6, 5), (3, 2, 4, 3), (2, 4, 3, 3)])
    g = C._Geom((3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)), 1, (6, 5), (4, 3))
    gx, gw = C._conv_grads(x, gy, w, w.shape, g, True, True)
    np.testing.assert_allclose(gx, C._conv_input_grad(gy, w, g))
    np.testing.assert_allclose(gw, C._conv_weight_grad(x, gy, w.shape, g))


# unfold / fold: kernel, dilation, padding, stride
UNFOLD = [
    ((2, 2), 1, 0, 1),
    ((3, 2), (1, 2), 1, (2, 1)),
    (3, 2, 2, 3),
]


@pytest.mark.parametrize("case", UNFOLD)
def test_unfold_fold(case):
    k, d, p, s = case
    xe, xt = _pair((2, 3, 7, 6))
    ue, ut = C.unfold(xe, k, d, p, s), TF.unfold(xt, k, d, p, s)
    assert_close(ue, ut)
    gy = rng.standard_normal(tuple(ut.shape))
    ue.backward(ember.tensor(gy))
    ut.backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad)
    ce, ct = _pair(tuple(ut.shape))
    fe, ft = C.fold(ce, (7, 6), k, d, p, s), TF.fold(ct, (7, 6), k, d, p, s)
    assert_close(fe, ft)
    gx = rng.standard_normal(tuple(ft.shape))
    fe.backward(ember.tensor(gx))
    ft.backward(torch.tensor(gx))
    assert_close(ce.grad, ct.grad)


def test_unfold_fold_gradgradcheck_and_unbatched():
    x = ember.tensor(rng.standard_normal((1, 1, 4, 3)), requires_grad=True)
    numeric_gradgradcheck(lambda x: C.unfold(x, 2, padding=1) ** 2, [x])
    c = ember.tensor(rng.standard_normal((1, 4, 6)), requires_grad=True)
    numeric_gradgradcheck(lambda c: C.fold(c, (3, 4), 2) ** 2, [c])
    xe, xt = _pair((3, 5, 4))
    assert_close(C.unfold(xe, 2), TF.unfold(xt, 2))


def _t(*shape):
    return ember.tensor(rng.standard_normal(shape))


BAD = [
    (
        lambda: C.conv2d(_t(2, 1, 5, 5), _t(4, 3, 3, 3)),
        RuntimeError,
        "Given groups=1, weight of size [4, 3, 3, 3], expected input[2, 1, 5, 5] to have 3 "
        "channels, but got 1 channels instead",
    ),
    (
        lambda: C.conv2d(_t(5, 5), _t(4, 3, 3, 3)),
        RuntimeError,
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 2, 2), _t(4, 3, 3, 3)),
        RuntimeError,
        "Kernel size can't be greater than actual input size",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(3, 3, 3, 3), groups=2),
        RuntimeError,
        "expected weight to be divisible by 2 at dimension 0",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(5)),
        RuntimeError,
        "expected bias to be 1-dimensional with 4 elements, but got bias of size [5]",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), stride=0),
        RuntimeError,
        "non-positive stride is not supported",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), padding=-1),
        RuntimeError,
        "negative padding is not supported",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), dilation=0),
        RuntimeError,
        "non-positive dilation is not supported",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), groups=0),
        RuntimeError,
        "non-positive groups is not supported",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), stride=2, padding="same"),
        RuntimeError,
        "padding='same' is not supported for strided convolutions",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), padding="foo"),
        RuntimeError,
        "Invalid padding string: 'foo'",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), stride=(1, 1, 1)),
        RuntimeError,
        "expected stride to be a single integer value or a list of 2 values",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3).float()),
        RuntimeError,
        "expected scalar type Double but found Float",
    ),
    (
        lambda: C.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(4).float()),
        RuntimeError,
        "Input type (double) and bias type (float) should be the same",
    ),
    (
        lambda: C.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 4, 3, 3), output_padding=1),
        RuntimeError,
        "output padding must be smaller than either stride or dilation",
    ),
    (
        lambda: C.conv_transpose2d(_t(2, 3, 5, 5), _t(4, 4, 3, 3)),
        RuntimeError,
        "Given transposed=1, weight of size [4, 4, 3, 3], expected input[2, 3, 5, 5] to have 4 "
        "channels, but got 3 channels instead",
    ),
    (
        lambda: C.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 4, 3, 3), padding="same"),
        TypeError,
        "argument 'padding' must be tuple of ints, not str",
    ),
    (lambda: C.unfold(_t(2, 3, 4, 4), 5), RuntimeError, "but its components must be at least one"),
    (lambda: C.unfold(_t(4), 2), NotImplementedError, "Only 3D or 4D input Tensors"),
    (
        lambda: C.fold(_t(2, 12, 8), (4, 4), 2),
        RuntimeError,
        "expected size of input's dimension 2 to match the calculated number of sliding blocks "
        "3 * 3 = 9, but got input.size(2)=8",
    ),
    (
        lambda: C.fold(_t(2, 11, 9), (4, 4), 2),
        RuntimeError,
        "Expected size of input's dimension 1 to be divisible by the product of kernel_size",
    ),
]


@pytest.mark.parametrize("fn, exc, msg", BAD, ids=range(len(BAD)))
def test_bad_inputs_raise_like_torch(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)
