"""SGD: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_nonnegative,
    _closure_loss,
    _grad_in,
    _params_with_grad,
    _scalar,
    _zeros_like,
)


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With momentum ``mu`` the buffer is ``b = mu * b + (1 - dampening) * g`` (``b = g`` on the
    first step) and the update is ``p -= lr * b``, or ``p -= lr * (g + mu * b)`` with Nesterov.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, mom = _scalar(group["lr"]), group["momentum"]
            args = (
                lr,
                mom,
                group["dampening"],
                group["weight_decay"],
                group["nesterov"],
                group["maximize"],
            )
            for p in _params_with_grad(group):
                if mom != 0:
                    state = self.state[p]
                    first = state.get("momentum_buffer") is None
                    if first:
                        state["momentum_buffer"] = _zeros_like(p)
                    buf = state["momentum_buffer"]._data
                    self._apply(_sgd_momentum, [p._data, p.grad._data, buf], 2, first, *args)
                else:
                    self._apply(_sgd, [p._data, p.grad._data], 2, *args)
                p._bump()
        return loss


def _sgd(p, g, t0, t1, lr, momentum, dampening, weight_decay, nesterov, maximize):
    d = _grad_in(g, p, weight_decay, maximize, t0)
    np.multiply(d, lr, out=t1)
    p -= t1


def _sgd_momentum(
    p, g, buf, t0, t1, first, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    d = _grad_in(g, p, weight_decay, maximize, t0)
    if first:
        buf[...] = d
    else:
        buf *= momentum
        if dampening != 0:
            np.multiply(d, 1 - dampening, out=t1)
            buf += t1
        else:
            buf += d
    if nesterov:
        np.multiply(buf, momentum, out=t1)
        t1 += d
        t1 *= lr
    else:
        np.multiply(buf, lr, out=t1)
    p -= t1
