"""Helpers shared by the distributions, as in ``torch.distributions.utils``."""

from __future__ import annotations

import numbers

import numpy as np

import ember

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values):
    """Turn numbers into tensors (of the tensors' dtype, else the default) and broadcast all.

    Example::

        >>> loc, scale = broadcast_all(ember.zeros(3), 1.0)
    """
    tensors = [v for v in values if isinstance(v, ember.Tensor)]
    for v in values:
        if not isinstance(v, (ember.Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number or Tensor.")
    if tensors:
        dtype, device = tensors[0].dtype, tensors[0].device
    else:
        dtype, device = ember.get_default_dtype(), None
    values = [
        v if isinstance(v, ember.Tensor) else ember.tensor(v, dtype=dtype, device=device)
        for v in values
    ]
    return ember.broadcast_tensors(*values)


def _eps(dtype):
    return float(np.finfo(np.dtype(str(dtype).replace("ember.", ""))).eps)


def clamp_probs(probs):
    """Clamp probabilities into ``[eps, 1 - eps]`` of their dtype."""
    eps = _eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Sigmoid of logits when binary, else softmax over the last dimension."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """Log-odds of (clamped) probabilities when binary, else their log."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed once on first access and then stored on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)
