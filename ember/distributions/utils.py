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


def _family(instance, base):
    """The class right below ``base`` above ``instance`` (Normal for a Normal or a subclass)."""
    return next(c for c in type(instance).__mro__ if base in c.__bases__)


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


class _ProbsOrLogits:
    """Mixin for distributions given by ``probs`` or by ``logits``, not both.

    Whichever is given is stored (as ``_param`` too); the other is a ``lazy_property`` derived
    from it, binary (sigmoid / log-odds) unless the class sets ``_is_binary = False``.
    """

    _is_binary = True

    def _set_probs_or_logits(self, probs, logits, *others):
        """Broadcast ``others`` with the given parameter, store it and return ``others``."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        *others, param = broadcast_all(*others, probs if probs is not None else logits)
        setattr(self, name, param)
        self._param = param
        return others

    def _expand_probs_or_logits(self, new, param_shape):
        """Give ``new`` whichever of ``probs`` / ``logits`` is set here, expanded."""
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._is_binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._is_binary)

    @property
    def param_shape(self):
        return self._param.size()
