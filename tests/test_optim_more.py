"""ASGD, Rprop, Adafactor, SparseAdam and swa_utils against PyTorch, step by step."""

from __future__ import annotations

import copy
import doctest
import re

import numpy as np
import pytest
from conftest import to_np
from test_optim import Problem, _ids

import ember
import ember.optim as eoptim
from ember.optim import swa_utils as eswa

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as tswa  # noqa: E402

STEPS = 10
TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

CASES = [
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.02, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, d=1.5, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.2, eps=(1e-4, 1e-2), maximize=True)),
    ("Adafactor", dict(lr=0.02, eps=(0.5, 1e-3))),  # eps1 large: the clamps bite
]


def _groups(params, options):
    # two groups, the second with half the learning rate
    return [{"params": params[:2]}, {"params": params[2:], "lr": options.get("lr", 0.01) * 0.5}]


def _set_grads(problem, ep, tp, i):
    for p, g in zip(ep, problem.grads([to_np(p) for p in ep], i)):
        p.grad = ember.tensor(g)
    for p, g in zip(tp, problem.grads([to_np(p) for p in tp], i)):
        p.grad = torch.tensor(g)


def _assert_state(eopt, topt, tol):
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"])
    for k, ts in tsd["state"].items():
        es = esd["state"][k]
        assert list(es) == list(ts)
        for n, v in ts.items():
            assert tuple(es[n].shape) == tuple(v.shape), n
            assert str(es[n].dtype).split(".")[-1] == str(v.dtype).split(".")[-1], n
            np.testing.assert_allclose(to_np(es[n]), to_np(v), **tol, err_msg=n)


