"""gradcheck / gradgradcheck: compare autograd's gradients with central finite differences.

The numerical Jacobian perturbs each input element by ``+-eps`` in place (the array is
restored exactly afterwards); the analytical one runs one backward per output element with a
one-hot ``grad_output``. ``fast_mode`` instead compares the single number ``v^T J u`` for random
``u`` and ``v``. Both want float64 inputs, as in PyTorch.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import grad as _grad
from .grad_mode import state


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when autograd and finite differences disagree."""


def _as_tuple(x) -> tuple:
    from .._tensor import Tensor

    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _is_diff(t) -> bool:
    from .._tensor import Tensor

    return isinstance(t, Tensor) and t._rg and t._data.dtype.kind in "fc"


def _host(arr) -> np.ndarray:
    from ..backend import of

    # a copy: the array may be an input that the numerical Jacobian is about to perturb
    return np.array(of(arr).to_numpy(arr), dtype=np.float64)


def _diff_outputs(func, inputs) -> tuple:
    from .._tensor import Tensor

    outs = _as_tuple(func(*inputs))
    return tuple(o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind in "fc")


def _numerical(func, inputs, targets, n_out, eps):
    """``jac[t][o]``: (numel(target t), numel(output o)) central differences, as float64."""

    def run():
        outs = _diff_outputs(func, inputs)
        return [_host(o._data).reshape(-1) for o in outs]

    sizes = [o.size for o in run()]
    jac = []
    for t in targets:
        a = t._data
        cols = [np.zeros((a.size, n)) for n in sizes]
        for j in range(a.size):
            idx = np.unravel_index(j, a.shape)
            orig = a[idx].copy()
            a[idx] = orig + eps
            plus = run()
            a[idx] = orig - eps
            minus = run()
            a[idx] = orig
            for o, (p, m) in enumerate(zip(plus, minus)):
                cols[o][j] = (p - m) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical(outputs, targets, check_grad_dtypes):
    """``jac[t][o]`` from one backward per output element (zeros where a target is unused)."""
    from .._tensor import _make
    from ..backend import xp_of

    jac = [[None] * len(outputs) for _ in targets]
    for o, out in enumerate(outputs):
        xp = xp_of(out._data)
        cols = [np.zeros((t._data.size, out._data.size)) for t in targets]
        for k in range(out._data.size):
            onehot = xp.zeros(out._data.size, out._data.dtype)
            onehot[k] = 1
            gs = _grad(
                out,
                targets,
                _make(onehot.reshape(out._data.shape)),
                retain_graph=True,
                allow_unused=True,
            )
            for i, (t, g) in enumerate(zip(targets, gs)):
                if g is None:
                    continue
                if g.shape != t.shape:
                    raise GradcheckError("Analytical gradient has incorrect size")
                if check_grad_dtypes and g.dtype != t.dtype:
                    raise GradcheckError("Gradient has dtype mismatch")
                cols[i][:, k] = _host(g._data).reshape(-1)
        for i in range(len(targets)):
            jac[i][o] = cols[i]
    return jac


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _prepare(inputs, name):
    targets = [t for t in inputs if _is_diff(t)]
    if not targets:
        raise ValueError(
            f"{name} expects at least one input tensor to require gradient, but none of the "
            "them have requires_grad=True."
        )
    for i, t in enumerate(inputs):
        if _is_diff(t) and t._data.dtype not in (np.float64, np.complex128):
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex.",
                stacklevel=3,
            )
        if _is_diff(t) and not getattr(t._data.flags, "writeable", True):
            raise ValueError(
                f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs "
                "that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                "gradcheck."
            )
    return targets


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Check autograd's gradients of ``func`` at ``inputs`` against finite differences.

    Only inputs that are floating tensors with ``requires_grad=True`` are checked; use float64.
    Returns True, or raises ``GradcheckError`` (False with ``raise_exception=False``).
    ``check_batched_grad`` and ``check_undefined_grad`` are accepted and ignored (ember has no
    vmap, and it always hands backward materialised zeros); forward-mode AD is not supported.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    if check_forward_ad or check_batched_forward_grad:
        raise NotImplementedError("ember has no forward-mode AD (check_forward_ad=True)")
    inputs = _as_tuple(inputs)
    targets = _prepare(inputs, "gradcheck")
    if not check_backward_ad:
        return True
    outputs = _diff_outputs(func, inputs)
    if not outputs:
        return True
    for o, out in enumerate(outputs):
        if not out._rg:
            # An output cut off from the graph must then have a zero numerical Jacobian.
            outputs = outputs[:o] + (None,) + outputs[o + 1 :]
    if fast_mode:
        return _fast(func, inputs, targets, outputs, eps, atol, rtol, raise_exception)
    num = _numerical(func, inputs, targets, len(outputs), eps)
    live = [o for o in outputs if o is not None]
    ana = _analytical(live, targets, check_grad_dtypes) if live else [[] for _ in targets]
    ana2 = _analytical(live, targets, False) if live else ana
    tidx = [i for i, t in enumerate(inputs) if _is_diff(t)]
    for i in range(len(targets)):
        li = 0
        for o, out in enumerate(outputs):
            n = num[i][o]
            if out is None:
                a = np.zeros_like(n)
            else:
                a, a2 = ana[i][li], ana2[i][li]
                li += 1
                if not np.allclose(a, a2, rtol=0.0, atol=nondet_tol):
                    return _fail(
                        "Backward is not reentrant, i.e., running backward with same input and "
                        "grad_output multiple times gives different values, although analytical "
                        "gradient matches numerical gradient. The tolerance for nondeterminism "
                        f"was {nondet_tol}.",
                        raise_exception,
                    )
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                return _fail(
                    f"Jacobian mismatch for output {o} with respect to input {tidx[i]},\n"
                    f"numerical:{_fmt(n)}\nanalytical:{_fmt(a)}\n",
                    raise_exception,
                )
    return True


