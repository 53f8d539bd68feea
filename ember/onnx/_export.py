"""ONNX export: run the model once under ``ember._trace`` and map each primitive to ONNX nodes."""

from __future__ import annotations

import enum
import functools
import math

import numpy as np

from .._trace import tensor_key, trace


class TrainingMode(enum.IntEnum):
    """Which mode the model is exported in (PyTorch's ``torch.onnx.TrainingMode``).

    Example:
        >>> ember.onnx.export(model, x, "m.onnx", training=ember.onnx.TrainingMode.EVAL)
    """

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class UnsupportedOperatorError(RuntimeError):
    """An op has no ONNX mapping (export) or no ember implementation (import)."""


MIN_OPSET = 17


@functools.lru_cache(maxsize=1)
def default_opset() -> int:
    """The newest opset both the installed onnx and onnxruntime support (at least 17).

    Example:
        >>> ember.onnx.default_opset() >= 17
        True
    """
    import onnx
    from onnx import helper

    top = onnx.defs.onnx_opset_version()
    try:
        import onnxruntime as ort
    except ImportError:
        return top
    for v in range(top, MIN_OPSET - 1, -1):
        node = helper.make_node("Relu", ["x"], ["y"])
        t = helper.make_tensor_value_info
        g = helper.make_graph(
            [node], "probe", [t("x", onnx.TensorProto.FLOAT, [1])], [t("y", 1, [1])]
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", v)])
        m.ir_version = min(m.ir_version, onnx.IR_VERSION)
        try:
            ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
            return v
        except Exception:
            continue
    return MIN_OPSET


def _key(t):
    """A tensor's identity in the graph, as the tracer keys it (its current autograd node)."""
    return tensor_key(t)


def _is_tensor(x) -> bool:
    return hasattr(x, "_data") and hasattr(x, "grad_fn")


def _np(a):
    # CuPy arrays copy to the host with .get(); everything else is already NumPy
    return a if isinstance(a, (np.ndarray, np.generic)) else a.get()


class _Builder:
    """Accumulates nodes/initializers; names tensors by identity."""

    def __init__(self, opset: int, fold: bool):
        self.opset = opset
        self.fold = fold
        self.nodes: list = []
        self.inits: dict = {}  # name -> (array, is_buffer)
        self.names: dict = {}  # id(tensor) -> name
        self.live: set = set()  # ids of tensors computed from inputs or state
        self.keep: list = []
        self.cur: dict = {}  # id(tensor) -> its key when the record being emitted ran
        self.n = 0

    def fresh(self, hint: str) -> str:
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, arr, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.inits[name] = (np.array(_np(arr), order="C"), None)
        return name

    def ints(self, vals) -> str:
        return self.const(np.asarray(list(vals), dtype=np.int64), "shape")

    def name(self, t) -> str:
        key = self.cur.get(id(t)) or _key(t)
        if key not in self.names:  # a tensor made inside forward: a constant
            self.keep.append(t)
            self.names[key] = self.const(t._data)
        return self.names[key]

    def node(self, op: str, inputs, n_out: int = 1, path: str = "", **attrs) -> list:
        from onnx import helper

        outs = [self.fresh(op) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(
            helper.make_node(op, list(inputs), outs, name=self.fresh(path or op), **attrs)
        )
        return outs


_UNARY = {
    "Exp": "Exp",
    "Log": "Log",
    "Sqrt": "Sqrt",
    "Sin": "Sin",
    "Cos": "Cos",
    "Tan": "Tan",
    "Asin": "Asin",
    "Acos": "Acos",
    "Atan": "Atan",
    "Sinh": "Sinh",
    "Cosh": "Cosh",
    "Asinh": "Asinh",
    "Acosh": "Acosh",
    "Atanh": "Atanh",
    "Tanh": "Tanh",
    "Sigmoid": "Sigmoid",
    "Erf": "Erf",
    "Abs": "Abs",
    "Neg": "Neg",
    "Reciprocal": "Reciprocal",
    "Sign": "Sign",
    "Floor": "Floor",
    "Ceil": "Ceil",
    "Round": "Round",
    "_Relu": "Relu",
    "Alias": "Identity",
    "Contiguous": "Identity",
    "Clone": "Identity",
}
_BINARY = {
    "Add": "Add",
    "Sub": "Sub",
    "Mul": "Mul",
    "Div": "Div",
    "Pow": "Pow",
    "Maximum": "Max",
    "Minimum": "Min",
    "MatMul": "MatMul",
}


_CMP = {
    "Equal": "Equal",
    "NotEqual": "Equal",
    "Less": "Less",
    "LessOrEqual": "LessOrEqual",
    "Greater": "Greater",
    "GreaterOrEqual": "GreaterOrEqual",
    "LogicalAnd": "And",
    "LogicalOr": "Or",
    "LogicalXor": "Xor",
    "LogicalNot": "Not",
}


def _bool(b, t, path) -> str:
    if _is_tensor(t) and _np(t._data).dtype == np.bool_:
        return b.name(t)
    return b.node("Cast", [_operand(b, t, np.bool_)], path=path, to=9)[0]


def _operand(b: _Builder, x, dtype) -> str:
    if _is_tensor(x):
        return b.name(x)
    return b.const(np.asarray(_np(x) if hasattr(x, "shape") else x, dtype=dtype))


def _axes(b, op, x, axes, keepdims, path):
    """A Reduce* node, axes as an input (opset 18; ReduceSum since 13) or as an attribute."""
    kw = {"keepdims": int(keepdims)}
    if axes is None:
        return b.node(op, [x], path=path, **kw)[0]
    axes = [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
    if op == "ReduceSum" or b.opset >= 18:
        return b.node(op, [x, b.ints(axes)], path=path, **kw)[0]
    return b.node(op, [x], path=path, axes=axes, **kw)[0]


def _reshape_target(in_shape, out_shape, alt_shape=None) -> list:
    """The Reshape node's shape: leading dims the reshape keeps are copied (0), and the one
    dim that changed in the probe run (it follows a dynamic axis) becomes -1."""
    if 0 in out_shape:
        return list(out_shape)  # an empty dim would read as "copy"
    tgt = list(out_shape)
    for i, (a, c) in enumerate(zip(in_shape, out_shape)):
        if a != c:
            break
        tgt[i] = 0
    if alt_shape is not None and len(alt_shape) == len(out_shape):
        moved = [i for i, (c, d) in enumerate(zip(out_shape, alt_shape)) if c != d and tgt[i]]
        if len(moved) == 1:
            tgt[moved[0]] = -1
    return tgt


def _index(b: _Builder, x: str, shape, key, path) -> str:
    if not isinstance(key, tuple):
        key = (key,)
    key = tuple(_np(k._data) if _is_tensor(k) else k for k in key)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_real) + key[i + 1 :]
    arrays = [k for k in key if hasattr(k, "shape") and getattr(k, "ndim", 0) > 0]
    if len(arrays) > 1 or any(getattr(k, "dtype", None) == np.bool_ for k in arrays):
        raise UnsupportedOperatorError(
            f"ONNX export: advanced indexing with several or boolean index arrays is not "
            f"supported (in module '{path}')"
        )
    ax, dim = 0, 0
    for k in key:
        if k is None:
            x = b.node("Unsqueeze", [x, b.ints([ax])], path=path)[0]
            ax += 1
        elif isinstance(k, slice):
            n = shape[dim]
            start, stop, step = k.indices(n)
            if (start, stop, step) != (0, n, 1):
                if step < 0 and stop < 0:
                    stop = -(2**62)
                x = b.node(
                    "Slice",
                    [x, b.ints([start]), b.ints([stop]), b.ints([ax]), b.ints([step])],
                    path=path,
                )[0]
            ax += 1
            dim += 1
        elif hasattr(k, "shape") and k.ndim > 0:
            idx = b.const(np.asarray(k, dtype=np.int64))
            x = b.node("Gather", [x, idx], path=path, axis=ax)[0]
            ax += k.ndim
            dim += 1
        else:
            idx = b.const(np.asarray(int(k), dtype=np.int64))
            x = b.node("Gather", [x, idx], path=path, axis=ax)[0]
            dim += 1
    return x


def _emit(b: _Builder, rec, alt=None) -> list:
    """ONNX nodes for one record; returns the names of its outputs."""
    op = rec.op.__name__
    a = rec.args
    path = rec.module_path
    out0 = rec.outputs[0]
    dt = _np(out0._data).dtype if _is_tensor(out0) else np.float32
    if op in _UNARY:
        return b.node(_UNARY[op], [b.name(a[0])], path=path)
    if op in _BINARY:
        dts = [_np(t._data).dtype for t in a[:2] if _is_tensor(t)]
        return b.node(
            _BINARY[op], [_operand(b, t, dts[0] if dts else dt) for t in a[:2]], path=path
        )
    if op in _CMP:
        x = b.name(a[0]) if _is_tensor(a[0]) else None
        if op == "LogicalNot":
            return b.node("Not", [_bool(b, a[0], path)], path=path)
        if op.startswith("Logical"):
            return b.node(_CMP[op], [_bool(b, t, path) for t in a[:2]], path=path)
        ref = next(t for t in a[:2] if _is_tensor(t))
        rdt = _np(ref._data).dtype
        ins = [_operand(b, t, rdt) for t in a[:2]]
        if op == "NotEqual":
            return b.node("Not", b.node("Equal", ins, path=path), path=path)
        return b.node(_CMP[op], ins, path=path)
    if op in ("ArgMax", "ArgMin"):
        dim = rec.kwargs.get("dim", a[1] if len(a) > 1 else None)
        keep = bool(rec.kwargs.get("keepdim", a[2] if len(a) > 2 else False))
        x = b.name(a[0])
        if dim is None:
            x = b.node("Reshape", [x, b.ints([-1])], path=path)[0]
            y = b.node(op, [x], path=path, axis=0, keepdims=0)[0]
            if keep:
                y = b.node("Reshape", [y, b.ints([1] * a[0].ndim)], path=path)[0]
            return [y]
        return b.node(op, [x], path=path, axis=int(dim), keepdims=int(keep))
    if op == "Trunc":
        x = b.name(a[0])
        f = b.node("Floor", b.node("Abs", [x], path=path), path=path)[0]
        return b.node("Mul", [b.node("Sign", [x], path=path)[0], f], path=path)
    if op == "Rsqrt":
        s = b.node("Sqrt", [b.name(a[0])], path=path)[0]
        return b.node("Reciprocal", [s], path=path)
    if op in ("Log1p", "Expm1", "Log2", "Log10", "Exp2"):
        x = b.name(a[0])
        one = b.const(np.asarray(1, dt))
        if op == "Log1p":
            return b.node("Log", b.node("Add", [x, one], path=path), path=path)
        if op == "Expm1":
            return b.node("Sub", [b.node("Exp", [x], path=path)[0], one], path=path)
        if op == "Exp2":
            return b.node("Pow", [b.const(np.asarray(2, dt)), x], path=path)
        c = b.const(np.asarray(1 / math.log(2.0 if op == "Log2" else 10.0), dt))
        return b.node("Mul", [b.node("Log", [x], path=path)[0], c], path=path)
    if op == "Where":
        c = b.node("Cast", [_operand(b, a[0], np.bool_)], path=path, to=9)[0]
        return b.node("Where", [c, _operand(b, a[1], dt), _operand(b, a[2], dt)], path=path)
    if op == "ClampScalar":
        lo = "" if a[1] is None else b.const(np.asarray(a[1], dt))
        hi = "" if a[2] is None else b.const(np.asarray(a[2], dt))
        return b.node("Clip", [b.name(a[0]), lo, hi], path=path)
    if op == "ToCopy":
        from onnx import helper

        return b.node("Cast", [b.name(a[0])], path=path, to=helper.np_dtype_to_tensor_dtype(dt))
    if op == "Reshape":
        tgt = _reshape_target(a[0].shape, out0.shape, alt and alt.outputs[0].shape)
        return b.node("Reshape", [b.name(a[0]), b.ints(tgt)], path=path)
    if op == "Permute":
        return b.node("Transpose", [b.name(a[0])], path=path, perm=[int(d) for d in a[1]])
    if op == "Expand":
        ins, outs = tuple(a[0].shape), tuple(out0.shape)
        pad = (1,) * (len(outs) - len(ins)) + ins
        tgt = [1 if i == o else o for i, o in zip(pad, outs)]
        return b.node("Expand", [b.name(a[0]), b.ints(tgt)], path=path)
    if op == "Cat":
        return b.node("Concat", [b.name(t) for t in a[1:]], path=path, axis=int(a[0]))
    if op == "Linear":
        w = b.node("Transpose", [b.name(a[1])], path=path, perm=[1, 0])[0]
        y = b.node("MatMul", [b.name(a[0]), w], path=path)
        return y if a[2] is None else b.node("Add", [y[0], b.name(a[2])], path=path)
    if op == "_MSELoss":
        d = b.node("Sub", [b.name(a[0]), b.name(a[1])], path=path)[0]
        sq = b.node("Mul", [d, d], path=path)
        if a[2] == "none":
            return sq
        red = "ReduceMean" if a[2] == "mean" else "ReduceSum"
        return b.node(red, sq, path=path, keepdims=0)
    if op == "Stack":
        axis = b.ints([int(a[0])])
        parts = [b.node("Unsqueeze", [b.name(t), axis], path=path)[0] for t in a[1:]]
        return b.node("Concat", parts, path=path, axis=int(a[0]))
    if op == "Flip":
        dims = [int(d) for d in a[1]]
        n = len(dims)
        return b.node(
            "Slice",
            [
                b.name(a[0]),
                b.ints([-1] * n),
                b.ints([-(2**62)] * n),
                b.ints(dims),
                b.ints([-1] * n),
            ],
            path=path,
        )
    if op == "Repeat":
        x = b.name(a[0])
        reps = [int(r) for r in a[1]]
        extra = len(reps) - a[0].ndim
        if extra > 0:
            x = b.node("Unsqueeze", [x, b.ints(range(extra))], path=path)[0]
        return b.node("Tile", [x, b.ints(reps)], path=path)
    if op == "Index":
        return [_index(b, b.name(a[0]), tuple(a[0].shape), a[1], path)]
    if op == "Gather":
        idx = _operand(b, a[2], np.int64)
        return b.node("GatherElements", [b.name(a[0]), idx], path=path, axis=int(a[1]))
    if op == "IndexSelect":
        idx = _operand(b, a[2], np.int64)
        return b.node("Gather", [b.name(a[0]), idx], path=path, axis=int(a[1]))
    if op == "Einsum":
        return b.node("Einsum", [b.name(t) for t in a[1:]], path=path, equation=a[0])
    if op == "Sum":
        x = b.name(a[0])
        if a[3] is not None and np.dtype(a[3]) != _np(a[0]._data).dtype:
            from onnx import helper

            x = b.node("Cast", [x], path=path, to=helper.np_dtype_to_tensor_dtype(dt))[0]
        return [_axes(b, "ReduceSum", x, a[1], a[2], path)]
    if op == "AMax":
        return [_axes(b, "ReduceMax" if a[3] else "ReduceMin", b.name(a[0]), a[1], a[2], path)]
    if op == "Prod":
        return [_axes(b, "ReduceProd", b.name(a[0]), a[1], a[2], path)]
    if op == "Norm2":
        return [_axes(b, "ReduceL2", b.name(a[0]), a[1], a[2], path)]
    if op == "Cumsum":
        axis = b.const(np.asarray(int(a[1]), np.int64))
        return b.node("CumSum", [b.name(a[0]), axis], path=path)
    if op == "_Conv":
        g = a[3]
        ins = [b.name(a[0]), b.name(a[1])] + ([b.name(a[2])] if a[2] is not None else [])
        return b.node(
            "Conv",
            ins,
            path=path,
            kernel_shape=list(g.k),
            strides=list(g.s),
            dilations=list(g.d),
            pads=[p[0] for p in g.pads] + [p[1] for p in g.pads],
            group=int(g.groups),
        )
    if op == "_ConvInputGrad":
        g = a[2]
        lin = a[0].shape[2:]
        opad = [
            S - ((n - 1) * s - lo - hi + d * (k - 1) + 1)
            for S, n, s, (lo, hi), d, k in zip(g.S, lin, g.s, g.pads, g.d, g.k)
        ]
        return b.node(
            "ConvTranspose",
            [b.name(a[0]), b.name(a[1])],
            path=path,
            kernel_shape=list(g.k),
            strides=list(g.s),
            dilations=list(g.d),
            pads=[p[0] for p in g.pads] + [p[1] for p in g.pads],
            output_padding=opad if any(opad) else None,
            group=int(g.groups),
        )
    if op == "_MaxPool":
        g = a[1]
        if a[2]:
            raise UnsupportedOperatorError(
                f"ONNX export: max pooling with return_indices=True is not supported "
                f"(in module '{path}')"
            )
        hi = [max(0, B - S - p) for B, S, p in zip(g.B, g.S, g.p)]
        return b.node(
            "MaxPool",
            [b.name(a[0])],
            path=path,
            kernel_shape=list(g.k),
            strides=list(g.s),
            dilations=list(g.d),
            pads=list(g.p) + hi,
        )
    if op == "_WindowMean":
        g, scale = a[1], a[2]
        x = b.name(a[0])
        k = math.prod(g.k)
        if not any(g.p) and g.B == g.S and all(o == 1 for o in g.Lo) and tuple(g.k) == g.S:
            y = b.node("GlobalAveragePool", [x], path=path)[0]
        else:
            hi = [max(0, B - S - p) for B, S, p in zip(g.B, g.S, g.p)]
            y = b.node(
                "AveragePool",
                [x],
                path=path,
                kernel_shape=list(g.k),
                strides=list(g.s),
                pads=list(g.p) + hi,
                count_include_pad=1,
            )[0]
        corr = np.asarray(_np(scale) if hasattr(scale, "shape") else scale) * k
        if not np.allclose(corr, 1.0, rtol=0, atol=1e-12):
            y = b.node("Mul", [y, b.const(corr.astype(dt))], path=path)[0]
        return [y]
    if op == "_ConstantPad":
        pads = [p[0] for p in a[1]] + [p[1] for p in a[1]]
        v = b.const(np.asarray(a[2], dt))
        return b.node("Pad", [b.name(a[0]), b.ints(pads), v], path=path, mode="constant")
    if op == "_Softmax":
        return b.node("Softmax", [b.name(a[0])], path=path, axis=int(a[1]))
    if op == "_LogSoftmax":
        return b.node("LogSoftmax", [b.name(a[0])], path=path, axis=int(a[1]))
    if op == "_Embedding":
        idx = b.name(a[1])
        if _np(a[1]._data).dtype != np.int64:
            idx = b.node("Cast", [idx], path=path, to=7)[0]
        return b.node("Gather", [b.name(a[0]), idx], path=path, axis=0)
    if op == "Recurrence":
        return _recurrence(b, rec, path)
    if op in ("_HookIn", "_HookOut"):
        return [b.node("Identity", [b.name(t)], path=path)[0] for t in a[1:]]
    where = f"module '{path}' ({rec.module_type})" if path else "the top-level module"
    raise UnsupportedOperatorError(f"ONNX export: the op '{op}' (from {where}) has no ONNX mapping")


# ONNX gate orders (LSTM: i o f c; GRU: z r h) as indices into PyTorch's (i f g o; r z n)
_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _gate_perm(mode: str, hidden: int) -> np.ndarray:
    return np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _GATES[mode]])


