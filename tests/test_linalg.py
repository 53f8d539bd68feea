"""ember.linalg against torch.linalg: values, gradients (gradcheck/gradgradcheck) and errors.

Decompositions with a sign or phase freedom (qr, eigh, svd) are compared through quantities
that do not depend on it: reconstructions, absolute values, projections.
"""

import subprocess
import sys

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

INF = float("inf")


def _rng(seed):
    return np.random.default_rng(seed)


def randn(*shape, seed=0):
    return _rng(seed).standard_normal(shape)


def square(*batch, n=4, seed=0):
    """Well-conditioned square matrices (random plus a dominant diagonal)."""
    return randn(*batch, n, n, seed=seed) + n * np.eye(n)


def spd(*batch, n=4, seed=0):
    x = randn(*batch, n, n, seed=seed)
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def sym(*batch, n=4, seed=0):
    """Symmetric matrices with well separated eigenvalues."""
    q, _ = np.linalg.qr(randn(*batch, n, n, seed=seed))
    w = np.arange(1, n + 1) * 1.5 - 3.1
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def rank_deficient(seed=0):
    return randn(5, 2, seed=seed) @ randn(2, 4, seed=seed + 1)


def tiny_singular_value(s3):
    """5x3 with singular values 1, 0.5, s3: near the default cut-off eps * max(m, n)."""
    a = np.zeros((5, 3))
    a[[0, 1, 2], [0, 1, 2]] = [1.0, 0.5, s3]
    return a


def vproj(v, c=None):
    """``V diag(c) V^T``: independent of the signs of V's columns."""
    c = np.arange(1.0, v.shape[-1] + 1) if c is None else c
    c = (
        ember.tensor(c).to(v.dtype)
        if isinstance(v, ember.Tensor)
        else torch.tensor(c, dtype=v.dtype)
    )
    return (v * c) @ v.mT


