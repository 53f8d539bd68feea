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

import numpy as _np

from .grad_mode import state

try:  # bfloat16 (from ml_dtypes) is floating point too, though NumPy's kind for it is "V"
    import ml_dtypes as _ml_dtypes

    _BF16 = _np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - only without ml_dtypes
    _BF16 = None

_ndarray = _np.ndarray
_generic = _np.generic

_SAVED_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
    "the graph a second time or if you need to access saved tensors after calling backward."
)


def _modified_error(t, saved_version, now):
    where = ""
    if t.grad_fn is not None:
        name = t.grad_fn.name()
        where = f", which is output {t._out_nr} of {name.removesuffix('Backward0')},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.type_name()} {list(t.shape)}]{where} is at version {now}; expected "
        f"version {saved_version} instead. Hint: enable anomaly detection to find the operation "
        "that failed to compute its gradient, with ember.autograd.set_detect_anomaly(True)."
    )


class Node:
    """The record of one op application, kept for backward; also the ``ctx`` of forward/backward.

    ``_next[i]`` says where the gradient of positional input ``i`` goes: ``None`` (no gradient),
    a leaf Tensor (accumulate into ``.grad``), or ``(node, output_index)``. ``_meta[i]`` is that
    input's (shape, dtype) and ``_out_meta[k]`` output k's: the node keeps no arrays besides
    what was saved for backward.
    """

    # Set on every node; the rarely used fields below are class-level defaults, so that a new
    # node costs only these few stores (the op's hot path creates one per call).
    __slots__ = (
        "_fn",
        "_next",
        "_meta",
        "_saved",
        "needs_input_grad",
        "_out_meta",
        "__dict__",
        "__weakref__",
    )

    _to_save = None
    _released = False
    _non_diff = None
    _out_hooks = None
    _dirty = None
    materialize_grads = True

    def __init__(self, fn):
        self._fn = fn
        self._next = ()
        self._meta = ()
        self._saved = None
        self._out_meta = ()
        self.needs_input_grad = ()

    # -- the ctx API ---------------------------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs, outputs or intermediates) for backward."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs that never get a gradient (indices, masks)."""
        self._non_diff = outputs

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs modified in place by forward (they are returned as outputs)."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, as Tensors (checked for in-place changes)."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(_SAVED_FREED)
            return ()
        from .._tensor import _make

        out = []
        for kind, obj, aux, version in saved:
            if kind == 1:  # an input Tensor, as it was
                vc = obj._vc
                if vc is not None and vc[0] != version:
                    raise _modified_error(obj, version, vc[0])
                out.append(obj)
            elif kind == 2:  # output ``aux[1]``: re-wrapped here so the graph holds no cycle
                vc, nr = aux
                if vc[0] != version:
                    t = _make(obj, self, nr)
                    raise _modified_error(t, version, vc[0])
                t = _make(obj, self, nr)
                t._vc = vc
                out.append(t)
            elif kind == 3:  # packed by a saved-tensor hook: ``aux`` is its unpack hook
                out.append(_unpack_saved(aux, obj))
            else:  # a constant (or None)
                keep = obj is None or hasattr(obj, "_data") or not hasattr(obj, "shape")
                out.append(obj if keep else _make(obj))
        return tuple(out)

    saved_variables = saved_tensors

    # -- graph introspection -------------------------------------------------------------------
    def name(self) -> str:
        """The node's name, as PyTorch's: ``'MulBackward0'``; ``'MyFnBackward'`` for a custom op."""
        return f"{self._fn.__name__}Backward{'0' if self._fn._raw else ''}"

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


