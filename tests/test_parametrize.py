"""nn.utils parametrize / parametrizations / weight_norm / spectral_norm / fusion /
functional_call, each checked against PyTorch with the same weights copied in."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")
tfunc = pytest.importorskip("torch.func")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch's old weight_norm

E, T = ember.nn.utils, torch.nn.utils


def _load(em, tm, strict=True):
    """Copy torch module ``tm``'s whole state (parameters and buffers) into ember's ``em``."""
    sd = {k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(sd, strict=strict)


def _same_state(em, tm, rtol=1e-5, atol=1e-6):
    esd, tsd = em.state_dict(), tm.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        assert_close(esd[k], tsd[k], rtol=rtol, atol=atol)


def _x(*shape, seed=1):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return ember.tensor(a), torch.tensor(a)


def _pair(make):
    """The same module built in ember and torch, with torch's weights copied into ember's."""
    tm, em = make(torch), make(ember)
    _load(em, tm)
    return em, tm


def _raises_like(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)):
        fe()


def _classes(lib):
    class Sym(lib.nn.Module):
        def forward(self, X):  # noqa: N803
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):  # noqa: N803
            return A.triu()

    class Scale(lib.nn.Module):
        def forward(self, X):  # noqa: N803
            return 2 * X

        def right_inverse(self, Y):  # noqa: N803
            return Y / 2

    class NoInverse(lib.nn.Module):
        def forward(self, X):  # noqa: N803
            return X * 3

    class Split(lib.nn.Module):
        def forward(self, a, b):
            return a + 2 * b

        def right_inverse(self, X):  # noqa: N803
            return X / 3, X / 3

    class Shrink(lib.nn.Module):
        def forward(self, X):  # noqa: N803
            return X[:1]

    return Sym, Scale, NoInverse, Split, Shrink


# -- parametrize ---------------------------------------------------------------------------------


def test_stacked_parametrizations_forward_grad_state_dict_assign_remove():
    em, tm = _pair(lambda lib: lib.nn.Linear(3, 3))
    for lib, m in ((torch, tm), (ember, em)):
        sym, scale, *_ = _classes(lib)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", sym())
        lib.nn.utils.parametrize.register_parametrization(m, "weight", scale())
    assert type(em).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert isinstance(em, ember.nn.Linear)
    assert E.parametrize.type_before_parametrizations(em) is ember.nn.Linear
    assert E.parametrize.is_parametrized(em) and E.parametrize.is_parametrized(em, "weight")
    assert not E.parametrize.is_parametrized(em, "bias")
    assert "weight" not in em._parameters
    _same_state(em, tm)
    assert_close(em.weight, tm.weight)
    xe, xt = _x(4, 3)
    em(xe).pow(2).sum().backward()
    tm(xt).pow(2).sum().backward()
    assert_close(em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad)
    assert_close(em.bias.grad, tm.bias.grad)
    # Assignment goes through right_inverse (Scale's, then Sym's); the Parameter stays the same.
    orig = em.parametrizations.weight.original
    new = np.arange(9, dtype=np.float32).reshape(3, 3)
    em.weight = ember.tensor(new)
    tm.weight = torch.tensor(new)
    assert em.parametrizations.weight.original is orig
    _same_state(em, tm)
    assert_close(em.weight, tm.weight)
    # A checkpoint from torch loads into the parametrized ember module.
    em2 = ember.nn.Linear(3, 3)
    for p in _classes(ember)[:2]:
        E.parametrize.register_parametrization(em2, "weight", p())
    _load(em2, tm)
    assert_close(em2.weight, tm.weight)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    em, tm = _pair(lambda lib: lib.nn.Linear(3, 3))
    for lib, m in ((torch, tm), (ember, em)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _classes(lib)[0]())
    orig = em.parametrizations.weight.original
    E.parametrize.remove_parametrizations(em, "weight", leave_parametrized=leave)
    T.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=leave)
    assert type(em) is ember.nn.Linear and not hasattr(em, "parametrizations")
    assert em.weight is orig and isinstance(em.weight, ember.nn.Parameter)
    _same_state(em, tm)
    assert list(em.state_dict()) == ["bias", "weight"]  # as torch: re-registered last


def test_sequence_right_inverse_original0_original1():
    em, tm = _pair(lambda lib: lib.nn.Linear(2, 3))
    for lib, m in ((torch, tm), (ember, em)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _classes(lib)[3]())
    _same_state(em, tm)
    assert "parametrizations.weight.original1" in em.state_dict()
    assert_close(em.weight, tm.weight)
    _raises_like(
        lambda: E.parametrize.remove_parametrizations(em, "weight", leave_parametrized=False),
        lambda: T.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=False),
    )
    E.parametrize.remove_parametrizations(em, "weight")
    T.parametrize.remove_parametrizations(tm, "weight")
    _same_state(em, tm)


def test_cached_computes_once():
    calls = []

    class Count(ember.nn.Module):
        def forward(self, X):  # noqa: N803
            calls.append(1)
            return X + 1

    m = E.parametrize.register_parametrization(ember.nn.Linear(2, 2), "weight", Count())
    calls.clear()
    with E.parametrize.cached():
        a, b = m.weight, m.weight
        with E.parametrize.cached():
            assert m.weight is a
    assert a is b and len(calls) == 1
    assert m.weight is not a and len(calls) == 2


def test_deepcopy_and_pickle():
    m = E.parametrize.register_parametrization(
        ember.nn.Linear(3, 3), "weight", _classes(ember)[0]()
    )
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    assert_close(c.weight, m.weight)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)


def test_parametrize_error_cases_match_torch():
    def run(lib, what):
        sym, scale, noinv, split, shrink = _classes(lib)
        P = lib.nn.utils.parametrize  # noqa: N806
        m = lib.nn.Linear(3, 3)
        if what == "no_such_tensor":
            P.register_parametrization(m, "nope", sym())
        elif what == "shape_change":
            P.register_parametrization(m, "weight", shrink())
        elif what == "stacked_shape_change":
            P.register_parametrization(m, "weight", sym())
            P.register_parametrization(m, "weight", shrink())
        elif what == "remove_missing":
            P.remove_parametrizations(m, "weight")
        elif what == "assign_without_inverse":
            P.register_parametrization(m, "weight", noinv())
            m.weight = lib.zeros(3, 3)
        elif what == "empty_list":
            P.ParametrizationList([], m.weight)

    for what in (
        "no_such_tensor",
        "shape_change",
        "stacked_shape_change",
        "remove_missing",
        "assign_without_inverse",
        "empty_list",
    ):
        _raises_like(lambda w=what: run(ember, w), lambda w=what: run(torch, w))
    # unsafe=True lets the shape change through, as in torch.
    m = E.parametrize.register_parametrization(
        ember.nn.Linear(3, 3), "weight", _classes(ember)[4](), unsafe=True
    )
    assert m.weight.shape == (1, 3)


def test_parametrize_buffer_and_transfer():
    class WithBuf(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", ember.arange(4.0))

    m = E.parametrize.register_parametrization(WithBuf(), "scale", _classes(ember)[1]())
    assert list(m.state_dict()) == ["parametrizations.scale.original"]
    assert_close(m.scale, np.arange(4.0, dtype=np.float32))
    a = E.parametrize.register_parametrization(
        ember.nn.Linear(2, 2), "weight", _classes(ember)[1]()
    )
    b = E.parametrize.transfer_parametrizations_and_params(a, ember.nn.Linear(2, 2))
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    assert_close(b.weight, a.weight)


# -- parametrizations ----------------------------------------------------------------------------


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_torch(orth_map, shape, triv):
    em, tm = _pair(lambda lib: lib.nn.Linear(shape[1], shape[0]))
    E.parametrizations.orthogonal(em, orthogonal_map=orth_map, use_trivialization=triv)
    T.parametrizations.orthogonal(tm, orthogonal_map=orth_map, use_trivialization=triv)
    assert list(em.state_dict()) == list(tm.state_dict())
    w = em.weight
    small = min(shape)
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    assert_close(gram, np.eye(small, dtype=np.float32), atol=2e-6)
    # The base of non-square trivializations is completed with random columns: copy torch's.
    _load(em, tm)
    assert_close(em.weight, tm.weight, atol=2e-6)
    xe, xt = _x(3, shape[1])
    em(xe).pow(3).sum().backward()
    tm(xt).pow(3).sum().backward()
    assert_close(
        em.parametrizations.weight.original.grad,
        tm.parametrizations.weight.original.grad,
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_batched_matches_torch(orth_map):
    w = np.random.default_rng(4).standard_normal((2, 4, 3)).astype(np.float32)

    def build(lib):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.tensor(w))
        return lib.nn.utils.parametrizations.orthogonal(m, "w", orth_map)

    em, tm = build(ember), build(torch)
    _load(em, tm)
    assert_close(em.w, tm.w, atol=2e-6)
    em.w.pow(3).sum().backward()
    tm.w.pow(3).sum().backward()
    ge, gt = em.parametrizations.w.original.grad, tm.parametrizations.w.original.grad
    assert_close(ge, gt, rtol=1e-4, atol=1e-5)


def test_orthogonal_default_map_assignment_and_errors():
    em, tm = _pair(lambda lib: lib.nn.Linear(3, 3))
    E.parametrizations.orthogonal(em)
    T.parametrizations.orthogonal(tm)
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0].astype(np.float32)
    em.weight = ember.tensor(q)
    tm.weight = torch.tensor(q)
    assert_close(em.weight, tm.weight, atol=1e-6)
    _same_state(em, tm)
    for bad in (
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "nope"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.BatchNorm1d(2)),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "weight", "x"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(
            lib.nn.Linear(2, 2), use_trivialization=False
        ).__setattr__("weight", lib.eye(2)),
    ):
        _raises_like(lambda f=bad: f(ember), lambda f=bad: f(torch))


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization_matches_torch(dim):
    em, tm = _pair(lambda lib: lib.nn.Conv2d(2, 3, 2))
    E.parametrizations.weight_norm(em, dim=dim)
    T.parametrizations.weight_norm(tm, dim=dim)
    _same_state(em, tm)
    assert_close(em.weight, tm.weight)
    xe, xt = _x(2, 2, 4, 4)
    assert_close(em(xe), tm(xt), atol=1e-5)
    em(xe).sin().sum().backward()
    tm(xt).sin().sum().backward()
    for name in ("original0", "original1"):
        ge = getattr(em.parametrizations.weight, name).grad
        gt = getattr(tm.parametrizations.weight, name).grad
        assert_close(ge, gt, rtol=1e-4, atol=1e-5)
    E.parametrize.remove_parametrizations(em, "weight")
    T.parametrize.remove_parametrizations(tm, "weight")
    _same_state(em, tm)


def _scramble(tm, *names):
    """Set torch's power-iteration vectors to fresh random unit vectors (then copy to ember)."""
    rng = np.random.default_rng(7)
    sd = tm.state_dict()
    with torch.no_grad():
        for n in names:
            v = rng.standard_normal(sd[n].shape)
            sd[n].copy_(torch.tensor(v / np.linalg.norm(v)))


