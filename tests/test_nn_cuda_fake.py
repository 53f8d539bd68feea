"""Every layer of tests/test_nn_layers.py and the losses, on the stand-in CUDA device
(tests/fake_cupy.py): results and gradients live on the device and match the CPU's, so no layer
leaks NumPy arrays into device code."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from fake_cupy import installed
from test_nn_layers import LAYERS

import ember
import ember.nn.functional as F


@pytest.fixture
def fake_cuda():
    with installed() as cp:
        yield cp


def _outputs(out):
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,))]


def _run(module, arrays, device):
    ins = [ember.tensor(a, requires_grad=a.dtype.kind == "f").to(device) for a in arrays]
    ins = [t.detach().requires_grad_(t.is_floating_point()) for t in ins]
    outs = _outputs(module(*ins))
    floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
    if floats:
        ember.autograd.backward(floats, [ember.ones_like(o) for o in floats])
    return outs, [t.grad for t in ins], [p.grad for p in module.parameters()]


@pytest.mark.parametrize("row", LAYERS, ids=[r.name for r in LAYERS])
def test_layer_on_fake_cuda(fake_cuda, row):
    rng = np.random.default_rng(0)
    mode = "eval" if "train" not in row.modes else "train"
    cpu = row.make(ember.nn).train(mode == "train")
    dev = copy.deepcopy(cpu).to("cuda")
    assert all(p.is_cuda for p in dev.parameters()) and all(b.is_cuda for b in dev.buffers())
    arrays = [make(rng) for make in row.inputs[0]]
    c_outs, c_in, c_par = _run(cpu, arrays, "cpu")
    d_outs, d_in, d_par = _run(dev, arrays, "cuda")
    for a, b in zip(d_outs + d_in + d_par, c_outs + c_in + c_par):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.is_cuda
            np.testing.assert_allclose(
                a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5
            )
    for a, b in zip(dev.buffers(), cpu.buffers()):
        np.testing.assert_allclose(a.cpu().numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


LOSSES = [
    ("cross_entropy", lambda x, t, p: F.cross_entropy(x, t, label_smoothing=0.1)),
    (
        "nll_weight",
        lambda x, t, p: F.nll_loss(F.log_softmax(x, 1), t, weight=ember.ones(5, device=x.device)),
    ),
    ("cross_entropy_probs", lambda x, t, p: F.cross_entropy(x, p)),
    (
        "bce_logits",
        lambda x, t, p: F.binary_cross_entropy_with_logits(
            x, p, pos_weight=ember.full((5,), 2.0, device=x.device)
        ),
    ),
    ("bce", lambda x, t, p: F.binary_cross_entropy(x.sigmoid(), p)),
    ("mse", lambda x, t, p: F.mse_loss(x, p)),
    ("huber", lambda x, t, p: F.huber_loss(x, p)),
    ("kl_div", lambda x, t, p: F.kl_div(F.log_softmax(x, 1), p, reduction="batchmean")),
    ("multi_margin", lambda x, t, p: F.multi_margin_loss(x, t)),
    (
        "grid_sample",
        lambda x, t, p: F.grid_sample(
            x.reshape(1, 1, 6, 5), p[:, :4].reshape(1, 3, 4, 2) * 2 - 1, align_corners=False
        ).sum(),
    ),
    ("one_hot", lambda x, t, p: (F.one_hot(t, 5) * x).sum()),
    ("dropout", lambda x, t, p: F.dropout(x, 0.3).sum() * 0 + F.alpha_dropout(x, 0.0).sum()),
]


@pytest.mark.parametrize("name, fn", LOSSES, ids=[n for n, _ in LOSSES])
def test_loss_on_fake_cuda(fake_cuda, name, fn):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = rng.integers(0, 5, 6)
    p = rng.random((6, 5)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    res = []
    for dev in ("cpu", "cuda"):
        xi = ember.tensor(x, device=dev, requires_grad=True)
        out = fn(xi, ember.tensor(t, device=dev), ember.tensor(p, device=dev))
        out.backward()
        assert out.device.type == dev and xi.grad.device.type == dev
        res.append((out.detach().cpu().numpy(), xi.grad.cpu().numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.LSTM(5, 7, num_layers=2, bidirectional=True),
        lambda nn: nn.LSTM(5, 7, proj_size=3, batch_first=True),
        lambda nn: nn.GRU(5, 7, bidirectional=True),
        lambda nn: nn.RNN(5, 7, nonlinearity="relu"),
    ],
    ids=["lstm-bi-2layer", "lstm-proj", "gru-bi", "rnn-relu"],
)
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_recurrent_layers_on_fake_cuda(fake_cuda, make, packed):
    # The fused recurrence kernels (ember/nn/_rnn.py) run on device arrays too.
    from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    rng = np.random.default_rng(0)
    ember.manual_seed(0)
    cpu = make(ember.nn)
    dev = copy.deepcopy(cpu).to("cuda")
    bf = cpu.batch_first
    x_np = rng.standard_normal((3, 6, 5) if bf else (6, 3, 5)).astype(np.float32)
    lengths = [6, 4, 2]
    results = []
    for module, device in ((cpu, "cpu"), (dev, "cuda")):
        x = ember.tensor(x_np).to(device).requires_grad_()
        inp = pack_padded_sequence(x, lengths, batch_first=bf) if packed else x
        out, _ = module(inp)
        if packed:
            out, _ = pad_packed_sequence(out, batch_first=bf)
        (out * out).sum().backward()
        results.append([out, x.grad] + [p.grad for p in module.parameters()])
    for d, c in zip(results[1], results[0]):
        assert d.is_cuda
        np.testing.assert_allclose(
            d.detach().cpu().numpy(), c.detach().numpy(), rtol=1e-4, atol=1e-5
        )
