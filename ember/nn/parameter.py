"""Parameter and Buffer: tensors that a Module registers as its state."""

from __future__ import annotations

from .._tensor import Tensor, _init


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires grad by default).

    It shares memory with ``data``.

    Example:
        >>> p = ember.nn.Parameter(ember.zeros(2))
        >>> p.requires_grad
        True
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        _init(self, data._data, None, 0)
        if data._vc is None:
            data._vc = [0]
        self._vc = data._vc
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (as ``torch.nn.Buffer``).

    Example:
        >>> m = ember.nn.Module(); m.stats = ember.nn.Buffer(ember.zeros(2))
        >>> list(dict(m.named_buffers()))
        ['stats']
    """

    def __init__(self, data: Tensor, *, persistent: bool = True):
        _init(self, data._data, None, 0)
        self._rg = data._rg
        self.persistent = persistent
