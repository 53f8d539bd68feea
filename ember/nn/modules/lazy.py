"""Lazy modules: layers whose input size is inferred from the first batch they see.

A lazy module starts with UninitializedParameter / UninitializedBuffer objects (see NOTE
[ Uninitialized tensors ] in ``ember/nn/parameter.py``). Its first call reads the input's shape,
materializes them in place and turns the module into its ordinary class (``LazyLinear`` becomes
``Linear``), as in PyTorch.

Build optimizers (and anything else that takes ``module.parameters()``) *after* this first call,
the "dry run": before it the parameters have no shape, and only after it do they hold the values
training will update. Loading a state_dict into a lazy module materializes the parameters it
contains without a dry run.
"""

from __future__ import annotations

import itertools
from typing import Any

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .module import Module

__all__ = [
    "LazyModuleMixin",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


class LazyModuleMixin:
    """Mixin for modules whose parameters are shaped from their first input.

    Subclasses implement ``initialize_parameters(*inputs)`` (materialize every uninitialized
    parameter and buffer) and set ``cls_to_become``, the class the module takes once
    initialized. Create optimizers after the first forward (the dry run), never before.

    Example:
        >>> nn = ember.nn
        >>> net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
        >>> _ = net(ember.randn(3, 5))  # dry run: infers in_features=5, then 8
        >>> opt = ember.optim.SGD(net.parameters(), lr=0.1)
        >>> type(net[0]).__name__, net[0].weight.shape
        ('Linear', ember.Size([8, 5]))
    """

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module (not its children) is still lazy."""
        return any(
            is_lazy(v) for v in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Materialize the lazy parameters from the first inputs; subclasses implement it."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def _uninitialized_weight_and_bias(self, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _infer_parameters(self, module: Module, args: tuple, kwargs: dict | None = None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    # Initialization runs here rather than in a forward pre-hook: removing a hook from inside
    # the loop that calls the hooks would mutate the dict being iterated.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._infer_parameters(self, args, kwargs)
        return Module._call_impl(self, *args, **kwargs)

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        # Uninitialized entries are saved as themselves (they have no values to detach).
        for name, v in itertools.chain(self._parameters.items(), self._buffers.items()):
            if v is None or name in self._non_persistent_buffers_set:
                continue
            destination[prefix + name] = v if keep_vars or is_lazy(v) else v.detach()

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        # Materialize each lazy entry to the checkpoint's shape, then load as usual.
        for name, v in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if v is not None and is_lazy(v) and key in state_dict:
                src = state_dict[key]
                if not is_lazy(src) and hasattr(src, "shape"):
                    with no_grad():
                        v.materialize(tuple(src.shape))
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def _apply(self, fn):
        # Module._apply replaces buffers by fn(buffer); a lazy buffer must stay the same object
        # (only its recorded dtype/device change).
        lazy = {k: b for k, b in self._buffers.items() if is_lazy(b)}
        super()._apply(fn)
        for k, b in lazy.items():
            b._data = self._buffers[k]._data
            self._buffers[k] = b
        return self


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is inferred from the first input's last dim.

    Example:
        >>> m = ember.nn.LazyLinear(3)
        >>> m(ember.randn(2, 5)).shape, type(m).__name__, m.in_features
        (ember.Size([2, 3]), 'Linear', 5)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.out_features = out_features
        self._uninitialized_weight_and_bias(bias, device, dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Set ``in_features = input.shape[-1]`` and materialize weight and bias."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        elif self.in_features == 0:  # materialized by load_state_dict
            self.in_features = self.weight.shape[-1]


class _LazyConvMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _in_channels(self, input: Tensor) -> int:
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(
                f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {list(input.shape)}"
            )
        return input.shape[1] if input.ndim == nd + 2 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        """Infer ``in_channels`` from the input and materialize weight and bias."""
        if self.has_uninitialized_params():
            self.in_channels = self._in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        elif self.in_channels == 0:  # materialized by load_state_dict
            w = self.weight.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups


class _LazyConvNd(_LazyConvMixin):
    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self.out_channels = out_channels
        self._uninitialized_weight_and_bias(bias, device, dtype)


class LazyConv1d(_LazyConvNd, Conv1d):
    """A Conv1d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConv1d(4, 3)(ember.randn(2, 6, 10)).shape
        ember.Size([2, 4, 8])
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """A Conv2d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConv2d(4, 3)(ember.randn(2, 6, 5, 5)).shape
        ember.Size([2, 4, 3, 3])
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvNd, Conv3d):
    """A Conv3d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConv3d(4, 3)(ember.randn(1, 2, 4, 4, 4)).shape
        ember.Size([1, 4, 2, 2, 2])
    """

    cls_to_become = Conv3d


class _LazyConvTransposeNd(_LazyConvMixin):
    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
        )
        self.out_channels = out_channels
        self._uninitialized_weight_and_bias(bias, device, dtype)


class LazyConvTranspose1d(_LazyConvTransposeNd, ConvTranspose1d):
    """A ConvTranspose1d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConvTranspose1d(2, 3, stride=2)(ember.randn(1, 4, 5)).shape
        ember.Size([1, 2, 11])
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeNd, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConvTranspose2d(2, 3, stride=2)(ember.randn(1, 4, 5, 5)).shape
        ember.Size([1, 2, 11, 11])
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeNd, ConvTranspose3d):
    """A ConvTranspose3d whose ``in_channels`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyConvTranspose3d(2, 3)(ember.randn(1, 2, 3, 3, 3)).shape
        ember.Size([1, 2, 5, 5, 5])
    """

    cls_to_become = ConvTranspose3d


