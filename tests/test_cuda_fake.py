"""The CUDA backend's plumbing, run everywhere on a stand-in GPU (tests/fake_cupy.py).

Each op runs on the CPU and on the fake 'cuda' device from the same inputs; the results must
live on the device and match the CPU's, and so must the gradients. The fake is as strict as CuPy
about host/device mixing, so an op that leaks a NumPy array into device code fails here.
"""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest
from fake_cupy import installed

import ember
import ember.nn.functional as F


@pytest.fixture
def fake_cuda():
    with installed() as cp:
        yield cp


def _r(*shape, lo=-2.0, hi=2.0, grad=True, dtype=ember.float32):
    t = ember.rand(*shape, dtype=dtype) * (hi - lo) + lo
    return t.requires_grad_(grad)


def _i(*shape, hi=5):
    return ember.randint(0, hi, shape)


def _pos(*shape):
    return _r(*shape, lo=0.1, hi=2.0)


# (id, function of the inputs, inputs): inputs are CPU tensors; float ones requiring grad are
# differentiated on both devices.
OPS = [
    ("add_bcast", lambda a, b: a + b, lambda: [_r(3, 4), _r(4)]),
    ("add_scalar", lambda a: a + 2.5, lambda: [_r(3)]),
    ("rsub_scalar", lambda a: 1 - a, lambda: [_r(3)]),
    ("sub_alpha", lambda a, b: ember.sub(a, b, alpha=2), lambda: [_r(2, 3), _r(2, 3)]),
    ("mul", lambda a, b: a * b, lambda: [_r(2, 3), _r(1, 3)]),
    ("div", lambda a, b: a / b, lambda: [_r(2, 3), _pos(2, 3)]),
    ("rdiv", lambda a: 2 / a, lambda: [_pos(4)]),
    ("pow", lambda a, b: a**b, lambda: [_pos(5), _r(5)]),
    ("pow_scalar", lambda a: a**3, lambda: [_r(5)]),
    ("int_ops", lambda a, b: (a + b, a * b, a // (b + 1), a % (b + 1)), lambda: [_i(6), _i(6)]),
    ("int_float_promote", lambda a, b: a * b, lambda: [_i(4), _r(4)]),
    ("maximum", ember.maximum, lambda: [_r(7), _r(7)]),
    ("minimum", ember.minimum, lambda: [_r(7), _r(7)]),
    ("atan2", ember.atan2, lambda: [_r(5), _r(5)]),
    ("remainder", ember.remainder, lambda: [_r(5), _pos(5)]),
    ("fmod", ember.fmod, lambda: [_r(5), _pos(5)]),
    ("where", lambda c, a, b: ember.where(c > 0, a, b), lambda: [_r(4, grad=False), _r(4), _r(4)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), lambda: [_r(9)]),
    ("clamp_tensor", lambda a, lo: a.clamp(min=lo), lambda: [_r(9), _r(9)]),
    ("lerp", ember.lerp, lambda: [_r(4), _r(4), _r(4, lo=0, hi=1)]),
    ("addcmul", lambda a, b, c: ember.addcmul(a, b, c, value=0.5), lambda: [_r(3), _r(3), _r(3)]),
    ("addcdiv", lambda a, b, c: ember.addcdiv(a, b, c, value=2), lambda: [_r(3), _r(3), _pos(3)]),
    (
        "compare",
        lambda a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b),
        lambda: [_i(8), _i(8)],
    ),
    (
        "logical",
        lambda a, b: (
            ember.logical_and(a, b),
            ember.logical_or(a, b),
            ember.logical_xor(a, b),
            ember.logical_not(a),
        ),
        lambda: [_i(8, hi=2).bool(), _i(8, hi=2).bool()],
    ),
    (
        "bitwise",
        lambda a, b: (a & b, a | b, a ^ b, ~a, a << 1, a >> 1),
        lambda: [_i(8, hi=64), _i(8, hi=64)],
    ),
    (
        "isclose",
        lambda a, b: (ember.isclose(a, b), ember.allclose(a, a), ember.equal(a, b)),
        lambda: [_r(5, grad=False), _r(5, grad=False)],
    ),
    (
        "isnan_isinf",
        lambda a: (a.isnan(), a.isinf(), a.isfinite(), a.nan_to_num()),
        lambda: [ember.tensor([1.0, float("nan"), float("inf"), -float("inf")])],
    ),
    (
        "round_family",
        lambda a: (a.floor(), a.ceil(), a.round(), a.trunc(), a.frac(), a.sign()),
        lambda: [_r(6, grad=False)],
    ),
    ("round_decimals", lambda a: ember.round(a, decimals=2), lambda: [_r(6, grad=False)]),
]
for _name, _lo, _hi in [
    ("exp", -2, 2),
    ("exp2", -2, 2),
    ("expm1", -2, 2),
    ("log", 0.1, 3),
    ("log2", 0.1, 3),
    ("log10", 0.1, 3),
    ("log1p", 0.1, 3),
    ("sqrt", 0.1, 3),
    ("rsqrt", 0.1, 3),
    ("sin", -3, 3),
    ("cos", -3, 3),
    ("tan", -1, 1),
    ("asin", -0.9, 0.9),
    ("acos", -0.9, 0.9),
    ("atan", -3, 3),
    ("sinh", -2, 2),
    ("cosh", -2, 2),
    ("tanh", -2, 2),
    ("asinh", -2, 2),
    ("acosh", 1.1, 3),
    ("atanh", -0.9, 0.9),
    ("sigmoid", -3, 3),
    ("erf", -2, 2),
    ("erfc", -2, 2),
    ("erfinv", -0.9, 0.9),
    ("abs", -2, 2),
    ("neg", -2, 2),
    ("reciprocal", 0.2, 2),
    ("square", -2, 2),
    ("logit", 0.1, 0.9),
    ("sinc", -2, 2),
    ("deg2rad", -2, 2),
]:
    OPS.append((_name, getattr(ember, _name), lambda lo=_lo, hi=_hi: [_r(3, 4, lo=lo, hi=hi)]))

OPS += [
    ("sum", lambda a: (a.sum(), a.sum(1), a.sum((0, 2), keepdim=True)), lambda: [_r(2, 3, 4)]),
    ("sum_int", lambda a: (a.sum(), a.sum(0)), lambda: [_i(3, 4)]),
    ("mean", lambda a: (a.mean(), a.mean(-1)), lambda: [_r(2, 3, 4)]),
    (
        "nansum",
        lambda a: (ember.nansum(a), ember.nanmean(a)),
        lambda: [ember.tensor([1.0, float("nan"), 2.0])],
    ),
    ("prod", lambda a: (a.prod(), a.prod(1)), lambda: [_r(3, 4)]),
    ("max_min", lambda a: (a.max(), a.min(), a.amax(0), a.amin(1)), lambda: [_r(3, 4)]),
    ("max_dim", lambda a: tuple(a.max(1)) + tuple(a.min(0)), lambda: [_r(3, 4)]),
    ("aminmax", lambda a: tuple(ember.aminmax(a, dim=1)), lambda: [_r(3, 4, grad=False)]),
    ("argmax", lambda a: (a.argmax(), a.argmax(1), a.argmin(0, keepdim=True)), lambda: [_r(3, 4)]),
    ("var_std", lambda a: (a.var(), a.std(1), a.var(0, unbiased=False)), lambda: [_r(3, 4)]),
    ("logsumexp", lambda a: a.logsumexp(1), lambda: [_r(3, 4)]),
    ("norm", lambda a: (a.norm(), a.norm(dim=1), a.norm(p=1)), lambda: [_r(3, 4)]),
    ("all_any", lambda a: (a.all(), a.any(1), a.count_nonzero()), lambda: [_i(3, 4, hi=2)]),
    ("cumsum", lambda a: (a.cumsum(1), a.cumprod(0)), lambda: [_r(3, 4)]),
    ("cummax", lambda a: tuple(a.cummax(1)), lambda: [_r(3, 4)]),
    ("sort", lambda a: tuple(a.sort(1)) + (a.argsort(0, descending=True),), lambda: [_r(3, 5)]),
    ("topk", lambda a: tuple(a.topk(2, dim=1)), lambda: [_r(3, 5)]),
    ("kthvalue", lambda a: tuple(a.kthvalue(2, 1)), lambda: [_r(3, 5)]),
    ("median", lambda a: (a.median(),) + tuple(a.median(1)), lambda: [_r(3, 5)]),
    (
        "reshape_view",
        lambda a: (a.reshape(4, 3), a.view(-1), a.flatten(), a.t().contiguous()),
        lambda: [_r(3, 4)],
    ),
    (
        "permute",
        lambda a: (a.permute(2, 0, 1), a.transpose(0, 2), a.movedim(0, -1)),
        lambda: [_r(2, 3, 4)],
    ),
    ("squeeze", lambda a: (a.squeeze(), a.unsqueeze(0), a.squeeze(1)), lambda: [_r(3, 1, 4)]),
    ("expand", lambda a: (a.expand(3, 4), a.broadcast_to((2, 3, 4))), lambda: [_r(3, 1)]),
    (
        "cat_stack",
        lambda a, b: (ember.cat([a, b]), ember.cat([a, b], 1), ember.stack([a, b])),
        lambda: [_r(2, 3), _r(2, 3)],
    ),
    (
        "split",
        lambda a: tuple(a.split(2)) + tuple(a.chunk(3, 1)) + tuple(a.unbind(1)),
        lambda: [_r(5, 3)],
    ),
    ("flip_roll", lambda a: (a.flip(0), a.roll(1, 1), a.fliplr()), lambda: [_r(3, 4)]),
    (
        "repeat",
        lambda a: (a.repeat(2, 1), a.tile((1, 2)), a.repeat_interleave(2, 0)),
        lambda: [_r(2, 3)],
    ),
    (
        "tri",
        lambda a: (a.tril(), a.triu(1), a.diagonal(), a.trace(), ember.diag(a[0])),
        lambda: [_r(4, 4)],
    ),
    (
        "narrow",
        lambda a: (a.narrow(1, 1, 2), a[1:, ::2], a[..., -1], a[None, 0]),
        lambda: [_r(3, 4)],
    ),
    ("index_tensor", lambda a, i: (a[i], a[:, i[:2]], a[i, i]), lambda: [_r(5, 5), _i(3)]),
    ("index_bool", lambda a: a[a > 0], lambda: [_r(3, 4)]),
    ("gather", lambda a, i: a.gather(1, i), lambda: [_r(3, 5), _i(3, 2)]),
    (
        "scatter",
        lambda a, i, s: (a.scatter(1, i, s), a.scatter_add(1, i, s)),
        lambda: [_r(3, 5), ember.tensor([[0, 1], [2, 3], [4, 0]]), _r(3, 2)],
    ),
    (
        "index_select",
        lambda a, i: (a.index_select(0, i), a.index_add(0, i, a[:3])),
        lambda: [_r(5, 2), ember.tensor([4, 0, 2])],
    ),
    ("masked", lambda a: (a.masked_fill(a > 0, 0.5), a.masked_select(a < 0)), lambda: [_r(3, 4)]),
    (
        "take",
        lambda a, i: (a.take(i), ember.take_along_dim(a, i.view(1, -1), 1)),
        lambda: [_r(3, 4), _i(3, hi=4)],
    ),
    (
        "nonzero",
        lambda a: (a.nonzero(), ember.argwhere(a), ember.where(a)),
        lambda: [_i(3, 4, hi=2)],
    ),
    (
        "bincount_unique",
        lambda a: (a.bincount(), a.unique(), tuple(a.unique(return_counts=True))),
        lambda: [_i(10)],
    ),
    ("matmul", lambda a, b: (a @ b, ember.mm(a, b)), lambda: [_r(3, 4), _r(4, 2)]),
    ("bmm", lambda a, b: (ember.bmm(a, b), a @ b[0]), lambda: [_r(2, 3, 4), _r(2, 4, 5)]),
    (
        "mv_dot",
        lambda a, v: (ember.mv(a, v), ember.dot(v, v), ember.outer(v, v)),
        lambda: [_r(3, 4), _r(4)],
    ),
    (
        "addmm",
        lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2),
        lambda: [_r(3), _r(3, 4), _r(4, 3)],
    ),
    (
        "tensordot",
        lambda a, b: ember.tensordot(a, b, dims=([1], [0])),
        lambda: [_r(3, 4), _r(4, 2)],
    ),
    ("cross", lambda a, b: ember.cross(a, b, dim=1), lambda: [_r(2, 3), _r(2, 3)]),
    ("einsum", lambda a, b: ember.einsum("ij,jk->ik", a, b), lambda: [_r(3, 4), _r(4, 2)]),
    (
        "dtype_casts",
        lambda a: (a.double(), a.half(), a.long(), a.bool(), a.to(ember.int32)),
        lambda: [_r(4, grad=False) * 3],
    ),
    (
        "like",
        lambda a: (
            ember.zeros_like(a),
            ember.ones_like(a),
            ember.full_like(a, 3),
            a.new_zeros(2),
            a.new_ones((2, 1)),
            a.new_full((2,), 7.0),
            a.new_tensor([1, 2]),
        ),
        lambda: [_r(2, 3, grad=False)],
    ),
    ("inplace", lambda a: a.clone().mul_(2).add_(1).clamp_(max=2).exp_(), lambda: [_r(4)]),
    ("setitem", lambda a, v: _setitem(a, v), lambda: [_r(3, 4), _r(4)]),
]


