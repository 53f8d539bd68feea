"""The table of core ops: one ``OpInfo`` per op, checked against PyTorch by tests/test_ops.py.

Each entry names the op, how to call it on a library (``ember`` or ``torch``: the same code runs
on both), sample inputs (broadcast, non-contiguous, empty and 0-d cases), the dtypes to check
forward values in, which variants PyTorch has (function, method, in-place) and bad inputs with
the exception they must raise. Sample values are NumPy arrays wrapped in ``T``; the test builds
the same tensor in each library, so the two always see identical inputs.
"""

from __future__ import annotations

import math

import numpy as np

# -- building blocks -----------------------------------------------------------------------------


class T:
    """A tensor argument: its values, whether to make it non-contiguous, whether it may get grad.

    ``nc=True`` takes every other element of a wider tensor; ``nc="T"`` transposes a contiguous
    tensor (a layout no view can flatten).
    ``fixed`` keeps the array's own dtype (indices, masks) instead of the test's dtype.
    """

    def __init__(self, arr, nc=False, grad=True, fixed=False):
        self.arr = np.asarray(arr)
        self.nc = nc
        self.grad = grad
        self.fixed = fixed

    def __repr__(self):
        return f"T{self.arr.shape}{'nc' if self.nc else ''}"


def idx(values) -> T:
    """An int64 index tensor (never requires grad)."""
    return T(np.asarray(values, dtype=np.int64), grad=False, fixed=True)


def mask(values) -> T:
    """A bool tensor (never requires grad)."""
    return T(np.asarray(values, dtype=bool), grad=False, fixed=True)


