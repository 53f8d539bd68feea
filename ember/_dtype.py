"""dtype objects, their NumPy equivalents, and PyTorch's type-promotion rules."""

from __future__ import annotations

import numpy as np

try:  # bfloat16 comes from ml_dtypes when it is installed (an optional dependency)
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - exercised only without ml_dtypes
    _ml_dtypes = None

# Categories order the kinds of numbers for promotion: a float beats any int, an int any bool.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


_SCALAR_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


class dtype:
    """A tensor element type, e.g. ``ember.float32``.

    Example:
        >>> ember.zeros(2, dtype=ember.int64).dtype
        ember.int64
    """

    __slots__ = (
        "name",
        "np",
        "itemsize",
        "is_floating_point",
        "is_complex",
        "is_signed",
        "_cat",
        "scalar_name",
    )

    def __init__(self, name: str, np_dtype, cat: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._cat = cat
        self.is_floating_point = cat == _FLOAT
        self.is_complex = cat == _COMPLEX
        self.is_signed = name not in ("uint8", "bool")
        # PyTorch's ScalarType name, used in error messages ("Long", "Float" ...)
        self.scalar_name = _SCALAR_NAMES.get(name, name.capitalize())

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128}.get(self, complex64)


bool_ = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)
bfloat16 = dtype("bfloat16", _ml_dtypes.bfloat16, _FLOAT) if _ml_dtypes else None

all_dtypes = [
    d
    for d in (
        bool_,
        uint8,
        int8,
        int16,
        int32,
        int64,
        float16,
        bfloat16,
        float32,
        float64,
        complex64,
        complex128,
    )
    if d is not None
]
_NP_TO_DTYPE = {d.np: d for d in all_dtypes}
_NAMES = {d.name: d for d in all_dtypes}
_NAMES.update(
    half=float16,
    float=float32,
    double=float64,
    short=int16,
    int=int32,
    long=int64,
    cfloat=complex64,
    cdouble=complex128,
)


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; raises TypeError for types ember cannot hold."""
    try:
        return _NP_TO_DTYPE[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


def to_numpy(d) -> np.dtype:
    """The NumPy dtype of an ember dtype (also accepts NumPy dtypes and python types)."""
    if isinstance(d, dtype):
        return d.np
    return as_dtype(d).np


def as_dtype(d) -> dtype:
    """Normalise ``d`` (ember dtype, NumPy dtype, python type or name) to an ember dtype."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return get_default_dtype()
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex64
    if isinstance(d, str):
        if d.startswith("torch.") or d.startswith("ember."):
            d = d.split(".", 1)[1]
        if d in _NAMES:
            return _NAMES[d]
    try:
        return from_numpy(d)
    except TypeError:
        raise TypeError(f"expected a dtype, got {d!r}") from None


_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors made from python floats (float32 unless changed).

    Example:
        >>> ember.get_default_dtype()
        ember.float32
    """
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64 or float16 or bfloat16).

    Example:
        >>> ember.set_default_dtype(ember.float64); ember.set_default_dtype(ember.float32)
    """
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._cat != b._cat:  # the higher kind of number wins, keeping its own width
        lo, hi = (a, b) if a._cat < b._cat else (b, a)
        if hi is complex64 and lo is float64:
            return complex128
        return hi
    if bfloat16 is not None and bfloat16 in (a, b):
        other = b if a is bfloat16 else a
        return float32 if other is float16 else other
    return _NP_TO_DTYPE[np.promote_types(a.np, b.np)]


_PROMOTE = {(a, b): _promote_pair(a, b) for a in all_dtypes for b in all_dtypes}


def promote_types(a: dtype, b: dtype) -> dtype:
    """The dtype that holds values of both ``a`` and ``b``, as ``torch.promote_types``.

    Example:
        >>> ember.promote_types(ember.uint8, ember.int8)
        ember.int16
    """
    return _PROMOTE[a, b]


def _scalar_dtype(x) -> dtype:
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, float):
        return get_default_dtype()
    if isinstance(x, complex):
        return complex64 if get_default_dtype() is not float64 else complex128
    if isinstance(x, np.generic):
        return from_numpy(x.dtype)
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def result_type(*operands) -> dtype:
    """PyTorch's promotion over tensors and python scalars.

    Dimensioned tensors outrank zero-dim tensors, which outrank python scalars; a lower rank
    decides the dtype only when it brings a higher category (bool < int < float < complex).

    Example:
        >>> ember.result_type(ember.tensor([1, 2]), 1.0)
        ember.float32
    """
    groups = [None, None, None]  # promoted dtype of: dimensioned tensors, 0-d tensors, scalars
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            g = 0 if x.ndim else 1
        else:
            d, g = _scalar_dtype(x), 2
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)
    top = max(g._cat for g in groups if g is not None)
    for g in groups:
        if g is not None and g._cat == _FLOAT and top == _COMPLEX:
            # a complex scalar or 0-d tensor next to floating tensors of higher rank keeps their
            # precision: float64 * 1j is complex128, float32 * complex128(0-d) complex64
            return g.to_complex()
        if g is not None and g._cat == top:
            return g
    raise AssertionError("unreachable")


def float_result(d: dtype) -> dtype:
    """The dtype of a floating op (exp, division...) on ``d``: ints and bools become the default."""
    return d if d._cat >= _FLOAT else get_default_dtype()


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor.

    Example:
        >>> ember.can_cast(ember.float32, ember.int32)
        False
    """
    return from_._cat <= to._cat
