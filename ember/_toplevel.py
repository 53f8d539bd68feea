"""``torch.*`` functions that are not tensor ops: nn.functional ops under their top-level names
and signatures, global switches (``compile``, determinism, matmul precision) and small utilities
(windows, ``as_strided``, ``frombuffer`` ...).

``ember/__init__.py`` loads this module on first use of one of its names (``_LAZY_ATTRS``), so
``import ember`` does not pay for ``nn.functional``.

NOTE [ top-level signatures ]: PyTorch's top-level versions of functional ops are the ATen
operators, whose signatures differ from ``torch.nn.functional``'s: dropout takes ``(input, p,
train)`` with no defaults, batch_norm takes ``weight, bias`` before the running stats,
``embedding`` takes ``weight`` first, and the losses take ``reduction`` as an int (0 none,
1 mean, 2 sum; any other int means none, as in ATen). The functions below only translate
arguments; the maths is ``nn.functional``'s.
"""

from __future__ import annotations

import builtins
import numbers
import os
import warnings

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _data_ptr, _make
from .autograd.function import Primitive
from .backend import xp_of
from .nn import functional as F
from .ops.creation import empty, full_like, ones_like, tensor
from .ops.elementwise import _need_input, where
from .ops.shape import _share

# --------------------------------------------------------------------------------------------
# nn.functional ops whose top-level signature is the functional one

conv1d = F.conv1d
conv2d = F.conv2d
conv3d = F.conv3d
conv_transpose1d = F.conv_transpose1d
conv_transpose2d = F.conv_transpose2d
conv_transpose3d = F.conv_transpose3d
avg_pool1d = F.avg_pool1d
adaptive_avg_pool1d = F.adaptive_avg_pool1d
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
channel_shuffle = F.channel_shuffle
native_channel_shuffle = F.native_channel_shuffle
selu_ = F.selu_
celu_ = F.celu_
prelu = F.prelu
threshold_ = F.threshold_
hardshrink = F.hardshrink
relu_ = F.relu_
bilinear = F.bilinear
cosine_similarity = F.cosine_similarity
pairwise_distance = F.pairwise_distance
pdist = F.pdist


# --------------------------------------------------------------------------------------------
# pooling: ATen's default stride is ``()`` (= kernel_size), and there is no return_indices


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride


