"""nn.Module's API (registration, traversal, state_dict, modes, conversion, hooks, repr) and the
containers and Parameter, compared against PyTorch where PyTorch defines the answer."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")


def nested(lib):
    """A model that uses every container and registration path (``lib`` is torch or ember)."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.register_buffer("scale", lib.full((2,), 2.0))
            self.register_buffer("cache", None)
            self.register_buffer("scratch", lib.zeros(3), persistent=False)

        def forward(self, x):
            return nn.functional.relu(self.bn(self.conv(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.heads = nn.ModuleList([nn.Linear(16, 3), nn.Linear(16, 3), nn.Identity()])
            self.extra = nn.ModuleDict({"act": nn.GELU(), "drop": nn.Dropout(0.0)})
            self.features = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh())
            self.gains = nn.ParameterList([nn.Parameter(lib.ones(3))])
            self.offsets = nn.ParameterDict({"b": nn.Parameter(lib.zeros(3))})
            self.temperature = nn.Parameter(lib.ones(1))
            self.unused = None

        def forward(self, x):
            h = self.features(nn.functional.max_pool2d(self.block(x), 2))
            h = self.extra["drop"](self.extra["act"](h))
            return (self.heads[0](h) * self.gains[0] + self.offsets["b"]) / self.temperature

    return Net()


def torch_pair():
    torch.manual_seed(0)
    tm = nested(torch)
    em = nested(ember)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def test_names_and_order_match_torch():
    tm, em = torch_pair()
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in em.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in em.named_children()] == [n for n, _ in tm.named_children()]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert "block.scratch" not in em.state_dict()  # non-persistent
    assert len(list(em.modules())) == len(list(tm.modules()))
    assert [type(m).__name__ for m in em.children()] == [type(m).__name__ for m in tm.children()]
    assert [n for n, _ in em.named_parameters(prefix="m", recurse=False)] == [
        n for n, _ in tm.named_parameters(prefix="m", recurse=False)
    ]


def test_nested_repr_matches_torch():
    tm, em = torch_pair()
    assert repr(em) == repr(tm).replace("torch", "ember")
    ml_t = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()])
    ml_e = ember.nn.ModuleList([ember.nn.Linear(2, 2) for _ in range(3)] + [ember.nn.ReLU()])
    assert repr(ml_e) == repr(ml_t)
    assert repr(ember.nn.Module()) == repr(torch.nn.Module())
    pd_t = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(2, 3))})
    pd_e = ember.nn.ParameterDict({"a": ember.nn.Parameter(ember.zeros(2, 3))})
    assert repr(pd_e) == repr(pd_t).replace("torch", "ember")


def test_torch_state_dict_gives_same_outputs_and_grads():
    tm, em = torch_pair()
    tm.eval(), em.eval()
    x = np.random.default_rng(0).standard_normal((2, 2, 8, 8)).astype(np.float32)
    assert_close(em(ember.tensor(x)), tm(torch.tensor(x)), atol=1e-5)
    tm.train(), em.train()
    t_out, e_out = tm(torch.tensor(x)), em(ember.tensor(x))
    assert_close(e_out, t_out, atol=1e-5)
    t_out.pow(2).sum().backward()
    e_out.pow(2).sum().backward()
    for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        if tp.grad is None:
            assert ep.grad is None, n
        else:
            assert_close(ep.grad, tp.grad, rtol=1e-4, atol=1e-5)
    for (_, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers()):
        assert_close(eb, tb, atol=1e-6)


@pytest.mark.parametrize(
    "sd, strict",
    [
        ({"weight": np.zeros((3, 2)), "extra": np.zeros(1)}, True),
        ({"weight": np.zeros((3, 3)), "bias": np.zeros(3)}, True),
        ({"weight": np.zeros((3, 3)), "bias": np.zeros(3)}, False),
    ],
)
def test_load_state_dict_errors_match_torch(sd, strict):
    tm, em = torch.nn.Linear(2, 3), ember.nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict(
            {k: torch.tensor(v, dtype=torch.float32) for k, v in sd.items()}, strict=strict
        )
    with pytest.raises(RuntimeError) as ee:
        em.load_state_dict(
            {k: ember.tensor(v, dtype=ember.float32) for k, v in sd.items()}, strict=strict
        )
    assert str(ee.value) == str(te.value).replace("torch", "ember")


