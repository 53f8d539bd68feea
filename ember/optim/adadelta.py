"""Adadelta: the optimizer of PyTorch's MNIST example."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check,
    _check_nonnegative,
    _closure_loss,
    _grad_in,
    _incr,
    _params_with_grad,
    _real,
    _scalar,
    _step_tensor,
    _zeros_like,
)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    Keeps running means of squared gradients ``v`` and squared updates ``u``; the update is
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g`` and ``p -= lr * delta``.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adadelta([w])
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9968, -1.9968], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonnegative(lr=lr)
        _check(0.0 <= rho <= 1.0, "rho value", rho)
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            args = (
                _scalar(group["lr"]),
                group["rho"],
                group["eps"],
                group["weight_decay"],
                group["maximize"],
            )
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                _incr(state)
                arrays = [
                    p._data,
                    p.grad._data,
                    state["square_avg"]._data,
                    state["acc_delta"]._data,
                ]
                self._apply(_adadelta, [_real(a) for a in arrays], 4, *args)
                p._bump()
        return loss


def _adadelta(p, g, v, u, t0, t1, t2, t3, lr, rho, eps, weight_decay, maximize):
    g = _grad_in(g, p, weight_decay, maximize, t0)
    # With r = (u + eps) / (v + eps): delta = sqrt(r) * g and delta**2 = r * g**2, so one
    # (1 - rho) * g**2 serves both running means and one square root replaces PyTorch's two
    # (equal to within rounding; this saves three of sixteen passes, the square root the costliest).
    np.multiply(g, g, out=t1)
    t1 *= 1 - rho
    v *= rho
    v += t1
    np.add(v, eps, out=t2)
    np.add(u, eps, out=t3)
    t3 /= t2
    t1 *= t3
    u *= rho
    u += t1
    np.sqrt(t3, out=t3)
    t3 *= g
    if lr != 1.0:
        t3 *= lr
    p -= t3