def _assert_params(ep, tp, tol):
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(to_np(e), to_np(t), **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,options", CASES, ids=_ids(CASES))
def test_matches_torch_each_step(name, options, dtype):
    problem = Problem(dtype=dtype)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(_groups(ep, options), **options)
    topt = getattr(torch.optim, name)(_groups(tp, options), **options)
    for i in range(STEPS):
        _set_grads(problem, ep, tp, i)
        eopt.step()
        topt.step()
        _assert_params(ep, tp, TOL[dtype])
        _assert_state(eopt, topt, TOL[dtype])
    assert ep[0].dtype == (ember.float32 if dtype == np.float32 else ember.float64)


def test_asgd_averages_from_t0():
    # t0=2: ax copies p for the first steps, then becomes the running mean of the iterates
    problem = Problem(shapes=[(4,)], dtype=np.float64)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = eoptim.ASGD(ep, lr=0.1, lambd=0.0, t0=2)
    iterates = []
    for i in range(6):
        _set_grads(problem, ep, tp, i)
        eopt.step()
        iterates.append(to_np(ep[0]).copy())
    # step s uses mu = 1 / max(1, s - 1 - t0) (set by the step before): ax is a copy of p up
    # to step t0 + 2, then the mean of the iterates from that step on
    np.testing.assert_allclose(to_np(eopt.state[ep[0]]["ax"]), np.mean(iterates[3:], axis=0))


@pytest.mark.parametrize(
    "name,options", [("ASGD", dict(lr=0.05, t0=2, weight_decay=0.1)), ("Rprop", dict(lr=0.05))]
)
def test_complex_params_match_torch(name, options):
    problem = Problem(shapes=[(4, 3), (5,)], dtype=np.complex64)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(ep, **options)
    topt = getattr(torch.optim, name)(tp, **options)
    for i in range(STEPS):
        _set_grads(problem, ep, tp, i)
        eopt.step()
        topt.step()
    _assert_params(ep, tp, TOL[np.float32])
    _assert_state(eopt, topt, TOL[np.float32])


def test_adafactor_state_shapes_and_complex_error():
    p3 = ember.zeros(2, 3, 4, requires_grad=True)
    opt = eoptim.Adafactor([p3, ember.zeros(5, requires_grad=True)])
    for p in opt.param_groups[0]["params"]:
        p.grad = ember.ones(*p.shape)
    opt.step()
    assert tuple(opt.state[p3]["row_var"].shape) == (2, 3, 1)
    assert tuple(opt.state[p3]["col_var"].shape) == (2, 1, 4)
    c = ember.zeros(2, dtype=ember.complex64, requires_grad=True)
    c.grad = ember.ones(2, dtype=ember.complex64)
    with pytest.raises(RuntimeError, match="complex"):
        eoptim.Adafactor([c]).step()


def test_tensor_lr():
    problem = Problem(shapes=[(3, 4), (4,)], dtype=np.float64)
    ep, tp = problem.ember_params(), problem.torch_params()
    for name in ("ASGD", "Rprop", "Adafactor"):
        eopt = getattr(eoptim, name)(ep, lr=ember.tensor(0.03))
        topt = getattr(torch.optim, name)(tp, lr=torch.tensor(0.03))
        for i in range(3):
            _set_grads(problem, ep, tp, i)
            eopt.step()
            topt.step()
        _assert_params(ep, tp, TOL[np.float64])


# -- state_dict -------------------------------------------------------------------------------


def _sd_convert(sd, make, kind):
    return {
        "state": {
            k: {n: make(to_np(v)) if isinstance(v, kind) else v for n, v in s.items()}
            for k, s in sd["state"].items()
        },
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }


RESUME = [
    ("ASGD", dict(lr=0.05, t0=3, weight_decay=0.1)),
    ("Rprop", dict(lr=0.05)),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,options", RESUME, ids=_ids(RESUME))
def test_state_dict_round_trip_with_torch(name, options):
    problem = Problem(dtype=np.float64)
    ep, tp = problem.ember_params(), problem.torch_params()
    eopt = getattr(eoptim, name)(_groups(ep, options), **options)
    topt = getattr(torch.optim, name)(_groups(tp, options), **options)
    for i in range(5):
        _set_grads(problem, ep, tp, i)
        eopt.step()
        topt.step()
    esd = eopt.state_dict()
    # ember's checkpoint -> fresh PyTorch optimizer, PyTorch's -> fresh ember optimizer
    tp2 = [torch.tensor(to_np(p).copy(), requires_grad=True) for p in ep]
    topt2 = getattr(torch.optim, name)(_groups(tp2, options), **options)
    topt2.load_state_dict(_sd_convert(esd, torch.tensor, ember.Tensor))
    ep2 = [ember.tensor(to_np(p).copy(), requires_grad=True) for p in tp]
    eopt2 = getattr(eoptim, name)(_groups(ep2, options), **options)
    eopt2.load_state_dict(_sd_convert(topt.state_dict(), ember.tensor, torch.Tensor))
    # PyTorch casts loaded buffers (ASGD's eta and mu too) to the parameter's dtype: compare
    # each loaded optimizer with one that loaded the same way
    ep3 = [ember.tensor(to_np(p).copy(), requires_grad=True) for p in ep]
    eopt3 = getattr(eoptim, name)(_groups(ep3, options), **options)
    eopt3.load_state_dict(copy.deepcopy(esd))
    _assert_state(eopt3, topt2, TOL[np.float64])
    for i in range(5, STEPS):
        for pair in ((ep, tp), (ep2, tp2), (ep3, tp2)):
            _set_grads(problem, *pair, i)
        for o in (eopt, eopt2, eopt3, topt, topt2):
            o.step()
    _assert_params(ep, tp, TOL[np.float64])
    _assert_params(ep2, tp2, TOL[np.float64])
    _assert_params(ep3, tp2, TOL[np.float64])
    _assert_state(eopt3, topt2, TOL[np.float64])


def test_sparse_adam_refuses_dense_grads_like_torch():
    ew, tw = ember.zeros(3, 2, requires_grad=True), torch.zeros(3, 2, requires_grad=True)
    eopt = eoptim.SparseAdam([ew], lr=0.01)
    topt = torch.optim.SparseAdam([tw], lr=0.01)
    assert eopt.state_dict() == topt.state_dict() | {"state": {}}
    assert eopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    eopt.step()  # no gradients: nothing to refuse, as in PyTorch
    topt.step()
    ew.grad, tw.grad = ember.ones(3, 2), torch.ones(3, 2)
    with pytest.raises(RuntimeError) as expected:
        topt.step()
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        eopt.step()
    np.testing.assert_array_equal(to_np(ew), np.zeros((3, 2)))


# -- bad hyper-parameters ---------------------------------------------------------------------

BAD = [
    ("ASGD", dict(lr=-1)),
    ("ASGD", dict(weight_decay=-0.1)),
    ("Rprop", dict(lr=-1)),
    ("Rprop", dict(etas=(1.2, 0.5))),
    ("Rprop", dict(etas=(0.0, 1.2))),
    ("Rprop", dict(etas=(0.5, 1.0))),
    ("Adafactor", dict(lr=-1)),
    ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1.0, 1e-3))),
    ("Adafactor", dict(eps=(None, -1.0))),
    ("Adafactor", dict(d=0.5)),
    ("Adafactor", dict(weight_decay=-1.0)),
    ("SparseAdam", dict(lr=0.0)),
    ("SparseAdam", dict(eps=0.0)),
    ("SparseAdam", dict(betas=(1.0, 0.9))),
    ("SparseAdam", dict(betas=(0.9, -0.1))),
]


@pytest.mark.parametrize("name,options", BAD, ids=_ids(BAD))
def test_bad_hyperparameters_raise_like_torch(name, options):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        getattr(eoptim, name)([ember.zeros(2, requires_grad=True)], **options)