def _fmt(a: np.ndarray) -> str:
    from .._tensor import _make

    return repr(_make(np.ascontiguousarray(a)))


def _fast(func, inputs, targets, outputs, eps, atol, rtol, raise_exception) -> bool:
    """Compare ``v^T J u`` (random unit-scale ``u`` per input, ``v`` per output)."""
    from .._tensor import _make
    from ..backend import xp_of

    rng = np.random.default_rng(0)
    us = [rng.uniform(-1, 1, t._data.shape) for t in targets]
    vs = [None if o is None else rng.uniform(-1, 1, o._data.shape) for o in outputs]
    originals = [t._data.copy() for t in targets]

    def shifted(sign):
        for t, u, orig in zip(targets, us, originals):
            t._data[...] = orig + sign * eps * xp_of(orig).asarray(u, dtype=orig.dtype)
        outs = _diff_outputs(func, inputs)
        return [_host(o._data) for o in outs]

    plus, minus = shifted(1), shifted(-1)
    for t, orig in zip(targets, originals):
        t._data[...] = orig
    for o, out in enumerate(outputs):
        jvp = (plus[o] - minus[o]) / (2 * eps)
        if out is None:
            if not np.allclose(jvp, 0, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {o}: it has no gradient", True)
            continue
        v = vs[o]
        numerical = float((jvp * v).sum())
        gv = _make(xp_of(out._data).asarray(v, dtype=out._data.dtype))
        gs = _grad(out, targets, gv, retain_graph=True, allow_unused=True)
        analytical = sum(float((_host(g._data) * u).sum()) for g, u in zip(gs, us) if g is not None)
        if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
            return _fail(
                f"Jacobian mismatch for output {o} with respect to the inputs (fast mode),\n"
                f"numerical:{numerical}\nanalytical:{analytical}\n",
                raise_exception,
            )
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, grad_outputs) -> input gradients.

    ``grad_outputs`` default to random float64 tensors in [-1, 1) that require grad.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    from .._tensor import _make
    from ..backend import xp_of

    if check_fwd_over_rev:
        raise NotImplementedError("ember has no forward-mode AD (check_fwd_over_rev=True)")
    inputs = _as_tuple(inputs)
    _prepare(inputs, "gradgradcheck")
    if not check_rev_over_rev:
        return True
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _diff_outputs(func, inputs)
        grad_outputs = []
        for o in outs:
            a = rng.uniform(-1, 1, o._data.shape)
            if gen_non_contig_grad_outputs and a.ndim:
                a = np.repeat(a[..., None], 2, -1)[..., 0]
            g = _make(xp_of(o._data).asarray(a, dtype=o._data.dtype))
            g._rg = True
            grad_outputs.append(g)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def new_func(*args):
        ins, gouts = args[:n], args[n:]
        prev = state.enabled
        state.enabled = True
        try:
            outs = [o for o in _diff_outputs(func, ins) if o._rg]
            diff_ins = [t for t in ins if _is_diff(t)]
            gs = _grad(
                outs, diff_ins, list(gouts[: len(outs)]), create_graph=True, allow_unused=True
            )
        finally:
            state.enabled = prev
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        new_func,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
    )


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
