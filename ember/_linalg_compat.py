"""PyTorch's older top-level linalg spellings (``torch.cholesky``, ``torch.svd``, ...).

Their signatures differ from ``torch.linalg``'s (``torch.svd`` returns V, not Vh;
``torch.lu_solve`` takes B first), so they live here and reach ``ember.*`` and the Tensor
methods lazily, through ``_LAZY_ATTRS`` in ember/__init__.py, like ember.linalg itself.

Example:
    >>> ember.cholesky(ember.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
"""

from __future__ import annotations

import collections

from . import linalg as _linalg
from ._tensor import Tensor
from .linalg import lu_unpack, matrix_exp, matrix_power  # noqa: F401 (same signature)

qr_result = collections.namedtuple("qr", ["Q", "R"])
svd_result = collections.namedtuple("svd", ["U", "S", "V"])
triangular_solve_result = collections.namedtuple(
    "triangular_solve", ["solution", "cloned_coefficient"]
)


def cholesky(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """``torch.cholesky``: :func:`ember.linalg.cholesky` with ``upper`` positional.

    Example:
        >>> ember.cholesky(ember.tensor([[4.0]]), True)
        tensor([[2.]])
    """
    return _linalg.cholesky(input, upper=upper, out=out)


def cholesky_solve(
    input: Tensor, input2: Tensor, upper: bool = False, *, out: Tensor | None = None
) -> Tensor:
    """Solution of ``A X = B`` (``B = input``) given the Cholesky factor ``input2`` of ``A``.

    ``input2`` is ``L`` with ``A = L L^H``, or ``U`` with ``A = U^H U`` when ``upper``.

    Example:
        >>> ember.cholesky_solve(ember.tensor([[4.0]]), ember.tensor([[2.0]]))
        tensor([[1.]])
    """
    _linalg._check_matrix(input2, "cholesky_solve")
    if input.ndim < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead"
        )
    lower = input2.mH if upper else input2
    y = _linalg.solve_triangular(lower, input, upper=False)
    return _linalg._with_out(_linalg.solve_triangular(lower.mH, y, upper=True), out)


def cholesky_inverse(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """Inverse of ``A`` from its Cholesky factor (``A = L L^H``, or ``U^H U`` when ``upper``).

    Example:
        >>> ember.cholesky_inverse(ember.tensor([[2.0]]))
        tensor([[0.2500]])
    """
    _linalg._check_matrix(input, "cholesky_inverse")
    eye = _linalg._eye(input.shape[-1], input).expand(*input.shape)
    return cholesky_solve(eye, input, upper, out=out)


def qr(input: Tensor, some: bool = True, *, out=None) -> tuple[Tensor, Tensor]:
    """``torch.qr``: reduced (``some=True``) or complete QR decomposition ``(Q, R)``.

    Example:
        >>> ember.qr(ember.eye(3)[:, :2]).Q.shape
        ember.Size([3, 2])
    """
    return qr_result(*_linalg.qr(input, "reduced" if some else "complete"))


def svd(
    input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None
) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^H`` (V, not Vh).

    ``some=False`` gives square U and V; ``compute_uv=False`` gives zero U (m x m) and V
    (n x n), as PyTorch does.

    Example:
        >>> ember.svd(ember.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    if not compute_uv:
        from .ops.creation import zeros

        m, n = input.shape[-2:]
        s = _linalg.svdvals(input)
        batch = tuple(input.shape[:-2])
        u = zeros(*batch, m, m, dtype=input.dtype, device=input.device)
        v = zeros(*batch, n, n, dtype=input.dtype, device=input.device)
        return svd_result(u, s, v)
    u, s, vh = _linalg.svd(input, full_matrices=not some)
    return svd_result(u, s, vh.mH)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: pseudo-inverse dropping singular values ``<= rcond * max(S)``.

    Example:
        >>> ember.pinverse(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    return _linalg.pinv(input, rtol=rcond)


def triangular_solve(
    input: Tensor,
    A: Tensor,  # noqa: N803 (PyTorch's name)
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
    *,
    out=None,
) -> tuple[Tensor, Tensor]:
    """``torch.triangular_solve``: ``(X, copy of A)`` with ``A X = input`` (``A^T X`` when
    ``transpose``), reading only ``A``'s ``upper`` (or lower) triangle; batch dims broadcast.

    Example:
        >>> ember.triangular_solve(ember.tensor([[2.0]]), ember.tensor([[4.0]])).solution
        tensor([[0.5000]])
    """
    if input.ndim < 2 or A.ndim < 2:
        raise RuntimeError(
            f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
            f"{input.ndim} dimensions instead"
            if input.ndim < 2
            else f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has "
            f"{A.ndim} dimensions instead"
        )
    a = A.mT if transpose else A
    x = _linalg.solve_triangular(
        a, input, upper=bool(upper) != bool(transpose), unitriangular=unitriangular
    )
    return triangular_solve_result(x, A.expand(*x.shape[:-2], *A.shape[-2:]).clone())


def lu_solve(
    input: Tensor,
    LU_data: Tensor,  # noqa: N803
    LU_pivots: Tensor,  # noqa: N803
    *,
    out: Tensor | None = None,
) -> Tensor:
    """``torch.lu_solve``: solution of ``A X = input`` from ``lu_factor``'s ``(LU, pivots)``.

    Example:
        >>> A = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ember.lu_solve(A, *ember.linalg.lu_factor(A))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _linalg.lu_solve(LU_data, LU_pivots, input, out=out)
