"""Matrix products: matmul, mm, bmm, addmm, einsum, outer, dot, tensordot."""

from __future__ import annotations

from ..amp import autocast_mode as _autocast
from ..autograd.function import Primitive
from ._util import Tensor, conj_all, np, promote, wrap_dim, xp_of


class MatMul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(
            a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None
        )
        # ``x @ w.t()`` (nn.Linear): w's gradient is wanted in w's own row-major layout, so it
        # is computed as (g^T a)^T, whose two transposes cancel, instead of a^T g, which would
        # reach w.grad as a transposed view and be copied (~1 ms a step for the MNIST fc1).
        ctx.b_transposed = b.ndim == 2 and not b.flags.c_contiguous and b.flags.f_contiguous
        r = np.matmul(a, b)
        # NumPy returns float32 for ml_dtypes' bfloat16 (autocast on the CPU); PyTorch keeps it.
        return r if r.dtype == a.dtype else r.astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if g._data.dtype.kind == "c":  # g @ b.mH, a.mH @ g: NOTE [ complex gradients ]
            a, b = conj_all(a, b)
        ga = g @ b.mT if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = (g.mT @ a).mT if ctx.b_transposed else a.mT @ g
        return ga, gb


class Linear(Primitive):
    """``x @ w.T + b`` as one op (nn.Linear's hot path; F.linear checks the arguments)."""

    @staticmethod
    def forward(ctx, x, w, b):
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
        out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1]) if need[1] or need[2] else None
        gx = g.matmul(w) if need[0] else None
        # (out, in) from g^T x: the weight's own row-major layout, so .grad needs no copy
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1])) if need[1] else None
        gb = g2.sum(0) if need[2] else None
        return gx, gw, gb


def _shape_str(s):
    return "x".join(str(v) for v in s)


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch broadcasting (1-d operands are vectors).

    Example:
        >>> (ember.ones(2, 3) @ ember.ones(3, 4)).shape
        ember.Size([2, 4])
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, other = _autocast.cast("matmul", input, other)
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul(): argument 'input' and 'other' must be Tensors")
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim <= 2 and b.ndim <= 2:
            sa = a.shape if a.ndim == 2 else (1, a.shape[0])
            sb = b.shape if b.ndim == 2 else (b.shape[0], 1)
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(
                    f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                    f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} "
                    f"and {b.shape[0]} elements respectively"
                )
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})"
            )
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{b.shape[0] if b.ndim > 2 else 1}, {ka}] but got: "
            f"[{b.shape[0] if b.ndim > 2 else 1}, {kb}]."
        )
    if a.ndim == 1 and b.ndim == 1:
        r = MatMul.apply(a.unsqueeze(0), b.unsqueeze(1)).reshape(())
    elif a.ndim == 1:
        r = MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    elif b.ndim == 1:
        r = MatMul.apply(a, b.unsqueeze(1)).squeeze(-1)
    else:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({a.shape[-3]}) must match the size of tensor b "
                f"({b.shape[-3]}) at non-singleton dimension 0"
            ) from None
        r = MatMul.apply(a, b)
    if out is not None:
        from .elementwise import _out

        return _out(r, out)
    return r


def mm(input, mat2, *, out=None):
    """Product of two matrices.

    Example:
        >>> ember.mm(ember.eye(2), ember.ones(2, 3)).shape
        ember.Size([2, 3])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched product of (b, n, m) and (b, m, p) tensors."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            "batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor"
        )
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    return matmul(input, mat2, out=out)


def mv(input, vec):
    """Matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts; ignored when beta=0).

    Example:
        >>> ember.addmm(ember.zeros(2), ember.ones(3, 2).t(), ember.ones(3, 2)).tolist()
        [[3.0, 3.0], [3.0, 3.0]]
    """
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, mat1, mat2 = _autocast.cast("addmm", input, mat1, mat2)
    p = mm(mat1, mat2)
    if not p.is_floating_point():  # integral products take integral scalars, as in PyTorch
        alpha, beta = int(alpha), int(beta)
    if alpha != 1:
        p = p * alpha
    if beta != 0:
        p = p + (input if beta == 1 else input * beta)
    elif input.shape != p.shape:
        from .elementwise import check_broadcast

        check_broadcast(input, p)
    if out is not None:
        from .elementwise import _out

        return _out(p, out)
    return p


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    p = mv(mat, vec) * alpha
    return p + input * beta if beta != 0 else p


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, batch1, batch2 = _autocast.cast("baddbmm", input, batch1, batch2)
    p = bmm(batch1, batch2) * alpha
    return p + input * beta if beta != 0 else p


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    if _autocast.active:  # NOTE [ autocast entry checks ]
        input, batch1, batch2 = _autocast.cast("addbmm", input, batch1, batch2)
    p = bmm(batch1, batch2).sum(0) * alpha
    return p + input * beta if beta != 0 else p


def dot(input, other):
    """Inner product of two 1-d tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
            f"and {other.shape[0]} elements respectively"
        )
    return matmul(input, other)


