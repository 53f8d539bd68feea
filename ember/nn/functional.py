"""``nn.functional``: the maths behind the layers, as functions (``F.relu``, ``F.conv2d`` ...).

Most functions are composites of ember ops and need no gradient code. relu, softmax and
log_softmax are fused primitives (speed, and stability for logits of +-1e4); the losses build on
log_softmax and gather, so no step loops over samples in Python.

Convolution, pooling, padding and resampling come from ``ember.ops.conv``/``ember.ops.pool``,
attention from ``ember.nn._attention``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _make
from ..amp import autocast_mode as _autocast
from ..autograd.function import Primitive
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as _grad_state
from ..backend import transfer, xp_of
from ..ops.conv import *  # noqa: F401,F403
from ..ops.elementwise import _need_input
from ..ops.elementwise import inplace as _inplace
from ..ops.elementwise import where as _where
from ..ops.pool import *  # noqa: F401,F403
from ..ops.pool_extra import *  # noqa: F401,F403
from ._attention import *  # noqa: F401,F403
from ._ctc import *  # noqa: F401,F403

# --------------------------------------------------------------------------------------------
# helpers


def _reduction_from_legacy(size_average, reduce) -> str:
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='mean' "
        "(or 'sum'/'none') instead.",
        stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _reduction_from_legacy(size_average, reduce)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _log1pexp(z: Tensor) -> Tensor:
    """log(1 + exp(z)) without overflow; each branch only sees the inputs it is used for, so
    the gradient is sigmoid(z) everywhere (also at 0, where an abs() would break it)."""
    big = z + (-z.clamp(min=0)).exp().log1p()
    small = z.clamp(max=0).exp().log1p()
    return _where(z > 0, big, small)


def _check_weight_size(weight: Tensor, input: Tensor) -> None:
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def _weighted(loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str) -> Tensor:
    """Apply elementwise ``weight``; the weighted mean divides by the total weight."""
    if weight is None:
        return _reduce(loss, reduction)
    _check_weight_size(weight, input)
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _random_mask(shape, keep: float, like: Tensor) -> Tensor:
    """A 0/1 mask with P(1) = keep, drawn from ember's default generator, on like's device."""
    from ..random import _gen

    arr = (_gen(None).random(shape, dtype=np.float32) < keep).astype(like._data.dtype)
    return _make(transfer(arr, like.device))


def _channel_shape(input: Tensor, ndim: int) -> list:
    shape = [1] * input.ndim
    shape[1 if input.ndim > 1 else 0] = -1
    return shape


# --------------------------------------------------------------------------------------------
# linear layers


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias.

    Shape: input (*, in), weight (out, in), bias (out) -> (*, out).

    Example:
        >>> F.linear(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, weight, bias = _autocast.cast("linear", input, weight, bias)
    if _linear_fits(input, weight, bias):
        from ..ops.linalg import Linear

        return Linear.apply(input, weight, bias)
    # anything else (mismatched shapes or dtypes, complex ...) by the ops, which raise
    if input.ndim == 2 and bias is not None and weight.ndim == 2:
        from ..ops.linalg import addmm

        return addmm(bias, input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def _linear_fits(x, w, b) -> bool:
    """Whether the fused Linear op applies: real floats of one dtype and matching sizes."""
    if not _same_float_arrays(x, w) or w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        return False
    return b is None or (_same_float_arrays(x, b) and b.shape == (w.shape[0],))


def _same_float_arrays(a, b) -> bool:
    """Two tensors of one real floating dtype on one array type (what the fused ops accept)."""
    return (
        isinstance(a, Tensor)
        and isinstance(b, Tensor)
        and a._data.dtype.kind == "f"
        and a._data.dtype == b._data.dtype
        and type(a._data) is type(b._data)
    )


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o].

    Example:
        >>> F.bilinear(ember.ones(2, 3), ember.ones(2, 4), ember.ones(5, 3, 4)).shape
        ember.Size([2, 5])
    """
    from ..ops.linalg import einsum

    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# --------------------------------------------------------------------------------------------
# activations


class _Relu(Primitive):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x), elementwise.

    Example:
        >>> F.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    _need_input("relu", input)
    return relu_(input) if inplace else _Relu.apply(input)


