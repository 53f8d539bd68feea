"""Every layer against PyTorch's, with PyTorch's weights copied in.

Each row of LAYERS builds the same module in both libraries (``make(nn)``) and lists its inputs;
the test copies torch's state_dict into ember, runs forward and backward in train and eval mode
and compares outputs, input gradients, parameter gradients and buffers.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")


def randn(*shape, scale=1.0):
    return lambda rng: (rng.standard_normal(shape) * scale).astype(np.float32)


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def const(arr):
    return lambda rng: np.asarray(arr)


class Row:
    def __init__(self, name, make, *inputs, modes=("train", "eval"), tol=1e-4, kwargs=None):
        self.name, self.make, self.inputs, self.modes, self.tol = name, make, inputs, modes, tol
        self.kwargs = kwargs or {}


def _rows():
    R = Row
    rows = [
        R("Linear", lambda nn: nn.Linear(5, 3), [randn(4, 5)], [randn(1, 5)], [randn(2, 3, 5)]),
        R("Linear-nobias", lambda nn: nn.Linear(7, 1, bias=False), [randn(3, 7)]),
        R(
            "Bilinear",
            lambda nn: nn.Bilinear(3, 4, 2),
            [randn(5, 3), randn(5, 4)],
            [randn(1, 3), randn(1, 4)],
        ),
        R("Identity", lambda nn: nn.Identity(3, x=1), [randn(2, 3)]),
        R("Flatten", lambda nn: nn.Flatten(), [randn(2, 3, 4)]),
        R("Flatten-0-1", lambda nn: nn.Flatten(0, 1), [randn(2, 3, 4)]),
        R("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [randn(4, 6)]),
        # convolutions
        R("Conv1d", lambda nn: nn.Conv1d(3, 4, 3), [randn(2, 3, 9)], [randn(1, 3, 3)]),
        R(
            "Conv1d-groups",
            lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2),
            [randn(1, 4, 10)],
        ),
        R(
            "Conv1d-same-dil",
            lambda nn: nn.Conv1d(2, 3, 3, padding="same", dilation=2),
            [randn(2, 2, 7)],
        ),
        R(
            "Conv1d-circular",
            lambda nn: nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular"),
            [randn(1, 2, 6)],
        ),
        R("Conv2d", lambda nn: nn.Conv2d(1, 4, 3), [randn(2, 1, 7, 7)], [randn(1, 1, 5, 4)]),
        R(
            "Conv2d-mixed",
            lambda nn: nn.Conv2d(
                4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False
            ),
            [randn(1, 4, 9, 8)],
        ),
        R(
            "Conv2d-same-reflect",
            lambda nn: nn.Conv2d(3, 2, 3, padding="same", padding_mode="reflect"),
            [randn(2, 3, 5, 6)],
        ),
        R(
            "Conv2d-replicate",
            lambda nn: nn.Conv2d(2, 2, 3, padding=2, padding_mode="replicate"),
            [randn(1, 2, 4, 5)],
        ),
        R("Conv2d-valid", lambda nn: nn.Conv2d(2, 3, 2, padding="valid"), [randn(1, 2, 3, 3)]),
        R("Conv3d", lambda nn: nn.Conv3d(2, 3, 2, padding=1), [randn(1, 2, 4, 3, 3)]),
        R(
            "ConvTranspose1d",
            lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
            [randn(2, 3, 5)],
        ),
        R(
            "ConvTranspose2d",
            lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, groups=2),
            [randn(1, 4, 3, 4)],
            [randn(2, 4, 2, 2)],
        ),
        R(
            "ConvTranspose2d-dil",
            lambda nn: nn.ConvTranspose2d(
                2, 3, (2, 3), stride=(1, 2), padding=1, dilation=2, bias=False
            ),
            [randn(1, 2, 4, 4)],
        ),
        # pooling
        R("MaxPool1d", lambda nn: nn.MaxPool1d(2), [randn(2, 3, 8)]),
        R("MaxPool2d", lambda nn: nn.MaxPool2d(2), [randn(2, 3, 6, 6)], [randn(1, 1, 5, 7)]),
        R(
            "MaxPool2d-ceil",
            lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
            [randn(1, 2, 7, 6)],
        ),
        R(
            "MaxPool2d-indices",
            lambda nn: nn.MaxPool2d(2, return_indices=True),
            [randn(1, 2, 4, 6)],
        ),
        R("AvgPool1d", lambda nn: nn.AvgPool1d(3), [randn(2, 2, 9)]),
        R("AvgPool2d", lambda nn: nn.AvgPool2d(2), [randn(2, 3, 6, 6)]),
        R(
            "AvgPool2d-opts",
            lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
            [randn(1, 2, 7, 6)],
        ),
        R("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [randn(2, 2, 8)]),
        R("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), [randn(1, 2, 7, 8)]),
        R("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d(3), [randn(2, 1, 7, 5)]),
        R("LPPool2d", lambda nn: nn.LPPool2d(2, 2), [randn(1, 2, 4, 4)]),
        # normalisation
        R("BatchNorm1d", lambda nn: nn.BatchNorm1d(3), [randn(4, 3)], [randn(4, 3, 5)]),
        R("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), [randn(2, 3, 4, 4, scale=2.0)]),
        R(
            "BatchNorm2d-cumulative",
            lambda nn: nn.BatchNorm2d(3, momentum=None),
            [randn(2, 3, 3, 3)],
        ),
        R("BatchNorm2d-noaffine", lambda nn: nn.BatchNorm2d(3, affine=False), [randn(2, 3, 2, 2)]),
        R(
            "BatchNorm1d-nostats",
            lambda nn: nn.BatchNorm1d(3, track_running_stats=False),
            [randn(5, 3)],
        ),
        R(
            "BatchNorm3d",
            lambda nn: nn.BatchNorm3d(2, eps=1e-3, momentum=0.3),
            [randn(2, 2, 3, 2, 2)],
        ),
        R("LayerNorm", lambda nn: nn.LayerNorm(5), [randn(3, 5)], [randn(1, 5)]),
        R(
            "LayerNorm-2d-noaffine",
            lambda nn: nn.LayerNorm((2, 5), elementwise_affine=False),
            [randn(3, 2, 5)],
        ),
        R("LayerNorm-nobias", lambda nn: nn.LayerNorm(4, bias=False), [randn(2, 3, 4)]),
        R("RMSNorm", lambda nn: nn.RMSNorm(5), [randn(3, 5)]),
        R("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [randn(3, 4, 5)], [randn(1, 4, 2, 2)]),
        R("GroupNorm-noaffine", lambda nn: nn.GroupNorm(1, 3, affine=False), [randn(2, 3, 4)]),
        R("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), [randn(2, 3, 6)], [randn(3, 6)]),
        R(
            "InstanceNorm2d-affine",
            lambda nn: nn.InstanceNorm2d(3, affine=True),
            [randn(2, 3, 4, 4)],
        ),
        R(
            "InstanceNorm2d-stats",
            lambda nn: nn.InstanceNorm2d(3, track_running_stats=True),
            [randn(2, 3, 4, 4)],
        ),
        R("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(2), [randn(2, 5, 3, 3)]),
        R(
            "LocalResponseNorm-opts",
            lambda nn: nn.LocalResponseNorm(3, 0.01, 0.5, 2.0),
            [randn(1, 4, 5)],
        ),
        # dropout: identity in eval mode and with p=0
        R("Dropout-eval", lambda nn: nn.Dropout(0.5), [randn(3, 4)], modes=("eval",)),
        R("Dropout-p0", lambda nn: nn.Dropout(0.0), [randn(3, 4)]),
        R("Dropout1d-eval", lambda nn: nn.Dropout1d(0.3), [randn(2, 3, 4)], modes=("eval",)),
        R("Dropout2d-eval", lambda nn: nn.Dropout2d(0.25), [randn(2, 3, 4, 4)], modes=("eval",)),
        R("Dropout3d-eval", lambda nn: nn.Dropout3d(0.25), [randn(1, 2, 2, 2, 2)], modes=("eval",)),
        R("AlphaDropout-eval", lambda nn: nn.AlphaDropout(0.2), [randn(3, 4)], modes=("eval",)),
        # embeddings
        R("Embedding", lambda nn: nn.Embedding(10, 3), [ints(10, 2, 4)], [ints(10, 1)]),
        R(
            "Embedding-padding",
            lambda nn: nn.Embedding(6, 4, padding_idx=1),
            [const([[1, 2, 1, 0], [5, 1, 3, 3]])],
        ),
        R(
            "Embedding-scale-freq",
            lambda nn: nn.Embedding(6, 2, scale_grad_by_freq=True),
            [const([0, 2, 2, 5, 2])],
        ),
        R(
            "EmbeddingBag-mean",
            lambda nn: nn.EmbeddingBag(10, 3),
            [const([1, 2, 4, 5, 4, 3, 2, 9]), const([0, 4])],
        ),
        R("EmbeddingBag-sum-2d", lambda nn: nn.EmbeddingBag(10, 3, mode="sum"), [ints(10, 3, 4)]),
        R(
            "EmbeddingBag-max",
            lambda nn: nn.EmbeddingBag(10, 3, mode="max"),
            [const([1, 2, 4, 5, 4, 3]), const([0, 2, 2])],
        ),
        R(
            "EmbeddingBag-pad",
            lambda nn: nn.EmbeddingBag(10, 3, mode="mean", padding_idx=2),
            [const([1, 2, 2, 5, 2, 3]), const([0, 3, 5])],
        ),
        # resampling and padding
        R("Upsample-nearest", lambda nn: nn.Upsample(scale_factor=2), [randn(1, 2, 3, 3)]),
        R(
            "Upsample-bilinear",
            lambda nn: nn.Upsample(size=(5, 4), mode="bilinear"),
            [randn(2, 1, 3, 3)],
        ),
        R(
            "UpsamplingBilinear2d",
            lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
            [randn(1, 2, 3, 2)],
        ),
        R("PixelShuffle", lambda nn: nn.PixelShuffle(2), [randn(1, 8, 3, 3)]),
        R("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(2), [randn(2, 1, 4, 6)]),
        R("ChannelShuffle", lambda nn: nn.ChannelShuffle(2), [randn(2, 4, 3, 3)]),
        R("ZeroPad2d", lambda nn: nn.ZeroPad2d(1), [randn(1, 2, 3, 3)]),
        R("ZeroPad1d", lambda nn: nn.ZeroPad1d((2, 1)), [randn(2, 3)]),
        R("ConstantPad2d", lambda nn: nn.ConstantPad2d((1, 2, 0, 1), 3.5), [randn(1, 2, 3, 3)]),
        R("ReflectionPad2d", lambda nn: nn.ReflectionPad2d(2), [randn(1, 2, 4, 5)]),
        R("ReflectionPad1d", lambda nn: nn.ReflectionPad1d((1, 2)), [randn(2, 2, 5)]),
        R("ReplicationPad2d", lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), [randn(1, 1, 3, 3)]),
        R("CircularPad2d", lambda nn: nn.CircularPad2d(1), [randn(1, 2, 3, 4)]),
        R("Fold", lambda nn: nn.Fold((4, 5), 2), [randn(1, 12, 12)]),
        R("Unfold", lambda nn: nn.Unfold(2, padding=1, stride=2), [randn(2, 3, 4, 5)]),
        # distances
        R("CosineSimilarity", lambda nn: nn.CosineSimilarity(), [randn(4, 5), randn(4, 5)]),
        R("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=3.0), [randn(4, 5), randn(4, 5)]),
        # containers
        R(
            "Sequential",
            lambda nn: nn.Sequential(
                nn.Linear(4, 6), nn.ReLU(), nn.BatchNorm1d(6), nn.Linear(6, 2), nn.LogSoftmax(dim=1)
            ),
            [randn(5, 4)],
        ),
    ]
    acts = [
        ("ReLU", lambda nn: nn.ReLU()),
        ("ReLU6", lambda nn: nn.ReLU6()),
        ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2)),
        ("PReLU", lambda nn: nn.PReLU()),
        ("ELU", lambda nn: nn.ELU(alpha=0.7)),
        ("SELU", lambda nn: nn.SELU()),
        ("CELU", lambda nn: nn.CELU(alpha=1.5)),
        ("GELU", lambda nn: nn.GELU()),
        ("GELU-tanh", lambda nn: nn.GELU(approximate="tanh")),
        ("SiLU", lambda nn: nn.SiLU()),
        ("Mish", lambda nn: nn.Mish()),
        ("Sigmoid", lambda nn: nn.Sigmoid()),
        ("Tanh", lambda nn: nn.Tanh()),
        ("Hardtanh", lambda nn: nn.Hardtanh(-2.0, 1.5)),
        ("Hardsigmoid", lambda nn: nn.Hardsigmoid()),
        ("Hardswish", lambda nn: nn.Hardswish()),
        ("Softplus", lambda nn: nn.Softplus(beta=2.0, threshold=5.0)),
        ("Softsign", lambda nn: nn.Softsign()),
        ("Tanhshrink", lambda nn: nn.Tanhshrink()),
        ("Threshold", lambda nn: nn.Threshold(0.1, 20.0)),
        ("LogSigmoid", lambda nn: nn.LogSigmoid()),
        ("Softmax", lambda nn: nn.Softmax(dim=1)),
        ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1)),
        ("Softmin", lambda nn: nn.Softmin(dim=0)),
        ("GLU", lambda nn: nn.GLU(dim=0)),
        ("Hardshrink", lambda nn: nn.Hardshrink(0.3)),
        ("Softshrink", lambda nn: nn.Softshrink()),
        ("RReLU", lambda nn: nn.RReLU()),
    ]
    for name, make in acts:
        modes = ("eval",) if name == "RReLU" else ("train", "eval")
        rows.append(
            R(name, make, [randn(4, 6, scale=3.0)], [randn(2, 3, 4, scale=3.0)], modes=modes)
        )
    rows.append(R("PReLU-channels", lambda nn: nn.PReLU(3, init=0.1), [randn(2, 3, 4)]))
    rows.append(R("Softmax2d", lambda nn: nn.Softmax2d(), [randn(2, 3, 2, 2)]))
    return rows


LAYERS = _rows()


def copy_weights(tm, em) -> None:
    """Load torch's state_dict into the ember module (through NumPy) and check the keys."""
    tsd = tm.state_dict()
    esd = em.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        assert tuple(esd[k].shape) == tuple(tsd[k].shape), k
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tsd.items()})


