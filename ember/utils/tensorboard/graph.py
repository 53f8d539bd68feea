"""The model graph for TensorBoard's Graphs tab, from one traced forward pass.

Ops come from ``ember._trace`` (shared with the ONNX exporter). Node names are scoped by module
path (``Net/encoder/0/Linear_1``) so TensorBoard folds each submodule into a box; every node
carries ``_output_shapes`` so the edges show tensor shapes.
"""

from __future__ import annotations

from typing import Any


def _flatten(obj: Any, prefix: str) -> list:
    """(name, tensor) pairs of a model's output: a Tensor, or tuples/lists/dicts of them."""
    from ..._tensor import Tensor

    if isinstance(obj, Tensor):
        return [(prefix, obj)]
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (tuple, list)):
        items = enumerate(obj)
    else:
        return []
    return [p for k, v in items for p in _flatten(v, f"{prefix}.{k}")]


def _prep(x: Any) -> Any:
    # Inputs that require grad keep every op on the recorded path (see ember._trace's note).
    from ..._tensor import Tensor

    if isinstance(x, Tensor) and x.dtype.is_floating_point:
        return x.detach().requires_grad_(True)
    return x


def graph_def(model: Any, input_to_model: Any = None, verbose: bool = False):
    """A tensorboardX ``GraphDef`` of ``model(*inputs)``, grouped by module path.

    Example:
        >>> gd = graph_def(ember.nn.Linear(3, 2), ember.randn(4, 3))  # doctest: +SKIP
        >>> [n.op for n in gd.node]  # doctest: +SKIP
    """
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef

    from ... import enable_grad
    from ..._tensor import Tensor
    from ..._trace import trace

    if input_to_model is None:
        args: tuple = ()
    elif isinstance(input_to_model, (tuple, list)):
        args = tuple(input_to_model)
    else:
        args = (input_to_model,)
    args = tuple(_prep(a) for a in args)
    # traced in eval mode, as PyTorch does: no dropout, no batch-norm statistics update
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with enable_grad(), trace(model) as t:
            out = model(*args)
    finally:
        model.train(was_training)

    root = type(model).__name__
    nodes: list = []
    producer: dict = {}  # id(tensor) -> node name; ``t.records`` keeps the tensors alive
    counts: dict = {}

    def add(name: str, op: str, inputs: list, outs: list, **attrs: str) -> str:
        shapes = [
            TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(s)) for s in o.shape]) for o in outs
        ]
        attr = {"_output_shapes": AttrValue(list=AttrValue.ListValue(shape=shapes))}
        if outs:
            attrs = {"dtype": str(outs[0].dtype).replace("ember.", ""), **attrs}
        if attrs:
            # one free-text attribute, as PyTorch's exporter does: TensorBoard parses the
            # well-known keys (``dtype`` is an enum there)
            text = ", ".join(f"{k}: {v}" for k, v in attrs.items())
            attr["attr"] = AttrValue(s=("{" + text + "}").encode())
        nodes.append(NodeDef(name=name, op=op, input=inputs, attr=attr))
        for o in outs:
            producer[id(o)] = name
        return name

    def unique(base: str) -> str:
        k = counts.get(base, 0)
        counts[base] = k + 1
        return f"{base}_{k}"

    def scope(path: str) -> str:
        return root + ("/" + path.replace(".", "/") if path else "")

    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            add(f"input/input.{i}", "IO Node", [], [a])
    owned = {id(v): (k, "Parameter") for k, v in model.named_parameters()}
    owned.update({id(v): (k, "Buffer") for k, v in model.named_buffers()})

    def source(x: Tensor, here: str) -> str:
        name = producer.get(id(x))
        if name is not None:
            return name
        if id(x) in owned:
            path, kind = owned[id(x)]
            return add(scope(path), kind, [], [x])
        return add(unique(f"{here}/Constant"), "Constant", [], [x])

    for r in t.records:
        here = scope(r.module_path)
        flat = []
        for a in r.args:
            flat.extend(a if isinstance(a, (tuple, list)) else (a,))
        ins = [source(a, here) for a in flat if isinstance(a, Tensor)]
        outs = [o for o in r.outputs if isinstance(o, Tensor)]
        op = r.op.__name__.lstrip("_")
        extra = {"module": r.module_type} if r.module_type else {}
        if verbose:
            extra["args"] = repr([getattr(a, "shape", a) for a in flat])
        add(unique(f"{here}/{op}"), op, ins, outs, **extra)

    for name, o in _flatten(out, "output"):
        add(f"output/{name}", "IO Node", [source(o, root)], [o])
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
