"""The backward engine: walks the graph from the outputs in dependency order.

A node runs once every consumer of its outputs has sent its gradient, so each node's backward
sees the summed gradient. Broadcasting is undone here, once, for every op (``_fit``).
"""

from __future__ import annotations

import sys

import numpy as np

from .function import Node
from .grad_mode import state


def _fit(g, shape, np_dtype):
    """Sum ``g`` down to ``shape`` (undoing broadcasting) and cast it to the input's dtype."""
    if g._data.shape != shape:
        g = g.sum_to_size(shape)
    if g._data.dtype != np_dtype:
        from .._dtype import from_numpy

        if g._data.dtype.kind == "c" and np_dtype.kind != "c":
            g = g.real  # as PyTorch: a real input gets the real part of a complex gradient
            if g._data.dtype == np_dtype:
                return g
        g = g.to(from_numpy(np_dtype))
    return g


def _owned(g, handed: set):
    """A Tensor holding ``g``'s values whose array nobody else holds (safe to store as .grad)."""
    from .._tensor import _make

    a = g._data
    if getattr(a.flags, "writeable", True) and id(a) not in handed:
        if a.base is None:
            handed.add(id(a))
            return g if g.grad_fn is None else _make(a)
        if _sole_view(a):
            handed.add(id(a))
            return _make(a)
    return _make(a.copy())


def _sole_view(a) -> bool:
    """True when ``a`` is a contiguous NumPy view of a whole array that nothing else holds.

    A backward that reshapes its GEMM result (conv and linear weight gradients) returns such a
    view; storing it as ``.grad`` is as safe as storing the array itself, and saves a copy of
    the weights' size per step (~7 ms of the MNIST step). CPython's reference count tells: the
    base is held by the view alone when the count is 2 (the view, getrefcount's argument).
    """
    return (
        type(a) is np.ndarray
        and type(a.base) is np.ndarray
        and a.base.base is None
        and a.flags.c_contiguous
        and a.nbytes == a.base.nbytes
        and sys.getrefcount(a.base) == 2
    )


def _check_nan(node, i, g):
    from ..backend import xp_of

    if xp_of(g._data).isnan(g._data).any():
        raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True):
    """Propagate ``root_grads`` from ``roots`` through the graph.

    ``capture`` maps a leaf Tensor's id, or ``(node, output_index)`` for a non-leaf, to a slot;
    captured gradients are returned in a dict instead of being accumulated into ``.grad``.
    """
    from .._tensor import Tensor

    captured = {}
    handed = set()
    buffers = {}
    roots_nodes = []
    for t, g in zip(roots, root_grads):
        handed.add(id(g._data))
        fn = t.grad_fn
        if fn is None:
            _deliver_leaf(t, g, create_graph, capture, captured, accumulate, handed)
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._out_meta)
            roots_nodes.append(fn)
        nr = t._out_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    # Count, for each node, how many edges point at it from the part of the graph we will run.
    deps = {}
    stack = list(roots_nodes)
    seen = set(stack)
    while stack:
        n = stack.pop()
        for e in n._next:
            if type(e) is tuple:
                m = e[0]
                deps[m] = deps.get(m, 0) + 1
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
    ready = [n for n in roots_nodes if n not in deps]

    prev = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            hooks = node._out_hooks
            if hooks:
                for i, hs in hooks.items():
                    for h in hs:
                        r = h(grads[i])
                        if r is not None:
                            grads[i] = r
            if capture:
                for i, g in enumerate(grads):
                    slot = capture.get((node, i))
                    if slot is not None and g is not None:
                        captured[slot] = g if slot not in captured else captured[slot] + g
            if node.materialize_grads and None in grads:
                _materialize(grads, node._out_meta)
            res = node._fn.backward(node, *grads)
            grads = buf = None  # results that are views of these may own memory (_sole_view)
            if not isinstance(res, tuple):
                res = (res,)
            nxt = node._next
            if len(res) < len(nxt):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {len(nxt)}, got {len(res)})"
                )
            if not retain_graph:
                node._release()
            for i, e in enumerate(nxt):
                if e is None:
                    continue
                g = res[i]
                if g is None:
                    if type(e) is tuple:
                        _done_edge(e[0], deps, ready, buffers)
                    continue
                if not isinstance(g, Tensor):
                    raise TypeError(
                        f"{node.name()} backward returned {type(g).__name__}, "
                        "expected a Tensor or None"
                    )
                shape, dt = node._meta[i]
                g = _fit(g, shape, dt)
                if state.anomaly:
                    _check_nan(node, i, g)
                if type(e) is tuple:
                    m, nr = e
                    buf = buffers.get(m)
                    if buf is None:
                        buf = buffers[m] = [None] * len(m._out_meta)
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                    _done_edge(m, deps, ready, buffers)
                else:
                    _deliver_leaf(e, g, create_graph, capture, captured, accumulate, handed)
    finally:
        state.enabled = prev
    return captured


