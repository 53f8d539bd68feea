"""torch.linalg: norms, inverses, solves and decompositions, batched over leading dims.

Forward passes run LAPACK through the backend (``numpy.linalg`` / ``cupy.linalg``); every
backward is written in ember ops, so gradients of gradients work too. Decompositions
differentiate like PyTorch's where the result is well defined: ``eigh`` and ``svd`` need
distinct eigen/singular values, ``qr`` needs ``mode='reduced'`` with as many rows as columns
or more. The products (``matmul``, ...) are ``ember.ops.linalg``'s, re-exported here.

Example:
    >>> import ember as torch
    >>> torch.linalg.norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
"""

from __future__ import annotations

import builtins
import collections

import numpy as np

from . import _dtype as D
from ._device import device as _device
from .autograd.function import Primitive
from .backend import transfer
from .ops._util import Tensor, _make, wrap_dim, xp_of
from .ops.composite import diag_embed as _diag_embed
from .ops.creation import full_like as _full_like
from .ops.elementwise import where as _where
from .ops.linalg import cross as _cross
from .ops.linalg import matmul
from .ops.shape import diagonal as _diagonal
from .ops.shape import movedim

__all__ = [
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]

_inf = float("inf")


class LinAlgError(RuntimeError):
    """A matrix the routine cannot handle (singular, not positive-definite), as PyTorch's."""


slogdet_result = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
eigh_result = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
qr_result = collections.namedtuple("linalg_qr", ["Q", "R"])
svd_result = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])


# --- checks and helpers ---------------------------------------------------------------------


def _check_float(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{fn}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if not (A.is_floating_point() or A.is_complex()):
        raise RuntimeError(
            f"linalg.{fn}: Expected a floating point or complex tensor as input. "
            f"Got {A.dtype.scalar_name}"
        )
    if A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError(
            f"linalg.{fn}: Low precision dtypes not supported. Got {A.dtype.scalar_name}"
        )


def _check_matrix(A, fn, square=True):
    _check_float(A, fn)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{fn}: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )


def _eye(n, like):
    return _make(xp_of(like._data).eye(n, dtype=like._data.dtype))


def _host(a):
    return np.asarray(transfer(a, _device("cpu")))


def _first_zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (0: none), as getrf."""
    u = np.array(m, copy=True)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1 :] -= np.outer(u[k + 1 :, k] / u[k, k], u[k])
    return 0


def _not_pd_order(m):
    """Order of the first leading minor that is not positive-definite (0: none)."""
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def _raise_per_batch(fn, a, find, message):
    # Error path only: find the first failing matrix of the batch and say why, as PyTorch does.
    a = _host(a)
    flat = a.reshape(-1, *a.shape[-2:])
    for b, m in enumerate(flat):
        info = find(m)
        if info:
            where_ = f"(Batch element {b}): " if a.ndim > 2 else ""
            raise LinAlgError(f"linalg.{fn}: {where_}{message(info)}") from None
    raise LinAlgError(f"linalg.{fn}: {message(None)}") from None


def _singular_error(fn, a):
    def message(info):
        if info is None:
            return "The input matrix is singular, the inversion could not be completed."
        return (
            f"The diagonal element {info} is zero, the inversion could not be completed "
            "because the input matrix is singular."
        )

    _raise_per_batch(fn, a, _first_zero_pivot, message)


def _not_pd_error(fn, a):
    def message(info):
        minor = f" (the leading minor of order {info} is not positive-definite)" if info else ""
        return (
            "The factorization could not be completed because the input is not "
            f"positive-definite{minor}."
        )

    _raise_per_batch(fn, a, _not_pd_order, message)


def _tol_mask(s, atol, rtol, m, n):
    """``s > max(atol, rtol * s.max())`` with PyTorch's defaults (rtol = eps * max(m, n))."""
    xp = xp_of(s)
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * builtins.max(m, n) if atol is None or atol == 0 else 0.0
    atol = 0.0 if atol is None else atol
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = xp.maximum(xp.asarray(atol, dtype=s.dtype)[..., None], rtol * smax)
    return s > tol


# --- primitives (forward on arrays, backward in ember ops) ----------------------------------


