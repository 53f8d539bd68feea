"""DistributedDataParallel: data-parallel training over ember.distributed.

NOTE [DDP gradient buckets]
Parameters are grouped into buckets of about ``bucket_cap_mb`` in reverse registration order
(roughly the order backward produces their gradients). Each parameter carries a gradient
hook. ember's engine may deliver a parameter's gradient in several parts (one per use in the
graph), so ``forward`` walks the graph from the outputs and counts each parameter's uses; the
hook that brings a parameter's last part copies its full gradient (plus any gradient
accumulated under ``no_sync``) into the bucket. A full bucket starts its averaging all-reduce at
once, without blocking, so communication overlaps with the rest of backward. The hook of the
last parameter waits for every bucket and writes the averaged gradients into ``.grad``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...backend import xp_of
from ..modules.module import Module


class _Bucket:
    __slots__ = ("params", "offsets", "numel", "buf", "left", "work")

    def __init__(self, params: list):
        self.params = params
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.numel = n
        self.buf = self.work = None
        self.left = 0


class _Iteration:
    """What one forward expects of the following backward."""

    __slots__ = ("count", "pending", "started", "used", "used_work")

    def __init__(self):
        self.count: dict = {}
        self.pending = 0
        self.started = False
        self.used = self.used_work = None


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _count_uses(outputs) -> dict:
    """id(leaf) -> how many graph edges lead from ``outputs`` to that leaf."""
    counts: dict = {}
    stack, seen = [], set()
    for t in _tensors(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            counts[id(t)] = counts.get(id(t), 0) + 1
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for e in node._next:
            if e is None:
                continue
            if type(e) is tuple:
                stack.append(e[0])
            else:
                counts[id(e)] = counts.get(id(e), 0) + 1
    return counts


class DistributedDataParallel(Module):
    """Data-parallel training: every rank holds a replica; gradients are averaged in backward.

    On construction the parameters and buffers of rank 0 are copied to every rank. Each
    ``loss.backward()`` then leaves the gradient averaged over the ranks in every ``.grad``, so
    that the optimizer steps agree everywhere.

    Args:
        module: the model to replicate.
        broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm statistics) to every rank at
            each forward.
        process_group: the group to average over (the world by default).
        bucket_cap_mb: gradient bucket size in MiB (default 25).
        find_unused_parameters: allow parameters that get no gradient in an iteration.

    Example:
        >>> model = DistributedDataParallel(Net())
        >>> loss = F.nll_loss(model(x), y); loss.backward(); opt.step()
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        **kwargs,
    ):
        super().__init__()
        if not dist.is_initialized():
            raise ValueError(
                "Default process group has not been initialized, please make sure "
                "to call init_process_group."
            )
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have "
                "any parameter that requires a gradient."
            )
        self._names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        self._world = dist.get_world_size(process_group)
        self._sync_states([p for p in module.parameters()] + list(module.buffers()))
        self._buckets = self._make_buckets()
        self._bucket_of = {id(p): (b, i) for b in self._buckets for i, p in enumerate(b.params)}
        self._iter: _Iteration | None = None
        self._hook_handles = [p.register_hook(self._make_hook(p)) for p in self._params]

    # -- setup -------------------------------------------------------------------------------
    def _sync_states(self, tensors: list) -> None:
        """Copy rank 0's values of ``tensors`` to every rank, one broadcast per dtype/device."""
        groups: dict = {}
        for t in tensors:
            if t is not None and t.numel():
                groups.setdefault((t.dtype, t.device), []).append(t)
        for ts in groups.values():
            xp = xp_of(ts[0]._data)
            flat = _make(xp.concatenate([t._data.reshape(-1) for t in ts]))
            dist.broadcast(flat, src=self._global_rank(0), group=self.process_group)
            o = 0
            for t in ts:
                n = t.numel()
                t._data[...] = flat._data[o : o + n].reshape(t._data.shape)
                o += n

    def _global_rank(self, group_rank: int) -> int:
        if self.process_group is None:
            return group_rank
        return dist.get_global_rank(self.process_group, group_rank)

    def _make_buckets(self) -> list:
        buckets, cur, size, key = [], [], 0, None
        cap = min(self.bucket_bytes_cap, 2**20)  # a small first bucket starts communication early
        for p in reversed(self._params):
            k = (p.dtype, p.device)
            nbytes = p.numel() * p.element_size()
            if cur and (k != key or size + nbytes > cap):
                buckets.append(_Bucket(cur))
                cur, size, cap = [], 0, self.bucket_bytes_cap
            cur.append(p)
            size += nbytes
            key = k
        if cur:
            buckets.append(_Bucket(cur))
        return buckets

    # -- forward -----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        it = self._iter
        if it is not None and it.started:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss. Parameters that did not "
                f"receive a gradient: {', '.join(self._missing(it)) or '(none)'}"
            )
        self._iter = None  # a forward whose backward never came (evaluation) is forgotten
        if self.require_forward_param_sync and self.broadcast_buffers and self._world > 1:
            bufs = list(self.module.buffers())
            if bufs:
                self._sync_states(bufs)
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync and self._world > 1:
            self._prepare(out)
        return out

    def _missing(self, it: _Iteration) -> list:
        return [
            self._names[id(p)]
            for p in self._params
            if id(p) not in it.used and (it.count[id(p)] > 0 or not self.find_unused_parameters)
        ]

    def _prepare(self, out) -> None:
        counts = _count_uses(out)
        it = _Iteration()
        it.count = {id(p): counts.get(id(p), 0) for p in self._params}
        it.pending = len(self._buckets)
        it.used = set()
        for b in self._buckets:
            b.left, b.buf, b.work = len(b.params), None, None
        self._iter = it
        if self.find_unused_parameters:
            # Which parameters some rank uses: those no rank uses keep their gradient as is.
            flags = _make(np.array([it.count[id(p)] > 0 for p in self._params], np.uint8))
            work = dist.all_reduce(
                flags, dist.ReduceOp.MAX, group=self.process_group, async_op=True
            )
            it.used_work = (flags, work)
            for p in self._params:
                if it.count[id(p)] == 0:
                    self._ready(it, p, p.grad)

    # -- backward ----------------------------------------------------------------------------
    def _make_hook(self, p):
        def hook(grad):
            it = self._iter
            if it is None:
                return grad
            key = id(p)
            left = it.count.get(key, 0) - 1
            if left < 0:  # a use that forward did not see (a graph outside this forward)
                return grad
            it.count[key] = left
            if left:
                return grad
            it.started = True
            full = grad if p.grad is None else p.grad + grad
            p.grad = None  # the engine adds ``grad`` to None; the average replaces it later
            it.used.add(key)
            mine = self._ready(it, p, full)
            return grad if mine is None else mine

        return hook

    def _ready(self, it: _Iteration, p, grad):
        """Put ``p``'s full gradient into its bucket; returns ``p``'s average when all are done."""
        b, i = self._bucket_of[id(p)]
        if b.buf is None:
            b.buf = xp_of(p._data).zeros(b.numel, p._data.dtype)
        if grad is not None:
            o = b.offsets[i]
            b.buf[o : o + p.numel()] = grad._data.reshape(-1)
        b.left -= 1
        if b.left == 0:
            b.buf /= self._world
            b.work = dist.all_reduce(_make(b.buf), group=self.process_group, async_op=True)
            it.pending -= 1
        for other in self._buckets:  # let MPI make progress on the buckets in flight
            if other.work is not None:
                other.work.is_completed()
        if it.pending == 0:
            return self._finish(it, p)
        return None

    def _finish(self, it: _Iteration, last):
        """Wait for every bucket and write the averaged gradients; returns ``last``'s."""
        self._iter = None
        used = None
        if it.used_work is not None:
            flags, work = it.used_work
            work.wait()
            used = {id(p) for p, f in zip(self._params, flags._data) if f}
        mine = None
        with no_grad():
            for b in self._buckets:
                b.work.wait()
                for p, o in zip(b.params, b.offsets):
                    if used is not None and id(p) not in used:
                        continue  # no rank used it: its gradient stays as it was
                    g = _make(b.buf[o : o + p.numel()].reshape(p._data.shape))
                    if p is last:
                        mine = g
                    else:
                        p.grad = g
                b.buf = b.work = None
        return mine

    @contextlib.contextmanager
    def no_sync(self):
        """Accumulate gradients locally inside the block; the next synced backward averages them.

        Example:
            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()
            >>> ddp(x2).sum().backward()  # averages the sum of both gradients
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
