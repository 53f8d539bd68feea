"""Stochastic weight averaging and EMA of weights, as ``torch.optim.swa_utils``.

``AveragedModel`` keeps a running average (equal-weight SWA by default, or an exponential moving
average) of a model's parameters, ``SWALR`` anneals each group's learning rate to a constant SWA
rate, and ``update_bn`` recomputes BatchNorm statistics for the averaged weights.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from typing import Any

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..ops.creation import tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

ParamList = Sequence[Tensor]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _is_float(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[ParamList, ParamList, Any], None]:
    """An in-place EMA update over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

    Example:
        >>> ema = ember.optim.swa_utils.get_ema_multi_avg_fn(0.9)
        >>> a = [ember.zeros(2)]; ema(a, [ember.ones(2)], 1); a[0]
        tensor([0.1000, 0.1000])
    """
    _check_decay(decay)

    def ema_update(ema_params: ParamList, params: ParamList, _num_averaged) -> None:
        with no_grad():
            if _is_float(ema_params[0]):
                for e, p in zip(ema_params, params):
                    e.lerp_(p, 1 - decay)
            else:
                for e, p in zip(ema_params, params):
                    e.copy_(e * decay + p * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[ParamList, ParamList, Any], None]:
    """An in-place equal-weight running mean over lists of tensors (``multi_avg_fn``).

    Example:
        >>> swa = ember.optim.swa_utils.get_swa_multi_avg_fn()
        >>> a = [ember.zeros(2)]; swa(a, [ember.ones(2)], 1); a[0]
        tensor([0.5000, 0.5000])
    """

    def swa_update(averaged: ParamList, params: ParamList, num_averaged) -> None:
        with no_grad():
            if _is_float(averaged[0]):
                weight = 1 / (float(num_averaged) + 1)
                for a, p in zip(averaged, params):
                    a.lerp_(p, weight)
            else:
                for a, p in zip(averaged, params):
                    a.copy_(a + (p - a) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """An EMA of one tensor, ``decay * averaged + (1 - decay) * current`` (``avg_fn``).

    Example:
        >>> ema = ember.optim.swa_utils.get_ema_avg_fn(0.5)
        >>> ema(ember.zeros(2), ember.ones(2), 1)
        tensor([0.5000, 0.5000])
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current: Tensor, _num_averaged) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The running mean of one tensor, ``averaged + (current - averaged) / (n + 1)``.

    Example:
        >>> swa = ember.optim.swa_utils.get_swa_avg_fn()
        >>> swa(ember.zeros(2), ember.ones(2), 3)
        tensor([0.2500, 0.2500])
    """

    def swa_update(averaged: Tensor, current: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s, for SWA/EMA.

    ``update_parameters(model)`` folds in the model's current weights: the first call copies
    them; later calls use ``avg_fn(averaged, current, n_averaged)`` (one tensor at a time),
    ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (in place, one call per device and
    dtype) or, without either, the equal-weight mean. Buffers are copied from ``model``, or
    averaged too with ``use_buffers=True``. ``n_averaged`` is an int64 buffer.

    Example:
        >>> net = ember.nn.Linear(2, 1)
        >>> swa = ember.optim.swa_utils.AveragedModel(net)
        >>> swa.update_parameters(net); int(swa.n_averaged)
        1
    """

    n_averaged: Tensor

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: Callable[[ParamList, ParamList, Any], None] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=D.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the mean."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        n = self.n_averaged
        with no_grad():
            averaged = [p.detach() for p in mine]
            current = [q.detach().to(p.device) for p, q in zip(mine, theirs)]
            if int(n) == 0:
                for a, c in zip(averaged, current):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current):
                    a.copy_(self.avg_fn(a, c, n.to(a.device)))
            else:
                for (device, _), (avg_list, cur_list) in _by_device_and_dtype(
                    averaged, current
                ).items():
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avg_list, cur_list, n.to(device))
                    else:
                        # PyTorch's CPU formula (its CUDA path lerps, rounding differently)
                        swa = get_swa_avg_fn()
                        for a, c in zip(avg_list, cur_list):
                            a.copy_(swa(a, c, n.to(device)))
            if not self.use_buffers:
                for b, mb in zip(self.module.buffers(), model.buffers()):
                    b.detach().copy_(mb.detach().to(b.device))
            n += 1


def _by_device_and_dtype(averaged: list, current: list) -> dict:
    groups: dict = {}
    for a, c in zip(averaged, current):
        lists = groups.setdefault((a.device, a.dtype), ([], []))
        lists[0].append(a)
        lists[1].append(c)
    return groups


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    The statistics are reset, then accumulated as a plain average over the batches (momentum
    None); a batch that is a list or tuple contributes its first element. The model's
    train/eval mode and the layers' momenta are restored afterwards.

    Example:
        >>> net = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.BatchNorm1d(3))
        >>> ember.optim.swa_utils.update_bn([ember.randn(4, 2)], net)
        >>> int(net[1].num_batches_tracked)
        1
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs``, then hold it.

    ``anneal_strategy`` is ``"cos"`` or ``"linear"``; ``swa_lr`` is one value or one per
    parameter group (kept in each group as ``"swa_lr"``).

    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ember.optim.swa_utils.SWALR(opt, swa_lr=0.5, anneal_epochs=1)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Sequence[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def _lr(self) -> list:
        # Chainable: recover the lr the schedule started this step from (undoing last step's
        # blend), then blend it with swa_lr by this step's annealing fraction.
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        out = []
        for group in self.optimizer.param_groups:
            lr, swa_lr = group["lr"], group["swa_lr"]
            start = swa_lr if prev_alpha == 1 else (lr - prev_alpha * swa_lr) / (1 - prev_alpha)
            out.append(swa_lr * alpha + start * (1 - alpha))
        return out

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer and the annealing function (restored by name)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