def test_load_state_dict_nested_keys_and_non_strict():
    sd = {
        "0.weight": np.zeros((1, 1)),
        "0.bias": np.zeros(1),
        "1.weight": np.zeros(1),
        "0.extra": np.zeros(1),
        "foo.bar": np.zeros(1),
    }
    tm = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU())
    em = ember.nn.Sequential(ember.nn.Linear(1, 1), ember.nn.ReLU())
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in sd.items()})
    with pytest.raises(RuntimeError) as ee:
        em.load_state_dict({k: ember.tensor(v, dtype=ember.float32) for k, v in sd.items()})
    assert str(ee.value) == str(te.value)
    res_t = tm.load_state_dict({"0.weight": torch.ones(1, 1), "z": torch.ones(1)}, strict=False)
    res_e = em.load_state_dict({"0.weight": ember.ones(1, 1), "z": ember.ones(1)}, strict=False)
    assert res_e.missing_keys == res_t.missing_keys
    assert res_e.unexpected_keys == res_t.unexpected_keys
    assert float(em[0].weight) == 1.0
    assert repr(em.load_state_dict(em.state_dict())) == "<All keys matched successfully>"


def test_load_state_dict_copies_in_place_and_assign():
    m = ember.nn.Linear(2, 2)
    w = m.weight
    src = {"weight": ember.ones(2, 2), "bias": ember.zeros(2)}
    m.load_state_dict(src)
    assert m.weight is w and float(w.sum()) == 4.0
    src["weight"].fill_(3.0)
    assert float(w.sum()) == 4.0  # copied, not aliased
    m.load_state_dict(src, assign=True)
    assert m.weight is not w and isinstance(m.weight, ember.nn.Parameter)
    assert m.weight.requires_grad


def test_state_dict_values_are_detached_and_keep_vars():
    m = ember.nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    assert sd["weight"].data_ptr() == m.weight.data_ptr()
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="lin.")) == ["lin.weight", "lin.bias"]


def test_train_eval_propagate():
    m = ember.nn.Sequential(ember.nn.Linear(1, 1), ember.nn.Sequential(ember.nn.Dropout()))
    assert m.training and m[1][0].training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_dtype_and_device_conversion_keep_parameter_objects():
    m = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.BatchNorm1d(2))
    params = list(m.parameters())
    m[0].weight.grad = ember.ones(2, 2)
    for conv, dt in (
        (lambda: m.double(), ember.float64),
        (lambda: m.half(), ember.float16),
        (lambda: m.float(), ember.float32),
        (lambda: m.to(ember.float64), ember.float64),
        (lambda: m.to("cpu", dtype=ember.float32), ember.float32),
    ):
        assert conv() is m
        assert all(p.dtype == dt for p in m.parameters())
        assert all(a is b for a, b in zip(params, m.parameters()))
        assert m[0].weight.grad.dtype == dt
        assert m[1].running_mean.dtype == dt
        assert m[1].num_batches_tracked.dtype == ember.int64
    assert m.type(ember.float64) is m  # type() casts every tensor, as in PyTorch
    assert m[1].num_batches_tracked.dtype == ember.float64
    m.type(ember.float32)
    assert m.cpu() is m and m[0].weight.device.type == "cpu"
    with pytest.raises(TypeError, match="floating point or complex"):
        m.to(ember.int32)
    y = m.to(ember.float32)(ember.randn(3, 2))
    assert y.dtype == ember.float32