class _Inv(Primitive):
    @staticmethod
    def forward(ctx, a):
        try:
            out = xp_of(a).linalg.inv(a)
        except np.linalg.LinAlgError:
            _singular_error("inv", a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        # d(A^-1) = -A^-1 dA A^-1, so gA = -A^-H g A^-H
        (ai,) = ctx.saved_tensors
        t = ai.mH
        return -(t @ g @ t)


class _Det(Primitive):
    @staticmethod
    def forward(ctx, a):
        d = xp_of(a).asarray(xp_of(a).linalg.det(a))
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        # d det A = det A tr(A^-1 dA): gA = g det(A) A^-T (needs an invertible A)
        a, d = ctx.saved_tensors
        if a.is_complex():
            raise NotImplementedError("linalg.det: backward for complex inputs")
        return (g * d).unsqueeze(-1).unsqueeze(-1) * inv(a).mH


class _Slogdet(Primitive):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        sign, logabs = xp.linalg.slogdet(a)
        sign, logabs = xp.asarray(sign), xp.asarray(logabs)
        ctx.save_for_backward(a)
        if sign.dtype.kind != "c":
            ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        if a.is_complex():
            raise NotImplementedError("linalg.slogdet: backward for complex inputs")
        return glog.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


class _Solve(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        try:
            x = xp_of(a).linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "torch.linalg.solve: The solver failed because the input matrix is singular."
            ) from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        # A X = B: gB = A^-H g, gA = -gB X^H (the engine sums broadcast batch dims away)
        a, x = ctx.saved_tensors
        gb = _Solve.apply(a.mH, g)
        ga = -(gb @ x.mH) if ctx.needs_input_grad[0] else None
        return ga, gb


class _Cholesky(Primitive):
    @staticmethod
    def forward(ctx, a):
        try:
            out = xp_of(a).linalg.cholesky(a)
        except np.linalg.LinAlgError:
            _not_pd_error("cholesky", a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        # NOTE [ cholesky backward ]: from dA = dL L^T + L dL^T, L^-1 dL = Phi(L^-1 dA L^-T) with
        # Phi(X) the lower triangle with a halved diagonal; transposing gives
        # gA = L^-T Phi(L^T g) L^-1, symmetrised because only symmetric dA are admissible.
        (l,) = ctx.saved_tensors
        p = l.mH @ g
        p = p.tril() - 0.5 * _diag_embed(_diagonal(p, 0, -2, -1))
        lt = l.mH
        x = _Solve.apply(lt, _Solve.apply(lt, p).mH).mH
        return 0.5 * (x + x.mH)


class _QR(Primitive):
    @staticmethod
    def forward(ctx, a, mode):
        q, r = xp_of(a).linalg.qr(a, mode=mode)
        ctx.mode, ctx.shape = mode, a.shape
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        m, n = ctx.shape[-2:]
        if ctx.mode == "complete" and m > n:
            msg = (
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
            raise RuntimeError(msg)
        if m < n:
            raise NotImplementedError(
                "linalg.qr: ember differentiates QR only for matrices with at least as many "
                "rows as columns"
            )
        # NOTE [ qr backward ]: with M = R gR^T - gQ^T Q and copyltu(M) the symmetric matrix
        # built from M's lower triangle, gA = (gQ + Q copyltu(M)) R^-T.
        q, r = ctx.saved_tensors
        mm = r @ gr.mT - gq.mT @ q
        sym = mm.tril() + mm.tril(-1).mT
        b = gq + q @ sym
        return _Solve.apply(r, b.mT).mT, None


class _Eigh(Primitive):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = xp_of(a).linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        # A = V diag(w) V^T: gA = V (diag(gw) + (V^T gV) / E) V^T, E_ij = w_j - w_i (i != j),
        # symmetrised
        w, v = ctx.saved_tensors
        if v.is_complex():
            raise NotImplementedError("linalg.eigh: backward for complex inputs")
        eye = _eye(w.shape[-1], w)
        e = w.unsqueeze(-2) - w.unsqueeze(-1) + eye
        inner = (v.mT @ gv) / e * (1 - eye) + _diag_embed(gw)
        ga = v @ inner @ v.mT
        return 0.5 * (ga + ga.mT), None  # symmetric, as PyTorch's: only symmetric dA are valid


class _SVD(Primitive):
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = xp_of(a).linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        # NOTE [ svd backward ]: for A = U S V^T (real, distinct singular values) with
        # F_ij = 1 / (s_j^2 - s_i^2) off the diagonal,
        # gA = U [(F o (U^T gU - gU^T U)) S + diag(gS) + S (F o (V^T gV - gV^T V))] V^T
        #      + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T).
        # The extra columns of full_matrices=True are arbitrary and get no gradient.
        u, s, vh = ctx.saved_tensors
        if u.is_complex():
            raise NotImplementedError("linalg.svd: backward for complex inputs")
        k = s.shape[-1]
        m, n = u.shape[-2], vh.shape[-1]
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        v, gv = vh.mT, gvh.mT
        eye = _eye(k, s)
        s2 = s * s
        f = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye
        utgu, vtgv = u.mT @ gu, v.mT @ gv
        j = (utgu - utgu.mT) / f * (1 - eye)
        kk = (vtgv - vtgv.mT) / f * (1 - eye)
        sm = _diag_embed(s)
        ga = u @ (j @ sm + _diag_embed(gs) + sm @ kk) @ vh
        if m > k:
            ga = ga + ((gu - u @ utgu) / s.unsqueeze(-2)) @ vh
        if n > k:
            ga = ga + u @ ((gv - v @ vtgv) / s.unsqueeze(-2)).mT
        return ga, None


class _Pinv(Primitive):
    @staticmethod
    def forward(ctx, a, atol, rtol):
        xp = xp_of(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        keep = _tol_mask(s, atol, rtol, a.shape[-2], a.shape[-1])
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(s.dtype)
        p = xp.matmul(vh.swapaxes(-1, -2).conj() * sinv[..., None, :], u.swapaxes(-1, -2).conj())
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g, *_):
        # NOTE [ pinv backward ]: at constant rank (Golub & Pereyra),
        # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, hence
        # gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A).
        a, p = ctx.saved_tensors
        if a.is_complex():
            raise NotImplementedError("linalg.pinv: backward for complex inputs")
        pt, gt = p.mT, g.mT
        m, n = a.shape[-2], a.shape[-1]
        ga = -(pt @ g @ pt)
        ga = ga + (_eye(m, a) - a @ p) @ gt @ (p @ pt)
        ga = ga + (pt @ p) @ gt @ (_eye(n, a) - p @ a)
        return ga, None, None


# --- public functions ----------------------------------------------------------------------


def inv(A, *, out=None):
    """Inverse of a square matrix (or of each matrix of a batch).

    Raises ``LinAlgError`` when a matrix is singular.

    Example:
        >>> ember.linalg.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _check_matrix(A, "inv")
    return _with_out(_Inv.apply(A), out)


def det(A, *, out=None):
    """Determinant of a square matrix (batched).

    Example:
        >>> ember.linalg.det(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    _check_matrix(A, "det")
    return _with_out(_Det.apply(A), out)


def slogdet(A, *, out=None):
    """``(sign, logabsdet)`` with ``det(A) = sign * exp(logabsdet)``, stable for large matrices.

    Example:
        >>> ember.linalg.slogdet(ember.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign
        tensor(-1.)
    """
    _check_matrix(A, "slogdet")
    return slogdet_result(*_Slogdet.apply(A))


def solve(A, B, *, left=True, out=None):
    """Solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); batch dims broadcast.

    ``B`` is a vector (or a batch of them) when it is 1-d or has ``A``'s shape without the
    last dim. Raises ``LinAlgError`` for a singular ``A``.

    Example:
        >>> ember.linalg.solve(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), ember.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    _check_matrix(A, "solve")
    _check_same_dtype(A, B, "solve")
    if not left:
        return _with_out(solve(A.mT, B.mT).mT, out)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if b.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{n} and {b.shape[-2]}x{b.shape[-1]})"
        )
    a, b = _broadcast_batch(A, b, "solve")
    x = _Solve.apply(a, b)
    return _with_out(x.squeeze(-1) if vector else x, out)


def cholesky(A, *, upper=False, out=None):
    """Cholesky factor ``L`` (lower) of a symmetric positive-definite matrix, ``A = L L^H``.

    Only the lower triangle of ``A`` is read. Raises ``LinAlgError`` if ``A`` is not
    positive-definite.

    Example:
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    _check_matrix(A, "cholesky")
    lo = _Cholesky.apply(A)
    return _with_out(lo.mH if upper else lo, out)


def qr(A, mode="reduced", *, out=None):
    """QR decomposition ``A = Q R`` (named tuple ``Q, R``); ``mode`` is 'reduced', 'complete'
    or 'r' (Q is then empty).

    Example:
        >>> q, r = ember.linalg.qr(ember.eye(3)[:, :2])
        >>> q.shape, r.shape
        (ember.Size([3, 2]), ember.Size([2, 2]))
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _check_matrix(A, "qr", square=False)
    q, r = _QR.apply(A, "complete" if mode == "complete" else "reduced")
    if mode == "r":
        q = _make(xp_of(A._data).empty((0,), dtype=A._data.dtype))
    return qr_result(q, r)


def eigh(A, UPLO="L", *, out=None):  # noqa: N803 (PyTorch's name)
    """Eigenvalues (ascending) and eigenvectors of a symmetric/Hermitian matrix.

    Only the ``UPLO`` ('L' or 'U') triangle of ``A`` is read.

    Example:
        >>> ember.linalg.eigh(ember.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    _check_matrix(A, "eigh")
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return eigh_result(*_Eigh.apply(A, UPLO.upper()))


def eigvalsh(A, UPLO="L", *, out=None):  # noqa: N803
    """Eigenvalues (ascending) of a symmetric/Hermitian matrix.

    Example:
        >>> ember.linalg.eigvalsh(ember.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    _check_matrix(A, "eigvalsh")
    return _with_out(eigh(A, UPLO).eigenvalues, out)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """Singular value decomposition ``A = U diag(S) Vh`` (named tuple ``U, S, Vh``).

    Example:
        >>> ember.linalg.svd(ember.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    _check_matrix(A, "svd", square=False)
    return svd_result(*_SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    """Singular values, in descending order.

    Example:
        >>> ember.linalg.svdvals(ember.tensor([[3.0, 0.0], [0.0, -2.0]]))
        tensor([3., 2.])
    """
    _check_matrix(A, "svdvals", square=False)
    return _with_out(_SVD.apply(A, False)[1], out)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """Moore-Penrose pseudo-inverse; singular values ``<= max(atol, rtol * max(S))`` count as 0.

    Example:
        >>> ember.linalg.pinv(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    _check_matrix(A, "pinv", square=False)
    return _with_out(_Pinv.apply(A, atol, rtol), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """Number of singular values ``> max(atol, rtol * max(S))`` (int64).

    Example:
        >>> ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    _check_matrix(A, "matrix_rank", square=False)
    a = A._data
    s = xp_of(a).linalg.svd(a, compute_uv=False)
    keep = _tol_mask(s, atol, rtol, a.shape[-2], a.shape[-1])
    return _with_out(_make(keep.sum(axis=-1).astype(np.int64)), out)


def matrix_power(A, n, *, out=None):
    """``A`` to the integer power ``n`` (``n < 0`` inverts first; ``n = 0`` is the identity).

    Example:
        >>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_power: The input tensor A must have at least 2 dimensions."
        )
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    n = int(n)
    if n == 0:
        return _with_out(_eye(A.shape[-1], A).expand(*A.shape).clone(), out)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:  # square-and-multiply
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return _with_out(result, out)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Vector ``ord``-norm over ``dim`` (all elements when ``dim`` is None).

    ``ord`` is any number: ``inf``/``-inf`` give max/min of ``|x|``, 0 counts non-zeros.

    Example:
        >>> ember.linalg.vector_norm(ember.tensor([[3.0, -4.0]]), ord=1)
        tensor(7.)
    """
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}"
        )
    from .ops.reduce import norm as _norm

    if dtype is not None:
        x = x.to(D.as_dtype(dtype))
    if x.is_complex():
        x = x.abs()
    return _with_out(_norm(x, ord, dim, keepdim), out)


def _matrix_dims(dim, ndim, fn):
    if isinstance(dim, (int, np.integer)) or len(dim) != 2:
        shown = dim if isinstance(dim, (int, np.integer)) else list(dim)
        raise RuntimeError(f"linalg.{fn}: dim must be a 2-tuple. Got {shown}")
    d0, d1 = wrap_dim(int(dim[0]), ndim), wrap_dim(int(dim[1]), ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2.

    Example:
        >>> ember.linalg.matrix_norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        tensor(6.)
    """
    _check_float(A, "matrix_norm")
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if ord not in ("fro", "nuc", _inf, -_inf, 1, -1, 2, -2) or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = _matrix_dims(dim, A.ndim, "matrix_norm")
    if dtype is not None:
        A = A.to(D.as_dtype(dtype))
    if ord == "fro":
        return _with_out(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
        return _with_out(r, out)
    a = A.abs()
    # ord 1: largest column sum (sum over rows d0, then max over columns d1); inf: rows
    inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
    r = a.sum(inner, keepdim=True)
    r = r.amax(outer, keepdim=True) if ord > 0 else r.amin(outer, keepdim=True)
    return _with_out(r if keepdim else r.squeeze((d0, d1)), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Vector or matrix norm, chosen as PyTorch does.

    With an int ``dim`` (or 1-tuple) a vector norm, with a 2-tuple a matrix norm; without
    ``dim``, ``A`` must be 1-d or 2-d when ``ord`` is given, and otherwise the 2-norm of all
    elements is returned.

    Example:
        >>> ember.linalg.norm(ember.tensor([[3.0, 0.0], [0.0, 4.0]]))
        tensor(5.)
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        if len(dims) == 2:
            return matrix_norm(
                A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out
            )
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}"
        )
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if A.ndim == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return matrix_norm(A, ord)  # raises: a string ord needs a matrix
    raise RuntimeError(
        "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
        f"Got {A.ndim}D."
    )


def cross(input, other, *, dim=-1, out=None):  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (inputs broadcast).

    Example:
        >>> ember.linalg.cross(ember.tensor([1.0, 0.0, 0.0]), ember.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    try:
        shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(other.shape)))
    except ValueError:
        raise RuntimeError(
            f"linalg.cross: inputs of shapes {list(input.shape)} and {list(other.shape)} do "
            "not broadcast"
        ) from None
    wrap_dim(dim, len(shape))
    return _with_out(_cross(input, other, dim), out)  # checks the length-3 dimension


def vecdot(x, y, *, dim=-1, out=None):
    """Dot product of vectors along ``dim`` (``x`` conjugated when complex); inputs broadcast.

    Example:
        >>> ember.linalg.vecdot(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if x.shape[dim] != y.shape[dim]:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same size along dim {dim}. Got "
            f"{x.shape[dim]} and {y.shape[dim]}"
        )
    return _with_out((x.conj() * y if x.is_complex() else x * y).sum(dim), out)


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices; the first may be a row vector, the last a column.

    Example:
        >>> ember.linalg.multi_dot([ember.ones(2), ember.ones(2, 3), ember.ones(3)])
        tensor(6.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        last = i == len(tensors) - 1
        if i == 0 or last:
            if t.ndim not in (1, 2):
                which = "last" if last else "first"
                raise RuntimeError(
                    f"multi_dot(): the {which} tensor must be 1D or 2D but got {t.ndim}D"
                )
        elif t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = [t.unsqueeze(0) if i == 0 and first else t for i, t in enumerate(tensors)]
    if last:
        mats[-1] = mats[-1].unsqueeze(-1)
    r = mats[0]
    for t in mats[1:]:
        r = matmul(r, t)
    if first:
        r = r.squeeze(0)
    if last:
        r = r.squeeze(-1)
    return _with_out(r, out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset`` diagonal of the matrices in dims ``dim1``/``dim2``, as the last dim.

    Example:
        >>> ember.linalg.diagonal(ember.eye(2))
        tensor([1., 1.])
    """
    return _diagonal(A, offset, wrap_dim(dim1, A.ndim), wrap_dim(dim2, A.ndim))


def _with_out(r, out):
    if out is None:
        return r
    from .ops.elementwise import _out

    return _out(r, out)


# -- PyTorch's older top-level spellings: ember.inverse, ember.det, ember.slogdet, ember.logdet
# and the Tensor methods of the same names (reached through ember/__init__.py's _LAZY_ATTRS).


def inverse(input, *, out=None):
    """``torch.inverse``: the same as :func:`inv`.

    Example:
        >>> ember.inverse(ember.tensor([[2.0]]))
        tensor([[0.5000]])
    """
    return inv(input, out=out)


def logdet(input):
    """log(det(A)): nan where the determinant is negative, -inf where it is 0.

    Example:
        >>> ember.logdet(ember.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    sign, logabs = slogdet(input)
    return _where(sign < 0, _full_like(logabs, float("nan")), logabs)


# --- triangular solves, LU, matrix exponential, least squares (a second batch) -----------------

lu_factor_result = collections.namedtuple("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = collections.namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
lu_result = collections.namedtuple("linalg_lu", ["P", "L", "U"])
lstsq_result = collections.namedtuple(
    "linalg_lstsq", ["solution", "residuals", "rank", "singular_values"]
)
cholesky_ex_result = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])
inv_ex_result = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])
solve_ex_result = collections.namedtuple("linalg_solve_ex", ["result", "info"])
eig_result = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])


def _check_same_dtype(A, B, fn):
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.{fn}(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.{fn}: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.scalar_name} and B of type {B.dtype.scalar_name} instead"
        )


def _broadcast_batch(A, B, fn):
    """``A`` and ``B`` expanded to their common batch shape (the matrix dims kept)."""
    try:
        batch = tuple(np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2])))
    except ValueError:
        raise RuntimeError(
            f"linalg.{fn}: batch dims of A {list(A.shape[:-2])} and B {list(B.shape[:-2])} "
            "do not broadcast"
        ) from None
    if tuple(A.shape[:-2]) != batch:
        A = A.expand(*batch, *A.shape[-2:])
    if tuple(B.shape[:-2]) != batch:
        B = B.expand(*batch, *B.shape[-2:])
    return A, B