def run_both(tm, em, arrays, rng):
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    e_in = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_out, e_out = tm(*t_in), em(*e_in)
    return t_in, e_in, t_out, e_out


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("row", LAYERS, ids=[r.name for r in LAYERS])
def test_layer_matches_torch(row, mode):
    if mode not in row.modes:
        pytest.skip("random in this mode; covered by the statistical tests")
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    tm, em = row.make(torch.nn), row.make(ember.nn)
    assert repr(em) == repr(tm).replace("torch", "ember")
    copy_weights(tm, em)
    tm.train(mode == "train")
    em.train(mode == "train")
    for spec in row.inputs:
        arrays = [make(rng) for make in spec]
        for p in tm.parameters():
            p.grad = None
        em.zero_grad()
        t_in, e_in, t_out, e_out = run_both(tm, em, arrays, rng)
        t_outs, e_outs = _as_tuple(t_out), _as_tuple(e_out)
        assert len(t_outs) == len(e_outs)
        for a, b in zip(e_outs, t_outs):
            assert_close(a, b, rtol=row.tol, atol=row.tol)
        grads = [
            rng.standard_normal(tuple(o.shape)).astype(np.float32)
            for o in t_outs
            if o.is_floating_point()
        ]
        if not any(o.requires_grad for o in t_outs):
            continue
        torch.autograd.backward(
            [o for o in t_outs if o.is_floating_point()], [torch.tensor(g) for g in grads]
        )
        ember.autograd.backward(
            [o for o in e_outs if o.is_floating_point()], [ember.tensor(g) for g in grads]
        )
        for a, b in zip(e_in, t_in):
            if b.grad is not None:
                assert_close(a.grad, b.grad, rtol=row.tol, atol=row.tol)
        for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters()):
            assert name == ename
            if tp.grad is None:
                assert ep.grad is None, name
            else:
                assert_close(ep.grad, tp.grad, rtol=row.tol, atol=row.tol)
        for (_, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers()):
            assert_close(eb, tb, rtol=row.tol, atol=row.tol)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.Linear(4, 3),
        lambda nn: nn.Conv2d(2, 3, 3),
        lambda nn: nn.BatchNorm1d(3),
        lambda nn: nn.LayerNorm(3),
        lambda nn: nn.Embedding(5, 2),
    ],
)
def test_double_precision(make):
    """``.double()`` converts parameters in place and float64 results match torch closely."""
    torch.manual_seed(0)
    tm, em = make(torch.nn).double(), make(ember.nn)
    weights = list(em.parameters())
    em.double()
    assert [p is q for p, q in zip(weights, em.parameters())] == [True] * len(weights)
    assert all(p.dtype == ember.float64 for p in em.parameters())
    copy_weights(tm, em)
    rng = np.random.default_rng(1)
    if isinstance(tm, torch.nn.Embedding):
        x = rng.integers(0, 5, (3, 2))
    elif isinstance(tm, torch.nn.Conv2d):
        x = rng.standard_normal((2, 2, 5, 5))
    else:
        x = rng.standard_normal((4, 3) if not isinstance(tm, torch.nn.Linear) else (4, 4))
    t_out, e_out = tm(torch.tensor(x)), em(ember.tensor(x))
    assert_close(e_out, t_out, rtol=1e-10, atol=1e-12)


