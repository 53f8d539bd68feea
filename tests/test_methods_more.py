"""addr, the *_scatter family, put, index_reduce and the in-place method forms PyTorch has
(addmm_, hypot_, float_power_, ...), each compared with PyTorch: values, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

R = np.random.default_rng(7)


def arr(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def pair(a, grad=False):
    """The same values as an ember and a torch tensor."""
    e = ember.tensor(a, requires_grad=grad)
    t = torch.tensor(a, requires_grad=grad)
    return e, t


def close(e, t, tol=1e-10):
    ev = e.detach().numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    tv = t.detach().numpy()
    assert ev.shape == tv.shape
    assert str(ev.dtype) == str(tv.dtype)
    np.testing.assert_allclose(ev, tv, rtol=tol, atol=tol)


IDX = np.array([0, 2, 0, 1])

# name -> (fn(lib, *tensors), arrays, which arrays get gradients)
CASES = {
    "addr": (lambda L, x, a, b: L.addr(x, a, b), [arr(3, 4), arr(3), arr(4)], (0, 1, 2)),
    "addr-beta-alpha": (
        lambda L, x, a, b: L.addr(x, a, b, beta=0.5, alpha=-2),
        [arr(3, 4), arr(3), arr(4)],
        (0, 1, 2),
    ),
    "addr-broadcast-input": (lambda L, x, a, b: L.addr(x, a, b), [arr(4), arr(3), arr(4)], (0,)),
    "addr-method": (lambda L, x, a, b: x.addr(a, b, alpha=3), [arr(2, 2), arr(2), arr(2)], (1,)),
    "select_scatter": (
        lambda L, x, s: L.select_scatter(x, s, 1, -1),
        [arr(3, 4, 2), arr(3, 2)],
        (0, 1),
    ),
    "slice_scatter": (
        lambda L, x, s: L.slice_scatter(x, s, 1, 1, None, 2),
        [arr(3, 5), arr(3, 2)],
        (0, 1),
    ),
    "slice_scatter-default": (lambda L, x, s: L.slice_scatter(x, s), [arr(3, 2), arr(3, 2)], (1,)),
    "diagonal_scatter": (lambda L, x, s: L.diagonal_scatter(x, s), [arr(3, 4), arr(3)], (0, 1)),
    "diagonal_scatter-offset": (
        lambda L, x, s: L.diagonal_scatter(x, s, 1, 2, 0),
        [arr(4, 2, 3), arr(2, 3)],
        (0, 1),
    ),
    "diagonal_scatter-negative": (
        lambda L, x, s: x.diagonal_scatter(s, -2),
        [arr(4, 3), arr(2)],
        (0, 1),
    ),
    "put": (
        lambda L, x, s: L.put(x, L.tensor([4, -1, 0]), s),
        [arr(2, 3), arr(3)],
        (0, 1),
    ),
    "put-accumulate": (
        lambda L, x, s: x.put(L.tensor([[1, 1], [4, 0]]), s, accumulate=True),
        [arr(2, 3), arr(2, 2)],
        (0, 1),
    ),
    "index_reduce-prod": (
        lambda L, x, s: L.index_reduce(x, 0, L.tensor(IDX), s, "prod"),
        [arr(3, 2), arr(4, 2)],
        (0, 1),
    ),
    "index_reduce-mean-noself": (
        lambda L, x, s: x.index_reduce(0, L.tensor(IDX), s, "mean", include_self=False),
        [arr(3, 2), arr(4, 2)],
        (0, 1),
    ),
    "index_reduce-amax-dim1": (
        lambda L, x, s: L.index_reduce(x, 1, L.tensor([1, 1, 0]), s, "amax"),
        [arr(2, 3), arr(2, 3)],
        (0, 1),
    ),
    "index_reduce-amin": (
        lambda L, x, s: L.index_reduce(x, -1, L.tensor([2, 0]), s, "amin"),
        [arr(2, 3), arr(2, 2)],
        (0, 1),
    ),
}

# In-place method forms: fn(self_clone, *others); the first array is ``self``.
INPLACE = {
    "addmm_": (lambda x, a, b: x.addmm_(a, b, beta=0.5), [arr(2, 4), arr(2, 3), arr(3, 4)]),
    "addmv_": (lambda x, a, b: x.addmv_(a, b, alpha=2), [arr(2), arr(2, 3), arr(3)]),
    "addbmm_": (lambda x, a, b: x.addbmm_(a, b), [arr(2, 4), arr(5, 2, 3), arr(5, 3, 4)]),
    "baddbmm_": (lambda x, a, b: x.baddbmm_(a, b), [arr(5, 2, 4), arr(5, 2, 3), arr(5, 3, 4)]),
    "addr_": (lambda x, a, b: x.addr_(a, b), [arr(3, 4), arr(3), arr(4)]),
    "copysign_": (lambda x, a: x.copysign_(a), [arr(3, 2), arr(3, 2)]),
    "heaviside_": (lambda x, a: x.heaviside_(a), [np.array([-1.0, 0.0, 2.0]), arr(3)]),
    "hypot_": (lambda x, a: x.hypot_(a), [arr(3), arr(3)]),
    "float_power_": (lambda x, a: x.float_power_(a), [np.abs(arr(3)) + 0.5, arr(3)]),
    "mvlgamma_": (lambda x: x.mvlgamma_(2), [np.abs(arr(3)) + 1.5]),
    "polygamma_": (lambda x: x.polygamma_(1), [np.abs(arr(3)) + 0.5]),
    "put_": (lambda x, s: x.put_(x.new_tensor([3, 0]).long(), s), [arr(2, 2), arr(2)]),
    "index_reduce_": (
        lambda x, s: x.index_reduce_(0, x.new_tensor([1, 1]).long(), s, "amax"),
        [arr(2, 3), arr(2, 3)],
    ),
}

INT_INPLACE = {
    "gcd_": (lambda x, a: x.gcd_(a), [np.array([12, -18, 7]), np.array([8, 12, 0])]),
    "lcm_": (lambda x, a: x.lcm_(a), [np.array([4, -6, 7]), np.array([6, 4, 0])]),
    "bitwise_left_shift_": (lambda x, a: x.bitwise_left_shift_(a), [np.arange(3), np.arange(3)]),
    "bitwise_right_shift_": (
        lambda x, a: x.bitwise_right_shift_(a),
        [np.array([8, 64, 5]), np.array([1, 3, 0])],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(name):
    fn, arrays, wants = CASES[name]
    es, ts = zip(*(pair(a, grad=i in wants) for i, a in enumerate(arrays)))
    e, t = fn(ember, *es), fn(torch, *ts)
    close(e, t)
    w = arr(*t.shape)
    (e * ember.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for i in wants:
        close(es[i].grad, ts[i].grad)


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("index_reduce-a")])
def test_gradcheck(name):
    fn, arrays, wants = CASES[name]
    es = [ember.tensor(a, requires_grad=i in wants) for i, a in enumerate(arrays)]
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), es)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_methods_match_torch(name):
    fn, arrays = INPLACE[name]
    es, ts = zip(*(pair(a) for a in arrays))
    e0, t0 = es[0].clone(), ts[0].clone()
    re, rt = fn(e0, *es[1:]), fn(t0, *ts[1:])
    assert re is e0 and rt is t0
    close(e0, t0, 1e-9)
    # through autograd: the in-place op on a non-leaf carries the gradient like PyTorch's
    if name == "heaviside_":
        return  # PyTorch has no derivative for heaviside (ember's is zero, as its value steps)
    eg, tg = zip(*(pair(a, grad=True) for a in arrays))
    e1, t1 = fn(eg[0] * 1, *eg[1:]), fn(tg[0] * 1, *tg[1:])
    close(e1, t1, 1e-9)
    e1.sum().backward()
    t1.sum().backward()
    for a, b in zip(eg, tg):  # no gradient and a zero gradient are the same answer
        ga = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        gb = np.zeros(tuple(b.shape)) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name", list(INT_INPLACE))
def test_integer_inplace_methods_match_torch(name):
    fn, arrays = INT_INPLACE[name]
    es, ts = zip(*(pair(a) for a in arrays))
    close(fn(es[0].clone(), *es[1:]), fn(ts[0].clone(), *ts[1:]))


@pytest.mark.parametrize("name", ["gcd_", "lcm_", "ldexp_", "addmv_"])
def test_top_level_inplace_functions(name):
    assert hasattr(torch, name) and hasattr(ember, name)
    if name == "ldexp_":
        args = [arr(3), np.array([1, 2, -1])]
    elif name == "addmv_":
        args = [arr(2), arr(2, 3), arr(3)]
    else:
        args = [np.array([12, 18]), np.array([8, 4])]
    es, ts = zip(*(pair(a) for a in args))
    e0, t0 = es[0].clone(), ts[0].clone()
    getattr(ember, name)(e0, *es[1:])
    getattr(torch, name)(t0, *ts[1:])
    close(e0, t0)


def test_addr_beta_zero_keeps_the_promoted_dtype():
    x, v = np.zeros((2, 2)), np.ones(2, dtype=np.float32)
    (e, t), (a, b) = pair(x), pair(v)
    close(ember.addr(e, a, a, beta=0), torch.addr(t, b, b, beta=0))


def test_addr_beta_zero_ignores_nan():
    x = np.full((2, 2), np.nan)
    (e, t), (a, b) = pair(x), pair(np.array([1.0, 2.0]))
    close(ember.addr(e, a, a, beta=0), torch.addr(t, b, b, beta=0))


def test_method_only_inplace_forms_are_not_top_level():
    for name in ("addmm_", "put_", "float_power_", "index_reduce_", "hypot_"):
        assert not hasattr(torch, name)
        assert not hasattr(ember, name)


ERRORS = [
    ("addr-2d-vec", lambda L: L.addr(L.zeros(2, 2), L.zeros(2, 1), L.zeros(2))),
    ("addr-bad-input", lambda L: L.addr(L.zeros(3, 3), L.zeros(2), L.zeros(2))),
    ("select-out-of-range", lambda L: L.select_scatter(L.zeros(2, 3), L.zeros(3), 0, 5)),
    ("select-bad-src", lambda L: L.select_scatter(L.zeros(2, 3), L.zeros(2), 0, 1)),
    ("slice-bad-src", lambda L: L.slice_scatter(L.zeros(2, 3), L.zeros(2, 2), 1, 0, 1)),
    ("slice-bad-step", lambda L: L.slice_scatter(L.zeros(2, 3), L.zeros(2, 3), 1, 0, 3, 0)),
    ("diag-bad-src", lambda L: L.diagonal_scatter(L.zeros(2, 3), L.zeros(3))),
    ("diag-same-dims", lambda L: L.diagonal_scatter(L.zeros(2, 2), L.zeros(2), 0, 1, 1)),
    ("put-out-of-range", lambda L: L.put(L.zeros(2, 3), L.tensor([6]), L.tensor([1.0]))),
    ("put-negative-out", lambda L: L.put(L.zeros(2, 3), L.tensor([-7]), L.tensor([1.0]))),
    ("put-count", lambda L: L.put(L.zeros(4), L.tensor([0, 1]), L.tensor([1.0]))),
    ("put-float-index", lambda L: L.put(L.zeros(4), L.tensor([0.0]), L.tensor([1.0]))),
    (
        "index_reduce-sum",
        lambda L: L.index_reduce(L.zeros(2), 0, L.tensor([0]), L.ones(1), "sum"),
    ),
    ("float_power_-float32", lambda L: L.zeros(2).float_power_(2)),
    ("addmm_-leaf", lambda L: L.zeros(2, 2, requires_grad=True).addmm_(L.ones(2, 2), L.ones(2, 2))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors_match_torch(name, fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)):
        fn(ember)


SCATTER_SELF = np.array([[2.0, 0.0, 3.0], [1.0, 5.0, -1.0], [4.0, 4.0, 0.5]])
SCATTER_SRC = np.array([[0.0, 2.0, 3.0], [5.0, 0.0, 1.5], [0.0, 5.0, 3.0], [4.0, 2.0, -2.0]])
SCATTER_IDX = np.array([[0, 1, 0], [0, 1, 2], [1, 1, 0], [0, 2, 2]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_scatter_reduce_gradients_match_torch(reduce, include_self):
    # zeros (one and several per target) for prod, ties between src and self for amax/amin
    (ex, tx), (es, ts) = pair(SCATTER_SELF, grad=True), pair(SCATTER_SRC, grad=True)
    ei, ti = ember.tensor(SCATTER_IDX), torch.tensor(SCATTER_IDX)
    e = ex.scatter_reduce(0, ei, es, reduce, include_self=include_self)
    t = tx.scatter_reduce(0, ti, ts, reduce, include_self=include_self)
    close(e, t)
    w = arr(3, 3)
    (e * ember.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    close(ex.grad, tx.grad)
    if reduce == "prod" or include_self:
        close(es.grad, ts.grad)
    else:
        # PyTorch 2.13 counts an input value equal to the result in the share even when
        # include_self=False, then gives it no gradient: a tied target's gradient comes out
        # halved. ember shares among the actual participants, so each target's gradient
        # adds up to the incoming one (and gradcheck agrees).
        total = np.zeros((3, 3))
        np.add.at(total, (SCATTER_IDX, np.arange(3)[None, :]), es.grad.numpy())
        hit = np.zeros((3, 3), bool)
        hit[SCATTER_IDX, np.arange(3)[None, :]] = True
        np.testing.assert_allclose(total[hit], w[hit], rtol=1e-12)
        assert ember.autograd.gradcheck(
            lambda x, s: x.scatter_reduce(0, ei, s, reduce, include_self=False),
            (ember.tensor(SCATTER_SELF + 0.01 * arr(3, 3), requires_grad=True), es.detach()),
        )


@pytest.mark.parametrize("reduce", ["prod", "amax"])
def test_scatter_reduce_gradcheck_and_no_double_backward(reduce):
    x = ember.tensor(arr(3, 2), requires_grad=True)
    s = ember.tensor(arr(4, 2), requires_grad=True)
    idx = ember.tensor([[0, 1], [2, 1], [0, 0], [1, 2]])
    fn = lambda x, s: x.scatter_reduce(0, idx, s, reduce)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, s))
    (g,) = ember.autograd.grad(fn(x, s).sum(), (s,), create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()
