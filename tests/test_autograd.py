"""Autograd against PyTorch: higher-order gradients, custom Functions, hooks, modes, errors,
and memory (the graph is freed; a long training loop keeps a flat RSS)."""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest
from conftest import assert_close, torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.autograd.gradcheck import GradcheckError


def _both(*arrays, requires_grad=True, dtype=np.float32):
    """The same values as ember and torch leaves."""
    es = [ember.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad) for a in arrays]
    ts = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad) for a in arrays]
    return es, ts


def _mlp(lib, x, w1, b1, w2):
    return (lib.tanh(x @ w1 + b1) @ w2).pow(2).sum()


# -- higher order -----------------------------------------------------------------------------


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(0)
    x, w1, b1, w2, v = (rng.standard_normal(s) for s in [(4, 3), (3, 5), (5,), (5, 2), (3, 5)])
    results = []
    for lib, ins in zip((ember, torch), _both(x, w1, b1, w2)):
        xx, ww1, bb1, ww2 = ins
        loss = _mlp(lib, xx.detach(), ww1, bb1, ww2)
        (g,) = lib.autograd.grad(loss, ww1, create_graph=True)
        vv = lib.tensor(v.astype(np.float32))
        (hvp,) = lib.autograd.grad((g * vv).sum(), ww1)
        results.append((g, hvp))
    assert_close(results[0][0], results[1][0], rtol=1e-4, atol=1e-5)
    assert_close(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


def test_gradient_penalty_matches_torch():
    """WGAN-GP: the penalty on the input-gradient norm, differentiated w.r.t. the weights."""
    rng = np.random.default_rng(1)
    x, w1, b1, w2 = (rng.standard_normal(s) for s in [(6, 3), (3, 4), (4,), (4, 1)])
    grads = []
    for lib, (xx, ww1, bb1, ww2) in zip((ember, torch), _both(x, w1, b1, w2)):
        d = (lib.sigmoid(xx @ ww1 + bb1) @ ww2).sum()
        (gx,) = lib.autograd.grad(d, xx, create_graph=True)
        gp = ((gx.norm(2, dim=1) - 1) ** 2).mean()
        gp.backward()
        grads.append([t.grad for t in (ww1, bb1, ww2, xx)])
        assert gx.requires_grad
    for a, b in zip(*grads):
        assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_third_derivative():
    for lib in (ember, torch):
        x = lib.tensor(0.7, requires_grad=True)
        y = x.sin() * x**2
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1, x, create_graph=True)
        (g3,) = lib.autograd.grad(g2, x)
        if lib is ember:
            e = g3.item()
        else:
            assert e == pytest.approx(g3.item(), rel=1e-5)


def test_gradcheck_api():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: (a * b).tanh(), (x, w))
    assert gradgradcheck(lambda a, b: (a * b).tanh(), (x, w))
    assert gradcheck(lambda a: a.exp().sum(), x, fast_mode=True)
    assert gradgradcheck(lambda a: a.exp(), x, gen_non_contig_grad_outputs=True)

    class WrongGrad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to"):
        gradcheck(WrongGrad.apply, (x,))
    assert issubclass(GradcheckError, RuntimeError)
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False, fast_mode=True) is False
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (x.detach(),))
    with pytest.warns(UserWarning, match="not of double precision"):
        gradcheck(lambda a: a * 2, (ember.ones(2, requires_grad=True),), eps=1e-2, atol=1e-2)


# -- custom Functions ---------------------------------------------------------------------------