_node_new = object.__new__
_FALSE = [(False,) * n for n in range(9)]


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
        if cls._raw and args and not kwargs and isinstance(args[0], Tensor):
            # Fast paths for ember's own ops: one tensor first (unary ops, reductions, views),
            # or two tensors of which one requires grad (binary ops)
            for x in args[1:]:
                if isinstance(x, Tensor):
                    if (
                        len(args) == 2
                        and (args[0]._rg or x._rg)
                        and state.enabled
                        and type(x._data) is type(args[0]._data)
                    ):
                        return apply_binary(cls, args[0], x)
                    break
            else:
                return _apply_first(cls, args)
        need = False
        first = None
        for a in args:
            if isinstance(a, Tensor):
                if first is None:
                    first = a
                elif type(a._data) is not _ndarray or type(first._data) is not _ndarray:
                    check_same_device((first, a))
                if a._rg:
                    need = True
        ctx = _node_new(Node)
        ctx._fn = cls
        ctx._saved = None
        if need and state.enabled:
            nig = []
            nxt = []
            meta = []
            for a in args:
                if isinstance(a, Tensor) and a._rg:
                    nig.append(True)
                    fn = a.grad_fn
                    nxt.append(a if fn is None else (fn, a._out_nr))
                    d = a._data
                    meta.append((d.shape, d.dtype))
                else:
                    nig.append(False)
                    nxt.append(None)
                    meta.append(None)
            ctx.needs_input_grad = tuple(nig)
            ctx._next = nxt
            ctx._meta = meta
        else:
            need = False
            n = len(args)
            ctx.needs_input_grad = _FALSE[n] if n < 8 else (False,) * n

        if cls._raw:
            out = cls.forward(
                ctx, *[a._data if isinstance(a, Tensor) else a for a in args], **kwargs
            )
            if type(out) is not tuple:
                if type(out) is not _ndarray:
                    if out is None:
                        return None
                    if isinstance(out, _generic):
                        return _record_scalar(ctx, out, args, need)
                if not need:
                    return _make(out)
                # the common case: one array output of a recorded op
                diff = (out.dtype.kind in "fc" or out.dtype is _BF16) and (
                    ctx._non_diff is None or not _is_non_diff(out, ctx._non_diff)
                )
                t = _make(out, ctx if diff else None, 0)
                ctx._out_meta = _ONE_OUTPUT
                if ctx._to_save is not None:
                    res = (t,)
                    ctx._saved = tuple(_resolve_saved(x, args, res) for x in ctx._to_save)
                    ctx._to_save = None
                    if _saved_hooks:
                        _pack_saved(ctx)
                return t
            outs = None
            arrays = tuple(_np.asarray(o) if isinstance(o, _generic) else o for o in out)
            raw = out
            single = False
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
            raw = arrays

        if not need:
            if outs is None:
                return tuple(_make(a) if a is not None else None for a in arrays)
            return outs[0] if single else outs
        return _record(ctx, args, outs, arrays, raw, single)


def _apply_first(cls, args):
    """``cls.apply(*args)`` for a Primitive whose only Tensor argument is the first."""
    a = args[0]
    ad = a._data
    n = len(args)
    ctx = _node_new(Node)
    ctx._fn = cls
    ctx._saved = None
    need = a._rg and state.enabled
    if need:
        fn = a.grad_fn
        rest = _NONES[n - 1] if n <= 8 else (None,) * (n - 1)
        ctx._next = (a if fn is None else (fn, a._out_nr),) + rest
        ctx._meta = ((ad.shape, ad.dtype),) + rest
        ctx.needs_input_grad = (True,) + (_FALSE[n - 1] if n <= 8 else (False,) * (n - 1))
    else:
        ctx.needs_input_grad = _FALSE[n] if n < 8 else (False,) * n
    out = cls.forward(ctx, ad, *args[1:])
    if type(out) is not _ndarray:
        if out is None:
            return None
        if isinstance(out, _generic):
            return _record_scalar(ctx, out, args, need)
        if type(out) is tuple:
            arrays = tuple(_np.asarray(o) if isinstance(o, _generic) else o for o in out)
            if not need:
                return tuple(_make(x) if x is not None else None for x in arrays)
            return _record(ctx, args, None, arrays, out, False)
    if not need:
        return _make(out)
    diff = (out.dtype.kind in "fc" or out.dtype is _BF16) and (
        ctx._non_diff is None or not _is_non_diff(out, ctx._non_diff)
    )
    t = _make(out, ctx if diff else None, 0)
    ctx._out_meta = _ONE_OUTPUT
    if ctx._to_save is not None:
        saved = []
        for x in ctx._to_save:
            if x is ad or x is a:
                vc = a._vc
                saved.append((1, a, None, vc[0] if vc is not None else 0))
            elif x is None:
                saved.append(_CONST_NONE)
            else:
                saved.append(_resolve_saved(x, args, (t,)))
        ctx._saved = tuple(saved)
        ctx._to_save = None
        if _saved_hooks:
            _pack_saved(ctx)
    return t