def test_sparse_adam_rejects_complex_like_torch():
    with pytest.raises(ValueError) as expected:
        torch.optim.SparseAdam([torch.zeros(2, dtype=torch.complex64, requires_grad=True)])
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        eoptim.SparseAdam([ember.zeros(2, dtype=ember.complex64, requires_grad=True)])


def test_bad_swa_arguments_raise_like_torch():
    def both(fn):
        with pytest.raises(Exception) as expected:
            fn(tswa, torch)
        with pytest.raises(expected.type, match=re.escape(str(expected.value))):
            fn(eswa, ember)

    both(lambda m, t: m.get_ema_avg_fn(1.5))
    both(lambda m, t: m.get_ema_multi_avg_fn(-0.1))
    both(lambda m, t: m.AveragedModel(t.nn.Linear(2, 2), avg_fn=len, multi_avg_fn=len))

    def sched(**kw):
        return lambda m, t: m.SWALR(t.optim.SGD([t.zeros(1, requires_grad=True)], lr=1.0), **kw)

    both(sched(swa_lr=0.1, anneal_strategy="exp"))
    both(sched(swa_lr=0.1, anneal_epochs=-1))
    both(sched(swa_lr=0.1, anneal_epochs=2.0))
    both(sched(swa_lr=[0.1, 0.2]))


# -- swa_utils --------------------------------------------------------------------------------


def _nets():
    enet = ember.nn.Sequential(
        ember.nn.Linear(4, 6), ember.nn.BatchNorm1d(6), ember.nn.ReLU(), ember.nn.Linear(6, 3)
    )
    tnet = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 3)
    )
    return enet, tnet


def _load(enet, tnet, rng, step=0):
    # the same new weights (and buffers) in both nets
    with ember.no_grad(), torch.no_grad():
        for (name, e), t in zip(enet.state_dict().items(), tnet.state_dict().values()):
            if name.endswith("num_batches_tracked"):
                value = np.array(3 * step + 1)
            else:
                value = rng.standard_normal(tuple(t.shape)).astype(np.float32)
                if name.endswith("running_var"):
                    value = np.abs(value) + 0.5
            e.copy_(ember.tensor(value))
            t.copy_(torch.tensor(value))


AVG = [
    ("swa", {}),
    ("swa-buffers", dict(use_buffers=True)),
    ("ema", dict(avg_fn=("get_ema_avg_fn", 0.9))),
    ("ema-multi", dict(multi_avg_fn=("get_ema_multi_avg_fn", 0.8))),
    ("swa-multi", dict(multi_avg_fn=("get_swa_multi_avg_fn",))),
    ("swa-fn", dict(avg_fn=("get_swa_avg_fn",), use_buffers=True)),
]


@pytest.mark.parametrize("kwargs", [a[1] for a in AVG], ids=[a[0] for a in AVG])
def test_averaged_model_matches_torch(kwargs):
    def build(mod, net):
        kw = {
            k: getattr(mod, v[0])(*v[1:]) if isinstance(v, tuple) else v for k, v in kwargs.items()
        }
        return mod.AveragedModel(net, **kw)

    rng = np.random.default_rng(0)
    enet, tnet = _nets()
    _load(enet, tnet, rng)
    eavg, tavg = build(eswa, enet), build(tswa, tnet)
    for step in range(5):
        _load(enet, tnet, rng, step)
        eavg.update_parameters(enet)
        tavg.update_parameters(tnet)
        esd, tsd = eavg.state_dict(), tavg.state_dict()
        assert list(esd) == list(tsd)
        for k, v in tsd.items():
            assert str(esd[k].dtype).split(".")[-1] == str(v.dtype).split(".")[-1], k
            np.testing.assert_allclose(to_np(esd[k]), to_np(v), rtol=1e-6, atol=1e-7, err_msg=k)
    assert int(eavg.n_averaged) == 5
    x = rng.standard_normal((8, 4)).astype(np.float32)
    eavg.eval()
    tavg.eval()
    np.testing.assert_allclose(
        to_np(eavg(ember.tensor(x))), to_np(tavg(torch.tensor(x))), rtol=1e-5, atol=1e-6
    )
    # the averaged copy is independent of the model it was built from
    assert eavg.module[0].weight is not enet[0].weight


def test_averaged_model_custom_avg_fn_and_no_grad_leak():
    enet, _ = _nets()
    calls = []

    def avg_fn(a, c, n):
        calls.append(int(n))
        return 0.5 * (a + c)

    avg = eswa.AveragedModel(enet, avg_fn=avg_fn)
    for _ in range(3):
        avg.update_parameters(enet)
    assert calls == [1] * 6 + [2] * 6  # six parameters, no call on the first (copying) update
    assert all(p.requires_grad for p in avg.parameters())