class _LazyNorm(LazyModuleMixin):
    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=bias)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self._uninitialized_weight_and_bias(bias, device, dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=D.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _channel_dim(self, input: Tensor) -> int:
        return 1

    def initialize_parameters(self, input: Tensor) -> None:
        """Infer ``num_features`` from the input's channel dim and materialize the state."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[self._channel_dim(input)]
            with no_grad():
                for name in ("weight", "bias", "running_mean", "running_var"):
                    v = getattr(self, name)
                    if v is not None and is_lazy(v):
                        v.materialize((self.num_features,))
                self.reset_parameters()
        elif self.num_features == 0:  # materialized by load_state_dict
            for v in (self.weight, self.running_mean):
                if v is not None:
                    self.num_features = v.shape[0]
                    break


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is inferred from the first input (dim 1).

    Example:
        >>> m = ember.nn.LazyBatchNorm1d()
        >>> m(ember.randn(4, 3)).shape, m.num_features
        (ember.Size([4, 3]), 3)
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is inferred from the first input (dim 1).

    Example:
        >>> ember.nn.LazyBatchNorm2d()(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """A BatchNorm3d whose ``num_features`` is inferred from the first input (dim 1).

    Example:
        >>> ember.nn.LazyBatchNorm3d()(ember.randn(2, 3, 2, 2, 2)).shape
        ember.Size([2, 3, 2, 2, 2])
    """

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyNorm):
    def _channel_dim(self, input: Tensor) -> int:
        # The channel dim of batched and unbatched input alike (PyTorch always reads dim 1).
        return max(input.ndim - self._spatial - 1, 0)


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """An InstanceNorm1d whose ``num_features`` is inferred from the first input.

    As in PyTorch, the lazy variant defaults to ``affine=True, track_running_stats=True``.

    Example:
        >>> ember.nn.LazyInstanceNorm1d()(ember.randn(2, 3, 5)).shape
        ember.Size([2, 3, 5])
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """An InstanceNorm2d whose ``num_features`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyInstanceNorm2d()(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """An InstanceNorm3d whose ``num_features`` is inferred from the first input.

    Example:
        >>> ember.nn.LazyInstanceNorm3d()(ember.randn(1, 3, 2, 2, 2)).shape
        ember.Size([1, 3, 2, 2, 2])
    """

    cls_to_become = InstanceNorm3d