def _triangle(a, upper, unit):
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        t[..., xp.arange(n), xp.arange(n)] = 1
    return t


def _substitute(t, b, upper):
    # Back/forward substitution: only for exactly singular triangles, where it gives PyTorch's
    # inf/nan instead of LAPACK's refusal.
    xp = xp_of(t)
    n = t.shape[-1]
    x = xp.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    for i in range(n - 1, -1, -1) if upper else range(n):
        rest = slice(i + 1, n) if upper else slice(0, i)
        acc = b[..., i, :] - xp.matmul(t[..., i : i + 1, rest], x[..., rest, :])[..., 0, :]
        x[..., i, :] = acc / t[..., i, i, None]
    return x


class _SolveTriangular(Primitive):
    @staticmethod
    def forward(ctx, a, b, upper, unit):
        t = _triangle(a, upper, unit)
        try:
            x = xp_of(a).linalg.solve(t, b)
        except np.linalg.LinAlgError:
            x = _substitute(t, b, upper)
        ctx.upper, ctx.unit = upper, unit
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        # T X = B: gB = T^-H g (the other triangle), gA = -gB X^H on T's triangle (strictly
        # inside it when the diagonal is taken to be ones)
        a, x = ctx.saved_tensors
        gb = _SolveTriangular.apply(a.mH, g, not ctx.upper, ctx.unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mH)
            off = int(ctx.unit)
            ga = ga.triu(off) if ctx.upper else ga.tril(-off)
        return ga, gb, None, None