def test_conv_transpose_output_size():
    torch.manual_seed(0)
    tm, em = torch.nn.ConvTranspose2d(2, 3, 3, stride=2), ember.nn.ConvTranspose2d(2, 3, 3, 2)
    copy_weights(tm, em)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    for size in ([10, 10], [1, 3, 9, 10]):
        assert_close(
            em(ember.tensor(x), output_size=size), tm(torch.tensor(x), output_size=size), atol=1e-5
        )
    with pytest.raises(ValueError):
        em(ember.tensor(x), output_size=[12, 12])


def test_max_unpool_roundtrip():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 6)).astype(np.float32)
    tp, tu = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    ep, eu = ember.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxUnpool2d(2)
    assert repr(eu) == repr(tu)
    t_out, e_out = tu(*tp(torch.tensor(x))), eu(*ep(ember.tensor(x)))
    assert_close(e_out, t_out)


def test_batchnorm_running_stats_over_steps():
    """Running statistics follow PyTorch's over several steps, then eval mode uses them."""
    rng = np.random.default_rng(0)
    for momentum in (0.1, None):
        tm = torch.nn.BatchNorm2d(3, momentum=momentum)
        em = ember.nn.BatchNorm2d(3, momentum=momentum)
        for _ in range(3):
            x = (rng.standard_normal((4, 3, 2, 2)) * 3 + 1).astype(np.float32)
            assert_close(em(ember.tensor(x)), tm(torch.tensor(x)), atol=1e-5)
        assert_close(em.running_mean, tm.running_mean, atol=1e-6)
        assert_close(em.running_var, tm.running_var, atol=1e-6)
        assert int(em.num_batches_tracked) == 3
        tm.eval(), em.eval()
        x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
        assert_close(em(ember.tensor(x)), tm(torch.tensor(x)), atol=1e-5)


