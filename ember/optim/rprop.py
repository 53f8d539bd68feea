"""Rprop: resilient backpropagation."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_nonnegative,
    _closure_loss,
    _incr,
    _params_with_grad,
    _real,
    _scalar,
    _step_tensor,
    _zeros_like,
)


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun), as ``torch.optim.Rprop``: steps by the gradient's sign only.

    Each element keeps its own ``step_size``, multiplied by ``etas[1]`` while the gradient keeps
    its sign and by ``etas[0]`` when it flips (then that element skips one update), clamped to
    ``step_sizes``.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
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
            lr = _scalar(group["lr"])
            (etaminus, etaplus), (smin, smax) = group["etas"], group["step_sizes"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = _zeros_like(p)
                    state["step_size"] = _zeros_like(p, complex(lr, lr) if p.is_complex() else lr)
                _incr(state)
                arrays = [p._data, p.grad._data, state["prev"]._data, state["step_size"]._data]
                self._apply(
                    _rprop,
                    [_real(a) for a in arrays],
                    2,
                    etaminus,
                    etaplus,
                    smin,
                    smax,
                    group["maximize"],
                )
                p._bump()
        return loss


def _rprop(p, g, prev, step_size, t0, t1, etaminus, etaplus, smin, smax, maximize):
    if maximize:
        np.negative(g, out=t0)
    else:
        t0[...] = g
    np.multiply(t0, prev, out=t1)
    flipped, same = t1 < 0, t1 > 0
    t1.fill(1)
    t1[same] = etaplus
    t1[flipped] = etaminus
    step_size *= t1
    np.maximum(step_size, smin, out=step_size)
    np.minimum(step_size, smax, out=step_size)
    # where the sign flipped, this step moves nothing and the next one sees prev == 0
    t0[flipped] = 0
    prev[...] = t0
    np.sign(t0, out=t1)
    t1 *= step_size
    p -= t1
