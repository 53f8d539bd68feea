"""Function: one differentiable op. Its ctx is the graph node (``tensor.grad_fn``).

Two kinds share one API:

- ``Function`` (what users subclass, as in PyTorch): ``forward(ctx, *args)`` receives Tensors and
  runs with grad recording off; ``backward(ctx, *grads)`` returns Tensors.
- ``Primitive`` (ember's own ops): ``forward`` receives the raw backend arrays and returns arrays,
  so the hot path never builds intermediate Tensors. ``backward`` is still written with ember
  Tensor ops, so higher-order gradients come for free (see DESIGN.md, "One op, defined once").
"""

from __future__ import annotations

import functools

from .grad_mode import state

_SAVED_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
    "the graph a second time or if you need to access saved tensors after calling backward."
)


def _modified_error(t, saved_version, now, node):
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.type_name()} {list(t.shape)}], which is output 0 of "
        f"{node.name()}, is at version {now}; expected version {saved_version} instead. Hint: "
        "the operation that failed was the backward of this op, or a later in-place op on the "
        "tensor changed it after it was saved."
    )


class Node:
    """The record of one op application, kept for backward; also the ``ctx`` of forward/backward.

    ``_next[i]`` says where the gradient of positional input ``i`` goes: ``None`` (no gradient),
    a leaf Tensor (accumulate into ``.grad``), or ``(node, output_index)``.
    """

    __slots__ = (
        "_fn",
        "_next",
        "_meta",
        "_saved",
        "_to_save",
        "_released",
        "needs_input_grad",
        "_non_diff",
        "materialize_grads",
        "_out_meta",
        "_out_hooks",
        "_dirty",
        "__dict__",
        "__weakref__",
    )

    def __init__(self, fn):
        self._fn = fn
        self._next = ()
        self._saved = None
        self._to_save = None
        self._released = False
        self._non_diff = None
        self._out_hooks = None
        self.materialize_grads = True

    # -- the ctx API ---------------------------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs, outputs or intermediates) for backward."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs that never get a gradient (indices, masks)."""
        self._non_diff = outputs

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs modified in place by forward."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, as Tensors (checked for in-place changes)."""
        if self._saved is None:
            if self._released:
                raise RuntimeError(_SAVED_FREED)
            return ()
        from .._tensor import _make

        out = []
        for kind, obj, aux, version in self._saved:
            if kind == 0:  # a constant (or None)
                keep = obj is None or hasattr(obj, "_data") or not hasattr(obj, "shape")
                out.append(obj if keep else _make(obj))
                continue
            vc = obj._vc if kind == 1 else aux
            now = vc[0] if vc is not None else 0
            if now != version:
                t = obj if kind == 1 else _make(obj)
                raise _modified_error(t, version, now, self)
            if kind == 1:  # an input Tensor, as it was
                out.append(obj)
            else:  # output ``aux``: re-wrapped here so the graph holds no reference cycle
                t = _make(obj, self, self._out_nr_of(obj))
                t._vc = aux
                out.append(t)
        return tuple(out)

    def _out_nr_of(self, arr) -> int:
        for i, (a, _, _) in enumerate(self._out_meta):
            if a is arr:
                return i
        return 0

    # -- graph introspection -------------------------------------------------------------------
    def name(self) -> str:
        """The node's name, e.g. ``'MulBackward0'``."""
        return f"{self._fn.__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        """Pairs (node, output index) that this node sends gradients to, as in PyTorch."""
        out = []
        for e in self._next:
            if e is None:
                out.append((None, 0))
            elif type(e) is tuple:
                out.append(e)
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)

    def register_hook(self, hook) -> None:
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward (not used inside)."""
        self.__dict__.setdefault("_node_hooks", []).append(hook)

    def _release(self) -> None:
        self._saved = None
        self._released = True


