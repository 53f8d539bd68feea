"""torch.accelerator: device-agnostic access to the accelerator (CUDA, when there is one).

Example:
    >>> import ember
    >>> dev = ember.accelerator.current_accelerator() or ember.device("cpu")
"""

from __future__ import annotations

from . import cuda as _cuda
from ._device import device


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU) can be used.

    Example:
        >>> ember.accelerator.is_available()
        False
    """
    return _cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device('cuda')`` when a GPU is usable, else None.

    Example:
        >>> ember.accelerator.current_accelerator() is None
        True
    """
    return device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    return _cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device."""
    return _cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device) -> None:
    """Make ``device`` the current accelerator device."""
    _cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    """Wait for all work queued on the accelerator."""
    _cuda.synchronize(device)


def current_stream(device=None):
    """The current stream of the accelerator device."""
    return _cuda.current_stream(device)


def set_stream(stream) -> None:
    """Make ``stream`` the current stream."""
    _cuda.set_stream(stream)


class device_index(_cuda.device):  # noqa: N801
    """Context manager that makes accelerator device ``device`` current inside the block."""