class S:
    """One sample: positional and keyword arguments (``T`` anywhere inside, lists included)."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs

    def __repr__(self):
        return f"S{self.args}{self.kwargs or ''}"


class E:
    """A bad input: calling the op with these arguments must raise ``exc`` (in both libraries)."""

    def __init__(self, exc, *args, match=None, **kwargs):
        self.exc = exc
        self.match = match
        self.args = args
        self.kwargs = kwargs


NP_DTYPES = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
}


class Maker:
    """Makes deterministic sample tensors of one dtype: ``make(2, 3, low=0.1, nc=True)``."""

    def __init__(self, dtype: str, seed: int = 0):
        self.dtype = dtype
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape, low=-2.0, high=2.0, nc=False, nonzero=False, grad=True):
        dt = NP_DTYPES[self.dtype]
        rng = self.rng
        if dt == np.bool_:
            arr = rng.random(shape) < 0.5
        elif np.issubdtype(dt, np.integer):
            lo = 0 if dt == np.uint8 else int(math.floor(low))
            arr = rng.integers(lo, int(math.ceil(high)) + 1, shape)
            if nonzero:
                arr[arr == 0] = 1
        else:
            arr = rng.uniform(low, high, shape)
            if nonzero:
                # keep |x| >= 0.5: finite differences and sign-like ops stay away from 0
                arr = np.where(arr >= 0, 1, -1) * (0.5 + np.abs(arr) * 0.75)
        return T(np.asarray(arr).astype(dt), nc=nc, grad=grad)


class OpInfo:
    """One op of the table.

    ``call(lib, *args, **kwargs)`` runs the function form (default: ``lib.<name>``); the method
    form is ``args[0].<name>(...)`` and the in-place one ``args[0].clone().<name>_(...)``.
    ``samples(make)`` lists ``S`` for a ``Maker``; ``errors(make)`` lists ``E``.
    """

    def __init__(
        self,
        name,
        samples,
        *,
        call=None,
        method=None,
        variants=("function", "method"),
        dtypes=("float32",),
        grad=True,
        gradgrad=True,
        errors=None,
        atol=1e-5,
        rtol=1e-4,
        gradcheck_samples=3,
        grad_variants=None,
    ):
        self.name = name
        # Variants whose gradient PyTorch computes (it has none for some in-place ops).
        self.grad_variants = grad_variants or variants
        self.samples = samples
        self._call = call
        self.method = method or name
        self.variants = variants
        self.dtypes = dtypes
        self.grad = grad
        self.gradgrad = gradgrad
        self.errors = errors or (lambda make: [])
        self.atol, self.rtol = atol, rtol
        self.gradcheck_samples = gradcheck_samples

    def run(self, lib, variant, args, kwargs):
        if variant == "function":
            if self._call is not None:
                return self._call(lib, *args, **kwargs)
            return getattr(lib, self.name)(*args, **kwargs)
        if variant == "method":
            return getattr(args[0], self.method)(*args[1:], **kwargs)
        if variant == "inplace":
            x = args[0].clone()
            r = getattr(x, self.method + "_")(*args[1:], **kwargs)
            assert r is x, "an in-place op must return self"
            return x
        raise ValueError(variant)

    def __repr__(self):
        return self.name


# -- sample sets shared by many ops --------------------------------------------------------------


def unary(make, low=-2.0, high=2.0, nonzero=False):
    kw = dict(low=low, high=high, nonzero=nonzero)
    return [
        S(make(2, 3, **kw)),
        S(make(3, 2, nc="T", **kw)),
        S(make(**kw)),
        S(make(0, 3, **kw)),
        S(make(4, **kw)),
    ]


def binary(make, low=-2.0, high=2.0, nonzero_rhs=False, scalars=True):
    kw = dict(low=low, high=high)
    rk = dict(low=low, high=high, nonzero=nonzero_rhs)
    out = [
        S(make(2, 3, **kw), make(2, 3, **rk)),
        S(make(2, 3, **kw), make(3, **rk)),
        S(make(2, 1, **kw), make(1, 3, **rk)),
        S(make(3, 2, nc=True, **kw), make(3, 2, nc="T", **rk)),
        S(make(2, 3, **kw), make(**rk)),
        S(make(**kw), make(**rk)),
        S(make(0, 3, **kw), make(3, **rk)),
    ]
    if scalars:
        v = 1.5 if make.dtype.startswith("float") else 3
        out.append(S(make(2, 3, **kw), v))
    return out


def reduction(make, low=-2.0, high=2.0, nonzero=False):
    kw = dict(low=low, high=high, nonzero=nonzero)
    return [
        S(make(2, 3, **kw)),
        S(make(2, 3, **kw), 1),
        S(make(2, 3, **kw), -2, keepdim=True),
        S(make(3, 4, nc=True, **kw), 0),
        S(make(2, 3, 2, **kw), (0, 2)),
        S(make(**kw)),
        S(make(**kw), 0),
    ]


def dim_errors(make):
    return [E(IndexError, make(2, 3), 2), E(IndexError, make(2, 3), -3)]


FLOAT = ("float32", "float64")
FLOAT_INT = ("float32", "int64")
ALL = ("float32", "float64", "int64", "int32", "uint8", "bool")
PYTHON_ALL = ("float32", "float64", "int64", "int32", "int16", "int8", "uint8")


def U(name, low=-2.0, high=2.0, nonzero=False, dtypes=FLOAT_INT, inplace=True, **kw):
    """A unary elementwise op."""
    return OpInfo(
        name,
        lambda make: unary(make, low, high, nonzero),
        variants=("function", "method", "inplace") if inplace else ("function", "method"),
        dtypes=dtypes,
        errors=lambda make: [E(TypeError, [1.0, 2.0])],
        **kw,
    )


# -- the table -----------------------------------------------------------------------------------

# PyTorch 2.13 raises NotImplementedError for the derivative of asinh_, acosh_ and atanh_.
NO_INPLACE_GRAD = ("function", "method")

UNARY_OPS = [
    U("exp"),
    U("exp2"),
    U("expm1"),
    U("log", low=0.1),
    U("log2", low=0.1),
    U("log10", low=0.1),
    U("log1p", low=-0.5),
    U("sqrt", low=0.1),
    U("rsqrt", low=0.1),
    U("sin"),
    U("cos"),
    U("tan", low=-1.2, high=1.2),
    U("tanh"),
    U("sigmoid"),
    U("erf"),
    U("abs", nonzero=True, dtypes=ALL[:5]),
    U("neg", dtypes=PYTHON_ALL[:-1]),
    U("sign", nonzero=True, dtypes=ALL),
    U("floor", dtypes=ALL[:5]),
    U("ceil", dtypes=ALL[:5]),
    U("round", dtypes=ALL[:5]),
    U("trunc", dtypes=ALL[:5]),
    U("frac", dtypes=FLOAT),
    U("reciprocal", nonzero=True),
    U("square", dtypes=("float32", "int64")),
    U("asin", low=-0.9, high=0.9),
    U("acos", low=-0.9, high=0.9),
    U("atan"),
    U("sinh"),
    U("cosh"),
    U("asinh", grad_variants=NO_INPLACE_GRAD),
    U("acosh", low=1.1, high=3.0, grad_variants=NO_INPLACE_GRAD),
    U("atanh", low=-0.9, high=0.9, grad_variants=NO_INPLACE_GRAD),
    U("arcsin", low=-0.9, high=0.9),
    U("arccos", low=-0.9, high=0.9),
    U("arctan"),
    U("arcsinh", grad_variants=NO_INPLACE_GRAD),
    U("arccosh", low=1.1, high=3.0, grad_variants=NO_INPLACE_GRAD),
    U("arctanh", low=-0.9, high=0.9, grad_variants=NO_INPLACE_GRAD),
    U("erfc"),
    U("erfinv", low=-0.9, high=0.9),
    U("logit", low=0.1, high=0.9),
    U("sinc", nonzero=True),
    U("deg2rad"),
    U("rad2deg"),
    U("negative", dtypes=PYTHON_ALL[:-1]),
    U("absolute", nonzero=True, dtypes=ALL[:5]),
    U("sgn", nonzero=True, dtypes=ALL),
    U("fix", dtypes=ALL[:5]),
    U("relu", dtypes=ALL[:5]),
    U("logical_not", dtypes=ALL, grad=False),
    U("bitwise_not", dtypes=("int64", "int32", "uint8", "bool"), grad=False),
    U("isnan", dtypes=ALL, grad=False, inplace=False),
    U("isinf", dtypes=ALL, grad=False, inplace=False),
    U("isfinite", dtypes=ALL, grad=False, inplace=False),
    U("isposinf", dtypes=ALL[:5], grad=False, inplace=False),
    U("isneginf", dtypes=ALL[:5], grad=False, inplace=False),
]


def _round_decimals(make):
    return [S(make(2, 3), decimals=2), S(make(3, nc=True), decimals=-1)]


def _ops_binary(
    name,
    call=None,
    dtypes=FLOAT_INT,
    inplace=True,
    nonzero_rhs=False,
    low=-2.0,
    high=2.0,
    grad=True,
    gradgrad=True,
    extra=None,
    scalars=True,
    method=None,
):
    def samples(make):
        out = binary(make, low, high, nonzero_rhs, scalars)
        if extra:
            out += extra(make)
        return out

    return OpInfo(
        name,
        samples,
        call=call,
        method=method,
        variants=("function", "method", "inplace") if inplace else ("function", "method"),
        dtypes=dtypes,
        grad=grad,
        gradgrad=gradgrad,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), make(4), match=r"size of tensor a \(3\)"),
        ],
    )


def _pow_extra(make):
    return [
        S(make(2, 3, low=0.5), 2),
        S(make(2, 3, low=0.5), -1.5),
        S(make(2, 3, low=0.5), 0),
        S(make(3, nc=False, low=0.5), 0.5),
    ]


BINARY_OPS = [
    _ops_binary("add", extra=lambda make: [S(make(2, 3), make(3), alpha=2)]),
    _ops_binary("sub", extra=lambda make: [S(make(2, 3), make(2, 3), alpha=-0.5)]),
    _ops_binary("mul", dtypes=("float32", "float64", "int64", "int32", "bool")),
    _ops_binary(
        "div",
        nonzero_rhs=True,
        extra=lambda make: [
            S(make(2, 3), make(2, 3, nonzero=True), rounding_mode="trunc"),
            S(make(2, 3), make(3, nonzero=True), rounding_mode="floor"),
        ],
    ),
    _ops_binary("true_divide", nonzero_rhs=True, inplace=True),
    _ops_binary("pow", low=0.5, high=2.0, extra=_pow_extra, dtypes=("float32", "float64")),
    OpInfo(  # zero and negative bases: PyTorch's inf / nan gradients (not smooth: no gradcheck)
        "pow_edges",
        lambda make: [
            S(
                T(np.array([-2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 2.0])),
                T(np.array([0.5, 1.0, 2.0, -1.0, 0.0, 2.0, -1.0])),
            )
        ],
        call=lambda lib, a, b: lib.pow(a, b),
        method="pow",
        dtypes=("float32", "float64"),
        gradcheck_samples=0,
        gradgrad=False,
    ),
    _ops_binary("maximum", inplace=False, dtypes=ALL),
    _ops_binary("minimum", inplace=False, dtypes=ALL),
    _ops_binary("remainder", nonzero_rhs=True, gradgrad=True),
    _ops_binary("fmod", nonzero_rhs=True),
    _ops_binary("floor_divide", nonzero_rhs=True, grad=False),
    _ops_binary("atan2", inplace=True, dtypes=("float32",)),
    _ops_binary("arctan2", inplace=True, dtypes=("float32",)),
    _ops_binary("multiply", dtypes=("float32", "float64", "int64", "int32", "bool")),
    _ops_binary("subtract", extra=lambda make: [S(make(2, 3), make(3), alpha=2)]),
    _ops_binary("divide", nonzero_rhs=True),
    _ops_binary("xlogy", low=0.1, high=2.0, dtypes=("float32", "float64")),
    _ops_binary("float_power", low=0.5, high=2.0, inplace=False, dtypes=("float32", "int64")),
    _ops_binary("fmax", inplace=False, dtypes=("float32", "int64")),
    _ops_binary("fmin", inplace=False, dtypes=("float32", "int64")),
]

COMPARISON_OPS = (
    [
        _ops_binary(n, dtypes=("float32", "int64", "bool"), grad=False)
        for n in ("eq", "ne", "lt", "le", "gt", "ge")
        + ("greater", "greater_equal", "less", "less_equal", "not_equal")
    ]
    + [
        _ops_binary(n, dtypes=("bool", "float32"), grad=False)
        for n in ("logical_and", "logical_or", "logical_xor")
    ]
    + [
        _ops_binary(n, dtypes=("int64", "int32", "uint8", "bool"), grad=False, scalars=False)
        for n in ("bitwise_and", "bitwise_or", "bitwise_xor")
    ]
)


def _pow_scalar_base(make):
    return [S(2.0, make(2, 3)), S(0.5, make(3, nc=True)), S(3, make())]


def _op(expr):
    """A python operator as an OpInfo call."""
    return lambda lib, a, b: expr(a, b)


def _iop(expr):
    def call(lib, a, b):
        x = a.clone()
        y = expr(x, b)
        assert y is x
        return y

    return call


OPERATOR_OPS = [
    OpInfo(
        "op_add", binary, call=_op(lambda a, b: a + b), variants=("function",), dtypes=PYTHON_ALL
    ),
    OpInfo(
        "op_radd",
        lambda make: [S(make(2, 3), 2), S(make(3), 1.5), S(make(), True)],
        call=_op(lambda a, b: b + a),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_sub", binary, call=_op(lambda a, b: a - b), variants=("function",), dtypes=PYTHON_ALL
    ),
    OpInfo(
        "op_rsub",
        lambda make: [S(make(2, 3), 2), S(make(3, nc=True), 1.5)],
        call=_op(lambda a, b: b - a),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_mul", binary, call=_op(lambda a, b: a * b), variants=("function",), dtypes=PYTHON_ALL
    ),
    OpInfo(
        "op_truediv",
        lambda make: binary(make, nonzero_rhs=True),
        call=_op(lambda a, b: a / b),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_rtruediv",
        lambda make: [S(make(2, 3, nonzero=True), 2), S(make(3, nonzero=True), 1.5)],
        call=_op(lambda a, b: b / a),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_floordiv",
        lambda make: binary(make, nonzero_rhs=True),
        call=_op(lambda a, b: a // b),
        variants=("function",),
        dtypes=FLOAT_INT,
        grad=False,
    ),
    OpInfo(
        "op_mod",
        lambda make: binary(make, nonzero_rhs=True),
        call=_op(lambda a, b: a % b),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_pow",
        lambda make: binary(make, low=0.5) + _pow_extra(make),
        call=_op(lambda a, b: a**b),
        variants=("function",),
        dtypes=("float32",),
    ),
    OpInfo(
        "op_rpow",
        _pow_scalar_base,
        call=_op(lambda a, b: b**a),
        variants=("function",),
        dtypes=("float32",),
    ),
    OpInfo("op_neg", unary, call=lambda lib, a: -a, variants=("function",), dtypes=FLOAT_INT),
    OpInfo(
        "op_abs",
        lambda make: unary(make, nonzero=True),
        call=lambda lib, a: abs(a),
        variants=("function",),
    ),
    OpInfo(
        "op_iadd",
        binary,
        call=_iop(lambda a, b: a.__iadd__(b)),
        variants=("function",),
        dtypes=FLOAT_INT,
    ),
    OpInfo("op_isub", binary, call=_iop(lambda a, b: a.__isub__(b)), variants=("function",)),
    OpInfo("op_imul", binary, call=_iop(lambda a, b: a.__imul__(b)), variants=("function",)),
    OpInfo(
        "op_itruediv",
        lambda make: binary(make, nonzero_rhs=True),
        call=_iop(lambda a, b: a.__itruediv__(b)),
        variants=("function",),
    ),
    OpInfo(
        "op_lt",
        binary,
        call=_op(lambda a, b: a < b),
        variants=("function",),
        grad=False,
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_eq",
        binary,
        call=_op(lambda a, b: a == b),
        variants=("function",),
        grad=False,
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "op_and",
        binary,
        call=_op(lambda a, b: a & b),
        variants=("function",),
        grad=False,
        dtypes=("bool", "int64"),
    ),
    OpInfo(
        "op_or",
        binary,
        call=_op(lambda a, b: a | b),
        variants=("function",),
        grad=False,
        dtypes=("bool", "int64"),
    ),
    OpInfo(
        "op_xor",
        binary,
        call=_op(lambda a, b: a ^ b),
        variants=("function",),
        grad=False,
        dtypes=("bool", "int64"),
    ),
    OpInfo(
        "op_invert",
        unary,
        call=lambda lib, a: ~a,
        variants=("function",),
        grad=False,
        dtypes=("bool", "int64"),
    ),
]


def _clamp_samples(make):
    return [
        S(make(2, 3), -0.5, 0.5),
        S(make(2, 3), min=-0.5),
        S(make(3, 2, nc=True), max=0.3),
        S(make(), -1, 1),
        S(make(0, 2), -1, 1),
        S(make(2, 3), make(3, low=-2, high=-0.5), make(2, 1, low=0.5, high=2)),
    ]


def _lerp_samples(make):
    return [
        S(make(2, 3), make(2, 3), 0.3),
        S(make(2, 3), make(3), make(2, 3, low=0, high=1)),
        S(make(3, 2, nc=True), make(3, 2, nc=True), 0.7),
        S(make(), make(), 0.5),
    ]


def _where_samples(make):
    return [
        S(mask([[True, False, True], [False, True, False]]), make(2, 3), make(2, 3)),
        S(mask([True, False, True]), make(2, 3), make(3)),
        S(mask([[True], [False]]), make(2, 3), 0.5),
        S(mask([True, False]), 1.5, make(2)),
        S(mask(True), make(), make()),
    ]


def _where_errors(make):
    return [
        E(RuntimeError, mask([True, False]), make(3), make(3)),
        E(RuntimeError, T(np.ones(3, np.float32), fixed=True), make(3), make(3)),
    ]


SELECTION_OPS = [
    OpInfo(
        "clamp",
        _clamp_samples,
        variants=("function", "method", "inplace"),
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 3), match="At least one of")],
    ),
    OpInfo("clip", _clamp_samples, variants=("function", "method", "inplace"), gradcheck_samples=1),
    OpInfo(
        "clamp_min",
        lambda make: [S(make(2, 3), 0.1), S(make(3, nc=True), -0.2)],
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "clamp_max",
        lambda make: [S(make(2, 3), 0.1), S(make(3, nc=True), -0.2)],
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "lerp",
        _lerp_samples,
        variants=("function", "method", "inplace"),
        errors=lambda make: [E(RuntimeError, make(2, 3), make(4), 0.5)],
    ),
    OpInfo(
        "where",
        _where_samples,
        call=lambda lib, c, a, b: lib.where(c, a, b),
        variants=("function",),
        dtypes=FLOAT_INT,
        errors=_where_errors,
    ),
    OpInfo(
        "where_method",
        _where_samples,
        call=lambda lib, c, a, b: a.where(c, b) if hasattr(a, "where") else lib.where(c, a, b),
        variants=("function",),
        gradcheck_samples=1,
    ),
]


def _sum_samples(make):
    return reduction(make) + [S(make(0, 3), 0), S(make(0, 3)), S(make(2, 3), dtype=None)]


def _sum_errors(make):
    return dim_errors(make) + [E(RuntimeError, make(2, 3), (0, 0), match="multiple")]


def _minmax_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3), -2, keepdim=True),
        S(make(3, 4, nc=True), 0),
        S(make(), 0),
        S(make(2, 3), make(3)),
    ]


def _minmax_errors(make):
    return dim_errors(make) + [E(RuntimeError, make(0, 3)), E(IndexError, make(0, 3), 0)]


def _amax_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3), -2, keepdim=True),
        S(make(3, 4, nc=True), (0, 1)),
        S(make(2, 3, 2), (0, 2), True),
        S(make()),
    ]


def _arg_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3), 0, keepdim=True),
        S(make(3, 4, nc=True), -1),
        S(make()),
        S(make(2, 3), keepdim=True),
    ]


def _var_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3), 0, keepdim=True),
        S(make(3, 4, nc=True), -1, correction=0),
        S(make(2, 3, 2), (0, 2)),
        S(make(4), unbiased=False),
        S(make(2, 3), 1, correction=2),
    ]


def _norm_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3, nonzero=True), float("inf")),
        S(make(2, 3), 3, 1),
        S(make(3, 4, nc=True), 2, 0, True),
        S(make(2, 3), dim=(0, 1)),
        S(make(2, 3, nonzero=True), p=1, dim=1),
        S(make()),
    ]


def _cum_samples(make, nonzero=False):
    return [
        S(make(2, 3, nonzero=nonzero), 1),
        S(make(2, 3, nonzero=nonzero), 0),
        S(make(3, 4, nc=True, nonzero=nonzero), -1),
        S(make(nonzero=nonzero), 0),
        S(make(0, 3, nonzero=nonzero), 1),
    ]


def _sort_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 0),
        S(make(3, 4, nc=True), descending=True),
        S(make(2, 3), -1, True),
        S(make()),
        S(make(0, 3)),
    ]


def _topk_samples(make):
    return [
        S(make(2, 4), 2),
        S(make(2, 4), 1, 0),
        S(make(3, 4, nc=True), 2, largest=False),
        S(make(5), 3),
        S(make(2, 3), 0),
    ]


def _allany_samples(make):
    return [
        S(make(2, 3)),
        S(make(2, 3), 1),
        S(make(2, 3), 0, keepdim=True),
        S(make(3, 4, nc=True), -1),
        S(make()),
        S(make(0, 3)),
        S(make(0, 3), 1),
    ]


REDUCTION_OPS = [
    OpInfo("sum", _sum_samples, dtypes=("float32", "int64", "bool", "uint8"), errors=_sum_errors),
    OpInfo(
        "mean",
        lambda make: reduction(make) + [S(make(2, 3), dtype=None)],
        dtypes=FLOAT,
        errors=lambda make: (
            dim_errors(make)
            + [E(RuntimeError, T(np.ones((2, 3), np.int64), fixed=True), match="Long")]
        ),
    ),
    OpInfo(
        "prod",
        lambda make: [
            S(make(2, 3, nonzero=True)),
            S(make(2, 3, nonzero=True), 1),
            S(make(2, 3, nonzero=True), 0, keepdim=True),
            S(make(3, 4, nc=True, nonzero=True), -1),
            S(make(nonzero=True)),
            S(T(np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 0.5]])), 1),
        ],
        dtypes=FLOAT_INT,
        errors=dim_errors,
    ),
    OpInfo("max", _minmax_samples, dtypes=FLOAT_INT, errors=_minmax_errors),
    OpInfo("min", _minmax_samples, dtypes=FLOAT_INT, errors=_minmax_errors),
    OpInfo("amax", _amax_samples, dtypes=FLOAT_INT, errors=dim_errors),
    OpInfo("amin", _amax_samples, dtypes=FLOAT_INT, errors=dim_errors),
    OpInfo("argmax", _arg_samples, dtypes=FLOAT_INT, grad=False, errors=dim_errors),
    OpInfo("argmin", _arg_samples, dtypes=FLOAT_INT, grad=False, errors=dim_errors),
    OpInfo("var", _var_samples, dtypes=FLOAT, errors=dim_errors),
    OpInfo("std", _var_samples, dtypes=FLOAT, errors=dim_errors, gradcheck_samples=2),
    OpInfo(
        "logsumexp",
        lambda make: [
            S(make(2, 3), 1),
            S(make(2, 3), 0, True),
            S(make(3, 4, nc=True), (0, 1)),
            S(make(), 0),
            S(T(np.array([[100.0, 101.0], [-100.0, 0.0]])), 1),  # exp overflows float32
        ],
        dtypes=FLOAT,
        errors=dim_errors,
    ),
    OpInfo(
        "norm", _norm_samples, dtypes=FLOAT, errors=lambda make: [E(IndexError, make(2, 3), 2, 2)]
    ),
    OpInfo(
        "all", _allany_samples, dtypes=("bool", "float32", "uint8"), grad=False, errors=dim_errors
    ),
    OpInfo(
        "any", _allany_samples, dtypes=("bool", "float32", "uint8"), grad=False, errors=dim_errors
    ),
    OpInfo(
        "cumsum",
        _cum_samples,
        dtypes=("float32", "int64", "bool"),
        errors=dim_errors,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "cumprod",
        lambda make: _cum_samples(make, nonzero=True),
        dtypes=FLOAT_INT,
        errors=dim_errors,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(  # zeros: the gradient cannot divide by the input (first and second order)
        "cumprod_zeros",
        lambda make: [
            S(T(np.array([2.0, 0.0, 3.0, 0.5])), 0),
            S(T(np.array([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]])), 1),
            S(T(np.array([[0.0, 1.5], [2.0, 0.0], [3.0, 4.0]])), 0),
        ],
        call=lambda lib, x, d: lib.cumprod(x, d),
        method="cumprod",
        dtypes=FLOAT,
    ),
    OpInfo("sort", _sort_samples, dtypes=FLOAT_INT, errors=dim_errors),
    OpInfo(
        "topk",
        _topk_samples,
        dtypes=FLOAT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), 4, match="out of range"),
            E(IndexError, make(2, 3), 1, 2),
        ],
    ),
]


def _matmul_samples(make):
    return [
        S(make(2, 3), make(3, 4)),
        S(make(3), make(3)),
        S(make(3), make(3, 2)),
        S(make(2, 3), make(3)),
        S(make(2, 2, 3), make(3, 4)),
        S(make(2, 1, 2, 3), make(3, 3, 2)),
        S(make(3, 2, nc=True), make(2, 4, nc="T")),
        S(make(0, 3), make(3, 2)),
    ]


def _mm_errors(make):
    return [
        E(RuntimeError, make(2, 3), make(4, 2), match=r"2x3 and 4x2"),
        E(RuntimeError, make(3), make(2, 3)),
    ]


LINALG_OPS = [
    OpInfo(
        "matmul",
        _matmul_samples,
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), make(4, 2), match=r"2x3 and 4x2"),
            E(RuntimeError, make(), make(3)),
            E(RuntimeError, make(2, 2, 3), make(3, 3, 2)),
        ],
    ),
    OpInfo(
        "op_matmul",
        _matmul_samples,
        call=_op(lambda a, b: a @ b),
        variants=("function",),
        gradcheck_samples=2,
    ),
    OpInfo(
        "mm",
        lambda make: [
            S(make(2, 3), make(3, 4)),
            S(make(3, 2, nc=True), make(2, 2)),
            S(make(0, 3), make(3, 2)),
        ],
        dtypes=FLOAT_INT,
        errors=_mm_errors,
    ),
    OpInfo(
        "bmm",
        lambda make: [
            S(make(2, 2, 3), make(2, 3, 4)),
            S(make(2, 3, 2, nc=True), make(2, 2, 2)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), make(3, 4)),
            E(RuntimeError, make(2, 2, 3), make(3, 3, 4)),
        ],
    ),
    OpInfo(
        "addmm",
        lambda make: [
            S(make(2, 4), make(2, 3), make(3, 4)),
            S(make(4), make(2, 3), make(3, 4), beta=0.5, alpha=2),
            S(make(2, 1, nc=True), make(2, 3), make(3, 4), beta=0),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 4), make(2, 3), make(2, 4))],
    ),
    OpInfo(
        "einsum",
        lambda make: [
            S("ij,jk->ik", make(2, 3), make(3, 4)),
            S("i,i->", make(3), make(3)),
            S("bij,bjk->bik", make(2, 2, 3), make(2, 3, 2)),
            S("ij->ji", make(2, 3, nc=True)),
            S("ij->j", make(2, 3)),
            S("i,j->ij", make(2), make(3)),
            S("...ij,...jk", make(2, 2, 3), make(3, 2)),
        ],
        call=lambda lib, eq, *ops: lib.einsum(eq, *ops),
        variants=("function",),
        errors=lambda make: [E(RuntimeError, "ij,jk->ik", make(2, 3), make(4, 2))],
    ),
    OpInfo(
        "outer",
        lambda make: [
            S(make(3), make(2)),
            S(make(4, nc=True), make(3, nc=True)),
            S(make(0), make(2)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 2), make(2))],
    ),
    OpInfo(
        "dot",
        lambda make: [S(make(3), make(3)), S(make(4, nc=True), make(4))],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(3), make(4)),
            E(RuntimeError, make(2, 3), make(3)),
        ],
    ),
    OpInfo(
        "tensordot",
        lambda make: [
            S(make(2, 3), make(3, 4), 1),
            S(make(2, 3, 4), make(3, 4, 2)),
            S(make(2, 3), make(3, 2), ([1], [0])),
            S(make(2, 3), make(3, 2), dims=([0, 1], [1, 0])),
            S(make(2, 3), make(4), 0),
        ],
        call=lambda lib, a, b, dims=2: lib.tensordot(a, b, dims),
        variants=("function",),
        errors=lambda make: [E(RuntimeError, make(2, 3), make(4, 2), 1)],
    ),
]


# -- shape ops -----------------------------------------------------------------------------------

SHAPE_OPS = [
    OpInfo(
        "view",
        lambda make: [
            S(make(2, 3), 3, 2),
            S(make(2, 3), (-1,)),
            S(make(2, 3), 1, -1, 3),
            S(make(), 1),
            S(make(0, 3), 3, 0),
            S(make(4), (2, 2)),
        ],
        variants=("method",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), 4, -1, match="invalid for input of size 6"),
            E(RuntimeError, make(2, 3, nc="T"), 6, match="view size is not compatible"),
            E(RuntimeError, make(2, 3), -1, -1),
        ],
    ),
    OpInfo(
        "reshape",
        lambda make: [
            S(make(2, 3), (3, 2)),
            S(make(2, 3, nc="T"), (-1,)),
            S(make(2, 3), (1, -1, 3)),
            S(make(), (1,)),
            S(make(0, 3), (3, 0)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), (4, -1), match=r"shape '\[4, -1\]' is invalid"),
        ],
    ),
    OpInfo(
        "flatten",
        lambda make: [
            S(make(2, 3, 2)),
            S(make(2, 3, 2), 1),
            S(make(2, 3, 2, nc=True), 0, 1),
            S(make()),
            S(make(2, 0, 3), 1),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 3, 2), 2, 1), E(IndexError, make(2, 3), 0, 3)],
    ),
    OpInfo(
        "unflatten",
        lambda make: [
            S(make(2, 6), 1, (2, 3)),
            S(make(6, 2, nc=True), 0, (3, -1)),
            S(make(4), -1, (2, 2)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 6), 1, (4, 2))],
    ),
    OpInfo(
        "squeeze",
        lambda make: [
            S(make(2, 1, 3, 1)),
            S(make(2, 1, 3), 1),
            S(make(2, 1, 3), 0),
            S(make(1, 3, 1, nc=True), (0, 2)),
            S(make()),
            S(make(1)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 1), 2)],
    ),
    OpInfo(
        "unsqueeze",
        lambda make: [
            S(make(2, 3), 0),
            S(make(2, 3), -1),
            S(make(2, 3, nc=True), 1),
            S(make(), 0),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 3), 3)],
    ),
    OpInfo(
        "permute",
        lambda make: [
            S(make(2, 3, 4), 2, 0, 1),
            S(make(2, 3, 4), (1, 0, 2)),
            S(make(2, 3, nc=True), -1, 0),
            S(make(), ()),
        ],
        variants=("method",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 3), 0, match="number of dimensions"),
            E(RuntimeError, make(2, 3), 0, 0),
            E(IndexError, make(2, 3), 0, 2),
        ],
    ),
    OpInfo(
        "permute_fn",
        lambda make: [S(make(2, 3, 4), (2, 0, 1))],
        call=lambda lib, x, dims: lib.permute(x, dims),
        variants=("function",),
    ),
    OpInfo(
        "transpose",
        lambda make: [
            S(make(2, 3), 0, 1),
            S(make(2, 3, 4), -1, 0),
            S(make(2, 3, nc=True), 1, 1),
            S(make(), 0, -1),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 3), 0, 2)],
    ),
    OpInfo(
        "t",
        lambda make: [S(make(2, 3)), S(make(3)), S(make())],
        dtypes=FLOAT_INT,
        variants=("function", "method"),
        errors=lambda make: [E(RuntimeError, make(2, 3, 4))],
    ),
    OpInfo(
        "T",
        lambda make: [S(make(2, 3)), S(make(2, 3, 4, nc=True))],
        call=lambda lib, x: x.T,
        variants=("function",),
    ),
    OpInfo(
        "mT",
        lambda make: [S(make(2, 3)), S(make(2, 3, 4, nc=True))],
        call=lambda lib, x: x.mT,
        variants=("function",),
    ),
    OpInfo(
        "expand",
        lambda make: [
            S(make(3, 1), 3, 4),
            S(make(3, 1), (2, 3, 4)),
            S(make(3, 1), -1, 2),
            S(make(), 2, 3),
            S(make(1, 3, nc=True), 2, 3),
        ],
        variants=("method",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(3, 2), 3, 4, match=r"must match the existing size \(2\)"),
            E(RuntimeError, make(3, 2), 4),
        ],
    ),
    OpInfo(
        "expand_as",
        lambda make: [S(make(3, 1), make(3, 4, grad=False)), S(make(), make(2, 2, grad=False))],
        variants=("method",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "repeat",
        lambda make: [
            S(make(2, 3), 2, 1),
            S(make(2, 3), (1, 2, 2)),
            S(make(3, nc=True), 2),
            S(make(), 3),
            S(make(2, 3), 0, 1),
        ],
        variants=("method",),
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 3), 2)],
    ),
    OpInfo(
        "tile",
        lambda make: [
            S(make(2, 3), (2,)),
            S(make(2, 3), (2, 1, 2)),
            S(make(3, nc=True), (2, 2)),
            S(make(), (3,)),
        ],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "cat",
        lambda make: [
            S([make(2, 3), make(1, 3)]),
            S([make(2, 3), make(2, 2, nc=True)], 1),
            S((make(2, 3), make(2, 3), make(2, 3)), dim=-1),
            S([make(0, 3), make(2, 3)]),
            S([make(2, 3), T(np.zeros(0, np.float32))]),
        ],
        variants=("function",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, [make(2, 3), make(2, 4)], match="Sizes of tensors must match"),
            E(RuntimeError, [make(2, 3), make(3)]),
            E(ValueError, []),
            E(IndexError, [make(2, 3), make(2, 3)], 2),
            E(RuntimeError, [make(), make()]),
        ],
    ),
    OpInfo(
        "cat_promote",
        lambda make: [S([make(2, 3), T(np.arange(3, dtype=np.int64)[None], fixed=True)])],
        call=lambda lib, ts: lib.cat(ts),
        variants=("function",),
        gradcheck_samples=0,
    ),
    OpInfo(
        "stack",
        lambda make: [
            S([make(2, 3), make(2, 3)]),
            S([make(2, 3), make(2, 3, nc=True)], 1),
            S((make(2, 3), make(2, 3)), dim=-1),
            S([make(), make()]),
            S([make(0, 3)]),
        ],
        variants=("function",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, [make(2, 3), make(3, 2)], match="equal size"),
            E(RuntimeError, []),
            E(IndexError, [make(2, 3)], 3),
        ],
    ),
    OpInfo(
        "split",
        lambda make: [
            S(make(5, 2), 2),
            S(make(5, 2), [1, 4]),
            S(make(2, 5, nc=True), 3, 1),
            S(make(4, 2), 2, dim=-2),
            S(make(0, 2), 1),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(5, 2), [1, 2]),
            E(IndexError, make(5, 2), 2, 2),
        ],
    ),
    OpInfo(
        "chunk",
        lambda make: [
            S(make(5, 2), 2),
            S(make(6, 2), 3),
            S(make(2, 5, nc=True), 4, 1),
            S(make(2, 2), 5),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(5, 2), 0)],
    ),
    OpInfo(
        "unbind",
        lambda make: [
            S(make(3, 2)),
            S(make(2, 3, nc=True), 1),
            S(make(2, 3), -1),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 3), 2)],
    ),
    OpInfo(
        "narrow",
        lambda make: [
            S(make(4, 3), 0, 1, 2),
            S(make(4, 3), 1, 0, 3),
            S(make(3, 4, nc=True), -1, 1, 2),
            S(make(4, 3), 0, -2, 2),
            S(make(4, 3), 0, 4, 0),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(3), 0, 2, 5, match=r"start \(2\) \+ length \(5\)"),
            E(IndexError, make(3), 1, 0, 1),
        ],
    ),
    OpInfo(
        "flip",
        lambda make: [
            S(make(2, 3), (0,)),
            S(make(2, 3), [0, 1]),
            S(make(2, 3, nc=True), (-1,)),
            S(make(), ()),
            S(make(0, 3), (1,)),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(IndexError, make(2, 3), (2,)),
            E(RuntimeError, make(2, 3), (0, 0)),
            E(TypeError, make(2, 3), 1),
        ],
    ),
    OpInfo(
        "roll",
        lambda make: [
            S(make(2, 3), 1),
            S(make(2, 3), 1, 0),
            S(make(2, 3, nc=True), (1, -2), (0, 1)),
            S(make(4), -5),
            S(make(2, 3), shifts=2, dims=-1),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 3), 1, 2)],
    ),
    OpInfo(
        "contiguous",
        lambda make: [S(make(2, 3)), S(make(2, 3, nc=True)), S(make())],
        variants=("method",),
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "clone", lambda make: [S(make(2, 3)), S(make(2, 3, nc=True)), S(make())], dtypes=FLOAT_INT
    ),
    OpInfo("detach", lambda make: [S(make(2, 3)), S(make())], dtypes=FLOAT_INT, grad=False),
    OpInfo(
        "view_as",
        lambda make: [S(make(2, 3), make(3, 2, grad=False)), S(make(4), make(2, 2, grad=False))],
        variants=("method",),
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(2, 3), make(4))],
    ),
    OpInfo(
        "type_as",
        lambda make: [
            S(make(2, 3), T(np.zeros(2, np.float64), grad=False, fixed=True)),
            S(make(2, 3), T(np.zeros(1, np.int32), fixed=True)),
        ],
        variants=("method",),
        dtypes=FLOAT_INT,
        gradgrad=True,
    ),
    OpInfo(
        "new_zeros",
        lambda make: [S(make(2, 3), (3, 2)), S(make(), 2, 1)],
        variants=("method",),
        dtypes=FLOAT_INT,
        grad=False,
    ),
    OpInfo(
        "new_ones",
        lambda make: [S(make(2, 3), (3, 2))],
        variants=("method",),
        dtypes=FLOAT_INT,
        grad=False,
    ),
    OpInfo(
        "new_full",
        lambda make: [S(make(2, 3), (3, 2), 7)],
        variants=("method",),
        dtypes=FLOAT_INT,
        grad=False,
    ),
    OpInfo(
        "new_empty_shape",
        lambda make: [S(make(2, 3), (3, 2))],
        call=lambda lib, x, s: x.new_empty(s).shape,
        variants=("function",),
        grad=False,
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "new_tensor",
        lambda make: [S(make(2, 3), [1, 2]), S(make(2, 3), [[1.5], [2.0]])],
        variants=("method",),
        dtypes=FLOAT_INT,
        grad=False,
    ),
]


# -- indexing ------------------------------------------------------------------------------------


def _getitem(lib, x, key):
    return x[key]


def _getitem_samples(make):
    x = lambda: make(4, 3)  # noqa: E731
    return [
        S(x(), 1),
        S(x(), -1),
        S(x(), slice(1, 3)),
        S(x(), (slice(None), 2)),
        S(x(), (slice(None, None, 2), slice(1, None))),
        S(x(), (Ellipsis, None, 1)),
        S(x(), None),
        S(x(), [0, 2, 2]),
        S(x(), idx([3, 0, 3])),
        S(x(), (idx([0, 1]), idx([2, 0]))),
        S(x(), (slice(None), [2, 0])),
        S(x(), mask([True, False, True, True])),
        S(x(), mask(np.arange(12).reshape(4, 3) % 2 == 0)),
        S(make(3, 4, nc=True), (1, slice(0, 3))),
        S(make(2, 3, 4), (idx([0, 1]), slice(None), idx([1, 3]))),
        S(make(), ()),
        S(make(), None),
        S(x(), (idx([[0, 1], [2, 3]]),)),
        S(x(), (Ellipsis, idx([0, 0]))),
    ]


def _setitem(lib, x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _setitem_samples(make):
    x = lambda: make(4, 3)  # noqa: E731
    return [
        S(x(), 1, make(3)),
        S(x(), (slice(None), 2), 0.5),
        S(x(), slice(1, 3), make(1, 3)),
        S(x(), idx([3, 0]), make(2, 3)),
        S(x(), mask([True, False, True, False]), make(3)),
        S(x(), mask(np.arange(12).reshape(4, 3) % 2 == 0), 2.0),
        S(x(), (idx([0, 1]), idx([2, 0])), make(2)),
        S(x(), Ellipsis, make()),
        S(make(3, 4, nc=True), (slice(None), 1), make(3)),
    ]


def _getitem_errors(make):
    return [
        E(IndexError, make(4, 3), 4, match="out of bounds"),
        E(IndexError, make(4, 3), (0, 3)),
        E(IndexError, make(4, 3), (0, 0, 0), match="too many indices"),
        E(IndexError, make(4, 3), T(np.array([0.0, 1.0]), grad=False)),
    ]


def _gather_samples(make):
    return [
        S(make(3, 4), 1, idx([[0, 1], [3, 3], [2, 0]])),
        S(make(3, 4), 0, idx([[0, 1, 2, 0], [2, 2, 1, 0]])),
        S(make(3, 4, nc=True), -1, idx([[1], [0], [3]])),
        S(make(3, 4), 1, idx(np.zeros((0, 2)))),
    ]


def _gather_errors(make):
    return [
        E(RuntimeError, make(3, 4), 1, idx([[4]]), match="out of bounds"),
        E(RuntimeError, make(3, 4), 1, T(np.array([[1.0]]), grad=False, fixed=True)),
        E(RuntimeError, make(3, 4), 1, idx([1, 2])),
        E(IndexError, make(3, 4), 2, idx([[1]])),
    ]


def _scatter_samples(make):
    return [
        S(make(3, 4), 1, idx([[0, 1], [3, 2], [2, 0]]), make(3, 2)),
        S(make(3, 4), 0, idx([[0, 1, 2, 0], [2, 0, 1, 1]]), make(2, 4)),
        S(make(3, 4, nc=True), -1, idx([[1], [0], [3]]), make(3, 1)),
        S(make(3, 4), 1, idx([[0, 1], [3, 2], [2, 0]]), 1.5),
    ]


def _scatter_add_samples(make):
    return [
        S(make(3, 4), 1, idx([[0, 1, 1], [3, 3, 3], [2, 0, 2]]), make(3, 3)),
        S(make(3, 4), 0, idx([[0, 1, 2, 0], [2, 2, 1, 0]]), make(2, 4)),
        S(make(3, 4, nc=True), -1, idx([[1], [0], [3]]), make(3, 1)),
    ]


def _index_select_samples(make):
    return [
        S(make(3, 4), 0, idx([2, 0, 2])),
        S(make(3, 4), 1, idx([3])),
        S(make(3, 4, nc=True), -1, idx([1, 1, 0])),
        S(
            make(3, 4),
            0,
            idx(
                [],
            ),
        ),
        S(make(), 0, idx([0])),
        S(make(3, 4), 0, T(np.array([1, 0], np.int32), fixed=True, grad=False)),
    ]


def _index_add_samples(make):
    return [
        S(make(3, 4), 0, idx([2, 0, 2]), make(3, 4)),
        S(make(3, 4), 1, idx([3, 0]), make(3, 2)),
        S(make(3, 4, nc=True), -1, idx([1]), make(3, 1), alpha=2.0),
    ]


def _masked_fill_samples(make):
    return [
        S(make(2, 3), mask([[True, False, True], [False, False, True]]), 0.5),
        S(make(2, 3), mask([True, False, False]), -1),
        S(make(3, 2, nc=True), mask([[True], [False], [True]]), 2.0),
        S(make(2, 3), mask(True), T(np.array(3.0, np.float32), grad=False)),
        S(make(), mask(False), 1.0),
    ]


def _masked_select_samples(make):
    return [
        S(make(2, 3), mask([[True, False, True], [False, False, True]])),
        S(make(2, 3), mask([True, False, True])),
        S(make(3, 2, nc=True), mask([[True], [False], [True]])),
        S(make(2, 3), mask(np.zeros((2, 3), bool))),
    ]


def _take_samples(make):
    return [
        S(make(3, 4), idx([0, 5, 11])),
        S(make(3, 4, nc=True), idx([[1, 2], [3, 0]])),
        S(make(3, 4), idx(-1)),
    ]


INDEX_OPS = [
    OpInfo(
        "getitem",
        _getitem_samples,
        call=_getitem,
        variants=("function",),
        dtypes=FLOAT_INT,
        errors=_getitem_errors,
        gradcheck_samples=19,
    ),
    OpInfo(
        "setitem",
        _setitem_samples,
        call=_setitem,
        variants=("function",),
        dtypes=FLOAT_INT,
        gradcheck_samples=9,
        errors=lambda make: [
            E(IndexError, make(4, 3), 5, 0.0),
            E(RuntimeError, make(4, 3), 0, make(4)),
        ],
    ),
    OpInfo("gather", _gather_samples, dtypes=FLOAT_INT, errors=_gather_errors),
    OpInfo(
        "scatter",
        _scatter_samples,
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
        errors=lambda make: [E(RuntimeError, make(3, 4), 1, idx([[5]]), make(1, 1))],
    ),
    OpInfo(
        "scatter_add",
        _scatter_add_samples,
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "index_select",
        _index_select_samples,
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(IndexError, make(3, 4), 0, idx([3]), match="out of range"),
            E(RuntimeError, make(3, 4), 0, T(np.array([0.0]), grad=False, fixed=True)),
            E(IndexError, make(3, 4), 0, idx([[0]])),
        ],
    ),
    OpInfo(
        "index_add",
        _index_add_samples,
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "masked_fill",
        _masked_fill_samples,
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
        errors=lambda make: [
            E(RuntimeError, make(2, 3), T(np.ones((2, 3), np.float32), fixed=True), 0.0),
            E(RuntimeError, make(2, 3), mask([True, False]), 0.0),
        ],
    ),
    OpInfo("masked_select", _masked_select_samples, dtypes=FLOAT_INT),
    OpInfo(
        "take",
        _take_samples,
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(3, 4), idx([12]))],
    ),
    OpInfo(
        "nonzero",
        lambda make: [
            S(make(2, 3)),
            S(T(np.array([[0, 1.5, 0], [2, 0, 0]], np.float32))),
            S(make()),
            S(make(0, 3)),
            S(make(2, 3), as_tuple=True),
        ],
        dtypes=("float32", "int64", "bool"),
        grad=False,
    ),
]

# -- ops that had no parity test until the third session ----------------------------------

NAN = float("nan")
# No all-NaN column: there PyTorch's nanmean gradient is NaN (0 * inf), ember's 0.
_WITH_NAN = T(np.array([[1.0, NAN, 2.0], [NAN, 5.0, -3.0]]))
_SPECIAL = T(np.array([[NAN, np.inf, -np.inf], [1.0, -2.0, 0.5]]))


def _running(name):
    """cummax / cummin: (values, indices) along a dimension."""
    return OpInfo(
        name,
        lambda make: [S(make(2, 3), 1), S(make(3, 4, nc=True), 0), S(make(4), 0)],
        dtypes=FLOAT_INT,
        errors=dim_errors,
    )


def _dim_samples(make, n=5):
    return [S(make(2, n)), S(make(2, n), 1), S(make(3, 4), 0, True), S(make(4, 3, nc=True), -1)]


MORE_OPS = [
    OpInfo(
        "nansum",
        lambda make: reduction(make) + [S(_WITH_NAN), S(_WITH_NAN, 1)],
        dtypes=FLOAT,
        errors=dim_errors,
    ),
    OpInfo(
        "nanmean",
        lambda make: [S(make(2, 3)), S(make(2, 3), 1), S(_WITH_NAN, 0, True), S(_WITH_NAN, 1)],
        dtypes=FLOAT,
        errors=dim_errors,
    ),
    OpInfo(
        "count_nonzero",
        lambda make: [
            S(make(2, 3)),
            S(T(np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])), 1),
            S(make(2, 3, 2), (0, 2)),
        ],
        dtypes=("float32", "int64", "bool"),
        grad=False,
        errors=dim_errors,
    ),
    OpInfo(
        "aminmax",
        lambda make: [S(make(2, 3)), S(make(2, 3), dim=1), S(make(3, 4), dim=0, keepdim=True)],
        dtypes=FLOAT_INT,
        grad=False,
    ),
    OpInfo(
        "kthvalue",
        lambda make: [S(make(2, 5), 2), S(make(3, 4), 1, 0), S(make(3, 4), 3, 1, True)],
        dtypes=FLOAT,  # small random ints tie, and which tied index comes back is unspecified
        errors=lambda make: [E(RuntimeError, make(2, 3), 4), E(IndexError, make(2, 3), 1, 2)],
    ),
    OpInfo("median", _dim_samples, dtypes=FLOAT_INT, errors=dim_errors),
    OpInfo(  # ties and NaNs: the reduce-all gradient is spread evenly (not smooth: no gradcheck)
        "median_ties",
        lambda make: [
            S(T(np.array([1.0, 2.0, 2.0, 3.0, 2.0]))),
            S(T(np.array([[2.0, 1.0, 2.0], [2.0, 3.0, 0.0]]))),
            S(_WITH_NAN),
            S(T(np.array([NAN, NAN]))),
        ],
        call=lambda lib, x, *a: lib.median(x, *a),
        method="median",
        dtypes=FLOAT,
        gradcheck_samples=0,
    ),
    _running("cummax"),
    OpInfo(
        "argsort",
        lambda make: [S(make(2, 3)), S(make(2, 3), 0), S(make(2, 3), 1, True)],
        dtypes=FLOAT_INT,
        grad=False,
        errors=dim_errors,
    ),
    OpInfo("msort", lambda make: [S(make(3, 4)), S(make(4, 2, nc=True))], dtypes=FLOAT_INT),
    OpInfo("fliplr", lambda make: [S(make(2, 3)), S(make(2, 3, 2, nc=True))], dtypes=FLOAT_INT),
    OpInfo("flipud", lambda make: [S(make(2, 3)), S(make(4))], dtypes=FLOAT_INT),
    OpInfo(
        "movedim",
        lambda make: [S(make(2, 3, 4), 0, 2), S(make(2, 3, 4), (0, 1), (2, 0))],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(IndexError, make(2, 3), 0, 2)],
    ),
    OpInfo("moveaxis", lambda make: [S(make(2, 3, 4), -1, 0)], dtypes=FLOAT_INT),
    OpInfo(
        "broadcast_to",
        lambda make: [S(make(3), (2, 3)), S(make(2, 1), (2, 4)), S(make(), (3,))],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(3), (2, 4))],
    ),
    OpInfo("swapaxes", lambda make: [S(make(2, 3, 4), 0, 2)], dtypes=FLOAT_INT),
    OpInfo("swapdims", lambda make: [S(make(2, 3, 4), -1, 1)], dtypes=FLOAT_INT),
    OpInfo(
        "tril",
        lambda make: [S(make(3, 4)), S(make(3, 4), 1), S(make(2, 3, 3), -1)],
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "triu",
        lambda make: [S(make(3, 4)), S(make(4, 3), -1), S(make(2, 3, 3, nc=True), 2)],
        dtypes=FLOAT_INT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "diagonal",
        lambda make: [S(make(3, 4)), S(make(3, 4), 1), S(make(2, 3, 4), 0, 1, 2)],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "diag",
        lambda make: [S(make(3)), S(make(3, 4)), S(make(3), 1), S(make(3, 4), -1)],
        dtypes=FLOAT_INT,
    ),
    OpInfo("trace", lambda make: [S(make(3, 4)), S(make(3, 3))], dtypes=FLOAT_INT),
    OpInfo(
        "repeat_interleave",
        lambda make: [
            S(make(2, 3), 2),
            S(make(2, 3), 2, dim=0),
            S(make(2, 3), idx([1, 0, 2]), dim=1),
        ],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "tensor_split",
        lambda make: [S(make(7), 3), S(make(4, 6), (1, 4), dim=1), S(make(5, 2), 2)],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "take_along_dim",
        lambda make: [
            S(make(3, 4), idx([[0, 3], [1, 1], [2, 0]]), dim=1),
            S(make(3, 4), idx([[2, 0, 1, 1]]), dim=0),
        ],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "mv",
        lambda make: [S(make(2, 3), make(3)), S(make(3, 2, nc="T"), make(2))],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "addmv",
        lambda make: [
            S(make(2), make(2, 3), make(3)),
            S(make(2), make(2, 3), make(3), beta=0.5, alpha=2),
        ],
        dtypes=FLOAT,
    ),
    OpInfo(
        "baddbmm",
        lambda make: [
            S(make(2, 2, 4), make(2, 2, 3), make(2, 3, 4)),
            S(make(2, 4), make(2, 2, 3), make(2, 3, 4), beta=0.5, alpha=2),
        ],
        dtypes=FLOAT,
    ),
    OpInfo(
        "addbmm",
        lambda make: [
            S(make(2, 4), make(3, 2, 3), make(3, 3, 4)),
            S(make(4), make(3, 2, 3), make(3, 3, 4), alpha=0.5),
        ],
        dtypes=FLOAT,
    ),
    OpInfo("vdot", lambda make: [S(make(3), make(3))], dtypes=FLOAT_INT),
    OpInfo(
        "inner", lambda make: [S(make(2, 3), make(4, 3)), S(make(3), make(3))], dtypes=FLOAT_INT
    ),
    OpInfo("ger", lambda make: [S(make(3), make(2))], dtypes=FLOAT_INT),
    OpInfo(
        "cross",
        lambda make: [S(make(2, 3), make(2, 3), dim=1), S(make(3, 2), make(3, 2), dim=0)],
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(2, 4), make(2, 4), dim=1, match="must have length 3"),
            E(RuntimeError, make(2, 3), make(3, 3), dim=1),
            E(RuntimeError, make(2, 1), make(2, 3), dim=1, match="Got 1 and 3"),
        ],
    ),
    OpInfo(
        "addcmul",
        lambda make: [
            S(make(2, 3), make(2, 3), make(3)),
            S(make(2, 3), make(2, 3), make(2, 3), value=0.5),
        ],
        dtypes=FLOAT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "addcdiv",
        lambda make: [
            S(make(2, 3), make(2, 3), make(3, nonzero=True)),
            S(make(2, 3), make(2, 3), make(2, 3, nonzero=True), value=-2),
        ],
        dtypes=FLOAT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "nan_to_num",
        lambda make: [S(make(2, 3)), S(_SPECIAL), S(_SPECIAL, nan=0.5, posinf=2.0, neginf=-4.0)],
        dtypes=FLOAT,
        variants=("function", "method", "inplace"),
    ),
    OpInfo(
        "isclose",
        lambda make: [S(make(2, 3), make(2, 3)), S(make(2, 3), make(3), rtol=0.5, atol=0.5)],
        dtypes=FLOAT_INT,
        grad=False,
    ),
]

COMPOSITE_OPS = [
    OpInfo(
        "diff",
        lambda make: [
            S(make(3, 4)),
            S(make(3, 4), 2, 0),
            S(make(3, 4), 1, -1, prepend=make(3, 1), append=make(3, 2)),
            S(make(5, nc=True), 3),
        ],
        dtypes=("float32", "int64", "bool"),
        errors=lambda make: [E(RuntimeError, make())],
    ),
    _ops_binary("logaddexp", inplace=False, dtypes=FLOAT, scalars=False),
    _ops_binary("logaddexp2", inplace=False, dtypes=FLOAT, scalars=False),
    _ops_binary("hypot", inplace=False, dtypes=FLOAT, scalars=False, nonzero_rhs=True),
    _running("cummin"),
    OpInfo(
        "kron",
        lambda make: [S(make(2, 3), make(2, 2)), S(make(3), make(2, 2)), S(make(2, 1, 2), make(3))],
        dtypes=FLOAT_INT,
    ),
    OpInfo(
        "rot90",
        lambda make: [
            S(make(2, 3)),
            S(make(2, 3), 2),
            S(make(2, 3, 4), 3, (2, 0)),
            S(make(2, 3), -1, [1, 0]),
        ],
        dtypes=FLOAT_INT,
        errors=lambda make: [E(RuntimeError, make(3)), E(RuntimeError, make(2, 3), 1, (0, 0))],
    ),
    OpInfo(
        "diag_embed",
        lambda make: [S(make(3)), S(make(2, 3), 1), S(make(2, 3), -1, 0, 2)],
        dtypes=FLOAT_INT,
    ),
    OpInfo("diagflat", lambda make: [S(make(2, 2)), S(make(3), -1)], dtypes=FLOAT_INT),
    OpInfo("ravel", lambda make: [S(make(2, 3)), S(make(3, 2, nc="T"))], dtypes=FLOAT_INT),
    OpInfo(
        "logcumsumexp",
        lambda make: [
            S(make(2, 3), 1),
            S(make(3, 4, nc=True), 0),
            S(T(np.array([[100.0, 101.0, -100.0], [-np.inf, 0.0, 1.0]])), 1),
        ],
        dtypes=FLOAT,
        gradcheck_samples=2,
    ),
    OpInfo(
        "copysign",
        lambda make: [
            S(make(2, 3, nonzero=True), make(2, 3)),
            S(make(2, 3, nonzero=True), make(3)),
            S(make(2, 3, nonzero=True), T(np.array([-0.0, 0.0, -1.0]), grad=False)),
        ],
        dtypes=FLOAT,
    ),
    OpInfo("signbit", lambda make: [S(make(2, 3)), S(T(np.array([-0.0, 0.0, 1.0])))], grad=False),
    OpInfo(
        "heaviside",
        lambda make: [
            S(T(np.array([-1.0, 0.0, 2.0]), grad=False), make(3)),
            S(make(2, 3), make(3)),
        ],
        grad=False,
        variants=("function", "method"),
    ),
    OpInfo("dist", lambda make: [S(make(2, 3), make(2, 3)), S(make(3), make(3), 3)], dtypes=FLOAT),
    OpInfo(
        "quantile",
        lambda make: [
            S(make(7), 0.3),
            S(make(3, 5), 0.5, 1),
            S(make(3, 5), T(np.array([0.1, 0.9]), grad=False), 0, True),
            S(make(3, 4), 0.25, 1, interpolation="midpoint"),
            S(make(3, 4), 0.4, 0, interpolation="nearest"),
            S(make(3, 4), 0.4, None, True, interpolation="lower"),
        ],
        dtypes=FLOAT,
        errors=lambda make: [
            E(RuntimeError, make(3), 1.5),
            E(RuntimeError, make(3), 0.5, interpolation="cubic"),
            E(RuntimeError, make(0), 0.5),
        ],
    ),
    OpInfo(
        "tensor_unfold",
        lambda make: [
            S(make(10), 0, 3, 2),
            S(make(2, 3, 4), 1, 2, 1),
            S(make(3, 5, nc=True), -1, 5, 1),
            S(make(4), 0, 0, 1),
            S(make(), 0, 1, 1),
        ],
        call=lambda lib, x, *a: x.unfold(*a),
        variants=("function",),
        dtypes=FLOAT_INT,
        errors=lambda make: [
            E(RuntimeError, make(10), 0, 11, 1, match="maximum size"),
            E(RuntimeError, make(10), 0, 3, 0, match="step is 0"),
            E(IndexError, make(10), 1, 2, 1),
        ],
    ),
    _ops_binary("gcd", inplace=False, dtypes=("int64", "int32"), grad=False, scalars=False),
    _ops_binary("lcm", inplace=False, dtypes=("int64", "int32"), grad=False, scalars=False),
]


def _gamma_points(make):
    # Both sides of the poles, a large argument, the pole at 0 and the infinities (at negative
    # poles PyTorch's float32 kernels return large finite numbers, ember infinities).
    pts = [-2.5, -1.3, -0.5, 0.25, 0.5, 1.0, 2.0, 7.5, 30.0, 0.0, np.inf, -np.inf, NAN]
    return [
        S(make(2, 3, low=0.1, high=4.0)),
        S(make(3, 2, nc="T", low=0.1, high=4.0)),
        S(T(np.array(pts))),
    ]


def _polygamma_call(n):
    return lambda lib, x: lib.polygamma(n, x)


def _finite_points(make):
    return [S(make(2, 3, low=0.1, high=4.0)), S(T(np.array([-2.5, -1.3, -0.5, 0.25, 7.5])))]


GAMMA_OPS = (
    [
        OpInfo(
            name,
            _gamma_points,
            dtypes=FLOAT_INT,
            gradcheck_samples=1,
            variants=("function", "method", "inplace"),
        )
        for name in ("lgamma", "digamma")
    ]
    + [
        OpInfo(
            f"polygamma{n}",
            _finite_points if n == 1 else _gamma_points,
            call=_polygamma_call(n),
            method=None,
            variants=("function",),
            dtypes=FLOAT,
            gradcheck_samples=1,
        )
        for n in (1, 2, 3)
    ]
    + [
        OpInfo(
            "polygamma_method",
            lambda make: [S(make(2, 3, low=0.1, high=4.0), 2)],
            call=lambda lib, x, n: x.polygamma(n),
            variants=("function",),
            dtypes=FLOAT,
            gradcheck_samples=1,
        ),
        OpInfo(
            "mvlgamma",
            lambda make: [S(make(2, 3, low=2.0, high=4.0), 3), S(make(4, low=0.6, high=3.0), 1)],
            dtypes=FLOAT,
            errors=lambda make: [E(RuntimeError, make(3), 0)],
        ),
    ]
)

# -- everything ------------------------------------------------------------------------------------

OP_DB = (
    UNARY_OPS
    + [
        OpInfo(
            "round_decimals",
            _round_decimals,
            call=lambda lib, x, **k: lib.round(x, **k),
            variants=("function",),
            gradcheck_samples=1,
        )
    ]
    + BINARY_OPS
    + COMPARISON_OPS
    + OPERATOR_OPS
    + SELECTION_OPS
    + REDUCTION_OPS
    + LINALG_OPS
    + SHAPE_OPS
    + INDEX_OPS
    + MORE_OPS
    + COMPOSITE_OPS
    + GAMMA_OPS
)