_NONES = [(None,) * n for n in range(8)]
_CONST_NONE = (0, None, None, 0)


def apply_binary(cls, a, b):
    """``cls.apply(a, b)`` for two Tensors on one backend of which one requires grad, with
    recording on: the hot path of ``x + y`` in training code, written out without loops."""
    ad = a._data
    bd = b._data
    if type(ad) is not _ndarray:
        check_same_device((a, b))
    ctx = _node_new(Node)
    ctx._fn = cls
    ctx._saved = None
    if a._rg:
        fn = a.grad_fn
        ea = a if fn is None else (fn, a._out_nr)
        ma = (ad.shape, ad.dtype)
        if b._rg:
            fn = b.grad_fn
            ctx._next = (ea, b if fn is None else (fn, b._out_nr))
            ctx._meta = (ma, (bd.shape, bd.dtype))
            ctx.needs_input_grad = _TT
        else:
            ctx._next = (ea, None)
            ctx._meta = (ma, None)
            ctx.needs_input_grad = _TF
    else:
        fn = b.grad_fn
        ctx._next = (None, b if fn is None else (fn, b._out_nr))
        ctx._meta = (None, (bd.shape, bd.dtype))
        ctx.needs_input_grad = _FT
    out = cls.forward(ctx, ad, bd)
    if type(out) is not _ndarray and (isinstance(out, _generic) or type(out) is tuple):
        if type(out) is tuple:
            return _record(ctx, (a, b), None, out, out, False)
        return _record_scalar(ctx, out, (a, b), True)
    t = _new_tensor(Tensor)
    t._data = out
    t.grad = None
    t._out_nr = 0
    t._vc = None
    t._hooks = None
    if out.dtype.kind in "fc" or out.dtype is _BF16:
        t.grad_fn = ctx
        t._rg = True
    else:
        t.grad_fn = None
        t._rg = False
    ctx._out_meta = _ONE_OUTPUT
    if ctx._to_save is not None:
        res = (t,)
        ctx._saved = tuple(_resolve_saved(x, (a, b), res) for x in ctx._to_save)
        ctx._to_save = None
        if _saved_hooks:
            _pack_saved(ctx)
    return t


_TT, _TF, _FT = (True, True), (True, False), (False, True)
# A one-output node runs only once that output's gradient has arrived, so it never needs the
# output's shape and dtype to make zeros: this shared placeholder saves a tuple per op.
_ONE_OUTPUT = (None,)
_new_tensor = object.__new__


def _is_non_diff(arr, non_diff) -> bool:
    return any(arr is getattr(n, "_data", n) for n in non_diff)


def _record_scalar(ctx, out, args, need):
    """A forward that returned a NumPy scalar: record it as a 0-d array output."""
    arr = _np.asarray(out)
    if not need:
        return _make(arr)
    return _record(ctx, args, None, (arr,), (out,), True)


