"""ember.fft, ember.stft/istft and complex norm/prod/cumprod against PyTorch.

One table of transform calls drives values, dtypes and shapes (every input dtype), gradients
(real-valued losses and complex grad_outputs, against torch), central finite differences in
double precision and double backward. Gradient conventions: NOTE [ fft gradients ] in
ember/fft.py and NOTE [ complex gradients ] in ember/ops/_util.py.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

# name, kwargs, input shape: odd and even sizes, n/s padding and cropping, negative and
# reordered dims, every norm mode
CASES = [
    ("fft", {}, (5,)),
    ("fft", {"n": 8}, (3, 5)),
    ("fft", {"n": 3, "dim": 0, "norm": "ortho"}, (4, 5)),
    ("fft", {"norm": "forward", "dim": -2}, (4, 3)),
    ("ifft", {}, (6,)),
    ("ifft", {"n": 7, "norm": "ortho"}, (2, 4)),
    ("ifft", {"n": 2, "norm": "forward"}, (2, 5)),
    ("fft2", {}, (3, 4)),
    ("fft2", {"s": (5, 2), "norm": "ortho"}, (2, 3, 4)),
    ("ifft2", {"dim": (0, 2), "norm": "forward"}, (3, 2, 5)),
    ("fftn", {}, (2, 3, 4)),
    ("fftn", {"s": (3, -1)}, (2, 4, 3)),
    ("fftn", {"dim": (-1, 0), "norm": "ortho"}, (3, 2, 4)),
    ("ifftn", {"s": (4, 2, 3), "norm": "forward"}, (3, 3, 3)),
    ("ifftn", {"dim": 1}, (2, 5)),
    ("rfft", {}, (6,)),
    ("rfft", {}, (7,)),
    ("rfft", {"n": 9, "norm": "ortho"}, (3, 6)),
    ("rfft", {"n": 4, "dim": 0, "norm": "forward"}, (6, 3)),
    ("irfft", {}, (5,)),
    ("irfft", {"n": 7}, (3, 5)),
    ("irfft", {"n": 12, "norm": "forward"}, (4,)),
    ("irfft", {"dim": 0, "norm": "ortho", "n": 3}, (4, 3)),
    ("rfft2", {}, (3, 5)),
    ("rfft2", {"s": (2, 6), "norm": "ortho"}, (2, 3, 4)),
    ("irfft2", {"s": (4, 5)}, (3, 3)),
    ("irfft2", {"norm": "forward"}, (2, 3, 4)),
    ("rfftn", {"dim": (2, 0)}, (3, 2, 5)),
    ("rfftn", {"s": (4, 4), "norm": "forward"}, (2, 3, 5)),
    ("irfftn", {"s": (3, 6), "norm": "ortho"}, (2, 3, 4)),
    ("irfftn", {"dim": (1, 0)}, (3, 4)),
    ("hfft", {}, (5,)),
    ("hfft", {"n": 7, "norm": "ortho"}, (2, 4)),
    ("hfft", {"n": 4, "dim": 0, "norm": "forward"}, (4, 2)),
    ("ihfft", {}, (6,)),
    ("ihfft", {"n": 5, "norm": "forward"}, (2, 6)),
    ("ihfft", {"norm": "ortho", "dim": 0}, (7, 2)),
    ("hfft2", {}, (3, 4)),
    ("hfft2", {"s": (2, 5), "norm": "ortho"}, (2, 3, 3)),
    ("ihfft2", {"s": (4, 5)}, (3, 6)),
    ("ihfft2", {"norm": "forward"}, (2, 3, 4)),
    ("hfftn", {"dim": (0, 2), "norm": "forward"}, (3, 2, 4)),
    ("hfftn", {}, (2, 3)),
    ("ihfftn", {"norm": "ortho"}, (2, 3, 5)),
    ("ihfftn", {"s": (3, 4), "dim": (-1, -2)}, (2, 3)),
]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]
REAL_ONLY = {"rfft", "rfft2", "rfftn", "ihfft", "ihfft2", "ihfftn"}
DTYPES = {"f32": np.float32, "f64": np.float64, "c64": np.complex64, "c128": np.complex128}


def _array(shape, dt, seed=0):
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        a = a + 1j * r.standard_normal(shape)
    return a.astype(dt)


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    return t.detach().numpy()


def _tol(dt):
    single = np.dtype(dt) in (np.dtype(np.float32), np.dtype(np.complex64))
    return dict(rtol=1e-5, atol=1e-5) if single else dict(rtol=1e-10, atol=1e-10)


def _call(mod, name, kwargs, x):
    return getattr(mod.fft, name)(x, **kwargs)


@pytest.mark.parametrize("dt", list(DTYPES), ids=list(DTYPES))
@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_values_dtypes_shapes(name, kwargs, shape, dt):
    a = _array(shape, DTYPES[dt])
    if name in REAL_ONLY and a.dtype.kind == "c":
        with pytest.raises(RuntimeError, match="expects a real input tensor"):
            _call(ember, name, kwargs, ember.tensor(a))
        with pytest.raises(RuntimeError):
            _call(torch, name, kwargs, torch.tensor(a))
        return
    got = _call(ember, name, kwargs, ember.tensor(a))
    want = _call(torch, name, kwargs, torch.tensor(a))
    assert tuple(got.shape) == tuple(want.shape)
    assert _np(got).dtype == _np(want).dtype
    np.testing.assert_allclose(_np(got), _np(want), **_tol(a.dtype))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "hfft", "ihfft", "fftn"])
def test_integer_and_bool_inputs_use_the_default_float_dtype(name):
    a = np.arange(6)
    for arr in (a, a % 2 == 0):
        got, want = (
            getattr(ember.fft, name)(ember.tensor(arr)),
            getattr(torch.fft, name)(torch.tensor(arr)),
        )
        assert _np(got).dtype == _np(want).dtype
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-5)
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.fft.fft(ember.tensor(a)).dtype == ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)


# -- gradients ---------------------------------------------------------------------------------


def _grad_output(y, seed=7):
    return _array(tuple(y.shape), _np(y).dtype.type, seed)


def _loss(mod, y, kind, weights):
    if kind == "abs":  # a real loss that weights each output differently
        return (y.abs() * mod.tensor(weights)).sum()
    if kind == "sq":
        return ((y * y.conj()).real * mod.tensor(weights)).sum()
    raise ValueError(kind)


def _grad(mod, name, kwargs, a, kind):
    x = mod.tensor(a, requires_grad=True)
    y = _call(mod, name, kwargs, x)
    if kind == "grad_output":
        y.backward(mod.tensor(_grad_output(y)))
    else:
        w = np.random.default_rng(3).uniform(0.5, 2.0, tuple(y.shape))
        _loss(mod, y, kind, w.astype(_np(y.real if y.is_complex() else y).dtype)).backward()
    return x.grad


@pytest.mark.parametrize("dt", ["f64", "c128", "f32"])
@pytest.mark.parametrize("kind", ["abs", "sq", "grad_output"])
@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_grad_matches_torch(name, kwargs, shape, kind, dt):
    a = _array(shape, DTYPES[dt], seed=1)
    if name in REAL_ONLY and a.dtype.kind == "c":
        return
    got = _grad(ember, name, kwargs, a, kind)
    want = _grad(torch, name, kwargs, a, kind)
    assert got is not None
    assert _np(got).dtype == _np(want).dtype
    tol = dict(rtol=1e-4, atol=1e-4) if dt == "f32" else dict(rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_np(got), _np(want), **tol)


def _finite_diff(name, kwargs, a, v, eps=1e-6):
    """d/dx + i d/dy of L = Re(sum(conj(v) * f(a))) by central differences."""

    def loss(arr):
        y = _np(_call(ember, name, kwargs, ember.tensor(arr)))
        return np.real(np.sum(np.conj(v) * y))

    g = np.zeros_like(a)
    units = (1, 1j) if a.dtype.kind == "c" else (1,)
    for idx in np.ndindex(a.shape):
        for u in units:
            hi, lo = a.copy(), a.copy()
            hi[idx] += eps * u
            lo[idx] -= eps * u
            g[idx] += u * (loss(hi) - loss(lo)) / (2 * eps)
    return g


@pytest.mark.parametrize("dt", ["f64", "c128"])
@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_grad_matches_finite_differences(name, kwargs, shape, dt):
    a = _array(shape, DTYPES[dt], seed=2)
    if name in REAL_ONLY and a.dtype.kind == "c":
        return
    x = ember.tensor(a, requires_grad=True)
    y = _call(ember, name, kwargs, x)
    v = _grad_output(y, seed=5)
    y.backward(ember.tensor(v))
    np.testing.assert_allclose(_np(x.grad), _finite_diff(name, kwargs, a, v), atol=1e-6)


@pytest.mark.parametrize(
    "name,kwargs,dt",
    [
        ("fft", {"norm": "ortho"}, "c128"),
        ("fft", {"n": 7}, "f64"),
        ("rfft", {}, "f64"),
        ("rfft", {"n": 5, "norm": "forward"}, "f64"),
        ("irfft", {}, "c128"),
        ("irfft", {"n": 7, "norm": "ortho"}, "c128"),
        ("hfft", {}, "c128"),
        ("ihfft", {"norm": "forward"}, "f64"),
        ("rfft2", {}, "f64"),
        ("irfftn", {"s": (3, 4)}, "c128"),
    ],
)
def test_double_backward_matches_torch(name, kwargs, dt):
    a = _array((3, 6), DTYPES[dt], seed=4)

    def run(mod):
        x = mod.tensor(a, requires_grad=True)
        y = _call(mod, name, kwargs, x)
        loss = (y.abs() ** 3).sum()  # not quadratic, so the second derivative is not constant
        (g,) = mod.autograd.grad(loss, x, create_graph=True)
        ((g * g.conj()).real.sum() if g.is_complex() else (g * g).sum()).backward()
        return x.grad

    np.testing.assert_allclose(_np(run(ember)), _np(run(torch)), rtol=1e-8, atol=1e-9)


# -- errors ------------------------------------------------------------------------------------

ERRORS = [
    ("fft", {"norm": "bad"}),
    ("rfft", {"norm": "Ortho"}),
    ("fft", {"n": 0}),
    ("ifft", {"n": -1}),
    ("irfft", {"n": 0}),
    ("rfft", {"n": 0}),
    ("fft", {"dim": 3}),
    ("fftn", {"s": (2, 3), "dim": (0,)}),
    ("fftn", {"dim": (0, 0)}),
    ("fftn", {"s": (2, 3, 4)}),
    ("fft2", {"s": (0, 2)}),
    ("irfftn", {"s": (3, 0)}),
]


@pytest.mark.parametrize("name,kwargs", ERRORS)
def test_errors_match_torch(name, kwargs):
    with pytest.raises(Exception) as want:
        _call(torch, name, kwargs, torch.ones(4, 4))
    with pytest.raises(want.type):
        _call(ember, name, kwargs, ember.ones(4, 4))


def test_error_cases():
    with pytest.raises(RuntimeError, match='Invalid normalization mode: "bad"'):
        ember.fft.fft(ember.ones(4), norm="bad")
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\)"):
        ember.fft.irfft(ember.ones(1))  # default n = 2 * (1 - 1)
    with pytest.raises(RuntimeError, match="Unsupported dtype Half"):
        ember.fft.fft(ember.ones(4, dtype=ember.float16))
    with pytest.raises(IndexError):
        ember.fft.fft(ember.tensor(1.0))
    assert ember.fft.fftn(ember.tensor(2.0)).item() == 2


# -- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n,d", [(1, 1.0), (4, 1.0), (5, 0.5), (8, 0.1)])
def test_fftfreq_rfftfreq(n, d):
    for fn in ("fftfreq", "rfftfreq"):
        got, want = getattr(ember.fft, fn)(n, d), getattr(torch.fft, fn)(n, d)
        assert got.dtype == ember.float32
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-6, atol=1e-7)
        got = getattr(ember.fft, fn)(n, d, dtype=ember.float64, requires_grad=True)
        want = getattr(torch.fft, fn)(n, d, dtype=torch.float64)
        assert got.dtype == ember.float64 and got.requires_grad
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12)


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (1,)])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 6, 2)])
def test_fftshift_ifftshift(shape, dim):
    if dim is not None and max(np.atleast_1d(dim)) >= len(shape):
        return
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    for fn in ("fftshift", "ifftshift"):
        x = ember.tensor(a, requires_grad=True)
        got = getattr(ember.fft, fn)(x, dim=dim)
        want = getattr(torch.fft, fn)(torch.tensor(a), dim=dim)
        np.testing.assert_array_equal(_np(got), _np(want))
        (got * ember.tensor(a)).sum().backward()  # the gradient is shifted back
        back = getattr(ember.fft, "ifftshift" if fn == "fftshift" else "fftshift")(
            ember.tensor(a), dim=dim
        )
        np.testing.assert_array_equal(_np(x.grad), _np(back))
    x = ember.tensor(a)
    np.testing.assert_array_equal(_np(ember.fft.ifftshift(ember.fft.fftshift(x, dim), dim)), a)


def test_import_ember_does_not_load_fft_and_fft_is_a_submodule():
    code = (
        "import sys, ember\n"
        "ember.zeros(2).sum()\n"
        "assert 'ember.fft' not in sys.modules and 'ember._spectral' not in sys.modules\n"
        "assert hasattr(ember, 'fft') and 'ember.fft' in sys.modules\n"
        "assert ember.stft is not None and hasattr(ember.Tensor, 'istft')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    import ember.fft as fft_module

    assert ember.fft is fft_module
    assert set(fft_module.__all__) <= set(dir(torch.fft))


def test_docstring_examples_run():
    import doctest

    import ember._spectral
    import ember.fft

    for mod in (ember.fft, ember._spectral):
        res = doctest.testmod(
            mod, extraglobs={"ember": ember}, optionflags=doctest.NORMALIZE_WHITESPACE
        )
        assert res.failed == 0 and res.attempted > 0, mod.__name__


def test_fake_cuda_results_and_gradients_stay_on_the_device():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from fake_cupy import installed

    a = _array((3, 8), np.float32)
    ref = ember.tensor(a, requires_grad=True)
    (ember.fft.irfft(ember.fft.rfft(ref) * 2j) ** 2).sum().backward()
    with installed():
        x = ember.tensor(a, device="cuda", requires_grad=True)
        y = ember.fft.irfft(ember.fft.rfft(x) * 2j)
        (y**2).sum().backward()
        assert y.device.type == "cuda" and x.grad.device.type == "cuda"
        np.testing.assert_allclose(x.grad.cpu().numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-5)


# -- stft / istft ------------------------------------------------------------------------------

STFT = [
    dict(n_fft=16),
    dict(n_fft=16, hop_length=5, win_length=10),
    dict(n_fft=15, center=False),
    dict(n_fft=16, normalized=True, onesided=False),
    dict(n_fft=16, pad_mode="constant", hop_length=3),
    dict(n_fft=8, pad_mode="replicate", win_length=7),
]


def _window(mod, kw, kind, dtype):
    wl = kw.get("win_length", kw["n_fft"])
    if kind is None:
        return None
    return mod.hann_window(wl, dtype=dtype)


@pytest.mark.parametrize("win", [None, "hann"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("kw", STFT, ids=[str(i) for i in range(len(STFT))])
def test_stft_istft_match_torch(kw, batched, win):
    a = _array((2, 50) if batched else (41,), np.float64, seed=8)
    we, wt = _window(ember, kw, win, ember.float64), _window(torch, kw, win, torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = ember.tensor(a, requires_grad=True)
        xt = torch.tensor(a, requires_grad=True)
        S, St = (
            ember.stft(x, window=we, return_complex=True, **kw),
            torch.stft(xt, window=wt, return_complex=True, **kw),
        )
        assert tuple(S.shape) == tuple(St.shape) and S.dtype == ember.complex128
        np.testing.assert_allclose(_np(S), _np(St), rtol=1e-10, atol=1e-10)
        v = _array(tuple(S.shape), np.complex128, seed=9)
        S.backward(ember.tensor(v))
        St.backward(torch.tensor(v))
        np.testing.assert_allclose(_np(x.grad), _np(xt.grad), rtol=1e-10, atol=1e-10)
        if win is None or not kw.get("center", True):
            return  # a periodic Hann window is 0 at a frame's first sample (NOLA fails)
        ikw = {k: v for k, v in kw.items() if k != "pad_mode"}
        Sd, Std = S.detach().requires_grad_(), St.detach().requires_grad_()
        y = ember.istft(Sd, window=we, length=a.shape[-1], **ikw)
        yt = torch.istft(Std, window=wt, length=a.shape[-1], **ikw)
        np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(_np(y), a, atol=1e-10)  # the round trip is lossless
        g = _array(tuple(y.shape), np.float64, seed=10)
        y.backward(ember.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(_np(Sd.grad), _np(Std.grad), rtol=1e-9, atol=1e-10)


def test_istft_variants_and_window_gradient():
    a = _array((2, 40), np.float32, seed=11)
    rng = np.random.default_rng(12)
    w0 = rng.uniform(0.5, 1.5, 16).astype(np.float32)
    results = []
    for mod in (ember, torch):
        w = mod.tensor(w0, requires_grad=True)
        S = mod.stft(mod.tensor(a), 16, 4, window=w, return_complex=True)
        full = mod.stft(mod.tensor(a), 16, 4, window=w, return_complex=True, onesided=False)
        y1 = mod.istft(S, 16, 4, window=w)  # no length: the centre padding is cut
        y2 = mod.istft(full, 16, 4, window=w, return_complex=True)
        y3 = mod.istft(full, 16, 4, window=w)  # two-sided, real output
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y4 = mod.istft(S, 16, 4, window=w, length=60)  # zero-padded tail
        (y1.sum() + y2.abs().sum() + y3.pow(2).sum() + (S.abs() ** 2).sum()).backward()
        results.append([_np(t) for t in (y1, y2, y3, y4, w.grad)])
    for got, want in zip(*results):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_stft_return_complex_false_and_tensor_methods():
    a = _array((30,), np.float32, seed=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = ember.tensor(a).stft(8, return_complex=False)
        want = torch.tensor(a).stft(8, return_complex=False)
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-5)
        S = ember.tensor(a).stft(8, window=ember.hann_window(8), return_complex=True)
        y = S.istft(8, window=ember.hann_window(8), length=30)
    np.testing.assert_allclose(_np(y), a, atol=1e-5)
    c = _array((30,), np.complex64, seed=14)
    got = ember.stft(ember.tensor(c), 8, window=ember.ones(8))
    want = torch.stft(torch.tensor(c), 8, window=torch.ones(8))
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-5)


def _stft_errors(mod):
    x = mod.ones(2, 50)
    w = mod.hann_window(16)
    S = mod.stft(x, 16, 4, window=w, return_complex=True)
    return [
        lambda: mod.stft(x, 16),  # return_complex is required for real input
        lambda: mod.stft(x.to(mod.complex64), 16, return_complex=True, onesided=True),
        lambda: mod.stft(x, 16, pad_mode="bogus", return_complex=True),
        lambda: mod.stft(x, 16, win_length=20, return_complex=True),
        lambda: mod.stft(x[:, :5], 16, center=False, return_complex=True),
        lambda: mod.stft(mod.ones(2, 2, 50), 16, return_complex=True),
        lambda: mod.stft(x, 16, window=mod.ones(10), return_complex=True),
        lambda: mod.istft(S.real.contiguous(), 16, 4, window=w),
        lambda: mod.istft(S, 16, 20, window=w),
        lambda: mod.istft(S, 16, 4, window=w, return_complex=True),
        lambda: mod.istft(S, 16, 4, window=w, center=False),  # NOLA: window is 0 at sample 0
        lambda: mod.istft(S[:, :5], 16, 4, window=w),
    ]


def test_stft_istft_errors_match_torch():
    for want_fn, got_fn in zip(_stft_errors(torch), _stft_errors(ember)):
        with pytest.raises(Exception) as want:
            want_fn()
        with pytest.raises(want.type):
            got_fn()


# -- complex norm, prod, cumprod ---------------------------------------------------------------

REDUCTIONS = [
    ("norm", lambda m, x: m.norm(x)),
    ("norm_dim", lambda m, x: x.norm(dim=1)),
    ("norm_p1", lambda m, x: x.norm(p=1, dim=0, keepdim=True)),
    ("norm_p3", lambda m, x: m.norm(x, p=3)),
    ("norm_inf", lambda m, x: x.norm(p=float("inf"), dim=1)),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, dim=(0, 1))),
    ("vector_norm_p3", lambda m, x: m.linalg.vector_norm(x, ord=3, dim=-1)),
    ("linalg_norm", lambda m, x: m.linalg.norm(x)),
    ("prod", lambda m, x: x.prod()),
    ("prod_dim", lambda m, x: m.prod(x, 1)),
    ("prod_keepdim", lambda m, x: x.prod(0, keepdim=True)),
    ("cumprod", lambda m, x: m.cumprod(x, 1)),
    ("cumprod_0", lambda m, x: x.cumprod(0)),
]


@pytest.mark.parametrize("dt", ["c128", "c64", "f64"])
@pytest.mark.parametrize("kind", ["abs", "grad_output"])
@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_complex_norm_prod_cumprod_match_torch(name, fn, kind, dt):
    a = _array((3, 4), DTYPES[dt], seed=15)
    out = []
    for mod in (ember, torch):
        x = mod.tensor(a, requires_grad=True)
        y = fn(mod, x)
        if kind == "grad_output":
            y.backward(mod.tensor(_grad_output(y, seed=16)))
        else:
            y.abs().sum().backward()
        out.append((y, x.grad))
    (y, g), (yt, gt) = out
    assert _np(y).dtype == _np(yt).dtype and tuple(y.shape) == tuple(yt.shape)
    tol = dict(rtol=1e-4, atol=1e-5) if dt == "c64" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(y), _np(yt), **tol)
    np.testing.assert_allclose(_np(g), _np(gt), **tol)
