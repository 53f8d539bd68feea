"""Ready-made parametrizations: orthogonal, weight_norm and spectral_norm (as torch's)."""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import _dtype as D
from ... import linalg as _linalg
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _eye_like(x: Tensor, n: int, m: int | None = None) -> Tensor:
    from ...ops.creation import eye

    return eye(n, m if m is not None else n, dtype=x.dtype, device=x.device)


def _geqrf(a: Tensor) -> tuple[Tensor, Tensor]:
    # LAPACK's geqrf (Householder vectors below the diagonal, R on and above it, and tau), which
    # NumPy exposes as qr(mode="raw") in Fortran (transposed) order. Only used without autograd.
    from ...ops.creation import tensor

    h, tau = np.linalg.qr(a.detach().cpu().numpy(), mode="raw")
    out = tensor(np.ascontiguousarray(np.swapaxes(h, -1, -2)), device=a.device)
    return out, tensor(np.ascontiguousarray(tau), device=a.device)


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(np.finfo(D.to_numpy(q.dtype)).eps)
    return bool(((q.mH @ q) - _eye_like(q, k)).abs().le(eps).all())


def _make_orthogonal(a: Tensor) -> Tensor:
    # The Q of a QR decomposition whose R has a positive diagonal (unique for full rank a).
    from ...linalg import qr

    q, r = qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 (the maths' name)
        from ...linalg import matrix_exp, solve
        from ...ops.shape import cat

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n  # noqa: N806
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()  # noqa: N806
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)
                X = cat([X, pad], dim=-1)  # noqa: N806
            A = X - X.mH  # noqa: N806 (skew-symmetric, so its exponential is orthogonal)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)  # noqa: N806
            else:
                eye = _eye_like(A, n)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)  # noqa: N806
            if n != k:
                Q = Q[..., :k]  # noqa: N806
        else:
            A = X.tril(-1)  # noqa: N806
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _linalg.householder_product(A, tau)  # noqa: N806
            # As torch: the signs come from the diagonal truncated to integers (it is +-1 after
            # right_inverse, the only values this parametrization is meant to see there).
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)  # noqa: N806
        if hasattr(self, "base"):
            Q = self.base @ Q  # noqa: N806
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        from ...ops.creation import randn
        from ...ops.shape import cat

        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q, n, k = Q.mT, k, n  # noqa: N806
        if not hasattr(self, "base"):
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            a, tau = _geqrf(Q)
            # diag(R) > 0 makes the decomposition unique; a zero tau means LAPACK skipped that
            # reflection, which the +-1 on the diagonal has to undo.
            sign = a.diagonal(dim1=-2, dim2=-1).sign()
            sign = sign * (1.0 - 2.0 * (tau == 0).to(sign.dtype))
            eye = _eye_like(a, n, k)
            a = a * (1 - eye) + eye * sign.unsqueeze(-2)
            return a.mT if transpose else a
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)  # noqa: N806
        else:
            noise = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(cat([Q, noise], dim=-1))  # noqa: N806
        self.base = Q
        # Minus the identity: the map sends it to the identity, so base @ map(X) = base.
        m, c = q_init.shape[-2], q_init.shape[-1]
        return (-_eye_like(q_init, m, c)).expand(q_init.shape).clone()


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal (unitary).

    ``orthogonal_map`` is ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default:
    matrix_exp for square or complex matrices, householder otherwise). With
    ``use_trivialization`` the map is applied around a stored ``base`` (the registered
    value's orthogonal projection), which assignment to ``module.<name>`` updates.

    Example:
        >>> m = orthogonal(ember.nn.Linear(3, 3))
        >>> bool(ember.allclose(m.weight @ m.weight.T, ember.eye(3), atol=1e-5))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, str(orthogonal_map), None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    # The 2-norm over every dim but ``dim``, kept as size-1 dims; dim == -1 means the whole
    # tensor (a 0-d result), as torch.norm_except_dim.
    if dim == -1:
        return v.norm(2)
    from ...linalg import vector_norm

    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return vector_norm(v, 2, dim=others, keepdim=True) if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    return v * (g / _norm_except_dim(v, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``).

    ``g`` and ``v`` are ``parametrizations.<name>.original0`` and ``original1``; ``dim=None``
    takes the norm of the whole tensor.

    Example:
        >>> m = weight_norm(ember.nn.Linear(3, 2))
        >>> m.parametrizations.weight.original0.shape
        ember.Size([2, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _check_power_iterations(n_power_iterations: int) -> None:
    if n_power_iterations <= 0:
        raise ValueError(
            "Expected n_power_iterations to be positive, but got "
            f"n_power_iterations={n_power_iterations}"
        )


def _dim_first(weight: Tensor, dim: int) -> Tensor:
    """``weight`` with ``dim`` moved to the front (spectral norm's output dimension)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight


class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        _check_power_iterations(n_power_iterations)
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = self._reshape_weight_to_matrix(weight)
                h, w = weight_mat.shape
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return _dim_first(weight, self.dim).flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # The buffers are updated in place (torch writes through ``out=``), so a state_dict or an
        # optimizer holding them sees the new vectors.
        with no_grad():
            for _ in range(n_power_iterations):
                F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        from ...ops.linalg import vdot

        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Clones: the next power iteration overwrites the buffers that backward would need.
        u, v = self._u.clone(), self._v.clone()
        sigma = vdot(u, weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _is_conv_transpose(module: Module) -> bool:
    from ..modules.conv import _ConvTransposeNd

    return isinstance(module, _ConvTransposeNd)


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration.

    The vectors ``u``, ``v`` are buffers ``parametrizations.<name>.0._u`` / ``._v``; each forward
    in training mode runs ``n_power_iterations`` steps, eval mode reuses them. ``dim`` (default 0,
    1 for transposed convolutions) is the output dimension.

    Example:
        >>> m = spectral_norm(ember.nn.Linear(4, 3))
        >>> float(ember.linalg.matrix_norm(m.weight, 2)) < 1.01
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