@pytest.mark.parametrize("make, n_iter", [("linear", 1), ("convT", 2)])
def test_spectral_norm_parametrization_power_iteration(make, n_iter):
    def build(lib):
        return lib.nn.Linear(4, 3) if make == "linear" else lib.nn.ConvTranspose2d(2, 3, 2)

    tm, em = build(torch), build(ember)
    _load(em, tm)
    E.parametrizations.spectral_norm(em, n_power_iterations=n_iter)
    T.parametrizations.spectral_norm(tm, n_power_iterations=n_iter)
    assert list(em.state_dict()) == list(tm.state_dict())
    _scramble(tm, "parametrizations.weight.0._u", "parametrizations.weight.0._v")
    _load(em, tm)  # same (far from converged) initial u, v
    xe, xt = _x(2, 4) if make == "linear" else _x(1, 2, 3, 3)
    for _ in range(3):
        assert_close(em(xe), tm(xt), rtol=1e-4, atol=1e-5)
        _same_state(em, tm, rtol=1e-4, atol=1e-6)
    # Two forwards before one backward: each must keep its own copy of u and v.
    (em(xe).sum() + em(xe).pow(2).sum()).backward()
    (tm(xt).sum() + tm(xt).pow(2).sum()).backward()
    ge, gt = em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad
    assert_close(ge, gt, rtol=1e-4, atol=1e-5)
    em.eval(), tm.eval()
    _scramble(tm, "parametrizations.weight.0._u", "parametrizations.weight.0._v")
    _load(em, tm)
    assert_close(em(xe), tm(xt), rtol=1e-4, atol=1e-5)
    _same_state(em, tm)  # eval mode uses the stored vectors and leaves them alone
    for bad in (
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(
            lib.nn.Linear(2, 2), n_power_iterations=0
        ),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), "nope"),
    ):
        _raises_like(lambda f=bad: f(ember), lambda f=bad: f(torch))


