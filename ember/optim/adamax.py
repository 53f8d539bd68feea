"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_adam_args,
    _closure_loss,
    _grad_in,
    _incr,
    _lerp_,
    _params_with_grad,
    _real,
    _scalar,
    _step_tensor,
    _zeros_like,
)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba), as ``torch.optim.Adamax``.

    ``u = max(beta2 * u, |g| + eps)`` replaces Adam's second moment; the step is
    ``p -= lr / (1 - beta1**t) * m / u``.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _scalar(group["lr"]), group["betas"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                step = _incr(state)
                arrays = [p._data, p.grad._data, state["exp_avg"]._data, state["exp_inf"]._data]
                self._apply(
                    _adamax,
                    [_real(a) for a in arrays],
                    2,
                    lr / (1 - beta1**step),
                    beta1,
                    beta2,
                    group["eps"],
                    group["weight_decay"],
                    group["maximize"],
                )
                p._bump()
        return loss


def _adamax(p, g, m, u, t0, t1, clr, beta1, beta2, eps, weight_decay, maximize):
    g = _grad_in(g, p, weight_decay, maximize, t0)
    _lerp_(m, g, 1 - beta1, t1)
    u *= beta2
    np.abs(g, out=t1)
    t1 += eps
    np.maximum(u, t1, out=u)
    np.divide(m, u, out=t1)
    t1 *= clr
    p -= t1
