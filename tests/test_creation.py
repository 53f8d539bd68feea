"""Creation ops against PyTorch, and random ops: shapes, ranges, statistics, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, torch

import ember

# Each expression runs as ``ember.<expr>`` and ``torch.<expr>`` ({m} names the library).
CREATION = [
    "zeros(2, 3)",
    "zeros((2, 3), dtype={m}.int32)",
    "zeros([])",
    "ones(3)",
    "ones([2, 2], dtype={m}.bool)",
    "full((2, 2), 2)",
    "full((2,), 2.5)",
    "full((2,), True)",
    "full((2, 1), 3, dtype={m}.float64)",
    "arange(5)",
    "arange(1, 4)",
    "arange(0, 1, 0.25)",
    "arange(5, 0, -2)",
    "arange(0.5, 3)",
    "arange(3, dtype={m}.float64)",
    "arange(0, 1, 0.1)",
    "arange(10, dtype={m}.uint8)",
    "arange(-3, 3).float()",
    "linspace(0, 1, 5)",
    "linspace(-1, 1, 1)",
    "linspace(0, 10, 4, dtype={m}.int64)",
    "linspace(0, 1, 0)",
    "linspace(0, 1, 3, dtype={m}.float16)",
    "logspace(0, 2, 3)",
    "logspace(0, 3, 4, base=2)",
    "logspace(-1, 1, 5, dtype={m}.float64)",
    "logspace(0, 1, 1)",
    "eye(3)",
    "eye(2, 3)",
    "eye(2, dtype={m}.int64)",
    "eye(0)",
    "zeros_like({m}.ones(2, dtype={m}.int8))",
    "ones_like({m}.ones(2))",
    "full_like({m}.ones(2), 7)",
    "full_like({m}.ones(2, dtype={m}.int64), 2.7)",
    "empty(2, 3).shape",
    "empty_like({m}.ones(2)).dtype",
    "tensor([[1, 2]], dtype={m}.float16)",
    "tensor(2.5)",
    "tensor([])",
    "tensor([[], []])",
    "tensor([1, 2.5])",
    "tensor([True, 1])",
    "tensor([True, False])",
    "tensor(np.float64(2.5))",
    "tensor(np.int32(2))",
    "tensor(np.array([1, 2], dtype=np.int16))",
    "as_tensor([1, 2])",
    "as_tensor(np.array([1.5]))",
    "tensor([{m}.tensor(1.0), {m}.tensor(2.0)])",
    "tensor([[1, 2], [3, 4]], dtype={m}.float32)",
    "tensor(3, dtype={m}.float64)",
    "tensor([1j, 2])",
    "zeros(2, 3, dtype={m}.float64)",
    "ones(2, 0)",
    "tensor([1.0], requires_grad=True)",
    "ones(2, requires_grad=True)",
    "randn(2, 3).shape",
    "rand(2, dtype={m}.float64).dtype",
    "randint(3, (4,)).dtype",
    "randint(0, 3, (2, 2), dtype={m}.int32).dtype",
    "randperm(4).dtype",
    "randn(()).shape",
    "zeros(2).new_full((2,), 3)",
    "ones(2, dtype={m}.int32).new_ones(3)",
    "ones(2).new_empty(3).shape",
    "tensor([1, 2]).new_tensor([1.5])",
]


@pytest.mark.parametrize("expr", CREATION)
def test_creation_matches_torch(expr):
    expected = eval("torch." + expr.format(m="torch"))
    got = eval("ember." + expr.format(m="ember"))
    if isinstance(expected, torch.Tensor):
        assert_close(got, expected)
        assert got.requires_grad == expected.requires_grad
    else:
        assert repr(got).replace("ember", "torch") == repr(expected)


BAD = [
    "arange(0, 5, 0)",
    "arange(0, -5)",
    "linspace(0, 1, -1)",
    "zeros(-1)",
    "eye(-1)",
    "randint(5, 2, (2,))",
    "randperm(-1)",
    "tensor([[1, 2], [3]])",
    "tensor('abc')",
    "normal(0.0, -1.0, (2,))",
    "multinomial({m}.tensor([0.0, 0.0]), 1)",
    "multinomial({m}.tensor([1.0, 0.0]), 3)",
    "multinomial({m}.tensor([-1.0, 2.0]), 1)",
    "bernoulli({m}.tensor([2.0]))",
    "rand(2, dtype={m}.int64)",
    "zeros(2, dtype='float32x')",
    "ones(2.5)",
    "tensor([1, 2], requires_grad=True)",
    "tensor([1 + 0.1j], dtype={m}.float64)",
    "tensor(2j, dtype={m}.int64)",
]


@pytest.mark.parametrize("expr", BAD)
def test_creation_errors_match_torch(expr):
    with pytest.raises(Exception) as t_exc:
        eval("torch." + expr.format(m="torch"))
    with pytest.raises(t_exc.type):
        eval("ember." + expr.format(m="ember"))


def test_from_numpy_shares_memory():
    a = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(a)
    t[0] = 5
    a[1] = 7
    assert a.tolist() == [5, 7, 0] and t.tolist() == [5, 7, 0]
    t.add_(1)
    assert a.tolist() == [6, 8, 1]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    assert ember.from_numpy(np.arange(3, dtype=np.int32)).dtype is ember.int32
    with pytest.raises(TypeError):
        ember.from_numpy(np.array(["a"]))


def test_as_tensor_shares_when_it_can():
    a = np.ones(3)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert not np.shares_memory(ember.as_tensor(a, dtype=ember.float32).numpy(), a)
    t = ember.ones(2)
    assert ember.as_tensor(t) is t
    assert not np.shares_memory(ember.tensor(a).numpy(), a)


def _draws(seed_fn):
    seed_fn()
    return [
        ember.rand(3),
        ember.randn(2, 2),
        ember.randint(0, 100, (5,)),
        ember.randperm(6),
        ember.normal(1.0, 2.0, (3,)),
        ember.bernoulli(ember.full((4,), 0.5)),
        ember.multinomial(ember.tensor([0.2, 0.3, 0.5]), 2),
        ember.rand_like(ember.ones(2)),
        ember.empty(3).uniform_(),
        ember.empty(3).normal_(),
    ]


def test_manual_seed_reproducible():
    a = _draws(lambda: ember.manual_seed(123))
    b = _draws(lambda: ember.manual_seed(123))
    c = _draws(lambda: ember.manual_seed(124))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert any(x.tolist() != y.tolist() for x, y in zip(a, c))
    assert ember.initial_seed() == 124


def test_generator_objects():
    g1 = ember.Generator().manual_seed(7)
    g2 = ember.Generator().manual_seed(7)
    ember.manual_seed(0)
    x = ember.randn(4, generator=g1)
    ember.randn(10)  # the default generator does not disturb g2
    y = ember.randn(4, generator=g2)
    assert x.tolist() == y.tolist()
    assert g1.initial_seed() == 7
    state = g1.get_state()
    assert state.dtype is ember.uint8
    u = ember.rand(3, generator=g1)
    g1.set_state(state)
    assert ember.rand(3, generator=g1).tolist() == u.tolist()
    s = ember.get_rng_state()
    v = ember.rand(2)
    ember.set_rng_state(s)
    assert ember.rand(2).tolist() == v.tolist()
    for fn in (ember.rand, ember.randn):
        assert (
            fn(2, generator=ember.Generator().manual_seed(1)).tolist()
            == fn(2, generator=ember.Generator().manual_seed(1)).tolist()
        )


def test_random_distributions():
    ember.manual_seed(0)
    n = 20000
    r = ember.rand(n)
    assert r.dtype is ember.float32 and 0 <= r.min().item() and r.max().item() < 1
    assert abs(r.mean().item() - 0.5) < 0.02
    z = ember.randn(n, dtype=ember.float64)
    assert abs(z.mean().item()) < 0.05 and abs(z.std().item() - 1) < 0.05
    m = ember.normal(ember.tensor([0.0, 10.0]).expand(n, 2), ember.tensor([1.0, 0.1]))
    assert m.shape == (n, 2) and abs(m[:, 1].mean().item() - 10) < 0.01
    k = ember.randint(-3, 4, (n,))
    assert k.min().item() == -3 and k.max().item() == 3
    p = ember.randperm(50)
    assert sorted(p.tolist()) == list(range(50))
    b = ember.bernoulli(ember.full((n,), 0.3))
    assert set(b.unique().tolist()) == {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.02
    w = ember.tensor([0.1, 0.0, 0.6, 0.3])
    s = ember.multinomial(w, n, replacement=True)
    freq = np.bincount(s.numpy(), minlength=4) / n
    assert np.allclose(freq, w.numpy(), atol=0.02) and freq[1] == 0
    rows = ember.multinomial(ember.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]), 2)
    assert rows.shape == (2, 2) and rows[1, 0].item() == 2 and set(rows[0].tolist()) == {0, 1}
    first = ember.multinomial(ember.tensor([1.0, 100.0]).expand(n, 2), 1)
    assert abs(first.float().mean().item() - 100 / 101) < 0.01
    e = ember.empty(n).exponential_(2.0)
    assert abs(e.mean().item() - 0.5) < 0.02
    assert ember.empty(5, dtype=ember.int64).random_(0, 3).max().item() <= 2


@pytest.mark.parametrize(
    "expr",
    [
        "tensor([0.3, 1e-45, 1 / 3], dtype={m}.float64)",
        "tensor(0.1, dtype={m}.float64)",
        "tensor([[0.1, 2], [3, 0.7]], dtype={m}.complex128)",
        "tensor([0.1 + 0.2j], dtype={m}.complex128)",
        "tensor([1 + 0.5j, 2j], dtype={m}.bool)",
        "tensor([0.3, 1e-45], dtype={m}.float16)",
    ],
)
def test_requested_dtype_gets_the_exact_python_values(expr):
    # No rounding through the default float32 on the way to a wider dtype.
    got = eval("ember." + expr.format(m="ember")).tolist()
    assert got == eval("torch." + expr.format(m="torch")).tolist()


def test_default_device_api_matches_torch():
    for lib in (torch, ember):
        assert repr(lib.get_default_device()) == "device(type='cpu')"
        lib.set_default_device("cpu")
        assert repr(lib.get_default_device()) == "device(type='cpu')"
        assert lib.zeros(2).device == lib.device("cpu")
        lib.set_default_device(None)
        assert repr(lib.get_default_device()) == "device(type='cpu')"
        with pytest.raises(RuntimeError, match="device type at start of device string: foo"):
            lib.set_default_device("foo")
