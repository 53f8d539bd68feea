"""Elementwise ops: arithmetic, math functions, comparisons, where/clamp/lerp, casts.

Binary ops promote their operands to PyTorch's result dtype first (``promote``); the primitives
then see operands of one dtype, and broadcasting is undone by the engine.
"""

from __future__ import annotations

import cmath
import math

from .._tensor import check_same_device
from ..autograd.function import Primitive, apply_binary
from ._util import D, Tensor, _make, conj_all, is_scalar, np, promote, state, xp_of

# ---------------------------------------------------------------------------------------------
# binary arithmetic


class Add(Primitive):
    fn = np.add  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Primitive):
    fn = np.subtract  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None


class Mul(Primitive):
    fn = np.multiply  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(
            a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None
        )
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if g._data.dtype.kind == "c":  # NOTE [ complex gradients ]
            a, b = conj_all(a, b)
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Primitive):
    fn = np.true_divide  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if g._data.dtype.kind == "c":  # NOTE [ complex gradients ]
            a, b = conj_all(a, b)
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Primitive):
    fn = np.power  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        if g._data.dtype.kind == "c":
            return _pow_backward_complex(ctx, g, a, b, out)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor):
                ga = g * b * a.pow(b - 1)
                ga = where(b == 0, zeros_like_(ga), ga)
            else:
                ga = g * b * a.pow(b - 1) if b != 0 else g * 0
        if ctx.needs_input_grad[1]:
            if isinstance(a, Tensor):
                # log(a) where a > 0; as PyTorch, -inf at 0 (masked below when b >= 0) and nan
                # below 0. Taking the log of 1 instead keeps a second derivative finite at 0.
                la = where(a > 0, a, ones_like_(a)).log()
                la = where(a > 0, la, where(a == 0, -math.inf, math.nan))
            else:  # as PyTorch: log(0) = -inf (masked below), log(a < 0) = nan
                la = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
            gb = g * out * la
            if isinstance(a, Tensor):
                gb = where((a == 0) & (b >= 0), zeros_like_(gb), gb)
            elif a == 0:
                gb = where(b >= 0, zeros_like_(gb), gb)
        return ga, gb


def _pow_backward_complex(ctx, g, a, b, out):
    """Pow's gradients for complex operands: each derivative is computed, then conjugated
    (NOTE [ complex gradients ]); ``a ** b`` has a branch cut, so conjugating the operands
    first could land on its other side."""
    ga = gb = None
    if ctx.needs_input_grad[0]:
        if isinstance(b, Tensor):
            ga = g * (b * a.pow(b - 1)).conj()
            ga = where(b == 0, zeros_like_(ga), ga)
        else:
            ga = g * (b * a.pow(b - 1)).conj() if b != 0 else g * 0
    if ctx.needs_input_grad[1]:
        # as PyTorch: log(0) = -inf, and 0 ** b has gradient 0 where b is real and >= 0
        nonneg = (b.real >= 0) & (b.imag == 0) if b.is_complex() else b >= 0
        if isinstance(a, Tensor):
            gb = g * (out * a.log()).conj()
            gb = where((a == 0) & nonneg, zeros_like_(gb), gb)
        else:
            gb = g * (out * (cmath.log(a) if a != 0 else -math.inf)).conj()
            if a == 0:
                gb = where(nonneg, zeros_like_(gb), gb)
    return ga, gb