# id, input builders (numpy arrays), f(L, *tensors) -> tensor or tuple; L is ember.linalg or
# torch.linalg and the tensors are the module's own
FORWARD = [
    ("inv", [square], lambda L, a: L.inv(a)),
    ("inv_batched", [lambda: square(2, 3)], lambda L, a: L.inv(a)),
    ("det", [square], lambda L, a: L.det(a)),
    ("det_batched", [lambda: square(3, n=3)], lambda L, a: L.det(a)),
    ("det_negative", [lambda: -square(n=3)], lambda L, a: L.det(a)),
    ("slogdet", [lambda: -square(n=3)], lambda L, a: tuple(L.slogdet(a))),
    (
        "slogdet_batched",
        [lambda: square(2, 2) * [[[[1]]], [[[-1]]]]],
        lambda L, a: tuple(L.slogdet(a)),
    ),
    ("solve_matrix", [square, lambda: randn(4, 2, seed=1)], lambda L, a, b: L.solve(a, b)),
    ("solve_vector", [square, lambda: randn(4, seed=1)], lambda L, a, b: L.solve(a, b)),
    (
        "solve_batched_vectors",
        [lambda: square(3), lambda: randn(3, 4, seed=1)],
        lambda L, a, b: L.solve(a, b),
    ),
    (
        "solve_broadcast",
        [lambda: square(2, 1), lambda: randn(3, 4, 2, seed=1)],
        lambda L, a, b: L.solve(a, b),
    ),
    (
        "solve_right",
        [square, lambda: randn(2, 4, seed=1)],
        lambda L, a, b: L.solve(a, b, left=False),
    ),
    ("cholesky", [spd], lambda L, a: L.cholesky(a)),
    ("cholesky_batched_upper", [lambda: spd(2, 3)], lambda L, a: L.cholesky(a, upper=True)),
    # only the lower triangle is read
    (
        "cholesky_reads_lower",
        [lambda: np.tril(spd()) + np.triu(randn(4, 4), 1)],
        lambda L, a: L.cholesky(a),
    ),
    ("qr_tall", [lambda: randn(5, 3)], lambda L, a: _qr_invariants(L.qr(a))),
    ("qr_wide_batched", [lambda: randn(2, 3, 5)], lambda L, a: _qr_invariants(L.qr(a))),
    ("qr_complete", [lambda: randn(5, 3)], lambda L, a: _qr_invariants(L.qr(a, mode="complete"))),
    ("qr_r", [lambda: randn(2, 5, 3)], lambda L, a: L.qr(a, mode="r").R.abs()),
    ("eigh", [sym], lambda L, a: _eigh_invariants(L.eigh(a))),
    ("eigh_batched", [lambda: sym(2, 3)], lambda L, a: _eigh_invariants(L.eigh(a))),
    (
        "eigh_upper",
        [lambda: np.triu(sym()) + np.tril(randn(4, 4), -1)],
        lambda L, a: _eigh_invariants(L.eigh(a, UPLO="U")),
    ),
    ("eigvalsh", [lambda: sym(3)], lambda L, a: L.eigvalsh(a)),
    ("svd_tall_full", [lambda: randn(5, 3)], lambda L, a: _svd_invariants(L.svd(a))),
    (
        "svd_wide_reduced",
        [lambda: randn(2, 3, 5)],
        lambda L, a: _svd_invariants(L.svd(a, full_matrices=False)),
    ),
    ("svdvals", [lambda: randn(2, 4, 6)], lambda L, a: L.svdvals(a)),
    ("pinv_tall", [lambda: randn(5, 3)], lambda L, a: L.pinv(a)),
    ("pinv_wide_batched", [lambda: randn(2, 3, 5)], lambda L, a: L.pinv(a)),
    ("pinv_rank_deficient", [rank_deficient], lambda L, a: L.pinv(a)),
    ("pinv_atol", [lambda: np.diag([3.0, 1.0, 0.1])], lambda L, a: L.pinv(a, atol=0.5)),
    ("pinv_rtol", [lambda: np.diag([3.0, 1.0, 0.1])], lambda L, a: L.pinv(a, rtol=0.1)),
    ("matrix_rank", [rank_deficient], lambda L, a: L.matrix_rank(a)),
    # between eps and eps * 5 in float32 (3e-7) and in float64 (5e-16): below the cut-off
    ("matrix_rank_cutoff_f32", [lambda: tiny_singular_value(3e-7)], lambda L, a: L.matrix_rank(a)),
    ("matrix_rank_cutoff_f64", [lambda: tiny_singular_value(5e-16)], lambda L, a: L.matrix_rank(a)),
    ("pinv_cutoff_f32", [lambda: tiny_singular_value(3e-7)], lambda L, a: L.pinv(a)),
    ("pinv_cutoff_f64", [lambda: tiny_singular_value(5e-16)], lambda L, a: L.pinv(a)),
    ("matrix_rank_full_batched", [lambda: randn(3, 4, 2)], lambda L, a: L.matrix_rank(a)),
    (
        "matrix_rank_atol",
        [lambda: np.diag([3.0, 1.0, 0.1])],
        lambda L, a: L.matrix_rank(a, atol=0.5),
    ),
    (
        "matrix_rank_rtol",
        [lambda: np.diag([3.0, 1.0, 0.1])],
        lambda L, a: L.matrix_rank(a, rtol=0.5),
    ),
    ("matrix_power_0", [lambda: square(2)], lambda L, a: L.matrix_power(a, 0)),
    ("matrix_power_1", [square], lambda L, a: L.matrix_power(a, 1)),
    ("matrix_power_5", [lambda: square(2) / 4], lambda L, a: L.matrix_power(a, 5)),
    ("matrix_power_neg", [square], lambda L, a: L.matrix_power(a, -2)),
    ("cross", [lambda: randn(4, 3), lambda: randn(1, 3, seed=1)], lambda L, a, b: L.cross(a, b)),
    (
        "cross_dim",
        [lambda: randn(3, 2), lambda: randn(3, 2, seed=1)],
        lambda L, a, b: L.cross(a, b, dim=0),
    ),
    ("vecdot", [lambda: randn(3, 4), lambda: randn(4, seed=1)], lambda L, a, b: L.vecdot(a, b)),
    (
        "vecdot_dim",
        [lambda: randn(3, 4), lambda: randn(3, 4, seed=1)],
        lambda L, a, b: L.vecdot(a, b, dim=0),
    ),
    (
        "multi_dot",
        [
            lambda: randn(3),
            lambda: randn(3, 4, seed=1),
            lambda: randn(4, 2, seed=2),
            lambda: randn(2, seed=3),
        ],
        lambda L, *ts: L.multi_dot(ts),
    ),
    (
        "multi_dot_matrices",
        [lambda: randn(2, 3), lambda: randn(3, 4, seed=1)],
        lambda L, a, b: L.multi_dot([a, b]),
    ),
    ("diagonal", [lambda: randn(2, 3, 4)], lambda L, a: L.diagonal(a)),
    (
        "diagonal_offset",
        [lambda: randn(2, 3, 4)],
        lambda L, a: L.diagonal(a, offset=-1, dim1=0, dim2=2),
    ),
    (
        "matmul",
        [lambda: randn(2, 3, 4), lambda: randn(4, 5, seed=1)],
        lambda L, a, b: L.matmul(a, b),
    ),
]

