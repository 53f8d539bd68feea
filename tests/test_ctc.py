"""F.ctc_loss and nn.CTCLoss against PyTorch: losses and log_probs gradients for every reduction,
padded and concatenated targets, ragged lengths (0 included), repeated labels, unbatched input,
impossible alignments with and without zero_infinity, float32/float64, other blanks; a float64
gradcheck; and bad inputs raising PyTorch's exception types."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

T_, N_, C_, S_ = 9, 5, 6, 4
# ragged lengths: a full sample, an empty target, repeated labels (1, 1 needs a blank between
# them), a sample shorter than T and one with a single frame and an empty target
INPUT_LENGTHS = [9, 7, 6, 9, 1]
TARGET_LENGTHS = [4, 0, 3, 2, 0]
TARGETS = [[1, 2, 3, 4], [5, 5, 5, 5], [1, 1, 2, 0], [3, 3, 0, 0], [2, 0, 0, 0]]


def log_probs(shape, dtype, seed=0):
    """log_softmax of random logits (last dim), as a NumPy array of ``dtype``."""
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    x = x - x.max(-1, keepdims=True)
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)


def concatenated(targets, lengths):
    return np.concatenate([np.asarray(t[:n], np.int64) for t, n in zip(targets, lengths)])


def both(lp, targets, il, tl, lengths_as="tensor", **kw):
    """ember's and PyTorch's loss and log_probs gradient (of loss.sum()) on the same inputs."""
    out = []
    for lib, fn in ((ember, EF.ctc_loss), (torch, TF.ctc_loss)):
        x = lib.tensor(lp, requires_grad=True)
        if lengths_as == "tensor":
            lens = (lib.tensor(np.asarray(il)), lib.tensor(np.asarray(tl)))
        else:
            lens = (lengths_as(il), lengths_as(tl))
        loss = fn(x, lib.tensor(np.asarray(targets)), *lens, **kw)
        loss.sum().backward()
        out.append((loss, x.grad))
    return out


def check(lp, targets, il, tl, lengths_as="tensor", tol=None, **kw):
    (le, ge), (lt, gt) = both(lp, targets, il, tl, lengths_as, **kw)
    rtol, atol = tol or ((1e-5, 1e-5) if lp.dtype == np.float32 else (1e-10, 1e-10))
    assert_close(le, lt, rtol=rtol, atol=atol)
    assert_close(ge, gt, rtol=rtol, atol=atol)
    return le, ge


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_matches_torch(dtype, reduction, layout):
    lp = log_probs((T_, N_, C_), dtype)
    tg = TARGETS if layout == "padded" else concatenated(TARGETS, TARGET_LENGTHS)
    le, _ = check(lp, tg, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction)
    assert le.shape == ((N_,) if reduction == "none" else ())
    assert np.isfinite(le.detach().numpy()).all()


@pytest.mark.parametrize("lengths_as", [tuple, list])
@pytest.mark.parametrize("int_dtype", [np.int32, np.int64])
def test_length_sequences_and_int32(lengths_as, int_dtype):
    lp = log_probs((T_, N_, C_), np.float64, seed=1)
    tg = np.asarray(TARGETS, int_dtype)
    check(lp, tg, INPUT_LENGTHS, TARGET_LENGTHS, lengths_as=lengths_as, reduction="none")
    il = np.asarray(INPUT_LENGTHS, int_dtype)
    check(lp, tg, il, np.asarray(TARGET_LENGTHS, int_dtype), reduction="mean")


@pytest.mark.parametrize("blank", [2, C_ - 1])
def test_other_blank(blank):
    lp = log_probs((T_, N_, C_), np.float64, seed=2)
    # labels avoid the blank; sample 2 keeps a repeated label
    tg = [[c if c != blank else 0 for c in row] for row in TARGETS]
    le, _ = check(lp, tg, INPUT_LENGTHS, TARGET_LENGTHS, blank=blank, reduction="none")
    zero = EF.ctc_loss(ember.tensor(lp), ember.tensor(tg), INPUT_LENGTHS, TARGET_LENGTHS)
    assert not np.allclose(le.detach().numpy().mean(), zero.item())  # blank matters


def test_label_equal_to_blank_in_target():
    """Losses match PyTorch's. Its gradient is off at the last frame here (it disagrees with
    finite differences of its own loss); ember's passes gradcheck instead."""
    lp = log_probs((T_, N_, C_), np.float64, seed=3)
    tg = [[1, 0, 0, 2], [0, 1, 0, 0], [2, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    tl = [4, 1, 3, 2, 0]
    (le, _), (lt, _) = both(lp, tg, INPUT_LENGTHS, tl, reduction="none")
    assert_close(le, lt, rtol=1e-10, atol=1e-10)
    x = ember.tensor(lp[:, :4] * 2, requires_grad=True)

    def fn(x):
        return EF.ctc_loss(x.log_softmax(2), ember.tensor(tg[:4]), INPUT_LENGTHS[:4], tl[:4])

    assert ember.autograd.gradcheck(fn, (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_impossible_alignment(dtype, reduction):
    """Too many labels for the frames (inf loss, nan gradient) unless zero_infinity."""
    lp = log_probs((5, 4, C_), dtype, seed=4)
    tg = [[1, 1, 1, 0], [1, 2, 3, 4], [2, 2, 0, 0], [1, 0, 0, 0]]
    il, tl = [5, 3, 2, 0], [3, 4, 2, 1]  # 1,1,1 needs 5 frames: possible; the others are not
    le, ge = check(lp, tg, il, tl, reduction=reduction)
    assert np.isinf(le.detach().numpy()).any()
    assert np.isnan(ge.numpy()[:, 1]).any()
    le, ge = check(lp, tg, il, tl, reduction=reduction, zero_infinity=True)
    assert np.isfinite(le.detach().numpy()).all() and np.isfinite(ge.numpy()).all()
    assert (ge.numpy()[:, 1:] == 0).all()


def test_zero_input_length():
    lp = log_probs((4, 3, C_), np.float64, seed=5)
    le, ge = check(lp, [[1, 2], [1, 3], [0, 0]], [0, 4, 0], [0, 2, 0], reduction="none")
    assert le[0].item() == 0 and (ge.numpy()[:, 0] == 0).all()


def test_gradient_is_torch_form():
    """NOTE [ CTC gradient ]: exp(log_probs) - occupancy, zero after the input length."""
    lp = log_probs((T_, N_, C_), np.float64, seed=6)
    _, ge = check(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum")
    g = ge.numpy()
    active = np.arange(T_)[:, None] < np.asarray(INPUT_LENGTHS)[None, :]
    np.testing.assert_allclose(g.sum(2)[active], 0, atol=1e-12)  # sums to 1 - 1 per frame
    assert (g[~active] == 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unbatched(dtype):
    lp = log_probs((T_, C_), dtype, seed=7)
    for tg, il, tl in (
        ([1, 2, 2], [T_], [3]),  # 1-d targets: the concatenated form of one sample
        ([[1, 2, 2, 5]], [T_], [3]),  # 2-d (1, S): padded
        ([3, 1], 7, 2),  # 0-d length tensors
    ):
        for reduction in ("none", "mean", "sum"):
            le, _ = check(lp, tg, np.asarray(il), np.asarray(tl), reduction=reduction)
            assert le.shape == ()
    check(lp, [1, 2, 2], (T_,), (3,), lengths_as=tuple, reduction="none")


def test_longer_sequences_float32():
    """ember runs the recursions in float64: closer to PyTorch's float64 result than PyTorch's
    float32 one is (which drifts by ~5e-5 over 60 frames)."""
    n, t, c, s = 8, 60, 20, 25
    rng = np.random.default_rng(8)
    lp = log_probs((t, n, c), np.float32, seed=8)
    tg = rng.integers(1, c, (n, s))
    tg[:, 5:9] = 7  # repeated labels
    il = rng.integers(40, t + 1, n)
    tl = rng.integers(0, s + 1, n)
    for reduction in ("none", "mean"):
        (le, ge), (lt, gt) = both(lp, tg, il, tl, reduction=reduction)
        assert_close(le, lt, rtol=1e-4, atol=1e-4)
        assert_close(ge, gt, rtol=1e-4, atol=1e-4)
        (_, _), (l64, g64) = both(lp.astype(np.float64), tg, il, tl, reduction=reduction)
        assert_close(le, l64.float(), rtol=1e-6, atol=1e-6)
        assert_close(ge, g64.float(), rtol=1e-6, atol=1e-6)


def test_gradcheck_through_log_softmax():
    logits = ember.tensor(log_probs((5, 3, 4), np.float64, seed=9) * 3, requires_grad=True)
    tg = ember.tensor([[1, 1, 2], [3, 0, 0], [2, 3, 1]])
    il, tl = ember.tensor([5, 4, 3]), ember.tensor([3, 1, 0])
    for reduction in ("none", "mean"):

        def fn(x, reduction=reduction):
            return EF.ctc_loss(x.log_softmax(2), tg, il, tl, reduction=reduction)

        assert ember.autograd.gradcheck(fn, (logits,))


def test_double_backward_raises_like_torch():
    lp = log_probs((4, 2, 3), np.float64)
    for lib, fn, err in (
        (ember, EF.ctc_loss, NotImplementedError),
        (torch, TF.ctc_loss, RuntimeError),
    ):
        x = lib.tensor(lp, requires_grad=True)
        loss = fn(x, lib.tensor([[1, 2], [2, 0]]), lib.tensor([4, 3]), lib.tensor([2, 1]))
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        with pytest.raises(RuntimeError) as info:
            lib.autograd.grad((g * g).sum(), x)
        assert info.type is err  # ember's NotImplementedError is a RuntimeError too


def test_module():
    lp = log_probs((T_, N_, C_), np.float64, seed=10)
    tg, il, tl = TARGETS, INPUT_LENGTHS, TARGET_LENGTHS
    for kw in ({}, {"reduction": "sum", "blank": 0}, {"reduction": "none", "zero_infinity": True}):
        mods = (ember.nn.CTCLoss(**kw), torch.nn.CTCLoss(**kw))
        out = [
            m(lib.tensor(lp), lib.tensor(tg), lib.tensor(il), lib.tensor(tl))
            for m, lib in zip(mods, (ember, torch))
        ]
        assert_close(out[0], out[1], rtol=1e-10, atol=1e-10)


def test_toplevel_int_reduction():
    lp = log_probs((5, 1, 3), np.float64)
    args = ([[1, 2]], [5], [2], 0, 2, False)
    e = ember.ctc_loss(ember.tensor(lp), ember.tensor(args[0]), *args[1:])
    assert_close(e, torch.ctc_loss(torch.tensor(lp), torch.tensor(args[0]), *args[1:]))


LP3 = log_probs((4, 2, 5), np.float64)
GOOD = dict(log_probs=LP3, targets=[[1, 2], [3, 0]], input_lengths=[4, 3], target_lengths=[2, 1])
ERRORS = {
    "reduction": dict(reduction="avg"),
    "int lengths": dict(input_lengths=4, target_lengths=2, as_tensor=False),
    "float list lengths": dict(input_lengths=[4.0, 3.0], target_lengths=[2, 1], as_tensor=False),
    "mixed lengths": dict(as_tensor="mixed"),
    "float length tensor": dict(input_lengths=np.array([4.0, 3.0])),
    "bool length tensor": dict(target_lengths=np.array([True, True])),
    "4-d log_probs": dict(log_probs=LP3[None]),
    "1-d log_probs": dict(log_probs=LP3[:, 0, 0]),
    "int log_probs": dict(log_probs=LP3.astype(np.int64)),
    "half log_probs": dict(log_probs=LP3.astype(np.float16)),
    "empty log_probs": dict(log_probs=LP3[:0], input_lengths=[0, 0]),
    "input_lengths size": dict(input_lengths=[4, 3, 2]),
    "target_lengths size": dict(target_lengths=[2]),
    "blank too big": dict(blank=5),
    "blank negative": dict(blank=-1),
    "input length > T": dict(input_lengths=[5, 3]),
    "negative input length": dict(input_lengths=[-1, 3]),
    "negative target length": dict(target_lengths=[-1, 1]),
    "targets 3-d": dict(targets=[[[1, 2], [3, 0]]]),
    "targets batch": dict(targets=[[1, 2]]),
    "targets too short": dict(target_lengths=[3, 1]),
    "concatenated size": dict(targets=[1, 2, 3, 4]),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_errors_like_torch(case):
    kw = {**GOOD, "reduction": "none", "blank": 0, **ERRORS[case]}
    as_tensor = kw.pop("as_tensor", True)
    types = []
    for lib, fn in ((torch, TF.ctc_loss), (ember, EF.ctc_loss)):
        args = dict(kw)
        args["log_probs"] = lib.tensor(args["log_probs"])
        args["targets"] = lib.tensor(args["targets"])
        for name in ("input_lengths", "target_lengths"):
            if as_tensor is True or (as_tensor == "mixed" and name == "input_lengths"):
                args[name] = lib.tensor(np.asarray(args[name]))
        with pytest.raises(Exception) as info:
            fn(**args)
        types.append(info.type)
    assert types[1] is types[0], f"ember raised {types[1]}, torch {types[0]}"


def test_label_out_of_range_raises():
    """PyTorch reads out of bounds here; ember raises (padding past the length is ignored)."""
    lp = ember.tensor(LP3)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        EF.ctc_loss(lp, ember.tensor([[1, 7], [3, 0]]), [4, 3], [2, 1])
    with pytest.raises(IndexError):
        EF.ctc_loss(lp, ember.tensor([[1, 2], [-1, 0]]), [4, 3], [2, 1])
    EF.ctc_loss(lp, ember.tensor([[1, 2], [3, 99]]), [4, 3], [2, 1])
