"""The layer and functional tables of the CPU tests, run on a 'cuda' device against the CPU.

``fake`` runs everywhere, on the stand-in device of tests/fake_cupy.py; ``cuda`` runs on a real
GPU and skips without one. Both compare ember on the device with ember on the CPU (the CPU
tests already compare ember with PyTorch), and check that every result stays on the device.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import pytest
from fake_cupy import installed
from test_functional import FUNCS
from test_nn_layers import LAYERS

import ember
import ember.nn.functional as EF

DEVICES = [
    pytest.param("fake", id="fake"),
    pytest.param(
        "cuda",
        id="cuda",
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(
                not ember.cuda.is_available(),
                reason="needs CuPy and an NVIDIA GPU (pip install 'ember[cuda]')",
            ),
        ],
    ),
]


def _device(kind):
    return installed() if kind == "fake" else contextlib.nullcontext()


def _close(dev, cpu, what, tol):
    if cpu is None:
        assert dev is None, what
        return
    assert dev.is_cuda, f"{what} left the device"
    assert dev.dtype == cpu.dtype and dev.shape == cpu.shape, what
    np.testing.assert_allclose(
        dev.detach().cpu().numpy().astype(np.float64),
        cpu.detach().numpy().astype(np.float64),
        rtol=tol,
        atol=tol,
        err_msg=what,
    )


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _run(module, arrays, grads, device):
    ins = [
        ember.tensor(a, requires_grad=a.dtype.kind == "f")
        .to(device)
        .detach()
        .requires_grad_(a.dtype.kind == "f")
        for a in arrays
    ]
    outs = _tuple(module(*ins))
    floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
    if floats and grads is not None:
        ember.autograd.backward(floats, [ember.tensor(g).to(device) for g in grads[: len(floats)]])
    return ins, outs


@pytest.mark.parametrize("kind", DEVICES)
@pytest.mark.parametrize("row", LAYERS, ids=[r.name for r in LAYERS])
def test_layer_on_device(row, kind):
    mode = "eval" if "eval" in row.modes else row.modes[0]
    tol = 1e-6 if kind == "fake" else max(row.tol, 1e-4)
    rng = np.random.default_rng(0)
    ember.manual_seed(0)
    cpu = row.make(ember.nn)
    cpu.train(mode == "train")
    with _device(kind):
        dev = copy.deepcopy(cpu).to("cuda")
        assert all(p.is_cuda for p in dev.parameters()) and all(b.is_cuda for b in dev.buffers())
        for spec in row.inputs:
            arrays = [make(rng) for make in spec]
            c_in, c_out = _run(cpu, arrays, None, "cpu")  # for the output shapes
            grads = [
                rng.standard_normal(tuple(o.shape)).astype(np.float32)
                for o in c_out
                if o.is_floating_point() and o.requires_grad
            ]
            cpu.zero_grad()
            c_in, c_out = _run(cpu, arrays, grads, "cpu")
            dev.zero_grad()
            d_in, d_out = _run(dev, arrays, grads, "cuda")
            for a, b in zip(d_out, c_out):
                _close(a, b, f"{row.name} output", tol)
            for a, b in zip(d_in, c_in):
                _close(a.grad, b.grad, f"{row.name} input grad", tol)
            for (name, a), (_, b) in zip(dev.named_parameters(), cpu.named_parameters()):
                _close(a.grad, b.grad, f"{row.name} {name}.grad", tol)
            for (name, a), (_, b) in zip(dev.named_buffers(), cpu.named_buffers()):
                _close(a, b, f"{row.name} buffer {name}", tol)


@pytest.mark.parametrize("kind", DEVICES)
@pytest.mark.parametrize("name,call,makers", FUNCS, ids=[f[0] for f in FUNCS])
def test_functional_on_device(name, call, makers, kind):
    tol = 1e-6 if kind == "fake" else 1e-4
    rng = np.random.default_rng(0)
    arrays = [m(rng) for m in makers]
    results = []
    with _device(kind):
        for device in ("cpu", "cuda"):
            ins = [ember.tensor(a).to(device).requires_grad_(a.dtype.kind == "f") for a in arrays]
            ember.manual_seed(0)
            out = call(EF, *ins)
            if out.requires_grad:
                out.backward(ember.ones(out.shape, dtype=out.dtype, device=out.device))
            results.append((ins, out))
        (c_in, c_out), (d_in, d_out) = results
        _close(d_out, c_out, f"{name} output", tol)
        for a, b in zip(d_in, c_in):
            _close(a.grad, b.grad, f"{name} input grad", tol)