def solve_triangular(
    A: Tensor,
    B: Tensor,
    *,
    upper: bool,
    left: bool = True,
    unitriangular: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """Solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``.

    Only the ``upper`` (or lower) triangle of ``A`` is read; ``unitriangular`` takes its
    diagonal to be ones. Batch dims broadcast. A zero on the diagonal gives inf/nan, as in
    PyTorch, instead of an error.

    Example:
        >>> A = ember.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> ember.linalg.solve_triangular(A, ember.tensor([[3.0], [4.0]]), upper=True)
        tensor([[1.],
                [1.]])
    """
    _check_matrix(A, "solve_triangular")
    _check_same_dtype(A, B, "solve_triangular")
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    if not left:
        x = solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular)
        return _with_out(x.mT, out)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    a, b = _broadcast_batch(A, B, "solve_triangular")
    return _with_out(_SolveTriangular.apply(a, b, bool(upper), bool(unitriangular)), out)


# NOTE [ LU ]: NumPy has no LU, so ember factors with partial pivoting itself, one column at
# a time and vectorised over the batch (the choice of pivot is LAPACK getrf's: the first
# largest |entry|). ``pivots`` are getrf's 1-based row swaps (int32); ``info`` is the 1-based
# index of the first exactly zero pivot (0: none). The factor A = P L U is differentiable
# for square, tall and wide A; the permutation is not.