def test_batchnorm_bad_input():
    with pytest.raises(ValueError, match="expected 4D input"):
        ember.nn.BatchNorm2d(3)(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        ember.nn.BatchNorm1d(3)(ember.zeros(1, 3))


def test_embedding_padding_and_max_norm():
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32) * 3
    tm = torch.nn.Embedding(6, 3, padding_idx=0, max_norm=1.0)
    em = ember.nn.Embedding(6, 3, padding_idx=0, max_norm=1.0)
    assert float(em.weight[0].abs().sum()) == 0.0
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    em.load_state_dict({"weight": ember.tensor(w)})
    idx = np.array([[0, 2, 4], [2, 2, 5]])
    assert_close(em(ember.tensor(idx)), tm(torch.tensor(idx)), atol=1e-6)
    assert_close(em.weight, tm.weight, atol=1e-6)  # looked-up rows renormalised in place
    with pytest.raises(IndexError):
        em(ember.tensor([6]))
    pre = ember.nn.Embedding.from_pretrained(ember.eye(3))
    assert not pre.weight.requires_grad
    assert pre(ember.tensor([2])).tolist() == [[0.0, 0.0, 1.0]]


def test_conv_constructor_errors():
    nn = ember.nn
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)


@pytest.mark.parametrize(
    "name",
    ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
)
def test_dropout_statistics(name):
    """Training-mode dropout keeps 1-p of the units (whole channels for the Nd variants) and
    preserves the mean (and, for alpha dropout, the variance) of its input."""
    p = 0.3
    shapes = {
        "Dropout": (200, 100),
        "Dropout1d": (200, 50, 4),
        "Dropout2d": (200, 50, 2, 2),
        "Dropout3d": (200, 50, 2, 1, 2),
        "AlphaDropout": (200, 100),
        "FeatureAlphaDropout": (200, 50, 4),
    }
    shape = shapes[name]
    m = getattr(ember.nn, name)(p)
    x = ember.randn(*shape) if "Alpha" in name else ember.ones(*shape)
    y = m(x)
    if "Alpha" in name:
        assert abs(float(y.mean())) < 0.05 and abs(float(y.std()) - 1) < 0.05
    else:
        kept = (y != 0).float()
        assert abs(float(kept.mean()) - (1 - p)) < 0.02
        assert abs(float(y.mean()) - 1) < 0.05
        if name != "Dropout":
            # all elements of a channel are kept or dropped together
            per_channel = kept.flatten(2)
            assert bool((per_channel.amax(-1) == per_channel.amin(-1)).all())
    ember.manual_seed(5)
    a = m(x)
    ember.manual_seed(5)
    b = m(x)
    assert bool((a == b).all())  # masks come from ember's seeded default generator
    assert bool((m.eval()(x) == x).all())


def test_dropout_gradient_uses_mask():
    x = ember.ones(50, 40, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.5)
    y.sum().backward()
    assert bool((x.grad == y.detach()).all())
