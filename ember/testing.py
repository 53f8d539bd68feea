"""torch.testing: ``assert_close`` and ``make_tensor`` for tests written against PyTorch.

``assert_close`` follows PyTorch's rules: Python numbers, tensors and NumPy arrays are compared
with per-dtype default tolerances, sequences and mappings are compared item by item, and a
failure raises AssertionError with the number of mismatched elements and the greatest absolute
and relative differences. Inputs of kinds that cannot be compared raise TypeError.
"""

from __future__ import annotations

import cmath
import collections.abc
import math

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name; every other dtype (integers, bool) is compared exactly.
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(Exception):
    def __init__(self, exc_type, msg):
        super().__init__(msg)
        self.exc_type = exc_type
        self.msg = msg


def _tolerances(names, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(
            "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'rtol' if rtol is None else 'atol'}."
        )
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _diff_line(kind, diff, idx, tol, equality):
    head = (
        f"{kind.title()} difference: {diff}"
        if idx is None
        else (f"Greatest {kind} difference: {diff} at index {idx}")
    )
    return head + ("" if equality else f" (up to {tol} allowed)")


def _message(what, extra, abs_diff, abs_idx, rel_diff, rel_idx, rtol, atol):
    equality = rtol == 0 and atol == 0
    lines = [
        f"{what} are not {'equal' if equality else 'close'}!",
        "",
        extra,
        _diff_line("absolute", abs_diff, abs_idx, atol, equality),
        _diff_line("relative", rel_diff, rel_idx, rtol, equality),
    ]
    return "\n".join(lines)


def _scalar_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    return _message(
        "Scalars",
        f"Expected {expected} but got {actual}.",
        abs_diff,
        None,
        rel_diff,
        None,
        rtol,
        atol,
    )


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if isinstance(actual, np.generic):
        actual = actual.item()
    if isinstance(expected, np.generic):
        expected = expected.item()
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(
            AssertionError,
            f"The (d)types do not match: {type(actual)} != {type(expected)}.",
        )
    rtol, atol = _tolerances([_NUMBER_DTYPES[type(v)] for v in (actual, expected)], rtol, atol)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    diff = abs(actual - expected)
    if cmath.isfinite(diff) and diff <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol))


def _as_tensor(x):
    from . import as_tensor

    return x if isinstance(x, Tensor) else as_tensor(x)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, checks):
    check_device, check_dtype, check_stride = checks
    a, e = _as_tensor(actual), _as_tensor(expected)
    if a.shape != e.shape:
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.",
        )
    if check_device and a.device != e.device:
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'device' do not match: {a.device} != {e.device}.",
        )
    if check_dtype and a.dtype != e.dtype:
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.",
        )
    if check_stride and a.stride() != e.stride():
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'stride()' do not match: {a.stride()} != {e.stride()}.",
        )
    rtol, atol = _tolerances([a.dtype.name, e.dtype.name], rtol, atol)
    dt = D.promote_types(a.dtype, e.dtype)
    # bfloat16 is compared in float32 (NumPy has no arithmetic of its own for it)
    npdt = np.float32 if dt.name == "bfloat16" else D.to_numpy(dt)
    av = a.detach().cpu().numpy().astype(npdt)
    ev = e.detach().cpu().numpy().astype(npdt)
    if av.dtype.kind in "biu":
        av, ev = av.astype(np.int64), ev.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        matches = np.isclose(av, ev, rtol=rtol, atol=atol, equal_nan=equal_nan)
        # np.isclose scales by |expected| like torch.isclose; inf matches only an equal inf
        if matches.all():
            return
        if av.ndim == 0:
            raise _Mismatch(AssertionError, _scalar_message(av.item(), ev.item(), rtol, atol))
        flat_ok = matches.ravel()
        abs_diff = np.abs(av.ravel() - ev.ravel())
        abs_diff[flat_ok] = 0
        with np.errstate(divide="ignore"):
            rel_diff = abs_diff / np.abs(ev.ravel())
        rel_diff[flat_ok] = 0
    n, bad = matches.size, int((~matches).sum())

    def greatest(d):
        i = _argmax_nan_first(d)
        return d[i].item(), tuple(int(k) for k in np.unravel_index(i, matches.shape))

    abs_v, abs_i = greatest(abs_diff)
    rel_v, rel_i = greatest(
        rel_diff.astype(np.float64) if rel_diff.dtype.kind in "iu" else rel_diff
    )
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    raise _Mismatch(
        AssertionError,
        _message("Tensor-likes", extra, abs_v, abs_i, rel_v, rel_i, rtol, atol),
    )


def _argmax_nan_first(d):
    # torch.max propagates NaN, so a NaN difference is "the greatest"
    nan = np.isnan(d) if d.dtype.kind in "fc" else np.zeros(d.shape, bool)
    return int(np.argmax(nan)) if nan.any() else int(np.argmax(d))


def _is_number(x):
    return isinstance(x, (int, float, complex, np.number)) and not isinstance(x, bool)


def _is_bool(x):
    return isinstance(x, (bool, np.bool_))


def _is_tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _not_supported(actual, expected):
    return _Mismatch(
        TypeError,
        f"No comparison pair was able to handle inputs of type {type(actual)} "
        f"and {type(expected)}.",
    )