def test_zero_grad_and_requires_grad():
    m = ember.nn.Linear(3, 1)
    m(ember.ones(2, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert float(m.weight.grad.abs().sum()) == 0.0 and m.weight.grad is not None
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(ember.ones(1, 3)).requires_grad


def test_apply_order_matches_torch():
    seen_t, seen_e = [], []
    tm, em = torch_pair()
    tm.apply(lambda mod: seen_t.append(type(mod).__name__))
    assert em.apply(lambda mod: seen_e.append(type(mod).__name__)) is em
    assert seen_e == seen_t


def test_registration_rules():
    nn = ember.nn
    m = nn.Module()
    m.w = nn.Parameter(ember.ones(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("b", ember.zeros(1))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["b"] and m.plain == 3
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = ember.ones(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    m.b = ember.ones(1)  # replaces the buffer, keeping it registered
    assert float(m.b) == 1.0 and "b" in dict(m.named_buffers())
    with pytest.raises(TypeError):
        m.b = 3
    m.stats = nn.Buffer(ember.zeros(3), persistent=False)
    assert "stats" in dict(m.named_buffers()) and "stats" not in m.state_dict()
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", ember.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="before Module.__init__"):

        class Bad(nn.Module):
            def __init__(self):
                self.p = nn.Parameter(ember.ones(1))

        Bad()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_shared_parameters_are_listed_once():
    lin = ember.nn.Linear(2, 2)
    m = ember.nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_get_submodule_parameter_buffer():
    tm, em = torch_pair()
    assert em.get_submodule("block.bn") is em.block.bn
    assert em.get_submodule("") is em
    assert em.get_parameter("heads.1.bias") is em.heads[1].bias
    assert em.get_buffer("block.bn.running_var") is em.block.bn.running_var
    for target in ("block.nothing", "block.bn.weight"):
        with pytest.raises(AttributeError) as te:
            tm.get_submodule(target)
        with pytest.raises(AttributeError) as ee:
            em.get_submodule(target)
        assert str(ee.value) == str(te.value)


def test_forward_hooks():
    calls = []
    m = ember.nn.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(args[0].sum().item()))
    h3 = m.register_forward_hook(lambda mod, args, out: out + 1)
    y = m(ember.ones(1, 2))
    assert calls == [0.0]
    assert_close(y, m.bias.detach().unsqueeze(0) + 1)
    h1.remove(), h2.remove(), h3.remove()
    assert_close(m(ember.zeros(1, 2)), m.bias.detach().unsqueeze(0))
    seen = []
    with m.register_forward_pre_hook(lambda mod, a, k: seen.append(k) or (a, {}), with_kwargs=True):
        m(ember.ones(1, 2))
    assert seen == [{}]
    order = []
    m.register_forward_hook(lambda *a: order.append("b"))
    m.register_forward_hook(lambda *a: order.append("a"), prepend=True)
    m(ember.ones(1, 2))
    assert order == ["a", "b"]
    from ember.nn.modules.module import register_module_forward_hook

    names = []
    h = register_module_forward_hook(lambda mod, a, o: names.append(type(mod).__name__))
    ember.nn.Sequential(ember.nn.ReLU())(ember.ones(1))
    h.remove()
    assert names == ["ReLU", "Sequential"]


def _bw_hook_record(lib, make, inputs, replace=None):
    torch.manual_seed(0)
    ref = make(torch.nn)
    m = make(lib.nn)
    if lib is ember:
        m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    else:
        m = ref
    log = []

    def hook(mod, gin, gout):
        log.append(
            (
                [None if g is None else np.array(g.detach().numpy()) for g in gin],
                [np.array(g.detach().numpy()) for g in gout],
            )
        )
        if replace is not None:
            return tuple(None if g is None else g * replace for g in gin)

    m.register_full_backward_hook(hook)
    xs = [lib.tensor(x, requires_grad=rg) for x, rg in inputs]
    out = m(*xs)
    out.sum().backward()
    return log, [x.grad for x in xs], m


@pytest.mark.parametrize(
    "make, inputs",
    [
        (lambda nn: nn.Linear(3, 2), [(np.ones((2, 3), np.float32), True)]),
        (
            lambda nn: nn.Bilinear(2, 3, 2),
            [(np.ones((2, 2), np.float32), True), (np.full((2, 3), 0.5, np.float32), False)],
        ),
        (lambda nn: nn.Linear(3, 2), [(np.ones((2, 3), np.float32), False)]),
    ],
)
def test_full_backward_hook_matches_torch(make, inputs):
    t_log, t_grads, tm = _bw_hook_record(torch, make, inputs, replace=2.0)
    e_log, e_grads, em = _bw_hook_record(ember, make, inputs, replace=2.0)
    assert len(e_log) == len(t_log) == 1
    (t_in, t_out), (e_in, e_out) = t_log[0], e_log[0]
    assert len(e_in) == len(t_in) and len(e_out) == len(t_out)
    for a, b in zip(e_in + e_out, t_in + t_out):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(e_grads, t_grads):  # the hook's doubled grad_input reached the inputs
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b, atol=1e-6)


def test_full_backward_pre_hook():
    m = ember.nn.Linear(2, 1)
    m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 0,))
    x = ember.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert float(x.grad.abs().sum()) == 0.0


def test_parameter_basics():
    P = ember.nn.Parameter
    t = ember.tensor([1.0, 2.0])
    p = P(t)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert p.data_ptr() == t.data_ptr()
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))).replace("torch", "ember")
    assert not P(t, requires_grad=False).requires_grad
    assert P().shape == (0,)
    q = copy.deepcopy(p)
    assert isinstance(q, P) and q.data_ptr() != p.data_ptr() and q.requires_grad
    assert type(p * 2) is ember.Tensor


