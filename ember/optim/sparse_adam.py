"""SparseAdam: present for API compatibility; ember has no sparse gradients to feed it.

NOTE [ SparseAdam without sparse tensors ]: ``torch.optim.SparseAdam`` updates only the rows a
sparse gradient names, and raises ``RuntimeError`` at ``step`` on a dense gradient. ember has
no sparse tensors (``nn.Embedding(sparse=True)`` produces dense gradients), so every gradient is
dense. Running Adam on a dense gradient's nonzero rows would guess at which rows were
"touched" (a looked-up row whose gradient is exactly zero would be skipped), so instead ember
behaves as PyTorch does on dense gradients: construction (and its argument checks, defaults
and ``state_dict``) works, and ``step`` raises on the first parameter that has a gradient.
Use ``Adam`` (or ``AdamW``) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .optimizer import Optimizer, _check, _check_betas, _closure_loss, _scalar


class SparseAdam(Optimizer):
    """Adam for sparse gradients, as ``torch.optim.SparseAdam``; ``step`` always raises in ember.

    See NOTE [ SparseAdam without sparse tensors ]: ember's gradients are dense, and PyTorch's
    SparseAdam refuses dense gradients with the same ``RuntimeError``.

    Example:
        >>> w = ember.zeros(2, requires_grad=True)
        >>> opt = ember.optim.SparseAdam([w], lr=0.01)
        >>> opt.defaults["betas"]
        (0.9, 0.999)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        _check(0.0 < _scalar(lr), "learning rate", lr)
        _check(0.0 < eps, "epsilon value", eps)
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [
            [i, j]
            for i, group in enumerate(self.param_groups)
            for j, p in enumerate(group["params"])
            if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support "
                "complex parameters"
            )

    def step(self, closure: Callable | None = None):
        """Raise ``RuntimeError`` if any parameter has a gradient (they are all dense in ember)."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam "
                        "instead (ember has no sparse tensors, so all its gradients are dense)"
                    )
        return loss
