"""Optimizers against PyTorch: same start, same gradient rule, 20 steps, equal parameters."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from conftest import to_np

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")

SHAPES = [(7, 5), (5,), (2, 3, 4), ()]
STEPS = 20

# (optimizer name, options); param groups are built by the test where "groups" is given.
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.9), maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def _ids(cases):
    return [f"{n}-" + "-".join(f"{k}={v}" for k, v in o.items()) for n, o in cases]


class Problem:
    """Parameters and a gradient rule that depends on them (so errors would compound)."""

    def __init__(self, shapes=SHAPES, dtype=np.float32, seed=0):
        rng = np.random.default_rng(seed)
        self.init = [rng.standard_normal(s).astype(dtype) for s in shapes]
        if np.dtype(dtype).kind == "c":
            self.init = [(a + 1j * rng.standard_normal(a.shape)).astype(dtype) for a in self.init]
        self.target = [rng.standard_normal(s) for s in shapes]
        self.noise = [[rng.standard_normal(s) for s in shapes] for _ in range(2 * STEPS)]

    def grads(self, values, step):
        # gradient of a quadratic bowl with a little curvature from sin, plus per-step noise
        return [
            (2.0 * (v - t) + 0.3 * np.sin(v.real) + n).astype(v.dtype)
            for v, t, n in zip(values, self.target, self.noise[step])
        ]

    def ember_params(self):
        return [ember.tensor(a.copy(), requires_grad=True) for a in self.init]

    def torch_params(self):
        return [torch.tensor(a.copy(), requires_grad=True) for a in self.init]


def _groups(params, options):
    # two groups, the second with half the learning rate
    return [{"params": params[:2]}, {"params": params[2:], "lr": options.get("lr", 1.0) * 0.5}]


def _run(problem, ep, tp, eopt, topt, steps, start=0):
    for i in range(start, start + steps):
        for p, g in zip(ep, problem.grads([to_np(p) for p in ep], i)):
            p.grad = ember.tensor(g)
        for p, g in zip(tp, problem.grads([to_np(p) for p in tp], i)):
            p.grad = torch.tensor(g)
        eopt.step()
        topt.step()


def _assert_params(ep, tp, rtol=1e-5, atol=1e-6):
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(to_np(e), to_np(t), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,options", CASES, ids=_ids(CASES))
def test_matches_torch(name, options):
    problem = Problem()
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(_groups(ep, options), **options)
    topt = getattr(torch.optim, name)(_groups(tp, options), **options)
    _run(problem, ep, tp, eopt, topt, STEPS)
    _assert_params(ep, tp)


@pytest.mark.parametrize(
    "name,options",
    [
        ("Adam", dict(lr=0.01, amsgrad=True)),
        ("Adadelta", dict()),
        ("Adagrad", dict(lr=0.1)),
        ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
        ("Adamax", dict(lr=0.01)),
        ("NAdam", dict(lr=0.01)),
        ("RAdam", dict(lr=0.01)),
        ("SGD", dict(lr=0.05, momentum=0.9)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_complex_params_match_torch(name, options):
    problem = Problem(shapes=[(4, 3), (5,)], dtype=np.complex64)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(ep, **options)
    topt = getattr(torch.optim, name)(tp, **options)
    _run(problem, ep, tp, eopt, topt, 10)
    _assert_params(ep, tp)


@pytest.mark.parametrize(
    "name,options",
    [
        ("Adam", dict(lr=0.01)),
        ("Adadelta", dict(lr=0.7)),
        ("SGD", dict(lr=0.05, momentum=0.9)),
    ],
)
def test_float64_tight(name, options):
    problem = Problem(dtype=np.float64)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(ep, **options)
    topt = getattr(torch.optim, name)(tp, **options)
    _run(problem, ep, tp, eopt, topt, STEPS)
    _assert_params(ep, tp, rtol=1e-12, atol=1e-13)
    assert ep[0].dtype == ember.float64


def test_large_param_chunked_path():
    # Parameters larger than one cache slice are updated slice by slice; results are unchanged.
    problem = Problem(shapes=[(300, 257), (7,)])
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt, topt = eoptim.Adadelta(ep), torch.optim.Adadelta(tp)
    _run(problem, ep, tp, eopt, topt, 5)
    _assert_params(ep, tp)


def test_non_contiguous_param():
    base = ember.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    p = base.t().detach().requires_grad_()
    tp = torch.tensor(to_np(p), requires_grad=True)
    g = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    eopt, topt = eoptim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for _ in range(3):
        p.grad, tp.grad = ember.tensor(g), torch.tensor(g)
        eopt.step()
        topt.step()
    _assert_params([p], [tp])


# -- state_dict -------------------------------------------------------------------------------

RESUME_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("Adadelta", dict()),
    ("Adagrad", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)),
]


def _sd_to_torch(sd):
    return {
        "state": {
            k: {
                n: torch.tensor(to_np(v)) if isinstance(v, ember.Tensor) else v
                for n, v in s.items()
            }
            for k, s in sd["state"].items()
        },
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }


def _sd_to_ember(sd):
    return {
        "state": {
            k: {
                n: ember.tensor(to_np(v)) if isinstance(v, torch.Tensor) else v
                for n, v in s.items()
            }
            for k, s in sd["state"].items()
        },
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }


@pytest.mark.parametrize("name,options", RESUME_CASES, ids=_ids(RESUME_CASES))
def test_state_dict_layout_and_resume(name, options):
    problem = Problem()
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(_groups(ep, options), **options)
    topt = getattr(torch.optim, name)(_groups(tp, options), **options)
    _run(problem, ep, tp, eopt, topt, 10)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert esd["state"].keys() == tsd["state"].keys()
    for k in tsd["state"]:
        assert esd["state"][k].keys() == tsd["state"][k].keys()
        for n, v in tsd["state"][k].items():
            np.testing.assert_allclose(to_np(esd["state"][k][n]), to_np(v), rtol=1e-5, atol=1e-6)
            assert str(esd["state"][k][n].dtype).split(".")[-1] == str(v.dtype).split(".")[-1]

    # ember -> fresh ember optimizer: resumes bit for bit
    ep2 = [ember.tensor(to_np(p).copy(), requires_grad=True) for p in ep]
    eopt2 = getattr(eoptim, name)([{"params": ep2[:2]}, {"params": ep2[2:]}], **options)
    eopt2.load_state_dict(copy.deepcopy(esd))
    assert eopt2.param_groups[1]["lr"] == options.get("lr", 1.0) * 0.5
    # PyTorch's state_dict -> fresh ember optimizer on PyTorch's parameters
    ep3 = [ember.tensor(to_np(p).copy(), requires_grad=True) for p in tp]
    eopt3 = getattr(eoptim, name)([{"params": ep3[:2]}, {"params": ep3[2:]}], **options)
    eopt3.load_state_dict(_sd_to_ember(tsd))
    # ember's state_dict -> fresh PyTorch optimizer
    tp2 = [torch.tensor(to_np(p).copy(), requires_grad=True) for p in ep]
    topt2 = getattr(torch.optim, name)([{"params": tp2[:2]}, {"params": tp2[2:]}], **options)
    topt2.load_state_dict(_sd_to_torch(esd))

    for i in range(10, 20):
        grads = problem.grads([to_np(p) for p in ep], i)
        for a, b, c, g in zip(ep, ep2, tp2, grads):
            a.grad, b.grad, c.grad = ember.tensor(g), ember.tensor(g), torch.tensor(g)
        for p, g in zip(ep3, problem.grads([to_np(p) for p in ep3], i)):
            p.grad = ember.tensor(g)
        for p, g in zip(tp, problem.grads([to_np(p) for p in tp], i)):
            p.grad = torch.tensor(g)
        for o in (eopt, eopt2, eopt3, topt, topt2):
            o.step()
    for a, b in zip(ep, ep2):
        np.testing.assert_array_equal(to_np(a), to_np(b))
    _assert_params(ep, tp2)
    _assert_params(ep3, tp)


def test_state_dict_is_index_keyed_and_loading_copies():
    w = ember.zeros(3, requires_grad=True)
    opt = eoptim.Adam([w], lr=0.1)
    w.grad = ember.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0] and sd["param_groups"][0]["params"] == [0]
    assert sd["state"][0]["step"].dtype == ember.float32 and float(sd["state"][0]["step"]) == 1
    w2 = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt2 = eoptim.Adam([w2], lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.state[w2]["exp_avg"].dtype == ember.float64  # cast to the parameter's dtype
    assert opt2.state[w2]["step"].dtype == ember.float32  # step counters keep theirs
    w2.grad = ember.ones(3, dtype=ember.float64)
    opt2.step()
    assert float(sd["state"][0]["step"]) == 1  # the loaded dict was not modified


def test_load_state_dict_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)
    sd = eoptim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        eoptim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        eoptim.SGD([a], lr=0.1).load_state_dict(sd)


# -- the base class ---------------------------------------------------------------------------


def test_param_groups_defaults_and_add_param_group():
    a, b, c = (ember.zeros(2, requires_grad=True) for _ in range(3))
    opt = eoptim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    opt.add_param_group({"params": [c], "weight_decay": 0.01})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {ember.zeros(1, requires_grad=True)}})
    tp = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    topt = torch.optim.SGD([{"params": [tp[0]]}, {"params": tp[1], "lr": 0.5}], lr=0.1)
    assert repr(eoptim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)) == repr(topt)


def test_named_parameters():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)
    opt = eoptim.Adam([("a", a), ("b", b)])
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]
    assert opt.param_groups[0]["params"][1] is b


def test_constructor_errors_match_torch():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        eoptim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        eoptim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        eoptim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="per-parameter options"):
        eoptim.LBFGS([{"params": [p]}, {"params": [ember.zeros(1, requires_grad=True)]}])


BAD = [
    ("SGD", dict(lr=-1)),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1e-3)),
    ("Adam", dict(eps=-1.0)),
    ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-1)),
    ("AdamW", dict(lr=-2)),
    ("AdamW", dict(betas=(0.5, 1.5))),
    ("Adadelta", dict(lr=-1)),
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-0.1)),
    ("Adagrad", dict(lr=-1)),
    ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(eps=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(weight_decay=-1)),
    ("RMSprop", dict(lr=-1)),
    ("RMSprop", dict(alpha=-1)),
    ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(eps=-1)),
    ("RMSprop", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)),
    ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(eps=-1)),
    ("NAdam", dict(lr=-1)),
    ("NAdam", dict(momentum_decay=-1)),
    ("NAdam", dict(eps=-1)),
    ("RAdam", dict(lr=-1)),
    ("RAdam", dict(betas=(-0.1, 0.9))),
    ("RAdam", dict(weight_decay=-1)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,options", BAD, ids=_ids(BAD))
def test_bad_hyperparameters_raise_like_torch(name, options):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        getattr(eoptim, name)([ember.zeros(2, requires_grad=True)], **options)


def test_zero_grad():
    w = ember.ones(3, requires_grad=True)
    opt = eoptim.SGD([w], lr=0.1)
    w.grad = ember.ones(3)
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and to_np(g).tolist() == [0, 0, 0]
    opt.zero_grad()
    assert w.grad is None


def test_params_without_grad_are_skipped_and_versions_bump():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = eoptim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(2)
    v = a._version
    opt.step()
    assert a._version > v
    assert to_np(b).tolist() == [1, 1] and b not in opt.state


def test_closure_runs_with_grad_and_returns_loss():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = eoptim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(to_np(w), [0.8, 1.6], rtol=1e-6)


def test_step_hooks():
    w = ember.ones(1, requires_grad=True)
    opt = eoptim.SGD([w], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    w.grad = ember.ones(1)
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_subclass_step_calls_super_once_through_hooks():
    class Clipped(eoptim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    w = ember.ones(1, requires_grad=True)
    opt = Clipped([w], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(1))
    w.grad = ember.ones(1)
    opt.step()
    assert calls == [1]
    np.testing.assert_allclose(to_np(w), [0.9], rtol=1e-6)


# -- LBFGS ------------------------------------------------------------------------------------


def _rosenbrock(x):
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


_rng = np.random.default_rng(1)
_A, _Y = _rng.standard_normal((30, 6)), _rng.integers(0, 2, 30)


def _logistic(x):
    # L2-regularised logistic regression: smooth and convex, so round-off is not amplified the
    # way it is on Rosenbrock's valley with a fixed step.
    z = _A @ x
    f = np.sum(np.logaddexp(0, z) - _Y * z) + 0.05 * x @ x
    g = _A.T @ (1 / (1 + np.exp(-z)) - _Y) + 0.1 * x
    return f, g


def _closure(p, make, fn):
    def closure():
        f, g = fn(to_np(p).copy())
        p.grad = make(g)
        return make(np.array(f))

    return closure


@pytest.mark.parametrize(
    "options",
    [
        dict(max_iter=3),
        dict(line_search_fn="strong_wolfe", max_iter=3),
        dict(lr=0.5, history_size=2, max_iter=4),
        dict(line_search_fn="strong_wolfe", history_size=2, max_iter=4),
    ],
    ids=["fixed", "wolfe", "short-history", "wolfe-short-history"],
)
def test_lbfgs_matches_torch(options):
    x0 = np.linspace(-1.0, 1.5, 6)
    ex = ember.tensor(x0.copy(), requires_grad=True)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    eopt, topt = eoptim.LBFGS([ex], **options), torch.optim.LBFGS([tx], **options)
    for _ in range(3):
        el = eopt.step(_closure(ex, ember.tensor, _logistic))
        tl = topt.step(_closure(tx, torch.tensor, _logistic))
        assert float(el) == pytest.approx(float(tl), rel=1e-10)
        np.testing.assert_allclose(to_np(ex), to_np(tx), rtol=1e-8, atol=1e-10)
    assert eopt.state[ex]["func_evals"] == topt.state[tx]["func_evals"]
    assert eopt.state[ex]["n_iter"] == topt.state[tx]["n_iter"]


def test_lbfgs_strong_wolfe_solves_rosenbrock_like_torch():
    x0 = np.array([-1.2, 1.0, -0.5, 0.8, 1.3])
    ex = ember.tensor(x0.copy(), requires_grad=True)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    eopt = eoptim.LBFGS([ex], line_search_fn="strong_wolfe", max_iter=100)
    topt = torch.optim.LBFGS([tx], line_search_fn="strong_wolfe", max_iter=100)
    eopt.step(_closure(ex, ember.tensor, _rosenbrock))
    topt.step(_closure(tx, torch.tensor, _rosenbrock))
    np.testing.assert_allclose(to_np(ex), to_np(tx), rtol=1e-6)
    np.testing.assert_allclose(to_np(ex), np.ones(5), rtol=1e-4)


def test_lbfgs_with_autograd_closure_converges():
    x = ember.tensor([1.5, -0.5, 0.25], requires_grad=True)
    opt = eoptim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((x - 3.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(to_np(x), [3.0, 3.0, 3.0], rtol=1e-5)


# -- fake CUDA device: the update path that CuPy arrays take --------------------------------


def test_optimizers_on_fake_cuda():
    from fake_cupy import installed

    with installed():
        for name, options in [
            ("Adam", dict(lr=0.01, amsgrad=True)),
            ("Adadelta", {}),
            ("SGD", dict(lr=0.1, momentum=0.9)),
            ("RMSprop", {}),
        ]:
            problem = Problem(shapes=[(3, 4), (5,)])
            ep = [p.to("cuda") for p in problem.ember_params()]
            ep = [p.detach().requires_grad_() for p in ep]
            tp = problem.torch_params()
            eopt = getattr(eoptim, name)(ep, **options)
            topt = getattr(torch.optim, name)(tp, **options)
            for i in range(5):
                for p, g in zip(ep, problem.grads([to_np(p) for p in ep], i)):
                    p.grad = ember.tensor(g).to("cuda")
                for p, g in zip(tp, problem.grads([to_np(p) for p in tp], i)):
                    p.grad = torch.tensor(g)
                eopt.step()
                topt.step()
            assert ep[0].device.type == "cuda"
            assert eopt.state[ep[0]]["step" if name != "SGD" else "momentum_buffer"] is not None
            _assert_params(ep, tp)
            sd = eopt.state_dict()
            eopt.load_state_dict(sd)


def test_lbfgs_on_fake_cuda():
    from fake_cupy import installed

    x0 = np.linspace(-1.0, 1.5, 6)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    topt = torch.optim.LBFGS([tx], line_search_fn="strong_wolfe", max_iter=5)
    topt.step(_closure(tx, torch.tensor, _logistic))
    with installed():
        ex = ember.tensor(x0.copy()).to("cuda").requires_grad_()
        eopt = eoptim.LBFGS([ex], line_search_fn="strong_wolfe", max_iter=5)
        eopt.step(_closure(ex, lambda a: ember.tensor(a).to("cuda"), _logistic))
        assert ex.device.type == "cuda"
        np.testing.assert_allclose(to_np(ex), to_np(tx), rtol=1e-8, atol=1e-10)


def test_step_counter_as_python_number_is_accepted():
    # PyTorch < 1.12 checkpoints stored "step" as an int.
    w = ember.zeros(2, requires_grad=True)
    opt = eoptim.Adam([w], lr=0.1)
    opt.load_state_dict(
        {
            "state": {0: {"step": 3, "exp_avg": ember.zeros(2), "exp_avg_sq": ember.zeros(2)}},
            "param_groups": opt.state_dict()["param_groups"],
        }
    )
    w.grad = ember.ones(2)
    opt.step()
    assert float(opt.state[w]["step"]) == 4
