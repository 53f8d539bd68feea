"""Gradients through complex tensors, against PyTorch and central finite differences.

PyTorch's convention (NOTE [ complex gradients ] in ember/ops/_util.py): a real loss L of
z = x + iy has gradient dL/dx + i dL/dy, so a holomorphic y = f(z) gets grad * conj(f'(z)), and a
real input that meets a complex one gets the real part of its gradient.
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

REAL_OF = {np.complex64: np.float32, np.complex128: np.float64}


def _c(shape, dt, seed, shift=0.0):
    r = np.random.default_rng(seed)
    z = r.standard_normal(shape) + shift + 1j * r.standard_normal(shape)
    return z.astype(dt)


def _r(shape, dt, seed, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) + shift).astype(REAL_OF[dt])


def _chain(m, a, b):
    """A small complex model: linear layer, nonlinearities, normalisation by a real norm."""
    return m.tanh(a @ b).sigmoid() / (1 + a.abs().sum())


# Each row: name, fn(module, *tensors) written once for ember and torch, and its inputs as
# (kind, shape, shift): kind "c" complex, "r" real of the matching precision. ``shift`` moves
# the real parts away from branch cuts and poles (log, sqrt, pow on the negative real axis).
OPS = [
    ("add", lambda m, a, b: a + b, [("c", (2, 3), 0), ("c", (2, 3), 0)]),
    ("sub", lambda m, a, b: a - b, [("c", (2, 3), 0), ("c", (3,), 0)]),
    ("mul", lambda m, a, b: a * b, [("c", (2, 3), 0), ("c", (2, 3), 0)]),
    ("mul_self", lambda m, a: a * a, [("c", (4,), 0)]),
    ("div", lambda m, a, b: a / b, [("c", (2, 3), 0), ("c", (2, 3), 2)]),
    ("neg", lambda m, a: -a, [("c", (4,), 0)]),
    ("reciprocal", lambda m, a: a.reciprocal(), [("c", (4,), 1)]),
    ("pow_float", lambda m, a: a**2.5, [("c", (4,), 2)]),
    ("pow_int", lambda m, a: a**3, [("c", (4,), 0)]),
    ("pow_two", lambda m, a: a**2, [("c", (4,), 0)]),
    ("pow_complex", lambda m, a: a ** (0.5 - 1j), [("c", (4,), 2)]),
    ("pow_tensor", lambda m, a, b: a**b, [("c", (4,), 2), ("c", (4,), 0)]),
    ("rpow_real", lambda m, a: 2.0**a, [("c", (4,), 0)]),
    ("rpow_complex", lambda m, a: (1 + 1j) ** a, [("c", (4,), 0)]),
    ("exp", lambda m, a: m.exp(a), [("c", (4,), 0)]),
    ("log", lambda m, a: m.log(a), [("c", (4,), 2)]),
    ("sqrt", lambda m, a: m.sqrt(a), [("c", (4,), 2)]),
    ("sin", lambda m, a: m.sin(a), [("c", (4,), 0)]),
    ("cos", lambda m, a: m.cos(a), [("c", (4,), 0)]),
    ("tanh", lambda m, a: m.tanh(a), [("c", (4,), 0)]),
    ("sigmoid", lambda m, a: m.sigmoid(a), [("c", (4,), 0)]),
    ("abs", lambda m, a: m.abs(a), [("c", (2, 3), 0)]),
    ("sum", lambda m, a: a.sum(0) * a[0], [("c", (2, 3), 0)]),
    ("mean", lambda m, a: a.mean(-1) * a[:, 0], [("c", (2, 3), 0)]),
    ("matmul", lambda m, a, b: m.matmul(a, b), [("c", (2, 3), 0), ("c", (3, 4), 0)]),
    ("matmul_bcast", lambda m, a, b: a @ b, [("c", (2, 2, 3), 0), ("c", (3, 2), 0)]),
    ("matmul_vec", lambda m, a, b: a @ b, [("c", (2, 3), 0), ("c", (3,), 0)]),
    ("mm", lambda m, a, b: m.mm(a, b), [("c", (2, 3), 0), ("c", (3, 2), 0)]),
    ("bmm", lambda m, a, b: m.bmm(a, b), [("c", (2, 2, 3), 0), ("c", (2, 3, 2), 0)]),
    ("mH", lambda m, a: a @ a.mH, [("c", (2, 3), 0)]),
    ("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [("c", (2, 3), 0), ("c", (3, 2), 0)]),
    ("conj", lambda m, a: m.conj(a) * a, [("c", (4,), 0)]),
    ("real", lambda m, a: m.real(a) * m.imag(a), [("c", (4,), 0)]),
    ("imag", lambda m, a: m.imag(a * a), [("c", (4,), 0)]),
    ("angle", lambda m, a: m.angle(a), [("c", (4,), 0)]),
    ("view_as_real", lambda m, a: m.view_as_real(a * a), [("c", (2, 3), 0)]),
    ("view_as_complex", lambda m, a: m.view_as_complex(a).exp(), [("r", (3, 2), 0)]),
    ("polar", lambda m, a, b: m.polar(a, b) ** 2, [("r", (4,), 2), ("r", (4,), 0)]),
    ("chain", _chain, [("c", (2, 3), 0), ("c", (3, 2), 0)]),
    # real tensors mixed with complex ones: promoted, broadcast, real part of the gradient
    ("mixed_mul", lambda m, a, b: a * b, [("r", (2, 3), 0), ("c", (2, 3), 0)]),
    ("mixed_add_bcast", lambda m, a, b: a + b, [("c", (2, 3), 0), ("r", (3,), 0)]),
    ("mixed_mul_bcast", lambda m, a, b: a * b, [("r", (2, 1), 0), ("c", (2, 3), 0)]),
    ("mixed_div", lambda m, a, b: a / b, [("r", (3,), 0), ("c", (2, 3), 2)]),
    ("mixed_rdiv", lambda m, a, b: b / a, [("r", (3,), 2), ("c", (2, 3), 0)]),
    ("mixed_scalar", lambda m, a: (a * (1 + 2j)).exp(), [("r", (4,), 0)]),
    ("mixed_pow", lambda m, a, b: a**b, [("r", (4,), 3), ("c", (4,), 0)]),
    ("mixed_matmul", lambda m, a, b: a.to(b.dtype) @ b, [("r", (2, 3), 0), ("c", (3, 2), 0)]),
]
IDS = [row[0] for row in OPS]


def _inputs(spec, dt, seed=0):
    return [
        (_c if kind == "c" else _r)(shape, dt, seed + i, shift)
        for i, (kind, shape, shift) in enumerate(spec)
    ]


def _grad_output(y, seed=7):
    """A random grad_output of y's shape and dtype (complex when y is)."""
    dt = y.detach().numpy().dtype
    if dt.kind == "c":
        return _c(tuple(y.shape), dt.type, seed)
    return np.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(dt)