def _record(ctx, args, outs, arrays, raw, single):
    """Wrap the outputs of a recorded op, attach them to ``ctx`` and resolve what it saved."""
    non_diff = ctx._non_diff or ()
    dirty = ctx._dirty or ()
    results = []
    out_meta = []
    for i, arr in enumerate(arrays):
        if arr is None or not hasattr(arr, "dtype"):
            results.append(outs[i] if outs is not None else arr)
            out_meta.append(None)
            continue
        diff = (arr.dtype.kind in "fc" or arr.dtype is _BF16) and not any(
            arr is getattr(n, "_data", n) for n in non_diff
        )
        if outs is not None and isinstance(outs[i], Tensor):
            t = outs[i]
            if any(t is a for a in args) and not any(t is d for d in dirty):
                # an input returned as is: the output is a new tensor viewing it
                t = _make(arr)
                t._vc = outs[i]._vc
            if diff:
                t.grad_fn, t._out_nr, t._rg = ctx, i, True
            elif any(t is d for d in dirty):
                t.grad_fn, t._rg = None, False
        else:
            t = _make(arr, ctx if diff else None, i)
        results.append(t)
        out_meta.append((arr.shape, arr.dtype))
    ctx._out_meta = tuple(out_meta)
    if ctx._to_save is not None:
        res = tuple(results)
        ctx._saved = tuple(_resolve_saved(x, args, res, raw) for x in ctx._to_save)
        ctx._to_save = None
        if _saved_hooks:
            _pack_saved(ctx)
    return results[0] if single else tuple(results)


def _resolve_saved(x, args, results, raw=()):
    """Turn one save_for_backward item into (kind, obj, aux, version).

    kind 1: an input Tensor (kept as is, for double backward); kind 2: an output, kept as its
    array, with aux = (version counter, output index); kind 0: anything else, a constant.
    """
    if x is None:
        return (0, None, None, 0)
    for a in args:
        if isinstance(a, Tensor) and (x is a or a._data is x):
            vc = a._vc
            return (1, a, None, vc[0] if vc is not None else 0)
    for i, r in enumerate(results):
        if r is not None and (
            x is r or getattr(r, "_data", None) is x or (i < len(raw) and raw[i] is x)
        ):
            if r._vc is None:
                r._vc = [0]
            return (2, r._data, (r._vc, i), r._vc[0])
    return (0, x, None, 0)


# NOTE [ Saved-tensor hooks ]
# ember.autograd.graph.saved_tensors_hooks pushes (pack, unpack) here. Every op that saves
# something resolves its save_for_backward items into ``ctx._saved`` entries at one of four
# sites (the generic apply, _apply_first, apply_binary, _record); each then calls _pack_saved
# when a hook is active, which turns every saved Tensor into a kind-3 entry holding pack's
# result and the unpack hook that saved_tensors calls. Empty in ordinary use, so the hot path
# pays one truthiness test per op that saves.
_saved_hooks: list = []


def _pack_saved(ctx) -> None:
    """Replace each Tensor saved by ``ctx`` with what the innermost pack hook returns for it."""
    pack, unpack = _saved_hooks[-1]
    packed = []
    prev = state.enabled
    state.enabled = False  # as in PyTorch, pack runs without recording (and so never recurses)
    try:
        for entry in ctx._saved:
            kind, obj, aux, version = entry
            if kind == 1 or isinstance(obj, Tensor):
                t = obj
            elif kind == 2:
                t = _make(obj, ctx, aux[1])
                t._vc = aux[0]
            elif obj is not None and hasattr(obj, "shape") and hasattr(obj, "dtype"):
                t = _make(obj)  # an intermediate array (a mask, say): a Tensor for the hooks
            else:
                packed.append(entry)
                continue
            packed.append((3, pack(t), unpack, version))
    finally:
        state.enabled = prev
    ctx._saved = tuple(packed)


def _unpack_saved(unpack, obj):
    t = unpack(obj)
    if not isinstance(t, Tensor):
        raise TypeError(
            "Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
            f"{type(t).__name__}"
        )
    return t


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
                _make(o._data, _OnceDiffNode(o), 0) if o is not None else None for o in outs
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


def _OnceDiffNode(out):
    n = Node(_OnceDiff)
    n._out_meta = ((out._data.shape, out._data.dtype),)
    return n


# Tensor needs this module first (a cycle): the names are bound once ember._tensor exists.
def _bind_tensor():
    global Tensor, _make, check_same_device
    from .._tensor import Tensor, _make, check_same_device  # noqa: F811