def _lu_arrays(a):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = builtins.min(m, n)
    batch = a.shape[:-2]
    lu = a.reshape(-1, m, n).copy()
    piv = xp.empty((lu.shape[0], k), dtype=np.int32)
    info = xp.zeros(lu.shape[0], dtype=np.int32)
    rows = xp.arange(lu.shape[0])
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=-1)
        piv[:, j] = p + 1
        row_p = lu[rows, p].copy()
        lu[rows, p] = lu[:, j]
        lu[:, j] = row_p
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
        l_col = lu[:, j + 1 :, j] / xp.where(zero, 1, pivot)[:, None]
        lu[:, j + 1 :, j] = l_col
        lu[:, j + 1 :, j + 1 :] -= l_col[:, :, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm_arrays(piv, m):
    """Row order ``perm`` with ``(P^T A)[i] = A[perm[i]]``, from getrf's pivots."""
    xp = xp_of(piv)
    flat = piv.reshape(-1, piv.shape[-1]).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        pj = flat[:, j]
        keep = perm[:, j].copy()
        perm[:, j] = perm[rows, pj]
        perm[rows, pj] = keep
    return perm.reshape(piv.shape[:-1] + (m,))


def _take_rows(x, perm):
    """``x[..., perm, :]`` per batch element (differentiable in ``x``)."""
    from .ops.index import take_along_dim

    idx = _make(perm)[..., None].expand(*perm.shape, x.shape[-1])
    return take_along_dim(x, idx, -2)


def _unpack(lu, m, n):
    k = builtins.min(m, n)
    lower = lu[..., :, :k].tril(-1) + _eye(m, lu)[:, :k]
    return lower, lu[..., :k, :].triu()


class _LUFactor(Primitive):
    @staticmethod
    def forward(ctx, a):
        lu, piv, info = _lu_arrays(a)
        ctx.mark_non_differentiable(piv, info)
        ctx.save_for_backward(lu, piv)
        return lu, piv, info

    @staticmethod
    def backward(ctx, g, _gp, _gi):
        # NOTE [ lu backward ]: with A' = P^T A = L U, for a square factor
        # gA' = L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H. A tall A' = [L1; L2] U adds
        # gA'_2 = gL2 U^-H and gU -= L2^H gL2 U^-H; a wide A' = L [U1 U2] adds gA'_2 = L^-H gU2
        # and gL -= L^-H gU2 U2^H. Then gA = P gA'.
        lu, piv = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = builtins.min(m, n)
        lower, up = _unpack(lu, m, n)
        gl, gu = g[..., :, :k].tril(-1), g[..., :k, :].triu()
        l1, u1 = lower[..., :k, :], up[..., :, :k]
        gl1, gu1 = gl[..., :k, :], gu[..., :, :k]
        if m > n:
            tail = solve_triangular(u1.mH, gl[..., k:, :], upper=False, left=False)
            gu1 = gu1 - lower[..., k:, :].mH @ tail
        if m < n:
            tail = solve_triangular(l1.mH, gu[..., :, k:], upper=True, unitriangular=True)
            gl1 = gl1 - tail @ up[..., :, k:].mH
        phi = (l1.mH @ gl1).tril(-1) + (gu1 @ u1.mH).triu()
        phi = solve_triangular(u1.mH, phi, upper=False, left=False)
        ga = solve_triangular(l1.mH, phi, upper=True, unitriangular=True)
        if m > n:
            ga = _cat_dims([ga, tail], -2)
        elif m < n:
            ga = _cat_dims([ga, tail], -1)
        perm = _perm_arrays(piv._data, m)
        return _take_rows(ga, xp_of(perm).argsort(perm, axis=-1))


def _cat_dims(ts, dim):
    from .ops.shape import cat

    return cat(ts, dim)


def _lu_zero_pivot_error(fn, info):
    flat = info.reshape(-1).tolist()
    b = next((i for i, v in enumerate(flat) if v), None)
    if b is None:
        return
    where_ = f"(Batch element {b}): " if info.ndim else ""
    raise RuntimeError(
        f"torch.linalg.{fn}: {where_}U[{flat[b]},{flat[b]}] is zero and using it on lu_solve "
        "would result in a division by zero. If you still want to perform the factorization, "
        "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


def lu_factor_ex(
    A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None
) -> tuple[Tensor, Tensor, Tensor]:
    """LU factorisation with partial pivoting, packed as LAPACK's getrf: ``(LU, pivots, info)``.

    ``info`` is 0, or the 1-based index of the first zero pivot (the factor is still returned).

    Example:
        >>> ember.linalg.lu_factor_ex(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
        tensor([2, 2], dtype=ember.int32)
    """
    _check_matrix(A, "lu_factor_ex", square=False)
    if not pivot:
        raise NotImplementedError(
            "linalg.lu_factor_ex: ember always pivots (pivot=False is CUDA-only in PyTorch)"
        )
    lu, piv, info = _LUFactor.apply(A)
    if check_errors:
        _lu_zero_pivot_error("lu_factor_ex", info)
    return lu_factor_ex_result(lu, piv, info)


def lu_factor(A: Tensor, *, pivot: bool = True, out=None) -> tuple[Tensor, Tensor]:
    """LU factorisation with partial pivoting, packed as LAPACK's getrf: ``(LU, pivots)``.

    Raises ``RuntimeError`` when a pivot is exactly zero (use :func:`lu_factor_ex` to get the
    factor anyway).

    Example:
        >>> lu, piv = ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> lu
        tensor([[3.0000, 4.0000],
                [0.3333, 0.6667]])
    """
    _check_matrix(A, "lu_factor", square=False)
    lu, piv, info = lu_factor_ex(A, pivot=pivot)
    _lu_zero_pivot_error("lu_factor", info)
    return lu_factor_result(lu, piv)


def _permutation_matrix(piv, m, like):
    perm = _perm_arrays(piv._data, m)
    xp = xp_of(perm)
    p = xp.eye(m, dtype=like._data.dtype)[perm]  # row c of P^T is e_{perm[c]}
    return _make(xp.ascontiguousarray(xp.swapaxes(p, -1, -2)))


def lu_unpack(
    LU_data: Tensor,  # noqa: N803 (PyTorch's names)
    LU_pivots: Tensor,  # noqa: N803
    unpack_data: bool = True,
    unpack_pivots: bool = True,
    *,
    out=None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(P, L, U)`` from :func:`lu_factor`'s packed ``(LU, pivots)``, with ``A = P L U``.

    Example:
        >>> LU, pivots = ember.linalg.lu_factor(ember.tensor([[0.0, 1.0], [1.0, 0.0]]))
        >>> P, L, U = ember.lu_unpack(LU, pivots)
        >>> P
        tensor([[0., 1.],
                [1., 0.]])
    """
    m, n = LU_data.shape[-2:]
    empty = _make(xp_of(LU_data._data).empty((0,), dtype=LU_data._data.dtype))
    lower, up = _unpack(LU_data, m, n) if unpack_data else (empty, empty)
    p = _permutation_matrix(LU_pivots, m, LU_data) if unpack_pivots else empty
    return lu_result(p, lower, up)


def lu(A: Tensor, *, pivot: bool = True, out=None) -> tuple[Tensor, Tensor, Tensor]:
    """LU decomposition with partial pivoting ``A = P L U`` (named tuple ``P, L, U``).

    Example:
        >>> ember.linalg.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).U
        tensor([[3.0000, 4.0000],
                [0.0000, 0.6667]])
    """
    _check_matrix(A, "lu", square=False)
    lu_, piv, _ = lu_factor_ex(A, pivot=pivot)
    return lu_unpack(lu_, piv)


def lu_solve(
    LU: Tensor,  # noqa: N803
    pivots: Tensor,
    B: Tensor,
    *,
    left: bool = True,
    adjoint: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """Solution of ``A X = B`` from :func:`lu_factor`'s ``(LU, pivots)`` of a square ``A``.

    ``adjoint`` solves with ``A^H``, ``left=False`` solves ``X A = B``; batch dims broadcast.
    Differentiable in ``LU`` and ``B``.

    Example:
        >>> A = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ember.linalg.lu_solve(*ember.linalg.lu_factor(A), A)
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_matrix(LU, "lu_solve")
    _check_same_dtype(LU, B, "lu_solve")
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(
            "linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got "
            f"pivots with shape {list(pivots.shape)} instead"
        )
    if not left:
        return _with_out(lu_solve(LU, pivots, B.mH, adjoint=not adjoint).mH, out)
    if B.shape[-2] != n:
        raise RuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B "
            f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    lu_, b = _broadcast_batch(LU, B, "lu_solve")
    perm = _perm_arrays(xp_of(b._data).broadcast_to(pivots._data, lu_.shape[:-1]), n)
    if not adjoint:  # X = U^-1 L^-1 P^T B
        y = solve_triangular(lu_, _take_rows(b, perm), upper=False, unitriangular=True)
        return _with_out(solve_triangular(lu_, y, upper=True), out)
    # A^H = U^H L^H P^T, so X = P L^-H U^-H B
    y = solve_triangular(lu_.mH, b, upper=False)
    y = solve_triangular(lu_.mH, y, upper=True, unitriangular=True)
    inverse = xp_of(perm).argsort(perm, axis=-1)
    return _with_out(_take_rows(y, inverse), out)


# --- the *_ex variants: an ``info`` instead of an error ------------------------------------------
# NOTE [ _ex results ]: where a matrix fails (singular, not positive-definite), ember returns NaN
# for its result; PyTorch returns whatever LAPACK left behind, which is not meaningful either.


def _per_batch_info(a, find):
    h = _host(a)
    info = [find(m) for m in h.reshape(-1, *h.shape[-2:])]
    return np.asarray(info, dtype=np.int32).reshape(h.shape[:-2])


def _guarded(A, find, run, core=2):
    """``(run(A), info)``; failed matrices are swapped for I before ``run`` and give NaN."""
    xp = xp_of(A._data)
    try:
        return run(A), _make(xp.zeros(A.shape[:-2], dtype=np.int32))
    except LinAlgError:
        info = xp.asarray(_per_batch_info(A._data, find))
    bad = _make(info != 0)
    result = run(_where(bad[..., None, None], _eye(A.shape[-1], A), A))
    bad = bad.reshape(*bad.shape, *([1] * core))
    return _where(bad, _full_like(result, float("nan")), result), _make(info)


def cholesky_ex(
    A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None
) -> tuple[Tensor, Tensor]:
    """Cholesky factor and ``info`` (the order of the first leading minor that is not
    positive-definite, 0 when none); raises only with ``check_errors=True``.

    Example:
        >>> ember.linalg.cholesky_ex(ember.tensor([[4.0, 2.0], [2.0, 2.0]])).info
        tensor(0, dtype=ember.int32)
    """
    _check_matrix(A, "cholesky_ex")
    res, info = _guarded(A, _not_pd_order, lambda a: cholesky(a, upper=upper))
    if check_errors and bool((info != 0).any()):
        _not_pd_error("cholesky_ex", A._data)
    return cholesky_ex_result(res, info)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None) -> tuple[Tensor, Tensor]:
    """Inverse and ``info`` (the first zero pivot of its LU, 0 when invertible).

    Example:
        >>> ember.linalg.inv_ex(ember.tensor([[1.0, 2.0], [2.0, 4.0]])).info
        tensor(2, dtype=ember.int32)
    """
    _check_matrix(A, "inv_ex")
    res, info = _guarded(A, _first_zero_pivot, inv)
    if check_errors and bool((info != 0).any()):
        _singular_error("inv_ex", A._data)
    return inv_ex_result(res, info)


def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None
) -> tuple[Tensor, Tensor]:
    """:func:`solve` and ``info`` (the first zero pivot of ``A``'s LU, 0 when invertible).

    Example:
        >>> ember.linalg.solve_ex(ember.eye(2), ember.ones(2)).result
        tensor([1., 1.])
    """
    _check_matrix(A, "solve_ex")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    core = 1 if vector and left else 2
    res, info = _guarded(A, _first_zero_pivot, lambda a: solve(a, B, left=left), core)
    if check_errors and bool((info != 0).any()):
        raise LinAlgError(
            "torch.linalg.solve_ex: The solver failed because the input matrix is singular."
        )
    return solve_ex_result(res, info)


