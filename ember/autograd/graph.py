"""The autograd graph: pictures of it (Graphviz DOT text, SVG/PNG through the ``dot`` binary)
and saved-tensor hooks (``saved_tensors_hooks``, ``save_on_cpu``), as ``torch.autograd.graph``.

Example:
    >>> a, b, x = (ember.randn(3, requires_grad=True) for _ in range(3))
    >>> print(to_dot((a + b) / x, params={"a": a, "b": b, "x": x}))  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from . import function as _function

__all__ = [
    "disable_saved_tensors_hooks",
    "render",
    "save_on_cpu",
    "saved_tensors_hooks",
    "to_dot",
]


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(t: Any) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def to_dot(
    tensors: Any, params: dict | None = None, name: str = "autograd", show_shapes: bool = True
) -> str:
    """The backward graph of ``tensors`` (a Tensor or a sequence of them) as Graphviz DOT text.

    Op nodes are the ``grad_fn`` names (``AddBackward0``); leaves are blue boxes labelled with
    their name in ``params`` (a dict name -> tensor, e.g. ``dict(model.named_parameters())``)
    and shape; the outputs are green.

    Example:
        >>> a = ember.ones(2, requires_grad=True)
        >>> "AddBackward0" in to_dot(a + a)
        True
    """
    from .._tensor import Tensor

    outs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    names = {id(v): k for k, v in (params or {}).items()}
    lines = [
        f"digraph {_quote(name)} {{",
        '  node [style=filled, shape=box, align=left, fontsize=10, fontname="monospace"];',
    ]
    seen: set = set()

    def leaf_id(t: Tensor) -> str:
        key = f"t{id(t)}"
        if key not in seen:
            seen.add(key)
            label = names.get(id(t), "")
            if show_shapes:
                label = f"{label}\n{_shape(t)}" if label else _shape(t)
            lines.append(f"  {key} [label={_quote(label or 'leaf')}, fillcolor=lightblue];")
        return key

    def visit(fn: Any) -> str:
        key = f"n{id(fn)}"
        if key in seen:
            return key
        seen.add(key)
        lines.append(f"  {key} [label={_quote(fn.name())}, fillcolor=lightgrey];")
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            var = getattr(nxt, "variable", None)
            src = leaf_id(var) if var is not None else visit(nxt)
            lines.append(f"  {src} -> {key};")
        return key

    for i, t in enumerate(outs):
        label = f"output {i}" if len(outs) > 1 else "output"
        if show_shapes:
            label += f"\n{_shape(t)}"
        key = f"out{i}"
        lines.append(f"  {key} [label={_quote(label)}, fillcolor=darkolivegreen1];")
        src = visit(t.grad_fn) if t.grad_fn is not None else leaf_id(t)
        lines.append(f"  {src} -> {key};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensors: Any, path: str, format: str = "svg", **kwargs: Any) -> str:
    """Write the autograd graph of ``tensors`` to ``path`` as SVG or PNG with Graphviz's ``dot``.

    Raises RuntimeError when the ``dot`` binary is not installed; ``kwargs`` go to ``to_dot``.

    Example:
        >>> render(loss, "graph.svg")  # doctest: +SKIP
        'graph.svg'
    """
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be 'svg', 'png' or 'pdf', got {format!r}")
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("rendering needs Graphviz's 'dot' binary (e.g. apt install graphviz)")
    subprocess.run(
        [exe, f"-T{format}", "-o", str(path)], input=to_dot(tensors, **kwargs).encode(), check=True
    )
    return str(path)


# -- saved-tensor hooks (NOTE [ Saved-tensor hooks ] in function.py) ---------------------------

_hooks_disabled_message: list = []  # set by disable_saved_tensors_hooks


class saved_tensors_hooks:
    """Context manager: ops recorded inside it pass each Tensor they save for backward through
    ``pack_hook`` (at forward time, without recording) and hand backward what ``unpack_hook``
    returns for the packed object. The innermost active pair wins.

    Example:
        >>> x = ember.ones(2, requires_grad=True)
        >>> with saved_tensors_hooks(lambda t: t.numpy(), lambda a: ember.from_numpy(a)):
        ...     y = (x * x).sum()
        >>> y.backward(); x.grad
        tensor([2., 2.])
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _hooks_disabled_message:
            raise RuntimeError(_hooks_disabled_message[-1])
        _function._saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: Any) -> None:
        _function._saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """Keep the tensors saved for backward in host memory and move them back when needed.

    On the CPU nothing moves (the saved tensors are kept as they are); CUDA tensors are copied
    to the host at forward time and back to their device in backward. ``pin_memory`` is
    accepted for compatibility (ember does not pin host memory).

    Example:
        >>> with save_on_cpu():
        ...     y = (ember.ones(2, requires_grad=True) * 2).sum()
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            if t.device.type == "cpu":
                return (None, t)
            return (t.device, t.cpu())

        def unpack(packed):
            device, t = packed
            return t if device is None else t.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Context manager in which entering ``saved_tensors_hooks`` raises RuntimeError(message).

    Example:
        >>> with disable_saved_tensors_hooks("no hooks here"):
        ...     pass
    """

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self) -> None:
        _hooks_disabled_message.append(self.error_message)

    def __exit__(self, *exc: Any) -> None:
        _hooks_disabled_message.pop()
