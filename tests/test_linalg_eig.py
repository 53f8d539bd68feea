"""ember.linalg.eig, eigvals and householder_product (orgqr) against PyTorch."""

import numpy as np
import pytest
from test_linalg import randn

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def crandn(*shape, seed=0):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 100)


def _order(w):
    """Indices that sort eigenvalues (last dim) by rounded real part, then imaginary part."""
    key = np.round(w.real, 6) * 1e6 + np.round(w.imag, 6)
    return np.argsort(key, axis=-1, kind="stable")


def _check_eig(a, w, v, tw, tv, tol):
    order, torder = _order(w), _order(tw)
    w, tw = np.take_along_axis(w, order, -1), np.take_along_axis(tw, torder, -1)
    np.testing.assert_allclose(w, tw, rtol=tol, atol=tol)
    v = np.take_along_axis(v, order[..., None, :], -1)
    tv = np.take_along_axis(tv, torder[..., None, :], -1)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=tol)
    # the same eigenvector up to a phase: |<v, tv>| = 1 for unit vectors
    np.testing.assert_allclose(np.abs((v.conj() * tv).sum(-2)), 1, rtol=tol, atol=tol)
    np.testing.assert_allclose(a @ v, v * w[..., None, :], rtol=tol, atol=tol * 10)


# id, input builder (numpy), dtype name (as in ember and torch)
EIG_FORWARD = [
    ("real", lambda: randn(4, 4), "float64"),
    ("real_batched", lambda: randn(2, 3, 5, 5), "float64"),
    ("float32", lambda: randn(3, 4, 4), "float32"),
    ("complex", lambda: crandn(2, 4, 4), "complex128"),
    ("real_spectrum", lambda: np.diag([1.0, 2.0, -3.0]) + np.triu(randn(3, 3), 1), "float64"),
    ("one_by_one", lambda: randn(2, 1, 1), "float64"),
]


@pytest.mark.parametrize("name, build, dtype", EIG_FORWARD, ids=[r[0] for r in EIG_FORWARD])
def test_eig_forward(name, build, dtype):
    a = build().astype(dtype)
    w, v = ember.linalg.eig(ember.tensor(a))
    tw, tv = torch.linalg.eig(torch.from_numpy(a))
    assert str(w.dtype).split(".")[-1] == str(tw.dtype).split(".")[-1]
    assert str(v.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1]
    tol = 1e-4 if dtype == "float32" else 1e-10
    _check_eig(a.astype(np.complex128), w.numpy(), v.numpy(), tw.numpy(), tv.numpy(), tol)
    ev = ember.linalg.eigvals(ember.tensor(a))
    assert ev.dtype == w.dtype
    np.testing.assert_allclose(
        np.sort_complex(ev.numpy().ravel()), np.sort_complex(w.numpy().ravel())
    )


def test_eig_named_tuple():
    res = ember.linalg.eig(ember.tensor(randn(3, 3)))
    assert type(res).__name__ == "linalg_eig"
    assert res.eigenvalues is res[0] and res.eigenvectors is res[1]


# gauge-invariant losses: functions of the eigenvalues and of |V| (the phase of each column of
# V is arbitrary), as f(lib, A) -> real scalar
def _loss_values(lib, a):
    w = lib.linalg.eigvals(a)
    return (w.real * w.imag).sum() + (w * w).real.sum()


def _loss_vectors(lib, a):
    w, v = lib.linalg.eig(a)
    return (v.abs() * lib.arange(v.shape[-1], dtype=v.real.dtype)).sum() + w.abs().sum()


def _loss_vectors_only(lib, a):
    return (lib.linalg.eig(a).eigenvectors.abs() ** 3).sum()


EIG_GRADS = [
    ("values_real", lambda: randn(2, 4, 4), _loss_values),
    ("values_complex", lambda: crandn(4, 4), _loss_values),
    ("vectors_real", lambda: randn(2, 4, 4), _loss_vectors),
    ("vectors_complex", lambda: crandn(2, 3, 3), _loss_vectors),
    ("vectors_only_real", lambda: randn(5, 5, seed=3), _loss_vectors_only),
]


@pytest.mark.parametrize("name, build, loss", EIG_GRADS, ids=[r[0] for r in EIG_GRADS])
def test_eig_gradients_match_torch(name, build, loss):
    a = build()
    e = ember.tensor(a, requires_grad=True)
    loss(ember, e).backward()
    t = torch.from_numpy(a).requires_grad_()
    loss(torch, t).backward()
    assert e.grad.dtype == e.dtype
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("loss", [_loss_values, _loss_vectors], ids=["values", "vectors"])
def test_eig_gradcheck(loss):
    a = ember.tensor(randn(4, 4, seed=7), requires_grad=True)
    assert gradcheck(lambda x: loss(ember, x), (a,))
    assert gradgradcheck(lambda x: loss(ember, x), (a,))


