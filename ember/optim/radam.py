"""RAdam: Adam with a rectified adaptive learning rate."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _adam_moments,
    _check_adam_args,
    _closure_loss,
    _incr,
    _params_with_grad,
    _real,
    _scalar,
    _step_tensor,
    _zeros_like,
)


class RAdam(Optimizer):
    """RAdam (Liu et al., 2019), as ``torch.optim.RAdam``.

    While the variance estimate is unreliable (``rho_t <= 5``, the first few steps) the update is
    plain bias-corrected momentum; afterwards Adam's step times a rectification factor.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _scalar(group["lr"]), group["betas"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step = _incr(state)
                bc1, bc2 = 1 - beta1**step, 1 - beta2**step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2**step / bc2
                rect = None
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5
                arrays = [p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
                self._apply(
                    _radam,
                    [_real(a) for a in arrays],
                    3,
                    1 - lr * wd if decoupled else 1.0,
                    0 if decoupled else wd,
                    group["maximize"],
                    beta1,
                    beta2,
                    group["eps"],
                    lr,
                    bc1,
                    bc2,
                    rect,
                )
                p._bump()
        return loss


def _radam(p, g, m, v, t0, t1, t2, decay, wd, maximize, beta1, beta2, eps, lr, bc1, bc2, rect):
    _adam_moments(p, g, m, v, t0, t1, decay, wd, maximize, beta1, beta2)
    np.divide(m, bc1, out=t2)
    t2 *= lr
    if rect is not None:
        # times the adaptive rate sqrt(bc2) / (sqrt(v) + eps) and the rectification
        np.sqrt(v, out=t1)
        t1 += eps
        np.divide(bc2**0.5, t1, out=t1)
        t2 *= t1
        t2 *= rect
    p -= t2