def _sort_fn(lib):
    class Sort(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            (i,) = ctx.saved_tensors
            return lib.zeros_like(gv).scatter(0, i, gv)

    return Sort


def _cube_fn(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            ctx.seen = ctx.needs_input_grad
            return x**3 * k

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g * ctx.k, None

    return Cube


def test_custom_function_matches_torch():
    (ex,), (tx,) = _both([3.0, 1.0, 2.0])
    for lib, x in ((ember, ex), (torch, tx)):
        v, i = _sort_fn(lib).apply(x)
        assert v.requires_grad and not i.requires_grad and v.grad_fn is not None
        (v * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert_close(ex.grad, tx.grad)
    assert type(ex.grad_fn) is type(None)
    v, _ = _sort_fn(ember).apply(ex)
    assert v.grad_fn.name() == "SortBackward"


def test_once_differentiable_raises_on_double_backward():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = _cube_fn(lib).apply(x, 2.0)
        assert y.grad_fn is not None
        gout = lib.ones(2, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, gout, create_graph=True)
        assert g.tolist() == [6.0, 24.0] and g.requires_grad
        with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
            g.sum().backward()


def test_needs_input_grad_mark_dirty_and_materialize():
    seen = {}
    for lib in (ember, torch):
        cube = _cube_fn(lib)
        x = lib.tensor([1.0], requires_grad=True)
        y = cube.apply(x, 2.0)
        seen[lib] = y.grad_fn.seen if lib is ember else None

        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                t.add_(1)
                ctx.mark_dirty(t)
                return t

            @staticmethod
            def backward(ctx, g):
                return g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = AddOne.apply(b)
        assert c is b and c.tolist() == [2.0, 3.0]
        (c * 2).sum().backward()
        assert a.grad.tolist() == [2.0, 2.0]

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.set_materialize_grads(False)
                return t * 2, t * 3

            @staticmethod
            def backward(ctx, g1, g2):
                assert g2 is None
                return g1 * 2

        p, _ = Two.apply(a)
        a.grad = None
        p.sum().backward()
        assert a.grad.tolist() == [2.0, 2.0]
    assert seen[ember] == (True, False)


def test_function_returning_its_input_makes_a_new_node():
    for lib in (ember, torch):

        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t

            @staticmethod
            def backward(ctx, g):
                return g * 5

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        o = Ident.apply(a)
        assert o is not a and o.grad_fn is not None and a.grad_fn is None
        o.sum().backward()
        assert a.grad.tolist() == [5.0, 5.0]


# -- hooks, retain_grad, accumulation ------------------------------------------------------------


def test_hooks_and_retain_grad_match_torch():
    out = {}
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        assert y.retains_grad and not x.retains_grad
        seen = []
        h1 = y.register_hook(lambda g, seen=seen: seen.append(g.clone()) or g * 10)
        x.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        out[lib] = (x.grad, y.grad, seen[0])
        h1.remove()
        x.grad = None
        (x * 3).sum().backward()
        out[lib] += (x.grad,)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(2).register_hook(lambda g: g)
    for a, b in zip(out[ember], out[torch]):
        assert_close(a, b)


def test_grad_accumulates_and_retain_graph():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        assert_close(x.grad, first * 2) if lib is ember else None
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
        z = (x * x).sum()
        z.backward(inputs=[x])
        with pytest.raises(RuntimeError, match="second time"):
            z.backward()


def test_backward_with_gradient_and_errors():
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * x
        with pytest.raises(RuntimeError, match="only for scalar outputs"):
            y.backward()
        y.backward(lib.tensor([[1.0, 0.0], [0.5, 2.0]]))
        assert x.grad.tolist() == [[2.0, 0.0], [3.0, 16.0]]
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.ones(2).sum().backward()
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            lib.autograd.grad((x * 2), x, lib.ones(3))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="only Tensors of floating point"):
            lib.ones(2, dtype=lib.int64).requires_grad_()
        with pytest.raises(RuntimeError, match="requires grad"):
            x.numpy()


def test_autograd_grad_options():
    for lib in (ember, torch):
        x = lib.tensor(1.0, requires_grad=True)
        w = lib.tensor(2.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="index 1 appears to not have been used"):
            lib.autograd.grad(x * 2, [x, w])
        gx, gw = lib.autograd.grad(x * 2, [x, w], allow_unused=True)
        assert gx.item() == 2.0 and gw is None
        gx, gw = lib.autograd.grad(x * 2, [x, w], materialize_grads=True)
        assert gw.item() == 0.0
        (g,) = lib.autograd.grad(x**3, x, create_graph=True)
        assert g.requires_grad and g.grad_fn is not None
        (g2,) = lib.autograd.grad(g, x)
        assert g2.item() == 6.0 and not g2.requires_grad
        assert x.grad is None
        y = x * 3
        z = y * y
        (gy,) = lib.autograd.grad(z, y)  # w.r.t. a non-leaf
        assert gy.item() == 6.0
        a, b = lib.autograd.grad([x * 2, x * 5], [x, x])
        assert a.item() == b.item() == 7.0


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad and not ember.is_grad_enabled()
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        y = x * 2
        assert not y.requires_grad and ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode(False):
        assert (x * 2).requires_grad

    @ember.no_grad()
    def f():
        return (x * 2).requires_grad

    @ember.no_grad
    def g():
        return (x * 2).requires_grad

    @ember.inference_mode
    def h():
        return (x * 2).requires_grad

    @ember.enable_grad
    def k():
        return (x * 2).requires_grad

    assert not f() and not g() and not h()
    with ember.no_grad():
        assert k()
    assert ember.is_grad_enabled()
    # a no_grad result is a leaf; detach shares memory and the version counter
    with ember.no_grad():
        y = x * 2
    assert y.is_leaf and y.grad_fn is None
    d = x.detach()
    d[0] = 5
    assert x[0].item() == 5 and d._version == x._version


def test_detect_anomaly_names_the_op():
    for lib in (ember, torch):
        x = lib.tensor([-1.0, 4.0], requires_grad=True)
        with pytest.warns(UserWarning) if lib is torch else _nullcontext():
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan"):
                with lib.autograd.detect_anomaly():
                    x.sqrt().sum().backward()
        assert not lib.is_anomaly_enabled()
    x = ember.tensor([-1.0], requires_grad=True)
    x.sqrt().sum().backward()  # without anomaly mode: no error, NaN gradient
    assert np.isnan(x.grad.item())


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_inplace_after_save_raises():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 1
        b = a.exp()
        b.add_(1)  # exp saved its output
        with pytest.raises(
            RuntimeError,
            match=r"modified by an inplace operation.*output 0 of "
            r"Exp, is at version 1; expected version 0",
        ):
            b.sum().backward()
        a = x * 1
        b = a.sin()  # sin saved its input
        a.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            b.sum().backward()
        # in-place on something nobody saved is fine, and the gradient flows through it
        a = x * 1
        b = a * 2
        b.add_(1)
        b.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        # views share the version counter
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1
        s = v[:2]
        out = s.sin()  # saves its input, a view of v
        v.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_next_functions_and_is_leaf():
    x = ember.ones(2, requires_grad=True)
    y = x * 2 + 1
    assert not y.is_leaf and x.is_leaf
    assert y.grad_fn.name() == "AddBackward0"
    (mul, _), _ = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    assert mul.next_functions[0][0].variable is x
    assert repr(y) == "tensor([3., 3.], grad_fn=<AddBackward0>)"


# -- memory ---------------------------------------------------------------------------------------


def test_graph_is_freed_after_backward():
    gc.disable()  # freed by reference counting alone: no cycles between tensors and nodes
    try:
        w = ember.randn(4, 4, requires_grad=True)
        x = ember.randn(3, 4)
        h = (x @ w).tanh()
        y = (h * h).sum()
        refs = [weakref.ref(h.grad_fn), weakref.ref(y.grad_fn)]
        saved_arr = weakref.ref(h.grad_fn)
        y.backward()
        assert h.grad_fn._saved is None  # saved tensors released by backward
        del h, y
        assert all(r() is None for r in refs) and saved_arr() is None
        assert w.grad is not None
    finally:
        gc.enable()


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_training_loop_keeps_rss_flat():
    """2,500 forward+backward+update steps of a small MLP: memory does not grow."""
    rng = np.random.default_rng(0)
    w1 = ember.tensor(rng.standard_normal((16, 32)).astype(np.float32) * 0.1, requires_grad=True)
    b1 = ember.zeros(32, requires_grad=True)
    w2 = ember.tensor(rng.standard_normal((32, 1)).astype(np.float32) * 0.1, requires_grad=True)
    x = ember.tensor(rng.standard_normal((8, 16)).astype(np.float32))
    t = ember.tensor(rng.standard_normal((8, 1)).astype(np.float32))
    params = [w1, b1, w2]

    def step():
        h = ember.relu(x @ w1 + b1) if hasattr(ember, "relu") else (x @ w1 + b1).clamp(min=0)
        loss = ((h @ w2 - t) ** 2).mean() + 1e-4 * (w1 * w1).sum()
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss

    for _ in range(300):  # warm up allocator and caches
        step()
    gc.collect()
    before = _rss_kb()
    first = step().item()
    for _ in range(2500):
        last = step()
    gc.collect()
    grown = _rss_kb() - before
    assert grown < 2048, f"RSS grew by {grown} KiB"
    assert last.item() < first


def test_grad_of_a_transposed_weight_is_contiguous_and_private():
    # nn.Linear computes x @ w.t(); w.grad must come back in w's layout, like PyTorch's.
    lin = ember.nn.Linear(5, 4)
    lin(ember.randn(6, 5)).sum().backward()
    assert lin.weight.grad.is_contiguous() and lin.weight.grad.stride() == lin.weight.stride()
    # A backward may return a view of an array someone else still holds: .grad must not
    # alias it, however its layout looks.
    held = []

    class ViewGrad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            base = np.ones(24)
            held.append(base)
            return ember.from_numpy(base.reshape(4, 6))

    w = ember.zeros(4, 6, dtype=ember.float64, requires_grad=True)
    ViewGrad.apply(w).sum().backward()
    held[0][:] = 5.0
    assert w.grad.sum().item() == 24.0