# --- matrix exponential ----------------------------------------------------------------------

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the degree-13 Pade approximant is accurate to double precision for ||A||_1 <= theta_13.
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip
_THETA13 = 5.371920351148152


def _expm_array(a):
    xp = xp_of(a)
    wide = np.complex128 if a.dtype.kind == "c" else np.float64  # float32 computes in float64
    x = a.astype(wide)
    norm = xp.abs(x).sum(axis=-2).max(axis=-1)
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm, 1e-300) / _THETA13))).astype(np.int64)
    x = x / (2.0**s)[..., None, None]
    b = _PADE13
    eye = xp.eye(a.shape[-1], dtype=wide)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2
             + b[1] * eye)  # fmt: skip
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    smax = int(s.max()) if s.size else 0
    for i in range(smax):  # undo the scaling, per matrix
        r = xp.where((s > i)[..., None, None], r @ r, r)
    return r.astype(a.dtype)


class _MatrixExp(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm_array(a)

    @staticmethod
    def backward(ctx, g):
        # NOTE [ matrix_exp backward ]: the adjoint of the Frechet derivative at A is the one at
        # A^H, and exp([[X, E], [0, X]]) has L(X, E) as its upper right block (Mathias 1996).
        from .ops.creation import zeros_like
        from .ops.shape import cat

        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        ah = a.mH
        big = cat([cat([ah, g], -1), cat([zeros_like(ah), ah], -1)], -2)
        return _MatrixExp.apply(big)[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """Matrix exponential ``sum_k A^k / k!`` of a square matrix (batched).

    Example:
        >>> ember.linalg.matrix_exp(ember.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_matrix(A, "matrix_exp")
    return _MatrixExp.apply(A)


# --- condition number, least squares, tensor inverses, Vandermonde ---------------------------


def cond(A: Tensor, p: float | str | None = None, *, out: Tensor | None = None) -> Tensor:
    """Condition number ``||A||_p ||A^-1||_p``; for p None/2/-2 the ratio of singular values.

    Singular matrices give inf for the other orders ('fro', 'nuc', inf, -inf, 1, -1), which
    need square matrices.

    Example:
        >>> ember.linalg.cond(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    _check_float(A, "cond")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return _with_out(small / big if p == -2 else big / small, out)
    if p not in ("fro", "nuc", _inf, -_inf, 1, -1) or isinstance(p, bool):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    ainv, info = inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(ainv, p)
    return _with_out(_where(info != 0, _full_like(r, _inf), r), out)


def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Least-squares solution of ``A X = B``: ``(solution, residuals, rank, singular_values)``.

    The solution is the minimum-norm one, ``pinv(A) @ B`` with singular values below
    ``rcond * max(S)`` (default ``eps * max(m, n)``) dropped, as LAPACK's gelsy/gelsd give it;
    it is differentiable in ``A`` and ``B``. As PyTorch's CPU drivers: ``rank`` (int64) for
    gelsy (the default), gelsd and gelss; ``singular_values`` for gelsd and gelss;
    ``residuals`` (squared, per column) for drivers other than gelsy when ``m > n`` and every
    matrix has full rank. Results a driver does not give are empty tensors.

    Example:
        >>> A = ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> ember.linalg.lstsq(A, ember.tensor([[1.0], [2.0], [3.0]])).solution
        tensor([[1.],
                [2.]])
    """
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    driver = driver or "gelsy"
    _check_matrix(A, "lstsq", square=False)
    _check_same_dtype(A, B, "lstsq")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.ndim < 2 or b.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2:]
    if rcond is None:
        rcond = float(np.finfo(A._data.dtype).eps) * builtins.max(m, n)
    x = pinv(A, rtol=rcond) @ b
    xp = xp_of(A._data)
    real = A._data.real.dtype if A.is_complex() else A._data.dtype

    def empty(dtype=real):
        return _make(xp.empty((0,), dtype=dtype))

    rank, residuals, sv = empty(np.int64), empty(), empty()
    if driver != "gels":
        rank = matrix_rank(A, rtol=rcond)
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A.detach())
    if driver != "gelsy" and m > n and bool((matrix_rank(A, rtol=rcond) == n).all()):
        residuals = ((A @ x - b).abs() ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    return lstsq_result(x.squeeze(-1) if vector else x, residuals, rank, sv)


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def tensorinv(A: Tensor, ind: int = 2, *, out: Tensor | None = None) -> Tensor:
    """Inverse of ``A`` for :func:`tensordot`: ``tensordot(tensorinv(A, ind), A, ind)`` is I.

    ``A.shape[:ind]`` and ``A.shape[ind:]`` must hold as many elements; the result has shape
    ``A.shape[ind:] + A.shape[:ind]``.

    Example:
        >>> ember.linalg.tensorinv(ember.eye(4).reshape(4, 2, 2), ind=1).shape
        ember.Size([2, 2, 4])
    """
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if _prod(rows) != _prod(cols):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {_prod(cols)} != {_prod(rows)}"
        )
    r = inv(A.reshape(_prod(rows), _prod(cols)))
    return _with_out(r.reshape(*cols, *rows), out)


def tensorsolve(
    A: Tensor, B: Tensor, dims: tuple[int, ...] | None = None, *, out: Tensor | None = None
) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` are ``A``'s dims moved to the end
    first. ``X`` has shape ``A.shape[B.ndim:]``.

    Example:
        >>> ember.linalg.tensorsolve(ember.eye(4).reshape(2, 2, 4), ember.ones(2, 2))
        tensor([1., 1., 1., 1.])
    """
    if dims is not None:
        dims = [wrap_dim(d, A.ndim) for d in dims]
        A = movedim(A, dims, list(range(A.ndim - len(dims), A.ndim)))
    xshape = tuple(A.shape[B.ndim :])
    if tuple(A.shape[: B.ndim]) != tuple(B.shape) or _prod(A.shape[: B.ndim]) != _prod(xshape):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {_prod(xshape)} != "
            f"{_prod(A.shape[: B.ndim])}"
        )
    x = solve(A.reshape(_prod(B.shape), _prod(xshape)), B.reshape(-1))
    return _with_out(x.reshape(xshape), out)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803
    """Vandermonde matrix: ``x[..., i] ** j`` in column ``j`` for ``j < N`` (default ``len(x)``).

    Example:
        >>> ember.linalg.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [1, 2, 4],
                [1, 3, 9]])
    """
    from .ops.reduce import cumprod
    from .ops.shape import cat

    if x.dtype == D.bool_:
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got Bool"
        )
    n = x.shape[-1] if x.ndim else 1
    N = n if N is None else N  # noqa: N806
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.ndim == 0:
        x = x.reshape(1)
    if x.dtype in (D.uint8, D.int8, D.int16, D.int32):
        x = x.to(D.int64)  # PyTorch's vander promotes integers to int64
    powers = cumprod(x.unsqueeze(-1).expand(*x.shape, N - 1), -1)
    return cat([_make(xp_of(x._data).ones((*x.shape, 1), dtype=x._data.dtype)), powers], -1)


# --- eigendecomposition of general matrices, Householder products ----------------------------

eig_result = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])


