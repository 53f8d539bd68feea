"""Pictures of the autograd graph: Graphviz DOT text, and SVG/PNG through the ``dot`` binary.

Example:
    >>> a, b, x = (ember.randn(3, requires_grad=True) for _ in range(3))
    >>> print(to_dot((a + b) / x, params={"a": a, "b": b, "x": x}))  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

__all__ = ["to_dot", "render"]


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
