"""Deprecated PyTorch names kept so old scripts run: NLLLoss2d and Container."""

from __future__ import annotations

import warnings

from .loss import NLLLoss
from .module import Module

__all__ = ["NLLLoss2d", "Container"]


class NLLLoss2d(NLLLoss):
    """Deprecated alias of NLLLoss (which already handles (N, C, H, W) input); warns on use.

    Example:
        >>> import warnings; warnings.simplefilter("ignore", FutureWarning)
        >>> loss = ember.nn.NLLLoss2d(reduction="none")
        >>> loss(ember.zeros(1, 2, 2, 2), ember.zeros(1, 2, 2).long()).shape
        ember.Size([1, 2, 2])
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Use `NLLLoss` instead: it is a drop-in replacement.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class Container(Module):
    """Deprecated: a Module holding the submodules given as keyword arguments; warns on use.

    Example:
        >>> import warnings; warnings.simplefilter("ignore", FutureWarning)
        >>> list(ember.nn.Container(fc=ember.nn.Linear(2, 2)).state_dict())
        ['fc.weight', 'fc.bias']
    """

    def __init__(self, **kwargs: Module):
        super().__init__()
        warnings.warn(
            "`nn.Container` is deprecated. Subclass `nn.Module`, which does everything it did.",
            FutureWarning,
            stacklevel=2,
        )
        for name, module in kwargs.items():
            self.add_module(name, module)
