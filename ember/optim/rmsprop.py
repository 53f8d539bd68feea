"""RMSprop."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_nonnegative,
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


class RMSprop(Optimizer):
    """RMSprop (Hinton), as ``torch.optim.RMSprop``, optionally centered and with momentum.

    ``v = alpha * v + (1 - alpha) * g**2``; the step divides ``g`` by ``sqrt(v) + eps``
    (``sqrt(v - mean(g)**2) + eps`` when centered).

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonnegative(
            lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            mom, centered = group["momentum"], group["centered"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if mom > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                _incr(state)
                arrays = [p._data, p.grad._data, state["square_avg"]._data]
                arrays.append(state["grad_avg"]._data if centered else arrays[2])
                arrays.append(state["momentum_buffer"]._data if mom > 0 else arrays[2])
                self._apply(
                    _rmsprop,
                    [_real(a) for a in arrays],
                    2,
                    _scalar(group["lr"]),
                    group["alpha"],
                    group["eps"],
                    group["weight_decay"],
                    mom,
                    centered,
                    group["maximize"],
                )
                p._bump()
        return loss


def _rmsprop(
    p, g, v, gavg, buf, t0, t1, lr, alpha, eps, weight_decay, momentum, centered, maximize
):
    # gavg and buf alias v when the group is not centered / has no momentum (then unused).
    g = _grad_in(g, p, weight_decay, maximize, t0)
    v *= alpha
    np.multiply(g, g, out=t1)
    t1 *= 1 - alpha
    v += t1
    if centered:
        _lerp_(gavg, g, 1 - alpha, t1)
        np.multiply(gavg, gavg, out=t1)
        np.subtract(v, t1, out=t1)
        np.sqrt(t1, out=t1)
    else:
        np.sqrt(v, out=t1)
    t1 += eps
    np.divide(g, t1, out=t1)
    if momentum > 0:
        buf *= momentum
        buf += t1
        np.multiply(buf, lr, out=t1)
    else:
        t1 *= lr
    p -= t1