VECTOR_NORMS = [
    (ord_, dim, keepdim)
    for ord_ in (2, 1, INF, -INF, 0, 3, 0.5, -1, 2.5)
    for dim, keepdim in ((None, False), (None, True), (1, False), ((0, 2), True), (-1, False))
]
for ord_, dim, keepdim in VECTOR_NORMS:
    FORWARD.append(
        (
            f"vector_norm-{ord_}-{dim}-{keepdim}",
            [lambda: randn(3, 4, 5)],
            lambda L, a, o=ord_, d=dim, k=keepdim: L.vector_norm(a, o, d, k),
        )
    )
MATRIX_ORDS = ["fro", "nuc", INF, -INF, 1, -1, 2, -2]
for ord_ in MATRIX_ORDS:
    for dim, keepdim in (((-2, -1), False), ((0, 2), True), ((2, 0), False)):
        FORWARD.append(
            (
                f"matrix_norm-{ord_}-{dim}-{keepdim}",
                [lambda: randn(3, 4, 5)],
                lambda L, a, o=ord_, d=dim, k=keepdim: L.matrix_norm(a, o, d, k),
            )
        )
NORM_CASES = [
    ((3, 4, 5), {}),
    ((3, 4, 5), {"keepdim": True}),
    ((4, 5), {"ord": "nuc"}),
    ((4, 5), {"ord": 1}),
    ((4, 5), {"ord": -2}),
    ((5,), {"ord": 3}),
    ((5,), {"ord": INF}),
    ((3, 4, 5), {"dim": 1}),
    ((3, 4, 5), {"dim": (1,), "ord": 1}),
    ((3, 4, 5), {"dim": (0, 2), "ord": INF}),
    ((3, 4, 5), {"dim": (2, 1), "ord": "fro", "keepdim": True}),
]
for shape, kw in NORM_CASES:
    FORWARD.append(
        (f"norm-{shape}-{kw}", [lambda s=shape: randn(*s)], lambda L, a, k=kw: L.norm(a, **k))
    )


def _qr_invariants(res):
    q, r = res
    return q @ r, r.abs(), q.mT @ q, q.abs()


def _eigh_invariants(res):
    w, v = res
    return w, vproj(v), v.abs()