relu_ = _inplace(lambda x: _Relu.apply(x), "relu_")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6).

    Example:
        >>> F.relu6(ember.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clamped to [min_val, max_val].

    Example:
        >>> F.hardtanh(ember.tensor([-2.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, True)


def _maybe_inplace(input: Tensor, fn, inplace: bool) -> Tensor:
    """``fn(input)``, written into ``input`` when ``inplace``."""
    if not inplace:
        return fn(input)
    from ..autograd.grad_mode import is_grad_enabled
    from ..ops.elementwise import _assign, _check_inplace

    _check_inplace(input)
    src = input
    if input._rg and is_grad_enabled():
        # The composite may save its input for backward: give it the old values, since
        # input's storage is about to be overwritten.
        src = _make(input._data.copy(), input.grad_fn, input._out_nr)
    return _assign(input, fn(src), "inplace activation")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise.

    Example:
        >>> F.leaky_relu(ember.tensor([-1.0, 2.0]), 0.1)
        tensor([-0.1000,  2.0000])
    """
    return _maybe_inplace(input, lambda x: _where(x > 0, x, x * negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope per channel (dim 1) or one shared slope.

    Example:
        >>> F.prelu(ember.tensor([[-1.0, 2.0]]), ember.tensor([0.25]))
        tensor([[-0.2500,  2.0000]])
    """
    w = weight
    if weight.numel() != 1:
        ch = input.shape[1] if input.ndim >= 2 else input.shape[0]
        if weight.numel() != ch:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {ch}."
            )
        w = weight.reshape(_channel_shape(input, input.ndim))
    else:
        w = weight.reshape(())
    return _where(input > 0, input, w * input)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky ReLU with a random slope in [lower, upper] while training, the mean slope otherwise.

    Example:
        >>> F.rrelu(ember.tensor([-1.0, 2.0]))
        tensor([-0.2292,  2.0000])
    """
    if training:
        from ..random import _gen

        arr = _gen(None).uniform(lower, upper, tuple(input.shape)).astype(input._data.dtype)
        slope = _make(transfer(arr, input.device))
    else:
        slope = (lower + upper) / 2
    return _maybe_inplace(input, lambda x: _where(x >= 0, x, x * slope), inplace)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    Example:
        >>> F.elu(ember.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    # NOTE: expm1 of min(x, 0), so the unused branch cannot overflow and poison the gradient.
    return _maybe_inplace(
        input, lambda x: _where(x > 0, x, x.clamp(max=0).expm1() * alpha), inplace
    )


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed constants.

    Example:
        >>> F.selu(ember.tensor([1.0]))
        tensor([1.0507])
    """
    return _maybe_inplace(input, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example:
        >>> F.celu(ember.tensor([-1.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  2.0000])
    """
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(
        input, lambda x: _where(x > 0, x, (x.clamp(max=0) / alpha).expm1() * alpha), inplace
    )


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (the Gaussian CDF), or its tanh approximation with ``approximate='tanh'``.

    Example:
        >>> F.gelu(ember.tensor([1.0]))
        tensor([0.8413])
    """
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2.0 / math.pi)
        return 0.5 * input * (1.0 + inner.tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish).

    Example:
        >>> F.silu(ember.tensor([1.0]))
        tensor([0.7311])
    """
    return _maybe_inplace(input, lambda x: x * x.sigmoid(), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)).

    Example:
        >>> F.mish(ember.tensor([1.0]))
        tensor([0.8651])
    """
    return _maybe_inplace(input, lambda x: x * softplus(x).tanh(), inplace)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)).

    Example:
        >>> F.sigmoid(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    Example:
        >>> F.tanh(ember.tensor([0.0]))
        tensor([0.])
    """
    return input.tanh()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6.

    Example:
        >>> F.hardsigmoid(ember.tensor([0.0, 4.0]))
        tensor([0.5000, 1.0000])
    """
    return _maybe_inplace(input, lambda x: (x / 6 + 0.5).clamp(0.0, 1.0), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6.

    Example:
        >>> F.hardswish(ember.tensor([1.0]))
        tensor([0.6667])
    """
    return _maybe_inplace(input, lambda x: x * hardsigmoid(x), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear above ``threshold``; stable for large |x|.

    Example:
        >>> F.softplus(ember.tensor([0.0]))
        tensor([0.6931])
    """
    bx = input * beta
    soft = _log1pexp(bx) / beta
    return _where(bx > threshold, input, soft)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|).

    Example:
        >>> F.softsign(ember.tensor([1.0]))
        tensor([0.5000])
    """
    return input / (1 + input.abs())


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x).

    Example:
        >>> F.tanhshrink(ember.tensor([0.0]))
        tensor([0.])
    """
    return input - input.tanh()


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere.

    Example:
        >>> F.hardshrink(ember.tensor([0.2, 1.0]))
        tensor([0., 1.])
    """
    return _where(input.abs() > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between.

    Example:
        >>> F.softshrink(ember.tensor([0.2, 1.0]))
        tensor([0.0000, 0.5000])
    """
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _where(input.abs() > lambd, input - input.clamp(-lambd, lambd), 0.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, ``value`` elsewhere.

    Example:
        >>> F.threshold(ember.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return _threshold(input, threshold, value, inplace)


def _threshold(input: Tensor, thr: float, value: float, inplace: bool) -> Tensor:
    return _maybe_inplace(input, lambda x: _where(x > thr, x, value), inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _threshold(input, threshold, value, True)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably.

    Example:
        >>> F.logsigmoid(ember.tensor([0.0]))
        tensor([-0.6931])
    """
    return -_log1pexp(-input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``.

    Example:
        >>> F.glu(ember.ones(2, 4)).shape
        ember.Size([2, 2])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension "
            f"{dim % input.ndim} is size {input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class _LogSoftmax(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        xp = xp_of(x)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - out.exp() * g.sum(ctx.dim, keepdim=True), None


class _Softmax(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(ctx.dim, keepdim=True)), None


def _softmax_prep(name, input, dim, dtype):
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    elif not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"\"{name}_lastdim_kernel_impl\" not implemented for '{input.dtype.name.capitalize()}'"
        )
    if input.ndim == 0:
        return input, 0, True
    from ..ops._util import wrap_dim

    return input, wrap_dim(dim, input.ndim), False


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed stably.

    Example:
        >>> F.softmax(ember.tensor([1e4, 1e4]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if _autocast.active and dtype is None:  # NOTE [ autocast entry checks ]
        (input,) = _autocast.cast("softmax", input)
    x, d, scalar = _softmax_prep("softmax", input, dim, dtype)
    if scalar:
        return _Softmax.apply(x.reshape(1), 0).reshape(())
    return _Softmax.apply(x, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, as one stable fused op.

    Example:
        >>> F.log_softmax(ember.tensor([1e4, -1e4]), dim=0)
        tensor([     0., -20000.])
    """
    if _autocast.active and dtype is None:  # NOTE [ autocast entry checks ]
        (input,) = _autocast.cast("log_softmax", input)
    x, d, scalar = _softmax_prep("log_softmax", input, dim, dtype)
    if scalar:
        return _LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return _LogSoftmax.apply(x, d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``.

    Example:
        >>> F.softmin(ember.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return softmax(-input, dim, dtype=dtype)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """Samples from the Gumbel-softmax distribution (one-hot with straight-through if ``hard``).

    Example:
        >>> F.gumbel_softmax(ember.zeros(2, 3), hard=True).sum(-1)
        tensor([1., 1.])
    """
    from ..random import _gen

    g = -np.log(_gen(None).exponential(1.0, tuple(logits.shape)))
    gumbels = _make(transfer(g.astype(logits._data.dtype), logits.device))
    y = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = logits.new_zeros(logits.shape).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet's channel shuffle).

    Example:
        >>> F.channel_shuffle(ember.arange(4.0).reshape(1, 4, 1, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    n, c = input.shape[0], input.shape[1]
    rest = tuple(input.shape[2:])
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


# --------------------------------------------------------------------------------------------
# normalisation


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) by batch statistics (training) or running ones.

    In training mode the running statistics are updated in place, with the unbiased variance.

    Example:
        >>> F.batch_norm(ember.randn(4, 3), None, None, training=True).shape
        ember.Size([4, 3])
    """
    if training:
        size = input.numel() // input.shape[1] if input.ndim > 1 else input.numel()
        if size == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input "
                f"size {input.shape}"
            )
    dims = (0,) + tuple(range(2, input.ndim))
    shape = [1, -1] + [1] * (input.ndim - 2)
    if training or running_mean is None or running_var is None:
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, keepdim=True, correction=0)
        if training and running_mean is not None and running_var is not None:
            n = input.numel() // input.shape[1]
            with no_grad():
                m = mean.detach().reshape(-1)
                v = var.detach().reshape(-1) * (n / max(n - 1, 1))
                running_mean.mul_(1 - momentum).add_(m.to(running_mean.dtype) * momentum)
                running_var.mul_(1 - momentum).add_(v.to(running_var.dtype) * momentum)
    else:
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) plane over its spatial dims.

    Example:
        >>> F.instance_norm(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """
    n, c = input.shape[0], input.shape[1]
    shape = [1, -1] + [1] * (input.ndim - 2)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        spatial = input.numel() // (n * c)
        if spatial == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, keepdim=True, correction=0)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = mean.detach().reshape(n, c).mean(0)
                v = (var.detach() * (spatial / max(spatial - 1, 1))).reshape(n, c).mean(0)
                running_mean.mul_(1 - momentum).add_(m * momentum)
                running_var.mul_(1 - momentum).add_(v * momentum)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift.

    Example:
        >>> F.layer_norm(ember.randn(2, 5), (5,)).shape
        ember.Size([2, 5])
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, weight, bias = _autocast.cast("layer_norm", input, weight, bias)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k :]) != tuple(normalized_shape) or k > input.ndim:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{input.shape}"
        )
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing ``normalized_shape`` dims, times weight.

    Example:
        >>> F.rms_norm(ember.ones(2, 4), (4,))
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over groups of channels (and all spatial positions), per sample.

    Example:
        >>> F.group_norm(ember.randn(2, 6, 3), 3).shape
        ember.Size([2, 6, 3])
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, weight, bias = _autocast.cast("group_norm", input, weight, bias)
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {input.shape} and num_groups="
            f"{num_groups}"
        )
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(2, keepdim=True)
    var = x.var(2, keepdim=True, correction=0)
    out = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    shape = [1, -1] + [1] * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each value by (k + alpha * mean of squares over ``size`` neighbouring channels)^beta.

    Example:
        >>> F.local_response_norm(ember.ones(1, 4, 2, 2), 2).shape
        ember.Size([1, 4, 2, 2])
    """
    from ..ops.shape import cat

    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    sq = input * input
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    zeros = sq.new_zeros
    padded = cat(
        [
            zeros((sq.shape[0], before) + tuple(sq.shape[2:])),
            sq,
            zeros((sq.shape[0], after) + tuple(sq.shape[2:])),
        ],
        1,
    )
    acc = padded.narrow(1, 0, c)
    for i in range(1, size):
        acc = acc + padded.narrow(1, i, c)
    div = (acc * (alpha / size) + k) ** beta
    return input / div


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``.

    Example:
        >>> F.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        (input,) = _autocast.cast("normalize", input)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    res = input / denom
    if out is not None:
        return out.copy_(res)
    return res


# --------------------------------------------------------------------------------------------
# distances


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim`` (norms clamped below by eps).

    Example:
        >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    from ..ops.shape import broadcast_tensors

    x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim.

    Example:
        >>> F.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]))
        tensor([5.0000])
    """
    d = x1 - x2 + eps
    dim = -1 if d.ndim else 0
    return d.norm(p, dim, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """Distances between all pairs of rows (the upper triangle, flattened).

    Example:
        >>> F.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0]]))
        tensor([5.])
    """
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    from ..ops.creation import tensor

    a = input.index_select(0, tensor(i, device=input.device))
    b = input.index_select(0, tensor(j, device=input.device))
    return (a - b).norm(p, -1)


# --------------------------------------------------------------------------------------------
# dropout


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only).

    Example:
        >>> F.dropout(ember.ones(4), p=0.0)
        tensor([1., 1., 1., 1.])
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_inplace(input, lambda x: x * 0.0, inplace)
    mask = _random_mask(tuple(input.shape), 1.0 - p, input) * (1.0 / (1.0 - p))
    return _maybe_inplace(input, lambda x: x * mask, inplace)


def _feature_dropout(
    input: Tensor, p: float, training: bool, inplace: bool, batched_ndim: int, name: str
) -> Tensor:
    _check_p(p)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but "
            f"received a {input.ndim}D input. "
        )
    if not training or p == 0.0:
        return input
    batched = input.ndim == batched_ndim
    shape = tuple(input.shape[:2]) if batched else (1, input.shape[0])
    mask_shape = shape + (1,) * (batched_ndim - 2)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = _random_mask(mask_shape, 1.0 - p, input) * scale
    if not batched:
        mask = mask.squeeze(0)
    return _maybe_inplace(input, lambda x: x * mask, inplace)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``.

    Example:
        >>> F.dropout1d(ember.ones(2, 3, 4), p=0.0).shape
        ember.Size([2, 3, 4])
    """
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p``.

    A 3-D input is treated as (N, C, L) with a warning, as PyTorch does.

    Example:
        >>> F.dropout2d(ember.ones(2, 3, 4, 4), p=0.0).shape
        ember.Size([2, 3, 4, 4])
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
            "deprecated and will result in an error in a future release. To retain the "
            "behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
            "or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
            "where C is the channel dim. This behavior will change in a future release "
            "to interpret the input as one without a batch dimension, i.e. shape (C, H, "
            "W). To maintain the 1D channel-wise dropout behavior, please switch to "
            "using dropout1d instead.",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    if input.ndim < 2:
        return dropout(input, p, training, inplace)
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = _random_mask(mask_shape, 1.0 - p, input) * scale
    return _maybe_inplace(input, lambda x: x * mask, inplace)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``.

    Example:
        >>> F.dropout3d(ember.ones(1, 2, 2, 2, 2), p=0.0).shape
        ember.Size([1, 2, 2, 2, 2])
    """
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")


_ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE


def _alpha_dropout(input: Tensor, p: float, training: bool, mask_shape) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _random_mask(mask_shape, 1.0 - p, input)
    a = ((1 - p) * (1 + p * _ALPHA_PRIME**2)) ** -0.5
    b = -a * _ALPHA_PRIME * p
    return (input * keep + _ALPHA_PRIME * (1 - keep)) * a + b


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps SELU activations' mean and variance (dropped values become -alpha').

    Example:
        >>> F.alpha_dropout(ember.ones(3), p=0.5, training=False)
        tensor([1., 1., 1.])
    """
    return _maybe_inplace(
        input, lambda x: _alpha_dropout(x, p, training, tuple(x.shape)), inplace and training
    )


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels.

    Example:
        >>> F.feature_alpha_dropout(ember.ones(2, 3, 4), p=0.5).shape
        ember.Size([2, 3, 4])
    """
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _maybe_inplace(
        input, lambda x: _alpha_dropout(x, p, training, shape), inplace and training
    )


# --------------------------------------------------------------------------------------------
# embeddings


class _Embedding(Primitive):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.num, ctx.padding_idx, ctx.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        ctx.save_for_backward(idx)
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        flat = idx.reshape(-1)
        g2 = g.reshape(flat.shape[0], -1)
        if ctx.padding_idx is not None:
            g2 = g2 * (flat != ctx.padding_idx).unsqueeze(1).to(g2.dtype)
        if ctx.scale:
            counts = flat.bincount(minlength=ctx.num).to(g2.dtype)
            g2 = g2 / counts.index_select(0, flat).unsqueeze(1)
        z = g2.new_zeros((ctx.num, g2.shape[1]))
        return (
            z.index_add(0, flat, g2).reshape((ctx.num,) + tuple(g.shape[idx.ndim :])),
            None,
            None,
            None,
        )


def _check_indices(input: Tensor, num: int) -> None:
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.type_name()} instead (while checking arguments for "
            "embedding)"
        )
    if input.numel():
        lo, hi = int(input.min().item()), int(input.max().item())
        if lo < 0 or hi >= num:
            raise IndexError("index out of range in self")


