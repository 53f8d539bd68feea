"""Record every primitive op a piece of code runs (the dynamic graph), with its module path.

Used by ONNX export and TensorBoard's ``add_graph``. Nothing in the core knows about it: for
the duration of the ``with`` block, ``Function.apply`` (and the binary fast path that skips it)
and ``Module.__call__`` are wrapped, and restored afterwards.

Ops whose inputs all lack ``requires_grad`` may take fast paths that bypass ``apply``; callers
that need a complete graph run the code on inputs that require grad (see ``ember.onnx``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

__all__ = ["OpRecord", "tensor_key", "trace"]

# Comparisons and arg-reductions are plain functions (no Function node: their results have no
# gradient); they are recorded too, as an ``op`` class of the given name, so that masks and
# indices stay part of the graph.
_PLAIN = {
    "elementwise": {
        "eq": "Equal",
        "ne": "NotEqual",
        "lt": "Less",
        "le": "LessOrEqual",
        "gt": "Greater",
        "ge": "GreaterOrEqual",
        "logical_and": "LogicalAnd",
        "logical_or": "LogicalOr",
        "logical_xor": "LogicalXor",
        "logical_not": "LogicalNot",
    },
    "reduce": {"argmax": "ArgMax", "argmin": "ArgMin"},
}
_PLAIN_OPS = {
    (m, n): type(c, (), {"_raw": True, "__doc__": f"``{n}`` (recorded)"})
    for m, names in _PLAIN.items()
    for n, c in names.items()
}


def tensor_key(t):
    """A tensor's identity in a trace: its autograd node and output slot if it has a node.

    Example:
        >>> t = ember.ones(2)
        >>> ember._trace.tensor_key(t) == id(t)
        True
    """
    fn = getattr(t, "grad_fn", None)
    return id(t) if fn is None else (fn, t._out_nr)


def _keys(objs) -> tuple:
    return tuple(tensor_key(o) if hasattr(o, "_data") else None for o in objs)


@dataclass
class OpRecord:
    """One primitive application: ``op.apply(*args, **kwargs) -> outputs``, in ``module_path``."""

    op: type
    args: tuple
    kwargs: dict
    outputs: tuple
    module_path: str = ""
    module_type: str = ""
    # Identity of each argument/output when recorded, stable under in-place ops (which rebind
    # a Tensor object to a new autograd node): ``(grad_fn, output_nr)``, or ``id(tensor)`` for a
    # tensor without grad_fn; None for non-tensors.
    arg_keys: tuple = ()
    out_keys: tuple = ()


@dataclass
class trace:
    """Context manager recording, in order, every Primitive applied inside it.

    ``module_path`` is the dotted name of the innermost running submodule of ``root`` (as in
    ``named_modules``; "" for the root or outside any module).

    Example:
        >>> with ember._trace.trace(model) as t:
        ...     y = model(x)
        >>> [r.op.__name__ for r in t.records]
    """

    root: object = None
    records: list = field(default_factory=list)

    def __enter__(self) -> trace:
        from .autograd import function as fmod
        from .nn.modules.module import Module

        names = {}
        if self.root is not None:
            names = {id(m): n for n, m in self.root.named_modules()}
        stack: list = [("", "")]
        depth = [0]
        records = self.records
        orig_apply = fmod.Function.__dict__["apply"]
        orig_binary = fmod.apply_binary
        orig_call = Module.__dict__["__call__"]

        def record(cls, args, kwargs, out):
            outs = out if isinstance(out, tuple) else (out,)
            path, typ = stack[-1]
            records.append(
                OpRecord(cls, args, dict(kwargs), outs, path, typ, _keys(args), _keys(outs))
            )

        def apply(cls, *args, **kwargs):
            if depth[0] or not cls._raw:
                depth[0] += 1
                try:
                    return orig_apply.__func__(cls, *args, **kwargs)
                finally:
                    depth[0] -= 1
            depth[0] += 1
            try:
                out = orig_apply.__func__(cls, *args, **kwargs)
            finally:
                depth[0] -= 1
            record(cls, args, kwargs, out)
            return out

        def binary(cls, a, b):
            depth[0] += 1
            try:
                out = orig_binary(cls, a, b)
            finally:
                depth[0] -= 1
            if not depth[0]:
                record(cls, (a, b), {}, out)
            return out

        def call(mod, *args, **kwargs):
            name = names.get(id(mod))
            if name is None:
                return orig_call(mod, *args, **kwargs)
            stack.append((name, type(mod).__name__))
            try:
                return orig_call(mod, *args, **kwargs)
            finally:
                stack.pop()

        def compare(fn, cls):
            def wrapped(*args, **kwargs):
                out = fn(*args, **kwargs)
                if not depth[0] and out is not NotImplemented:
                    record(cls, args, kwargs, out)
                return out

            return wrapped

        import importlib

        from ._tensor import Tensor

        cmp = {}
        for (m, n), cls in _PLAIN_OPS.items():
            fn = getattr(importlib.import_module(f"ember.ops.{m}"), n)
            cmp[id(fn)] = (fn, compare(fn, cls))
        # Modules that imported ``apply_binary`` by name get the wrapper too.
        self._patched = [(fmod.Function, "apply", orig_apply), (Module, "__call__", orig_call)]
        for mod in list(sys.modules.values()):
            if (
                mod is not fmod
                and getattr(mod, "__name__", "").startswith("ember")
                and getattr(mod, "apply_binary", None) is orig_binary
            ):
                self._patched.append((mod, "apply_binary", orig_binary))
        cmp_patches = []
        for space in [Tensor] + [
            m for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("ember")
        ]:
            for attr, val in list(vars(space).items()):
                hit = cmp.get(id(val))
                if hit is not None and hit[0] is val:
                    cmp_patches.append((space, attr, val, hit[1]))
        fmod.Function.apply = classmethod(apply)
        Module.__call__ = call
        for obj, attr, _ in self._patched[2:]:
            setattr(obj, attr, binary)
        for obj, attr, orig, new in cmp_patches:
            setattr(obj, attr, new)
            self._patched.append((obj, attr, orig))
        return self

    def __exit__(self, *exc) -> None:
        for obj, attr, orig in self._patched:
            setattr(obj, attr, orig)
        self._patched = []
