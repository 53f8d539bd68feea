"""ember.autograd.functional, saved-tensor hooks, ember.utils.checkpoint and ember.func, each
checked against PyTorch on the same functions and inputs: values, shapes, tuple/dict structure,
requires_grad of the results, and the exception types of misuse."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import torch

import ember
import ember.autograd.functional as EAF
import ember.func as EF
from ember.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from ember.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

TAF = torch.autograd.functional
TF = torch.func

RNG = np.random.default_rng(0)
XA, YA, BA = RNG.standard_normal(3), RNG.standard_normal(2), RNG.standard_normal((4, 3))


def _same(a, b, path="result"):
    """``a`` (ember) has ``b``'s (torch or ember) structure, types, shapes, values and
    requires_grad."""
    if isinstance(b, (torch.Tensor, ember.Tensor)):
        assert isinstance(a, ember.Tensor), f"{path}: {type(a)}"
        assert tuple(a.shape) == tuple(b.shape), f"{path}: shape {a.shape} != {b.shape}"
        np.testing.assert_allclose(
            a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9, err_msg=path
        )
        assert a.requires_grad == b.requires_grad, f"{path}: requires_grad {a.requires_grad}"
    elif isinstance(b, dict):
        assert type(a) is dict and list(a) == list(b), f"{path}: {a!r}"
        for k in b:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {type(a)} vs {type(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            _same(u, v, f"{path}[{i}]")
    else:
        assert a == b, path


def _inputs(lib, requires_grad=False):
    return tuple(lib.tensor(a, requires_grad=requires_grad) for a in (XA, YA, BA))


# -- torch.autograd.functional --------------------------------------------------------------------


def _f1(a):
    return a.sin() * a.sum()


def _f2(a, b):
    return a.sum() * b, a.exp()


def _s1(a):
    return (a**3).sum() * a[0]


def _s2(a, b):
    return a.exp().sum() * (b**2).sum()


FUNCTIONAL_CASES = {
    "jacobian": lambda F, lib, x, y: F.jacobian(_f1, x),
    "jacobian_tuple_in": lambda F, lib, x, y: F.jacobian(_f1, (x,)),
    "jacobian_tuple_both": lambda F, lib, x, y: F.jacobian(_f2, (x, y)),
    "jacobian_tuple_out": lambda F, lib, x, y: F.jacobian(lambda a: (a.sum(), a), x),
    "jacobian_create_graph": lambda F, lib, x, y: F.jacobian(_f1, x, create_graph=True),
    "jacobian_unused_input": lambda F, lib, x, y: F.jacobian(lambda a, b: a * 2, (x, y)),
    "hessian": lambda F, lib, x, y: F.hessian(_s1, x),
    "hessian_tuple": lambda F, lib, x, y: F.hessian(_s2, (x, y)),
    "hessian_linear": lambda F, lib, x, y: F.hessian(lambda a: a.sum(), x),
    "vjp": lambda F, lib, x, y: F.vjp(_f1, x, x.cos()),
    "vjp_tuple": lambda F, lib, x, y: F.vjp(_f2, (x, y), (y, x)),
    "vjp_scalar_no_v": lambda F, lib, x, y: F.vjp(lambda a: a.sum(), x),
    "vjp_create_graph": lambda F, lib, x, y: F.vjp(_f1, x, x.cos(), create_graph=True),
    "vjp_constant_output": lambda F, lib, x, y: F.vjp(lambda a: lib.ones(3), x, x),
    "jvp": lambda F, lib, x, y: F.jvp(_f1, x, x.cos()),
    "jvp_tuple": lambda F, lib, x, y: F.jvp(_f2, (x, y), (x, y)),
    "jvp_scalar_no_v": lambda F, lib, x, y: F.jvp(lambda a: a.exp(), x[0]),
    "jvp_create_graph": lambda F, lib, x, y: F.jvp(_f1, x, x.cos(), create_graph=True),
    "hvp": lambda F, lib, x, y: F.hvp(_s1, x, x.cos()),
    "hvp_tuple": lambda F, lib, x, y: F.hvp(_s2, (x, y), (x, y)),
    "vhp": lambda F, lib, x, y: F.vhp(_s1, x, x.cos()),
    "vhp_tuple": lambda F, lib, x, y: F.vhp(_s2, (x, y), (x, y)),
    "vhp_create_graph": lambda F, lib, x, y: F.vhp(_s1, x, x.cos(), create_graph=True),
}


@pytest.mark.parametrize("case", FUNCTIONAL_CASES)
def test_functional_matches_torch(case):
    fn = FUNCTIONAL_CASES[case]
    _same(fn(EAF, ember, *_inputs(ember)[:2]), fn(TAF, torch, *_inputs(torch)[:2]), case)


def test_jacobian_vectorize_and_forward_mode_give_the_reverse_mode_result():
    # (torch's vectorized path is slow to start, so these compare with ember's plain jacobian)
    x = ember.tensor(XA)
    ref = EAF.jacobian(_f2, (x, x[:2]))
    _same(EAF.jacobian(_f2, (x, x[:2]), vectorize=True), ref)
    _same(EAF.jacobian(_f2, (x, x[:2]), vectorize=True, strategy="forward-mode"), ref)


@pytest.mark.parametrize(
    "name, call",
    [
        ("jacobian", lambda F, x: F.jacobian(_f1, x, create_graph=True).sum()),
        ("hessian", lambda F, x: F.hessian(_s1, x, create_graph=True).sum()),
        ("vjp", lambda F, x: F.vjp(_f1, x, x.cos(), create_graph=True)[1].sum()),
        ("jvp", lambda F, x: F.jvp(_f1, x, x.cos(), create_graph=True)[1].sum()),
        ("hvp", lambda F, x: F.hvp(_s1, x, x.cos(), create_graph=True)[1].sum()),
        ("vhp", lambda F, x: F.vhp(_s1, x, x.cos(), create_graph=True)[1].sum()),
    ],
)
def test_functional_create_graph_is_differentiable_again(name, call):
    grads = []
    for F, lib in ((EAF, ember), (TAF, torch)):
        x = lib.tensor(XA, requires_grad=True)
        out = call(F, x)
        assert out.requires_grad, name
        out.backward()
        grads.append(x.grad)
    _same(*grads, name)


FUNCTIONAL_ERRORS = {
    "vjp_v_needed": lambda F, lib, x: F.vjp(_f1, x),
    "vjp_bad_v_size": lambda F, lib, x: F.vjp(_f1, x, lib.ones(2, dtype=lib.float64)),
    "jvp_v_needed": lambda F, lib, x: F.jvp(_f1, x),
    "jacobian_bad_output": lambda F, lib, x: F.jacobian(lambda a: 3, x),
    "jacobian_list_input": lambda F, lib, x: F.jacobian(_f1, [x]),
    "jacobian_strict": lambda F, lib, x: F.jacobian(lambda a: lib.ones(2), x, strict=True),
    "jacobian_strict_unused": lambda F, lib, x: F.jacobian(
        lambda a, b: a * 2, (x, x[:2]), strict=True
    ),
    "jacobian_forward_mode": lambda F, lib, x: F.jacobian(_f1, x, strategy="forward-mode"),
    "jacobian_bad_strategy": lambda F, lib, x: F.jacobian(_f1, x, strategy="sideways"),
    "hessian_not_scalar": lambda F, lib, x: F.hessian(lambda a: a**3, x),
    "hessian_strict_linear": lambda F, lib, x: F.hessian(lambda a: a.sum(), x, strict=True),
    "hvp_not_scalar": lambda F, lib, x: F.hvp(lambda a: a**3, x, x),
    "vhp_v_needed": lambda F, lib, x: F.vhp(lambda a: a.sum() ** 2, x),
}


@pytest.mark.parametrize("case", FUNCTIONAL_ERRORS)
def test_functional_errors_match_torch(case):
    fn = FUNCTIONAL_ERRORS[case]
    with pytest.raises(Exception) as te:
        fn(TAF, torch, torch.tensor(XA))
    with pytest.raises(te.type):
        fn(EAF, ember, ember.tensor(XA))


def test_functional_is_lazy_and_reachable():
    code = (
        "import sys, ember; mods = ('ember.func', 'ember.autograd.functional', "
        "'ember.utils.checkpoint', 'ember.autograd.graph', 'ember.autograd.variable'); "
        "assert not [m for m in mods if m in sys.modules], [m for m in mods if m in sys.modules]; "
        "assert ember.autograd.functional.jacobian and ember.func.vmap; "
        "import ember.utils.checkpoint; assert ember.utils.checkpoint.checkpoint; "
        "assert ember.autograd.graph.saved_tensors_hooks"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- saved-tensor hooks ---------------------------------------------------------------------------


def _hooked_run(lib, graph):
    """Pack doubles every saved tensor; returns the calls made and the resulting gradient."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    calls = []

    def pack(t):
        calls.append(("pack", tuple(t.shape), t.grad_fn is not None, lib.is_grad_enabled()))
        return t * 2

    def unpack(t):
        calls.append("unpack")
        return t

    with graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).exp().sum() + lib.tanh(x).sum()
    packs = list(calls)
    y.backward()
    return packs, calls[len(packs) :], x.grad