def max_pool1d(
    input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False
) -> Tensor:
    """1-D max pooling over (N, C, L) or (C, L) input (``torch.max_pool1d``).

    Example:
        >>> ember.max_pool1d(ember.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
        tensor([[3., 2.]])
    """
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(
    input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False
) -> Tensor:
    """2-D max pooling over (N, C, H, W) or (C, H, W) input (``torch.max_pool2d``).

    Example:
        >>> ember.max_pool2d(ember.arange(16.0).reshape(1, 4, 4), 2)
        tensor([[[ 5.,  7.],
                 [13., 15.]]])
    """
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(
    input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False
) -> Tensor:
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input (``torch.max_pool3d``).

    Example:
        >>> ember.max_pool3d(ember.ones(1, 2, 2, 2), 2).shape
        ember.Size([1, 1, 1, 1])
    """
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(
    input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False
) -> tuple:
    """1-D max pooling returning ``(values, indices)``.

    Example:
        >>> ember.max_pool1d_with_indices(ember.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)[1]
        tensor([[1, 2]])
    """
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input: Tensor, output_size) -> tuple:
    """Adaptive 1-D max pooling; always returns ``(values, indices)`` like ``torch``'s.

    Example:
        >>> ember.adaptive_max_pool1d(ember.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)[0]
        tensor([[3., 2.]])
    """
    return F.adaptive_max_pool1d(input, output_size, True)


# --------------------------------------------------------------------------------------------
# dropout: ``(input, p, train)``, all required; a bad p is a RuntimeError here


def _check_dropout(name: str, input: Tensor, p: float, train: bool, feature: bool = False):
    _need_input(name, input)
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if feature and train and p > 0 and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by 1/(1-p) when ``train``.

    Example:
        >>> ember.dropout(ember.ones(3), 0.5, False)
        tensor([1., 1., 1.])
    """
    _check_dropout("dropout", input, p, train)
    return F.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place :func:`dropout`.

    Example:
        >>> ember.dropout_(ember.ones(3), 0.0, True)
        tensor([1., 1., 1.])
    """
    _check_dropout("dropout_", input, p, train)
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Dropout that keeps SELU activations' mean and variance (``F.alpha_dropout``).

    Example:
        >>> ember.alpha_dropout(ember.ones(3), 0.5, False)
        tensor([1., 1., 1.])
    """
    _check_dropout("alpha_dropout", input, p, train)
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place :func:`alpha_dropout`.

    Example:
        >>> ember.alpha_dropout_(ember.ones(3), 0.5, False)
        tensor([1., 1., 1.])
    """
    _check_dropout("alpha_dropout_", input, p, train)
    return F.alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(name: str, input: Tensor, p: float, train: bool, inplace: bool) -> Tensor:
    _check_dropout(name, input, p, train, feature=True)
    # channels are dim 1 of whatever rank: the mask is (N, C, 1, ..., 1)
    return F._feature_dropout(input, p, train, inplace, input.ndim, name)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero whole channels (dim 1) of an (N, C, ...) input with probability ``p``.

    Example:
        >>> ember.feature_dropout(ember.ones(2, 3, 4), 0.5, False).shape
        ember.Size([2, 3, 4])
    """
    return _feature_dropout("feature_dropout", input, p, train, False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place :func:`feature_dropout`.

    Example:
        >>> ember.feature_dropout_(ember.ones(2, 3), 0.0, True)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    return _feature_dropout("feature_dropout_", input, p, train, True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of an (N, C, ...) input.

    Example:
        >>> ember.feature_alpha_dropout(ember.ones(2, 3), 0.5, False).shape
        ember.Size([2, 3])
    """
    _check_dropout("feature_alpha_dropout", input, p, train, feature=True)
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place :func:`feature_alpha_dropout`.

    Example:
        >>> ember.feature_alpha_dropout_(ember.ones(2, 3), 0.5, False).shape
        ember.Size([2, 3])
    """
    _check_dropout("feature_alpha_dropout_", input, p, train, feature=True)
    return F.feature_alpha_dropout(input, p, train, inplace=True)


# --------------------------------------------------------------------------------------------
# normalization: weight and bias come before the running stats; cudnn flags are ignored


def batch_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """Batch normalization with ATen's argument order (``F.batch_norm`` does the maths).

    Example:
        >>> x = ember.tensor([[1.0], [3.0]])
        >>> ember.batch_norm(x, None, None, None, None, True, 0.1, 0.0, False)
        tensor([[-1.],
                [ 1.]])
    """
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """Instance normalization with ATen's argument order (``F.instance_norm`` does the maths).

    Example:
        >>> x = ember.tensor([[[1.0, 3.0]]])
        >>> ember.instance_norm(x, None, None, None, None, True, 0.1, 0.0, False)
        tensor([[[-1.,  1.]]])
    """
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def _need_shape(name: str, normalized_shape) -> None:
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(
            f"{name}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}"
        )


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    """Layer normalization over the last ``len(normalized_shape)`` dims (``torch.layer_norm``).

    Example:
        >>> ember.layer_norm(ember.tensor([[1.0, 3.0]]), [2], eps=0.0)
        tensor([[-1.,  1.]])
    """
    _need_shape("layer_norm", normalized_shape)
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    """Group normalization of (N, C, ...) input (``torch.group_norm``).

    Example:
        >>> ember.group_norm(ember.tensor([[[1.0, 3.0]]]), 1, eps=0.0)
        tensor([[[-1.,  1.]]])
    """
    return F.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """RMS normalization over the last ``len(normalized_shape)`` dims (``torch.rms_norm``).

    Example:
        >>> ember.rms_norm(ember.tensor([[3.0, 4.0]]), [2], eps=0.0).shape
        ember.Size([1, 2])
    """
    _need_shape("rms_norm", normalized_shape)
    return F.rms_norm(input, normalized_shape, weight, eps)


# --------------------------------------------------------------------------------------------
# embedding and activations


def embedding(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by ``indices``: note ``weight`` comes first, unlike
    ``F.embedding``, and a negative ``padding_idx`` means no padding row (ATen's convention).

    Example:
        >>> ember.embedding(ember.eye(3), ember.tensor([2, 0]))
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    pad = padding_idx if padding_idx >= 0 else None
    return F.embedding(indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def selu(input: Tensor) -> Tensor:
    """SELU activation (``torch.selu`` has no ``inplace`` argument; see :func:`selu_`).

    Example:
        >>> ember.selu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])
    """
    return F.selu(input)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """CELU activation: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example:
        >>> ember.celu(ember.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    return F.celu(input, alpha)


def _no_generator(generator) -> None:
    if generator is not None:
        raise NotImplementedError(
            "rrelu with an explicit generator is not supported by ember; seed the default "
            "generator with ember.manual_seed instead"
        )


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator=None,
) -> Tensor:
    """Leaky ReLU with a random slope in [lower, upper] when ``training``, the mean otherwise.

    Example:
        >>> ember.rrelu(ember.tensor([-1.0, 2.0]), 0.1, 0.3)
        tensor([-0.2000,  2.0000])
    """
    _no_generator(generator)
    return F.rrelu(input, lower, upper, training)


def rrelu_(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator=None,
) -> Tensor:
    """In-place :func:`rrelu`.

    Example:
        >>> ember.rrelu_(ember.tensor([-1.0, 2.0]), 0.1, 0.3)
        tensor([-0.2000,  2.0000])
    """
    _no_generator(generator)
    return F.rrelu_(input, lower, upper, training)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``value`` where ``input <= threshold``, else ``input``.

    Example:
        >>> ember.threshold(ember.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return F.threshold(input, threshold, value)


# --------------------------------------------------------------------------------------------
# losses: ``reduction`` is an int


def _reduction(name: str, reduction) -> str:
    if isinstance(reduction, builtins.bool) or not isinstance(reduction, numbers.Integral):
        raise TypeError(
            f"{name}(): argument 'reduction' must be int, not {type(reduction).__name__}"
        )
    return {1: "mean", 2: "sum"}.get(int(reduction), "none")


def kl_div(input: Tensor, target: Tensor, reduction: int = 1, *, log_target: bool = False):
    """KL divergence with ``input`` as log-probabilities; ``reduction`` 0 none, 1 mean, 2 sum.

    Example:
        >>> ember.kl_div(ember.tensor([-0.6931]), ember.tensor([0.5]), 2).abs() < 1e-4
        tensor(True)
    """
    red = _reduction("kl_div", reduction)
    # reduce here: F.kl_div warns about reduction='mean', torch.kl_div does not
    return F._reduce(F.kl_div(input, target, reduction="none", log_target=log_target), red)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
    reduction: int = 1,
) -> Tensor:
    """Binary cross entropy on logits; ``pos_weight`` comes before the int ``reduction``.

    Example:
        >>> ember.binary_cross_entropy_with_logits(ember.zeros(2), ember.ones(2))
        tensor(0.6931)
    """
    red = _reduction("binary_cross_entropy_with_logits", reduction)
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=red, pos_weight=pos_weight
    )


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 1
) -> Tensor:
    """Cosine embedding loss with an int ``reduction``.

    Example:
        >>> ember.cosine_embedding_loss(ember.ones(1, 2), ember.ones(1, 2), ember.tensor([1]))
        tensor(0.)
    """
    red = _reduction("cosine_embedding_loss", reduction)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=red)


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 1
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin) with an int ``reduction``.

    Example:
        >>> ember.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(1.)
    """
    red = _reduction("margin_ranking_loss", reduction)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=red)


def hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, reduction: int = 1
) -> Tensor:
    """Hinge embedding loss with an int ``reduction``.

    Example:
        >>> ember.hinge_embedding_loss(ember.tensor([0.3]), ember.tensor([-1.0]))
        tensor(0.7000)
    """
    red = _reduction("hinge_embedding_loss", reduction)
    return F.hinge_embedding_loss(input, target, margin, reduction=red)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: int = 1,
) -> Tensor:
    """Triplet margin loss with an int ``reduction``.

    Example:
        >>> a = ember.zeros(1, 2)
        >>> ember.triplet_margin_loss(a, a, a + 5.0).item()
        0.0
    """
    red = _reduction("triplet_margin_loss", reduction)
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=red)


def poisson_nll_loss(
    input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float, reduction: int
) -> Tensor:
    """Poisson negative log-likelihood; every argument is required, ``reduction`` is an int.

    Example:
        >>> ember.poisson_nll_loss(ember.zeros(2), ember.ones(2), True, False, 1e-8, 1)
        tensor(1.)
    """
    red = _reduction("poisson_nll_loss", reduction)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=red)


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: int = 0,
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss with an int ``reduction`` (see F.ctc_loss).

    Left out, ``reduction`` gives per-sample losses: ``torch.ctc_loss`` does so (checked on 2.13).

    Example:
        >>> lp = ember.zeros(4, 1, 3).log_softmax(2)
        >>> ember.ctc_loss(lp, ember.tensor([[1, 2]]), [4], [2], 0, 2, False)
        tensor(1.6864)
    """
    red = _reduction("ctc_loss", reduction)
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, red, zero_infinity)


def constant_pad_nd(input: Tensor, pad, value: float = 0) -> Tensor:
    """Pad (or, with negative amounts, crop) the last dims with ``value``; ``pad`` as in F.pad.

    Example:
        >>> ember.constant_pad_nd(ember.ones(2), [1, -1], 0.0)
        tensor([0., 1.])
    """
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    return F.pad(input, list(pad), "constant", value)


# --------------------------------------------------------------------------------------------
# global switches: recorded so that scripts can set and read them back


class _Flags:
    matmul_precision = "highest"
    deterministic = False
    deterministic_warn_only = False
    warn_always = False
    interop_threads = None


_flags = _Flags()
_COMPILE_MODES = (
    "default",
    "lite",
    "reduce-overhead",
    "max-autotune-no-cudagraphs",
    "max-autotune",
)
_COMPILE_BACKENDS = (
    "inductor",
    "eager",
    "aot_eager",
    "cudagraphs",
    "aot_eager_decomp_partition",
    "openxla",
    "tvm",
    "ts",
)


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend="inductor",
    mode: str | None = None,
    options: dict | None = None,
    name: str | None = None,
    disable: bool = False,
    recompile_limit: int | None = None,
    isolate_recompiles: bool = False,
    shapes_spec=None,
):
    """Return ``model`` unchanged: ember has no compiler, so ``torch.compile`` is the identity.

    Works as ``ember.compile(model)``, ``@ember.compile`` and ``@ember.compile(mode=...)``.
    The arguments are checked as PyTorch checks them (an unknown ``mode`` or ``backend`` name
    raises RuntimeError), then ignored. Unlike PyTorch, a module comes back as itself, not as
    a wrapper with an ``_orig_mod`` attribute, so its ``state_dict`` keys are unchanged.

    Example:
        >>> f = ember.compile(lambda x: x + 1, mode="reduce-overhead")
        >>> f(ember.tensor(1.0))
        tensor(2.)
    """

    def apply(model):
        if model is None:
            raise RuntimeError("Model can't be None")
        if mode is not None and options is not None:
            raise RuntimeError(
                "Either mode or options can be specified, but both can't be specified at the "
                "same time."
            )
        if mode is not None and (not isinstance(mode, str) or mode not in _COMPILE_MODES):
            raise RuntimeError(
                f"Unrecognized mode={mode}, should be one of: {', '.join(_COMPILE_MODES)}"
            )
        if backend is not None and not callable(backend):
            if not isinstance(backend, str):
                raise TypeError(
                    f"backend must be a string or a callable, not {type(backend).__name__}"
                )
            if backend not in _COMPILE_BACKENDS:
                raise RuntimeError(f"Invalid backend: {backend!r}")
        if dynamic not in (None, True, False):
            raise AssertionError(f"Expected enable to be a bool, got {type(dynamic)}")
        if not callable(model):
            raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
        return model

    return apply if model is None else apply(model)


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision ('highest', 'high' or 'medium').

    ember computes float32 matmuls in float32 whatever is set; 'high' and 'medium' also set
    ``ember.backends.cuda.matmul.allow_tf32`` as PyTorch does. An unknown name warns and
    changes nothing, as in PyTorch.

    Example:
        >>> ember.set_float32_matmul_precision("high")
        >>> ember.get_float32_matmul_precision()
        'high'
    """
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            stacklevel=2,
        )
        return
    from .backends import cuda

    _flags.matmul_precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set ('highest' by default).

    Example:
        >>> ember.get_float32_matmul_precision() in ("highest", "high", "medium")
        True
    """
    return _flags.matmul_precision


def _need_bool(value, message: str, error=RuntimeError) -> None:
    if not isinstance(value, builtins.bool):
        raise error(f"{message}, but got {type(value).__name__}")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record whether deterministic algorithms are required.

    ember's CPU kernels are deterministic; the flag is recorded and read back, and does not
    change which kernels run.

    Example:
        >>> ember.use_deterministic_algorithms(True)
        >>> ember.are_deterministic_algorithms_enabled()
        True
        >>> ember.use_deterministic_algorithms(False)
    """
    for arg, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, builtins.bool):
            raise TypeError(
                f"_set_deterministic_algorithms(): argument '{arg}' must be bool, not "
                f"{type(value).__name__}"
            )
    _flags.deterministic = mode
    _flags.deterministic_warn_only = warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was turned on.

    Example:
        >>> ember.are_deterministic_algorithms_enabled() in (True, False)
        True
    """
    return _flags.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was turned on with ``warn_only=True``.

    Example:
        >>> ember.is_deterministic_algorithms_warn_only_enabled() in (True, False)
        True
    """
    return _flags.deterministic_warn_only


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """Set determinism by level: 'default'/0 off, 'warn'/1 warn only, 'error'/2 on.

    Example:
        >>> ember.set_deterministic_debug_mode("warn")
        >>> ember.get_deterministic_debug_mode()
        1
        >>> ember.set_deterministic_debug_mode(0)
    """
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                f"but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, builtins.int) or isinstance(debug_mode, builtins.bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """The determinism level: 0 off, 1 warn only, 2 on.

    Example:
        >>> ember.get_deterministic_debug_mode() in (0, 1, 2)
        True
    """
    if not _flags.deterministic:
        return 0
    return 1 if _flags.deterministic_warn_only else 2


def set_warn_always(b: bool) -> None:
    """Record PyTorch's "warn every time, not once" switch (ember's warnings use Python's
    ``warnings`` filters, which decide repetition themselves).

    Example:
        >>> ember.set_warn_always(False)
        >>> ember.is_warn_always_enabled()
        False
    """
    _need_bool(b, "setWarnOnlyOnce expects a bool")
    _flags.warn_always = b


def is_warn_always_enabled() -> bool:
    """Whether :func:`set_warn_always` was turned on.

    Example:
        >>> ember.is_warn_always_enabled() in (True, False)
        True
    """
    return _flags.warn_always


def set_flush_denormal(mode: bool) -> bool:
    """Flushing denormal floats to zero is not available through NumPy: returns False, as
    PyTorch does on a CPU without the feature.

    Example:
        >>> ember.set_flush_denormal(True)
        False
    """
    _need_bool(mode, "flush_denormal expects a bool")
    return False


def get_num_interop_threads() -> int:
    """The inter-op thread count last set (ember runs ops on one thread; the CPU count by
    default, as PyTorch reports).

    Example:
        >>> ember.get_num_interop_threads() >= 1
        True
    """
    if _flags.interop_threads is not None:
        return _flags.interop_threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def set_num_interop_threads(num: int) -> None:
    """Record the inter-op thread count (ember has no inter-op thread pool).

    Example:
        >>> ember.set_num_interop_threads(2)
        >>> ember.get_num_interop_threads()
        2
    """
    if isinstance(num, builtins.bool) or not isinstance(num, builtins.int):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(num).__name__}")
    if num < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _flags.interop_threads = num


# --------------------------------------------------------------------------------------------
# small utilities


def typename(obj) -> str:
    """A readable type name: a tensor's legacy type (``'ember.FloatTensor'``), else the
    qualified name of the object (if it is a class or function) or of its class.

    Example:
        >>> ember.typename(ember.zeros(1))
        'ember.FloatTensor'
    """
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") or hasattr(obj, "__name__") else type(obj)
    qualname = getattr(named, "__qualname__", None) or named.__name__
    module = getattr(named, "__module__", "") or ""
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj) -> bool:
    """Whether ``obj`` is a storage object: always False, ember tensors own their arrays
    directly and have no separate storage type.

    Example:
        >>> ember.is_storage(ember.zeros(1))
        False
    """
    return False


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` is an inference tensor: always False, ember does not mark tensors
    made under ``inference_mode`` (they behave like tensors made under ``no_grad``).

    Example:
        >>> ember.is_inference(ember.zeros(1))
        False
    """
    _need_input("is_inference", input)
    return False


