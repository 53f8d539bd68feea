"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .._tensor import _make
from .optimizer import (
    Optimizer,
    _adam_moments,
    _check_adam_args,
    _check_nonnegative,
    _closure_loss,
    _incr,
    _params_with_grad,
    _real,
    _scalar,
    _step_tensor,
    _zeros_like,
)


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), as ``torch.optim.NAdam``, with momentum decay.

    The momentum coefficient ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))`` warms
    up over the first steps; ``mu_product`` is their running product.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.8944, -1.8944], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        _check_nonnegative(momentum_decay=momentum_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _scalar(group["lr"]), group["betas"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            psi = group["momentum_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _make(np.ones((), np.float32))
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step = _incr(state)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                # The product is kept as a float32 scalar (PyTorch's rounding); see _incr.
                mp = state["mu_product"]._data
                mp *= mu
                mu_product = float(mp)
                c_grad = lr * (1.0 - mu) / (1.0 - mu_product)
                c_avg = lr * mu_next / (1.0 - mu_product * mu_next)
                arrays = [p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
                self._apply(
                    _nadam,
                    [_real(a) for a in arrays],
                    3,
                    1 - lr * wd if decoupled else 1.0,
                    0 if decoupled else wd,
                    group["maximize"],
                    beta1,
                    beta2,
                    group["eps"],
                    1 - beta2**step,
                    c_grad,
                    c_avg,
                )
                p._bump()
        return loss


def _nadam(p, g, m, v, t0, t1, t2, decay, wd, maximize, beta1, beta2, eps, bc2, c_grad, c_avg):
    g = _adam_moments(p, g, m, v, t0, t1, decay, wd, maximize, beta1, beta2)
    np.divide(v, bc2, out=t1)
    np.sqrt(t1, out=t1)
    t1 += eps
    np.divide(g, t1, out=t2)
    t2 *= c_grad
    p -= t2
    np.divide(m, t1, out=t2)
    t2 *= c_avg
    p -= t2