class Maximum(Primitive):
    fn = np.maximum  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # ties split the gradient evenly, as in PyTorch
        w = (a > b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
        return g * w, g * (1 - w)


class Minimum(Primitive):
    fn = np.minimum  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        w = (a < b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
        return g * w, g * (1 - w)


class Atan2(Primitive):
    fn = np.arctan2  # the fast path's kernel when nothing is recorded

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        d = a * a + b * b
        return g * b / d, -g * a / d


def _binary(cls, a, b, float_op=False):
    try:
        # Fast path: two tensors of one dtype on one backend need no promotion.
        if (
            type(a) is Tensor
            and type(b) is Tensor
            or isinstance(a, Tensor)
            and isinstance(b, Tensor)
        ):
            ad, bd = a._data, b._data
            if (
                ad.dtype is bd.dtype
                and type(ad) is type(bd)
                and (not float_op or ad.dtype.kind in "fc")
            ):
                if (a._rg or b._rg) and state.enabled:
                    return apply_binary(cls, a, b)
                if type(ad) is not np.ndarray:
                    check_same_device((a, b))
                return _make(cls.fn(ad, bd))
        elif type(b) in _PY_REAL and isinstance(a, Tensor) and a._data.dtype.kind == "f":
            # Tensor op python number: a float tensor keeps its dtype (NumPy's weak scalars agree;
            # bfloat16 is kind "V" and takes the general path)
            if a._rg and state.enabled:
                return cls.apply(a, b)
            return _make(cls.fn(a._data, b))
        if not isinstance(a, Tensor):
            if not isinstance(b, Tensor):
                raise TypeError(f"expected a Tensor, got {type(a).__name__} and {type(b).__name__}")
            if not is_scalar(a):
                raise TypeError(f"unsupported operand type(s): '{type(a).__name__}' and 'Tensor'")
        elif not isinstance(b, Tensor) and not is_scalar(b):
            if isinstance(b, (list, tuple)) or hasattr(b, "__array__"):
                b = xp_tensor(b, a)
            else:
                return NotImplemented
        (a, b), _ = promote(a, b, float_op=float_op)
        return cls.apply(a, b)
    except ValueError:
        check_broadcast(a, b)
        raise


_PY_REAL = (float, int)


def check_broadcast(*xs) -> tuple:
    """The broadcast shape of the tensors among ``xs``; PyTorch's RuntimeError if none exists."""
    shapes = [x._data.shape for x in xs if isinstance(x, Tensor)]
    out = []
    for i in range(1, max((len(s) for s in shapes), default=0) + 1):
        size = 1
        for s in shapes:
            n = s[-i] if i <= len(s) else 1
            if n != 1:
                if size != 1 and n != size:
                    nd = max(len(s) for s in shapes)
                    raise RuntimeError(
                        f"The size of tensor a ({size}) must match the size of tensor b ({n}) "
                        f"at non-singleton dimension {nd - i}"
                    )
                size = n
        out.append(size)
    return tuple(reversed(out))


def xp_tensor(x, like):
    return _make(xp_of(like._data).asarray(x))


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and type promotion.

    Example:
        >>> ember.add(ember.tensor([1, 2]), 1.5)
        tensor([2.5000, 3.5000])
    """
    if alpha != 1:
        _check_alpha(input, other, alpha)
        other = other * alpha
    return _out(_binary(Add, input, other), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``.

    Example:
        >>> ember.sub(ember.tensor([3.0]), 1)
        tensor([2.])
    """
    if (
        isinstance(input, Tensor)
        and input.dtype is D.bool_
        and isinstance(other, Tensor)
        and other.dtype is D.bool_
    ):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not "
            "supported. Use the `^` or `logical_xor()` operator instead."
        )
    if alpha != 1:
        _check_alpha(input, other, alpha)
        other = other * alpha
    return _out(_binary(Sub, input, other), out)


def _check_alpha(input, other, alpha) -> None:
    if isinstance(alpha, float) and not D.result_type(input, other).is_floating_point:
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if alpha != 1:
        input = input * alpha
    return _binary(Sub, other, input)


def mul(input, other, *, out=None):
    """Elementwise product.

    Example:
        >>> ember.mul(ember.tensor([1.0, 2.0]), 3)
        tensor([3., 6.])
    """
    return _out(_binary(Mul, input, other), out)


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise division (true division unless ``rounding_mode`` is 'trunc' or 'floor').

    Example:
        >>> ember.div(ember.tensor([1, 2]), 2)
        tensor([0.5000, 1.0000])
    """
    if rounding_mode is None:
        return _out(_binary(Div, input, other, float_op=True), out)
    if rounding_mode == "trunc":
        (a, b), dt = promote(input, other)
        q = _binary(Div, a, b, float_op=True)
        return _out(trunc(q).to(dt), out)
    if rounding_mode == "floor":
        return _out(floor_divide(input, other), out)
    raise ValueError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
        f"found '{rounding_mode}'"
    )


true_divide = divide = div
multiply = mul
subtract = sub


class FloorDivide(Primitive):
    """Rounded division: piecewise constant, so its gradient is zero (as in PyTorch)."""

    fn = np.floor_divide

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        z = g * 0
        return z if ctx.needs_input_grad[0] else None, z if ctx.needs_input_grad[1] else None


def floor_divide(input, other, *, out=None):
    """Division rounded down to the nearest integer.

    Example:
        >>> ember.floor_divide(ember.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    return _out(_binary(FloorDivide, input, other), out)


def _int_binary(ufunc, a, b):
    xa = a._data if isinstance(a, Tensor) else a
    xb = b._data if isinstance(b, Tensor) else b
    try:
        return _make(ufunc(xa, xb))
    except ValueError:
        check_broadcast(a, b)
        raise


def remainder(input, other, *, out=None):
    """Python-style modulus (the result has the sign of ``other``).

    Example:
        >>> ember.remainder(ember.tensor([-3, 3]), 2)
        tensor([1, 1])
    """
    (a, b), dt = promote(input, other)
    if not dt.is_floating_point:
        return _out(_int_binary(np.remainder, a, b), out)
    q = floor_divide(a, b)
    return _out(a - q.detach() * b, out)


def fmod(input, other, *, out=None):
    """C-style modulus (the result has the sign of ``input``).

    Example:
        >>> ember.fmod(ember.tensor([-3, 3]), 2)
        tensor([-1,  1])
    """
    (a, b), dt = promote(input, other)
    if not dt.is_floating_point:
        return _out(_int_binary(np.fmod, a, b), out)
    q = trunc(a / b).detach()
    return _out(a - q * b, out)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` elementwise.

    Example:
        >>> ember.pow(ember.tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    if isinstance(input, Tensor) and is_scalar(exponent) and not isinstance(exponent, bool):
        dt = D.result_type(input, exponent)
        if dt._cat < D._FLOAT and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        a = input if input._data.dtype == dt.np else input.to(dt)
        if exponent == 2:
            return _out(a * a, out)
        return _out(Pow.apply(a, exponent), out)
    return _out(_binary(Pow, input, exponent), out)


def maximum(input, other, *, out=None):
    """Elementwise maximum (NaN propagates)."""
    _need_tensor("maximum", input, other)
    return _out(_binary(Maximum, input, other), out)


def minimum(input, other, *, out=None):
    """Elementwise minimum (NaN propagates)."""
    _need_tensor("minimum", input, other)
    return _out(_binary(Minimum, input, other), out)


fmax = maximum
fmin = minimum


def atan2(input, other, *, out=None):
    """Elementwise arctangent of ``input / other`` in the right quadrant."""
    _need_tensor("atan2", input, other)
    return _out(_binary(Atan2, input, other, float_op=True), out)


arctan2 = atan2


def _need_input(name, x, pos=1, arg="input") -> None:
    """PyTorch's TypeError for a non-tensor argument."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )


def _need_tensor(name, input, other) -> None:
    _need_input(name, input)
    _need_input(name, other, 2, "other")


def _out(result, out):
    if out is None:
        return result
    out.resize_(result.shape) if out.shape != result.shape else None
    out._data[...] = result._data
    out._bump()
    return out


# ---------------------------------------------------------------------------------------------
# unary math: (name, forward on arrays, backward from x, out, grad, which to save)


def _unary(name, fwd, bwd, save="x", float_op=True, doc="", holomorphic=True):
    """A one-input op; ``bwd(x, y, g)`` is its real-number backward. A ``holomorphic`` op gets
    its saved x and y conjugated when ``g`` is complex (NOTE [ complex gradients ]); the others
    handle complex inputs in ``bwd`` themselves."""

    class Op(Primitive):
        @staticmethod
        def forward(ctx, x):
            y = fwd(x)
            if save == "x":
                ctx.save_for_backward(x)
            elif save == "y":
                ctx.save_for_backward(y)
            elif save == "xy":
                ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            if holomorphic and g._data.dtype.kind == "c":
                saved = conj_all(*saved)
            if save == "x":
                return bwd(saved[0], None, g)
            if save == "y":
                return bwd(None, saved[0], g)
            if save == "xy":
                return bwd(saved[0], saved[1], g)
            return bwd(None, None, g)

    Op.__name__ = Op.__qualname__ = name.capitalize()

    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}"
            )
        if float_op and input._data.dtype.kind not in "fc" and input.dtype is not D.bfloat16:
            input = input.to(D.float_result(input.dtype))
        return _out(Op.apply(input), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        doc
        or f"Elementwise {name}.\n\n    Example:\n        >>> ember.{name}(ember.tensor([0.5]))\n"
    )
    return fn, Op


def _sgn(x):
    return x.sign()


exp, Exp = _unary("exp", np.exp, lambda x, y, g: g * y, save="y")
exp2, _ = _unary("exp2", np.exp2, lambda x, y, g: g * y * math.log(2.0), save="y")
expm1, _ = _unary("expm1", np.expm1, lambda x, y, g: g * (y + 1), save="y")
log, Log = _unary("log", np.log, lambda x, y, g: g / x)
log2, _ = _unary("log2", np.log2, lambda x, y, g: g / (x * math.log(2.0)))
log10, _ = _unary("log10", np.log10, lambda x, y, g: g / (x * math.log(10.0)))
log1p, _ = _unary("log1p", np.log1p, lambda x, y, g: g / (x + 1))
sqrt, _ = _unary("sqrt", np.sqrt, lambda x, y, g: g / (2 * y), save="y")
rsqrt, _ = _unary("rsqrt", lambda a: 1 / np.sqrt(a), lambda x, y, g: -0.5 * g * y * y * y, save="y")
sin, _ = _unary("sin", np.sin, lambda x, y, g: g * x.cos())
cos, _ = _unary("cos", np.cos, lambda x, y, g: -g * x.sin())
tan, _ = _unary("tan", np.tan, lambda x, y, g: g * (1 + y * y), save="y")
asin, _ = _unary("asin", np.arcsin, lambda x, y, g: g * (1 - x * x).rsqrt())
acos, _ = _unary("acos", np.arccos, lambda x, y, g: -g * (1 - x * x).rsqrt())
atan, _ = _unary("atan", np.arctan, lambda x, y, g: g / (1 + x * x))
sinh, _ = _unary("sinh", np.sinh, lambda x, y, g: g * x.cosh())
cosh, _ = _unary("cosh", np.cosh, lambda x, y, g: g * x.sinh())
tanh, Tanh = _unary("tanh", np.tanh, lambda x, y, g: g * (1 - y * y), save="y")
asinh, _ = _unary("asinh", np.arcsinh, lambda x, y, g: g * (x * x + 1).rsqrt())
acosh, _ = _unary("acosh", np.arccosh, lambda x, y, g: g * (x * x - 1).rsqrt())
atanh, _ = _unary("atanh", np.arctanh, lambda x, y, g: g / (1 - x * x))


def _sigmoid_fwd(a):
    if a.dtype.kind == "c":  # no ordering to split on: the direct formula
        return 1 / (1 + np.exp(-a))
    # Stable for large |a|: exp only ever sees non-positive arguments.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


sigmoid, Sigmoid = _unary("sigmoid", _sigmoid_fwd, lambda x, y, g: g * y * (1 - y), save="y")


def _erf_fwd(a):
    from ..backend import of

    return of(a).erf(a)


erf, _ = _unary("erf", _erf_fwd, lambda x, y, g: g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp())


def _erfinv_fwd(a):
    from ..backend import of

    return of(a).erfinv(a)


erfinv, _ = _unary(
    "erfinv", _erfinv_fwd, lambda x, y, g: g * (math.sqrt(math.pi) / 2) * (y * y).exp(), save="y"
)


def erfc(input, *, out=None):
    """Complementary error function ``1 - erf(x)``."""
    return _out(1 - erf(input), out)


def _abs_bwd(x, y, g):
    if x._data.dtype.kind == "c":
        # g * sgn(x), sgn(x) = x / |x| (0 at 0), written with differentiable ops so that double
        # backward sees its dependence on x (sign's gradient is zero only for real x)
        ax = x.abs()
        zero = ax == 0
        return g * where(zero, zeros_like_(x), x / where(zero, ones_like_(ax), ax))
    return g * x.sign()


abs, Abs = _unary("abs", np.abs, _abs_bwd, float_op=False, holomorphic=False)
absolute = abs
neg, Neg = _unary("neg", np.negative, lambda x, y, g: -g, save="", float_op=False)
negative = neg
reciprocal, _ = _unary(
    "reciprocal", lambda a: np.reciprocal(a), lambda x, y, g: -g * y * y, save="y"
)


def _zero_grad(x, y, g):
    return g * 0


_sign, _ = _unary("sign", np.sign, _zero_grad, save="", float_op=False)


def sign(input, *, out=None):
    """-1, 0 or 1 by the sign of each element (bool tensors are their own sign).

    Example:
        >>> ember.sign(ember.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        return _out(input.clone(), out)
    return _sign(input, out=out)


sgn = sign
floor, _ = _unary("floor", np.floor, _zero_grad, save="", float_op=False)
ceil, _ = _unary("ceil", np.ceil, _zero_grad, save="", float_op=False)
trunc, _ = _unary("trunc", np.trunc, _zero_grad, save="", float_op=False)
fix = trunc
frac, _ = _unary("frac", lambda a: a - np.trunc(a), lambda x, y, g: g, save="", float_op=False)
_round0, _ = _unary("round", np.round, _zero_grad, save="", float_op=False)


def round(input, *, decimals=0, out=None):
    """Round to the nearest integer (ties to even), or to ``decimals`` decimal places."""
    if decimals == 0:
        return _round0(input, out=out)
    s = 10.0**decimals
    return _out(_round0(input * s) / s, out)


def square(input, *, out=None):
    """``input * input``."""
    return _out(input * input, out)


def logit(input, eps=None, *, out=None):
    """Log-odds ``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1-eps]`` when given."""
    x = input if eps is None else clamp(input, eps, 1 - eps)
    return _out(log(x / (1 - x)), out)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where input is 0."""
    (a, b), _ = promote(input, other, float_op=True)
    b = b if isinstance(b, Tensor) else _make(xp_of(a._data).asarray(b, a._data.dtype))
    r = a * log(b)
    return _out(where(a == 0, zeros_like_(r), r), out)


def sinc(input, *, out=None):
    """Normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    px = input * math.pi
    safe = where(px == 0, ones_like_(px), px)
    # At 0, the Taylor series 1 - u^2/6 + u^4/120 (value 1) carries the right derivatives up to
    # the fourth, so double backward gives PyTorch's -pi^2/3 there.
    u2 = px * px
    series = 1 - u2 / 6 + u2 * u2 / 120
    return _out(where(px == 0, series, sin(safe) / safe), out)


def deg2rad(input):
    """Degrees to radians."""
    return input * (math.pi / 180)


def rad2deg(input):
    """Radians to degrees."""
    return input * (180 / math.pi)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN and infinities by finite numbers."""
    a = input._data
    r = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
    if input._rg and state.enabled:
        mask = _make(np.isfinite(a))
        return _out(where(mask, input, _make(r)), out)
    return _out(_make(r), out)


# ---------------------------------------------------------------------------------------------
# comparisons and logic (no gradients)


def _cmp(ufunc, name, tensor_only=False):
    def fn(input, other, *, out=None):
        if type(input) is Tensor and type(other) is Tensor:
            a, b = input._data, other._data
            if type(a) is np.ndarray and type(b) is np.ndarray:
                try:
                    return _out(_make(ufunc(a, b)), out)
                except ValueError:
                    check_broadcast(input, other)
                    raise
        if tensor_only:
            _need_tensor(name, input, other)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{name}(): expected a Tensor")
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            return NotImplemented
        if b is None or a is None:
            return False if name == "eq" else True if name == "ne" else NotImplemented
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            check_same_device([input, other])
        try:
            return _out(_make(ufunc(a, b)), out)
        except ValueError:
            check_broadcast(input, other)
            raise

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"Elementwise ``{name}``; returns a bool tensor.\n\n    Example:\n"
        f"        >>> ember.{name}(ember.tensor([1, 2]), ember.tensor([2, 2])).shape\n"
        "        ember.Size([2])\n"
    )
    return fn


eq = _cmp(np.equal, "eq")
ne = _cmp(np.not_equal, "ne")
lt = _cmp(np.less, "lt")
le = _cmp(np.less_equal, "le")
gt = _cmp(np.greater, "gt")
ge = _cmp(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _cmp(np.logical_and, "logical_and", tensor_only=True)
logical_or = _cmp(np.logical_or, "logical_or", tensor_only=True)
logical_xor = _cmp(np.logical_xor, "logical_xor", tensor_only=True)


def _bitwise(ufunc, name, bools=True):
    """An integer-only binary op (``bools``: bool tensors are accepted too)."""

    def fn(input, other, *, out=None):
        (a, b), dt = promote(input, other)
        check_broadcast(a, b)  # PyTorch reports a size mismatch before the dtype
        if dt.is_floating_point or (dt == D.bool_ and not bools):
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.scalar_name}'")
        xa = a._data if isinstance(a, Tensor) else a
        xb = b._data if isinstance(b, Tensor) else b
        return _out(_make(ufunc(xa, xb)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift")


def bitwise_not(input, *, out=None):
    """Bitwise NOT (logical NOT for bool tensors)."""
    _need_input("bitwise_not", input)
    if input.is_floating_point():
        raise NotImplementedError(
            f"\"bitwise_not_cpu\" not implemented for '{input.dtype.scalar_name}'"
        )
    return _out(_make(np.invert(input._data)), out)


def logical_not(input, *, out=None):
    """Elementwise NOT, as a bool tensor."""
    _need_input("logical_not", input)
    return _out(_make(np.logical_not(input._data)), out)


def isnan(input):
    """Where the elements are NaN."""
    _need_input("isnan", input)
    return _make(np.isnan(input._data))


def isinf(input):
    """Where the elements are +-inf."""
    _need_input("isinf", input)
    return _make(np.isinf(input._data))


def isposinf(input):
    """Where the elements are +inf."""
    _need_input("isposinf", input)
    return _make(np.isposinf(input._data))


def isneginf(input):
    """Where the elements are -inf."""
    _need_input("isneginf", input)
    return _make(np.isneginf(input._data))


def isfinite(input):
    """Where the elements are finite."""
    _need_input("isfinite", input)
    return _make(np.isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise closeness test ``|a - b| <= atol + rtol * |b|``."""
    return _make(np.isclose(input._data, _arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether all elements are close (see isclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


# ---------------------------------------------------------------------------------------------
# selection: where, clamp, lerp


class Where(Primitive):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        z = zeros_like_(g)
        ga = Where.apply(cond, g, z) if ctx.needs_input_grad[1] else None
        gb = Where.apply(cond, z, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, input=None, other=None, *, out=None):
    """``input`` where ``condition`` holds, else ``other`` (one-argument form: nonzero).

    Example:
        >>> ember.where(ember.tensor([True, False]), 1.0, 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition._data.dtype != np.bool_:
        if condition._data.dtype == np.uint8:
            condition = condition.bool()
        else:
            raise RuntimeError(
                f"where expected condition to be a boolean tensor, but got a "
                f"tensor with dtype {condition.dtype.scalar_name}"
            )
    (a, b), dt = promote(input, other)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    xp = xp_of(like._data)
    if not isinstance(a, Tensor):
        a = _make(xp.asarray(a, dtype=dt.np))
    if not isinstance(b, Tensor):
        b = _make(xp.asarray(b, dtype=dt.np))
    try:
        return _out(Where.apply(condition, a, b), out)
    except ValueError:
        check_broadcast(condition, a, b)
        raise


def where_method(self, condition, y):
    """``x.where(condition, y)``: ``ember.where(condition, x, y)``."""
    return where(condition, self, y)


def zeros_like_(t: Tensor) -> Tensor:
    return _make(xp_of(t._data).zeros_like(t._data))


def ones_like_(t: Tensor) -> Tensor:
    return _make(xp_of(t._data).ones_like(t._data))


def clamp(input, min=None, max=None, *, out=None):
    """Clamp elements into ``[min, max]``; the gradient passes where the input was inside.

    Example:
        >>> ember.clamp(ember.tensor([-1.0, 0.5, 2.0]), 0, 1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    x = input
    if min is not None:
        if isinstance(min, Tensor):
            x = maximum(x, min)
        else:
            x = _clamp_scalar(x, min, None)
    if max is not None:
        if isinstance(max, Tensor):
            x = minimum(x, max)
        else:
            x = _clamp_scalar(x, None, max)
    return _out(x, out)


class ClampScalar(Primitive):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        m = None
        if ctx.lo is not None:
            m = x >= ctx.lo
        if ctx.hi is not None:
            m2 = x <= ctx.hi
            m = m2 if m is None else m & m2
        return where(m, g, zeros_like_(g)), None, None


def _clamp_scalar(x, lo, hi):
    dt = D.result_type(x, lo if lo is not None else hi)
    if x._data.dtype != dt.np:
        x = x.to(dt)
    return ClampScalar.apply(x, lo, hi)


clip = clamp


def clamp_min(input, min):
    """Clamp from below."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """Clamp from above."""
    return clamp(input, max=max)


def lerp(input, end, weight, *, out=None):
    """Linear interpolation ``input + weight * (end - input)``."""
    return _out(input + weight * (end - input), out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``."""
    return _out(input + value * tensor1 * tensor2, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2``."""
    return _out(input + value * tensor1 / tensor2, out)


# ---------------------------------------------------------------------------------------------
# dtype / device conversion


class ToCopy(Primitive):
    @staticmethod
    def forward(ctx, x, dtype, device):
        from ..backend import of, transfer

        ctx.src = (x.dtype, of(x).device_of(x))
        if dtype is not None:
            x = x.astype(dtype.np)
        if device is not None:
            x = transfer(x, device)
        elif dtype is None:
            x = x.copy()
        return x

    @staticmethod
    def backward(ctx, g):
        dt, dev = ctx.src
        if g._data.dtype.kind == "c" and dt.kind != "c":
            g = g.real  # a real source gets the real part (NOTE [ complex gradients ])
        return (
            to_copy(
                g,
                D.from_numpy(dt) if g._data.dtype != dt else None,
                dev if g.device != dev else None,
            ),
            None,
            None,
        )


def to_copy(x: Tensor, dtype=None, device=None) -> Tensor:
    """A copy of ``x`` converted to ``dtype`` and/or moved to ``device`` (differentiable)."""
    if x._rg and dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        x = x.detach()
    return ToCopy.apply(x, dtype, device)


def _float_power(input, exponent):
    """``input ** exponent`` computed in float64."""
    a = input.double() if isinstance(input, Tensor) else input
    b = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


float_power = _float_power


# ---------------------------------------------------------------------------------------------
# in-place forms: compute out of place, then write back and rebase the graph on the result.


def inplace(fn, name):
    def op(self, *args, **kwargs):
        _check_inplace(self)
        src = self
        if self._rg and state.enabled:
            # The op may save its input for backward; give it the old values, not self's
            # storage, which is about to be overwritten.
            src = _make(self._data.copy(), self.grad_fn, self._out_nr)
        r = fn(src, *args, **kwargs)
        return _assign(self, r, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place version of ``{fn.__name__}``."
    return op


def _check_inplace(t: Tensor) -> None:
    if t._rg and t.grad_fn is None and state.enabled:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


def _assign(self: Tensor, r: Tensor, name: str = "copy_") -> Tensor:
    """Write ``r``'s values into ``self``; if ``r`` carries a graph, ``self`` now ends it."""
    if not isinstance(r, Tensor):
        return r
    if r._data.dtype != self._data.dtype and not D.can_cast(r.dtype, self.dtype):
        raise RuntimeError(
            f"result type {r.dtype.scalar_name} can't be cast to the desired output type "
            f"{self.dtype.scalar_name}"
        )
    if r._data.shape != self._data.shape:
        try:
            np.broadcast_shapes(r._data.shape, self._data.shape)
            if np.broadcast_shapes(r._data.shape, self._data.shape) != self._data.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(r._data.shape, self._data.shape))}"
            ) from None
    if not getattr(self._data.flags, "writeable", True):
        raise RuntimeError(
            f"{name}: the tensor is a read-only view (from expand or "
            "broadcasting); clone() it first"
        )
    self._data[...] = r._data
    self._bump()
    if r._rg and state.enabled:
        # The values are now r's; gradients flow through r's graph.
        g = r if r._data.shape == self._data.shape else r.expand(self.shape)
        if g._data.dtype != self._data.dtype:
            g = g.to(self.dtype)
        self.grad_fn, self._out_nr, self._rg = g.grad_fn, g._out_nr, True
    return self


add_ = inplace(add, "add_")
sub_ = inplace(sub, "sub_")
mul_ = inplace(mul, "mul_")
div_ = inplace(div, "div_")
pow_ = inplace(pow, "pow_")
clamp_ = inplace(clamp, "clamp_")
clip_ = clamp_
exp_ = inplace(exp, "exp_")
log_ = inplace(log, "log_")
sqrt_ = inplace(sqrt, "sqrt_")
neg_ = inplace(neg, "neg_")
abs_ = inplace(abs, "abs_")
sigmoid_ = inplace(sigmoid, "sigmoid_")
tanh_ = inplace(tanh, "tanh_")
floor_ = inplace(floor, "floor_")
ceil_ = inplace(ceil, "ceil_")
round_ = inplace(round, "round_")
trunc_ = inplace(trunc, "trunc_")
reciprocal_ = inplace(reciprocal, "reciprocal_")
exp2_ = inplace(exp2, "exp2_")
expm1_ = inplace(expm1, "expm1_")
log2_ = inplace(log2, "log2_")
log10_ = inplace(log10, "log10_")
log1p_ = inplace(log1p, "log1p_")
tan_ = inplace(tan, "tan_")
erf_ = inplace(erf, "erf_")
frac_ = inplace(frac, "frac_")
true_divide_ = divide_ = inplace(div, "true_divide_")
atan2_ = inplace(atan2, "atan2_")
asin_ = inplace(asin, "asin_")
acos_ = inplace(acos, "acos_")
atan_ = inplace(atan, "atan_")
sinh_ = inplace(sinh, "sinh_")
cosh_ = inplace(cosh, "cosh_")
logical_not_ = inplace(logical_not, "logical_not_")
lerp_ = inplace(lerp, "lerp_")
addcmul_ = inplace(addcmul, "addcmul_")
addcdiv_ = inplace(addcdiv, "addcdiv_")
remainder_ = inplace(remainder, "remainder_")
fmod_ = inplace(fmod, "fmod_")
maximum_ = inplace(maximum, "maximum_")
minimum_ = inplace(minimum, "minimum_")
sin_ = inplace(sin, "sin_")
cos_ = inplace(cos, "cos_")
rsqrt_ = inplace(rsqrt, "rsqrt_")
sign_ = inplace(sign, "sign_")
square_ = inplace(square, "square_")
clamp_min_ = inplace(clamp_min, "clamp_min_")
clamp_max_ = inplace(clamp_max, "clamp_max_")
nan_to_num_ = inplace(nan_to_num, "nan_to_num_")
floor_divide_ = inplace(floor_divide, "floor_divide_")
asinh_ = inplace(asinh, "asinh_")
acosh_ = inplace(acosh, "acosh_")
atanh_ = inplace(atanh, "atanh_")
erfc_ = inplace(erfc, "erfc_")
erfinv_ = inplace(erfinv, "erfinv_")
logit_ = inplace(logit, "logit_")
sinc_ = inplace(sinc, "sinc_")
deg2rad_ = inplace(deg2rad, "deg2rad_")
rad2deg_ = inplace(rad2deg, "rad2deg_")
xlogy_ = inplace(xlogy, "xlogy_")
eq_ = inplace(eq, "eq_")
ne_ = not_equal_ = inplace(ne, "ne_")
lt_ = less_ = inplace(lt, "lt_")
le_ = less_equal_ = inplace(le, "le_")
gt_ = greater_ = inplace(gt, "gt_")
ge_ = greater_equal_ = inplace(ge, "ge_")
logical_and_ = inplace(logical_and, "logical_and_")
logical_or_ = inplace(logical_or, "logical_or_")
logical_xor_ = inplace(logical_xor, "logical_xor_")
bitwise_and_ = inplace(bitwise_and, "bitwise_and_")
bitwise_or_ = inplace(bitwise_or, "bitwise_or_")
bitwise_xor_ = inplace(bitwise_xor, "bitwise_xor_")
bitwise_not_ = inplace(bitwise_not, "bitwise_not_")
# PyTorch's other names for the same ops (NumPy's spellings among them).
negative_, absolute_, sgn_, fix_ = neg_, abs_, sign_, trunc_
multiply_, subtract_, arctan2_ = mul_, sub_, atan2_
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_ = (
    asin_,
    acos_,
    atan_,
    asinh_,
    acosh_,
    atanh_,
)


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values (broadcast, converted, moved) into ``self``."""
    _check_inplace(self)
    if not isinstance(src, Tensor):
        src = _make(xp_of(self._data).asarray(src))
    if src.device != self.device:
        src = src.to(self.device)
    if src._data.dtype != self._data.dtype:
        src = src.to(self.dtype)
    if src._rg and state.enabled:
        return _assign(self, src, "copy_")
    self._data[...] = src._data
    self._bump()
    return self


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` in place."""
    _check_inplace(self)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor "
                f"with {value.ndim} dimensions."
            )
        value = value.item()
    self._data[...] = value
    self._bump()
    if self.grad_fn is not None:
        self.grad_fn, self._rg = None, False
    return self


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return fill_(self, 0)