# -- the hook-based weight_norm / spectral_norm --------------------------------------------------


def test_old_weight_norm_matches_torch():
    em, tm = _pair(lambda lib: lib.nn.Conv1d(3, 4, 3))
    E.weight_norm(em, dim=1)
    T.weight_norm(tm, dim=1)
    _same_state(em, tm)
    assert list(em.state_dict()) == ["bias", "weight_g", "weight_v"]
    xe, xt = _x(2, 3, 5)
    assert_close(em(xe), tm(xt), atol=1e-5)
    em(xe).pow(2).sum().backward()
    tm(xt).pow(2).sum().backward()
    assert_close(em.weight_g.grad, tm.weight_g.grad, rtol=1e-4, atol=1e-5)
    assert_close(em.weight_v.grad, tm.weight_v.grad, rtol=1e-4, atol=1e-5)
    _raises_like(lambda: E.weight_norm(em, dim=1), lambda: T.weight_norm(tm, dim=1))
    E.remove_weight_norm(em)
    T.remove_weight_norm(tm)
    _same_state(em, tm)
    _raises_like(lambda: E.remove_weight_norm(em), lambda: T.remove_weight_norm(tm))


def test_old_spectral_norm_matches_torch():
    em, tm = _pair(lambda lib: lib.nn.Linear(5, 3))
    E.spectral_norm(em)
    T.spectral_norm(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert list(em.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    _scramble(tm, "weight_u", "weight_v")
    _load(em, tm)
    xe, xt = _x(2, 5)
    for _ in range(3):
        assert_close(em(xe), tm(xt), rtol=1e-4, atol=1e-5)
        _same_state(em, tm, rtol=1e-4, atol=1e-6)
    (em(xe).sum() + em(xe).pow(2).sum()).backward()
    (tm(xt).sum() + tm(xt).pow(2).sum()).backward()
    assert_close(em.weight_orig.grad, tm.weight_orig.grad, rtol=1e-4, atol=1e-5)
    em.eval(), tm.eval()
    _scramble(tm, "weight_u", "weight_v")
    _load(em, tm)
    assert_close(em(xe), tm(xt), rtol=1e-4, atol=1e-5)
    _same_state(em, tm)
    _raises_like(lambda: E.spectral_norm(em), lambda: T.spectral_norm(tm))
    E.remove_spectral_norm(em)
    T.remove_spectral_norm(tm)
    _same_state(em, tm, rtol=1e-4, atol=1e-6)
    _raises_like(lambda: E.remove_spectral_norm(em), lambda: T.remove_spectral_norm(tm))
    _raises_like(
        lambda: E.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0),
        lambda: T.spectral_norm(torch.nn.Linear(2, 2), n_power_iterations=0),
    )


# -- fusion, skip_init ---------------------------------------------------------------------------


def _bn_stats(bn, rng):
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(rng.standard_normal(bn.num_features)))
        bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, bn.num_features)))
        if bn.affine:
            bn.weight.copy_(torch.tensor(rng.standard_normal(bn.num_features)))
            bn.bias.copy_(torch.tensor(rng.standard_normal(bn.num_features)))