def _setitem(a, v):
    b = a.clone()
    b[1] = v
    b[:, 0] = 0.0
    b[b > 1] = -1.0
    return b


for _name, _fn, _shapes in [
    ("relu", "relu", (3, 4)),
    ("gelu", "gelu", (3, 4)),
    ("silu", "silu", (3, 4)),
    ("softmax", "softmax", (3, 4)),
    ("log_softmax", "log_softmax", (3, 4)),
    ("leaky_relu", "leaky_relu", (3, 4)),
    ("softplus", "softplus", (3, 4)),
    ("elu", "elu", (3, 4)),
    ("hardtanh", "hardtanh", (3, 4)),
]:
    OPS.append(
        (
            f"F.{_name}",
            lambda a, _fn=_fn: getattr(F, _fn)(a, **({"dim": -1} if "softmax" in _fn else {})),
            lambda s=_shapes: [_r(*s)],
        )
    )
OPS += [
    ("F.linear", lambda x, w, b: F.linear(x, w, b), lambda: [_r(2, 3), _r(4, 3), _r(4)]),
    ("F.cross_entropy", lambda x, t: F.cross_entropy(x, t), lambda: [_r(4, 5), _i(4, hi=5)]),
    (
        "F.nll_loss",
        lambda x, t: F.nll_loss(F.log_softmax(x, 1), t),
        lambda: [_r(4, 5), _i(4, hi=5)],
    ),
    ("F.mse_loss", lambda x, y: F.mse_loss(x, y), lambda: [_r(4, 5), _r(4, 5)]),
    (
        "F.conv2d",
        lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
        lambda: [_r(2, 3, 6, 6), _r(4, 3, 3, 3), _r(4)],
    ),
    (
        "F.conv2d_groups",
        lambda x, w: F.conv2d(x, w, stride=2, groups=2),
        lambda: [_r(1, 4, 7, 7), _r(2, 2, 3, 3)],
    ),
    ("F.max_pool2d", lambda x: F.max_pool2d(x, 2), lambda: [_r(2, 3, 6, 6)]),
    ("F.avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), lambda: [_r(2, 3, 7, 7)]),
    ("F.adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), lambda: [_r(2, 3, 6, 7)]),
    ("F.layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), lambda: [_r(3, 4), _r(4), _r(4)]),
    (
        "F.batch_norm",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda: [_r(4, 3, 2), _r(3), _r(3)],
    ),
    ("F.embedding", lambda i, w: F.embedding(i, w), lambda: [_i(2, 3, hi=6), _r(6, 4)]),
    ("F.dropout", lambda x: F.dropout(x, 0.5, training=True), lambda: [_r(5, 6)]),
    ("F.one_hot", lambda i: F.one_hot(i, 6), lambda: [_i(7, hi=6)]),
]


def _outputs(out):
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _outputs(o)]
    return [out]


def _run(fn, inputs):
    ember.manual_seed(1)  # random ops (dropout) draw the same numbers on both devices
    out = _outputs(fn(*inputs))
    grads = None
    diff = [o for o in out if isinstance(o, ember.Tensor) and o.requires_grad]
    leaves = [t for t in inputs if t.requires_grad]
    if diff and leaves:
        loss = sum(
            (o.float() * ember.linspace(0.5, 1.5, o.numel()).to(o.device).view(o.shape)).sum()
            for o in diff
        )
        grads = ember.autograd.grad(loss, leaves, allow_unused=True)
    return out, grads


@pytest.mark.parametrize("name,fn,make", OPS, ids=[o[0] for o in OPS])
def test_op_on_fake_cuda(fake_cuda, name, fn, make):
    inputs = make()
    try:
        cpu_out, cpu_grads = _run(fn, inputs)
    except Exception as e:  # CPU correctness is tested elsewhere; here only the device path
        pytest.skip(f"{name} fails on the CPU too: {type(e).__name__}: {e}")
    dev_inputs = [t.detach().to("cuda").requires_grad_(t.requires_grad) for t in inputs]
    dev_out, dev_grads = _run(fn, dev_inputs)
    assert len(dev_out) == len(cpu_out)
    for d, c in zip(dev_out, cpu_out):
        if isinstance(c, ember.Tensor):
            assert d.device == ember.device("cuda:0"), f"{name}: result left the device"
            assert d.dtype == c.dtype and d.shape == c.shape
            np.testing.assert_allclose(
                d.detach().cpu().numpy(), c.detach().numpy(), rtol=1e-6, atol=1e-6, equal_nan=True
            )
        else:
            assert d == c
    if cpu_grads is not None:
        for d, c in zip(dev_grads, cpu_grads):
            assert (d is None) == (c is None)
            if c is not None:
                assert d.device == ember.device("cuda:0")
                np.testing.assert_allclose(d.cpu().numpy(), c.numpy(), rtol=1e-6, atol=1e-6)


def test_creation_on_device(fake_cuda):
    for t in [
        ember.zeros(2, 3, device="cuda"),
        ember.ones(2, device="cuda:0"),
        ember.full((2,), 3.0, device="cuda"),
        ember.arange(5, device="cuda"),
        ember.linspace(0, 1, 5, device="cuda"),
        ember.eye(3, device="cuda"),
        ember.empty(2, device="cuda"),
        ember.rand(3, device="cuda"),
        ember.randn(3, device="cuda"),
        ember.randint(0, 5, (3,), device="cuda"),
        ember.randperm(4, device="cuda"),
        ember.tensor([1, 2], device="cuda"),
        ember.as_tensor([1.0, 2.0], device="cuda"),
    ]:
        assert t.device == ember.device("cuda:0") and t.is_cuda and not t.is_cpu
    ember.manual_seed(3)
    a = ember.randn(4, device="cuda")
    ember.manual_seed(3)
    b = ember.randn(4)
    assert ember.equal(a.cpu(), b)  # one generator serves every device


def test_transfers_and_conversions(fake_cuda):
    x = ember.arange(6.0).view(2, 3)
    y = x.cuda()
    assert y.device.type == "cuda" and y.device.index == 0
    assert y.cuda() is y and y.to("cuda:0") is y and x.cpu() is x
    assert ember.equal(y.cpu(), x) and y.cpu().device == ember.device("cpu")
    assert y.tolist() == x.tolist() and y[1, 2].item() == 5.0
    assert float(y[0, 1]) == 1.0 and int(y[1, 0]) == 3 and bool(y[0, 1])
    z = x.to("cuda", ember.float64, non_blocking=True)
    assert z.dtype == ember.float64 and z.is_cuda
    assert x.to(y).is_cuda and y.to(x).is_cpu
    assert x.to(device=ember.device("cuda", 1)).device == ember.device("cuda:1")
    assert x.cuda(1).device.index == 1 and x.cuda("cuda:1").device.index == 1
    assert "device='cuda:0'" in repr(y)
    assert y.type() == "ember.cuda.FloatTensor"
    assert ember.tensor(y).is_cuda  # a copy stays on the tensor's device
    assert y.data.is_cuda and y.detach().is_cuda and y.clone().is_cuda
    assert y.new_zeros(2).is_cuda and y.new_tensor([1.0]).is_cuda


def test_numpy_on_cuda_raises_and_force_copies(fake_cuda):
    y = ember.ones(3).cuda()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()
    a = y.numpy(force=True)
    assert type(a) is np.ndarray and a.tolist() == [1.0, 1.0, 1.0]
    a[0] = 5.0
    assert y[0].item() == 1.0


def test_same_device_check(fake_cuda):
    a = ember.ones(3, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + ember.ones(3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.ones(3) * a
    with pytest.raises(RuntimeError, match="cuda:0 and cuda:1"):
        ember.mul(a, ember.ones(3, device="cuda:1"))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.matmul(ember.ones(2, 3, device="cuda"), ember.ones(3, 2))


def test_gradients_flow_across_devices(fake_cuda):
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.cuda() * ember.tensor([2.0, 3.0, 4.0], device="cuda")).sum()
    y.backward()
    assert x.grad.is_cpu and x.grad.tolist() == [2.0, 3.0, 4.0]
    w = ember.ones(2, device="cuda", requires_grad=True)
    (w.cpu() * 3).sum().backward()
    assert w.grad.is_cuda and w.grad.tolist() == [3.0, 3.0]


def test_current_device_and_context(fake_cuda):
    assert ember.cuda.current_device() == 0
    with ember.cuda.device(1):
        assert ember.cuda.current_device() == 1
        assert ember.zeros(2, device="cuda").device == ember.device("cuda:1")
        with ember.cuda.device("cuda:0"):
            assert ember.cuda.current_device() == 0
        assert ember.ones(1).cuda().device.index == 1
    assert ember.cuda.current_device() == 0
    with ember.cuda.device(None):
        assert ember.cuda.current_device() == 0
    ember.cuda.set_device(1)
    try:
        assert ember.cuda.current_device() == 1 and ember.ones(1).cuda().device.index == 1
        with ember.cuda.device_of(ember.ones(1, device="cuda:0")):
            assert ember.cuda.current_device() == 0
    finally:
        ember.cuda.set_device(0)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        ember.cuda.set_device("cpu")


def test_device_queries(fake_cuda):
    assert ember.cuda.is_available() and ember.cuda.device_count() == 2
    p = ember.cuda.get_device_properties(0)
    assert p.name == "Fake CUDA Device" == ember.cuda.get_device_name()
    assert p.total_memory == 16 << 30 and p.multi_processor_count == 4
    assert ember.cuda.get_device_capability("cuda:1") == (8, 0)
    assert "Fake CUDA Device" in repr(p) and ember.cuda.is_bf16_supported()
    with pytest.raises(AssertionError, match="Invalid device id"):
        ember.cuda.get_device_properties(5)
    free, total = ember.cuda.mem_get_info()
    assert 0 < free <= total
    ember.cuda.synchronize()
    ember.cuda.synchronize("cuda:1")
    assert ember.cuda.is_initialized()
    ember.cuda.manual_seed(5)
    assert ember.cuda.initial_seed() == 5
    ember.cuda.manual_seed_all(6)
    assert ember.cuda.initial_seed() == 6
    s = ember.cuda.get_rng_state()
    a = ember.rand(3, device="cuda")
    ember.cuda.set_rng_state(s)
    assert ember.equal(a, ember.rand(3, device="cuda"))


def test_accelerator(fake_cuda):
    assert ember.accelerator.is_available()
    assert ember.accelerator.current_accelerator() == ember.device("cuda")
    assert ember.accelerator.device_count() == 2
    assert ember.accelerator.current_device_index() == 0
    with ember.accelerator.device_index(1):
        assert ember.accelerator.current_device_index() == 1
    ember.accelerator.synchronize()


def test_memory_statistics(fake_cuda):
    gc.collect()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.memory_allocated()
    x = ember.zeros(1000, device="cuda")  # 4000 bytes, rounded up to the allocator's 512
    assert ember.cuda.memory_allocated() - base == 4096
    assert ember.cuda.memory_allocated("cuda:1") == ember.cuda.memory_allocated(1)
    y = x + 1
    peak = ember.cuda.max_memory_allocated()
    assert peak >= base + 2 * 4096
    del x, y
    gc.collect()
    assert ember.cuda.memory_allocated() == base
    assert ember.cuda.max_memory_allocated() == peak  # the peak stays until reset
    assert ember.cuda.memory_reserved() >= peak
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == base
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() == base
    stats = ember.cuda.memory_stats()
    assert stats["allocated_bytes.all.current"] == base
    assert "allocated_bytes" in ember.cuda.memory_summary()


def test_streams_and_events(fake_cuda):
    s = ember.cuda.Stream()
    assert s.device == ember.device("cuda:0") and s.query()
    cur = ember.cuda.current_stream()
    assert cur == ember.cuda.default_stream()
    start = ember.cuda.Event(enable_timing=True)
    end = ember.cuda.Event(enable_timing=True)
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        start.record()
        y = ember.ones(100, device="cuda") * 2
        end.record()
    assert ember.cuda.current_stream() == cur
    s.synchronize()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) >= 0.0
    assert y.sum().item() == 200.0
    with s:
        assert ember.cuda.current_stream() == s
    cur.wait_stream(s)
    ev = s.record_event()
    ev.wait()
    with pytest.raises(RuntimeError, match="must be recorded"):
        ember.cuda.Event(enable_timing=True).elapsed_time(end)
    untimed = ember.cuda.Event()
    untimed.record()
    with pytest.raises(RuntimeError):
        untimed.elapsed_time(end)


def test_pin_memory(fake_cuda):
    x = ember.arange(4.0)
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.is_cpu and ember.equal(p, x)
    assert p.pin_memory() is p
    assert p.to("cuda", non_blocking=True).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        p.cuda().pin_memory()


def test_small_model_trains_the_same(fake_cuda):
    nn = ember.nn
    if not hasattr(nn, "Linear"):
        pytest.skip("nn.Linear is not available yet")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(self.fc1(x).tanh())

    def train(device):
        ember.manual_seed(0)
        model = Net().to(device)
        x = ember.randn(16, 4).to(device)
        t = ember.randint(0, 3, (16,)).to(device)
        for _ in range(3):
            loss = F.log_softmax(model(x), 1).gather(1, t.view(-1, 1)).mean().neg()
            for p in model.parameters():
                p.grad = None
            loss.backward()
            with ember.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
        return model, loss

    cpu_model, cpu_loss = train("cpu")
    dev_model, dev_loss = train("cuda")
    assert all(p.is_cuda for p in dev_model.parameters())
    np.testing.assert_allclose(dev_loss.item(), cpu_loss.item(), rtol=1e-6)
    for p, q in zip(dev_model.parameters(), cpu_model.parameters()):
        np.testing.assert_allclose(
            p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6
        )
    assert all(p.is_cpu for p in dev_model.cpu().parameters())
    assert all(p.device.index == 1 for p in dev_model.cuda(1).parameters())


def test_checkpoint_moves_between_devices(fake_cuda, tmp_path):
    try:
        from ember import load, save  # noqa: F401
    except ImportError as e:
        pytest.skip(f"serialization is not available yet: {e}")
    t = ember.arange(3.0, device="cuda")
    f = tmp_path / "t.pt"
    ember.save({"t": t}, f)
    back = ember.load(f, map_location="cpu")["t"]
    assert back.is_cpu and back.tolist() == [0.0, 1.0, 2.0]
    again = ember.load(f)["t"]
    assert again.is_cuda and again.tolist() == [0.0, 1.0, 2.0]
    f2 = tmp_path / "c.pt"
    ember.save({"t": ember.ones(2)}, f2)
    assert ember.load(f2, map_location="cuda")["t"].is_cuda


def test_forked_child_cannot_use_cuda(fake_cuda):
    ember.ones(1, device="cuda")  # CUDA is in use in this (parent) process
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what .cuda() does, then leave without cleanup
        try:
            ember.ones(1).cuda()
            msg = b"no error"
        except RuntimeError as e:
            msg = str(e).encode()
        os.write(w, msg)
        os._exit(0)
    os.close(w)
    msg = os.read(r, 1000).decode()
    os.close(r)
    os.waitpid(pid, 0)
    assert "Cannot re-initialize CUDA in forked subprocess" in msg


def test_without_cuda():
    """Outside the fake, this machine has no GPU: clear errors, statistics read 0."""
    if ember.cuda.is_available():
        pytest.skip("a real GPU is present")
    assert ember.cuda.device_count() == 0 and not ember.accelerator.is_available()
    assert ember.accelerator.current_accelerator() is None
    assert ember.cuda.memory_allocated() == 0 and ember.cuda.max_memory_allocated() == 0
    ember.cuda.empty_cache()
    ember.cuda.manual_seed(0)
    for make in [
        lambda: ember.ones(2).cuda(),
        lambda: ember.ones(2).to("cuda"),
        lambda: ember.zeros(2, device="cuda"),
        ember.cuda.current_device,
        ember.cuda.synchronize,
        ember.cuda.Stream,
    ]:
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            make()
    x = ember.ones(2)
    assert x.pin_memory() is x and not x.is_pinned()


def test_dataloader_pins_batches(fake_cuda):
    data = pytest.importorskip("ember.utils.data")
    ds = data.TensorDataset(ember.arange(12.0).view(6, 2), ember.arange(6))
    batches = list(data.DataLoader(ds, batch_size=4, pin_memory=True))
    assert all(x.is_pinned() and y.is_pinned() for x, y in batches)
    assert ember.cat([y for _, y in batches]).tolist() == list(range(6))


NCCL_WORKER = """
from fake_cupy import installed

with installed():
    assert dist.is_nccl_available()
    dist.init_process_group("nccl", timeout=30)
    t = ember.arange(6.0, device="cuda").view(2, 3).t()  # not contiguous: staged and copied back
    dist.all_reduce(t)
    check(t, np.arange(6.0).reshape(2, 3).T, "nccl all_reduce")
    b = ember.ones(4, dtype=ember.float16, device="cuda")
    w = dist.broadcast(b, src=0, async_op=True)
    assert w.wait() and b.is_cuda
    out = ember.zeros(3, dtype=ember.int64, device="cuda")
    dist.all_gather_into_tensor(out, ember.tensor([1, 2, 3], device="cuda"))
    check(out, [1, 2, 3], "nccl all_gather_into_tensor")
    rs = ember.zeros(2, device="cuda")
    dist.reduce_scatter_tensor(rs, ember.tensor([5.0, 6.0], device="cuda"), op=ReduceOp.MAX)
    check(rs, [5.0, 6.0], "nccl reduce_scatter_tensor")
    flags = ember.tensor([True, False], device="cuda")
    dist.all_reduce(flags)
    check(flags, [True, False], "nccl bool all_reduce")
    try:
        dist.all_reduce(ember.ones(2, device="cuda"), op=ReduceOp.BAND)
    except ValueError:
        pass
    else:
        raise AssertionError("BAND on floats did not raise")
    dist.all_reduce(ember.ones(1))  # CPU tensors still go through MPI
    dist.destroy_process_group()
print("rank", dist.get_rank() if dist.is_initialized() else 0, "ok")
"""


def test_nccl_plumbing_on_one_rank(tmp_path):
    """The NCCL path's staging, dtype and op mapping, on the fake's one-rank NCCL."""
    from test_distributed import _mpi_ready, _ok, launch

    if _mpi_ready() is not None:
        pytest.skip(_mpi_ready())
    proc, _ = launch(tmp_path, NCCL_WORKER, nproc=1)
    _ok(proc)
    assert "ok" in proc.stdout


@pytest.fixture
def default_cuda(fake_cuda):
    ember.set_default_device("cuda")
    try:
        yield fake_cuda
    finally:
        ember.set_default_device(None)


def test_set_default_device_moves_factories_not_derived_tensors(default_cuda):
    on_cuda = [
        ember.zeros(2),
        ember.ones(2, 3),
        ember.empty(2),
        ember.full((2,), 1.5),
        ember.arange(3),
        ember.linspace(0, 1, 4),
        ember.eye(2),
        ember.rand(2),
        ember.randn(2),
        ember.randint(0, 4, (2,)),
        ember.randperm(3),
        ember.normal(0.0, 1.0, (2,)),
        ember.tensor([1.0, 2.0]),
        ember.as_tensor(np.zeros(2)),
        ember.Tensor(2, 3),
        ember.nn.Linear(3, 2).weight,
    ]
    assert all(t.is_cuda for t in on_cuda)
    assert ember.get_default_device() == ember.device("cuda")
    cpu = ember.zeros(2, device="cpu")
    derived = [
        ember.zeros(2, device="cpu"),
        ember.from_numpy(np.zeros(2)),
        ember.zeros_like(cpu),
        ember.randn_like(cpu),
        cpu.new_zeros(3),
        cpu.new_tensor([1.0]),
        ember.tensor(cpu),
        ember.as_tensor(cpu),
        ember.normal(cpu, 1.0),
        cpu + 1,
    ]
    assert all(t.is_cpu for t in derived)


def test_device_as_context_manager_nests(fake_cuda):
    assert ember.zeros(1).is_cpu
    with ember.device("cuda"):
        assert ember.zeros(1).is_cuda and ember.get_default_device() == ember.device("cuda")
        with ember.device("cpu"):
            assert ember.zeros(1).is_cpu and ember.get_default_device() == ember.device("cpu")
        assert ember.zeros(1).is_cuda
    assert ember.zeros(1).is_cpu and ember.get_default_device() == ember.device("cpu")
