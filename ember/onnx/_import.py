"""ONNX import: an nn.Module that runs an ONNX graph with ember ops (so it can be trained)."""

from __future__ import annotations

import numpy as np

from ._export import UnsupportedOperatorError


def _attrs(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _ints(t) -> list:
    return [int(v) for v in np.asarray(t.detach().cpu().numpy() if hasattr(t, "_data") else t)]


def _conv_args(at, nd):
    pads = at.get("pads", [0] * 2 * nd)
    lo, hi = pads[:nd], pads[nd:]
    return lo, hi


def _pad_if_uneven(F, x, lo, hi, value=0.0):
    if lo == hi:
        return x, lo
    flat = []
    for a, c in zip(reversed(lo), reversed(hi)):
        flat += [a, c]
    return F.pad(x, flat, value=value), [0] * len(lo)


def _run(node, ins, at, opset):
    import ember
    import ember.nn.functional as F

    op = node.op_type
    x = ins[0] if ins else None
    simple = {
        "Relu": F.relu,
        "Sigmoid": ember.sigmoid,
        "Tanh": ember.tanh,
        "Exp": ember.exp,
        "Log": ember.log,
        "Sqrt": ember.sqrt,
        "Sin": ember.sin,
        "Cos": ember.cos,
        "Tan": ember.tan,
        "Asin": ember.asin,
        "Acos": ember.acos,
        "Atan": ember.atan,
        "Sinh": ember.sinh,
        "Cosh": ember.cosh,
        "Asinh": ember.asinh,
        "Acosh": ember.acosh,
        "Atanh": ember.atanh,
        "Erf": ember.erf,
        "Abs": ember.abs,
        "Neg": ember.neg,
        "Reciprocal": ember.reciprocal,
        "Sign": ember.sign,
        "Floor": ember.floor,
        "Ceil": ember.ceil,
        "Round": ember.round,
        "Identity": lambda t: t,
    }
    if op in simple:
        return [simple[op](x)]
    binary = {
        "Add": ember.add,
        "Sub": ember.sub,
        "Mul": ember.mul,
        "Div": ember.div,
        "Pow": ember.pow,
        "Max": ember.maximum,
        "Min": ember.minimum,
        "MatMul": ember.matmul,
    }
    if op in binary:
        return [binary[op](ins[0], ins[1])]
    cmp = {
        "Equal": ember.eq,
        "Less": ember.lt,
        "LessOrEqual": ember.le,
        "Greater": ember.gt,
        "GreaterOrEqual": ember.ge,
        "And": ember.logical_and,
        "Or": ember.logical_or,
        "Xor": ember.logical_xor,
    }
    if op in cmp:
        return [cmp[op](ins[0], ins[1])]
    if op in ("ArgMax", "ArgMin"):
        if at.get("select_last_index", 0):
            raise UnsupportedOperatorError(f"ONNX import: {op} with select_last_index=1")
        fn = ember.argmax if op == "ArgMax" else ember.argmin
        return [fn(x, at.get("axis", 0), keepdim=bool(at.get("keepdims", 1)))]
    if op == "Not":
        return [ember.logical_not(x)]
    if op == "Gemm":
        a = ins[0].t() if at.get("transA") else ins[0]
        b = ins[1].t() if at.get("transB") else ins[1]
        y = (a @ b) * at.get("alpha", 1.0)
        if len(ins) > 2 and ins[2] is not None:
            y = y + ins[2] * at.get("beta", 1.0)
        return [y]
    if op == "Softmax":
        return [F.softmax(x, dim=at.get("axis", -1))]
    if op == "LogSoftmax":
        return [F.log_softmax(x, dim=at.get("axis", -1))]
    if op == "Gelu":
        return [F.gelu(x, approximate=at.get("approximate", "none"))]
    if op == "LeakyRelu":
        return [F.leaky_relu(x, at.get("alpha", 0.01))]
    if op == "Reshape":
        shape = _ints(ins[1])
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Flatten":
        ax = at.get("axis", 1) % max(x.ndim, 1)
        return [x.reshape(int(np.prod(x.shape[:ax])), -1)]
    if op == "Transpose":
        return [x.permute(*at.get("perm", list(range(x.ndim))[::-1]))]
    if op == "Concat":
        return [ember.cat(ins, dim=at["axis"])]
    if op == "Unsqueeze":
        axes = sorted(a % (x.ndim + len(_ints(ins[1]))) for a in _ints(ins[1]))
        for a in axes:
            x = x.unsqueeze(a)
        return [x]
    if op == "Squeeze":
        axes = _ints(ins[1]) if len(ins) > 1 else [i for i, s in enumerate(x.shape) if s == 1]
        return [x.squeeze(tuple(a % x.ndim for a in axes))]
    if op == "Slice":
        starts, ends = _ints(ins[1]), _ints(ins[2])
        axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        for s, e, a, st in zip(starts, ends, axes, steps):
            a %= x.ndim
            if st < 0:
                n = x.shape[a]
                s, e, _ = slice(s, e, st).indices(n)
                # flip then slice forwards: ember (like PyTorch) has no negative steps
                x = x.flip(a)
                s2, e2 = n - 1 - s, n - 1 - e
                key = [slice(None)] * x.ndim
                key[a] = slice(s2, e2, -st)
                x = x[tuple(key)]
                continue
            key = [slice(None)] * x.ndim
            key[a] = slice(s, e, st)
            x = x[tuple(key)]
        return [x]
    if op == "Gather":
        idx = ins[1].long()
        ax = at.get("axis", 0) % x.ndim
        flat = idx.reshape(-1) % x.shape[ax]
        y = x.index_select(ax, flat)
        return [y.reshape(x.shape[:ax] + tuple(idx.shape) + x.shape[ax + 1 :])]
    if op == "GatherElements":
        return [ember.gather(x, at.get("axis", 0), ins[1].long())]
    if op == "Expand":
        shape = _ints(ins[1])
        full = (1,) * (len(shape) - x.ndim) + tuple(x.shape)
        tgt = [
            max(a, b) if b != 1 else a for a, b in zip(full, [1] * (len(full) - len(shape)) + shape)
        ]
        return [x.reshape(full).expand(*tgt)]
    if op == "Tile":
        return [x.repeat(*_ints(ins[1]))]
    if op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"):
        axes = at.get("axes")
        if axes is None and len(ins) > 1 and ins[1] is not None:
            axes = _ints(ins[1])
        keep = bool(at.get("keepdims", 1))
        dims = tuple(axes) if axes else tuple(range(x.ndim))
        if op == "ReduceSum":
            return [x.sum(dims, keepdim=keep)]
        if op == "ReduceMean":
            return [x.mean(dims, keepdim=keep)]
        if op == "ReduceMax":
            return [x.amax(dims, keepdim=keep)]
        if op == "ReduceMin":
            return [x.amin(dims, keepdim=keep)]
        if op == "ReduceL2":
            return [(x * x).sum(dims, keepdim=keep).sqrt()]
        for d in sorted((d % x.ndim for d in dims), reverse=True):
            x = x.prod(d, keepdim=keep)
        return [x]
    if op == "Cast":
        from onnx import helper

        dt = np.dtype(helper.tensor_dtype_to_np_dtype(at["to"]))
        return [x.to(getattr(ember, dt.name if dt.name != "bool" else "bool"))]
    if op == "Where":
        return [ember.where(ins[0].bool(), ins[1], ins[2])]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
        return [
            ember.clamp(x, None if lo is None else lo.item(), None if hi is None else hi.item())
        ]
    if op == "CumSum":
        return [ember.cumsum(x, int(_ints(ins[1].reshape(-1))[0]))]
    if op == "Einsum":
        return [
            ember.einsum(
                at["equation"].decode() if isinstance(at["equation"], bytes) else at["equation"],
                *ins,
            )
        ]
    if op == "Pad":
        pads = _ints(ins[1])
        nd = x.ndim
        value = ins[2].item() if len(ins) > 2 and ins[2] is not None else 0.0
        mode = at.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        flat = []
        for i in reversed(range(nd)):
            flat += [pads[i], pads[i + nd]]
        return [F.pad(x, flat, mode=mode, value=value if mode == "constant" else None)]
    if op in ("Conv", "ConvTranspose"):
        nd = x.ndim - 2
        lo, hi = _conv_args(at, nd)
        s = at.get("strides", [1] * nd)
        d = at.get("dilations", [1] * nd)
        g = at.get("group", 1)
        b = ins[2] if len(ins) > 2 else None
        if op == "Conv":
            x, lo = _pad_if_uneven(F, x, lo, hi)
            fn = getattr(F, f"conv{nd}d")
            return [fn(x, ins[1], b, stride=s, padding=lo, dilation=d, groups=g)]
        if lo != hi:
            raise UnsupportedOperatorError("ONNX import: ConvTranspose with uneven pads")
        fn = getattr(F, f"conv_transpose{nd}d")
        op_ = at.get("output_padding", [0] * nd)
        return [fn(x, ins[1], b, stride=s, padding=lo, output_padding=op_, groups=g, dilation=d)]
    if op in ("MaxPool", "AveragePool"):
        nd = x.ndim - 2
        k = at["kernel_shape"]
        s = at.get("strides", [1] * nd)
        lo, hi = _conv_args(at, nd)
        if op == "MaxPool":
            x, lo = _pad_if_uneven(F, x, lo, hi, float("-inf"))
            fn = getattr(F, f"max_pool{nd}d")
            d = at.get("dilations", [1] * nd)
            return [fn(x, k, s, lo, d, ceil_mode=bool(at.get("ceil_mode", 0)))]
        cip = bool(at.get("count_include_pad", 0))
        if lo != hi:
            if not cip:
                raise UnsupportedOperatorError("ONNX import: AveragePool with uneven pads")
            x, lo = _pad_if_uneven(F, x, lo, hi)
        fn = getattr(F, f"avg_pool{nd}d")
        return [fn(x, k, s, lo, ceil_mode=bool(at.get("ceil_mode", 0)), count_include_pad=cip)]
    if op == "GlobalAveragePool":
        return [x.mean(tuple(range(2, x.ndim)), keepdim=True)]
    if op == "BatchNormalization":
        return [
            F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], False, 0.0, at.get("epsilon", 1e-5))
        ]
    if op == "LayerNormalization":
        ax = at.get("axis", -1) % x.ndim
        b = ins[2] if len(ins) > 2 else None
        return [F.layer_norm(x, x.shape[ax:], ins[1], b, at.get("epsilon", 1e-5))]
    if op in ("LSTM", "GRU", "RNN"):
        return _recurrent(op, ins, at)
    if op == "Constant":
        from onnx import numpy_helper

        if "value" in at:
            return [ember.tensor(numpy_helper.to_array(at["value"]).copy())]
        for k, dt in (("value_float", np.float32), ("value_floats", np.float32)):
            if k in at:
                return [ember.tensor(np.asarray(at[k], dt))]
        for k in ("value_int", "value_ints"):
            if k in at:
                return [ember.tensor(np.asarray(at[k], np.int64))]
        raise UnsupportedOperatorError(f"ONNX import: Constant with {sorted(at)}")
    if op == "ConstantOfShape":
        from onnx import numpy_helper

        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [ember.tensor(np.full(_ints(x), v.reshape(-1)[0], v.dtype))]
    if op == "Dropout":
        return [x] + ([ember.ones(x.shape, dtype=ember.bool)] if len(node.output) > 1 else [])
    if op == "PRelu":
        return [ember.where(x >= 0, x, x * ins[1])]
    if op == "Elu":
        return [F.elu(x, at.get("alpha", 1.0))]
    if op == "Softplus":
        return [F.softplus(x)]
    if op == "HardSigmoid":
        return [(x * at.get("alpha", 0.2) + at.get("beta", 0.5)).clamp(0.0, 1.0)]
    if op == "InstanceNormalization":
        return [F.instance_norm(x, weight=ins[1], bias=ins[2], eps=at.get("epsilon", 1e-5))]
    if op == "Split":
        ax = at.get("axis", 0) % x.ndim
        if len(ins) > 1 and ins[1] is not None:
            sizes = _ints(ins[1])
        elif "split" in at:
            sizes = list(at["split"])
        else:
            n = len(node.output)
            sizes = [-(-x.shape[ax] // n)] * n
            sizes[-1] = x.shape[ax] - sum(sizes[:-1])
        return list(x.split(sizes, ax))
    if op == "Shape":
        return [ember.tensor(list(x.shape), dtype=ember.int64)]
    raise UnsupportedOperatorError(f"ONNX import: the op '{op}' is not supported")


def _recurrent(op, ins, at):
    """ONNX LSTM/GRU/RNN (one direction, default activations) with ember's recurrence kernel."""
    import ember
    from ember.nn._rnn import recurrence

    from ._export import _gate_perm

    def s(v):
        return v.decode() if isinstance(v, bytes) else v

    direction = s(at.get("direction", "forward"))
    acts = [s(a) for a in at.get("activations", [])]
    mode = {"LSTM": "LSTM", "GRU": "GRU"}.get(op) or (
        "RNN_RELU" if acts and acts[0] == "Relu" else "RNN_TANH"
    )
    if direction == "bidirectional" or (op != "RNN" and acts) or at.get("clip") is not None:
        raise UnsupportedOperatorError(
            f"ONNX import: {op} with direction={direction}, activations={acts} or clip"
        )
    if op == "GRU" and not at.get("linear_before_reset", 0):
        raise UnsupportedOperatorError("ONNX import: GRU with linear_before_reset=0")
    if len(ins) > 4 and ins[4] is not None:
        raise UnsupportedOperatorError(f"ONNX import: {op} with sequence_lens")
    x, w, r = ins[0], ins[1][0], ins[2][0]
    G = w.shape[0]
    H = G // {"LSTM": 4, "GRU": 3}.get(op, 1)
    inv = ember.tensor(np.argsort(_gate_perm(mode, H)))
    w, r = w.index_select(0, inv), r.index_select(0, inv)
    T, B = x.shape[:2]
    bias = ins[3][0] if len(ins) > 3 and ins[3] is not None else None
    b_ih = b_hh = None
    if bias is not None:
        b_ih, b_hh = bias[:G].index_select(0, inv), bias[G:].index_select(0, inv)
    h0 = ins[5][0] if len(ins) > 5 and ins[5] is not None else ember.zeros(B, H, dtype=x.dtype)
    c0 = None
    if mode == "LSTM":
        c0 = ins[6][0] if len(ins) > 6 and ins[6] is not None else ember.zeros(B, H, dtype=x.dtype)
    out = recurrence(mode, x, w, b_ih, b_hh, h0, c0, r, None, direction == "reverse")
    return [out[0].unsqueeze(1)] + [o.unsqueeze(0) for o in out[1:]]


def load(path):
    """Build the module for the ONNX model at ``path`` (a file path, bytes or ModelProto)."""
    import onnx
    from onnx import numpy_helper

    import ember
    from ember import nn

    if isinstance(path, onnx.ModelProto):
        model = path
    elif isinstance(path, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(path))
    else:
        model = onnx.load(path)
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 17)
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOperatorError(
                f"ONNX import: the op '{node.domain}::{node.op_type}' is not supported"
            )

    class OnnxGraphModule(nn.Module):
        """Runs an ONNX graph with ember ops; its parameters are the float initializers.

        Example:
            >>> m = ember.onnx.load("model.onnx"); y = m(x)
        """

        def __init__(self):
            super().__init__()
            self._onnx_names = {}
            for init in graph.initializer:
                arr = numpy_helper.to_array(init).copy()
                t = ember.tensor(arr)
                owner, attr = self, init.name
                if "." in init.name:
                    *parts, attr = init.name.split(".")
                    for p in parts:
                        if not hasattr(owner, p) or not isinstance(getattr(owner, p), nn.Module):
                            owner.add_module(p, nn.Module())
                        owner = getattr(owner, p)
                if not attr.isidentifier() or hasattr(type(owner), attr):
                    attr = "c_" + "".join(ch if ch.isalnum() else "_" for ch in attr)
                    owner = self
                if arr.dtype.kind == "f" and init.doc_string not in ("buffer", "constant"):
                    owner.register_parameter(attr, nn.Parameter(t))
                else:
                    owner.register_buffer(attr, t)
                self._onnx_names[init.name] = (owner, attr)
            init_names = {i.name for i in graph.initializer}
            self._inputs = [i.name for i in graph.input if i.name not in init_names]
            self._outputs = [o.name for o in graph.output]

        def forward(self, *args):
            env = {n: getattr(o, a) for n, (o, a) in self._onnx_names.items()}
            env[""] = None
            for name, a in zip(self._inputs, args):
                env[name] = a
            for node in graph.node:
                ins = [env[i] for i in node.input]
                outs = _run(node, ins, _attrs(node), opset)
                for n, v in zip(node.output, outs):
                    env[n] = v
            res = [env[n] for n in self._outputs]
            return res[0] if len(res) == 1 else tuple(res)

    return OnnxGraphModule()