class _Eig(Primitive):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        # NumPy's eig runs on the host; its columns are unit-norm, as LAPACK's geev gives them
        w, v = np.linalg.eig(_host(a))
        cdt = np.result_type(a.dtype, np.complex64)  # float32 -> complex64, float64 -> complex128
        w, v = xp.asarray(w.astype(cdt)), xp.asarray(v.astype(cdt))
        ctx.real_input = a.dtype.kind != "c"
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        # NOTE [ eig backward ]: with A = V diag(w) V^-1 and the conjugate convention of
        # NOTE [ complex gradients ], gA = V^-H (diag(gw) + P / conj(E)) V^H, E_ij = w_j - w_i
        # off the diagonal and P = V^H gV with its gauge part removed. Each column of V is only
        # fixed up to a phase (v -> v e^{i phi}, the norm is fixed to 1), so a well-defined loss
        # has Im(diag(V^H gV)) = 0; the change of the norm is projected out by subtracting
        # V^H V diag(Re(diag(V^H gV))). A loss that depends on the phase is an error, as in
        # PyTorch.
        w, v = ctx.saved_tensors
        vh = v.mH
        p = vh @ gv
        d = _diagonal(p, 0, -2, -1)
        if bool((d.imag.abs() > 1e-2 * (1 + d.abs())).any()):
            raise RuntimeError(
                "linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                "multiplication by e^{i phi}. The specified loss function depends on this "
                "quantity, so it is ill-defined."
            )
        p = p - vh @ (v * d.real.unsqueeze(-2))
        eye = _eye(w.shape[-1], w)
        wc = w.conj()
        e = wc.unsqueeze(-2) - wc.unsqueeze(-1) + eye
        g = p / e * (1 - eye) + _diag_embed(gw)
        ga = _Solve.apply(vh, g @ vh)
        return ga.real if ctx.real_input else ga