def test_saved_tensors_hooks_counts_and_unpacked_values_match_torch():
    e_packs, e_unpacks, e_grad = _hooked_run(ember, ember.autograd.graph)
    t_packs, t_unpacks, t_grad = _hooked_run(torch, torch.autograd.graph)
    assert e_packs == t_packs  # x twice (mul), exp's and tanh's outputs; no recording inside
    assert e_unpacks == t_unpacks == ["unpack"] * 4
    _same(e_grad, t_grad)  # the gradient used the doubled (unpacked) tensors
    plain = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((plain * plain).exp().sum() + ember.tanh(plain).sum()).backward()
    assert not np.allclose(plain.grad.numpy(), e_grad.numpy())


def test_saved_tensors_hooks_nesting_and_errors():
    x = ember.tensor(XA, requires_grad=True)
    seen = []
    with saved_tensors_hooks(lambda t: ("outer", t), lambda p: p[1]):
        with saved_tensors_hooks(lambda t: ("inner", t), lambda p: seen.append(p[0]) or p[1]):
            y = x.exp()
        z = x.sin()
    (y.sum() + z.sum()).backward()
    assert seen == ["inner"]
    np.testing.assert_allclose(x.grad.numpy(), np.exp(XA) + np.cos(XA))
    with saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = x.exp()
    with pytest.raises(TypeError):  # torch: TypeError too
        y.sum().backward()
    with disable_saved_tensors_hooks("no hooks in here"):
        with pytest.raises(RuntimeError, match="no hooks in here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass


def test_save_on_cpu_and_variable():
    x = ember.tensor(XA, requires_grad=True)
    with save_on_cpu(pin_memory=True):
        y = (x * x.exp()).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(XA) * (1 + XA))
    v = ember.autograd.Variable(x * 2, requires_grad=True)
    tv = torch.autograd.Variable(torch.tensor(XA) * 2, requires_grad=True)
    assert type(v) is ember.Tensor and v.requires_grad and v.grad_fn is None and tv.grad_fn is None
    assert isinstance(ember.ones(1), ember.autograd.Variable)
    with pytest.raises(TypeError):
        ember.autograd.Variable([1.0])
    with pytest.raises(TypeError):
        torch.autograd.Variable([1.0])


