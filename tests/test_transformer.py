"""Transformer encoder/decoder layers, stacks and nn.Transformer against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, torch
from test_rnn import _gradcheck

import ember
import ember.nn as nn
import ember.nn.functional as F

D, NH, FF, S, T, N = 8, 2, 12, 5, 4, 3
# PyTorch's own advisory warnings (nested tensors, mixed mask dtypes) are not under test here.
pytestmark = pytest.mark.filterwarnings("ignore:.*(nested|mismatched).*:UserWarning")


def _rand(*shape):
    return np.random.randn(*shape).astype(np.float32)


def _copy(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _seq(batch_first, length):
    return _rand(N, length, D) if batch_first else _rand(length, N, D)


def _compare_grads(em, tm, pairs=()):
    for e, t in pairs:
        assert_close(e.grad, t.grad, atol=1e-5)
    tparams = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tparams[name].grad, atol=1e-5)


def _t(a):
    return torch.tensor(a, requires_grad=True)


def _e(a):
    return ember.tensor(a, requires_grad=True)


# Layer options: together they cover norm_first, each activation form, batch_first and bias.
LAYER_CASES = [
    {},
    {"norm_first": True, "activation": "gelu"},
    {"batch_first": True, "activation": "callable"},
    {"bias": False, "norm_first": True},
]


def _act(kw, lib):
    if kw.get("activation") == "callable":
        return dict(kw, activation=(torch.nn.functional.silu if lib is torch else F.silu))
    return kw


def _layer_pair(kind, kw):
    tm = getattr(torch.nn, kind)(D, NH, FF, dropout=0.0, **_act(kw, torch))
    em = getattr(nn, kind)(D, NH, FF, dropout=0.0, **_act(kw, ember))
    _copy(tm, em)
    return tm, em


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kw", LAYER_CASES, ids=lambda kw: "-".join(kw) or "default")
def test_encoder_layer_matches_torch(kw, masked):
    tm, em = _layer_pair("TransformerEncoderLayer", kw)
    x = _seq(kw.get("batch_first"), S)
    ex, tx = _e(x), _t(x)
    masks = {}
    if masked:
        kpm = np.random.rand(N, S) > 0.7
        kpm[:, 0] = False
        masks = {
            "src_mask": torch.nn.Transformer.generate_square_subsequent_mask(S).numpy(),
            "src_key_padding_mask": kpm,
        }
    eo = em(ex, **{k: ember.tensor(v) for k, v in masks.items()})
    to = tm(tx, **{k: torch.tensor(v) for k, v in masks.items()})
    assert_close(eo, to)
    w = _rand(*to.shape)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _compare_grads(em, tm, [(ex, tx)])


@pytest.mark.parametrize("kw", LAYER_CASES, ids=lambda kw: "-".join(kw) or "default")
def test_decoder_layer_matches_torch(kw):
    tm, em = _layer_pair("TransformerDecoderLayer", kw)
    bf = kw.get("batch_first")
    tgt, mem = _seq(bf, T), _seq(bf, S)
    (et, em_), (tt, tm_) = (_e(tgt), _e(mem)), (_t(tgt), _t(mem))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T)
    mkpm = np.random.rand(N, S) > 0.7
    mkpm[:, 0] = False
    eo = em(
        et,
        em_,
        tgt_mask=ember.tensor(mask.numpy()),
        tgt_is_causal=True,
        memory_key_padding_mask=ember.tensor(mkpm),
    )
    to = tm(tt, tm_, tgt_mask=mask, tgt_is_causal=True, memory_key_padding_mask=torch.tensor(mkpm))
    assert_close(eo, to)
    w = _rand(*to.shape)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _compare_grads(em, tm, [(et, tt), (em_, tm_)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    torch.manual_seed(0)
    tm = torch.nn.Transformer(D, NH, 2, 2, FF, dropout=0.0, batch_first=batch_first)
    em = nn.Transformer(D, NH, 2, 2, FF, dropout=0.0, batch_first=batch_first)
    _copy(tm, em)
    assert list(em.state_dict()) == list(tm.state_dict())
    src, tgt = _seq(batch_first, S), _seq(batch_first, T)
    (es, et), (ts, tt) = (_e(src), _e(tgt)), (_t(src), _t(tgt))
    emask = nn.Transformer.generate_square_subsequent_mask(T)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(T)
    assert_close(emask, tmask)
    skpm = np.random.rand(N, S) > 0.7
    skpm[:, 0] = False
    eo = em(
        es,
        et,
        tgt_mask=emask,
        src_key_padding_mask=ember.tensor(skpm),
        memory_key_padding_mask=ember.tensor(skpm),
    )
    to = tm(
        ts,
        tt,
        tgt_mask=tmask,
        src_key_padding_mask=torch.tensor(skpm),
        memory_key_padding_mask=torch.tensor(skpm),
    )
    assert_close(eo, to)
    w = _rand(*to.shape)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _compare_grads(em, tm, [(es, ts), (et, tt)])


def test_encoder_decoder_stacks_with_norm():
    tl = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0)
    tenc = torch.nn.TransformerEncoder(
        tl, 2, norm=torch.nn.LayerNorm(D), enable_nested_tensor=False
    )
    eenc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0), 2, norm=nn.LayerNorm(D)
    )
    _copy(tenc, eenc)
    x = _rand(S, N, D)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(S)
    assert_close(
        eenc(ember.tensor(x), mask=ember.tensor(mask.numpy())), tenc(torch.tensor(x), mask=mask)
    )
    tdec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0), 2)
    edec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0), 2)
    _copy(tdec, edec)
    tgt = _rand(T, N, D)
    assert_close(edec(ember.tensor(tgt), ember.tensor(x)), tdec(torch.tensor(tgt), torch.tensor(x)))
    # The stacked layers are independent copies.
    assert edec.layers[0].linear1.weight is not edec.layers[1].linear1.weight


def test_eval_mode_matches_torch_and_dropout_in_training():
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.5)
    em = nn.TransformerEncoderLayer(D, NH, FF, dropout=0.5)
    _copy(tm, em)
    x = _rand(S, N, D)
    tm.eval()
    em.eval()
    assert_close(em(ember.tensor(x)), tm(torch.tensor(x)))
    em.train()
    a, b = em(ember.tensor(x)), em(ember.tensor(x))
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_unbatched_encoder_layer():
    tm, em = _layer_pair("TransformerEncoderLayer", {})
    x = _rand(S, D)
    assert_close(em(ember.tensor(x)), tm(torch.tensor(x)))


def test_encoder_layer_gradcheck_float64():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    x = ember.tensor(np.random.randn(3, 1, 4), requires_grad=True)
    _gradcheck(lambda x: layer(x), (x,))


ERRORS = [
    (
        lambda: nn.TransformerEncoderLayer(D, NH, activation="tanh"),
        RuntimeError,
        "activation should be relu/gelu, not tanh",
    ),
    (
        lambda: nn.Transformer(D, NH, 1, 1, FF)(ember.randn(S, 2, D), ember.randn(T, 3, D)),
        RuntimeError,
        "the batch number of src and tgt must be equal",
    ),
    (
        lambda: nn.Transformer(D, NH, 1, 1, FF)(ember.randn(S, 2, 6), ember.randn(T, 2, 6)),
        RuntimeError,
        "the feature number of src and tgt must be equal to d_model",
    ),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()