def _zero_state(t) -> bool:
    return t is not None and not t.requires_grad and not bool(np.any(_np(t._data)))


def _recurrence(b: _Builder, rec, path) -> list:
    """One recurrent layer direction as an ONNX LSTM/GRU/RNN node."""
    x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, mode, reverse, batch_sizes = rec.args
    if w_hr is not None or batch_sizes is not None:
        what = "proj_size" if w_hr is not None else "packed sequences"
        raise UnsupportedOperatorError(
            f"ONNX export: recurrent layers with {what} are not supported (in module '{path}')"
        )
    G, H = w_hh.shape
    dt = _np(x._data).dtype
    idx = b.const(_gate_perm(mode, H).astype(np.int64))

    def gathered(t, unsqueeze=True):
        g = b.node("Gather", [b.name(t), idx], path=path, axis=0)[0]
        return b.node("Unsqueeze", [g, b.ints([0])], path=path)[0] if unsqueeze else g

    zero = b.const(np.zeros(G, dt))
    bx = zero if b_ih is None else gathered(b_ih, False)
    bh = zero if b_hh is None else gathered(b_hh, False)
    bias = b.node("Concat", [bx, bh], path=path, axis=0)[0]
    bias = b.node("Unsqueeze", [bias, b.ints([0])], path=path)[0]

    def state(t):
        if _key(t) not in b.names and _zero_state(t):
            return ""
        return b.node("Unsqueeze", [b.name(t), b.ints([0])], path=path)[0]

    h = state(h0)
    ins = [b.name(x), gathered(w_ih), gathered(w_hh), bias, "", h]
    kw = {"hidden_size": int(H), "direction": "reverse" if reverse else "forward"}
    if mode == "LSTM":
        ins.append(state(c0))
        outs = b.node("LSTM", ins, 3, path=path, **kw)
    elif mode == "GRU":
        outs = b.node("GRU", ins, 2, path=path, linear_before_reset=1, **kw)
    else:
        act = ["Relu" if mode == "RNN_RELU" else "Tanh"]
        outs = b.node("RNN", ins, 2, path=path, activations=act, **kw)
    y = b.node("Squeeze", [outs[0], b.ints([1])], path=path)[0]
    return [y] + [b.node("Squeeze", [o, b.ints([0])], path=path)[0] for o in outs[1:]]