def is_conj(input: Tensor) -> bool:
    """Whether ``input`` has a lazy conjugate bit: always False, ember conjugates eagerly.

    Example:
        >>> ember.is_conj(ember.zeros(1))
        False
    """
    _need_input("is_conj", input)
    return False


def is_neg(input: Tensor) -> bool:
    """Whether ``input`` has a lazy negative bit: always False, ember negates eagerly.

    Example:
        >>> ember.is_neg(ember.zeros(1))
        False
    """
    _need_input("is_neg", input)
    return False


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself: ember tensors never carry a lazy conjugation to materialise.

    Example:
        >>> x = ember.zeros(1); ember.resolve_conj(x) is x
        True
    """
    _need_input("resolve_conj", input)
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` itself: ember tensors never carry a lazy negation to materialise.

    Example:
        >>> x = ember.zeros(1); ember.resolve_neg(x) is x
        True
    """
    _need_input("resolve_neg", input)
    return input


def fill(input: Tensor, value) -> Tensor:
    """A new tensor like ``input`` with every element ``value`` (a number or 0-d tensor).

    Gradients flow to a tensor ``value`` (summed) and, as zeros, to ``input``.

    Example:
        >>> ember.fill(ember.zeros(2), 3)
        tensor([3., 3.])
    """
    _need_input("fill", input)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        filled = value.to(input.dtype).expand(input.shape)
    else:
        filled = full_like(input, value)
    # where() keeps input in the graph (with a zero gradient), as PyTorch's fill does
    return where(ones_like(input, dtype=D.bool_), filled, input)


