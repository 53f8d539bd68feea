"""Activation modules: thin wrappers over ``nn.functional`` with PyTorch's reprs."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Softplus",
    "Softsign",
    "Tanhshrink",
    "Threshold",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Softmax2d",
    "GLU",
    "Hardshrink",
    "Softshrink",
]


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class _Stateless(Module):
    """An activation with no options: forward is one functional call."""

    _fn = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class _InplaceOnly(Module):
    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ReLU(_InplaceOnly):
    """max(0, x).

    Example:
        >>> ember.nn.ReLU()(ember.tensor([-1.0, 1.0]))
        tensor([0., 1.])
    """

    _fn = staticmethod(F.relu)


class SELU(_InplaceOnly):
    """Scaled ELU with the self-normalising constants.

    Example:
        >>> ember.nn.SELU()(ember.tensor([1.0]))
        tensor([1.0507])
    """

    _fn = staticmethod(F.selu)


class SiLU(_InplaceOnly):
    """x * sigmoid(x).

    Example:
        >>> ember.nn.SiLU()(ember.tensor([0.0]))
        tensor([0.])
    """

    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    """x * tanh(softplus(x)).

    Example:
        >>> ember.nn.Mish()(ember.tensor([0.0]))
        tensor([0.])
    """

    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceOnly):
    """relu6(x + 3) / 6.

    Example:
        >>> ember.nn.Hardsigmoid()(ember.tensor([0.0]))
        tensor([0.5000])
    """

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_InplaceOnly):
    """x * relu6(x + 3) / 6.

    Example:
        >>> ember.nn.Hardswish()(ember.tensor([0.0]))
        tensor([0.])
    """

    _fn = staticmethod(F.hardswish)


class Hardtanh(Module):
    """x clamped to [min_val, max_val].

    Example:
        >>> ember.nn.Hardtanh()(ember.tensor([2.0]))
        tensor([1.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        s = f"min_val={self.min_val}, max_val={self.max_val}"
        return s + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(0, x), 6).

    Example:
        >>> ember.nn.ReLU6()(ember.tensor([7.0]))
        tensor([6.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

    Example:
        >>> ember.nn.LeakyReLU(0.1)(ember.tensor([-1.0]))
        tensor([-0.1000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU with learned slopes (one, or one per channel).

    Example:
        >>> ember.nn.PReLU()(ember.tensor([-1.0]))
        tensor([-0.2500], grad_fn=<WhereBackward0>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: random slopes in [lower, upper] while training.

    Example:
        >>> ember.nn.RReLU().eval()(ember.tensor([1.0]))
        tensor([1.])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else ""
        )


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    Example:
        >>> ember.nn.ELU()(ember.tensor([1.0]))
        tensor([1.])
    """

    _fn = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example:
        >>> ember.nn.CELU()(ember.tensor([1.0]))
        tensor([1.])
    """

    _fn = staticmethod(F.celu)


class GELU(Module):
    """x * Phi(x), or its tanh approximation.

    Example:
        >>> ember.nn.GELU(approximate="tanh")(ember.tensor([0.0]))
        tensor([0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(_Stateless):
    """1 / (1 + exp(-x)).

    Example:
        >>> ember.nn.Sigmoid()(ember.tensor([0.0]))
        tensor([0.5000])
    """

    _fn = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """Hyperbolic tangent.

    Example:
        >>> ember.nn.Tanh()(ember.tensor([0.0]))
        tensor([0.])
    """

    _fn = staticmethod(F.tanh)


class Softsign(_Stateless):
    """x / (1 + |x|).

    Example:
        >>> ember.nn.Softsign()(ember.tensor([1.0]))
        tensor([0.5000])
    """

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """x - tanh(x).

    Example:
        >>> ember.nn.Tanhshrink()(ember.tensor([0.0]))
        tensor([0.])
    """

    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Stateless):
    """log(sigmoid(x)), stably.

    Example:
        >>> ember.nn.LogSigmoid()(ember.tensor([0.0]))
        tensor([-0.6931])
    """

    _fn = staticmethod(F.logsigmoid)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear above ``threshold``.

    Example:
        >>> ember.nn.Softplus()(ember.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Threshold(Module):
    """x where x > threshold, ``value`` elsewhere.

    Example:
        >>> ember.nn.Threshold(0.1, 20)(ember.tensor([0.0, 1.0]))
        tensor([20.,  1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else ""
        )


class Hardshrink(Module):
    """x where |x| > lambd, 0 elsewhere.

    Example:
        >>> ember.nn.Hardshrink()(ember.tensor([0.2, 1.0]))
        tensor([0., 1.])
    """

    _fn = staticmethod(F.hardshrink)

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """Shrink x towards 0 by lambd (0 inside [-lambd, lambd]).

    Example:
        >>> ember.nn.Softshrink()(ember.tensor([1.0]))
        tensor([0.5000])
    """

    _fn = staticmethod(F.softshrink)


class _DimModule(Module):
    _fn = None

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """exp(x) / sum(exp(x)) along ``dim``.

    Example:
        >>> ember.nn.Softmax(dim=0)(ember.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_DimModule):
    """log(softmax(x)) along ``dim``.

    Example:
        >>> ember.nn.LogSoftmax(dim=0)(ember.tensor([0.0, 0.0]))
        tensor([-0.6931, -0.6931])
    """

    _fn = staticmethod(F.log_softmax)


class Softmin(_DimModule):
    """softmax(-x) along ``dim``.

    Example:
        >>> ember.nn.Softmin(dim=0)(ember.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    _fn = staticmethod(F.softmin)


class Softmax2d(Module):
    """Softmax over the channel dim of (N, C, H, W) or (C, H, W) input.

    Example:
        >>> ember.nn.Softmax2d()(ember.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim``.

    Example:
        >>> ember.nn.GLU()(ember.zeros(1, 4)).shape
        ember.Size([1, 2])
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