def test_parameter_pickles():
    pytest.importorskip("ember.serialization")
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, ember.nn.Parameter) and r.tolist() == [1.0, 2.0] and r.requires_grad


def test_deepcopy_module_is_independent():
    tm, em = torch_pair()
    em2 = copy.deepcopy(em)
    assert repr(em2) == repr(em)
    for a, b in zip(em.parameters(), em2.parameters()):
        assert type(b) is ember.nn.Parameter and a.data_ptr() != b.data_ptr()
    with ember.no_grad():
        em2.temperature.fill_(5.0)
    assert float(em.temperature) == 1.0


def test_sequential_api():
    nn = ember.nn
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b)
    s.append(c)
    assert len(s) == 3 and s[-1] is c and list(s) == [a, b, c]
    assert isinstance(s[1:], nn.Sequential) and list(s[1:]) == [b, c]
    assert list(s[1:]._modules) == ["1", "2"]
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c]
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    assert s.pop(1) is not None and len(s) == 2
    named = nn.Sequential(__import__("collections").OrderedDict([("fc", a), ("act", b)]))
    assert list(dict(named.named_children())) == ["fc", "act"]
    assert len(s + named) == 4
    with pytest.raises(IndexError):
        s[5]
    assert s(ember.ones(3, 1)).shape == (3, 1)


def test_module_list_dict_param_containers():
    nn = ember.nn
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    ml.insert(1, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Linear", "Identity", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert type(ml[0]).__name__ == "Identity" and list(ml._modules)[0] == "0"
    with pytest.raises(TypeError):
        ml.extend(nn.Linear(1, 1))
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Linear(1, 1)
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert md.pop("a").__class__.__name__ == "ReLU" and list(md) == ["b", "c"]
    assert len(list(md.parameters())) == 2
    pl = nn.ParameterList([ember.zeros(2), nn.Parameter(ember.ones(1))])
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2
    pl.append(ember.ones(3))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"x": ember.zeros(2)})
    pd["y"] = nn.Parameter(ember.ones(1))
    assert list(pd.keys()) == ["x", "y"] and isinstance(pd["x"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["x", "y"]
    del pd["x"]
    assert list(pd) == ["y"] and "x" not in dict(pd.named_parameters())


def test_flatten_unflatten_errors():
    with pytest.raises(TypeError):
        ember.nn.Unflatten(1, 6)
