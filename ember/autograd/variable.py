"""``Variable``: the pre-0.4 wrapper, kept (as in PyTorch) as a deprecated alias of Tensor."""

from __future__ import annotations

from typing import Any


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        from .._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated: ``Variable(t, requires_grad)`` returns a Tensor sharing ``t``'s data, and every
    Tensor is an instance of ``Variable``.

    Example:
        >>> v = ember.autograd.Variable(ember.ones(2), requires_grad=True)
        >>> type(v).__name__, v.requires_grad
        ('Tensor', True)
    """

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False):
        from .. import empty
        from .._tensor import Tensor

        if data is None:
            return empty(0, requires_grad=requires_grad)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
