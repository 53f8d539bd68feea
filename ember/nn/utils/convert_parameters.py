"""Flatten parameters into one vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(p: Tensor, device):
    if device is not None and p.device != device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return p.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor.

    Example:
        >>> nn.utils.parameters_to_vector(ember.nn.Linear(3, 2).parameters()).shape
        ember.Size([8])
    """
    from ...ops.shape import cat

    device = None
    vec = []
    for p in parameters:
        device = _check_device(p, device)
        vec.append(p.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their data, in place).

    Example:
        >>> lin = ember.nn.Linear(3, 2)
        >>> nn.utils.vector_to_parameters(ember.zeros(8), lin.parameters())
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        with no_grad():
            p.data = vec[pointer : pointer + n].view_as(p).data
        pointer += n
