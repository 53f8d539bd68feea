"""The Tensor object: attributes, python conversions, repr, NumPy/DLPack interop, devices."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from conftest import torch

import ember

# ``repr`` equals PyTorch's with 'torch' replaced by 'ember' ({m} names the library).
REPRS = [
    "tensor([1.0, 2.5, -3.0])",
    "tensor([[1, 2], [3, 4]])",
    "tensor(3.5)",
    "tensor([True, False])",
    "tensor([1e-5, 1.0])",
    "tensor([1e10, 1.0])",
    "tensor([], dtype={m}.float32)",
    "zeros(0, 3)",
    "tensor([1.0, 2.0], dtype={m}.float64)",
    "tensor([1, 2], dtype={m}.int32)",
    "tensor([1.5], requires_grad=True)",
    "tensor([float('nan'), float('inf'), 1.0])",
    "arange(2000.0)",
    "tensor([[0.1234567, 100.5], [3.0, -4.25]])",
    "tensor(2, dtype={m}.uint8)",
    "tensor([1.0, 2.0], dtype={m}.float16)",
    "tensor([1.0, 2.0], dtype={m}.bfloat16)",
    "ones(2, 3, 4)",
    "tensor([1.0, 2.0], requires_grad=True) * 2",
    "tensor([123456789.0])",
    "tensor([0.0, -0.0])",
    "tensor([1e-10, 1e-12])",
    "arange(12).reshape(3, 4).float() / 7",
    "tensor([[True]])",
    "tensor(-0.5)",
    "tensor([100.0, 0.001])",
    "linspace(0, 1, 101)",
    "tensor([[1.0], [2.0]]).expand(2, 3)",
    "arange(3000).reshape(30, 100)",
    "arange(24.0).reshape(2, 3, 4) - 5",
    "arange(2000.0).reshape(2, 10, 100) / 3",
    "tensor([float('-inf'), 2.5])",
    "tensor([float('nan')])",
    "zeros(2, 0, 3, dtype={m}.int32)",
    "arange(40.0, requires_grad=True).reshape(4, 10) * 1.5",
    "tensor([1, -1], dtype={m}.int8)",
    "tensor([[1e-3, 5.0], [1e3, 2.0]])",
    "full((3,), 1e9)",
    "arange(1600).reshape(40, 40) > 3",
    "tensor([1.0, 2.0], requires_grad=True).sum()",
    "tensor([[1.0, 2.0]]).t()",
]


@pytest.mark.parametrize("expr", REPRS)
def test_repr_matches_torch(expr):
    expected = repr(eval("torch." + expr.format(m="torch"))).replace("torch", "ember")
    assert repr(eval("ember." + expr.format(m="ember"))) == expected


def test_printoptions():
    x = ember.tensor([1.123456, 2.0])
    t = torch.tensor([1.123456, 2.0])
    try:
        for kw in [
            dict(precision=2),
            dict(sci_mode=True),
            dict(threshold=3, edgeitems=1),
            dict(linewidth=20),
        ]:
            ember.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            y, u = ember.arange(10.0) * 1.5, torch.arange(10.0) * 1.5
            assert repr(x) == repr(t).replace("torch", "ember")
            assert repr(y) == repr(u).replace("torch", "ember")
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_attributes():
    x = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == ember.Size([2, 3]) and x.size(-1) == 3
    assert repr(x.shape) == "ember.Size([2, 3])" and x.shape.numel() == 6
    assert x.dtype is ember.float32 and x.device == ember.device("cpu") and x.is_cpu
    assert x.ndim == x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.requires_grad is False and x.grad is None and x.grad_fn is None and x.is_leaf
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2) and x.stride() == (3, 1)
    assert x.t().is_contiguous() is False and x.is_contiguous()
    assert x.is_floating_point() and not x.is_complex() and x.element_size() == 4
    assert x.nbytes == 24 and x.itemsize == 4
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)
    y = ember.ones(2, 3, 4)
    assert y.mT.shape == (2, 4, 3)


def test_python_conversions():
    x = ember.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert isinstance(ember.tensor(3).item(), int) and ember.tensor(True).item() is True
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]] and ember.tensor(2.0).tolist() == 2.0
    assert [r.tolist() for r in x] == [[1.5, 2.0], [3.0, 4.0]]
    assert float(x[0, 0]) == 1.5 and int(x[1, 1]) == 4 and bool(ember.tensor([1]))
    assert [0, 1, 2][ember.tensor(1)] == 1  # __index__
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    for bad, exc in [
        (lambda: x.item(), RuntimeError),
        (lambda: bool(x), RuntimeError),
        (lambda: len(ember.tensor(1.0)), TypeError),
        (lambda: iter(ember.tensor(1.0)), TypeError),
        (lambda: [0][ember.tensor(0.5)], TypeError),
    ]:
        with pytest.raises(exc):
            bad()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value"):
        bool(x)
    with pytest.raises(RuntimeError, match="a Tensor with 4 elements cannot be converted"):
        x.item()


def test_numpy_interop():
    x = ember.tensor([1.0, 2.0])
    a = x.numpy()
    a[0] = 9
    assert x[0].item() == 9  # shares memory, as in PyTorch
    assert np.asarray(x).dtype == np.float32 and np.array(x, dtype=np.float64).dtype == np.float64
    y = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        y.numpy()
    assert y.detach().numpy().tolist() == [1.0]
    assert y.numpy(force=True).tolist() == [1.0]
    assert (np.ones(2) + ember.ones(2)).__class__ is ember.Tensor  # NumPy defers to Tensor


def test_dlpack_both_ways():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    t = torch.from_dlpack(x)
    assert t.tolist() == x.tolist()
    t[0, 0] = 7  # zero-copy
    assert x[0, 0].item() == 7
    assert np.from_dlpack(x).tolist() == x.tolist()
    assert x.__dlpack_device__()[0] == 1  # kDLCPU
    back = ember.from_dlpack(torch.arange(3))
    assert back.tolist() == [0, 1, 2] and back.dtype is ember.int64


def test_copy_pickle_and_identity():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
    z = pickle.loads(pickle.dumps(ember.arange(3)))
    assert z.tolist() == [0, 1, 2]
    assert hash(x) != hash(y) and {x: 1}[x] == 1


def test_data_and_detach():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(2)  # through .data: no autograd error, values change
    assert x.tolist() == [2.0, 4.0]
    x.data = ember.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad
    y = (x * 2).detach_()
    assert not y.requires_grad and y.grad_fn is None
    assert ember.ones(2).requires_grad_().requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        (x * 2).requires_grad = False


def test_devices():
    assert str(ember.device("cuda:1")) == "cuda:1" and ember.device("cuda:1").index == 1
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    assert ember.device("cuda", 0) == ember.device("cuda:0") == "cuda:0"
    assert ember.device(ember.device("cpu")) == ember.device("cpu")
    for bad in ["gpu", "cuda:x", "cuda:-1"]:
        with pytest.raises(RuntimeError):
            ember.device(bad)
    x = ember.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(ember.device("cpu")) is x
    assert x.to("cpu", copy=True) is not x
    assert x.to(ember.float64).dtype is ember.float64 and x.to(x).dtype is ember.float32
    assert x.to("cpu", ember.int32).dtype is ember.int32
    assert x.to(dtype=ember.float16, device="cpu").dtype is ember.float16
    assert ember.ones(2, device="cpu").device.type == "cpu"
    assert isinstance(ember.cuda.is_available(), bool)
    assert isinstance(ember.accelerator.is_available(), bool)
    if not ember.cuda.is_available():
        assert ember.accelerator.current_accelerator() is None
        for fn in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: ember.ones(2, device="cuda")):
            with pytest.raises((RuntimeError, AssertionError)):
                fn()
    with pytest.raises(TypeError):
        x.to(object())


def test_methods_from_issue():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.eq(x).all() and x.view_as(ember.zeros(4)).shape == (4,)
    assert x.type_as(ember.zeros(1, dtype=ember.int32)).dtype is ember.int32
    assert x.new_zeros(3).dtype is ember.float32 and x.new_tensor([1, 2]).tolist() == [1.0, 2.0]
    c = x.clone()
    c[0, 0] = 5
    assert x[0, 0].item() == 1
    assert x.float().dtype is ember.float32 and x.long().dtype is ember.int64
    assert x.half().dtype is ember.float16 and x.double().dtype is ember.float64
    assert x.int().dtype is ember.int32 and x.bool().dtype is ember.bool
    assert x.short().dtype is ember.int16 and x.byte().dtype is ember.uint8
    assert x.char().dtype is ember.int8 and x.bfloat16().dtype is ember.bfloat16
    assert x.type() == "ember.FloatTensor" and x.long().type() == "ember.LongTensor"


def test_set_num_threads_reaches_blas_and_checks_its_argument():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(before)
    assert ember.get_num_threads() == before
    for bad, msg in (
        (0, "positive integer, but got 0"),
        (-2, "positive"),
        (1.5, "int, but got float"),
    ):
        with pytest.raises(RuntimeError, match=f"set_num_threads expects an? {msg}"):
            ember.set_num_threads(bad)


def test_lazy_submodules_import_and_missing_namespaces_are_attribute_errors():
    import importlib

    for name, target in ember._LAZY.items():
        assert getattr(ember, name) is importlib.import_module("ember" + target)
    for name in ember._NOT_YET:
        assert not hasattr(ember, name)
        with pytest.raises(AttributeError, match=f"does not implement torch.{name} yet"):
            getattr(ember, name)


def test_floating_point_edge_cases_are_silent_like_torch_but_user_numpy_still_warns():
    import subprocess
    import sys

    code = (
        "import ember, numpy as np\n"
        "x = ember.tensor([0.0, 1.0])\n"
        "assert ember.log(x)[0].item() == float('-inf')\n"
        "assert (x / 0)[1].item() == float('inf')\n"
        "assert ember.sqrt(ember.tensor([-1.0])).isnan().all()\n"
        "try:\n"
        "    np.log(np.array([0.0]))\n"
        "except RuntimeWarning:\n"
        "    print('user warning kept')\n"
    )
    # -W error: any warning from ember's ops would raise.
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "user warning kept" in proc.stdout