def _flatten(obj) -> list:
    if _is_tensor(obj):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _flatten(o)]
    return []


def _traced_run(model, args, call_kwargs, state, training):
    """Run ``model`` under the tracer on grad-requiring copies of ``args``, in eval mode."""
    from ..autograd.grad_mode import enable_grad

    inputs = []
    for t in args:
        if _is_tensor(t):
            c = t.detach().clone()
            if c.dtype.is_floating_point:
                c.requires_grad_(True)
            inputs.append(c)
        else:
            inputs.append(t)
    flags = []
    for t in state.values():
        if t.dtype.is_floating_point and not t.requires_grad:
            flags.append(t)
            t.requires_grad_(True)
    modes = {m: m.training for m in model.modules()}
    if training == TrainingMode.EVAL:
        model.eval()
    elif training == TrainingMode.TRAINING:
        model.train()
    try:
        with enable_grad(), trace(model) as tr:
            out = model(*inputs, **call_kwargs)
    finally:
        for t in flags:
            t.requires_grad_(False)
        for m, mode in modes.items():
            m.training = mode
    return inputs, [t for t in inputs if _is_tensor(t)], tr.records, out


def _perturbed(args, names, dyn) -> tuple:
    """``args`` with other values, each dynamic axis one longer (the probe run's inputs)."""
    import ember

    out, k = [], 0
    for t in args:
        if not _is_tensor(t):
            out.append(t)
            continue
        arr = _np(t.detach()._data)
        for ax in dyn.get(names[k], {}):
            n = arr.shape[ax]
            arr = np.take(arr, np.arange(n + 1) % max(n, 1), axis=ax)
        if arr.dtype.kind == "f":
            arr = (arr * 0.75 + 0.125).astype(arr.dtype)
        out.append(ember.tensor(np.ascontiguousarray(arr)).to(t.device))
        k += 1
    return tuple(out)


