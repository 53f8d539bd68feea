"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .._tensor import _make
from .optimizer import (
    Optimizer,
    _check_nonnegative,
    _closure_loss,
    _grad_in,
    _incr,
    _params_with_grad,
    _real,
    _scalar,
    _scalar_as_torch,
    _step_tensor,
    _zeros_like,
)


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), as ``torch.optim.ASGD``.

    Each step is ``p = p * (1 - lambd * eta) - eta * g`` and ``ax`` keeps the running average of
    ``p`` from step ``t0`` on. ``eta = lr / (1 + lambd * lr * step) ** alpha`` and
    ``mu = 1 / max(1, step - t0)`` are per-parameter scalars in the state, as in PyTorch.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.ASGD([w], lr=0.1, lambd=0.0)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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
            lr, lambd = _scalar(group["lr"]), group["lambd"]
            # A tensor lr makes PyTorch compute eta in the tensor's dtype; NumPy scalars round
            # each operation the same way.
            lr_eta = _scalar_as_torch(group["lr"])
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    # eta and mu are float32 scalars like PyTorch's, so the rounded values that
                    # PyTorch reads back with .item() are the ones used here too.
                    state["step"] = _step_tensor()
                    state["eta"] = _make(np.asarray(lr, np.float32))
                    state["mu"] = _make(np.ones((), np.float32))
                    state["ax"] = _zeros_like(p)
                step = _incr(state)
                eta, mu = state["eta"], state["mu"]
                eta_v, mu_v = float(eta._data), float(mu._data)
                arrays = [p._data, p.grad._data, state["ax"]._data]
                self._apply(
                    _asgd,
                    [_real(a) for a in arrays],
                    1,
                    1 - lambd * eta_v,
                    eta_v,
                    mu_v,
                    group["weight_decay"],
                    group["maximize"],
                )
                # PyTorch makes float32 tensors of the new values before copying them into the
                # state, so they are rounded to float32 even where eta and mu are float64 (as
                # they are after load_state_dict for float64 parameters).
                eta._data.fill(_as_f32(lr_eta / ((1 + lambd * lr_eta * step) ** group["alpha"])))
                mu._data.fill(np.float32(1 / max(1, step - group["t0"])))
                p._bump()
        return loss


def _as_f32(v):
    return np.float32(v) if isinstance(v, float) else v


def _asgd(p, g, ax, t0, decay, eta, mu, weight_decay, maximize):
    g = _grad_in(g, p, weight_decay, maximize, t0)
    p *= decay
    np.multiply(g, eta, out=t0)
    p -= t0
    if mu != 1:
        np.subtract(p, ax, out=t0)
        t0 *= mu
        ax += t0
    else:
        ax[...] = p
