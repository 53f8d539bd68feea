"""Adafactor, with PyTorch 2.5's semantics (``torch.optim.Adafactor``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .._tensor import _make
from ..backend import xp_of
from .optimizer import (
    Optimizer,
    _closure_loss,
    _incr,
    _lerp_,
    _params_with_grad,
    _scalar,
    _scalar_as_torch,
    _step_tensor,
)


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern), as ``torch.optim.Adafactor``.

    The second moment of a parameter with two or more dimensions is kept factored: ``row_var``
    (the mean of ``g**2`` over the last dimension) and ``col_var`` (over the one before), whose
    outer product over ``row_var``'s mean estimates it in O(rows + cols) memory. Vectors and
    scalars keep a full ``variance``. The step is relative to the parameter's RMS, with
    ``beta2 = 1 - step**beta2_decay`` and the update's RMS clipped to ``d``; ``eps[0]`` (the
    dtype's machine epsilon when None) floors the variance estimate and ``eps[1]`` the
    parameter RMS. There is no first moment.

    Example:
        >>> w = ember.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
        >>> opt = ember.optim.Adafactor([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.shape
        ember.Size([2, 2])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        checks = [
            (0.0 <= _scalar(lr), "Learning rate should be >= 0", lr),
            (0.0 >= beta2_decay, "beta2_decay should be <= 0", beta2_decay),
            (eps[0] is None or 0.0 <= eps[0], "epsilon1 should be >= 0", eps[0]),
            (0.0 <= eps[1], "epsilon2 should be >= 0", eps[1]),
            (1.0 <= d, "Clipping threshold d should be >= 1", d),
            (0.0 <= weight_decay, "weight_decay should be >= 0", weight_decay),
        ]
        for ok, what, value in checks:
            if not ok:
                raise ValueError(f"{what} but is: {value}")
        defaults = dict(
            lr=lr,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (``closure`` re-evaluates the loss, optional)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            # a tensor lr rounds rho, alpha and the decay factor to its dtype, as in PyTorch
            lr = _scalar_as_torch(group["lr"])
            eps1, eps2 = group["eps"]
            for p in _params_with_grad(group):
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                g = p.grad._data
                xp = xp_of(g)
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    if g.ndim > 1:
                        state["row_var"] = _make(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                        state["col_var"] = _make(
                            xp.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype)
                        )
                    else:
                        state["variance"] = _make(xp.zeros(g.shape, g.dtype))
                step = _incr(state)
                _adafactor(
                    p._data,
                    -g if group["maximize"] else g,
                    state,
                    xp,
                    lr=lr,
                    step=step,
                    beta2_decay=group["beta2_decay"],
                    eps1=float(np.finfo(p._data.dtype).eps) if eps1 is None else eps1,
                    eps2=eps2,
                    d=group["d"],
                    weight_decay=group["weight_decay"],
                )
                p._bump()
        return loss


def _adafactor(p, g, state, xp, *, lr, step, beta2_decay, eps1, eps2, d, weight_decay):
    # NOTE: PyTorch takes eps1 = finfo(dtype).eps from the first parameter of a group and keeps
    # it for the rest; here each parameter uses its own dtype's (equal unless dtypes are mixed).
    beta2_weight = step**beta2_decay  # 1 - beta2_t
    rho = min(lr, 1 / step**0.5)
    # the step is relative to the parameter's RMS, measured before weight decay
    alpha = max(eps2, float(xp.sqrt(xp.sum(p * p))) / p.size**0.5) * rho
    if weight_decay != 0:
        p *= 1 - lr * weight_decay
    g2 = g * g
    if g.ndim > 1:
        row_var, col_var = state["row_var"]._data, state["col_var"]._data
        row_mean = g2.sum(axis=-1, keepdims=True) / g.shape[-1]
        _lerp_(row_var, row_mean, beta2_weight, xp.empty_like(row_var))
        col_mean = g2.sum(axis=-2, keepdims=True) / g.shape[-2]
        _lerp_(col_var, col_mean, beta2_weight, xp.empty_like(col_var))
        var = xp.matmul(row_var, col_var)
        var /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        variance = state["variance"]._data
        _lerp_(variance, g2, beta2_weight, xp.empty_like(variance))
        var = variance.copy()
    update = xp.maximum(var, eps1 * eps1, out=var)
    xp.sqrt(update, out=update)
    xp.divide(g, update, out=update)
    denom = max(1.0, float(xp.sqrt(xp.sum(update * update))) / (update.size**0.5 * d))
    update *= alpha / denom
    p -= update