def scalar_tensor(
    s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad: bool = False
) -> Tensor:
    """A 0-d tensor holding the number ``s``, in the default float dtype unless ``dtype``.

    Example:
        >>> ember.scalar_tensor(3)
        tensor(3.)
    """
    if isinstance(s, Tensor):
        s = s.item()
    if isinstance(s, str) or not isinstance(s, (numbers.Number, np.generic)):
        raise TypeError(
            f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}"
        )
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if isinstance(s, complex) and not dt.is_complex:
        raise RuntimeError(f"value cannot be converted to type {dt.np.name} without overflow")
    return tensor(s, dtype=dt, device=device, requires_grad=requires_grad)


def _storage(a):
    """``a``'s storage as (root array, elements in it, a's offset in elements): the first
    array of ``a``'s ``.base`` chain, which every view of the same memory shares."""
    root = a
    b = a.base
    while b is not None:
        if isinstance(b, type(a)):
            root = b
        b = getattr(b, "base", None)  # numpy's as_strided puts a DummyArray in the chain
    if not root.flags.c_contiguous:
        raise NotImplementedError("as_strided: the tensor's base array is not contiguous")
    offset = (_data_ptr(a) - _data_ptr(root)) // a.itemsize
    return root, root.nbytes // a.itemsize, offset