def test_save_on_cpu_moves_saved_cuda_tensors_to_the_host():
    from fake_cupy import installed

    with installed():
        x = ember.tensor(XA, device="cuda", requires_grad=True)
        devices = []
        inner = save_on_cpu()
        pack, unpack = inner.pack_hook, inner.unpack_hook

        def spy_pack(t):
            packed = pack(t)
            devices.append(("pack", packed[1].device.type))
            return packed

        with saved_tensors_hooks(
            spy_pack, lambda p: devices.append(("unpack", unpack(p).device.type)) or unpack(p)
        ):
            y = (x * x.exp()).sum()
        y.backward()
        assert devices == [("pack", "cpu")] * 3 + [("unpack", "cuda")] * 3
        assert x.grad.device.type == "cuda"
        np.testing.assert_allclose(x.grad.cpu().numpy(), np.exp(XA) * (1 + XA))
        # checkpoint on the device: the recompute stays there, the gradients match the plain run
        z = checkpoint(lambda a: (a.sin() * a).exp(), x, use_reentrant=False)
        (g,) = ember.autograd.grad(z.sum(), x)
        (ref,) = ember.autograd.grad((x.sin() * x).exp().sum(), x)
        assert g.device.type == "cuda"
        np.testing.assert_array_equal(g.cpu().numpy(), ref.cpu().numpy())