@pytest.mark.parametrize("kind", ["conv", "conv_nobias", "convT", "linear"])
def test_fuse_bn_matches_unfused_and_torch(kind):
    rng = np.random.default_rng(0)

    def build(lib):
        if kind == "conv":
            return lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3)
        if kind == "conv_nobias":
            return lib.nn.Conv1d(2, 3, 3, bias=False), lib.nn.BatchNorm1d(3, affine=False)
        if kind == "convT":
            return lib.nn.ConvTranspose2d(2, 3, 2), lib.nn.BatchNorm2d(3)
        return lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3)

    (tc, tb), (ec, eb) = build(torch), build(ember)
    _bn_stats(tb, rng)
    _load(ec, tc), _load(eb, tb)
    for m in (tc, tb, ec, eb):
        m.eval()
    if kind == "linear":
        tf, ef = T.fuse_linear_bn_eval(tc, tb), E.fuse_linear_bn_eval(ec, eb)
        xe, xt = _x(5, 4)
    else:
        tr = kind == "convT"
        tf, ef = T.fuse_conv_bn_eval(tc, tb, transpose=tr), E.fuse_conv_bn_eval(ec, eb, tr)
        xe, xt = _x(2, 2, 5, 5) if kind != "conv_nobias" else _x(2, 2, 6)
    assert ef is not ec and isinstance(ef.weight, ember.nn.Parameter) and ef.weight.is_leaf
    assert_close(ef(xe), eb(ec(xe)), rtol=1e-4, atol=1e-5)
    assert_close(ef(xe), tf(xt), rtol=1e-4, atol=1e-5)
    _same_state(ef, tf, rtol=1e-5, atol=1e-6)
    ec.train()
    with pytest.raises(AssertionError):
        E.fuse_linear_bn_eval(ec, eb) if kind == "linear" else E.fuse_conv_bn_eval(ec, eb)


def test_skip_init():
    m = E.skip_init(ember.nn.Linear, 4, 2, bias=False)
    assert type(m) is ember.nn.Linear and m.weight.shape == (2, 4) and m.bias is None
    for bad in ((int,), (ember.nn.ReLU,)):
        _raises_like(
            lambda a=bad: E.skip_init(*a),
            lambda a=bad: T.skip_init(*[torch.nn.ReLU if b is ember.nn.ReLU else b for b in a]),
        )


