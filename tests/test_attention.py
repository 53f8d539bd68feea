"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, torch
from test_rnn import _gradcheck

import ember
import ember.nn as nn
import ember.nn.functional as F

TF = torch.nn.functional


def _rand(*shape, dtype=np.float32):
    return np.random.randn(*shape).astype(dtype)


def _pairs(*arrays):
    return (
        [ember.tensor(a, requires_grad=True) for a in arrays],
        [torch.tensor(a, requires_grad=True) for a in arrays],
    )


def _bool_mask(shape, p=0.3):
    m = np.random.rand(*shape) > p
    m[..., 0] = True  # keep one key per query, so no row is fully masked
    return m


# (query shape, key shape, value shape, kwargs builder): outputs and grads compared to PyTorch.
SDPA_CASES = {
    "plain-3d": ((2, 4, 8), (2, 6, 8), (2, 6, 5), lambda: {}),
    "4d-causal": ((2, 3, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8), lambda: {"is_causal": True}),
    "causal-L<S": ((1, 2, 3, 4), (1, 2, 6, 4), (1, 2, 6, 4), lambda: {"is_causal": True}),
    "bool-mask-broadcast": (
        (2, 3, 4, 8),
        (2, 3, 6, 8),
        (2, 3, 6, 8),
        lambda: {"attn_mask": _bool_mask((4, 6))},
    ),
    "float-mask": ((2, 4, 8), (2, 6, 8), (2, 6, 8), lambda: {"attn_mask": _rand(2, 4, 6)}),
    "scale": ((2, 4, 8), (2, 6, 8), (2, 6, 8), lambda: {"scale": 0.7}),
    "2d": ((4, 8), (6, 8), (6, 3), lambda: {}),
    "gqa": ((1, 4, 3, 8), (1, 2, 5, 8), (1, 2, 5, 8), lambda: {"enable_gqa": True}),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(case):
    qs, ks, vs, kw_fn = SDPA_CASES[case]
    kw = kw_fn()
    (eq, ek, ev), (tq, tk, tv) = _pairs(_rand(*qs), _rand(*ks), _rand(*vs))
    ekw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    eo = F.scaled_dot_product_attention(eq, ek, ev, **ekw)
    to = TF.scaled_dot_product_attention(tq, tk, tv, **tkw)
    assert_close(eo, to)
    w = _rand(*to.shape)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("float_mask", [False, True])
def test_sdpa_fully_masked_rows_give_zeros(float_mask):
    m = _bool_mask((4, 6))
    m[1] = False
    mask = np.where(m, 0.0, -np.inf).astype(np.float32) if float_mask else m
    (eq, ek, ev), (tq, tk, tv) = _pairs(_rand(2, 4, 8), _rand(2, 6, 8), _rand(2, 6, 8))
    eo = F.scaled_dot_product_attention(eq, ek, ev, attn_mask=ember.tensor(mask))
    to = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask))
    assert_close(eo, to)
    assert np.all(eo.detach().numpy()[:, 1] == 0)
    eo.sum().backward()
    to.sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        assert np.isfinite(e.grad.numpy()).all()
        assert_close(e.grad, t.grad)


def test_sdpa_dropout():
    q = ember.randn(2, 4, 8)
    ember.manual_seed(3)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    ember.manual_seed(3)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    c = F.scaled_dot_product_attention(q, q, q)
    assert_close(a, b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


def test_sdpa_gradcheck_float64():
    def r(*s):
        return ember.tensor(np.random.randn(*s), dtype=ember.float64, requires_grad=True)

    mask = ember.tensor(np.random.randn(3, 4))
    q, k, v = r(1, 3, 2), r(1, 4, 2), r(1, 4, 2)
    _gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))
    _gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        (q, r(1, 3, 2), r(1, 3, 2)),
    )


SDPA_ERRORS = [
    (
        lambda q: F.scaled_dot_product_attention(
            q, q, q, attn_mask=ember.ones(4, 4, dtype=ember.bool), is_causal=True
        ),
        RuntimeError,
        "Explicit attn_mask should not be set when is_causal=True",
    ),
    (
        lambda q: F.scaled_dot_product_attention(q, q.double(), q),
        RuntimeError,
        "Expected query, key, and value to have the same dtype",
    ),
    (
        lambda q: F.scaled_dot_product_attention(
            q, q, q, attn_mask=ember.ones(4, 4, dtype=ember.int64)
        ),
        RuntimeError,
        "Expected attn_mask dtype to be bool or float",
    ),
    (
        lambda q: F.scaled_dot_product_attention(
            ember.randn(1, 3, 4, 8),
            ember.randn(1, 2, 4, 8),
            ember.randn(1, 2, 4, 8),
            enable_gqa=True,
        ),
        RuntimeError,
        "must divide the number of heads",
    ),
]


@pytest.mark.parametrize("fn,exc,msg", SDPA_ERRORS)
def test_sdpa_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(ember.randn(2, 4, 8))


# -- MultiheadAttention -----------------------------------------------------------------------

