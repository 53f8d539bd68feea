"""Gamma sampling and the regularized incomplete gamma function, with their derivatives.

NOTE [ Implicit reparameterization of Gamma samples ]
A sample is x = F^{-1}(u; a) for the standard Gamma CDF F(x; a) = P(a, x) and uniform noise u,
so by the implicit function theorem dx/da = -(dP/da) / f(x; a) with f the density. Both are
written so that nothing over- or underflows:

- x < a + 1 (the series P = x^a e^-x sum_n x^n / Gamma(a + n + 1)):
  dx/da = -x sum_n t_n (log x - digamma(a + n + 1)), t_0 = 1 / a, t_n = t_{n-1} x / (a + n).
- otherwise (Lentz's continued fraction Q = 1 - P = x^a e^-x / Gamma(a) * C(a, x)):
  dx/da = x C(a, x) (log x - digamma(a) + d log C / da), the last term by a central difference
  (C is smooth in a and computed to ~1e-15, so the difference is good to ~1e-9).

Kernels run in float64 on the host (NumPy) and the results move back to the input's device.
"""

from __future__ import annotations

import numpy as np

import ember
from ember.autograd.function import Function, once_differentiable
from ember.ops.gamma import _digamma_fwd, _lgamma_fwd

_EPS = 1e-15
_MAX_ITER = 100_000
_TINY = 1e-300


def _host(t) -> np.ndarray:
    return np.asarray(t.detach().cpu()._data, dtype=np.float64)


def _np_dtype(dtype) -> np.dtype:
    return ember.empty(0, dtype=dtype)._data.dtype


def _back(arr: np.ndarray, like) -> ember.Tensor:
    return ember.tensor(arr.astype(_np_dtype(like.dtype)), device=like.device)


def _series(a: np.ndarray, x: np.ndarray, with_grad: bool):
    """(sum_n t_n, sum_n t_n (log x - digamma(a + n + 1))) for the lower series."""
    t = 1.0 / a
    s = t.copy()
    psi = _digamma_fwd(a + 1.0)
    logx = np.log(x)
    g = t * (logx - psi) if with_grad else None
    active = np.ones(a.shape, dtype=bool)
    n = 0
    while active.any() and n < _MAX_ITER:
        n += 1
        idx = np.nonzero(active)
        an = a[idx] + n
        psi[idx] = psi[idx] + 1.0 / an
        t[idx] = t[idx] * x[idx] / an
        s[idx] += t[idx]
        if with_grad:
            g[idx] += t[idx] * (logx[idx] - psi[idx])
        active[idx] = np.abs(t[idx]) > _EPS * np.abs(s[idx])
    return s, g


