"""Every op of tests/op_db.py against PyTorch: forward values, gradients, gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, torch
from op_db import NP_DTYPES, OP_DB, Maker, T

import ember
from ember.autograd import gradcheck, gradgradcheck


def build(lib, x, dtype, leaves=None):
    """The library's version of a sample argument; float ``T``s become leaves when asked."""
    if isinstance(x, T):
        arr = x.arr if x.fixed else x.arr.astype(NP_DTYPES[dtype])
        if x.nc == "T" and arr.ndim > 1:
            # the transpose of a contiguous tensor: same values, dims in reverse memory order
            t = lib.tensor(np.ascontiguousarray(arr.T)).permute(*reversed(range(arr.ndim)))
        elif x.nc and arr.ndim:
            # every other element of a twice-as-wide tensor: same values, not contiguous
            t = lib.tensor(np.repeat(arr, 2, axis=-1))[..., ::2]
        else:
            t = lib.tensor(arr)
        if leaves is not None and x.grad and t.is_floating_point():
            t = t.detach().requires_grad_()
            leaves.append(t)
        return t
    if isinstance(x, list):
        return [build(lib, v, dtype, leaves) for v in x]
    if isinstance(x, tuple):
        return tuple(build(lib, v, dtype, leaves) for v in x)
    if isinstance(x, dict):
        return {k: build(lib, v, dtype, leaves) for k, v in x.items()}
    return x


def flat(out) -> list:
    """The tensors of an op's result, in order (tuples and lists flattened)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out] if isinstance(out, (ember.Tensor, torch.Tensor)) else []


def compare(actual, expected, atol, rtol):
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, ember.Tensor), f"expected a Tensor, got {type(actual)}"
        assert_close(actual, expected, rtol=rtol, atol=atol)
    elif isinstance(expected, torch.Size):
        assert tuple(actual) == tuple(expected)
    elif isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"expected a sequence, got {type(actual)}"
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            compare(a, e, atol, rtol)
        for field in ("values", "indices"):
            if hasattr(expected, field):
                compare(getattr(actual, field), getattr(expected, field), atol, rtol)
    else:
        assert type(actual) is type(expected), f"{type(actual)} != {type(expected)}"
        assert actual == pytest.approx(expected, rel=rtol, abs=atol)


def _run(op, lib, variant, sample, dtype, leaves=None):
    args = build(lib, sample.args, dtype, leaves)
    kwargs = build(lib, sample.kwargs, dtype, leaves)
    return op.run(lib, variant, args, kwargs)


FORWARD = [
    pytest.param(op, v, d, id=f"{op.name}-{v}-{d}")
    for op in OP_DB
    for v in op.variants
    for d in op.dtypes
]


@pytest.mark.parametrize("op,variant,dtype", FORWARD)
def test_forward(op, variant, dtype):
    """Values, dtype and shape equal PyTorch's; where PyTorch refuses, ember raises the same."""
    atol = op.atol if dtype != "float16" else 1e-2
    for sample in op.samples(Maker(dtype)):
        try:
            expected = _run(op, torch, variant, sample, dtype)
        except Exception as exc:  # noqa: BLE001  (PyTorch rejects this input: so must ember)
            with pytest.raises(type(exc)):
                _run(op, ember, variant, sample, dtype)
            continue
        actual = _run(op, ember, variant, sample, dtype)
        try:
            compare(actual, expected, atol, op.rtol)
        except AssertionError as e:
            raise AssertionError(f"sample {sample}: {e}") from None


GRAD = [
    pytest.param(op, v, id=f"{op.name}-{v}") for op in OP_DB if op.grad for v in op.grad_variants
]


@pytest.mark.parametrize("op,variant", GRAD)
def test_grad(op, variant):
    """Gradients of a weighted sum of the outputs equal PyTorch's (float32)."""
    rng = np.random.default_rng(1)
    checked = 0
    for sample in op.samples(Maker("float32")):
        tleaves, eleaves = [], []
        try:
            tout = _run(op, torch, variant, sample, "float32", tleaves)
        except Exception:  # noqa: BLE001  (test_forward checks the refusal)
            continue
        eout = _run(op, ember, variant, sample, "float32", eleaves)
        touts, eouts = flat(tout), flat(eout)
        assert len(touts) == len(eouts)
        for t, e in zip(touts, eouts):
            assert e.requires_grad == t.requires_grad, f"sample {sample}: requires_grad differs"
        pairs = [(t, e) for t, e in zip(touts, eouts) if t.requires_grad]
        if not pairs or not tleaves:
            continue
        tloss = eloss = 0
        for t, e in pairs:
            w = rng.uniform(-1, 1, tuple(t.shape)).astype(np.float32)
            tloss = tloss + (t * torch.from_numpy(w)).sum()
            eloss = eloss + (e * ember.tensor(w)).sum()
        tg = torch.autograd.grad(tloss, tleaves, allow_unused=True)
        eg = ember.autograd.grad(eloss, eleaves, allow_unused=True)
        for leaf, a, b in zip(tleaves, eg, tg):
            a = ember.zeros(leaf.shape) if a is None else a
            b = torch.zeros(leaf.shape) if b is None else b
            try:
                assert_close(a, b, rtol=1e-4, atol=1e-5)
            except AssertionError as e:
                raise AssertionError(f"sample {sample}: {e}") from None
        checked += 1
    assert checked, "no sample produced a gradient"


GRADCHECK = [pytest.param(op, id=op.name) for op in OP_DB if op.grad and op.gradcheck_samples]


@pytest.mark.parametrize("op", GRADCHECK)
def test_gradcheck(op):
    """Finite differences agree with autograd, to first and second order (float64)."""
    variant = op.variants[0]
    checked = 0
    for sample in op.samples(Maker("float64"))[: op.gradcheck_samples]:
        try:
            _run(op, torch, variant, sample, "float64")
        except Exception:  # noqa: BLE001  (PyTorch rejects it; test_forward checks ember does)
            continue
        leaves = []
        args = build(ember, sample.args, "float64", leaves)
        kwargs = build(ember, sample.kwargs, "float64", leaves)
        out = flat(op.run(ember, variant, args, kwargs))
        if not leaves or not any(o.requires_grad for o in out):
            continue

        def fn(*_, args=args, kwargs=kwargs):
            return tuple(o for o in flat(op.run(ember, variant, args, kwargs)) if o.requires_grad)

        assert gradcheck(fn, leaves), f"sample {sample}"
        if op.gradgrad:
            assert gradgradcheck(fn, leaves), f"sample {sample}"
        checked += 1
    assert checked, "no sample was differentiable"


ERRORS = [
    pytest.param(op, i, id=f"{op.name}-{i}")
    for op in OP_DB
    for i in range(len(op.errors(Maker("float32"))))
]


@pytest.mark.parametrize("op,i", ERRORS)
def test_errors(op, i):
    """Bad input raises the exception type PyTorch raises (and the message names the values)."""
    bad = op.errors(Maker("float32"))[i]
    variant = op.variants[0]
    args_t = build(torch, bad.args, "float32")
    with pytest.raises(bad.exc):
        op.run(torch, variant, args_t, build(torch, bad.kwargs, "float32"))
    args_e = build(ember, bad.args, "float32")
    with pytest.raises(bad.exc, match=bad.match):
        op.run(ember, variant, args_e, build(ember, bad.kwargs, "float32"))


def test_composite_docstring_examples_run():
    import doctest

    from ember.ops import composite

    res = doctest.testmod(
        composite, extraglobs={"ember": ember}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert res.attempted > 20 and res.failed == 0
