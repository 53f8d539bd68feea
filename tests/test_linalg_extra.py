"""The second batch of ember.linalg (LU, triangular solves, matrix_exp, lstsq, the *_ex
variants, ...) and PyTorch's older top-level spellings, against PyTorch.
"""

import numpy as np
import pytest
from test_linalg import INF, randn, spd, square

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def chol(*batch, n=4, seed=0):
    return np.linalg.cholesky(spd(*batch, n=n, seed=seed))


def upper(*batch, n=4, seed=0):
    return np.triu(square(*batch, n=n, seed=seed))


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


# id, input builders (numpy arrays), f(lib, *tensors) with lib ember or torch
FORWARD = [
    (
        "solve_triangular_upper",
        [lambda: upper(2), lambda: randn(3, 1, 4, 2, seed=1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
    ),
    (
        "solve_triangular_lower_unit",
        [square, lambda: randn(4, 3, seed=1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
    ),
    (
        "solve_triangular_right",
        [lambda: square(2), lambda: randn(2, 3, 4, seed=1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True, left=False),
    ),
    ("lu_factor", [lambda: randn(2, 3, 4, 4)], lambda m, a: tuple(m.linalg.lu_factor(a))),
    ("lu_factor_tall", [lambda: randn(2, 6, 4)], lambda m, a: tuple(m.linalg.lu_factor(a))),
    ("lu_factor_ex_wide", [lambda: randn(3, 5)], lambda m, a: tuple(m.linalg.lu_factor_ex(a))),
    ("lu", [lambda: randn(2, 4, 4)], lambda m, a: tuple(m.linalg.lu(a))),
    ("lu_tall", [lambda: randn(5, 3)], lambda m, a: tuple(m.linalg.lu(a))),
    ("lu_wide", [lambda: randn(2, 3, 5)], lambda m, a: tuple(m.linalg.lu(a))),
    (
        "lu_solve",
        [lambda: randn(2, 4, 4), lambda: randn(3, 1, 4, 2, seed=1)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b),
    ),
    (
        "lu_solve_adjoint",
        [lambda: randn(2, 4, 4), lambda: randn(2, 4, 3, seed=1)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
    ),
    (
        "lu_solve_right",
        [lambda: randn(4, 4), lambda: randn(2, 3, 4, seed=1)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False),
    ),
    (
        "lu_solve_right_adjoint",
        [lambda: randn(4, 4), lambda: randn(3, 4, seed=1)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False, adjoint=True),
    ),
    ("cholesky_ex", [lambda: spd(2)], lambda m, a: tuple(m.linalg.cholesky_ex(a))),
    ("cholesky_ex_upper", [spd], lambda m, a: tuple(m.linalg.cholesky_ex(a, upper=True))),
    ("inv_ex", [lambda: square(3)], lambda m, a: tuple(m.linalg.inv_ex(a))),
    (
        "solve_ex",
        [lambda: square(2), lambda: randn(2, 4, seed=1)],
        lambda m, a, b: tuple(m.linalg.solve_ex(a, b)),
    ),
    ("matrix_exp_small", [lambda: randn(2, 4, 4) / 10], lambda m, a: m.linalg.matrix_exp(a)),
    ("matrix_exp", [lambda: randn(3, 3)], lambda m, a: m.linalg.matrix_exp(a)),
    ("matrix_exp_scaled", [lambda: randn(2, 3, 3) * 3], lambda m, a: m.linalg.matrix_exp(a)),
    ("cond", [lambda: square(2)], lambda m, a: m.linalg.cond(a)),
    ("cond_tall", [lambda: randn(5, 3)], lambda m, a: m.linalg.cond(a)),
    ("cond_-2", [square], lambda m, a: m.linalg.cond(a, -2)),
    ("lstsq", [lambda: randn(2, 5, 3), lambda: randn(2, 5, 2, seed=1)], "lstsq"),
    ("lstsq_wide", [lambda: randn(3, 5), lambda: randn(3, 2, seed=1)], "lstsq"),
    (
        "lstsq_vector",
        [lambda: randn(5, 3), lambda: randn(5, seed=1)],
        lambda m, a, b: m.linalg.lstsq(a, b).solution,
    ),
    (
        "lstsq_rank_deficient",
        [lambda: randn(6, 2) @ randn(2, 4, seed=3), lambda: randn(6, 2, seed=1)],
        lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")[:3]),
    ),
    ("tensorinv", [lambda: randn(4, 6, 8, 3)], lambda m, a: m.linalg.tensorinv(a, ind=2)),
    (
        "tensorinv_ind1",
        [lambda: square(n=6).reshape(6, 2, 3)],
        lambda m, a: m.linalg.tensorinv(a, 1),
    ),
    (
        "tensorsolve",
        [lambda: randn(6, 4, 2, 3, 4), lambda: randn(6, 4, seed=1)],
        lambda m, a, b: m.linalg.tensorsolve(a, b),
    ),
    (
        "tensorsolve_dims",
        [lambda: randn(6, 4, 2, 3, 4), lambda: randn(4, 2, 3, seed=1)],
        lambda m, a, b: m.linalg.tensorsolve(a, b, dims=(0,)),
    ),
    ("vander", [lambda: randn(2, 3)], lambda m, a: m.linalg.vander(a)),
    ("vander_N", [lambda: randn(4)], lambda m, a: m.linalg.vander(a, N=6)),
    # old top-level spellings and their Tensor methods
    ("cholesky", [lambda: spd(2)], lambda m, a: m.cholesky(a)),
    ("cholesky_upper_method", [spd], lambda m, a: a.cholesky(True)),
    (
        "cholesky_solve",
        [lambda: randn(2, 4, 3, seed=1), lambda: chol(2)],
        lambda m, b, lo: m.cholesky_solve(b, lo),
    ),
    (
        "cholesky_solve_upper_method",
        [lambda: randn(4, 3, seed=1), chol],
        lambda m, b, lo: b.cholesky_solve(lo.mT, upper=True),
    ),
    ("cholesky_inverse", [lambda: chol(2)], lambda m, lo: m.cholesky_inverse(lo)),
    ("cholesky_inverse_upper", [chol], lambda m, lo: lo.mT.cholesky_inverse(True)),
    ("qr", [lambda: randn(2, 5, 3)], lambda m, a: tuple(t.abs() for t in m.qr(a))),
    ("qr_complete_method", [lambda: randn(5, 3)], lambda m, a: tuple(t.abs() for t in a.qr(False))),
    ("svd", [lambda: randn(2, 5, 3)], lambda m, a: tuple(t.abs() for t in m.svd(a))),
    (
        "svd_full_method",
        [lambda: randn(3, 5)],
        lambda m, a: _first_columns(a.svd(some=False), 3),
    ),
    ("svd_no_uv", [lambda: randn(2, 3, 5)], lambda m, a: tuple(m.svd(a, compute_uv=False))),
    ("svd_reconstructs", [lambda: randn(4, 3)], lambda m, a: _svd_usv(m.svd(a))),
    ("pinverse", [lambda: randn(2, 5, 3)], lambda m, a: m.pinverse(a)),
    ("pinverse_method_rcond", [lambda: randn(3, 5)], lambda m, a: a.pinverse(0.5)),
    ("matrix_power", [lambda: square(2) / 4], lambda m, a: m.matrix_power(a, 3)),
    ("matrix_power_method", [square], lambda m, a: a.matrix_power(-2)),
    ("matrix_exp_top", [lambda: randn(3, 3)], lambda m, a: m.matrix_exp(a)),
    ("matrix_exp_method", [lambda: randn(2, 3, 3)], lambda m, a: a.matrix_exp()),
    (
        "triangular_solve",
        [lambda: randn(2, 4, 3, seed=1), square],
        lambda m, b, a: tuple(m.triangular_solve(b, a)),
    ),
    (
        "triangular_solve_lower_transpose_unit",
        [lambda: randn(4, 3, seed=1), square],
        lambda m, b, a: tuple(
            b.triangular_solve(a, upper=False, transpose=True, unitriangular=True)
        ),
    ),
    (
        "lu_solve_top",
        [lambda: randn(2, 4, 3, seed=1), lambda: randn(2, 4, 4)],
        lambda m, b, a: m.lu_solve(b, *m.linalg.lu_factor(a)),
    ),
    (
        "lu_solve_method",
        [lambda: randn(4, 3, seed=1), lambda: randn(4, 4)],
        lambda m, b, a: b.lu_solve(*m.linalg.lu_factor(a)),
    ),
    (
        "lu_unpack",
        [lambda: randn(2, 5, 3)],
        lambda m, a: tuple(m.lu_unpack(*m.linalg.lu_factor(a))),
    ),
]
for _p in ("fro", "nuc", INF, -INF, 1, -1, 2):
    FORWARD.append((f"cond_{_p}", [lambda: square(2, 2)], lambda m, a, p=_p: m.linalg.cond(a, p)))
for _d in (None, "gels", "gelsd", "gelss"):
    FORWARD.append(
        (
            f"lstsq_{_d}",
            [lambda: randn(2, 5, 3), lambda: randn(2, 5, 2, seed=1)],
            lambda m, a, b, d=_d: tuple(m.linalg.lstsq(a, b, driver=d)),
        )
    )


def _first_columns(res, k):
    # the columns past min(m, n) of the complete U / V are any basis of a null space
    u, s, v = res
    return u[..., :k].abs(), s, v[..., :k].abs()


def _svd_usv(res):
    u, s, v = res
    return (u * s.unsqueeze(-2)) @ v.mT


def _lstsq(m, a, b):
    return tuple(m.linalg.lstsq(a, b))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, builders, f", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward_matches_torch(name, builders, f, dtype):
    import warnings

    f = _lstsq if f == "lstsq" else f
    arrays = [np.asarray(b(), dtype=dtype) for b in builders]
    got = _as_tuple(f(ember, *[ember.tensor(a) for a in arrays]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.triangular_solve is deprecated
        want = _as_tuple(f(torch, *[torch.from_numpy(a) for a in arrays]))
    assert len(got) == len(want)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for g, w in zip(got, want):
        assert isinstance(g, ember.Tensor)
        assert str(g.dtype) == str(w.dtype).replace("torch", "ember"), (g.dtype, w.dtype)
        assert tuple(g.shape) == tuple(w.shape), (g.shape, w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=tol, atol=tol)


def test_named_tuples():
    a = ember.tensor(square())
    assert ember.linalg.lu_factor(a)._fields == ("LU", "pivots")
    assert ember.linalg.lu_factor_ex(a)._fields == ("LU", "pivots", "info")
    assert ember.linalg.lu(a)._fields == ("P", "L", "U")
    assert ember.linalg.cholesky_ex(a)._fields == ("L", "info")
    assert ember.linalg.inv_ex(a)._fields == ("inverse", "info")
    assert ember.linalg.solve_ex(a, a)._fields == ("result", "info")
    fields = ("solution", "residuals", "rank", "singular_values")
    assert ember.linalg.lstsq(a, a)._fields == fields
    assert ember.svd(a)._fields == ("U", "S", "V")
    assert ember.qr(a)._fields == ("Q", "R")
    assert ember.triangular_solve(a, a)._fields == ("solution", "cloned_coefficient")


def test_triangular_solve_clones_the_coefficient():
    a = ember.tensor(square())
    _, c = ember.triangular_solve(ember.ones(4, 1, dtype=ember.float64), a)
    c.add_(1)
    assert (a.numpy() == square()).all()


# --- failures reported through info ------------------------------------------------------------


def singular():
    return np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def not_pd():
    return np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


INFO = [
    ("cholesky_ex", lambda: np.stack([np.eye(3), not_pd(), -np.eye(3)]), "cholesky_ex"),
    ("inv_ex", lambda: np.stack([singular(), np.eye(3)]), "inv_ex"),
    ("lu_factor_ex", lambda: np.stack([np.eye(3), singular()]), "lu_factor_ex"),
    ("lu_factor_ex_zeros", lambda: np.zeros((3, 3)), "lu_factor_ex"),
]


@pytest.mark.parametrize("name, build, fn", INFO, ids=[c[0] for c in INFO])
def test_info_matches_torch(name, build, fn):
    a = build()
    got = getattr(ember.linalg, fn)(ember.tensor(a))
    want = getattr(torch.linalg, fn)(torch.from_numpy(a))
    assert got.info.dtype == ember.int32
    np.testing.assert_array_equal(got.info.numpy(), want.info.numpy())
    ok = want.info.numpy() == 0
    np.testing.assert_allclose(got[0].numpy()[ok], want[0].numpy()[ok], rtol=1e-12, atol=1e-12)


def test_solve_ex_info_and_nan_for_singular():
    a = np.stack([np.eye(3), singular()])
    got = ember.linalg.solve_ex(ember.tensor(a), ember.ones(3, dtype=ember.float64))
    want = torch.linalg.solve_ex(torch.from_numpy(a), torch.ones(3, dtype=torch.float64))
    np.testing.assert_array_equal(got.info.numpy(), want.info.numpy())
    assert got.result[0].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(got.result[1].numpy()).all()  # NOTE [ _ex results ]: ember's choice


def test_cond_of_singular_matrix_is_inf():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    for p in ("fro", 1, -1, INF):
        got = ember.linalg.cond(ember.tensor(a), p).item()
        assert got == torch.linalg.cond(torch.from_numpy(a), p).item() == INF


def test_solve_triangular_zero_diagonal_gives_inf_nan_like_torch():
    a = np.array([[0.0, 1.0], [0.0, 1.0]])
    got = ember.linalg.solve_triangular(ember.tensor(a), ember.ones(2, 1).double(), upper=True)
    want = torch.linalg.solve_triangular(torch.from_numpy(a), torch.ones(2, 1).double(), upper=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# --- gradients -----------------------------------------------------------------------------


def _t(a):
    return ember.tensor(np.asarray(a, dtype=np.float64)).requires_grad_()


L = ember.linalg
# id, input builders, function of the ember tensors, whether gradgradcheck runs too
GRADS = [
    (
        "solve_triangular",
        [upper, lambda: randn(4, 2, seed=1)],
        lambda a, b: L.solve_triangular(a, b, upper=True),
        True,
    ),
    (
        "solve_triangular_lower_unit_right_batched",
        [lambda: square(2), lambda: randn(3, 4, seed=1)],
        lambda a, b: L.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        True,
    ),
    ("lu_factor", [lambda: randn(2, 3, 3)], lambda a: L.lu_factor(a).LU, True),
    ("lu_factor_tall", [lambda: randn(5, 3)], lambda a: L.lu_factor(a).LU, True),
    ("lu_factor_wide", [lambda: randn(3, 5)], lambda a: L.lu_factor(a).LU, True),
    ("lu", [lambda: randn(4, 4)], lambda a: tuple(L.lu(a))[1:], False),
    (
        "lu_solve",
        [lambda: randn(3, 3), lambda: randn(2, 3, 2, seed=1)],
        lambda a, b: L.lu_solve(*L.lu_factor(a), b),
        True,
    ),
    (
        "lu_solve_adjoint_right",
        [lambda: randn(3, 3), lambda: randn(2, 3, seed=1)],
        lambda a, b: L.lu_solve(*L.lu_factor(a), b, left=False, adjoint=True),
        False,
    ),
    ("matrix_exp", [lambda: randn(3, 3) / 2], L.matrix_exp, True),
    ("matrix_exp_batched_scaled", [lambda: randn(2, 3, 3) * 3], L.matrix_exp, False),
    ("cholesky_ex", [spd], lambda a: L.cholesky_ex((a + a.mT) / 2).L, False),
    ("inv_ex", [square], lambda a: L.inv_ex(a).inverse, True),
    ("solve_ex", [square, lambda: randn(4, seed=1)], lambda a, b: L.solve_ex(a, b).result, True),
    ("cond", [lambda: randn(4, 3)], L.cond, False),
    ("cond_1", [square], lambda a: L.cond(a, 1), False),
    (
        "lstsq",
        [lambda: randn(5, 3), lambda: randn(5, 2, seed=1)],
        lambda a, b: L.lstsq(a, b).solution,
        False,
    ),
    ("tensorinv", [lambda: square(n=6).reshape(6, 2, 3)], lambda a: L.tensorinv(a, 1), True),
    (
        "tensorsolve",
        [lambda: square(n=6).reshape(2, 3, 6), lambda: randn(2, 3, seed=1)],
        lambda a, b: L.tensorsolve(a, b),
        True,
    ),
    ("vander", [lambda: randn(2, 3)], lambda x: L.vander(x, N=4), True),
    ("cholesky_solve", [lambda: randn(4, 2, seed=1), chol], ember.cholesky_solve, True),
    ("cholesky_inverse", [chol], lambda lo: ember.cholesky_inverse(lo.tril()), True),
    ("svd_old", [lambda: randn(4, 3)], lambda a: ember.svd(a).S, False),
    (
        "triangular_solve",
        [lambda: randn(4, 2, seed=1), square],
        lambda b, a: ember.triangular_solve(b, a, transpose=True).solution,
        True,
    ),
    ("pinverse", [lambda: randn(5, 3)], ember.pinverse, False),
]


@pytest.mark.parametrize("name, builders, f, double", GRADS, ids=[g[0] for g in GRADS])
def test_gradcheck(name, builders, f, double):
    inputs = tuple(_t(b()) for b in builders)
    assert gradcheck(f, inputs)
    if double:
        assert gradgradcheck(f, inputs)


def _torch_grads(f, arrays, seed=5):
    """Gradients of sum(out * w) for fixed random weights w, in ember and in torch."""
    grads = []
    for mod, make in ((ember, ember.tensor), (torch, torch.from_numpy)):
        ts = [make(a).requires_grad_() for a in arrays]
        outs = _as_tuple(f(mod, *ts))
        rng = np.random.default_rng(seed)
        loss = sum((o * make(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
        loss.backward()
        grads.append([t.grad.numpy() for t in ts])
    return grads


TORCH_GRADS = [
    (
        "solve_triangular",
        [lambda: square(2), lambda: randn(3, 1, 4, 2, seed=1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
    ),
    (
        "solve_triangular_unit_lower",
        [square, lambda: randn(4, 2, seed=1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
    ),
    ("lu_factor", [lambda: randn(2, 4, 4)], lambda m, a: m.linalg.lu_factor(a).LU),
    ("lu_tall", [lambda: randn(6, 4)], lambda m, a: tuple(m.linalg.lu(a))[1:]),
    ("lu_wide", [lambda: randn(2, 3, 5)], lambda m, a: tuple(m.linalg.lu(a))[1:]),
    (
        "lu_solve",
        [lambda: randn(2, 4, 4), lambda: randn(2, 4, 3, seed=1)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
    ),
    ("matrix_exp", [lambda: randn(2, 4, 4)], lambda m, a: m.linalg.matrix_exp(a)),
    ("cond", [lambda: square(2)], lambda m, a: m.linalg.cond(a)),
    (
        "lstsq",
        [lambda: randn(2, 5, 3), lambda: randn(2, 5, 2, seed=1)],
        lambda m, a, b: m.linalg.lstsq(a, b).solution,
    ),
    ("vander", [lambda: randn(3)], lambda m, x: m.linalg.vander(x, N=5)),
    # PyTorch also gives the triangle the factor functions never read a gradient, as if the
    # factor were used as a full matrix; ember's is the derivative of what is computed, so
    # only the triangle that is read is compared.
    ("cholesky_inverse", [chol], lambda m, lo: m.cholesky_inverse(lo), (np.tril,)),
    (
        "cholesky_solve_upper",
        [lambda: randn(4, 2, seed=1), lambda: chol().T.copy()],
        lambda m, b, u: m.cholesky_solve(b, u, upper=True),
        (None, np.triu),
    ),
]


@pytest.mark.parametrize("case", TORCH_GRADS, ids=[g[0] for g in TORCH_GRADS])
def test_gradients_match_torch(case):
    _, builders, f, *keep = case
    arrays = [np.asarray(b(), dtype=np.float64) for b in builders]
    got, want = _torch_grads(f, arrays)
    for i, (g, w) in enumerate(zip(got, want)):
        part = keep[0][i] if keep and keep[0][i] else (lambda x: x)
        np.testing.assert_allclose(part(g), part(w), rtol=1e-7, atol=1e-9)


# --- errors -----------------------------------------------------------------------------------

# id, input builders, f(lib, *tensors); ember raises what torch raises (same type and message
# where ``same_message``)
ERRORS = [
    (
        "solve_triangular_vector_b",
        [lambda: np.eye(3), lambda: randn(3)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
        True,
    ),
    (
        "solve_triangular_non_square",
        [lambda: randn(2, 3), lambda: randn(2, 1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
        True,
    ),
    (
        "solve_triangular_shapes",
        [lambda: np.eye(3), lambda: randn(2, 1)],
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
        False,
    ),
    ("lu_factor_singular", [singular], lambda m, a: m.linalg.lu_factor(a), True),
    (
        "lu_factor_singular_batched",
        [lambda: np.stack([np.eye(3), singular()])],
        lambda m, a: m.linalg.lu_factor(a),
        True,
    ),
    (
        "lu_factor_ex_check_errors",
        [singular],
        lambda m, a: m.linalg.lu_factor_ex(a, check_errors=True),
        True,
    ),
    ("lu_factor_vector", [lambda: randn(3)], lambda m, a: m.linalg.lu_factor(a), False),
    (
        "lu_solve_vector_b",
        [lambda: square(n=3), lambda: randn(3)],
        lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b),
        True,
    ),
    (
        "cholesky_ex_check_errors",
        [lambda: np.stack([np.eye(3), not_pd()])],
        lambda m, a: m.linalg.cholesky_ex(a, check_errors=True),
        True,
    ),
    (
        "inv_ex_check_errors",
        [singular],
        lambda m, a: m.linalg.inv_ex(a, check_errors=True),
        False,
    ),
    (
        "solve_ex_check_errors",
        [singular, lambda: randn(3)],
        lambda m, a, b: m.linalg.solve_ex(a, b, check_errors=True),
        False,
    ),
    ("cholesky_ex_non_square", [lambda: randn(2, 3)], lambda m, a: m.linalg.cholesky_ex(a), False),
    ("matrix_exp_non_square", [lambda: randn(2, 3)], lambda m, a: m.linalg.matrix_exp(a), True),
    ("cond_fro_non_square", [lambda: randn(5, 3)], lambda m, a: m.linalg.cond(a, "fro"), True),
    ("cond_bad_p", [lambda: randn(3, 3)], lambda m, a: m.linalg.cond(a, 3), True),
    (
        "lstsq_bad_driver",
        [lambda: randn(5, 3), lambda: randn(5, 2)],
        lambda m, a, b: m.linalg.lstsq(a, b, driver="foo"),
        True,
    ),
    (
        "lstsq_shapes",
        [lambda: randn(5, 3), lambda: randn(4, 2)],
        lambda m, a, b: m.linalg.lstsq(a, b),
        True,
    ),
    ("tensorinv_ind0", [lambda: randn(4, 4)], lambda m, a: m.linalg.tensorinv(a, 0), True),
    ("tensorinv_shapes", [lambda: randn(4, 6, 5)], lambda m, a: m.linalg.tensorinv(a, 1), True),
    (
        "tensorinv_singular",
        [lambda: np.zeros((2, 2, 4))],
        lambda m, a: m.linalg.tensorinv(a),
        False,
    ),
    ("vander_N1", [lambda: randn(3)], lambda m, x: m.linalg.vander(x, N=1), True),
    ("vander_bool", [lambda: np.array([True, False])], lambda m, x: m.linalg.vander(x), True),
    ("cholesky_old_not_pd", [not_pd], lambda m, a: m.cholesky(a), False),
    (
        "cholesky_inverse_non_square",
        [lambda: randn(2, 3)],
        lambda m, a: m.cholesky_inverse(a),
        False,
    ),
    (
        "cholesky_solve_vector",
        [lambda: randn(3), lambda: np.eye(3)],
        lambda m, b, lo: m.cholesky_solve(b, lo),
        False,
    ),
    ("qr_int", [lambda: np.eye(2, dtype=np.int64)], lambda m, a: m.qr(a), False),
    ("svd_vector", [lambda: randn(3)], lambda m, a: m.svd(a), False),
    ("pinverse_vector", [lambda: randn(3)], lambda m, a: m.pinverse(a), False),
    ("matrix_power_non_square", [lambda: randn(2, 3)], lambda m, a: m.matrix_power(a, 2), False),
]


@pytest.mark.parametrize("name, builders, f, same_message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, builders, f, same_message):
    arrays = [b() for b in builders]
    with pytest.raises(Exception) as want:
        f(torch, *[torch.from_numpy(a) for a in arrays])
    with pytest.raises(Exception) as got:
        f(ember, *[ember.tensor(a) for a in arrays])
    linalg_error = isinstance(want.value, torch.linalg.LinAlgError)
    assert isinstance(got.value, ember.linalg.LinAlgError) == linalg_error, got.value
    for kind in (TypeError, ValueError, IndexError, RuntimeError):
        assert isinstance(got.value, kind) == isinstance(want.value, kind), (got.value, want.value)
    if same_message:
        assert str(got.value) == str(want.value)


# --- the namespace ----------------------------------------------------------------------------


def test_old_names_are_lazy():
    import subprocess
    import sys

    code = (
        "import sys, ember\n"
        "assert 'ember.linalg' not in sys.modules and 'ember._linalg_compat' not in sys.modules\n"
        "print(ember.svd.__module__, ember.lu_unpack is ember.linalg.lu_unpack)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ember._linalg_compat", "True"]


def test_linalg_has_the_new_functions():
    names = (
        "matrix_exp solve_triangular lstsq lu_factor lu_factor_ex lu lu_solve cholesky_ex "
        "inv_ex solve_ex cond tensorinv tensorsolve vander"
    ).split()
    assert [n for n in names if not hasattr(ember.linalg, n)] == []


# --- complex basics ---------------------------------------------------------------------------

Z = np.array([[1 + 2j, -3 - 1j, 2j], [0.5 + 0j, -1 + 1j, 4 - 3j]])


@pytest.mark.parametrize(
    "name", ["real", "imag", "conj", "conj_physical", "angle", "isreal", "view_as_real", "abs"]
)
def test_complex_basics_match_torch(name):
    got = getattr(ember, name)(ember.tensor(Z))
    want = getattr(torch, name)(torch.from_numpy(Z)).resolve_conj()
    assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    if name in ("real", "conj", "angle", "isreal"):
        method = getattr(ember.tensor(Z), name)
        np.testing.assert_allclose((method if name == "real" else method()).numpy(), want.numpy())


def test_complex_polar_view_as_complex_and_real_angle():
    r, t = np.array([1.0, 2.0, 0.5]), np.array([0.3, -2.0, 4.0])
    for name in ("complex", "polar"):
        got = getattr(ember, name)(ember.tensor(r), ember.tensor(t))
        want = getattr(torch, name)(torch.from_numpy(r), torch.from_numpy(t))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    pairs = np.stack([r, t], -1)
    got = ember.view_as_complex(ember.tensor(pairs)).numpy()
    np.testing.assert_array_equal(got, torch.view_as_complex(torch.from_numpy(pairs)).numpy())
    x = np.array([-1.0, 2.0, 0.0, np.nan])
    np.testing.assert_array_equal(ember.angle(ember.tensor(x)), torch.angle(torch.tensor(x)))


def test_real_and_view_as_real_share_memory():
    z = ember.tensor(Z)
    z.real.add_(10)
    ember.view_as_real(z)[..., 1].mul_(0)
    np.testing.assert_array_equal(z.numpy(), Z.real + 10)


COMPLEX_GRADS = [
    lambda m, z: (m.view_as_real(z) ** 2).sum() + 3 * m.real(z).sum(),
    lambda m, z: (m.angle(z) * m.imag(z)).sum(),
    lambda m, z: (m.real(m.conj(z)) * m.imag(m.conj_physical(z))).sum(),
    lambda m, z: m.view_as_real(m.polar(m.real(z).abs() + 1, m.imag(z))).sum(),
]


@pytest.mark.parametrize("i", range(len(COMPLEX_GRADS)))
def test_complex_gradients_match_torch(i):
    f = COMPLEX_GRADS[i]
    ze, zt = ember.tensor(Z, requires_grad=True), torch.tensor(Z, requires_grad=True)
    f(ember, ze).backward()
    f(torch, zt).backward()
    np.testing.assert_allclose(ze.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda m, x: m.imag(x),
        lambda m, x: m.view_as_complex(x[..., :1]),
        lambda m, x: m.complex(x, x.double()),
    ],
)
def test_complex_errors_match_torch(f):
    x = np.ones((2, 2), dtype=np.float32)
    with pytest.raises(Exception) as want:
        f(torch, torch.from_numpy(x))
    with pytest.raises(type(want.value)):
        f(ember, ember.tensor(x))