def _svd_invariants(res):
    u, s, vh = res
    k = s.shape[-1]
    uk, vk = u[..., :k], vh[..., :k, :]
    return s, (uk * s.unsqueeze(-2)) @ vk, vproj(u), vproj(vh.mT), uk.abs(), vk.abs()


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, builders, f", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward_matches_torch(name, builders, f, dtype):
    arrays = [np.asarray(b(), dtype=dtype) for b in builders]
    got = _as_tuple(f(ember.linalg, *[ember.tensor(a) for a in arrays]))
    want = _as_tuple(f(torch.linalg, *[torch.from_numpy(a) for a in arrays]))
    assert len(got) == len(want)
    tol = 2e-4 if dtype == "float32" else 1e-10
    for g, w in zip(got, want):
        assert isinstance(g, ember.Tensor)
        assert str(g.dtype) == str(w.dtype).replace("torch", "ember"), (g.dtype, w.dtype)
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=tol, atol=tol)


def test_named_tuples():
    a = ember.tensor(sym())
    assert set(ember.linalg.slogdet(a)._fields) == {"sign", "logabsdet"}
    assert ember.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert ember.linalg.qr(a)._fields == ("Q", "R")
    assert ember.linalg.svd(a)._fields == ("U", "S", "Vh")
    q, r = ember.linalg.qr(a, mode="r")
    assert q.numel() == 0 and r.shape == (4, 4)


# --- gradients -----------------------------------------------------------------------------


def _t(a):
    return ember.tensor(np.asarray(a, dtype=np.float64)).requires_grad_()


def _symmetrize(x):
    return (x + x.mT) / 2


L = ember.linalg
# id, input builders, function of the ember tensors, whether gradgradcheck runs too
GRADS = [
    ("inv", [square], lambda a: L.inv(a), True),
    ("inv_batched", [lambda: square(2)], lambda a: L.inv(a), True),
    ("det", [square], lambda a: L.det(a), True),
    ("det_batched", [lambda: square(3, n=3)], lambda a: L.det(a), True),
    ("slogdet", [lambda: -square(n=3)], lambda a: L.slogdet(a).logabsdet, True),
    ("solve", [square, lambda: randn(4, 2, seed=1)], lambda a, b: L.solve(a, b), True),
    ("solve_vector", [square, lambda: randn(4, seed=1)], lambda a, b: L.solve(a, b), True),
    (
        "solve_broadcast",
        [lambda: square(2, 1), lambda: randn(3, 4, 2, seed=1)],
        lambda a, b: L.solve(a, b),
        True,
    ),
    (
        "solve_right",
        [square, lambda: randn(2, 4, seed=1)],
        lambda a, b: L.solve(a, b, left=False),
        True,
    ),
    ("cholesky", [spd], lambda a: L.cholesky(_symmetrize(a)), True),
    (
        "cholesky_upper_batched",
        [lambda: spd(2)],
        lambda a: L.cholesky(_symmetrize(a), upper=True),
        True,
    ),
    ("qr_square", [square], lambda a: tuple(L.qr(a)), False),
    ("qr_tall_batched", [lambda: randn(2, 5, 3)], lambda a: tuple(L.qr(a)), False),
    ("qr_r_only", [lambda: randn(5, 3)], lambda a: L.qr(a).R, False),
    ("eigh", [sym], lambda a: _grad_eigh(L.eigh(_symmetrize(a))), False),
    ("eigh_batched", [lambda: sym(2)], lambda a: _grad_eigh(L.eigh(_symmetrize(a))), False),
    ("eigvalsh", [sym], lambda a: L.eigvalsh(_symmetrize(a)), False),
    ("svd_tall", [lambda: randn(5, 3)], lambda a: _grad_svd(L.svd(a, full_matrices=False)), False),
    ("svd_wide_full", [lambda: randn(2, 3, 5)], lambda a: _grad_svd(L.svd(a)), False),
    ("svdvals", [lambda: randn(4, 3)], lambda a: L.svdvals(a), False),
    ("pinv_tall", [lambda: randn(5, 3)], lambda a: L.pinv(a), False),
    ("pinv_wide", [lambda: randn(3, 5)], lambda a: L.pinv(a), False),
    ("matrix_power", [lambda: square() / 4], lambda a: L.matrix_power(a, 3), True),
    ("matrix_power_neg", [square], lambda a: L.matrix_power(a, -2), False),
    ("cross", [lambda: randn(4, 3), lambda: randn(1, 3, seed=1)], lambda a, b: L.cross(a, b), True),
    ("vecdot", [lambda: randn(3, 4), lambda: randn(4, seed=1)], lambda a, b: L.vecdot(a, b), True),
    (
        "multi_dot",
        [lambda: randn(3), lambda: randn(3, 4, seed=1), lambda: randn(4, seed=2)],
        lambda *ts: L.multi_dot(ts),
        True,
    ),
]
for ord_ in (2, 1, INF, -INF, 3, -1):
    GRADS.append(
        (
            f"vector_norm-{ord_}",
            [lambda: randn(3, 4)],
            lambda a, o=ord_: L.vector_norm(a, o, dim=1),
            ord_ != -1,
        )
    )