def _strided(root, dtype, size, stride, offset: int):
    flat = root.reshape(-1)
    if flat.dtype != dtype:
        flat = flat.view(dtype)
    xp = xp_of(root)
    strides = tuple(s * flat.itemsize for s in stride)
    return xp.lib.stride_tricks.as_strided(flat[offset:], tuple(size), strides)


class _AsStrided(Primitive):
    @staticmethod
    def forward(ctx, x, size, stride, offset):
        root, n, x_offset = _storage(x)
        x_stride = tuple(s // x.itemsize for s in x.strides)
        ctx.geometry = (n, x.shape, x_stride, x_offset, size, stride, offset)
        return _strided(root, x.dtype, size, stride, offset)

    @staticmethod
    def backward(ctx, g):
        # Scatter g into a storage-sized buffer by storage position (overlapping windows add
        # up), then read the input's own positions back out of it.
        n, x_shape, x_stride, x_offset, size, stride, offset = ctx.geometry
        positions = np.arange(n, dtype=np.int64)
        out_pos = _strided(positions, positions.dtype, size, stride, offset).reshape(-1)
        in_pos = _strided(positions, positions.dtype, x_shape, x_stride, x_offset).reshape(-1)
        out_idx = tensor(out_pos, device=g.device)
        in_idx = tensor(in_pos, device=g.device)
        store = g.new_zeros(n).index_add(0, out_idx, g.reshape(-1))
        return store.take(in_idx).reshape(x_shape), None, None, None


def _check_strided(size, stride, storage_offset: int, storage_numel: int | None) -> None:
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {size}")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(stride)}"
        )
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    if storage_numel is None or 0 in size:
        return
    needed = storage_offset + 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    if needed > storage_numel:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{storage_offset} requiring a storage size of {needed} elements are out of bounds "
            f"for storage of size {storage_numel}"
        )


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s memory with the given sizes and strides (in elements).

    ``storage_offset`` counts from the start of the memory ``input`` is a view of (its own
    offset by default), as in PyTorch. The result shares memory with ``input``; writing to
    overlapping elements writes every alias.

    Example:
        >>> ember.as_strided(ember.arange(4.0), (3, 2), (1, 1))
        tensor([[0., 1.],
                [1., 2.],
                [2., 3.]])
    """
    _need_input("as_strided", input)
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    _, n, own_offset = _storage(input._data)
    offset = own_offset if storage_offset is None else int(storage_offset)
    _check_strided(size, stride, offset, n)
    return _share(_AsStrided.apply(input, size, stride, offset), input)


def empty_strided(
    size,
    stride,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """An uninitialised tensor with the given sizes and strides (in elements).

    Example:
        >>> ember.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
            f"({len(stride)})"
        )
    _check_strided(size, stride, 0, None)
    n = 0 if 0 in size else 1 + builtins.sum((k - 1) * s for k, s in zip(size, stride))
    buf = empty(n, dtype=dtype, device=device)._data
    out = _make(_strided(buf, buf.dtype, size, stride, 0))
    out._rg = bool(requires_grad)
    return out


