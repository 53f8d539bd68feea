"""Small PyTorch names scripts touch: layouts and backend flags, the legacy ``x.new``,
cfloat/cdouble, adjoint, narrow_copy, the unsafe_* splits and nn.DataParallel."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from fake_cupy import installed

import ember

torch = pytest.importorskip("torch")

FLAGS = "is_meta is_mps is_xpu is_ipu is_xla is_vulkan is_mtia is_maia is_mkldnn is_sparse".split()
FLAGS += ["is_sparse_csr", "is_quantized", "is_nested"]


def _pair(a):
    return torch.tensor(a), ember.tensor(a)


def test_layout_and_backend_flags_match_torch():
    t, e = _pair(np.zeros((2, 3), np.float32))
    assert repr(e.layout) == repr(t.layout).replace("torch", "ember") == "ember.strided"
    assert e.layout == ember.strided and e.layout != ember.sparse_coo
    assert pickle.loads(pickle.dumps(ember.strided)) is ember.strided
    for name in FLAGS:
        assert getattr(e, name) is getattr(t, name) is False, name


@pytest.mark.parametrize(
    "args",
    [(), (2, 3), ((2, 3),), ([1, 2],), (np.ones(3),)],
    ids=["empty", "ints", "tuple", "list", "array"],
)
def test_legacy_new_matches_torch(args):
    t, e = _pair(np.zeros(2, np.float64))
    targs = [torch.Size(a) if isinstance(a, tuple) else a for a in args]
    tr, er = t.new(*targs), e.new(*args)
    assert tuple(er.shape) == tuple(tr.shape) and str(er.dtype)[6:] == str(tr.dtype)[6:]
    if args and not isinstance(args[0], (int, tuple)):
        np.testing.assert_array_equal(er.numpy(), tr.numpy())
    assert e.new(2, dtype=ember.int32).dtype == ember.int32


def test_cfloat_cdouble_adjoint_match_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))
    t, e = _pair(a)
    for name, dt in (("cfloat", "complex64"), ("cdouble", "complex128")):
        assert str(getattr(e.real, name)().dtype) == f"ember.{dt}"
        assert str(getattr(t.real, name)().dtype) == f"torch.{dt}"
    np.testing.assert_allclose(ember.adjoint(e).numpy(), torch.adjoint(t).resolve_conj().numpy())
    np.testing.assert_allclose(e.adjoint().numpy(), t.adjoint().resolve_conj().numpy())
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="only supported on matrices or batches of matrices"):
            lib.zeros(3).adjoint()
    x = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: v.adjoint() * 2, (x,))


def test_narrow_copy_and_unsafe_splits_match_torch():
    t, e = _pair(np.arange(12.0).reshape(3, 4))
    c = e.narrow_copy(1, 1, 2)
    np.testing.assert_array_equal(c.numpy(), t.narrow_copy(1, 1, 2).numpy())
    c.fill_(-1)
    assert float(e.min()) == 0  # a copy, not a view
    cases = [
        ("unsafe_chunk", (3, 1)),
        ("unsafe_split", (2, 1)),
        ("unsafe_split_with_sizes", ([1, 3], 1)),
    ]
    for name, args in cases:
        got, want = getattr(ember, name)(e, *args), getattr(torch, name)(t, *args)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w.numpy())
        assert [x.shape for x in getattr(e, name)(*args)] == [x.shape for x in got]


def test_data_parallel_matches_torch_on_the_cpu():
    rng = np.random.default_rng(1)
    w, b, x = rng.standard_normal((2, 3)), rng.standard_normal(2), rng.standard_normal((4, 3))
    res = []
    for lib in (torch, ember):
        inner = lib.nn.Linear(3, 2).double()
        inner.load_state_dict({"weight": lib.tensor(w), "bias": lib.tensor(b)})
        model = lib.nn.DataParallel(inner)
        out = model(lib.tensor(x))
        (out * out).sum().backward()
        assert model.module is inner and model.device_ids == []
        assert not hasattr(model, "output_device")
        res.append((list(model.state_dict()), out.detach().numpy(), inner.weight.grad.numpy()))
    assert res[0][0] == res[1][0] == ["module.weight", "module.bias"]
    for a, b_ in zip(res[0][1:], res[1][1:]):
        np.testing.assert_allclose(b_, a, rtol=1e-12)


def test_data_parallel_runs_on_the_first_device():
    with installed():
        model = ember.nn.DataParallel(ember.nn.Linear(3, 2))
        assert model.device_ids == list(range(ember.cuda.device_count()))
        assert model.output_device == 0
        with pytest.raises(RuntimeError, match=r"parameters and buffers on device cuda:0"):
            model(ember.randn(4, 3))
        model.cuda()
        out = model(
            ember.randn(4, 3),
        )  # a CPU input goes to device_ids[0]
        assert out.is_cuda
        with pytest.raises(ValueError, match="expects CUDA devices"):
            ember.nn.DataParallel(ember.nn.Linear(3, 2), device_ids=["cpu"])


def _post_hook_run(lib):
    x = lib.ones(2, requires_grad=True)
    seen, order = [], []
    x.register_hook(lambda g: order.append("pre"))

    def post(t):
        order.append("post")
        seen.append(t.grad.clone())

    h = x.register_post_accumulate_grad_hook(post)
    (x * 3).sum().backward()
    (x * 2).sum().backward()
    h.remove()
    (x * 2).sum().backward()
    lib.autograd.grad((x * 4).sum(), [x])  # grad() accumulates nothing: no post hook
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lib.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    y = lib.ones(2, requires_grad=True)
    y.register_post_accumulate_grad_hook(lambda t: t.grad)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks should return None"):
        (y * 1).sum().backward()
    return [v.tolist() for v in seen], order, x.grad.tolist()


def test_post_accumulate_grad_hook_matches_torch():
    want, got = _post_hook_run(torch), _post_hook_run(ember)
    assert got == want
    assert got[0] == [[3.0, 3.0], [5.0, 5.0]] and got[1][:2] == ["pre", "post"]


@pytest.mark.parametrize(
    "shape, dim, keepdim",
    [
        ((2, 5), 1, False),
        ((4, 7, 3), 1, True),
        ((6,), 0, False),
        ((3, 4), 0, False),
        ((), 0, False),
    ],
)
def test_mode_matches_torch(shape, dim, keepdim):
    a = np.random.default_rng(0).integers(0, 3, shape).astype(np.float64)
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    tv, ti = torch.mode(t, dim, keepdim)
    ev, ei = ember.mode(e, dim, keepdim)
    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())  # the last occurrence of the mode
    (tv * 2).sum().backward()
    (ev * 2).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(e.mode(dim, keepdim).values.detach().numpy(), ev.detach().numpy())


def test_mode_of_empty_dim_raises():
    for lib in (torch, ember):
        with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
            lib.mode(lib.zeros(2, 0), 1)


@pytest.mark.parametrize(
    "kw",
    [
        {"bins": 4, "range": (0.0, 4.0)},
        {"bins": 7},
        {"bins": 5, "density": True},
        {"bins": 3, "w": 1},
    ],
    ids=["range", "minmax", "density", "weight"],
)
def test_histogram_matches_torch(kw):
    rng = np.random.default_rng(0)
    a, w = rng.standard_normal(50).astype(np.float32), rng.random(50).astype(np.float32)
    res = []
    for lib in (torch, ember):
        k = {n: v for n, v in kw.items() if n != "w"}
        if "w" in kw:
            k["weight"] = lib.tensor(w)
        res.append(lib.histogram(lib.tensor(a), **k))
    for got, want in zip(res[1], res[0]):
        assert str(got.dtype)[6:] == str(want.dtype)[6:]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)
    edges = np.array([-1.0, 0.0, 0.5, 2.0], np.float32)
    got = ember.tensor(a).histogram(ember.tensor(edges)).hist
    np.testing.assert_array_equal(got.numpy(), torch.tensor(a).histogram(torch.tensor(edges)).hist)
    for lib in (torch, ember):
        with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Long'"):
            lib.histogram(lib.tensor([1, 2]), bins=2)


def _resize_run(lib):
    out = []
    x = lib.arange(6.0)
    out += [x.resize_(2, 3) is x, tuple(x.shape), x.tolist()]
    x = lib.arange(6.0)
    v = x[:3]
    x.resize_(2)
    x[0] = 9.0  # shrinking keeps the memory, so the view sees it
    out += [x.tolist(), v.tolist()]
    x = lib.arange(4.0)
    x.resize_((2, 3))
    out += [tuple(x.shape), x.flatten()[:4].tolist()]
    x = lib.arange(4.0)
    out.append(tuple(x.resize_as_(lib.zeros(2, 2)).shape))
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        lib.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError):
        lib.ones(2).resize_(-1)
    return out


def test_resize_matches_torch():
    assert _resize_run(ember) == _resize_run(torch)