def eig(A: Tensor, *, out=None) -> tuple[Tensor, Tensor]:
    """Eigenvalues and eigenvectors of a square (not necessarily symmetric) matrix.

    Both are complex (float32 gives complex64); each eigenvector has unit norm, and is only
    defined up to a phase, so differentiate only losses that do not depend on it.

    Shape:
        ``A``: ``(*, n, n)``; eigenvalues ``(*, n)``; eigenvectors ``(*, n, n)`` (in columns).

    Example:
        >>> ember.linalg.eig(ember.tensor([[2.0, 0.0], [0.0, 3.0]])).eigenvalues
        tensor([2.+0.j, 3.+0.j])
    """
    _check_matrix(A, "eig")
    return eig_result(*_Eig.apply(A))


def eigvals(A: Tensor, *, out=None) -> Tensor:
    """Eigenvalues (complex) of a square matrix, as :func:`eig` computes them.

    Example:
        >>> ember.linalg.eigvals(ember.tensor([[0.0, -1.0], [1.0, 0.0]]))
        tensor([0.+1.j, 0.-1.j])
    """
    _check_matrix(A, "eigvals")
    return _with_out(_Eig.apply(A)[0], out)


def householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """The first ``n`` columns of ``H_0 H_1 ... H_{k-1}``, ``H_i = I - tau_i v_i v_i^H``.

    ``v_i`` is column ``i`` of ``A`` below the diagonal with a 1 on it (the layout of LAPACK's
    geqrf and orgqr). Built from differentiable ops, so gradients reach ``A`` and ``tau``.

    Shape:
        ``A``: ``(*, m, n)`` with ``m >= n``; ``tau``: ``(*, k)`` with ``k <= n``; result
        ``(*, m, n)``.

    Example:
        >>> ember.linalg.householder_product(ember.zeros(2, 1), ember.tensor([2.0]))
        tensor([[-1.],
                [ 0.]])
    """
    fn = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(
            f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    k = tau.shape[-1]
    if n < k:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"{list(tau.shape[:-1])}"
        )
    if tau.dtype != A.dtype:
        raise RuntimeError(
            f"{fn}: tau dtype {tau.dtype.scalar_name} does not match input dtype "
            f"{A.dtype.scalar_name}"
        )
    _check_float(A, "householder_product")
    xp = xp_of(A._data)
    rows = xp.arange(m)
    q = _make(xp.eye(m, n, dtype=A._data.dtype))
    # apply H_{k-1} first: Q = H_0 (H_1 (... (H_{k-1} I_mn))), each step a rank-one update
    for i in reversed(range(k)):
        below = _make((rows > i).astype(A._data.dtype))
        on = _make((rows == i).astype(A._data.dtype))
        v = (A[..., :, i] * below + on).unsqueeze(-1)  # (*, m, 1)
        q = q - (tau[..., i, None, None] * v) @ (v.mH @ q)
    return _with_out(q, out)


orgqr = householder_product