def _loss(y, kind):
    """A real loss: sum of |y|, or of |y|^2 written as y * conj(y)."""
    return y.abs().sum() if kind == "abs" else (y * y.conj()).real.sum()


def _grads(mod, fn, arrays, kind):
    """Gradients of the inputs of ``fn`` (``mod`` is ember or torch) for one kind of loss."""
    ts = [mod.tensor(a, requires_grad=True) for a in arrays]
    y = fn(mod, *ts)
    if kind == "grad_output":
        y.backward(mod.tensor(_grad_output(y)))
    else:
        _loss(y, kind).backward()
    return [t.grad for t in ts]


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if dt is np.complex64 else dict(rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128], ids=["c64", "c128"])
@pytest.mark.parametrize("kind", ["abs", "sq", "grad_output"])
@pytest.mark.parametrize("name,fn,spec", OPS, ids=IDS)
def test_grad_matches_torch(name, fn, spec, kind, dt):
    arrays = _inputs(spec, dt)
    got = _grads(ember, fn, arrays, kind)
    want = _grads(torch, fn, arrays, kind)
    for g, w in zip(got, want):
        assert g is not None, name
        assert g.dtype.is_complex == w.dtype.is_complex, (name, g.dtype, w.dtype)
        assert g.numpy().dtype == w.numpy().dtype
        np.testing.assert_allclose(g.numpy(), w.numpy(), **_tol(dt), err_msg=name)


def _finite_diff(fn, arrays, v, eps=1e-6):
    """d/dx + i d/dy of L = Re(sum(conj(v) * fn(inputs))) by central differences."""

    def loss(arrs):
        y = fn(ember, *[ember.tensor(a) for a in arrs]).numpy()
        return np.real(np.sum(np.conj(v) * y))

    out = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        units = (1, 1j) if a.dtype.kind == "c" else (1,)
        for idx in np.ndindex(a.shape):
            for u in units:
                plus = [x.copy() for x in arrays]
                minus = [x.copy() for x in arrays]
                plus[i][idx] += eps * u
                minus[i][idx] -= eps * u
                g[idx] += u * (loss(plus) - loss(minus)) / (2 * eps)
        out.append(g)
    return out


