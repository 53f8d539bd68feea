"""ember.amp against torch.amp on the CPU: autocast output dtypes and values from one table of
ops, gradients through the casts, GradScaler's scale trajectory and skipped steps, error cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def randn(*shape):
    return lambda rng: rng.standard_normal(shape).astype(np.float32)


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def f64(make):
    return lambda rng: make(rng).astype(np.float64)


def bf16(make):
    """An input that is already bfloat16 (made from float32, then cast by each library)."""
    return ("bf16", make)


# (name, call(F, lib, *inputs), inputs): the same call runs on ember and on torch.
OPS = [
    ("linear", lambda F, L, x, w, b: F.linear(x, w, b), [randn(5, 4), randn(3, 4), randn(3)]),
    ("linear_nobias", lambda F, L, x, w: F.linear(x, w), [randn(2, 5, 4), randn(3, 4)]),
    ("linear_float64", lambda F, L, x, w: F.linear(x, w), [f64(randn(5, 4)), f64(randn(3, 4))]),
    ("matmul", lambda F, L, a, b: a @ b, [randn(2, 3, 4), randn(4, 5)]),
    ("mm", lambda F, L, a, b: L.mm(a, b), [randn(3, 4), randn(4, 5)]),
    ("bmm", lambda F, L, a, b: L.bmm(a, b), [randn(2, 3, 4), randn(2, 4, 5)]),
    ("addmm", lambda F, L, c, a, b: L.addmm(c, a, b), [randn(5), randn(3, 4), randn(4, 5)]),
    ("conv1d", lambda F, L, x, w, b: F.conv1d(x, w, b), [randn(2, 3, 8), randn(4, 3, 3), randn(4)]),
    (
        "conv2d",
        lambda F, L, x, w, b: F.conv2d(x, w, b, padding=1),
        [randn(2, 3, 6, 6), randn(4, 3, 3, 3), randn(4)],
    ),
    ("conv3d", lambda F, L, x, w: F.conv3d(x, w), [randn(1, 2, 4, 4, 4), randn(3, 2, 2, 2, 2)]),
    (
        "conv_transpose2d",
        lambda F, L, x, w, b: F.conv_transpose2d(x, w, b, stride=2),
        [randn(1, 2, 3, 3), randn(2, 3, 2, 2), randn(3)],
    ),
    ("softmax", lambda F, L, x: F.softmax(x, dim=-1), [randn(4, 5)]),
    ("softmax_bf16", lambda F, L, x: F.softmax(x, dim=-1), [bf16(randn(4, 5))]),
    ("log_softmax_bf16", lambda F, L, x: F.log_softmax(x, dim=1), [bf16(randn(4, 5))]),
    ("nll_loss_bf16", lambda F, L, x, t: F.nll_loss(x, t), [bf16(randn(4, 5)), ints(5, 4)]),
    ("cross_entropy", lambda F, L, x, t: F.cross_entropy(x, t), [randn(4, 5), ints(5, 4)]),
    (
        "cross_entropy_bf16",
        lambda F, L, x, t: F.cross_entropy(x, t),
        [bf16(randn(4, 5)), ints(5, 4)],
    ),
    ("mse_loss_bf16", lambda F, L, x, t: F.mse_loss(x, t), [bf16(randn(4, 5)), randn(4, 5)]),
    # The usual classifier: a bfloat16 linear output feeding float32 cross_entropy.
    (
        "linear_then_cross_entropy",
        lambda F, L, x, w, t: F.cross_entropy(F.linear(x, w), t),
        [randn(6, 4), randn(5, 4), ints(5, 6)],
    ),
]


def _inputs(spec, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for make in spec:
        to_bf16 = isinstance(make, tuple)
        arrays.append(((make[1] if to_bf16 else make)(rng), to_bf16))
    e = [ember.tensor(a).bfloat16() if b else ember.tensor(a) for a, b in arrays]
    t = [torch.tensor(a).bfloat16() if b else torch.tensor(a) for a, b in arrays]
    return e, t


def _dtype_name(x):
    return str(x if isinstance(x, (ember.dtype, torch.dtype)) else x.dtype).split(".")[-1]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name,call,spec", OPS, ids=[o[0] for o in OPS])
def test_autocast_cpu_matches_torch(name, call, spec, dtype):
    e_in, t_in = _inputs(spec)
    with ember.autocast("cpu", dtype=getattr(ember, dtype)):
        got = call(EF, ember, *e_in)
    with torch.autocast("cpu", dtype=getattr(torch, dtype)):
        want = call(TF, torch, *t_in)
    assert _dtype_name(got) == _dtype_name(want)
    # bfloat16 keeps 8 significant bits, float16 11: a few roundings of either stay within 3e-2.
    assert_close(got.double(), want.double(), rtol=3e-2, atol=3e-2)


def test_autocast_region_state_nesting_and_decorator_match_torch():
    for lib in (ember, torch):
        assert not lib.is_autocast_enabled("cpu")
        assert lib.amp.is_autocast_available("cpu") and lib.amp.is_autocast_available("cuda")
        assert _dtype_name(lib.get_autocast_dtype("cpu")) == "bfloat16"
        assert _dtype_name(lib.get_autocast_dtype("cuda")) == "float16"
    seen = {}
    for lib in (ember, torch):
        a = lib.ones(2, 2)
        with lib.autocast("cpu", dtype=lib.float16):
            outer = _dtype_name(a @ a), lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled()
            with lib.autocast("cpu", enabled=False):
                inner = _dtype_name(a @ a), lib.is_autocast_enabled("cpu")
            back = _dtype_name(lib.get_autocast_dtype("cpu")), _dtype_name(a @ a)

        @lib.autocast("cpu")
        def f(x):
            return x @ x

        seen[lib.__name__] = (outer, inner, back, _dtype_name(f(a)), _dtype_name(a @ a))
    assert seen["ember"] == seen["torch"]
    assert seen["ember"][0][0] == "float16"  # the table above is not all float32


def test_autocast_float16_gradients_reach_float32_parameters_like_torch():
    e_in, t_in = _inputs([randn(6, 4), randn(5, 4), randn(5), ints(5, 6)], seed=1)
    for p in e_in[:3] + t_in[:3]:
        p.requires_grad_(True)
    grads = {}
    for lib, F, (x, w, b, t) in ((ember, EF, e_in), (torch, TF, t_in)):
        with lib.autocast("cpu", dtype=lib.float16):
            loss = F.cross_entropy(F.linear(x, w, b), t)
        loss.backward()
        grads[lib.__name__] = (x.grad, w.grad, b.grad)
    for got, want in zip(grads["ember"], grads["torch"]):
        assert_close(got, want, rtol=1e-2, atol=1e-2)


def test_autocast_bfloat16_keeps_the_graph_and_matches_torch_gradients():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((5, 4)).astype(np.float32)
    w_np = rng.standard_normal((3, 4)).astype(np.float32)
    grads = []
    for lib, F in ((ember, EF), (torch, torch.nn.functional)):
        w = lib.tensor(w_np).requires_grad_()
        with lib.autocast("cpu"):
            y = F.linear(lib.tensor(x_np), w)
        assert y.requires_grad and y.dtype == lib.bfloat16
        (y.float() ** 2).sum().backward()
        assert w.grad.dtype == lib.float32
        grads.append(w.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=2e-2, atol=2e-2)


def test_bfloat16_ops_are_differentiable():
    x = ember.tensor([1.0, 2.0, 3.0]).to(ember.bfloat16).requires_grad_()
    tx = torch.tensor([1.0, 2.0, 3.0]).bfloat16().requires_grad_()
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    assert x.grad.dtype == ember.bfloat16
    assert x.grad.float().tolist() == tx.grad.float().tolist()


def test_autocast_without_bfloat16_names_ml_dtypes(monkeypatch):
    from ember.amp import autocast_mode

    monkeypatch.setitem(autocast_mode._state.dtype, "cpu", None)
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        ember.autocast("cpu")


def test_autocast_bad_arguments_like_torch():
    for lib in (ember, torch):
        with pytest.raises(ValueError):
            lib.autocast(1)
        with pytest.warns(UserWarning, match="not supported"):
            assert not lib.autocast("cpu", dtype=lib.float64)._enabled


# -- GradScaler ---------------------------------------------------------------------------------


def _train_with_scaler(lib, weights, inf_steps, steps=7, **kw):
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **kw)
    rng = np.random.default_rng(5)
    trace = []
    for i in range(steps):
        x = lib.tensor(rng.standard_normal((8, 3)).astype(np.float32))
        y = lib.tensor(rng.standard_normal((8, 2)).astype(np.float32))
        opt.zero_grad()
        scaler.scale(((model(x) - y) ** 2).mean()).backward()
        if i in inf_steps:
            with lib.no_grad():
                model[0].weight.grad[0, 1] = float("inf") if i % 2 else float("nan")
        before = [p.detach().clone() for p in model.parameters()]
        scaler.step(opt)
        skipped = all(bool((a == p).all()) for a, p in zip(before, model.parameters()))
        scaler.update()
        trace.append((scaler.get_scale(), skipped))
    params = [p.detach().numpy().copy() for p in model.parameters()]
    return trace, params, scaler.state_dict()


@pytest.mark.parametrize(
    "kw,inf_steps",
    [
        ({"init_scale": 2.0**10, "growth_interval": 2}, {3}),
        ({"init_scale": 2.0**10, "growth_interval": 2, "growth_factor": 4.0}, {2, 3, 6}),
        ({"init_scale": 2.0**126, "growth_interval": 1}, set()),  # growth past float32 max
        ({"init_scale": 8.0, "growth_interval": 3, "backoff_factor": 0.25}, {0}),
    ],
)
def test_grad_scaler_matches_torch(kw, inf_steps):
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in shapes]
    e_trace, e_params, e_state = _train_with_scaler(ember, weights, inf_steps, **kw)
    t_trace, t_params, t_state = _train_with_scaler(torch, weights, inf_steps, **kw)
    assert e_trace == t_trace
    assert [s for _, s in e_trace] == [i in inf_steps for i in range(7)]
    assert e_state == t_state
    for a, b in zip(e_params, t_params):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_grad_scaler_scale_and_state_dict_round_trip_like_torch():
    got, want = {}, {}
    for lib, out in ((ember, got), (torch, want)):
        s = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=3)
        out["before"] = s.get_scale(), s.state_dict()
        scaled = s.scale([lib.tensor(1.5), (lib.tensor([2.0, 3.0]),)])
        out["scaled"] = type(scaled).__name__, scaled[0].tolist(), scaled[1][0].tolist()
        s2 = lib.amp.GradScaler("cpu")
        s2.load_state_dict({**s.state_dict(), "scale": 32.0, "_growth_tracker": 2})
        out["loaded"] = s2.get_scale(), s2.state_dict()
        s.update(new_scale=lib.tensor(16.0))
        out["new_scale"] = s.get_scale()
        off = lib.amp.GradScaler("cpu", enabled=False)
        out["off"] = off.is_enabled(), off.get_scale(), off.state_dict(), off.scale(3.0)
    assert got == want


def _unscale_twice(lib, s, opt):
    s.unscale_(opt)
    s.unscale_(opt)


def _unscale_after_step(lib, s, opt):
    s.step(opt)
    s.unscale_(opt)


def _step_twice(lib, s, opt):
    s.step(opt)
    s.step(opt)


def _closure(lib, s, opt):
    s.step(opt, closure=lambda: None)


def _load_empty(lib, s, opt):
    s.load_state_dict({})


def _update_before_scale(lib, s, opt):
    lib.amp.GradScaler("cpu").update()


def _fp16_grads(lib, s, opt):
    q = lib.zeros(2, dtype=lib.float16, requires_grad=True)
    q.float().sum().backward()
    s.unscale_(lib.optim.SGD([q], lr=0.1))


SCALER_ERRORS = [
    (_unscale_twice, RuntimeError, "already been called"),
    (_unscale_after_step, RuntimeError, "after step"),
    (_step_twice, RuntimeError, "already been called"),
    (_closure, RuntimeError, "Closure"),
    (_load_empty, RuntimeError, "empty"),
    (_update_before_scale, AssertionError, "_scale is None"),
    (_fp16_grads, ValueError, "FP16"),
]


@pytest.mark.parametrize("fn,exc,match", SCALER_ERRORS, ids=[e[0].__name__ for e in SCALER_ERRORS])
def test_grad_scaler_errors_like_torch(fn, exc, match):
    for lib in (ember, torch):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        s = lib.amp.GradScaler("cpu")
        s.scale((p * 2).sum()).backward()
        with pytest.raises(exc, match=match):
            fn(lib, s, opt)


def test_cuda_amp_names_without_cuda_disable_like_torch():
    if ember.cuda.is_available():
        pytest.skip("checks the no-CUDA fallback")
    from ember.cuda.amp import GradScaler, autocast

    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not GradScaler().is_enabled()
    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not autocast()._enabled
    with pytest.warns(UserWarning):
        assert not torch.cuda.amp.GradScaler().is_enabled()


def test_cuda_amp_is_reachable_as_an_attribute():
    # Scripts write torch.cuda.amp.GradScaler() without importing torch.cuda.amp themselves; a
    # fresh interpreter, since another test here imports ember.cuda.amp.
    import subprocess
    import sys

    code = (
        "import ember; assert callable(ember.cuda.amp.GradScaler); "
        "assert not hasattr(ember.cuda, 'no_such_name')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