def _check_constants(rec, alt, live, b) -> None:
    """Raise if a constant input of ``rec`` differs in the probe run (it depends on the input)."""
    for pos, (x, y) in enumerate(zip(rec.args, alt.args)):
        if (
            not _is_tensor(x)
            or b.cur.get(id(x), _key(x)) in live
            or b.cur.get(id(x), _key(x)) in b.names
        ):
            continue
        if rec.op.__name__ == "Recurrence" and pos in (4, 5) and _zero_state(x):
            continue  # zero initial states are left out of the node (ONNX's default)
        ax, ay = _np(x._data), _np(y._data) if _is_tensor(y) else None
        if ay is None or ax.shape != ay.shape or not np.array_equal(ax, ay, equal_nan=True):
            where = f"module '{rec.module_path}'" if rec.module_path else "the top-level module"
            raise UnsupportedOperatorError(
                f"ONNX export: an input of '{rec.op.__name__}' in {where} was computed by an op "
                "that is not recorded, and it changes with the model input (or is random): it "
                "cannot be baked in as a constant"
            )


_IGNORED_OPTIONS = {
    "dynamo",
    "keep_initializers_as_inputs",
    "operator_export_type",
    "custom_opsets",
    "export_modules_as_functions",
    "autograd_inlining",
    "external_data",
    "optimize",
    "report",
    "verify",
    "profile",
    "dump_exported_program",
    "artifacts_dir",
    "fallback",
}