def frombuffer(
    buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D CPU tensor sharing memory with a Python buffer (bytes-like object).

    Example:
        >>> ember.frombuffer(bytearray(b"ab"), dtype=ember.uint8)
        tensor([97, 98], dtype=ember.uint8)
    """
    dt = D.as_dtype(dtype)
    length = memoryview(buffer).nbytes
    item = dt.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count < 0:
        if (length - offset) % item:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be "
                f"a multiple of element size ({item})"
            )
        count = (length - offset) // item
    elif count * item > length - offset:
        raise ValueError(
            f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    if not arr.flags.writeable:
        warnings.warn(
            "The given buffer is not writable: the tensor is read-only, and in-place operations "
            "on it fail. Copy the buffer (bytearray(...)) or the tensor (.clone()) to write.",
            UserWarning,
            stacklevel=2,
        )
    out = _make(arr)
    out._rg = bool(requires_grad)
    return out


# --------------------------------------------------------------------------------------------
# window functions


def _window(name: str, window_length: int, periodic: bool, dtype, device, requires_grad, fn):
    if isinstance(window_length, builtins.bool) or not isinstance(window_length, numbers.Integral):
        raise TypeError(
            f"{name}(): argument 'window_length' (position 1) must be int, not "
            f"{type(window_length).__name__}"
        )
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length <= 1:
        values = np.ones(window_length)
    else:
        # a periodic window is the symmetric one of length N + 1 without its last point
        m = window_length + 1 if periodic else window_length
        values = fn(np.arange(m, dtype=np.float64), m)[:window_length]
    return tensor(values, dtype=dt, device=device, requires_grad=requires_grad)


def _cosine_sum(*coefficients):
    """Window a0 - a1 cos(2 pi n / (N - 1)) + a2 cos(4 pi n / (N - 1)) - ..."""

    def fn(n, m):
        phase = 2 * np.pi * n / (m - 1)
        return builtins.sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))

    return fn


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The Hann window 0.5 - 0.5 cos(2 pi n / (N - 1)), periodic (for spectra) by default.

    Example:
        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    fn = _cosine_sum(0.5, 0.5)
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, fn)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The Hamming window alpha - beta cos(2 pi n / (N - 1)).

    Example:
        >>> ember.hamming_window(3, periodic=False)
        tensor([0.0800, 1.0000, 0.0800])
    """
    fn = _cosine_sum(alpha, beta)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, fn)


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1)).

    Example:
        >>> ember.blackman_window(3, periodic=False).abs().round(decimals=4)
        tensor([0., 1., 0.])
    """
    fn = _cosine_sum(0.42, 0.5, 0.08)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, fn)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The triangular Bartlett window 1 - |2n / (N - 1) - 1|.

    Example:
        >>> ember.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """

    def fn(n, m):
        return 1 - np.abs(2 * n / (m - 1) - 1)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, fn)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The Kaiser window I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta).

    Example:
        >>> ember.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """

    def fn(n, m):
        return np.i0(beta * np.sqrt(1 - (2 * n / (m - 1) - 1) ** 2)) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, fn)
