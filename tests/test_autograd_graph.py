"""ember.autograd.graph: DOT text of the backward graph, checked against PyTorch's graph."""

from __future__ import annotations

import re
import shutil

import pytest

import ember
from ember.autograd import graph
from tests.conftest import to_torch


def _edges(dot):
    labels = dict(re.findall(r"(\w+) \[label=\"([^\"]*)\"", dot))
    edges = re.findall(r"(\w+) -> (\w+);", dot)
    return labels, {(labels[a].split("\\n")[0], labels[b].split("\\n")[0]) for a, b in edges}


def _torch_edges(outs, names, out_names=("output",)):
    # the same picture from PyTorch's grad_fn graph, leaves named like ours
    edges = {(o.grad_fn.name(), n) for o, n in zip(outs, out_names)}
    stack, seen = [o.grad_fn for o in outs], set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            if hasattr(nxt, "variable"):
                edges.add((names[id(nxt.variable)], fn.name()))
            else:
                edges.add((nxt.name(), fn.name()))
                stack.append(nxt)
    return edges


def test_a_plus_b_over_x_matches_pytorch():
    a, b, x = (ember.randn(3, requires_grad=True) for _ in range(3))
    dot = graph.to_dot((a + b) / x, params={"a": a, "b": b, "x": x})
    assert dot.startswith('digraph "autograd" {') and dot.rstrip().endswith("}")
    labels, edges = _edges(dot)
    assert sorted(labels.values()) == sorted(
        ["output\\n(3)", "DivBackward0", "AddBackward0", "a\\n(3)", "b\\n(3)", "x\\n(3)"]
    )
    ta, tb, tx = (to_torch(t) for t in (a, b, x))
    expect = _torch_edges([(ta + tb) / tx], {id(ta): "a", id(tb): "b", id(tx): "x"})
    assert edges == expect


def test_shared_subgraph_drawn_once_and_unnamed_leaves():
    w = ember.randn(2, 2, requires_grad=True)
    h = (w * 2).exp()
    dot = graph.to_dot([h.sum(), h.tanh()], show_shapes=False)
    labels, edges = _edges(dot)
    assert list(labels.values()).count("ExpBackward0") == 1
    tw = to_torch(w)
    th = (tw * 2).exp()
    assert edges == _torch_edges([th.sum(), th.tanh()], {id(tw): "leaf"}, ("output 0", "output 1"))


def test_render_needs_dot(tmp_path, monkeypatch):
    y = ember.ones(2, requires_grad=True) * 3
    with pytest.raises(ValueError, match="jpeg"):
        graph.render(y, tmp_path / "g.jpeg", format="jpeg")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="dot"):
        graph.render(y, tmp_path / "g.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_with_dot(tmp_path, fmt, magic):
    a, b, x = (ember.randn(3, requires_grad=True) for _ in range(3))
    out = graph.render((a + b) / x, tmp_path / f"g.{fmt}", format=fmt)
    assert magic in open(out, "rb").read()[:400]