def _contfrac(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """C(a, x) with Q(a, x) = x^a e^-x / Gamma(a) * C(a, x) (modified Lentz)."""
    b = x + 1.0 - a
    c = np.full(a.shape, 1.0 / _TINY)
    d = 1.0 / np.where(np.abs(b) < _TINY, _TINY, b)
    h = d.copy()
    active = np.ones(a.shape, dtype=bool)
    i = 0
    while active.any() and i < _MAX_ITER:
        i += 1
        idx = np.nonzero(active)
        an = -i * (i - a[idx])
        b[idx] += 2.0
        dd = an * d[idx] + b[idx]
        dd = np.where(np.abs(dd) < _TINY, _TINY, dd)
        cc = b[idx] + an / c[idx]
        cc = np.where(np.abs(cc) < _TINY, _TINY, cc)
        d[idx] = 1.0 / dd
        c[idx] = cc
        delta = cc / dd
        h[idx] *= delta
        active[idx] = np.abs(delta - 1.0) > _EPS
    return h


def gammainc(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized lower incomplete gamma P(a, x) (float64 arrays, broadcast)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel().copy(), x.ravel().copy()
    out = np.zeros(a.shape)
    ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    low = ok & (x < a + 1.0)
    high = ok & ~low
    with np.errstate(all="ignore"):
        if low.any():
            al, xl = a[low], x[low]
            s, _ = _series(al, xl, False)
            out[low] = np.exp(al * np.log(xl) - xl - _lgamma_fwd(al)) * s
        if high.any():
            ah, xh = a[high], x[high]
            q = np.exp(ah * np.log(xh) - xh - _lgamma_fwd(ah)) * _contfrac(ah, xh)
            out[high] = 1.0 - q
    out[(x == np.inf) & (a > 0)] = 1.0
    out[np.isnan(a) | np.isnan(x) | (a <= 0)] = np.nan
    return out.reshape(shape)


def standard_gamma_grad(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/da of a standard Gamma(a) sample x at fixed uniform noise (see the NOTE above)."""
    shape = np.broadcast_shapes(a.shape, x.shape)
    a = np.broadcast_to(a, shape).ravel().astype(np.float64)
    x = np.maximum(np.broadcast_to(x, shape).ravel().astype(np.float64), np.finfo(np.float64).tiny)
    out = np.zeros(a.shape)
    low = x < a + 1.0
    with np.errstate(all="ignore"):
        if low.any():
            _, g = _series(a[low], x[low], True)
            out[low] = -x[low] * g
        high = ~low
        if high.any():
            ah, xh = a[high], x[high]
            h = 1e-5 * np.maximum(ah, 1.0)
            c = _contfrac(ah, xh)
            dlogc = (np.log(_contfrac(ah + h, xh)) - np.log(_contfrac(ah - h, xh))) / (2 * h)
            out[high] = xh * c * (np.log(xh) - _digamma_fwd(ah) + dlogc)
    return out.reshape(shape)


def _sample_standard_gamma(a: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Marsaglia and Tsang's squeeze-free method, vectorised; a < 1 is boosted to a + 1 and
    multiplied by U ** (1 / a) (done in log space, so tiny a does not underflow to 0 early)."""
    a = np.asarray(a, np.float64)
    flat = a.ravel()
    boost = flat < 1.0
    d = np.where(boost, flat + 1.0, flat) - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty(flat.shape)
    todo = np.arange(flat.size)
    while todo.size:
        z = gen.standard_normal(todo.size)
        u = gen.random(todo.size)
        v = 1.0 + c[todo] * z
        ok = v > 0
        v3 = np.where(ok, v, 1.0) ** 3
        dt = d[todo]
        with np.errstate(divide="ignore"):
            ok &= np.log(u) < 0.5 * z * z + dt - dt * v3 + dt * np.log(v3)
        out[todo[ok]] = dt[ok] * v3[ok]
        todo = todo[~ok]
    if boost.any():
        nb = int(boost.sum())
        with np.errstate(divide="ignore"):
            logu = np.log(gen.random(nb))
            out[boost] = np.exp(np.log(out[boost]) + logu / flat[boost])
    out = np.where(flat == 0, 0.0, out)
    return out.reshape(a.shape)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        from ember.random import _gen

        a = _host(alpha)
        x = _sample_standard_gamma(a, _gen(None))
        tiny = float(np.finfo(_np_dtype(alpha.dtype)).tiny)
        out = _back(np.maximum(x, tiny), alpha)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * _back(standard_gamma_grad(_host(alpha), _host(x)), alpha)


def standard_gamma(alpha):
    """Standard Gamma(alpha, 1) samples, differentiable in ``alpha`` (implicit gradient).

    Example::

        >>> standard_gamma(ember.tensor([2.0])).shape
        ember.Size([1])
    """
    return _StandardGamma.apply(alpha)


class _GammaInc(Function):
    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _back(gammainc(_host(a), _host(x)), x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        ah, xh = np.broadcast_arrays(_host(a), _host(x))
        with np.errstate(all="ignore"):
            logf = (ah - 1) * np.log(xh) - xh - _lgamma_fwd(ah)
            dens = np.where(xh > 0, np.exp(logf), 0.0)
            # dP/da = -f(x) dx/da (the same implicit relation as for sampling)
            da = -dens * standard_gamma_grad(ah, np.where(xh > 0, xh, 1.0))
        ga = grad * _back(da, a) if ctx.needs_input_grad[0] else None
        gx = grad * _back(dens, x) if ctx.needs_input_grad[1] else None
        return ga, gx


def regularized_gammainc(a, x):
    """P(a, x), the regularized lower incomplete gamma function, differentiable in a and x.

    Example::

        >>> regularized_gammainc(ember.tensor(1.0), ember.tensor(1.0))
        tensor(0.6321)
    """
    a, x = ember.broadcast_tensors(a, x)
    return _GammaInc.apply(a, x)
