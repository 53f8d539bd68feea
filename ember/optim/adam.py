"""Adam and AdamW."""

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


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam``, with AMSGrad and optional decoupled decay.

    ``m`` and ``v`` are running means of the gradient and its square; the update is
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected ``m_hat``, ``v_hat``.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(_scalar(b) for b in betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _scalar(group["lr"]), group["betas"]
            amsgrad = group["amsgrad"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                step = _incr(state)
                arrays = [p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
                if amsgrad:
                    arrays.append(state["max_exp_avg_sq"]._data)
                kernel = _adam_amsgrad if amsgrad else _adam
                self._apply(
                    kernel,
                    [_real(a) for a in arrays],
                    2,
                    1 - lr * wd if decoupled else 1.0,
                    0 if decoupled else wd,
                    group["maximize"],
                    beta1,
                    beta2,
                    group["eps"],
                    lr / (1 - beta1**step),
                    (1 - beta2**step) ** 0.5,
                )
                p._bump()
        return loss


def _adam(p, g, m, v, t0, t1, decay, wd, maximize, beta1, beta2, eps, step_size, bc2_sqrt):
    _adam_moments(p, g, m, v, t0, t1, decay, wd, maximize, beta1, beta2)
    _adam_update(p, m, v, t1, eps, step_size, bc2_sqrt)


def _adam_amsgrad(
    p, g, m, v, vmax, t0, t1, decay, wd, maximize, beta1, beta2, eps, step_size, bc2_sqrt
):
    _adam_moments(p, g, m, v, t0, t1, decay, wd, maximize, beta1, beta2)
    np.maximum(vmax, v, out=vmax)
    _adam_update(p, m, vmax, t1, eps, step_size, bc2_sqrt)


def _adam_update(p, m, v, t1, eps, step_size, bc2_sqrt):
    # p -= step_size * m / (sqrt(v) / bc2_sqrt + eps)
    np.sqrt(v, out=t1)
    t1 /= bc2_sqrt
    t1 += eps
    np.divide(m, t1, out=t1)
    t1 *= step_size
    p -= t1


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    The decay shrinks the parameters directly, ``p *= 1 - lr * weight_decay``, instead of adding
    to the gradient.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.8500, -1.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