class AccumulateGrad:
    """The graph's view of a leaf tensor (only for ``next_functions`` introspection)."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Function:
    """Base class of custom differentiable ops, with PyTorch's API.

    Example:
        >>> class Square(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> y = Square.apply(ember.tensor(3.0, requires_grad=True))
    """

    _raw = False  # True for Primitive: forward receives backend arrays

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for "
            "your custom autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor, _make, check_same_device

        need = False
        tensors = []
        for a in args:
            if isinstance(a, Tensor):
                tensors.append(a)
                if a._rg:
                    need = True
        if len(tensors) > 1:
            check_same_device(tensors)
        need = need and state.enabled
        ctx = Node(cls)
        if need:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        else:
            ctx.needs_input_grad = (False,) * len(args)

        if cls._raw:
            fargs = [a._data if isinstance(a, Tensor) else a for a in args]
            out = cls.forward(ctx, *fargs, **kwargs)
            single = not isinstance(out, tuple)
            arrays = (out,) if single else out
        else:
            prev = state.enabled
            state.enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs)
            finally:
                state.enabled = prev
            single = not isinstance(out, tuple)
            outs = (out,) if single else out
            arrays = tuple(o._data if isinstance(o, Tensor) else o for o in outs)

        if not need:
            if cls._raw:
                res = tuple(_make(a) if a is not None else None for a in arrays)
            else:
                res = outs
            return res[0] if single else res

        # Record the node: where gradients go, and what input shapes/dtypes they must have.
        nxt = []
        meta = []
        for a in args:
            if isinstance(a, Tensor) and a._rg:
                fn = a.grad_fn
                nxt.append((fn, a._out_nr) if fn is not None else a)
                meta.append((a._data.shape, a._data.dtype))
            else:
                nxt.append(None)
                meta.append(None)
        ctx._next = tuple(nxt)
        ctx._meta = meta
        non_diff = ctx._non_diff or ()
        results = []
        out_meta = []
        for i, arr in enumerate(arrays):
            if arr is None or not hasattr(arr, "dtype"):
                results.append(arr)
                out_meta.append((None, None, None))
                continue
            diff = arr.dtype.kind in "fc" and not any(arr is _raw_of(n) for n in non_diff)
            if not cls._raw and isinstance(outs[i], Tensor):
                t = outs[i]
                if diff:
                    t.grad_fn, t._out_nr, t._rg = ctx, i, True
            else:
                t = _make(arr, ctx if diff else None, i)
            results.append(t)
            out_meta.append((arr, arr.shape, arr.dtype))
        ctx._out_meta = out_meta
        if ctx._to_save is not None:
            ctx._saved = tuple(_resolve_saved(x, args, results) for x in ctx._to_save)
            ctx._to_save = None
        res = tuple(results)
        return res[0] if single else res


def _raw_of(x):
    return getattr(x, "_data", x)


def _resolve_saved(x, args, results):
    """Turn one save_for_backward item into (kind, obj, aux, version).

    kind 1: an input Tensor (kept as is, for double backward); kind 2: an output, kept as its
    array and version counter; kind 0: anything else, kept as a constant.
    """
    if x is None:
        return (0, None, None, 0)
    for a in args:
        if hasattr(a, "_vc") and (x is a or a._data is x):
            vc = a._vc
            return (1, a, None, vc[0] if vc is not None else 0)
    for r in results:
        if r is not None and (x is r or getattr(r, "_data", None) is x):
            if r._vc is None:
                r._vc = [0]
            return (2, r._data, r._vc, r._vc[0])
    return (0, x, None, 0)


class Primitive(Function):
    """An ember op: ``forward(ctx, *arrays)`` on backend arrays, ``backward`` in Tensor ops."""

    _raw = True


def once_differentiable(backward):
    """Mark a backward that cannot itself be differentiated: a double backward raises.

    Example:
        >>> @staticmethod
        ... @ember.autograd.function.once_differentiable
        ... def backward(ctx, g): ...
    """

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        from .._tensor import _make

        prev = state.enabled
        state.enabled = False
        try:
            out = backward(ctx, *grads)
        finally:
            state.enabled = prev
        if prev and any(g is not None and g._rg for g in grads):
            single = not isinstance(out, tuple)
            outs = (out,) if single else out
            outs = tuple(
                _make(o._data, _OnceDiffNode(ctx), 0) if o is not None else None for o in outs
            )
            return outs[0] if single else outs
        return out

    return wrapper


class _OnceDiff(Function):
    @staticmethod
    def backward(ctx, *g):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def _OnceDiffNode(_ctx):
    n = Node(_OnceDiff)
    n._next = ()
    n._meta = []
    n._out_meta = []
    return n