# -- checkpoint -----------------------------------------------------------------------------------

W1, W2 = RNG.standard_normal((5, 6)), RNG.standard_normal((6, 4))
XB = RNG.standard_normal((3, 5))


def _block(lib, w1, w2, p=0.0):
    def f(x):
        h = lib.tanh(x @ w1).exp()
        if p:
            h = lib.nn.functional.dropout(h, p)
        return (h @ w2).sigmoid()

    return f


def _grads(lib, use_ckpt, use_reentrant=False, p=0.0, seed=3):
    x = lib.tensor(XB, requires_grad=True)
    w1, w2 = lib.tensor(W1, requires_grad=True), lib.tensor(W2, requires_grad=True)
    lib.manual_seed(seed)
    f = _block(lib, w1, w2, p)
    if use_ckpt:
        ck = (
            ember.utils.checkpoint.checkpoint if lib is ember else torch.utils.checkpoint.checkpoint
        )
        y = ck(f, x, use_reentrant=use_reentrant)
    else:
        y = f(x)
    (y * y).sum().backward()
    return y, x.grad, w1.grad, w2.grad


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_match_plain_and_torch(use_reentrant):
    plain = _grads(ember, False)
    ckpt = _grads(ember, True, use_reentrant)
    ref = _grads(torch, True, use_reentrant)
    for a, b, t in zip(ckpt, plain, ref):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_restores_rng_for_dropout(use_reentrant):
    plain = _grads(ember, False, p=0.5)
    ckpt = _grads(ember, True, use_reentrant, p=0.5)
    for a, b in zip(ckpt, plain):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(plain[0].detach().numpy(), _grads(ember, False)[0].detach().numpy())
    # without the restore the recompute draws other masks, and the gradients differ
    x = ember.tensor(XB, requires_grad=True)
    ember.manual_seed(3)
    f = _block(ember, ember.tensor(W1), ember.tensor(W2), 0.5)
    y = checkpoint(f, x, use_reentrant=use_reentrant, preserve_rng_state=False)
    (y * y).sum().backward()
    assert not np.allclose(x.grad.numpy(), plain[1].numpy())


def _saved_bytes(t):
    """Bytes of arrays held by the saved tensors of the graph behind ``t``."""
    total, seen, stack = 0, set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "_saved"):
            continue
        seen.add(id(node))
        for _kind, obj, _aux, _v in node._saved or ():
            arr = getattr(obj, "_data", obj)
            total += getattr(arr, "nbytes", 0)
        stack += [n for n, _ in node.next_functions]
    return total


def test_checkpoint_keeps_fewer_activations():
    x = ember.tensor(np.ones((64, 32)), requires_grad=True)
    ws = [ember.tensor(RNG.standard_normal((32, 32)) / 6, requires_grad=True) for _ in range(4)]

    def deep(h):
        for w in ws:
            h = (h @ w).tanh()
        return h

    plain = deep(x)
    ckpt = checkpoint(deep, x, use_reentrant=False)
    assert _saved_bytes(plain) > 4 * 64 * 32 * 8
    assert _saved_bytes(ckpt) == 0  # only small placeholders; inputs and weights live outside
    ckpt.sum().backward()
    g = x.grad.numpy().copy()
    x.grad = None
    plain.sum().backward()
    np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-12)