def test_eig_phase_dependent_loss_raises():
    a = ember.tensor(crandn(3, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}"):
        ember.linalg.eig(a).eigenvectors.real.sum().backward()
    t = torch.from_numpy(crandn(3, 3)).requires_grad_()
    with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}"):
        torch.linalg.eig(t).eigenvectors.real.sum().backward()


def _geqrf(a):
    """LAPACK's geqrf output (reflectors below the diagonal, tau) from torch."""
    h, tau = torch.geqrf(torch.from_numpy(a))
    return h.numpy(), tau.numpy()


# id, (A, tau) builder
HOUSEHOLDER = [
    ("random", lambda: (randn(5, 3), randn(3, seed=1))),
    ("batched_k_lt_n", lambda: (randn(2, 3, 6, 4), randn(2, 3, 2, seed=1))),
    ("square", lambda: (randn(4, 4), randn(4, seed=1))),
    ("no_reflectors", lambda: (randn(3, 2), randn(0, seed=1))),
    ("geqrf", lambda: _geqrf(randn(2, 5, 3))),
    ("complex", lambda: (crandn(2, 4, 3), crandn(2, 3, seed=1))),
]


@pytest.mark.parametrize("name, build", HOUSEHOLDER, ids=[r[0] for r in HOUSEHOLDER])
def test_householder_product_matches_torch(name, build):
    a, tau = build()
    got = ember.linalg.householder_product(ember.tensor(a), ember.tensor(tau))
    want = torch.linalg.householder_product(torch.from_numpy(a), torch.from_numpy(tau))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
    if name == "geqrf":  # the Q of a QR factorisation
        np.testing.assert_allclose(
            got.mH.matmul(got).numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12
        )


GRAD_ROWS = [r for r in HOUSEHOLDER if r[0] != "no_reflectors"]


@pytest.mark.parametrize("name, build", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_householder_product_gradients(name, build):
    a, tau = build()
    outs = []
    for lib, make in ((ember, ember.tensor), (torch, torch.from_numpy)):
        ta, tt = make(a).requires_grad_(), make(tau).requires_grad_()
        q = lib.linalg.householder_product(ta, tt)
        (q * make(np.random.default_rng(5).standard_normal(tuple(q.shape)))).abs().sum().backward()
        outs.append((ta.grad.numpy(), tt.grad.numpy()))
    for g, w in zip(*outs):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)
    if np.iscomplexobj(a):
        return
    ea, et = ember.tensor(a, requires_grad=True), ember.tensor(tau, requires_grad=True)
    assert gradcheck(ember.linalg.householder_product, (ea, et))


def test_orgqr_alias():
    assert ember.linalg.orgqr is ember.linalg.householder_product


# id, f(lib) that must raise, the exception type (torch's)
ERRORS = [
    ("eig_not_square", lambda m: m.linalg.eig(m.ones(2, 3)), RuntimeError),
    ("eig_vector", lambda m: m.linalg.eig(m.ones(3)), RuntimeError),
    ("eigvals_not_square", lambda m: m.linalg.eigvals(m.ones(2, 2, 3)), RuntimeError),
    ("hp_wide", lambda m: m.linalg.householder_product(m.ones(2, 3), m.ones(1)), RuntimeError),
    ("hp_k_gt_n", lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(3)), RuntimeError),
    ("hp_vector", lambda m: m.linalg.householder_product(m.ones(3), m.ones(1)), RuntimeError),
    (
        "hp_batch",
        lambda m: m.linalg.householder_product(m.ones(2, 3, 2), m.ones(3, 2)),
        RuntimeError,
    ),
    ("hp_ndim", lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(2, 2)), RuntimeError),
    (
        "hp_dtype",
        lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(2, dtype=m.float64)),
        RuntimeError,
    ),
]


@pytest.mark.parametrize("name, f, exc", ERRORS, ids=[r[0] for r in ERRORS])
def test_errors_match_torch(name, f, exc):
    for lib in (ember, torch):
        with pytest.raises(exc):
            f(lib)


def test_top_level_orgqr_is_householder_product():
    rng = np.random.default_rng(3)
    a, tau = rng.standard_normal((2, 5, 3)), rng.random((2, 3))
    got = ember.orgqr(ember.tensor(a), ember.tensor(tau))
    want = torch.orgqr(torch.tensor(a), torch.tensor(tau))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
