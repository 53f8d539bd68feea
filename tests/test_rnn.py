"""RNN, LSTM, GRU, their cells and nn.utils.rnn, against PyTorch with the same weights."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_close, torch

import ember
import ember.nn as nn
from ember.nn import _rnn
from ember.nn.utils import rnn as ernn

tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported:UserWarning")
T, B, IN, HID = 6, 3, 4, 5

# (class name, constructor kwargs): together they cover every option of the recurrent layers.
CASES = [
    ("RNN", {"num_layers": 2}),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False}),
]
IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw in CASES]


def _pair(cls: str, dtype=torch.float32, **kw):
    """A torch module and an ember module with the same weights (loaded from torch's state)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(tnn, cls)(IN, HID, **kw).to(dtype)
        em = getattr(nn, cls)(IN, HID, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _rand(*shape, dtype=np.float32):
    return np.random.randn(*shape).astype(dtype)


def _hidden_shapes(cls, kw, batch):
    d = 2 if kw.get("bidirectional") else 1
    n = kw.get("num_layers", 1) * d
    out = kw.get("proj_size") or HID
    shapes = [(n, batch, out)]
    if cls == "LSTM":
        shapes.append((n, batch, HID))
    return shapes


def _as_pairs(arrays):
    ems = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ems, ts


def _loss(out, hidden, weights):
    """A loss that touches every output, so every gradient path is checked."""
    hs = list(hidden) if isinstance(hidden, tuple) else [hidden]
    total = (out * weights[0]).sum()
    for h, w in zip(hs, weights[1:]):
        total = total + (h * w).sum()
    return total


def _check_grads(em, tm, e_in, t_in, atol=1e-5):
    for e, t in zip(e_in, t_in):
        assert_close(e.grad, t.grad, rtol=1e-5, atol=atol)
    tparams = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_matches_torch(cls, kw, with_hx):
    tm, em = _pair(cls, **kw)
    x = _rand(B, T, IN) if kw.get("batch_first") else _rand(T, B, IN)
    hx = [_rand(*s) for s in _hidden_shapes(cls, kw, B)] if with_hx else []
    (ex, *eh), (tx, *th) = _as_pairs([x] + hx)
    pack = (lambda h: tuple(h) if cls == "LSTM" else h[0]) if with_hx else (lambda h: None)
    eo, ehn = em(ex, pack(eh))
    to, thn = tm(tx, pack(th))
    assert_close(eo, to)
    for e, t in zip(ehn if cls == "LSTM" else [ehn], thn if cls == "LSTM" else [thn]):
        assert_close(e, t)
    ws = [_rand(*to.shape)] + [_rand(*h.shape) for h in (thn if cls == "LSTM" else [thn])]
    _loss(eo, ehn, [ember.tensor(w) for w in ws]).backward()
    _loss(to, thn, [torch.tensor(w) for w in ws]).backward()
    _check_grads(em, tm, [ex, *eh], [tx, *th])


@pytest.mark.parametrize("cls,kw", [CASES[1], CASES[3], CASES[5]], ids=[IDS[1], IDS[3], IDS[5]])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_input(cls, kw, enforce_sorted):
    tm, em = _pair(cls, **kw)
    bf = kw.get("batch_first", False)
    lengths = [6, 4, 2] if enforce_sorted else [2, 6, 4]
    x = _rand(B, T, IN) if bf else _rand(T, B, IN)
    hx = [_rand(*s) for s in _hidden_shapes(cls, kw, B)]
    (ex, *eh), (tx, *th) = _as_pairs([x] + hx)
    ep = ernn.pack_padded_sequence(ex, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    tp = tnn.utils.rnn.pack_padded_sequence(
        tx, lengths, batch_first=bf, enforce_sorted=enforce_sorted
    )
    pack = (lambda h: tuple(h)) if cls == "LSTM" else (lambda h: h[0])
    eo, ehn = em(ep, pack(eh))
    to, thn = tm(tp, pack(th))
    assert isinstance(eo, ernn.PackedSequence)
    assert_close(eo.data, to.data)
    assert eo.batch_sizes.tolist() == to.batch_sizes.tolist()
    e_pad, e_len = ernn.pad_packed_sequence(eo, batch_first=bf)
    t_pad, t_len = tnn.utils.rnn.pad_packed_sequence(to, batch_first=bf)
    assert_close(e_pad, t_pad)
    assert e_len.tolist() == t_len.tolist()
    ehs = list(ehn) if cls == "LSTM" else [ehn]
    ths = list(thn) if cls == "LSTM" else [thn]
    for e, t in zip(ehs, ths):
        assert_close(e, t)
    ws = [_rand(*t_pad.shape)] + [_rand(*h.shape) for h in ths]
    _loss(e_pad, tuple(ehs), [ember.tensor(w) for w in ws]).backward()
    _loss(t_pad, tuple(ths), [torch.tensor(w) for w in ws]).backward()
    _check_grads(em, tm, [ex, *eh], [tx, *th])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(cls):
    tm, em = _pair(cls, num_layers=2)
    x = _rand(T, IN)
    hx = [_rand(2, HID) for _ in range(2 if cls == "LSTM" else 1)]
    (ex, *eh), (tx, *th) = _as_pairs([x] + hx)
    pack = (lambda h: tuple(h)) if cls == "LSTM" else (lambda h: h[0])
    eo, ehn = em(ex, pack(eh))
    to, thn = tm(tx, pack(th))
    assert_close(eo, to)
    assert_close(ehn[0] if cls == "LSTM" else ehn, thn[0] if cls == "LSTM" else thn)
    eo.sum().backward()
    to.sum().backward()
    _check_grads(em, tm, [ex, *eh], [tx, *th])


def test_dropout_between_layers():
    # p=1 is deterministic: the second layer sees zeros in training mode, as in PyTorch.
    tm, em = _pair("LSTM", num_layers=2, dropout=1.0)
    x = _rand(T, B, IN)
    assert_close(em(ember.tensor(x))[0], tm(torch.tensor(x))[0])
    tm.eval()
    em.eval()
    assert_close(em(ember.tensor(x))[0], tm(torch.tensor(x))[0])
    tm, em = _pair("GRU", num_layers=3, dropout=0.5)
    em.train()
    out1, out2 = em(ember.tensor(x))[0], em(ember.tensor(x))[0]
    assert not np.allclose(out1.detach().numpy(), out2.detach().numpy())


@pytest.mark.parametrize(
    "cls,kw", [CASES[0], CASES[2], CASES[3], CASES[5]], ids=[IDS[0], IDS[2], IDS[3], IDS[5]]
)
def test_double_backward_matches_torch(cls, kw):
    tm, em = _pair(cls, dtype=torch.float64, **kw)
    em.double()
    x = (
        _rand(B, 3, IN, dtype=np.float64)
        if kw.get("batch_first")
        else _rand(3, B, IN, dtype=np.float64)
    )
    grads = []
    for lib, m in ((ember, em), (torch, tm)):
        out = m(lib.tensor(x))[0]
        params = list(m.parameters())
        g = lib.autograd.grad((out * out).sum(), params, create_graph=True)
        sum((gi * gi).sum() for gi in g).backward()
        grads.append([p.grad for p in params])
    for e, t in zip(*grads):
        assert_close(e, t, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_double_backward_matches_torch(cls):
    tm = getattr(tnn, cls)(IN, HID).double()
    em = getattr(nn, cls)(IN, HID).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x, h = _rand(B, IN, dtype=np.float64), _rand(B, HID, dtype=np.float64)
    grads = []
    for lib, m in ((ember, em), (torch, tm)):
        hx = (lib.tensor(h), lib.tensor(h)) if cls == "LSTMCell" else lib.tensor(h)
        out = m(lib.tensor(x), hx)
        out = out[0] * out[1] if cls == "LSTMCell" else out
        params = list(m.parameters())
        g = lib.autograd.grad((out * out).sum(), params, create_graph=True)
        sum((gi * gi).sum() for gi in g).backward()
        grads.append([p.grad for p in params])
    for e, t in zip(*grads):
        assert_close(e, t, rtol=1e-7, atol=1e-9)


def test_backward_twice_with_retain_graph():
    m = nn.LSTM(IN, HID, bidirectional=True)
    x = ember.randn(T, B, IN, requires_grad=True)
    loss = m(x)[0].pow(2).sum()
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    loss.backward()
    assert_close(x.grad, 2 * first.numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def _gradcheck(fn, inputs):
    if importlib.util.find_spec("ember.autograd.gradcheck") is not None:
        from ember.autograd.gradcheck import gradcheck
    else:  # central differences until ember.autograd.gradcheck lands
        gradcheck = _numeric_gradcheck
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def _numeric_gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    outs = fn(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    outs = [o for o in outs if o is not None]
    ws = [ember.tensor(np.random.randn(*o.shape)) for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, ws))
    diff = [t for t in inputs if isinstance(t, ember.Tensor) and t.requires_grad]
    analytic = ember.autograd.grad(loss, diff, allow_unused=True)
    for t, a in zip(diff, analytic):
        arr = t.detach().numpy()
        num = np.zeros_like(arr)
        for i in range(arr.size):
            old = arr.flat[i]
            vals = []
            for s in (eps, -eps):
                arr.flat[i] = old + s
                with ember.no_grad():
                    o = fn(*inputs)
                o = o if isinstance(o, tuple) else (o,)
                vals.append(
                    sum(
                        float((oi * w).sum())
                        for oi, w in zip([oi for oi in o if oi is not None], ws)
                    )
                )
            arr.flat[i] = old
            num.flat[i] = (vals[0] - vals[1]) / (2 * eps)
        a = np.zeros_like(arr) if a is None else a.numpy()
        np.testing.assert_allclose(a, num, rtol=rtol, atol=atol)
    return True


@pytest.mark.parametrize("mode", ["LSTM", "LSTM-proj", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_fused_recurrence_gradcheck(mode, reverse, packed):
    proj = mode == "LSTM-proj"
    mode = mode.split("-")[0]
    t, b, h = 3, 3, 2
    p = 1 if proj else h
    g = _rnn._NGATES[mode] * h

    def r(*shape):
        return ember.tensor(np.random.randn(*shape) * 0.5, dtype=ember.float64, requires_grad=True)

    x, w_ih, b_ih, b_hh, h0, w_hh = r(t, b, 2), r(g, 2), r(g), r(g), r(b, p), r(g, p)
    c0 = r(b, h) if mode == "LSTM" else None
    w_hr = r(p, h) if proj else None
    sizes = [3, 2, 1] if packed else None

    def fn(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr):
        return _rnn.recurrence(mode, x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, reverse, sizes)

    _gradcheck(fn, (x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("variant", ["batched", "unbatched", "no-hx", "no-bias"])
def test_cells_match_torch(cls, variant):
    kw = {"bias": False} if variant == "no-bias" else {}
    if cls == "RNNCell" and variant == "no-bias":
        kw["nonlinearity"] = "relu"
    tm = getattr(tnn, cls)(IN, HID, **kw)
    em = getattr(nn, cls)(IN, HID, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    batch = () if variant == "unbatched" else (B,)
    arrays = [_rand(*batch, IN)]
    if variant != "no-hx":
        arrays += [_rand(*batch, HID) for _ in range(2 if cls == "LSTMCell" else 1)]
    (ex, *eh), (tx, *th) = _as_pairs(arrays)
    hx = (lambda h: tuple(h) if cls == "LSTMCell" else h[0]) if eh else (lambda h: None)
    eo, to = em(ex, hx(eh)), tm(tx, hx(th))
    eos = list(eo) if cls == "LSTMCell" else [eo]
    tos = list(to) if cls == "LSTMCell" else [to]
    for e, t in zip(eos, tos):
        assert_close(e, t)
    sum((e * (i + 1)).sum() for i, e in enumerate(eos)).backward()
    sum((t * (i + 1)).sum() for i, t in enumerate(tos)).backward()
    _check_grads(em, tm, [ex, *eh], [tx, *th])


def test_module_gradcheck_float64():
    em = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x = ember.tensor(np.random.randn(3, 2, 2), requires_grad=True)
    h0 = ember.tensor(np.random.randn(4, 2, 2), requires_grad=True)
    c0 = ember.tensor(np.random.randn(4, 2, 3), requires_grad=True)

    def fn(x, h0, c0):
        out, (h, c) = em(x, (h0, c0))
        return out, h, c

    _gradcheck(fn, (x, h0, c0))


def test_parameters_names_init_and_repr():
    tm, em = _pair("LSTM", num_layers=2, bidirectional=True, proj_size=3)
    assert list(em.state_dict()) == list(tm.state_dict())
    for name, p in tm.named_parameters():
        assert getattr(em, name).shape == p.shape
    bound = 1 / np.sqrt(HID)
    for p in nn.GRU(IN, HID, 2).parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
    for cls, args, kw in [
        ("LSTM", (4, 5), {"num_layers": 2, "batch_first": True}),
        ("LSTM", (4, 5), {"proj_size": 2, "bias": False, "bidirectional": True}),
        ("RNN", (3, 4), {"nonlinearity": "relu"}),
        ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
        ("GRUCell", (2, 3), {}),
    ]:
        assert repr(getattr(nn, cls)(*args, **kw)) == repr(getattr(tnn, cls)(*args, **kw))
    assert len(em.all_weights) == 4 and len(em.all_weights[0]) == 5
    em.flatten_parameters()


ERRORS = [
    (lambda: nn.LSTM(4, 3)(ember.randn(2, 2, 2, 4)), ValueError, "Expected input to be 2D or 3D"),
    (lambda: nn.LSTM(4, 3)(ember.randn(2, 2, 5)), RuntimeError, "must be equal to input_size"),
    (
        lambda: nn.LSTM(4, 3, 2)(
            ember.randn(2, 2, 4), (ember.zeros(1, 2, 3), ember.zeros(2, 2, 3))
        ),
        RuntimeError,
        r"Expected hidden\[0\] size \(2, 2, 3\), got \[1, 2, 3\]",
    ),
    (
        lambda: nn.GRU(4, 3)(ember.randn(2, 2, 4), ember.zeros(1, 3, 3)),
        RuntimeError,
        r"Expected hidden size \(1, 2, 3\), got \[1, 3, 3\]",
    ),
    (
        lambda: nn.GRU(4, 3)(ember.randn(2, 4), ember.zeros(1, 2, 3)),
        RuntimeError,
        "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor",
    ),
    (lambda: nn.LSTM(4, 3)(ember.randn(2, 2, 4).double()), ValueError, "does not match weight"),
    (lambda: nn.LSTM(4, 3)(ember.randn(0, 2, 4)), RuntimeError, "sequence length to be larger"),
    (lambda: nn.GRU(4, 3, batch_first=True)(ember.randn(2, 0, 4)), RuntimeError, "larger than 0"),
    (lambda: nn.RNN(4, 3)(ember.randn(0, 4)), RuntimeError, "larger than 0 in RNN"),
    (lambda: nn.LSTMCell(4, 3)(ember.randn(2, 2, 4)), ValueError, "Expected input to be 1D or 2D"),
    (lambda: nn.LSTMCell(4, 3)(ember.randn(2, 5)), RuntimeError, "inconsistent input_size"),
    (
        lambda: nn.GRUCell(4, 3)(ember.randn(2, 4), ember.zeros(3, 3)),
        RuntimeError,
        "Input batch size 2 doesn't match hidden0 batch size 3",
    ),
    (lambda: nn.RNN(4, 3, nonlinearity="x"), ValueError, "Unknown nonlinearity 'x'"),
    (lambda: nn.LSTM(4, 3, proj_size=3), ValueError, "proj_size has to be smaller"),
    (lambda: nn.GRU(4, 3, proj_size=1), ValueError, "only supported for LSTM"),
    (lambda: nn.LSTM(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(4, 3, 0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(4, 3, dropout=2), ValueError, "dropout should be a number in range"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(4, 3, dropout=0.5)


# -- nn.utils.rnn -----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = [_rand(3, 2), _rand(1, 2), _rand(4, 2)]
    e = ernn.pad_sequence([ember.tensor(s) for s in seqs], batch_first, -1.0, side)
    t = tnn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
    assert_close(e, t)


def test_pack_pad_roundtrip_and_grads():
    x = _rand(5, 3, 2)
    lengths = [2, 5, 3]
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ep = ernn.pack_padded_sequence(ex, ember.tensor(lengths), enforce_sorted=False)
    tp = tnn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), enforce_sorted=False)
    assert_close(ep.data, tp.data)
    for a, b in zip(ep[1:], tp[1:]):
        assert a.tolist() == b.tolist()
    e_pad, e_len = ernn.pad_packed_sequence(ep, padding_value=9.0, total_length=6)
    t_pad, t_len = tnn.utils.rnn.pad_packed_sequence(tp, padding_value=9.0, total_length=6)
    assert_close(e_pad, t_pad)
    assert e_len.tolist() == t_len.tolist()
    w = _rand(6, 3, 2)
    (e_pad * ember.tensor(w)).sum().backward()
    (t_pad * torch.tensor(w)).sum().backward()
    assert_close(ex.grad, tx.grad)


def test_pack_sequence_unpack_unpad():
    seqs = [_rand(3, 2), _rand(1, 2), _rand(4, 2)]
    ep = ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    tp = tnn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(ep.data, tp.data)
    for e, s in zip(ernn.unpack_sequence(ep), seqs):
        assert_close(e, s)
    padded = ernn.pad_sequence([ember.tensor(s) for s in seqs])
    for e, s in zip(ernn.unpad_sequence(padded, ember.tensor([3, 1, 4])), seqs):
        assert_close(e, s)
    assert ernn.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert ep.to(ember.float64).data.dtype == ember.float64
    assert not ep.is_cuda


def test_pack_errors():
    x = ember.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        ernn.pack_padded_sequence(x, [1, 3, 2])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        ernn.pack_padded_sequence(x, [3, 2, 0])
    p = ernn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        ernn.pad_packed_sequence(p, total_length=2)


# -- examples ---------------------------------------------------------------------------------


def _example(name):
    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_char_lm_example_beats_unigram(capsys):
    res = _example("char_lm").main(
        [
            "--steps",
            "80",
            "--seq-len",
            "32",
            "--batch-size",
            "16",
            "--hidden",
            "64",
            "--eval-every",
            "80",
            "--sample",
            "20",
            "--lr",
            "1e-2",
        ]
    )
    assert res["perplexity"] < 0.6 * res["unigram"], res
    assert "validation perplexity" in capsys.readouterr().out


def test_sine_wave_example_learns():
    res = _example("sine_wave").main(
        ["--steps", "60", "--hidden", "16", "--layers", "1", "--length", "40", "--future", "20"]
    )
    assert res["train_mse"] < 0.05, res
    assert res["future_mse"] < 0.1 * res["baseline_mse"], res


# -- CUDA: the same layers on the GPU (a stand-in GPU everywhere, a real one where present) -----


def _gpu_vs_cpu():
    """Run each sequence layer on CPU and on "cuda" with the same weights; compare."""
    cases = [
        (lambda: nn.LSTM(IN, HID, 2, bidirectional=True, proj_size=3), True),
        (lambda: nn.GRU(IN, HID), True),
        (lambda: nn.RNN(IN, HID, nonlinearity="relu"), False),
    ]
    x = _rand(T, B, IN)
    for make, packed in cases:
        cpu = make()
        gpu = make().to("cuda")
        gpu.load_state_dict(cpu.state_dict())
        outs = []
        for m, dev in ((cpu, "cpu"), (gpu, "cuda")):
            xi = ember.tensor(x, device=dev, requires_grad=True)
            inp = ernn.pack_padded_sequence(xi, [6, 4, 2]) if packed else xi
            out = m(inp)[0]
            out = out.data if packed else out
            (out * out).sum().backward()
            outs.append((out, xi.grad, m.weight_hh_l0.grad))
        for c, g in zip(*outs):
            assert g.is_cuda
            assert_close(g.cpu(), c.detach().numpy(), rtol=1e-4, atol=1e-5)
    cpu = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    gpu = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).to("cuda")
    gpu.load_state_dict(cpu.state_dict())
    src = _rand(5, 2, 8)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[0, 3:] = True
    a = cpu(ember.tensor(src), src_key_padding_mask=ember.tensor(kpm))
    b = gpu(ember.tensor(src, device="cuda"), src_key_padding_mask=ember.tensor(kpm, device="cuda"))
    assert b.is_cuda
    assert_close(b.cpu(), a.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_sequence_layers_on_fake_cuda():
    from fake_cupy import installed

    with installed():
        _gpu_vs_cpu()


@pytest.mark.cuda
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CuPy and an NVIDIA GPU")
def test_sequence_layers_on_cuda():
    _gpu_vs_cpu()
