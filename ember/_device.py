"""Device objects: ``ember.device("cpu")``, ``ember.device("cuda:1")``."""

from __future__ import annotations

_TYPES = ("cpu", "cuda", "meta")


class device:
    """Where a tensor's memory lives, as ``torch.device``.

    Example:
        >>> ember.device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string or device, got {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was "
                    f"passed explicitly: {type}"
                )
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        """``with ember.device("cuda"):`` makes this the default device inside the block."""
        _STACK.append(_DEFAULT[0])
        _DEFAULT[0] = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc) -> None:
        _DEFAULT[0] = _STACK.pop()


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a string, int or device to a device (``None`` stays ``None``)."""
    if d is None or isinstance(d, device):
        return d
    return device(d)


# The device factory functions use when given none (None: the CPU, their fast path), and the
# ones that ``with device(...)`` blocks replaced.
_DEFAULT: list = [None]
_STACK: list = []


def set_default_device(d) -> None:
    """Allocate the tensors of factory functions given no device (zeros, tensor, randn, a new
    layer's parameters ...) on ``d``; ``None`` or ``"cpu"`` restores the CPU. Tensors made from
    other tensors (``*_like``, ``new_*``, ``tensor(t)``) keep their source's device.

    Example:
        >>> ember.set_default_device("cpu"); ember.get_default_device()
        device(type='cpu')
    """
    dev = None if d is None else as_device(d)
    _DEFAULT[0] = None if dev is None or dev.type == "cpu" else dev


def get_default_device() -> device:
    """The device factory functions allocate on when given none (see set_default_device).

    Example:
        >>> ember.get_default_device()
        device(type='cpu')
    """
    return _DEFAULT[0] or CPU


def default_or(d):
    """``d``, or the default device when it is None (None again for the CPU)."""
    return _DEFAULT[0] if d is None else d