def test_checkpoint_grad_and_double_backward():
    x = ember.tensor(XA, requires_grad=True)
    w = ember.tensor(YA[:1], requires_grad=True)
    y = checkpoint(lambda a: (a**3 * w).sum(), x, use_reentrant=False)
    gx, gw = ember.autograd.grad(y, (x, w), create_graph=True)  # w is not an input: still reached
    np.testing.assert_allclose(gw.detach().numpy(), [(XA**3).sum()])
    (gxx,) = ember.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(gxx.numpy(), 6 * XA * YA[0])


def test_checkpoint_errors_and_warnings_match_torch():
    for lib, ck in ((ember, checkpoint), (torch, torch.utils.checkpoint.checkpoint)):
        x = lib.tensor(XA, requires_grad=True)
        with pytest.warns(UserWarning):  # use_reentrant not given
            ck(lambda a: a.sin(), x)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad"):
            y = ck(lambda a: a.sin(), x.detach(), use_reentrant=True)
        assert not y.requires_grad
        with pytest.raises(ValueError):
            ck(lambda a: a, x, use_reentrant=True, foo=1)
        with pytest.raises(ValueError):
            ck(lambda a: a, x, use_reentrant=False, determinism_check="sometimes")
        calls = []

        def shifty(a, calls=calls):
            calls.append(1)
            return a.exp() if len(calls) == 1 else a[:2].exp().sum()

        y = ck(shifty, x, use_reentrant=False)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
        assert type(err.value).__name__ == "CheckpointError"
    assert issubclass(CheckpointError, RuntimeError)


def test_checkpoint_sequential_matches_torch():
    outs = []
    for lib, cs in (
        (ember, checkpoint_sequential),
        (torch, torch.utils.checkpoint.checkpoint_sequential),
    ):
        lib.manual_seed(0)
        seq = lib.nn.Sequential(
            lib.nn.Linear(5, 6),
            lib.nn.Tanh(),
            lib.nn.Linear(6, 6),
            lib.nn.ReLU(),
            lib.nn.Linear(6, 2),
        ).double()
        with lib.no_grad():
            for i, p in enumerate(seq.parameters()):
                p.copy_(lib.tensor(np.cos(np.arange(p.numel()) + i).reshape(tuple(p.shape))))
        x = lib.tensor(XB, requires_grad=True)
        y = cs(seq, 2, x, use_reentrant=False)
        y.pow(2).sum().backward()
        outs.append((y, x.grad, seq[0].weight.grad, seq[4].bias.grad))
        y2 = cs(list(seq), 3, x, use_reentrant=True)
        outs.append((y2,))
    for a, b in zip(outs[0], outs[2]):
        _same(a, b)
    _same(outs[1][0], outs[3][0])


# -- torch.func -----------------------------------------------------------------------------------


def _s(a):
    return (a.sin() * a).sum()


def _sb(a, b):
    return (a.exp().sum() * b).sum()


