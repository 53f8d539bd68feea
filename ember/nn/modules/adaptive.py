"""AdaptiveLogSoftmaxWithLoss: the efficient softmax of Grave et al. (2017) for many classes.

Frequent classes (below ``cutoffs[0]``) share a "head" softmax with one extra logit per cluster
of rarer classes; a class in cluster i costs log p(cluster i | x) + log p(class | cluster i, x),
the second term from that cluster's small two-layer projection ("tail"). Parameter names (head,
tail.0.0 ...) are PyTorch's, so state_dicts load either way.
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from collections.abc import Sequence

from ..._tensor import Tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: cheap log-probabilities over many classes sorted by frequency.

    ``forward(input, target)`` returns ``(output, loss)``: each row's target log-probability and
    their negated mean. ``log_prob(input)`` gives all classes, ``predict(input)`` the argmax.

    Shape: input (N, in_features) or (in_features,); target (N,) or () class indices.

    Example:
        >>> asm = ember.nn.AdaptiveLogSoftmaxWithLoss(16, 100, cutoffs=[10, 50])
        >>> out, loss = asm(ember.randn(4, 16), ember.tensor([1, 20, 70, 3]))
        >>> out.shape, asm.log_prob(ember.randn(4, 16)).shape
        (ember.Size([4]), ember.Size([4, 100]))
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if any(not isinstance(c, numbers.Integral) for c in cutoffs):
            raise TypeError(f"cutoffs must be integers, got {cutoffs}")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **kw),
                    Linear(hidden, size, bias=False, **kw),
                )
            )

    def reset_parameters(self) -> None:
        """Re-initialize the head and every tail projection."""
        self.head.reset_parameters()
        for proj in self.tail:
            for lin in proj:
                lin.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        if target.ndim == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError(
                    "Input and target should have the same size in the batch dimension."
                )
            if input.ndim != 2:
                raise RuntimeError(
                    f"1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{list(input.shape)}"
                )
        elif target.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(
                    f"0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{list(input.shape)}"
                )
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target.ndim > 0
        x = input if batched else input.unsqueeze(0)
        t = target if batched else target.unsqueeze(0)
        if t.numel() and (bool((t < 0).any()) or bool((t >= self.n_classes).any())):
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{t.min().item()}, {t.max().item()}] were found. "
            )
        # The head column each row reads: its own class, or its cluster's logit.
        head_col = t
        output = x.new_zeros(t.shape[0])
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            mask = (t >= low) & (t < high)
            rows = mask.nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            head_col = head_col.masked_fill(mask, self.shortlist_size + i)
            logp = F.log_softmax(self.tail[i](x.index_select(0, rows)), dim=1)
            local = logp.gather(1, (t.index_select(0, rows) - low).unsqueeze(1)).squeeze(1)
            output = output.index_add(0, rows, local)
        head_logp = F.log_softmax(self.head(x), dim=1)
        output = output + head_logp.gather(1, head_col.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        from ...ops.shape import cat

        head_logp = F.log_softmax(head_output, dim=1)
        parts = [head_logp[:, : self.shortlist_size]]
        for i, proj in enumerate(self.tail):
            cluster = F.log_softmax(proj(input), dim=1)
            parts.append(cluster + head_logp[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class, shape (N, n_classes).

        Example:
            >>> asm = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
            >>> asm.log_prob(ember.randn(2, 8)).exp().sum(1).shape
            ember.Size([2])
        """
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row, shape (N,); skips the tails when the head decides.

        Example:
            >>> ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4]).predict(ember.randn(3, 8)).shape
            ember.Size([3])
        """
        head_output = self.head(input)
        pred = head_output.argmax(dim=1)
        # A head winner in the shortlist beats every class of every cluster: a cluster's classes
        # share its logit's probability, so none exceeds it.
        outside = pred >= self.shortlist_size
        if not bool(outside.any()):
            return pred
        rows = outside.nonzero().reshape(-1)
        full = self._full_log_prob(input.index_select(0, rows), head_output.index_select(0, rows))
        return pred.index_put((rows,), full.argmax(dim=1))