@pytest.mark.parametrize("name,fn,spec", OPS, ids=IDS)
def test_grad_matches_finite_differences(name, fn, spec):
    arrays = _inputs(spec, np.complex128, seed=3)
    ts = [ember.tensor(a, requires_grad=True) for a in arrays]
    y = fn(ember, *ts)
    v = _grad_output(y, seed=11)
    y.backward(ember.tensor(v))
    for t, want in zip(ts, _finite_diff(fn, arrays, v)):
        np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-6, atol=1e-7, err_msg=name)


DOUBLE = ["mul", "div", "reciprocal", "pow_float", "exp", "log", "sqrt", "sin", "tanh"]
DOUBLE += ["sigmoid", "abs", "matmul", "mixed_mul_bcast", "chain"]


@pytest.mark.parametrize("name", DOUBLE)
def test_double_backward_matches_torch(name):
    """The same backward formulas give second derivatives (create_graph) on complex inputs."""
    fn, spec = next((f, s) for n, f, s in OPS if n == name)
    arrays = _inputs(spec, np.complex128, seed=5)

    def run(mod):
        ts = [mod.tensor(a, requires_grad=True) for a in arrays]
        y = fn(mod, *ts)
        gs = mod.autograd.grad(y.abs().sum(), ts, create_graph=True)
        sum((g * g.conj()).real.sum() for g in gs).backward()
        return [t.grad for t in ts]

    for g, w in zip(run(ember), run(torch)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-8, atol=1e-9, err_msg=name)


def test_holomorphic_rule_is_conjugated_derivative():
    """The reported case: d|w*w|/dw in PyTorch's convention is 2 * w, not 2 * conj(w) * ..."""
    w = np.array([1 + 2j, 3 - 1j], dtype=np.complex64)
    e = ember.tensor(w, requires_grad=True)
    (e * e).abs().sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), [2 + 4j, 6 - 2j], rtol=1e-6)


def test_mixed_real_input_gets_real_gradient_after_broadcast():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = ember.tensor(_c((4, 3), np.complex64, 1))
    (x * z).abs().sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.shape == (3,)
    xt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (xt * torch.tensor(z.numpy())).abs().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5)


def test_backward_of_complex_scalar_needs_grad_output():
    z = ember.tensor([1 + 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (z * z).sum().backward()
    zt = torch.tensor([1 + 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (zt * zt).sum().backward()


def test_real_gradients_unchanged():
    """Real inputs take the real-number path: same values as PyTorch, real dtype."""
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)

    def run(mod):
        x, y = mod.tensor(a, requires_grad=True), mod.tensor(b, requires_grad=True)
        ((x @ y).tanh() * 2.0 + (x.abs() + 1).log().sum() / (y**2).sum()).sum().backward()
        return x.grad, y.grad

    for g, w in zip(run(ember), run(torch)):
        assert g.dtype == ember.float32
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on 0 ** -1.5, as PyTorch's inf
@pytest.mark.parametrize("base", [0.0, 0j, -2.0, 2.0, -2 + 1j])
def test_pow_scalar_base_edge_cases_match_torch(base):
    """Zero and negative bases: log(0) = -inf and the 0 ** (b >= 0) mask, as in PyTorch."""
    ex = np.array([-1.5 + 1j, 0.0, 2.0, 3.0 + 0.5j, -1.0])
    v = np.full(5, 1 + 1j)

    def run(mod, form):
        x = mod.tensor(ex, requires_grad=True)
        y = base**x if form == "rpow" else mod.pow(base, x)
        y.backward(mod.tensor(v))
        return x.grad.numpy()

    for form in ("rpow", "pow"):
        np.testing.assert_allclose(run(ember, form), run(torch, form), rtol=1e-10, equal_nan=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pow_python_zero_base_real():
    """ember.pow(0.0, x) has PyTorch's gradient (it used to raise a math domain error)."""
    ex = np.array([-1.5, 0.0, 2.0])

    def run(mod):
        x = mod.tensor(ex, requires_grad=True)
        mod.pow(0.0, x).sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run(ember), run(torch))