FUNC_CASES = {
    "grad": lambda F, lib, x, y, B: F.grad(_s)(x),
    "grad_argnums_tuple": lambda F, lib, x, y, B: F.grad(_sb, argnums=(0, 1))(x, y),
    "grad_argnums_1": lambda F, lib, x, y, B: F.grad(_sb, argnums=1)(x, y),
    "grad_argnums_neg": lambda F, lib, x, y, B: F.grad(_sb, argnums=-1)(x, y),
    "grad_has_aux": lambda F, lib, x, y, B: F.grad(lambda a: (_s(a), a * 2), has_aux=True)(x),
    "grad_dict_input": lambda F, lib, x, y, B: F.grad(lambda d: (d["w"] * d["b"].sum()).sum())(
        {"w": x, "b": y}
    ),
    "grad_of_grad": lambda F, lib, x, y, B: F.grad(lambda a: F.grad(_s)(a).sum())(x),
    "grad_and_value": lambda F, lib, x, y, B: F.grad_and_value(_s)(x),
    "grad_and_value_aux": lambda F, lib, x, y, B: F.grad_and_value(
        lambda a: (_s(a), {"k": a}), has_aux=True
    )(x),
    "vjp": lambda F, lib, x, y, B: (lambda o, fn: (o, fn((x, y.sum() * x))))(
        *F.vjp(lambda a, b: (a * b.sum(), a.cos()), x, y)
    ),
    "vjp_aux": lambda F, lib, x, y, B: F.vjp(lambda a: (a * 2, a.sum()), x, has_aux=True)[::2],
    "jvp": lambda F, lib, x, y, B: F.jvp(lambda a, b: (a * b.sum(), a.cos()), (x, y), (x.cos(), y)),
    "jvp_aux": lambda F, lib, x, y, B: F.jvp(lambda a: (a.exp(), a), (x,), (x,), has_aux=True),
    "jacrev": lambda F, lib, x, y, B: F.jacrev(lambda a: a.sin() * a.sum())(x),
    "jacrev_argnums": lambda F, lib, x, y, B: F.jacrev(
        lambda a, b: (a * b.sum(), b.exp()), argnums=(0, 1)
    )(x, y),
    "jacrev_dict_out": lambda F, lib, x, y, B: F.jacrev(lambda a: {"u": a * 2, "v": a.sum()})(x),
    "jacrev_aux": lambda F, lib, x, y, B: F.jacrev(lambda a: (a * 2, a.sum()), has_aux=True)(x),
    "jacfwd": lambda F, lib, x, y, B: F.jacfwd(lambda a: a.sin() * a.sum())(x),
    "jacfwd_argnums": lambda F, lib, x, y, B: F.jacfwd(lambda a, b: a * b.sum(), argnums=(0, 1))(
        x, y
    ),
    "hessian": lambda F, lib, x, y, B: F.hessian(_s)(x),
    "hessian_argnums": lambda F, lib, x, y, B: F.hessian(_sb, argnums=(0, 1))(x, y),
    "jacrev_of_jacrev": lambda F, lib, x, y, B: F.jacrev(F.jacrev(lambda a: a**3))(x),
    "vmap": lambda F, lib, x, y, B: F.vmap(lambda a: a.sum())(B),
    "vmap_in_dims_tuple": lambda F, lib, x, y, B: F.vmap(lambda a, b: a * b, in_dims=(1, None))(
        B, B[:, 0] + 1
    ),
    "vmap_in_dims_none": lambda F, lib, x, y, B: F.vmap(lambda a, b: a @ b, in_dims=(0, None))(
        B, x
    ),
    "vmap_out_dims": lambda F, lib, x, y, B: F.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(B),
    "vmap_negative_dims": lambda F, lib, x, y, B: F.vmap(
        lambda a: a.unsqueeze(0) * 2, in_dims=-1, out_dims=-1
    )(B),
    "vmap_nested": lambda F, lib, x, y, B: F.vmap(F.vmap(lambda a, b: a * b))(B, B.cos()),
    "vmap_nested_outer": lambda F, lib, x, y, B: F.vmap(
        F.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0)
    )(x, y),
    "vmap_grad": lambda F, lib, x, y, B: F.vmap(F.grad(_s))(B),
    "vmap_jacrev": lambda F, lib, x, y, B: F.vmap(F.jacrev(lambda a: a.sin() * a.sum()))(B),
    "vmap_dict_in_dims": lambda F, lib, x, y, B: F.vmap(
        lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},)
    )({"a": B, "b": x}),
    "vmap_list_input": lambda F, lib, x, y, B: F.vmap(lambda pair: pair[0] * pair[1])([B, B]),
    "vmap_empty_batch": lambda F, lib, x, y, B: F.vmap(lambda a: a * 2)(B[:0]),
    "vmap_kwargs_unmapped": lambda F, lib, x, y, B: F.vmap(lambda a, scale=1.0: a * scale)(
        B, scale=x
    ),
    "vmap_out_dims_none": lambda F, lib, x, y, B: F.vmap(
        lambda a, b: (a, b), in_dims=(0, None), out_dims=(0, None)
    )(B, y),
}


@pytest.mark.parametrize("case", FUNC_CASES)
def test_func_matches_torch(case):
    fn = FUNC_CASES[case]
    _same(fn(EF, ember, *_inputs(ember)), fn(TF, torch, *_inputs(torch)), case)


