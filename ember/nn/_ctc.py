"""Connectionist temporal classification (CTC) loss: ``F.ctc_loss``.

The kernel runs the forward (alpha) and backward (beta) recursions in log space over the
extended label sequence ``blank, l1, blank, l2, ..., blank`` of each sample. Both are vectorised
over the batch and the label positions; only the time steps are a Python loop. Per-sample input
and target lengths are handled by masking, so one padded array holds the whole batch.

NOTE [ CTC gradient ]
With ``alpha_t(s)`` and ``beta_t(s)`` both including the emission ``y_t(l'_s)``, the occupancy
``gamma_t(s) = alpha_t(s) * beta_t(s) / (y_t(l'_s) * p)`` sums, per time step, to 1 over s. The
exact derivative of ``-log p`` with respect to ``log_probs[t, c]`` is ``-sum_{s: l'_s = c}
gamma_t(s)``. PyTorch returns ``exp(log_probs[t, c]) - sum_{s: l'_s = c} gamma_t(s)`` instead
(for ``t < input_length``; 0 after): the gradient with respect to the logits, assuming
``log_probs`` comes from ``log_softmax``. The two differ by ``exp(log_probs)``, which the
log_softmax backward removes (it sums to 1 over classes), so through ``log_softmax`` both give
the same logits gradient. ember returns PyTorch's form, so that gradients with respect to
``log_probs`` match PyTorch's.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor, _host, _make
from ..autograd.function import Primitive
from ..backend import device_of, transfer, xp_of

__all__ = ["ctc_loss"]

_NEG = -np.inf


class _CTCLoss(Primitive):
    """Per-sample negative log-likelihoods (N,) of padded targets under ``log_probs`` (T, N, C)."""

    @staticmethod
    def forward(ctx, lp, targets, input_lengths, target_lengths, blank, zero_infinity):
        xp = xp_of(lp)
        t_max, n, _ = lp.shape
        ext = _extended(xp, targets, target_lengths, blank)
        lp64 = lp.astype(np.float64)  # float64 recursions: float32 inputs then match to ~1e-6
        emit = lp64[:, xp.arange(n)[:, None], ext]  # (T, N, L): log y_t(l'_s)
        skip = _skip_allowed(xp, ext)
        alpha = xp.full(emit.shape, _NEG)
        alpha[0, :, 0] = emit[0, :, 0]
        if ext.shape[1] > 1:
            alpha[0, :, 1] = xp.where(target_lengths > 0, emit[0, :, 1], _NEG)
        for t in range(1, t_max):
            alpha[t] = _step(xp, alpha[t - 1], skip, forward=True) + emit[t]
        # log p = logaddexp of the last blank and the last label at t = input_length - 1
        rows = xp.arange(n)
        last = alpha[xp.maximum(input_lengths - 1, 0), rows]  # (N, L)
        end = 2 * target_lengths
        ll = xp.logaddexp(
            last[rows, end],
            xp.where(target_lengths > 0, last[rows, xp.maximum(end - 1, 0)], _NEG),
        )
        # no time steps: only the empty target is possible, with probability 1
        ll = xp.where(input_lengths > 0, ll, xp.where(target_lengths > 0, _NEG, 0.0))
        nll = -ll
        ctx.state = (emit, alpha, ext, skip, nll, input_lengths, target_lengths, zero_infinity)
        ctx.save_for_backward(lp)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0.0, nll)
        return nll.astype(lp.dtype)

    @staticmethod
    def backward(ctx, g):
        (lp,) = ctx.saved_tensors
        grad = _ctc_grad(lp._data, *ctx.state)
        # NOTE [ CTC gradient ] for the form; the result is linear in g, but its derivative
        # with respect to log_probs (a double backward) is not implemented, as in PyTorch
        grad = _CTCGradient.apply(lp, grad)
        return g.reshape(1, -1, 1) * grad, None, None, None, None, None


class _CTCGradient(Primitive):
    """Passes the CTC gradient array through; a second derivative through it raises."""

    @staticmethod
    def forward(ctx, lp, grad):
        return grad

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(
            "the derivative of ctc_loss's gradient with respect to log_probs (double backward) "
            "is not implemented"
        )


def _extended(xp, targets, target_lengths, blank):
    """(N, 2 * S + 1) labels ``blank, l1, blank, l2, ..., blank``; past the target, blank."""
    n, s = targets.shape
    ext = xp.full((n, 2 * s + 1), blank, dtype=np.int64)
    valid = xp.arange(s)[None, :] < target_lengths[:, None]
    ext[:, 1::2] = xp.where(valid, targets, blank)
    return ext


def _skip_allowed(xp, ext):
    """(N, L) bools: may a path jump from position s - 2 to s (a label unlike the previous)?"""
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    return skip


def _step(xp, prev, skip, forward):
    """One time step of the recursion, before adding the emissions: each position gathers from
    itself and its one or two neighbours (lower positions for alpha, higher ones for beta)."""
    out = prev.copy()
    if forward:
        out[:, 1:] = xp.logaddexp(prev[:, 1:], prev[:, :-1])
        out[:, 2:] = xp.logaddexp(out[:, 2:], xp.where(skip[:, 2:], prev[:, :-2], _NEG))
    else:
        out[:, :-1] = xp.logaddexp(prev[:, :-1], prev[:, 1:])
        out[:, :-2] = xp.logaddexp(out[:, :-2], xp.where(skip[:, 2:], prev[:, 2:], _NEG))
    return out


def _ctc_grad(lp, emit, alpha, ext, skip, nll, input_lengths, target_lengths, zero_infinity):
    """PyTorch's gradient of the per-sample losses (summed) w.r.t. log_probs, in lp's dtype."""
    xp = xp_of(lp)
    t_max, n, c = lp.shape
    rows = xp.arange(n)
    beta = xp.full(emit.shape, _NEG)
    t_end = xp.maximum(input_lengths - 1, 0)
    start = xp.where(input_lengths > 0, t_end, t_max)  # beta starts at t = input_length - 1
    # there, only the last blank and the last label (if any) can end a path
    end = 2 * target_lengths
    before = xp.maximum(end - 1, 0)
    init = xp.full((n, emit.shape[2]), _NEG)
    init[rows, end] = emit[t_end, rows, end]
    init[rows, before] = xp.where(target_lengths > 0, emit[t_end, rows, before], init[rows, before])
    for t in range(t_max - 1, -1, -1):
        if t == t_max - 1:
            rec = xp.full(init.shape, _NEG)
        else:
            rec = _step(xp, beta[t + 1], skip, forward=False) + emit[t]
        beta[t] = xp.where((start == t)[:, None], init, xp.where((t < start)[:, None], rec, _NEG))
    bad = xp.isinf(nll)
    log_ab = alpha + beta
    # exp(alpha + beta - emit + nll); 0 where no path passes (also where emit is -inf). An
    # impossible target (nll = inf) has no such path: its gradient is set below.
    shift = xp.where(bad, 0.0, nll)[None, :, None]
    occ = xp.where(log_ab > _NEG, xp.exp(log_ab - emit + shift), 0.0)
    flat = (xp.arange(t_max)[:, None, None] * n + rows[None, :, None]) * c + ext[None]
    occ_c = xp.bincount(flat.ravel(), weights=occ.ravel(), minlength=t_max * n * c)
    active = xp.arange(t_max)[:, None] < input_lengths[None, :]  # (T, N)
    grad = xp.exp(lp.astype(np.float64)) - occ_c.reshape(t_max, n, c)
    grad = xp.where((bad[None, :] & active)[:, :, None], 0.0 if zero_infinity else np.nan, grad)
    grad = xp.where(active[:, :, None], grad, 0.0)
    return grad.astype(lp.dtype)


# --------------------------------------------------------------------------------------------
# argument checks, as PyTorch's


_CHECKING = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(name, lengths, batch):
    """The lengths as a host int64 array of ``batch`` values (a Tensor of any shape is read
    flat, as PyTorch does)."""
    if isinstance(lengths, Tensor):
        dt = lengths.dtype
        if dt.is_floating_point or dt.is_complex or dt.scalar_name == "Bool":
            raise RuntimeError(f"{name} must be integral")
        out = _host(lengths._data).reshape(-1).astype(np.int64)
    else:
        if not all(isinstance(v, numbers.Integral) for v in lengths):
            raise TypeError(f"ctc_loss(): argument '{name}' must be tuple of ints")
        out = np.array([int(v) for v in lengths], dtype=np.int64)
    if out.size != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return out


def _padded_targets(targets, target_lengths, batch):
    """Targets as a host (N, S) int64 array, checked as PyTorch checks them."""
    if targets.ndim not in (1, 2):
        raise RuntimeError(
            f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for "
            f"argument #2 'targets'{_CHECKING}"
        )
    tg = _host(targets._data).astype(np.int64)
    longest = int(target_lengths.max())
    if tg.ndim == 2:
        if tg.shape[0] != batch:
            raise RuntimeError(
                f"Expected tensor to have size {batch} at dimension 0, but got size "
                f"{tg.shape[0]} for argument #2 'targets'{_CHECKING}"
            )
        if tg.shape[1] < longest:
            raise RuntimeError(
                f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                f"{tg.shape[1]} for argument #2 'targets'{_CHECKING}"
            )
        return tg[:, :longest]
    total = int(target_lengths.sum())
    if tg.shape[0] != total:
        raise RuntimeError(
            f"Expected tensor to have size {total} at dimension 0, but got size {tg.shape[0]} "
            f"for argument #2 'targets'{_CHECKING}"
        )
    pos = np.arange(longest)[None, :]
    index = np.cumsum(target_lengths)[:, None] - target_lengths[:, None] + pos
    return np.where(pos < target_lengths[:, None], tg[np.minimum(index, max(total - 1, 0))], 0)


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Tensor | tuple[int, ...] | list[int],
    target_lengths: Tensor | tuple[int, ...] | list[int],
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss of unaligned label sequences.

    Sums the probability of every alignment of each target to its input frames (blanks between
    and around the labels, repeats merged), with the forward-backward recursions in log space.

    Args:
        log_probs: log-probabilities (T, N, C), e.g. from ``log_softmax(2)``; or (T, C) unbatched.
        targets: class indices, padded (N, S) or concatenated (sum(target_lengths),).
        input_lengths: frames used per sample, (N,) Tensor or tuple/list of ints (each <= T).
        target_lengths: labels per sample, (N,) Tensor or tuple/list of ints.
        blank: the blank class index.
        reduction: ``'none'`` (per-sample losses), ``'sum'``, or ``'mean'`` (each loss divided
            by its target length, at least 1, then averaged over the batch).
        zero_infinity: make infinite losses (impossible alignments) and their gradients zero.

    Shape:
        output: (N,) with ``reduction='none'`` ((), unbatched), else ().

    The gradient with respect to ``log_probs`` has PyTorch's form (see NOTE [ CTC gradient ] in
    ember/nn/_ctc.py). A double backward through it raises NotImplementedError (PyTorch raises
    too); float32 inputs are computed in float64 internally. A target label outside
    ``[0, C)`` raises IndexError (PyTorch reads out of bounds).

    Example:
        >>> lp = ember.zeros(4, 1, 3).log_softmax(2)
        >>> F.ctc_loss(lp, ember.tensor([[1, 2]]), [4], [2], reduction="sum")
        tensor(1.6864)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lengths_are = (isinstance(input_lengths, Tensor), isinstance(target_lengths, Tensor))
    if lengths_are not in ((True, True), (False, False)) or not all(
        isinstance(x, Tensor) or isinstance(x, (tuple, list))
        for x in (input_lengths, target_lengths)
    ):
        raise TypeError(
            "ctc_loss(): input_lengths and target_lengths must both be Tensors or both be "
            f"tuples of ints, got {type(input_lengths).__name__} and "
            f"{type(target_lengths).__name__}"
        )
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim + 1}-dimensional tensor "
            f"for argument #1 'log_probs'{_CHECKING}"
        )
    if lp.dtype.scalar_name not in ("Float", "Double"):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{lp.dtype.scalar_name}'")
    t_max, batch, classes = lp.shape
    if lp.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    il = _lengths("input_lengths", input_lengths, batch)
    tl = _lengths("target_lengths", target_lengths, batch)
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    for name, values in (("input_lengths", il), ("target_lengths", tl)):
        if values.min() < 0:
            raise RuntimeError(
                f"Expected {name} to have value at least 0, but got value {values.min()}{_CHECKING}"
            )
    if il.max() > t_max:
        raise RuntimeError(
            f"Expected input_lengths to have value at most {t_max}, but got value {il.max()}"
            f"{_CHECKING}"
        )
    tg = _padded_targets(targets, tl, batch)
    used = tg[np.arange(tg.shape[1])[None, :] < tl[:, None]]
    if used.size and (used.min() < 0 or used.max() >= classes):
        bad = used[(used < 0) | (used >= classes)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    dev = device_of(lp._data)
    loss = _CTCLoss.apply(
        lp, transfer(tg, dev), transfer(il, dev), transfer(tl, dev), int(blank), zero_infinity
    )
    if unbatched:
        loss = loss.reshape(())
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        per_label = np.maximum(tl, 1).astype(lp._data.dtype)
        return (loss / _make(transfer(per_label.reshape(loss.shape), dev))).mean()
    return loss