# -- functional_call -----------------------------------------------------------------------------


def _tied_net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.nn.Linear(3, 3)
            self.b = lib.nn.Linear(3, 3)
            self.b.weight = self.a.weight
            self.register_buffer("shift", lib.ones(3))

        def forward(self, x, scale=1.0):
            return self.b(self.a(x).tanh()) * scale + self.shift

    return Net()


def test_functional_call_values_and_gradients():
    em, tm = _pair(_tied_net)
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    s = rng.standard_normal(3).astype(np.float32)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    xe, xt = _x(2, 3)
    for tie in (True, False):
        ve = {"a.weight": we, "shift": ember.tensor(s)}
        vt = {"a.weight": wt, "shift": torch.tensor(s)}
        oe = E.stateless.functional_call(em, ve, (xe,), {"scale": 2.0}, tie_weights=tie)
        ot = tfunc.functional_call(tm, vt, (xt,), {"scale": 2.0}, tie_weights=tie)
        assert_close(oe, ot, atol=1e-5)
        oe.sum().backward()
        ot.sum().backward()
        assert_close(we.grad, wt.grad, rtol=1e-4, atol=1e-5)
        we.grad, wt.grad = None, None
    # The module's own tensors are back afterwards; only the untied run's b used them.
    assert em.a.weight is em.b.weight and isinstance(em.a.weight, ember.nn.Parameter)
    assert_close(em.a.weight.grad, tm.a.weight.grad, rtol=1e-4, atol=1e-5)
    assert_close(em(xe), tm(xt), atol=1e-5)
    # A single tensor for args, a tuple of dicts, and a name the module does not have.
    oe = E.stateless.functional_call(em, ({"a.weight": we}, {"zz": we}), xe)
    ot = tfunc.functional_call(tm, ({"a.weight": wt}, {"zz": wt}), xt)
    assert_close(oe, ot, atol=1e-5)
    assert not hasattr(em, "zz")


def test_functional_call_errors_match_torch():
    em, tm = _tied_net(ember), _tied_net(torch)
    xe, xt = _x(1, 3)
    cases = [
        lambda lib, m: {"a.weight": lib.ones(3, 3), "b.weight": lib.zeros(3, 3)},
        lambda lib, m: {"a.weight": lib.ones(3, 3), "zz": lib.ones(1)},
        lambda lib, m: ({"a.bias": lib.ones(3)}, {"a.bias": lib.ones(3)}),
        lambda lib, m: {"q.weight": lib.ones(3, 3)},
        lambda lib, m: {"a.weight.x": lib.ones(3, 3)},
    ]
    for i, case in enumerate(cases):
        strict = i == 1
        _raises_like(
            lambda c=case, s=strict: E.stateless.functional_call(em, c(ember, em), (xe,), strict=s),
            lambda c=case, s=strict: tfunc.functional_call(tm, c(torch, tm), (xt,), strict=s),
        )
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'a.bias', 'b.bias', 'shift'"):
        E.stateless.functional_call(em, {"a.weight": ember.ones(3, 3)}, (xe,), strict=True)
    full = dict(em.named_parameters(remove_duplicate=False)) | dict(em.named_buffers())
    E.stateless.functional_call(em, full, (xe,), strict=True)


def test_functional_call_on_parametrized_module():
    em, tm = _pair(lambda lib: lib.nn.Linear(3, 3))
    for lib, m in ((torch, tm), (ember, em)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _classes(lib)[0]())
    w = np.random.default_rng(2).standard_normal((3, 3)).astype(np.float32)
    xe, xt = _x(2, 3)
    for name in ("parametrizations.weight.original", "weight"):
        we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        oe = E.stateless.functional_call(em, {name: we}, (xe,))
        ot = tfunc.functional_call(tm, {name: wt}, (xt,))
        assert_close(oe, ot, atol=1e-5)
        oe.pow(2).sum().backward()
        ot.pow(2).sum().backward()
        # Given as "weight", the value is assigned through right_inverse without autograd, so
        # (as in torch) the gradient reaches the module's original instead.
        assert (we.grad is None) == (wt.grad is None)
        if wt.grad is not None:
            assert_close(we.grad, wt.grad, rtol=1e-4, atol=1e-5)
    assert_close(em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad)
    assert type(em).__name__ == "ParametrizedLinear"
    _same_state(em, tm)
    assert_close(em(xe), tm(xt), atol=1e-5)