for ord_ in MATRIX_ORDS:
    GRADS.append(
        (
            f"matrix_norm-{ord_}",
            [lambda: randn(2, 4, 3)],
            lambda a, o=ord_: L.matrix_norm(a, o),
            ord_ in ("fro", "nuc", 1),
        )
    )
GRADS.append(("norm", [lambda: randn(3, 4)], lambda a: L.norm(a), True))
GRADS.append(("norm_ord", [lambda: randn(4)], lambda a: L.norm(a, 3), True))


def _grad_eigh(res):
    w, v = res
    return w, vproj(v)


def _grad_svd(res):
    u, s, vh = res
    k = s.shape[-1]
    return s, vproj(u[..., :k]), vproj(vh[..., :k, :].mT)


@pytest.mark.parametrize("name, builders, f, double", GRADS, ids=[g[0] for g in GRADS])
def test_gradcheck(name, builders, f, double):
    inputs = tuple(_t(b()) for b in builders)
    assert gradcheck(f, inputs)
    if double:
        assert gradgradcheck(f, inputs)


def _torch_grads(f, arrays, seed=5):
    """Gradients of sum(out * w) for fixed random weights w, in ember and in torch."""
    grads = []
    for mod, make in ((ember, lambda a: ember.tensor(a)), (torch, torch.from_numpy)):
        ts = [make(a).requires_grad_() for a in arrays]
        outs = _as_tuple(f(mod.linalg, *ts))
        rng = _rng(seed)
        loss = sum((o * make(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
        loss.backward()
        grads.append([t.grad.numpy() for t in ts])
    return grads


# Gradients PyTorch computes on the same (symmetric where needed) inputs: also checks the
# conventions gradcheck cannot see (e.g. which triangle of a symmetric input gets the gradient).
TORCH_GRADS = [
    ("inv", [lambda: square(2)], lambda L, a: L.inv(a)),
    ("det", [lambda: square(2)], lambda L, a: L.det(a)),
    ("slogdet", [lambda: -square()], lambda L, a: L.slogdet(a).logabsdet),
    (
        "solve",
        [lambda: square(2, 1), lambda: randn(3, 4, 2, seed=1)],
        lambda L, a, b: L.solve(a, b),
    ),
    ("cholesky", [lambda: spd(2)], lambda L, a: L.cholesky(a)),
    ("qr", [lambda: randn(2, 5, 3)], lambda L, a: tuple(L.qr(a))),
    ("eigh", [lambda: sym(2)], lambda L, a: _grad_eigh(L.eigh(a))),
    ("svd", [lambda: randn(2, 3, 5)], lambda L, a: _grad_svd(L.svd(a))),
    ("pinv", [lambda: randn(5, 3)], lambda L, a: L.pinv(a)),
    ("matrix_norm_2", [lambda: randn(4, 3)], lambda L, a: L.matrix_norm(a, 2)),
    ("norm_nuc", [lambda: randn(4, 3)], lambda L, a: L.norm(a, "nuc")),
    ("vector_norm_inf", [lambda: randn(4, 3)], lambda L, a: L.vector_norm(a, INF, dim=0)),
]


@pytest.mark.parametrize("name, builders, f", TORCH_GRADS, ids=[g[0] for g in TORCH_GRADS])
def test_gradients_match_torch(name, builders, f):
    arrays = [np.asarray(b(), dtype=np.float64) for b in builders]
    got, want = _torch_grads(f, arrays)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


def test_qr_complete_tall_backward_raises():
    a = _t(randn(5, 3))
    q, r = ember.linalg.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        (q.sum() + r.sum()).backward()


# --- errors -----------------------------------------------------------------------------------


def singular():
    return np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def not_pd():
    return np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


# id, input builders, f(L, *tensors), exception ember must raise (torch raises its counterpart)
ERRORS = [
    ("inv_singular", [singular], lambda L, a: L.inv(a), "LinAlgError"),
    (
        "inv_singular_batched",
        [lambda: np.stack([np.eye(3), singular()])],
        lambda L, a: L.inv(a),
        "LinAlgError",
    ),
    ("inv_zero", [lambda: np.zeros((2, 2))], lambda L, a: L.inv(a), "LinAlgError"),
    ("inv_non_square", [lambda: randn(2, 3)], lambda L, a: L.inv(a), RuntimeError),
    ("inv_vector", [lambda: randn(3)], lambda L, a: L.inv(a), RuntimeError),
    ("det_non_square", [lambda: randn(2, 3)], lambda L, a: L.det(a), RuntimeError),
    ("slogdet_non_square", [lambda: randn(2, 3, 2)], lambda L, a: L.slogdet(a), RuntimeError),
    ("solve_singular", [singular, lambda: randn(3)], lambda L, a, b: L.solve(a, b), "LinAlgError"),
    (
        "solve_shapes",
        [lambda: np.eye(3), lambda: randn(2)],
        lambda L, a, b: L.solve(a, b),
        RuntimeError,
    ),
    (
        "solve_non_square",
        [lambda: randn(3, 2), lambda: randn(3)],
        lambda L, a, b: L.solve(a, b),
        RuntimeError,
    ),
    ("cholesky_not_pd", [not_pd], lambda L, a: L.cholesky(a), "LinAlgError"),
    (
        "cholesky_negative_batched",
        [lambda: np.stack([np.eye(3), -np.eye(3)])],
        lambda L, a: L.cholesky(a),
        "LinAlgError",
    ),
    ("cholesky_non_square", [lambda: randn(2, 3)], lambda L, a: L.cholesky(a), RuntimeError),
    ("eigh_non_square", [lambda: randn(2, 3)], lambda L, a: L.eigh(a), RuntimeError),
    ("qr_bad_mode", [lambda: randn(3, 3)], lambda L, a: L.qr(a, mode="x"), RuntimeError),
    (
        "matrix_power_non_square",
        [lambda: randn(2, 3)],
        lambda L, a: L.matrix_power(a, 2),
        RuntimeError,
    ),
    (
        "matrix_norm_bad_ord",
        [lambda: randn(2, 3)],
        lambda L, a: L.matrix_norm(a, ord=3),
        RuntimeError,
    ),
    (
        "matrix_norm_bad_str",
        [lambda: randn(2, 3)],
        lambda L, a: L.matrix_norm(a, ord="abc"),
        RuntimeError,
    ),
    ("matrix_norm_vector", [lambda: randn(3)], lambda L, a: L.matrix_norm(a), RuntimeError),
    (
        "vector_norm_str_ord",
        [lambda: randn(3)],
        lambda L, a: L.vector_norm(a, ord="fro"),
        TypeError,
    ),
    ("norm_3d_ord", [lambda: randn(3, 3, 3)], lambda L, a: L.norm(a, ord=2), RuntimeError),
    ("norm_3_dims", [lambda: randn(3, 3, 3)], lambda L, a: L.norm(a, dim=(0, 1, 2)), RuntimeError),
    (
        "norm_fro_one_dim",
        [lambda: randn(3, 3)],
        lambda L, a: L.norm(a, ord="fro", dim=0),
        RuntimeError,
    ),
    ("norm_fro_vector", [lambda: randn(3)], lambda L, a: L.norm(a, ord="fro"), RuntimeError),
    (
        "cross_length",
        [lambda: randn(2), lambda: randn(2)],
        lambda L, a, b: L.cross(a, b),
        RuntimeError,
    ),
    (
        "cross_length_one_broadcast",
        [lambda: randn(2, 1), lambda: randn(2, 3)],
        lambda L, a, b: L.cross(a, b),
        RuntimeError,
    ),
    (
        "cross_ndim",
        [lambda: randn(2, 3), lambda: randn(3)],
        lambda L, a, b: L.cross(a, b),
        RuntimeError,
    ),
    ("multi_dot_one", [lambda: randn(2, 2)], lambda L, a: L.multi_dot([a]), RuntimeError),
    (
        "multi_dot_3d",
        [lambda: randn(2, 2), lambda: randn(2, 2, 2)],
        lambda L, a, b: L.multi_dot([a, b]),
        RuntimeError,
    ),
    ("inv_int", [lambda: np.eye(2, dtype=np.int64)], lambda L, a: L.inv(a), RuntimeError),
    ("inv_half", [lambda: np.eye(2, dtype=np.float16)], lambda L, a: L.inv(a), RuntimeError),
]


@pytest.mark.parametrize("name, builders, f, exc", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, builders, f, exc):
    arrays = [b() for b in builders]
    with pytest.raises(Exception) as want:
        f(torch.linalg, *[torch.from_numpy(a) for a in arrays])
    exc = ember.linalg.LinAlgError if exc == "LinAlgError" else exc
    with pytest.raises(exc) as got:
        f(ember.linalg, *[ember.tensor(a) for a in arrays])
    # the same kind of error as PyTorch, and PyTorch's message
    linalg_error = exc is ember.linalg.LinAlgError
    assert isinstance(want.value, torch.linalg.LinAlgError) == linalg_error
    assert isinstance(got.value, ember.linalg.LinAlgError) == linalg_error
    assert isinstance(want.value, TypeError) == (exc is TypeError)
    assert str(got.value) == str(want.value)


def test_linalg_error_is_runtime_error():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError):
        ember.linalg.inv(ember.zeros(3, 3))


# --- the namespace ----------------------------------------------------------------------------


def test_namespace_is_public_linalg_and_lazy():
    code = (
        "import sys, ember\n"
        "assert 'ember.linalg' not in sys.modules\n"
        "import ember.ops.linalg\n"
        "print(ember.linalg.__name__, hasattr(ember.linalg, 'vector_norm'), "
        "ember.linalg.matmul is ember.matmul, ember.ops.linalg.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ember.linalg", "True", "True", "ember.ops.linalg"]


def test_existing_functions_still_work():
    x = ember.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert ember.norm(x).item() == pytest.approx(5.0)
    assert x.norm(dim=1).tolist() == pytest.approx([5.0, 0.0])
    assert (ember.matmul(x, x) == ember.linalg.matmul(x, x)).all().item()


@pytest.mark.parametrize("name", ["det", "logdet", "inverse", "slogdet"])
def test_top_level_and_tensor_method_spellings_match_torch(name):
    mats = np.array([[[2.0, 1.0], [1.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]]])
    for a in mats[:2] if name == "inverse" else mats:
        for call in (
            lambda lib, t: getattr(lib, name)(t),
            lambda lib, t: getattr(t, name)(),
        ):
            got = call(ember, ember.tensor(a))
            want = call(torch, torch.tensor(a))
            if name == "slogdet":
                got, want = got[1], want[1]
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    x = ember.tensor(mats[0], requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda t: getattr(t, name)() if name != "slogdet" else t.slogdet()[1], (x,)
    )