SWALR_CASES = [
    dict(swa_lr=0.05),
    dict(swa_lr=[0.05, 0.3], anneal_epochs=3, anneal_strategy="linear"),
    dict(swa_lr=0.2, anneal_epochs=0),
    dict(swa_lr=0.2, anneal_epochs=1, anneal_strategy="linear"),
    dict(swa_lr=[0.5, 0.01], anneal_epochs=4),
]


@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=[str(k) for k in SWALR_CASES])
def test_swalr_matches_torch(kwargs):
    def build(t):
        a, b = t.zeros(1, requires_grad=True), t.zeros(1, requires_grad=True)
        opt = t.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0)
        return opt, (tswa if t is torch else eswa).SWALR(opt, **kwargs)

    (eopt, esched), (topt, tsched) = build(ember), build(torch)
    assert eopt.param_groups[1]["swa_lr"] == topt.param_groups[1]["swa_lr"]
    for epoch in range(14):
        assert esched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12), epoch
        assert [g["lr"] for g in eopt.param_groups] == [g["lr"] for g in topt.param_groups]
        eopt.step()
        topt.step()
        esched.step()
        tsched.step()
        if epoch == 1:  # resume a fresh scheduler from a checkpoint mid-annealing
            sd = esched.state_dict()
            assert "optimizer" not in sd and "anneal_func" not in sd
            esched = eswa.SWALR(eopt, **kwargs)
            esched.load_state_dict(sd)
            for g, lr in zip(eopt.param_groups, sd["_last_lr"]):
                g["lr"] = lr  # constructing the new scheduler may have set it


def _bn_loader(rng, tuples):
    batches = [rng.standard_normal((5, 4)).astype(np.float32) * 3 + 1 for _ in range(4)]
    if tuples:
        return (
            [(ember.tensor(b), ember.tensor(0)) for b in batches],
            [(torch.tensor(b), torch.tensor(0)) for b in batches],
        )
    return [ember.tensor(b) for b in batches], [torch.tensor(b) for b in batches]


@pytest.mark.parametrize("tuples", [False, True], ids=["tensors", "tuples"])
def test_update_bn_matches_torch(tuples):
    rng = np.random.default_rng(1)
    enet, tnet = _nets()
    _load(enet, tnet, rng, step=4)
    enet[1].momentum = tnet[1].momentum = 0.3
    enet.eval()
    tnet.eval()
    eloader, tloader = _bn_loader(rng, tuples)
    eswa.update_bn(eloader, enet)
    tswa.update_bn(tloader, tnet)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(
            to_np(getattr(enet[1], name)), to_np(getattr(tnet[1], name)), rtol=1e-5, atol=1e-6
        )
    assert int(enet[1].num_batches_tracked) == 4
    assert not enet.training and enet[1].momentum == 0.3


def test_update_bn_without_batchnorm_is_a_no_op():
    net = ember.nn.Linear(2, 2)
    eswa.update_bn([ember.ones(1, 2)], net)  # the loader is not even read


# -- other backends, docs ---------------------------------------------------------------------


def test_new_optimizers_on_fake_cuda():
    from fake_cupy import installed

    with installed():
        for name, options in [
            ("ASGD", dict(lr=0.05, t0=2, weight_decay=0.1)),
            ("Rprop", dict(lr=0.05, maximize=True)),
            ("Adafactor", dict(lr=0.05, weight_decay=0.1)),
        ]:
            problem = Problem(shapes=[(3, 4), (5,), (2, 3, 2)])
            ep, tp = problem.ember_params(), problem.torch_params()
            ep = [p.detach().to("cuda").requires_grad_() for p in ep]
            eopt = getattr(eoptim, name)(ep, **options)
            topt = getattr(torch.optim, name)(tp, **options)
            for i in range(4):
                for p, g in zip(ep, problem.grads([to_np(p) for p in ep], i)):
                    p.grad = ember.tensor(g).to("cuda")
                for p, g in zip(tp, problem.grads([to_np(p) for p in tp], i)):
                    p.grad = torch.tensor(g)
                eopt.step()
                topt.step()
                if i == 1:  # buffers loaded from a checkpoint land on the parameter's device
                    eopt.load_state_dict(eopt.state_dict())
            assert ep[0].device.type == "cuda"
            _assert_params(ep, tp, TOL[np.float32])


def test_docstring_examples_run():
    from ember.optim import adafactor, asgd, rprop, sparse_adam

    for module in (asgd, rprop, adafactor, sparse_adam, eswa):
        res = doctest.testmod(
            module, extraglobs={"ember": ember}, optionflags=doctest.NORMALIZE_WHITESPACE
        )
        assert res.failed == 0 and res.attempted > 0, module.__name__