def export(
    model,
    args,
    f,
    input_names=None,
    output_names=None,
    dynamic_axes=None,
    opset_version: int | None = None,
    do_constant_folding: bool = True,
    export_params: bool = True,
    training: TrainingMode = TrainingMode.EVAL,
    verbose: bool = False,
    *,
    kwargs: dict | None = None,
    **options,
):
    """Export ``model`` run on ``args`` to an ONNX file (or file object) ``f``.

    Weights become initializers named after the ``state_dict`` keys; ``dynamic_axes`` maps an
    input/output name to the axes (list, or dict axis -> name) left symbolic.

    ``kwargs`` are keyword arguments of the model's forward. PyTorch's exporter-specific options
    (``dynamo``, ``keep_initializers_as_inputs``, ...) are accepted and have no effect. Returns
    the ``onnx.ModelProto``.

    Example:
        >>> ember.onnx.export(model, ember.randn(1, 1, 28, 28), "mnist.onnx",
        ...                   input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    """
    import onnx
    from onnx import helper

    from .._tensor import Tensor

    unknown = set(options) - _IGNORED_OPTIONS
    if unknown:
        raise TypeError(f"export() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    opset = int(opset_version or default_opset())
    if opset < MIN_OPSET:
        raise ValueError(f"ONNX export supports opset_version >= {MIN_OPSET}, got {opset}")
    if isinstance(args, Tensor) or not isinstance(args, tuple):
        args = (args,)
    call_kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        call_kwargs.update(args[-1])
        args = args[:-1]

    b = _Builder(opset, do_constant_folding)
    dyn = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            dyn[name] = {int(k): str(v) for k, v in axes.items()}
        else:
            dyn[name] = {int(k): f"{name}_dynamic_axes_{j + 1}" for j, k in enumerate(axes)}
    n_in = sum(1 for t in args if _is_tensor(t))
    in_names = list(input_names or [])
    in_names += [f"input_{i}" for i in range(len(in_names), n_in)]

    state = model.state_dict(keep_vars=True)
    params = {id(p) for p in model.parameters()}
    # Trace on copies that require grad: ops on tensors that need no grad take fast paths
    # that bypass Function.apply and would be baked into the graph as constants. A second
    # run, with other values and the dynamic axes one longer, tells which reshape sizes
    # follow the dynamic axes and catches values computed outside the recorded ops.
    inputs, flat_in, records, out = _traced_run(model, args, call_kwargs, state, training)
    alt_args = _perturbed(args, in_names, dyn)
    try:
        _, _, records2, out2 = _traced_run(model, alt_args, call_kwargs, state, training)
    except Exception:
        records2 = None
    if records2 is not None and (
        len(records2) != len(records) or any(r.op is not q.op for r, q in zip(records, records2))
    ):
        records2 = None
    for t, n in zip(flat_in, in_names):
        b.names[_key(t)] = n
    for key, t in state.items():
        b.names.setdefault(_key(t), key)

    live = {_key(t) for t in flat_in} | {_key(t) for t in state.values()}
    for i, rec in enumerate(records):
        alt = records2[i] if records2 is not None else None
        if do_constant_folding and not any(k in live for k in rec.arg_keys if k is not None):
            continue  # computed from constants only: its outputs become constants when used
        b.cur = {id(t): k for t, k in zip(rec.args, rec.arg_keys) if k is not None}
        if alt is not None:
            _check_constants(rec, alt, live, b)
        names = _emit(b, rec, alt)
        b.cur = {}
        for t, k, n in zip(rec.outputs, rec.out_keys, names):
            if _is_tensor(t):
                b.names[k] = n
                live.add(k)
                b.keep.append(t)

    flat_out = _flatten(out)
    out_names = list(output_names or [])
    out_names += [f"output_{i}" for i in range(len(out_names), len(flat_out))]
    for t, n in zip(flat_out, out_names):
        src = b.name(t)
        b.node("Identity", [src])
        b.nodes[-1].output[0] = n

    # Output dims that followed the dynamic input axes in the probe run are dynamic too.
    if records2 is not None and dyn:
        for j, (t, t2) in enumerate(zip(flat_out, _flatten(out2))):
            name = out_names[j]
            if name not in dyn and t.ndim == t2.ndim:
                moved = [i for i, (p, q) in enumerate(zip(t.shape, t2.shape)) if p != q]
                if moved:
                    dyn[name] = {i: f"{name}_dynamic_axes_{k + 1}" for k, i in enumerate(moved)}

    def vinfo(name, t):
        shape = [dyn.get(name, {}).get(i, s) for i, s in enumerate(t.shape)]
        dt = helper.np_dtype_to_tensor_dtype(_np(t._data).dtype)
        return helper.make_tensor_value_info(name, dt, shape)

    used = {i for n in b.nodes for i in n.input}
    graph_inputs = [vinfo(n, t) for t, n in zip(flat_in, in_names)]
    inits = []
    for key, t in state.items():
        if key not in used:
            continue
        arr = np.array(_np(t._data), order="C")
        if export_params:
            tp = onnx.numpy_helper.from_array(arr, key)
            if id(t) not in params:
                tp.doc_string = "buffer"
            inits.append(tp)
        else:
            graph_inputs.append(vinfo(key, t))
    for name, (arr, _) in b.inits.items():
        if name in used:
            tp = onnx.numpy_helper.from_array(arr, name)
            tp.doc_string = "constant"  # ember.onnx.load keeps it as a buffer
            inits.append(tp)
    graph = helper.make_graph(
        b.nodes,
        "main_graph",
        graph_inputs,
        [vinfo(n, t) for t, n in zip(flat_out, out_names)],
        initializer=inits,
    )
    m = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="ember"
    )
    m.ir_version = min(m.ir_version, onnx.IR_VERSION)
    if verbose:
        print(helper.printable_graph(m.graph))
    if hasattr(f, "write"):
        f.write(m.SerializeToString())
    else:
        onnx.save(m, f)
    return m