def _compare(actual, expected, path, kw):
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if (
        isinstance(actual, seq)
        and isinstance(expected, seq)
        and not isinstance(actual, str)
        and not isinstance(expected, str)
    ):
        if len(actual) != len(expected):
            raise _Mismatch(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
            ).with_path(path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, (*path, i), kw)
        return
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ak, ek = set(actual), set(expected)
        if ak != ek:
            missing, extra = sorted(ek - ak, key=repr), sorted(ak - ek, key=repr)
            raise _Mismatch(
                AssertionError,
                "The keys of the mappings do not match:\n"
                + (f"Missing keys in the actual mapping: {missing}\n" if missing else "")
                + (f"Additional keys in the actual mapping: {extra}" if extra else ""),
            ).with_path(path)
        for k in sorted(ak, key=repr) if _sortable(ak) is None else _sortable(ak):
            _compare(actual[k], expected[k], (*path, k), kw)
        return
    try:
        _compare_leaf(actual, expected, kw)
    except _Mismatch as m:
        raise m.with_path(path) from None


def _sortable(keys):
    try:
        return sorted(keys)
    except TypeError:
        return None


def _with_path(self, path):
    if path and not getattr(self, "_has_path", False):
        self.msg = (
            self.msg.strip()
            + "\n\nThe failure occurred for item "
            + "".join(f"[{p!r}]" for p in path)
        )
        self._has_path = True
    return self


_Mismatch.with_path = _with_path


def _compare_leaf(actual, expected, kw):
    rtol, atol, equal_nan = kw["rtol"], kw["atol"], kw["equal_nan"]
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
        return
    if _is_bool(actual) and _is_bool(expected):
        if bool(actual) != bool(expected):
            raise _Mismatch(
                AssertionError,
                f"Booleans mismatch: {bool(actual)} is not {bool(expected)}",
            )
        return
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, rtol, atol, equal_nan, kw["check_dtype"])
        return
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
            raise _not_supported(actual, expected)
        checks = (kw["check_device"], kw["check_dtype"], kw["check_stride"])
        _compare_tensors(actual, expected, rtol, atol, equal_nan, checks)
        return
    raise _not_supported(actual, expected)


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
):
    """Assert that ``actual`` and ``expected`` are close, as ``torch.testing.assert_close`` does.

    Tensors, NumPy arrays and Python numbers are compared within ``atol + rtol * |expected|``
    (defaults by dtype: float32 1.3e-6/1e-5, float64 1e-7/1e-7, integers and bool exactly);
    sequences and mappings are compared item by item. ``msg`` (a string, or a callable given
    the generated message) replaces the message. ``check_layout`` is accepted for
    compatibility (ember tensors are all strided).

    Example:
        >>> ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.0 + 1e-7]))
    """
    del allow_subclasses, check_layout  # ember has one tensor class and one layout
    kw = dict(
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=check_device,
        check_dtype=check_dtype,
        check_stride=check_stride,
    )
    try:
        _compare(actual, expected, (), kw)
    except _Mismatch as m:
        text = m.msg
        if m.exc_type is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.exc_type(text) from None


def make_tensor(
    *shape,
    dtype,
    device,
    low=None,
    high=None,
    requires_grad=False,
    noncontiguous=False,
    exclude_zero=False,
    memory_format=None,
):
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)``.

    Defaults as in PyTorch: ``[-9, 9)`` for floating and complex dtypes, ``[-9, 10)`` for signed
    and ``[0, 10)`` for unsigned integers, ``[0, 2)`` for bool; bounds outside the dtype's range
    are clamped to it. The values are random, not PyTorch's.

    Example:
        >>> ember.testing.make_tensor(2, 3, dtype=ember.float32, device="cpu").shape
        ember.Size([2, 3])
    """
    import ember

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dt = D.as_dtype(dtype)
    kind = "bool" if dt is D.bool_ else dt._cat
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
            f"but got noncontiguous={noncontiguous} and memory_format={memory_format}"
        )
    if requires_grad and kind in ("bool", D._INT):
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, "
            f"but got dtype={dtype}"
        )
    n = math.prod(shape)
    noncontiguous = noncontiguous and n > 1
    full = (*shape[:-1], 2 * shape[-1]) if noncontiguous else shape
    if kind == "bool":
        lo, hi = _low_high(low, high, 0, 2, 0, 2, dtype, integral=True)
        result = ember.randint(lo, hi, full, dtype=dt, device=device)
    elif kind == D._INT:
        info = np.iinfo(D.to_numpy(dt))
        top = info.max + (1 if dt is not D.int64 else 0)
        lo, hi = _low_high(low, high, int(info.min), top, -9, 10, dtype, integral=True)
        result = ember.randint(lo, hi, full, dtype=dt, device=device)
    elif kind in (D._FLOAT, D._COMPLEX):
        real = D.float32 if dt is D.bfloat16 else dt
        info = np.finfo(D.to_numpy(real))
        lo, hi = _low_high(low, high, float(info.min), float(info.max), -9, 9, dtype)
        if kind == D._COMPLEX:
            part = D.float32 if dt is D.complex64 else D.float64
            re, im = (ember.empty(full, dtype=part).uniform_(lo, hi) for _ in range(2))
            result = ember.tensor(re.numpy() + 1j * im.numpy(), dtype=dt, device=device)
        else:
            result = ember.empty(full, dtype=dt, device=device).uniform_(lo, hi)
    else:
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor()."
        )
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        if kind in ("bool", D._INT):
            result = ember.where(result == 0, ember.ones_like(result), result)
        else:
            tiny = float(np.finfo(D.to_numpy(D.float32 if dt is D.bfloat16 else dt)).tiny)
            result = ember.where(result == 0, ember.full_like(result, tiny), result)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _low_high(low, high, lowest, highest, default_low, default_high, dtype, integral=False):
    # PyTorch's rules: defaults, NaN and empty-interval checks, clamping into the dtype's range
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    if high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), "
            f"but {dtype} only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if integral:
        return math.ceil(low), math.ceil(high)
    return low, high