def test_func_results_track_outer_autograd():
    results = []
    for F, lib in ((EF, ember), (TF, torch)):
        x = lib.tensor(XA, requires_grad=True)
        g = F.grad(_s)(x)
        j = F.jacrev(lambda a: a**3)(x)
        v = F.vmap(lambda a, x=x: (a * x).sum())(lib.tensor(BA))
        (g.sum() + j.sum() + v.sum()).backward()
        results.append((g, j, v, x.grad))
    _same(*results)


def test_functional_call_under_grad_matches_torch():
    results = []
    for F, lib in ((EF, ember), (TF, torch)):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2).double()
        params = {
            "weight": lib.tensor(np.cos(np.arange(6.0)).reshape(2, 3)),
            "bias": lib.tensor(np.array([0.5, -1.0])),
        }
        x = lib.tensor(BA)
        out = F.functional_call(m, params, (x,))
        g = F.grad(lambda p, F=F, m=m, x=x: F.functional_call(m, p, (x,)).pow(2).sum())(params)
        results.append((out, g))
    _same(*results)


FUNC_ERRORS = {
    "grad_non_scalar": lambda F, lib, x: F.grad(lambda a: a * 2)(x),
    "grad_non_tensor": lambda F, lib, x: F.grad(lambda a: 3)(x),
    "grad_has_aux_not_pair": lambda F, lib, x: F.grad(lambda a: a.sum(), has_aux=True)(x),
    "grad_argnums_out_of_range": lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=2)(x),
    "grad_argnums_empty": lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=())(x),
    "grad_argnums_float": lambda F, lib, x: F.grad(lambda a: a.sum(), argnums=0.5)(x),
    "grad_integer_input": lambda F, lib, x: F.grad(lambda a: a.sum())(lib.arange(3)),
    "vjp_non_tensor_output": lambda F, lib, x: F.vjp(lambda a: 3, x),
    "vjp_bad_cotangent": lambda F, lib, x: F.vjp(lambda a: a * 2, x)[1](lib.ones(2)),
    "jvp_primals_not_tuple": lambda F, lib, x: F.jvp(lambda a: a * 2, x, x),
    "jvp_tangent_size": lambda F, lib, x: F.jvp(lambda a: a * 2, (x,), (x[:2],)),
    "vmap_no_inputs": lambda F, lib, x: F.vmap(lambda: 1)(),
    "vmap_in_dims_none": lambda F, lib, x: F.vmap(lambda a: a, in_dims=None)(x),
    "vmap_in_dims_str": lambda F, lib, x: F.vmap(lambda a: a, in_dims="0")(x),
    "vmap_all_unmapped": lambda F, lib, x: F.vmap(lambda a: a, in_dims=(None,))(x),
    "vmap_in_dims_length": lambda F, lib, x: F.vmap(lambda a, b: a, in_dims=(0,))(x, x),
    "vmap_in_dim_out_of_range": lambda F, lib, x: F.vmap(lambda a: a, in_dims=1)(x),
    "vmap_sizes_differ": lambda F, lib, x: F.vmap(lambda a, b: a + b.sum())(x, x[:2]),
    "vmap_non_tensor_mapped": lambda F, lib, x: F.vmap(lambda a, s: a * s, in_dims=(0, 0))(x, 2.0),
    "vmap_non_tensor_output": lambda F, lib, x: F.vmap(lambda a: 3)(x),
    "vmap_batched_out_dim_none": lambda F, lib, x: F.vmap(lambda a: a * 2, out_dims=None)(x),
    "vmap_bad_randomness": lambda F, lib, x: F.vmap(lambda a: a, randomness="sometimes"),
}


@pytest.mark.parametrize("case", FUNC_ERRORS)
def test_func_errors_match_torch(case):
    fn = FUNC_ERRORS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as te:
            fn(TF, torch, torch.tensor(XA))
    with pytest.raises(te.type):
        fn(EF, ember, ember.tensor(XA))


def test_vmap_randomness():
    b = ember.zeros(4, 3)
    same = EF.vmap(lambda r: r + ember.rand(3), randomness="same")(b)
    diff = EF.vmap(lambda r: r + ember.rand(3), randomness="different")(b)
    assert (same == same[0]).all()
    assert not (diff == diff[0]).all()