def _padding_idx(padding_idx, num: int):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    with no_grad():
        rows = input.reshape(-1).unique()
        sel = weight.index_select(0, rows)
        norms = sel.norm(norm_type, 1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        weight[rows] = sel * scale


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``; row ``padding_idx`` gets no gradient.

    Example:
        >>> F.embedding(ember.tensor([[0, 2]]), ember.eye(3)).shape
        ember.Size([1, 2, 3])
    """
    num = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, num)
    _check_indices(input, num)
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input.long(), padding_idx, scale_grad_by_freq)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq=False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxes of bags of embeddings, without materialising the bags.

    ``input`` is 2-D (B bags of equal size) or 1-D with ``offsets`` marking where bags start.

    Example:
        >>> F.embedding_bag(ember.tensor([0, 1, 2]), ember.eye(3), ember.tensor([0, 2]))
        tensor([[0.5000, 0.5000, 0.0000],
                [0.0000, 0.0000, 1.0000]])
    """
    from ..ops.creation import arange, tensor

    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. "
            f"per_sample_weights is only supported for mode='sum' (got "
            f"mode='{mode}'). Please open a feature request on GitHub."
        )
    num, dim = weight.shape
    padding_idx = _padding_idx(padding_idx, num)
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated "
                "is a mini-batch of fixed length sequences."
            )
        nbags, per = input.shape
        flat = input.reshape(-1)
        bag = np.repeat(np.arange(nbags), per)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat = input
        offs = np.asarray(offsets.cpu()._data, dtype=np.int64)
        if include_last_offset:
            offs = offs[:-1]
        nbags = len(offs)
        bag = np.zeros(flat.shape[0], np.int64)
        if flat.shape[0]:
            starts = offs[(offs >= 0) & (offs < flat.shape[0])]
            np.add.at(bag, starts, 1)
            bag = np.cumsum(bag) - 1
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    _check_indices(flat, num)
    if max_norm is not None:
        _renorm_(weight, flat, max_norm, norm_type)
    keep = np.ones(flat.shape[0], bool)
    if padding_idx is not None:
        keep = np.asarray(flat.cpu()._data) != padding_idx
    rows = embedding(flat, weight, scale_grad_by_freq=scale_grad_by_freq)
    bag_t = tensor(bag, device=weight.device)
    keep_t = tensor(keep, device=weight.device).to(weight.dtype).unsqueeze(1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    if mode in ("sum", "mean"):
        out = weight.new_zeros((nbags, dim)).index_add(0, bag_t, rows * keep_t)
        if mode == "mean":
            counts = np.bincount(bag[keep], minlength=nbags).astype(np.float64)
            c = tensor(np.maximum(counts, 1), dtype=weight.dtype, device=weight.device)
            out = out / c.unsqueeze(1)
        return out
    # max: bags are few and short next to a training step; one reduction per bag keeps it simple
    outs = []
    idx_all = arange(flat.shape[0], device=weight.device)
    for b in range(nbags):
        sel = np.nonzero((bag == b) & keep)[0]
        if len(sel) == 0:
            outs.append(weight.new_zeros((dim,)))
        else:
            outs.append(rows.index_select(0, idx_all[tensor(sel, device=weight.device)]).amax(0))
    from ..ops.shape import stack

    return stack(outs) if outs else weight.new_zeros((0, dim))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dim (num_classes = max + 1 by default).

    Example:
        >>> F.one_hot(ember.tensor([0, 2]))
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    if tensor.dtype != D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = xp_of(tensor._data)
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and (int(idx.min()) < 0):
        raise RuntimeError("Class values must be non-negative.")
    if idx.size and int(idx.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _make(out)


# --------------------------------------------------------------------------------------------
# spatial transformers


def _align_default(align_corners):
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to "
            "align_corners=False since 1.3.0. Please specify align_corners=True if the "
            "old behavior is desired. See the documentation of grid_sample for "
            "details.",
            stacklevel=3,
        )
        return False
    return align_corners


def _base_coords(n: int, align_corners: bool, like: Tensor) -> Tensor:
    from ..ops.creation import arange

    if n <= 1:
        return like.new_zeros((max(n, 0),))
    steps = arange(n, dtype=like.dtype, device=like.device)
    if align_corners:
        return steps * (2.0 / (n - 1)) - 1.0
    return (steps * 2.0 + 1.0) / n - 1.0


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) over an image of ``size``.

    Example:
        >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(theta, (1, 1, 2, 3), align_corners=False).shape
        ember.Size([1, 2, 3, 2])
    """
    from ..ops.shape import stack

    align_corners = _align_default(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) != 4:
        raise NotImplementedError(
            "affine_grid only supports 4D sizes, for 2D affine "
            f"transformations. Got size {list(size)}."
        )
    n, _, h, w = size
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(
            f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
            f"{list(size)}. Got {list(theta.shape)}."
        )
    xs = _base_coords(w, align_corners, theta).reshape(1, w).expand(h, w)
    ys = _base_coords(h, align_corners, theta).reshape(h, 1).expand(h, w)
    base = stack([xs, ys, xs.new_ones((h, w))], -1).reshape(1, h * w, 3)
    return base.matmul(theta.transpose(1, 2)).reshape(n, h, w, 2)


def _reflect(coord: Tensor, lo2: float, hi2: float) -> Tensor:
    """Reflect coordinates (in half-pixel units ``lo2``/``hi2``) into [lo2/2, hi2/2]."""
    if lo2 == hi2:
        return coord * 0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    x = (coord - lo).abs()
    flips = (x / span).floor()
    extra = x - flips * span
    even = flips.remainder(2) == 0
    return _where(even, extra + lo, span - extra + lo)


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the normalised (x, y) locations of ``grid`` (N, Ho, Wo, 2).

    Modes 'bilinear' and 'nearest'; padding 'zeros', 'border' or 'reflection'. Differentiable in
    both input and grid.

    Example:
        >>> img = ember.arange(4.0).reshape(1, 1, 2, 2)
        >>> F.grid_sample(img, ember.zeros(1, 1, 1, 2), align_corners=True)
        tensor([[[[1.5000]]]])
    """
    align_corners = _align_default(align_corners)
    if mode not in ("bilinear", "nearest"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear' or "
            f"'nearest', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
            f"'border', or 'reflection', but got: '{padding_mode}'"
        )
    if input.ndim != 4:
        raise NotImplementedError("ember's grid_sample supports 4-D input (N, C, H, W) only")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size 2 in last dimension and "
            f"batch {input.shape[0]}, but got grid with sizes {list(grid.shape)}"
        )
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]

    def unnormalize(coord, size):
        if align_corners:
            pix = (coord + 1) * ((size - 1) / 2)
        else:
            pix = ((coord + 1) * size - 1) / 2
        if padding_mode == "border":
            pix = pix.clamp(0, size - 1)
        elif padding_mode == "reflection":
            pix = (
                _reflect(pix, 0, 2 * (size - 1))
                if align_corners
                else _reflect(pix, -1, 2 * size - 1).clamp(0, size - 1)
            )
        return pix

    ix = unnormalize(grid[..., 0], w).reshape(n, 1, ho * wo)
    iy = unnormalize(grid[..., 1], h).reshape(n, 1, ho * wo)
    flat = input.reshape(n, c, h * w)

    def tap(xi, yi):
        inside = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
        idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long()
        vals = flat.gather(2, idx.expand(n, c, ho * wo))
        return vals * inside.to(input.dtype)

    if mode == "nearest":
        out = tap(ix.round(), iy.round())
    else:
        x0, y0 = ix.floor(), iy.floor()
        wx1, wy1 = ix - x0, iy - y0
        wx0, wy0 = 1 - wx1, 1 - wy1
        out = (
            tap(x0, y0) * (wx0 * wy0)
            + tap(x0 + 1, y0) * (wx1 * wy0)
            + tap(x0, y0 + 1) * (wx0 * wy1)
            + tap(x0 + 1, y0 + 1) * (wx1 * wy1)
        )
    return out.reshape(n, c, ho, wo)


