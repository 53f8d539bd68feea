"""Learning-rate schedulers against PyTorch: the same lr (and momentum) sequence, step by step."""

from __future__ import annotations

import math
import warnings

import pytest

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")

STEPS = 30


def _optims(kind="SGD", lrs=(0.1, 0.05), **kw):
    """The same two-group optimizer in ember and in PyTorch."""
    e = getattr(eoptim, kind)(
        [{"params": [ember.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], **kw
    )
    t = getattr(torch.optim, kind)(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], **kw
    )
    return e, t


def _lib(mod):
    return eoptim.lr_scheduler if mod is eoptim else torch.optim.lr_scheduler


class _Half:
    """A callable object (its state goes into the scheduler's state_dict)."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, epoch):
        return self.base ** (epoch // 3)


# id -> (optimizer kind and options, function building the scheduler from (lib, optimizer))
CASES = {
    "StepLR": ("SGD", {}, lambda L, o: L.StepLR(o, step_size=4, gamma=0.5)),
    "MultiStepLR": ("SGD", {}, lambda L, o: L.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    "ExponentialLR": ("SGD", {}, lambda L, o: L.ExponentialLR(o, gamma=0.9)),
    "CosineAnnealingLR": ("SGD", {}, lambda L, o: L.CosineAnnealingLR(o, T_max=8, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": (
        "SGD",
        {},
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    ),
    "OneCycleLR": (
        "SGD",
        dict(momentum=0.9),
        lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS + 1),
    ),
    "OneCycleLR-linear-3phase-adam": (
        "Adam",
        {},
        lambda L, o: L.OneCycleLR(
            o, max_lr=0.01, epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True
        ),
    ),
    "CyclicLR": (
        "SGD",
        dict(momentum=0.9),
        lambda L, o: L.CyclicLR(
            o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, step_size_down=3
        ),
    ),
    "CyclicLR-triangular2": (
        "SGD",
        {},
        lambda L, o: L.CyclicLR(
            o, 0.01, 0.1, step_size_up=3, mode="triangular2", cycle_momentum=False
        ),
    ),
    "CyclicLR-exp_range-adam": (
        "Adam",
        {},
        lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=5, mode="exp_range", gamma=0.95),
    ),
    "LinearLR": (
        "SGD",
        {},
        lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=7),
    ),
    "ConstantLR": ("SGD", {}, lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=6)),
    "LambdaLR": ("SGD", {}, lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), _Half()])),
    "MultiplicativeLR": ("SGD", {}, lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95)),
    "PolynomialLR": ("SGD", {}, lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0)),
    "SequentialLR": (
        "SGD",
        {},
        lambda L, o: L.SequentialLR(
            o,
            [
                L.LinearLR(o, start_factor=0.1, total_iters=5),
                L.ExponentialLR(o, gamma=0.9),
                L.CosineAnnealingLR(o, T_max=6),
            ],
            milestones=[5, 15],
        ),
    ),
    "ChainedScheduler": (
        "SGD",
        {},
        lambda L, o: L.ChainedScheduler(
            [
                L.ConstantLR(o, factor=0.5, total_iters=4),
                L.ExponentialLR(o, gamma=0.9),
                L.StepLR(o, step_size=5, gamma=0.5),
            ]
        ),
    ),
}


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _build(case):
    kind, kw, make = CASES[case]
    eo, to = _optims(kind, **kw)
    return eo, to, make(eoptim.lr_scheduler, eo), make(torch.optim.lr_scheduler, to)


@pytest.mark.parametrize("case", list(CASES))
def test_lr_sequence_matches_torch(case):
    eo, to, es, ts = _build(case)
    assert es.get_last_lr() == ts.get_last_lr()
    for step in range(STEPS):
        eo.step()
        to.step()
        es.step()
        ts.step()
        assert es.get_last_lr() == ts.get_last_lr(), step  # bit for bit
        assert [g["lr"] for g in eo.param_groups] == es.get_last_lr()
        assert _momenta(eo) == _momenta(to), step
    assert getattr(es, "last_epoch", None) == getattr(ts, "last_epoch", None)
    assert [g.get("initial_lr") for g in eo.param_groups] == [
        g.get("initial_lr") for g in to.param_groups
    ]


@pytest.mark.parametrize(
    "case",
    [
        "StepLR",
        "CosineAnnealingLR",
        "OneCycleLR",
        "CyclicLR",
        "LambdaLR",
        "SequentialLR",
        "ChainedScheduler",
        "CosineAnnealingWarmRestarts",
    ],
)
def test_state_dict_resumes(case):
    eo, to, es, ts = _build(case)
    for _ in range(10):
        eo.step()
        es.step()
    sd = es.state_dict()
    assert "optimizer" not in sd
    # a fresh optimizer/scheduler pair, restored from the checkpoint, continues the sequence
    eo2, _, es2, _ = _build(case)
    eo2.load_state_dict(eo.state_dict())
    es2.load_state_dict(sd)
    for _ in range(10):
        for o, s in ((eo, es), (eo2, es2)):
            o.step()
            s.step()
        assert es2.get_last_lr() == es.get_last_lr()
    assert es2.state_dict().keys() == sd.keys()


def test_lambda_state_dict_saves_callable_objects_only():
    eo, _ = _optims()
    sched = eoptim.lr_scheduler.LambdaLR(eo, [lambda e: 1.0, _Half()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"base": 0.5}]
    sched.lr_lambdas[1].base = 0.1
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[1].base == 0.5


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(mode="max", patience=2, factor=0.5, threshold_mode="abs", threshold=0.1),
        dict(patience=1, cooldown=2, min_lr=[0.02, 0.001]),
        dict(patience=0, eps=0.02),
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kw):
    eo, to = _optims()
    es = eoptim.lr_scheduler.ReduceLROnPlateau(eo, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.8, 0.81, 0.85, 0.9, 0.7] * 3
    for m in metrics:
        es.step(m)
        ts.step(m)
        assert es.get_last_lr() == ts.get_last_lr()
        assert (es.num_bad_epochs, es.cooldown_counter, es.best) == (
            ts.num_bad_epochs,
            ts.cooldown_counter,
            ts.best,
        )
    es2 = eoptim.lr_scheduler.ReduceLROnPlateau(eo)
    es2.load_state_dict(es.state_dict())
    assert es2.best == es.best and es2.patience == es.patience


def test_step_with_epoch_uses_closed_form_and_warns():
    for mod in (eoptim, torch.optim):
        opt = mod.SGD([(ember if mod is eoptim else torch).zeros(1, requires_grad=True)], lr=1.0)
        sched = _lib(mod).StepLR(opt, step_size=2, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(5)
        assert sched.get_last_lr() == [0.25]


def test_warns_when_scheduler_steps_before_optimizer():
    eo, _ = _optims()
    sched = eoptim.lr_scheduler.StepLR(eo, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    eo2, _ = _optims()
    sched2 = eoptim.lr_scheduler.StepLR(eo2, 3)
    eo2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched2.get_lr()


def test_resuming_needs_initial_lr():
    eo, _ = _optims()
    with pytest.raises(KeyError, match="initial_lr"):
        eoptim.lr_scheduler.StepLR(eo, 3, last_epoch=4)


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    eo, to = _optims()
    es = eoptim.lr_scheduler.CosineAnnealingWarmRestarts(eo, T_0=2, T_mult=2)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(to, T_0=2, T_mult=2)
    for i in range(25):
        epoch = i * 0.37
        es.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts.step(epoch)
        assert es.get_last_lr() == ts.get_last_lr()


BAD = [
    ("ConstantLR", dict(factor=1.5)),
    ("LinearLR", dict(start_factor=0)),
    ("LinearLR", dict(end_factor=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0)),
    ("OneCycleLR", dict(max_lr=0.1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=-3)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="step")),
    ("OneCycleLR", dict(max_lr=[0.1], total_steps=10)),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="zigzag")),
    ("ReduceLROnPlateau", dict(factor=1.0)),
    ("ReduceLROnPlateau", dict(mode="mid")),
    ("ReduceLROnPlateau", dict(threshold_mode="pct")),
    ("ReduceLROnPlateau", dict(min_lr=[0])),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0])),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_arguments_raise_like_torch(name, kw):
    eo, to = _optims(momentum=0.9)
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim.lr_scheduler, name)(to, **kw)
    with pytest.raises(ValueError) as got:
        getattr(eoptim.lr_scheduler, name)(eo, **kw)
    assert str(got.value) == str(expected.value)


def test_cyclic_needs_momentum():
    eo = eoptim.Adagrad([ember.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="must support momentum"):
        eoptim.lr_scheduler.CyclicLR(eo, 0.01, 0.1)


def test_onecycle_too_many_steps():
    eo, _ = _optims(momentum=0.9)
    sched = eoptim.lr_scheduler.OneCycleLR(eo, max_lr=0.1, total_steps=3)
    for _ in range(3):
        eo.step()
        sched.step()
    eo.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_custom_subclass_overriding_get_lr():
    class Halving(eoptim.lr_scheduler.LRScheduler):
        def get_lr(self):
            return [b * 0.5**self.last_epoch for b in self.base_lrs]

    eo, _ = _optims()
    sched = Halving(eo)
    for _ in range(3):
        eo.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 / 8, 0.05 / 8]
    assert math.isclose(eo.param_groups[0]["lr"], 0.0125)