def _done_edge(m, deps, ready, buffers):
    left = deps[m] - 1
    deps[m] = left
    if left == 0:
        if m in buffers:
            ready.append(m)
        else:
            # Every consumer sent None: the node's inputs get no gradient from here.
            for e in m._next:
                if type(e) is tuple:
                    _done_edge(e[0], deps, ready, buffers)


def _materialize(grads, out_meta):
    """Zeros for the outputs that got no gradient (on the device of one that did)."""
    from .._tensor import _make
    from ..backend import xp_of

    like = next(g._data for g in grads if g is not None)
    xp = xp_of(like)
    for i, g in enumerate(grads):
        if g is None and out_meta[i] is not None:
            shape, dt = out_meta[i]
            grads[i] = _make(xp.zeros_like(like, dtype=dt, shape=shape))


def _deliver_leaf(t, g, create_graph, capture, captured, accumulate, handed):
    post = False
    if t._hooks:
        from .._tensor import _PostAccumulateHook

        for h in t._hooks:
            if type(h) is _PostAccumulateHook:
                post = True
                continue
            r = h(g)
            if r is not None:
                g = r
    if capture is not None:
        slot = capture.get(id(t))
        if slot is not None:
            captured[slot] = g if slot not in captured else captured[slot] + g
        if not accumulate:
            return
        if slot is None:
            return
    if not accumulate:
        return
    if t.grad is None:
        t.grad = g if create_graph else _owned(g, handed)
    elif create_graph:
        t.grad = t.grad + g
    else:
        from .._tensor import _make

        # Out of place: the old .grad's array may be shared with a gradient still in flight.
        t.grad = _make(t.grad._data + g._data)
    if post:
        _run_post_accumulate(t)


def _run_post_accumulate(t):
    from .._tensor import _PostAccumulateHook

    for h in list(t._hooks):
        if type(h) is _PostAccumulateHook and h.fn(t) is not None:
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (or ``inputs``).

    Example:
        >>> ember.autograd.backward([loss])
    """
    from .._tensor import Tensor

    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grads = _make_grads(tensors, list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    capture = None
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        inputs = list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        capture = _capture_map(inputs)
    got = run_backward(
        tensors, grads, retain_graph, create_graph, capture, accumulate=inputs is None
    )
    if inputs is not None:
        for t in inputs:
            g = got.get(capture[_capture_key(t)])
            if g is None:
                continue
            if not create_graph:
                g = g.detach()
            t.grad = g if t.grad is None else t.grad + g


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    Example:
        >>> x = ember.tensor(2.0, requires_grad=True)
        >>> ember.autograd.grad(x ** 3, x)
        (tensor(12.),)
    """
    from .._tensor import Tensor

    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    single_in = isinstance(inputs, Tensor)
    inputs = [inputs] if single_in else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad() expects Tensors as inputs, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    capture = _capture_map(inputs)
    got = run_backward(outputs, grads, retain_graph, create_graph, capture, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = got.get(capture[_capture_key(t)])
        if g is None:
            if materialize_grads:
                g = t.new_zeros(t.shape)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _capture_key(t):
    return id(t) if t.grad_fn is None else (t.grad_fn, t._out_nr)


def _capture_map(inputs):
    """Where each input's gradient is collected (an input listed twice shares its first slot)."""
    cap = {}
    for i, t in enumerate(inputs):
        cap.setdefault(_capture_key(t), i)
    return cap


def _make_grads(outputs, grads):
    from .._tensor import Tensor, _make
    from ..backend import xp_of

    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad_tensors should have the same length as tensors: {len(grads)} vs {len(outputs)}"
        )
    res = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = _make(xp_of(t._data).ones(t._data.shape, t._data.dtype))
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        elif g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}."
            )
        res.append(g)
    return res


__all__ = ["backward", "grad", "Node"]