# --------------------------------------------------------------------------------------------
# losses


def _nll_prep(input: Tensor, target: Tensor):
    """(N, C, *) log-probabilities and (N, *) targets as (M, C) and (M,), plus the out shape."""
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(
                f"Expected input batch_size ({1}) to match target batch_size ({target.shape[0]})."
            )
        return input.unsqueeze(0), target.reshape(1), ()
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if target.ndim == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target "
            f"batch_size ({target.shape[0] if target.ndim else 0})."
        )
    if input.ndim > 2:
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(
                f"Expected target size {_size_list(input)}, got {list(target.shape)}"
            )
        c = input.shape[1]
        x = input.movedim(1, -1).reshape(-1, c)
        return x, target.reshape(-1), tuple(target.shape)
    return input, target, tuple(target.shape)


def _size_list(input: Tensor) -> list:
    return [input.shape[0]] + list(input.shape[2:])


def _check_target(t: Tensor, c: int, ignore_index: int) -> None:
    if t.dtype not in (D.int64, D.int32, D.uint8, D.int16, D.int8):
        raise RuntimeError(f"expected scalar type Long but found {t.dtype.name.capitalize()}")
    a = t._data
    if a.size:
        bad = (a != ignore_index) & ((a < 0) | (a >= c))
        if bool(bad.any()):
            v = int(a[bad].reshape(-1)[0])
            raise IndexError(f"Target {v} is out of bounds.")


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class ``target`` under log-probabilities ``input``.

    Shape: input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) of class indices.

    Example:
        >>> F.nll_loss(ember.tensor([[-0.5, -1.0]]), ember.tensor([1]))
        tensor(1.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("nll_loss", input, target, weight)
    reduction = _legacy(size_average, reduce, reduction)
    x, t, out_shape = _nll_prep(input, target)
    c = x.shape[1]
    _check_target(t, c, ignore_index)
    t = t.long()
    valid = t != ignore_index
    safe = _where(valid, t, 0)
    picked = -x.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(x.dtype)
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != c:
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or "
                f"no classes but got weight tensor of shape: {list(weight.shape)}"
            )
        w = w * weight.index_select(0, safe)
    loss = picked * w
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over the class dim followed by nll_loss; targets are indices or probabilities.

    Example:
        >>> F.cross_entropy(ember.tensor([[1e4, -1e4]]), ember.tensor([1]))
        tensor(20000.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("cross_entropy", input, target, weight)
    reduction = _legacy(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, cdim)
    c = input.shape[cdim]
    wshape = [1] * input.ndim
    wshape[cdim] = c
    if target.is_floating_point():
        # probability targets
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(
                f"Expected input and target to have the same shape when using "
                f"class probabilities, got {list(input.shape)} and "
                f"{list(target.shape)}"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(wshape)
        loss = -prod.sum(cdim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // c) if input.numel() else loss.sum() / 0
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    ignore = target == ignore_index
    smooth = -(logp * weight.reshape(wshape)).sum(cdim) if weight is not None else -logp.sum(cdim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            t = target.masked_select(~ignore).long()
            smooth = smooth.sum() / weight.index_select(0, t).sum()
        else:
            smooth = smooth.sum() / (~ignore).sum().to(smooth.dtype)
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error.

    Example:
        >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 4.0]))
        tensor(2.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("mse_loss", input, target, weight)
    reduction = _legacy(size_average, reduce, reduction)
    fused = weight is None and _same_float_arrays(input, target) and input.shape == target.shape
    if fused and input.numel():
        return _MSELoss.apply(input, target, reduction)
    _check_same_size(input, target, "mse_loss")
    d = input - target
    return _weighted(d * d, weight, input, reduction)


class _MSELoss(Primitive):
    """(input - target) ** 2 and its mean or sum as one op: mse_loss's common call costs one
    node instead of three (sub, mul, mean) forward and backward."""

    @staticmethod
    def forward(ctx, a, b, reduction):
        ctx.save_for_backward(a, b)
        ctx.reduction = reduction
        d = a - b
        np.multiply(d, d, out=d)
        if reduction == "none":
            return d
        return d.sum() if reduction == "sum" else d.mean()

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        scale = 2.0 / a.numel() if ctx.reduction == "mean" else 2.0
        if _grad_state.enabled:  # building a graph (double backward): ember ops
            ga = (a - b) * (g * scale)
        else:
            ga = _make((a._data - b._data) * (g._data * scale))
        need = ctx.needs_input_grad
        return (ga if need[0] else None, -ga if need[1] else None, None)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error.

    Example:
        >>> F.l1_loss(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 4.0]))
        tensor(1.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("l1_loss", input, target, weight)
    reduction = _legacy(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    return _weighted((input - target).abs(), weight, input, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere.

    Example:
        >>> F.smooth_l1_loss(ember.tensor([0.0, 3.0]), ember.tensor([0.5, 0.0]))
        tensor(1.3125)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target = _autocast.cast("smooth_l1_loss", input, target)
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_same_size(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = _where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere.

    Example:
        >>> F.huber_loss(ember.tensor([0.0, 3.0]), ember.tensor([0.5, 0.0]))
        tensor(1.3125)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("huber_loss", input, target, weight)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_same_size(input, target, "huber_loss")
    d = (input - target).abs()
    loss = _where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        _check_weight_size(weight, input)
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-(t log x + (1 - t) log(1 - x)), with each log clamped at -100 as in PyTorch.

    Example:
        >>> F.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([1.0]))
        tensor(0.6931)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight = _autocast.cast("binary_cross_entropy", input, target, weight)
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input "
            f"size ({input.shape}) is deprecated. Please ensure they have the same "
            "size."
        )
    a = input._data
    if a.size and bool(((a < 0) | (a > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(
        target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100)
    )
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross entropy in one stable formula (finite for logits of +-1e4).

    Example:
        >>> F.binary_cross_entropy_with_logits(ember.tensor([1e4]), ember.tensor([0.0]))
        tensor(10000.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target, weight, pos_weight = _autocast.cast(
            "binary_cross_entropy_with_logits", input, target, weight, pos_weight
        )
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    # log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)) never overflows.
    log_sig_neg = _log1pexp(-input)
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + lw * log_sig_neg
    else:
        loss = (1 - target) * input + log_sig_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence with ``input`` as log-probabilities: target * (log target - input).

    Example:
        >>> F.kl_div(ember.tensor([-0.6931]), ember.tensor([0.5]), reduction="sum")
        tensor(0.)
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, target = _autocast.cast("kl_div", input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction_from_legacy(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the "
            "support size.'batchmean' divides only by the batch size, and aligns with "
            "the KL div math definition.'mean' will be changed to behave the same as "
            "'batchmean' in the next major release.",
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood (input is the log-rate when ``log_input``).

    Example:
        >>> F.poisson_nll_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(1.)
    """
    reduction = _legacy(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), used where target > 1.
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood: 0.5 (log var + (input - target)^2 / var) [+ const].

    Example:
        >>> F.gaussian_nll_loss(ember.tensor([0.0]), ember.tensor([1.0]), ember.tensor([1.0]))
        tensor(0.5000)
    """
    if not isinstance(var, Tensor):
        var = input.new_full((), float(var))
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif (
            tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1
        ) or var.ndim == 0:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    with no_grad():
        clamped = var.clamp(min=eps)
    var = var + (clamped - var).detach()  # clamp without cutting the gradient
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.

    Example:
        >>> F.cosine_embedding_loss(ember.ones(1, 2), ember.ones(1, 2), ember.tensor([1]))
        tensor(0.)
    """
    reduction = _legacy(size_average, reduce, reduction)
    eps = 1e-12
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + eps
    m2 = (input2 * input2).sum(dim) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = cos.new_zeros(())
    pos = _where(target == 1, 1 - cos, zeros)
    neg = _where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin).

    Example:
        >>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.)
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension "
            f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
            f"target: {target.shape} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """x for target 1, max(0, margin - x) for target -1.

    Example:
        >>> F.hinge_embedding_loss(ember.tensor([0.3]), ember.tensor([-1.0]))
        tensor(0.7000)
    """
    reduction = _legacy(size_average, reduce, reduction)
    zeros = input.new_zeros(())
    margin_part = _where(target == -1, (margin - input).clamp(min=0), zeros)
    self_part = _where(target == 1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + exp(-target * input)).

    Example:
        >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(softplus(-target * input, threshold=1e30), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with pairwise p-norm distances.

    Example:
        >>> a = ember.zeros(1, 2)
        >>> F.triplet_margin_loss(a, a, a + 3)
        tensor(0.)
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the "
            f"same number of dimensions, but got: anchor {anchor.ndim}D, positive "
            f"{positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    if margin <= 0:
        raise ValueError(
            f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet margin loss with a custom distance (pairwise_distance by default).

    Example:
        >>> a = ember.zeros(1, 2)
        >>> F.triplet_margin_with_distance_loss(a, a, a + 3)
        tensor(0.)
    """
    if margin <= 0:
        raise ValueError(
            f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
            f"got {margin} instead"
        )
    dist = distance_function or pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class binary logistic loss, averaged over classes.

    Example:
        >>> F.multilabel_soft_margin_loss(ember.zeros(1, 2), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    reduction = _legacy(size_average, reduce, reduction)
    target = target.to(input.dtype)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1] if input.ndim else loss
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: sum over wrong classes of max(0, margin - x[y] + x[i])^p / C.

    Example:
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1, 1).long()
    c = x.shape[1]
    xy = x.gather(1, t)
    z = (margin - xy + x).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t.reshape(-1)).unsqueeze(1)
    from ..ops.creation import arange

    notself = arange(c, device=x.device).unsqueeze(0) != t
    loss = (z * notself.to(z.dtype)).sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge loss; ``target`` lists class indices, ended by the first -1.

    Example:
        >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                          ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    reduction = _legacy(size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = np.asarray(target.reshape(x.shape).cpu()._data)
    n, c = x.shape
    is_target = np.zeros((n, c), bool)
    for i in range(n):
        for j in t[i]:
            if j < 0:
                break
            is_target[i, j] = True
    from ..ops.creation import tensor

    istgt = tensor(is_target, device=x.device)
    losses = []
    for i in range(n):
        ys = [j for j in t[i][: (list(t[i]) + [-1]).index(-1)]]
        row = x[i]
        acc = row.new_zeros(())
        nontgt = (~istgt[i]).to(row.dtype)
        for y in ys:
            acc = acc + ((1 - row[int(y)] + row).clamp(min=0) * nontgt).sum()
        losses.append(acc / c)
    from ..ops.shape import stack

    loss = stack(losses)
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)