E_, H_, L_, S_, N_ = 8, 2, 4, 6, 3

MHA_CASES = [
    {},
    {"batch_first": True},
    {"kdim": 5, "vdim": 7},
    {"add_bias_kv": True, "add_zero_attn": True},
    {"bias": False},
]


def _mha_pair(**kw):
    tm = torch.nn.MultiheadAttention(E_, H_, **kw)
    em = nn.MultiheadAttention(E_, H_, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _shape(kw, length, dim):
    return (N_, length, dim) if kw.get("batch_first") else (length, N_, dim)


MASKS = {
    "none": lambda: {},
    "kpm-bool+2d-bool": lambda: {
        "key_padding_mask": ~_bool_mask((N_, S_)),
        "attn_mask": ~_bool_mask((L_, S_)),
    },
    "kpm-float+3d-float": lambda: {
        "key_padding_mask": _rand(N_, S_),
        "attn_mask": _rand(N_ * H_, L_, S_),
    },
}


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("masks", list(MASKS))
@pytest.mark.parametrize("kw", MHA_CASES, ids=lambda kw: "-".join(kw) or "default")
def test_mha_matches_torch(kw, masks, need_weights, average):
    tm, em = _mha_pair(**kw)
    mk = MASKS[masks]()
    arrays = [
        _rand(*_shape(kw, L_, E_)),
        _rand(*_shape(kw, S_, kw.get("kdim", E_))),
        _rand(*_shape(kw, S_, kw.get("vdim", E_))),
    ]
    (eq, ek, ev), (tq, tk, tv) = _pairs(*arrays)
    emk = {k: ember.tensor(v) for k, v in mk.items()}
    tmk = {k: torch.tensor(v) for k, v in mk.items()}
    eo, ew = em(eq, ek, ev, need_weights=need_weights, average_attn_weights=average, **emk)
    to, tw = tm(tq, tk, tv, need_weights=need_weights, average_attn_weights=average, **tmk)
    assert_close(eo, to)
    if need_weights:
        assert_close(ew, tw)
    else:
        assert ew is None and tw is None
    w = _rand(*to.shape)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        assert_close(e.grad, t.grad)
    tparams = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tparams[name].grad, atol=1e-5)


def test_mha_self_attention_unbatched_and_causal_hint():
    tm, em = _mha_pair()
    x = _rand(L_, E_)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L_)
    eo, ew = em(
        ember.tensor(x),
        ember.tensor(x),
        ember.tensor(x),
        attn_mask=ember.tensor(mask.numpy()),
        is_causal=True,
        need_weights=True,
    )
    to, tw = tm(
        torch.tensor(x),
        torch.tensor(x),
        torch.tensor(x),
        attn_mask=mask,
        is_causal=True,
        need_weights=True,
    )
    assert_close(eo, to)
    assert_close(ew, tw)


def test_mha_dropout_and_eval():
    tm, em = _mha_pair(dropout=0.5)
    x = ember.tensor(_rand(L_, N_, E_))
    em.eval()
    tm.eval()
    t = torch.tensor(x.numpy())
    assert_close(em(x, x, x)[0], tm(t, t, t)[0])
    em.train()
    assert not np.allclose(em(x, x, x)[0].detach().numpy(), em(x, x, x)[0].detach().numpy())


def test_mha_parameters_and_init():
    for kw in MHA_CASES:
        tm, em = _mha_pair(**kw)
        assert list(em.state_dict()) == list(tm.state_dict())
    m = nn.MultiheadAttention(E_, H_)
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6 / (E_ + 3 * E_))  # xavier_uniform on the (3E, E) in_proj_weight
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound


def test_mha_gradcheck_float64():
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    q = ember.tensor(np.random.randn(2, 1, 4), requires_grad=True)
    kv = ember.tensor(np.random.randn(3, 1, 4), requires_grad=True)
    _gradcheck(lambda q, kv: m(q, kv, kv)[0], (q, kv))


MHA_ERRORS = [
    (lambda: nn.MultiheadAttention(8, 3), AssertionError, "embed_dim must be divisible"),
    (lambda: nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater"),
    (
        lambda: nn.MultiheadAttention(8, 2)(
            ember.randn(4, 2, 8), ember.randn(4, 2, 8), ember.randn(4, 2, 8), is_causal=True
        ),
        RuntimeError,
        "Need attn_mask if specifying the is_causal hint",
    ),
    (
        lambda: nn.MultiheadAttention(8, 2)(
            ember.randn(4, 2, 8),
            ember.randn(5, 2, 8),
            ember.randn(5, 2, 8),
            attn_mask=ember.zeros(4, 4),
        ),
        RuntimeError,
        "The shape of the 2D attn_mask",
    ),
    (
        lambda: nn.MultiheadAttention(8, 2)(
            ember.randn(4, 2, 6), ember.randn(4, 2, 6), ember.randn(4, 2, 6)
        ),
        AssertionError,
        "was expecting embedding dimension of 8",
    ),
]


@pytest.mark.parametrize("fn,exc,msg", MHA_ERRORS)
def test_mha_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()
