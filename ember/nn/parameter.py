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


# NOTE [ Uninitialized tensors ]
# A lazy module's parameters start as UninitializedParameter / UninitializedBuffer: the tensor
# holds an empty array that only records dtype and device (so ``.to()`` / ``.double()`` on the
# module still apply), and ``materialize(shape)`` swaps in real storage and turns the very same
# object into a Parameter / Tensor. Keeping the object is what lets references taken before
# materialization (a module's ``_parameters``, a hook) see the real parameter afterwards.
_UNINIT_MSG = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
    "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
    "one. Call `forward` to initialize the parameters before accessing their attributes."
)


class _UninitializedTensor:
    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor storage of ``shape`` (uninitialised values) and its final class."""
        from ..ops.creation import empty

        data = empty(
            tuple(shape),
            device=self.device if device is None else device,
            dtype=self.dtype if dtype is None else dtype,
        )
        self._data = data._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINIT_MSG)

    def numel(self) -> int:
        raise ValueError(
            f"Attempted to use an uninitialized {type(self).__name__}: call `forward` with a "
            "dummy batch to initialize the lazy module's parameters first"
        )

    dim = numel

    def share_memory_(self):
        raise RuntimeError(
            f"Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            f"initialize the parameters before calling `{type(self).__name__}.share_memory_()`."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (_rebuild_uninitialized, (type(self), self.requires_grad, self.dtype))


def _rebuild_uninitialized(cls, requires_grad: bool, dtype):
    return cls(requires_grad=requires_grad, dtype=dtype)


class UninitializedParameter(_UninitializedTensor, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's, until its first forward).

    ``materialize(shape)`` turns it, in place, into an ordinary Parameter.

    Example:
        >>> p = ember.nn.UninitializedParameter()
        >>> p.materialize((2, 3)); type(p).__name__, p.shape
        ('Parameter', ember.Size([2, 3]))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        from ..ops.creation import empty

        Parameter.__init__(self, empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """A buffer whose shape is not known yet; ``materialize(shape)`` makes it a plain Tensor.

    ``persistent`` is accepted for PyTorch's signature; registration decides persistence.

    Example:
        >>> b = ember.nn.UninitializedBuffer()
        >>> b.materialize((4,)); b.shape
        ember.Size([4])
    """

    __slots__ = ()

    def __init__(
        self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True
    ):
        from ..ops.creation import empty

        _init(self, empty(0, device=device, dtype=dtype)._data, None, 0)
        self.requires_grad = requires_grad


def is_lazy(param) -> bool:
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer.

    Example:
        >>> ember.nn.parameter.is_lazy(ember.nn.UninitializedParameter())
        True
    """
    return isinstance(param, _UninitializedTensor)
