"""Activation checkpointing, as ``torch.utils.checkpoint``: run a piece of the forward pass
without keeping its intermediate activations, and recompute them during backward.

Two implementations, chosen by ``use_reentrant`` as in PyTorch:

- ``use_reentrant=False`` (recommended): the function runs under saved-tensor hooks
  (``ember.autograd.graph.saved_tensors_hooks``) whose pack hook keeps only the shape and dtype
  of each tensor an op saves for backward. The first unpack in backward reruns the function
  (under the same hooks, now capturing) and hands each op the recomputed tensor. Parameters
  used inside get gradients, ``autograd.grad`` works, and so does double backward.
- ``use_reentrant=True``: a custom Function whose forward runs the function without recording
  and whose backward reruns it with recording and calls ``ember.autograd.backward`` inside
  (a reentrant backward). As in PyTorch, the output requires grad only when an input does.

Both save the random generator's state before the forward and restore it for the recompute
(``preserve_rng_state=True``), so dropout draws the same masks twice.

Example:
    >>> from ember.utils.checkpoint import checkpoint
    >>> x = ember.randn(4, requires_grad=True)
    >>> checkpoint(lambda t: t.sin().exp(), x, use_reentrant=False).sum().backward()
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

from .. import autograd
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..autograd.graph import saved_tensors_hooks

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation differs from the original forward (``determinism_check``)."""


def noop_context_fn() -> tuple:
    """The default ``context_fn``: two context managers that do nothing.

    Example:
        >>> fwd, recompute = noop_context_fn()
    """
    return contextlib.nullcontext(), contextlib.nullcontext()


def _tensor_cls():
    from .._tensor import Tensor

    return Tensor


def _rng_state(preserve: bool) -> Any:
    # One default generator serves every device in ember (ember.cuda.get_rng_state returns its
    # state too), so saving it covers CPU and CUDA random ops alike.
    from ..random import get_rng_state

    return get_rng_state() if preserve else None


@contextlib.contextmanager
def _restored_rng(state: Any):
    """Run the block from the saved generator state, then put back the current one."""
    if state is None:
        yield
        return
    from ..random import get_rng_state, set_rng_state

    now = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(now)


def _use_reentrant(use_reentrant: bool | None) -> bool:
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint: pass use_reentrant explicitly; it defaults to True as in "
            "PyTorch, and use_reentrant=False is recommended.",
            stacklevel=3,  # the caller of checkpoint / checkpoint_sequential
        )
        return True
    return use_reentrant


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs: Any,
) -> Any:
    """``function(*args, **kwargs)``, keeping no intermediate activations: backward recomputes
    them. The gradients are those of the plain call.

    ``use_reentrant=None`` warns and means True, as in PyTorch; pass it explicitly (False is
    recommended). ``preserve_rng_state`` (default True) restores the random state for the
    recompute. ``determinism_check="default"`` raises CheckpointError when the recompute saves
    tensors of other shapes or dtypes than the forward did; ``"none"`` skips the check.
    ``debug`` and ``early_stop`` are accepted (the recompute always runs the whole function).

    Example:
        >>> lin = ember.nn.Linear(3, 3)
        >>> y = checkpoint(lin, ember.randn(2, 3), use_reentrant=False)
        >>> y.sum().backward()
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    use_reentrant = _use_reentrant(use_reentrant)
    if use_reentrant:
        if context_fn is not noop_context_fn or debug:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    return _checkpoint_hooks(function, args, kwargs, preserve, context_fn, determinism_check)


def _checkpoint_hooks(function, args, kwargs, preserve, context_fn, determinism_check):
    Tensor = _tensor_cls()
    rng = _rng_state(preserve)
    metas: list = []  # (shape, dtype) of each tensor the forward saved, in order
    recomputed: dict = {}
    fwd_ctx, recompute_ctx = context_fn()

    def pack(t):
        metas.append((tuple(t.shape), t.dtype))
        return len(metas) - 1

    def recompute() -> None:
        # With create_graph the recomputed tensors must stay connected to the inputs, so that
        # the gradients computed from them can be differentiated again; otherwise fresh leaves.
        keep_graph = is_grad_enabled()
        inputs = [
            a.detach().requires_grad_(a.requires_grad)
            if isinstance(a, Tensor) and not keep_graph
            else a
            for a in args
        ]
        captured: list = []
        with (
            _restored_rng(rng),
            enable_grad(),
            recompute_ctx,
            saved_tensors_hooks(lambda t: captured.append(t) or len(captured) - 1, lambda i: i),
        ):
            function(*inputs, **kwargs)
        if determinism_check == "default":
            got = [(tuple(t.shape), t.dtype) for t in captured]
            if got != metas:
                raise CheckpointError(
                    "ember.utils.checkpoint: the recomputed forward saved other tensors for "
                    f"backward than the original one: {metas} in the forward, {got} in the "
                    "recompute. Make the function deterministic, or pass "
                    "determinism_check='none'."
                )
        recomputed.update(enumerate(captured))

    def unpack(i):
        if i not in recomputed:  # the first unpack of this backward (or of a later one)
            recompute()
        return recomputed.pop(i)

    with fwd_ctx, saved_tensors_hooks(pack, unpack):
        return function(*args, **kwargs)


class CheckpointFunction(Function):
    """The reentrant checkpoint (``use_reentrant=True``); its node is CheckpointFunctionBackward."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        Tensor = _tensor_cls()
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3
            )
        ctx.run_function = run_function
        ctx.rng = _rng_state(preserve_rng_state)
        ctx.tensor_at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_at))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        Tensor = _tensor_cls()
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_at, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        with _restored_rng(ctx.rng), enable_grad():
            outputs = ctx.run_function(*inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [
            (o, g)
            for o, g in zip(outputs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)


def checkpoint_sequential(
    functions: Any, segments: int, input: Any, use_reentrant: bool | None = None, **kwargs: Any
) -> Any:
    """Run ``functions`` (a Sequential or a list of modules/functions) one after another in
    ``segments`` chunks, checkpointing every chunk but the last.

    Example:
        >>> seq = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
        >>> checkpoint_sequential(seq, 2, ember.randn(4, 3), use_reentrant=False).shape
        ember.Size([4, 1])
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    use_reentrant = _use_reentrant(use_reentrant)
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)
    size = len(functions) // segments
    if size == 0:
        raise ValueError(
            f"checkpoint_sequential: {segments} segments for {len(functions)} functions; "
            "each segment needs at least one"
        )

    def run(start: int, end: int) -> Callable:
        def forward(x):
            for f in functions[start : end + 1]:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(
            run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run(end + 1, len(functions) - 1)(input)
