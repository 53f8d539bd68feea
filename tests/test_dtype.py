"""dtypes and PyTorch's type promotion: every pair of dtypes, 0-d tensors and python scalars."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import torch

import ember

NAMES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
REAL = NAMES[:10]


def _pair(name):
    return getattr(ember, name), getattr(torch, name)


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_matrix(a):
    ea, ta = _pair(a)
    for b in NAMES:
        eb, tb = _pair(b)
        assert str(ember.promote_types(ea, eb)) == str(torch.promote_types(ta, tb)).replace(
            "torch", "ember"
        ), (a, b)


def _tensor(lib, name, shape):
    return lib.ones(shape, dtype=getattr(lib, name))


@pytest.mark.parametrize("a,b", list(itertools.product(REAL, REAL)))
def test_binary_op_promotion(a, b):
    """``a + b`` (and ``*``, ``<``) for dimensioned and 0-d tensors of every pair of dtypes."""
    for sa, sb in [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())]:
        ex, ey = _tensor(ember, a, sa), _tensor(ember, b, sb)
        tx, ty = _tensor(torch, a, sa), _tensor(torch, b, sb)
        for op in (lambda x, y: x * y, lambda x, y: x < y, lambda x, y: ember_or_torch_where(x, y)):
            try:
                expected = op(tx, ty)
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    op(ex, ey)
                continue
            got = op(ex, ey)
            assert str(got.dtype) == str(expected.dtype).replace("torch", "ember"), (a, b, sa, sb)
            assert tuple(got.shape) == tuple(expected.shape)
        if a != "bool" or b != "bool":
            assert str((ex + ey).dtype) == str((tx + ty).dtype).replace("torch", "ember")


def ember_or_torch_where(x, y):
    lib = ember if isinstance(x, ember.Tensor) else torch
    return lib.where(lib.ones((), dtype=lib.bool), x, y)


SCALARS = [True, 2, -3, 2.5, 1e10]


@pytest.mark.parametrize("name", REAL)
def test_python_scalar_promotion(name):
    """Python scalars never widen a tensor's dtype within its kind (int tensor + 2.5 -> float32)."""
    for s in SCALARS:
        for shape in [(3,), ()]:
            e, t = _tensor(ember, name, shape), _tensor(torch, name, shape)
            for op in (
                lambda x, v: x + v,
                lambda x, v: v * x,
                lambda x, v: x / v,
                lambda x, v: x == v,
            ):
                try:
                    expected = op(t, s)
                except RuntimeError:
                    with pytest.raises(RuntimeError):
                        op(e, s)
                    continue
                got = op(e, s)
                assert str(got.dtype) == str(expected.dtype).replace("torch", "ember"), (name, s)


@pytest.mark.parametrize("name", REAL)
def test_result_type_and_can_cast(name):
    e, t = _tensor(ember, name, (2,)), _tensor(torch, name, (2,))
    for s in SCALARS:
        assert str(ember.result_type(e, s)) == str(torch.result_type(t, s)).replace(
            "torch", "ember"
        )
    for other in REAL:
        assert ember.can_cast(getattr(ember, name), getattr(ember, other)) == torch.can_cast(
            getattr(torch, name), getattr(torch, other)
        ), (name, other)


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    assert ember.tensor([1.5]).dtype is ember.float32
    assert ember.tensor([1]).dtype is ember.int64
    assert (ember.tensor([1]) + 1.5).dtype is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
        assert (ember.tensor([1]) * 0.5).dtype is ember.float64
        assert ember.tensor([1j]).dtype is ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


@pytest.mark.parametrize("src", REAL)
def test_conversions(src):
    """``.to(dtype)``, ``.float()``, ``.long()`` ... give PyTorch's values (truncation, bool)."""
    vals = np.array([-2.7, -0.5, 0.0, 0.6, 3.9, 200.0])
    t = torch.tensor(vals).to(getattr(torch, src))
    e = ember.tensor(t.float().numpy() if src == "bfloat16" else t.numpy()).to(getattr(ember, src))
    for m in (
        "float",
        "double",
        "half",
        "long",
        "int",
        "short",
        "char",
        "byte",
        "bool",
        "bfloat16",
    ):
        if src in ("float16", "bfloat16", "float32", "float64") and m in ("byte", "char"):
            continue  # out-of-range float -> small int casts are undefined behaviour in C++
        got, expected = getattr(e, m)(), getattr(t, m)()
        assert str(got.dtype) == str(expected.dtype).replace("torch", "ember")
        np.testing.assert_array_equal(got.float().numpy(), expected.float().numpy())
    assert e.to(ember.float64).dtype is ember.float64
    assert e.type(ember.int32).dtype is ember.int32
    assert e.type() == t.type().replace("torch", "ember")


def test_dtype_objects():
    assert repr(ember.float32) == "ember.float32"
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.complex64.is_complex
    assert ember.float32.itemsize == 4
    assert (
        ember.float is ember.float32 and ember.long is ember.int64 and ember.half is ember.float16
    )
    assert ember.zeros(2, dtype=float).dtype is ember.float32
    assert ember.zeros(2, dtype=int).dtype is ember.int64
    assert ember.zeros(2, dtype=bool).dtype is ember.bool
    assert ember.tensor([1, 2], dtype=ember.uint8).element_size() == 1
    import pickle

    assert pickle.loads(pickle.dumps(ember.bfloat16)) is ember.bfloat16
