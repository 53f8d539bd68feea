"""Adagrad."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .optimizer import (
    Optimizer,
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


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as ``torch.optim.Adagrad``.

    Accumulates squared gradients in ``sum`` and steps ``p -= clr * g / (sqrt(sum) + eps)``
    with ``clr = lr / (1 + (step - 1) * lr_decay)``.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_nonnegative(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        # The accumulators start at once (PyTorch does the same), so share_memory() and
        # state_dict() see them before the first step.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group: dict) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            init = group["initial_accumulator_value"]
            state["sum"] = _zeros_like(p, complex(init, init) if p.is_complex() else init)
        return state

    def share_memory(self) -> None:
        """Kept for PyTorch compatibility (state already lives in ordinary process memory)."""

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            for p in _params_with_grad(group):
                state = self._init_state(p, group)
                step = _incr(state)
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                arrays = [p._data, p.grad._data, state["sum"]._data]
                self._apply(
                    _adagrad,
                    [_real(a) for a in arrays],
                    2,
                    clr,
                    group["eps"],
                    group["weight_decay"],
                    group["maximize"],
                )
                p._bump()
        return loss


def _adagrad(p, g, acc, t0, t1, clr, eps, weight_decay, maximize):
    g = _grad_in(g, p, weight_decay, maximize, t0)
    np.multiply(g, g, out=t1)
    acc += t1
    np.sqrt(acc, out=t1)
    t1 += eps
    np.divide(g, t1, out=t1)
    t1 *= clr
    p -= t1