def vdot(input, other):
    """Dot product (conjugating the first argument for complex inputs)."""
    return dot(input.conj() if input.is_complex() else input, other)


def inner(input, other):
    """Sum-product over the last dims."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input, vec2):
    """Outer product of two vectors.

    Example:
        >>> ember.outer(ember.tensor([1, 2]), ember.tensor([1, 10])).tolist()
        [[1, 10], [2, 20]]
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def tensordot(a, b, dims=2):
    """Contract ``dims`` dims of ``a`` with ``b`` (an int: the last/first ``dims``)."""
    if isinstance(dims, int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    elif isinstance(dims, Tensor):
        return tensordot(a, b, dims.tolist())
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size "
                f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                f"dim {y}"
            )
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da])) if da else 1
    am = a.permute(*(fa + da)).reshape(-1, k)
    bm = b.permute(*(db + fb)).reshape(k, -1)
    return (am @ bm).reshape([a.shape[d] for d in fa] + [b.shape[d] for d in fb])


class Einsum(Primitive):
    @staticmethod
    def forward(ctx, eq, *ops):
        ctx.eq = eq
        ctx.save_for_backward(*ops)
        try:
            return xp_of(ops[0]).einsum(eq, *ops, optimize=len(ops) > 2)
        except ValueError:
            shapes = " ".join(str(list(o.shape)) for o in ops)
            raise RuntimeError(
                f"einsum(): operands do not broadcast with remapped shapes: {eq} {shapes}"
            ) from None

    @staticmethod
    def backward(ctx, g):
        ins, out = ctx.eq.split("->")
        subs = ins.split(",")
        ops = ctx.saved_tensors
        if g._data.dtype.kind == "c":  # multilinear: NOTE [ complex gradients ]
            ops = conj_all(*ops)
        grads = [None]
        for i, s in enumerate(subs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            if len(set(s)) != len(s):
                raise NotImplementedError("einsum backward with a repeated index in one operand")
            others = [o for j, o in enumerate(ops) if j != i]
            osubs = [t for j, t in enumerate(subs) if j != i]
            avail = set(out).union(*osubs) if osubs else set(out)
            kept = "".join(c for c in s if c in avail)
            gi = Einsum.apply(",".join([out] + osubs) + "->" + kept, g, *others)
            if kept != s:  # letters summed away inside this operand: broadcast back
                shape = [ops[i].shape[k] if c in kept else 1 for k, c in enumerate(s)]
                gi = gi.reshape(shape).expand(ops[i].shape)
            grads.append(gi)
        return tuple(grads)


def _normalize_einsum(eq, ops):
    eq = eq.replace(" ", "")
    if "->" in eq:
        ins, out = eq.split("->")
    else:
        ins, out = eq, None
    subs = ins.split(",")
    if len(subs) != len(ops):
        raise ValueError(
            "einsum(): more operands were provided than specified in the equation"
            if len(ops) > len(subs)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    import string

    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    ell_n = 0
    for s, o in zip(subs, ops):
        if "..." in s:
            ell_n = max(ell_n, o.ndim - (len(s) - 3))
    ell = "".join(free[:ell_n])
    new = []
    for s, o in zip(subs, ops):
        if "..." in s:
            k = o.ndim - (len(s) - 3)
            s = s.replace("...", ell[ell_n - k :])
        if len(s) != o.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) "
                f"does not match the number of dimensions ({o.ndim}) for operand "
                f"{len(new)} and no ellipsis was given"
            )
        new.append(s)
    if out is None:
        counts = {}
        for s in new:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return ",".join(new) + "->" + out


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('ij,jk->ik', a, b)``.

    Example:
        >>> ember.einsum("i,i->", ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ops, _ = promote(*operands)
    eq = _normalize_einsum(equation, ops)
    return Einsum.apply(eq, *ops)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim``."""
    from .elementwise import check_broadcast

    check_broadcast(input, other)
    if dim is None:
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    # Both inputs need length 3 along dim before broadcasting (a length-1 side is an error).
    n, m = input.shape[wrap_dim(dim, input.ndim)], other.shape[wrap_dim(dim, other.ndim)]
    if n != 3 or m != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {n} and {m}"
        )
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    from .shape import stack

    return stack(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], dim
    )
