"""ember.save / ember.load against real PyTorch: every dtype both ways, views and shared storage,
nested checkpoints, map_location, mmap, atomic saves, NumPy arrays, modules and optimizers, and
resuming training from a checkpoint."""

from __future__ import annotations

import copy
import io
import mmap
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from conftest import to_np

import ember
from ember import serialization

torch = pytest.importorskip("torch")

DTYPES = [
    "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool", "complex64", "complex128",
]  # fmt: skip


def _np_values(name: str, shape=(3, 4), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name.startswith(("int", "uint")):
        info = np.iinfo(name)
        return rng.integers(info.min, info.max, shape, endpoint=True, dtype=name)
    return rng.standard_normal(shape).astype(getattr(ember, name).np)


def _torch_bytes(t) -> bytes:
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def _ember_bytes(t) -> bytes:
    return np.ascontiguousarray(t.detach().numpy()).tobytes()


def _same(e, t) -> None:
    """ember tensor ``e`` equals torch tensor ``t`` bit for bit, in shape and dtype."""
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert _ember_bytes(e) == _torch_bytes(t)


def _torch_tensor(arr: np.ndarray):
    if arr.dtype == ember.bfloat16.np:
        return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(arr.copy())


# -- every dtype, both directions ----------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_ember_to_torch_every_dtype(tmp_path, name):
    arr = _np_values(name)
    sd = OrderedDict(x=ember.from_numpy(arr.copy()), s=ember.from_numpy(np.array(arr[1, 2])))
    ember.save(sd, tmp_path / "e.pt")
    got = torch.load(tmp_path / "e.pt", weights_only=True)
    assert isinstance(got, OrderedDict) and list(got) == ["x", "s"]
    _same(sd["x"], got["x"])
    _same(sd["s"], got["s"])


@pytest.mark.parametrize("name", DTYPES)
def test_torch_to_ember_every_dtype(tmp_path, name):
    arr = _np_values(name, seed=1)
    sd = OrderedDict(x=_torch_tensor(arr), s=_torch_tensor(arr)[0, 1].clone())
    torch.save(sd, tmp_path / "t.pt")
    got = ember.load(tmp_path / "t.pt")
    assert isinstance(got, OrderedDict) and list(got) == ["x", "s"]
    _same(got["x"], sd["x"])
    _same(got["s"], sd["s"])
    got["x"].fill_(1)  # loaded memory is writable


# -- views, shared storage, odd shapes -----------------------------------------------------------
def test_views_share_one_storage_in_torch(tmp_path):
    base = ember.arange(24, dtype=ember.float32).reshape(4, 6)
    views = {
        "base": base, "slice": base[1:, ::2], "t": base.T, "row": base[2],
        "elem": base[3, 5:6].squeeze(0), "expand": base[0, :1].expand(3, 5), "flip": base.flip(0),
    }  # fmt: skip
    ember.save(views, tmp_path / "v.pt")
    with zipfile.ZipFile(tmp_path / "v.pt") as z:  # base and its views: one record (+ the flip)
        assert sorted(n for n in z.namelist() if "/data/" in n) == [
            "archive/data/0",
            "archive/data/1",
        ]
    got = torch.load(tmp_path / "v.pt", weights_only=True)
    for k, v in views.items():
        _same(v, got[k])
    for k in ("slice", "t", "row", "elem", "expand"):
        assert got[k].stride() == views[k].stride(), k
        assert got[k].storage_offset() == views[k].storage_offset(), k
        assert got[k].untyped_storage().data_ptr() == got["base"].untyped_storage().data_ptr()
    got["base"].zero_()
    assert got["slice"].abs().sum() == 0 and got["elem"] == 0 and got["flip"].abs().sum() > 0


def test_torch_views_share_memory_in_ember(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    views = {"base": base, "slice": base[1:, ::2], "t": base.t(), "elem": base[3, 5:6].squeeze(0),
             "expand": base[0, :1].expand(3, 5), "empty": base[4:]}  # fmt: skip
    torch.save(views, tmp_path / "v.pt")
    got = ember.load(tmp_path / "v.pt")
    for k, v in views.items():
        _same(got[k], v)
        assert got[k].stride() == v.stride(), k
    got["base"].mul_(0)
    assert float(got["slice"].abs().sum()) == 0 and float(got["expand"].abs().sum()) == 0
    # saving again keeps the sharing: one storage record
    ember.save(got, tmp_path / "again.pt")
    again = torch.load(tmp_path / "again.pt", weights_only=True)
    assert again["t"].untyped_storage().data_ptr() == again["base"].untyped_storage().data_ptr()


def test_zero_dim_and_empty_tensors_both_ways(tmp_path):
    e = {
        "s": ember.tensor(3.5),
        "i": ember.tensor(7),
        "e": ember.empty(0),
        "e2": ember.zeros(2, 0, 3),
    }
    ember.save(e, tmp_path / "e.pt")
    t = torch.load(tmp_path / "e.pt", weights_only=True)
    for k in e:
        _same(e[k], t[k])
    torch.save(t, tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    for k in e:
        _same(back[k], t[k])


def test_same_memory_as_two_dtypes_is_refused():
    x = ember.zeros(4, dtype=ember.int32)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        ember.save([x, x.view(ember.float32)], io.BytesIO())
    y = torch.zeros(4, dtype=torch.int32)  # PyTorch refuses the same
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        torch.save([y, y.view(torch.float32)], io.BytesIO())


def test_parameters_and_requires_grad(tmp_path):
    p = ember.nn.Parameter(ember.randn(3))
    frozen = ember.nn.Parameter(ember.randn(2), requires_grad=False)
    leaf = ember.randn(2).requires_grad_()
    ember.save({"p": p, "f": frozen, "leaf": leaf}, tmp_path / "p.pt")
    t = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(t["p"], torch.nn.Parameter) and t["p"].requires_grad
    assert isinstance(t["f"], torch.nn.Parameter) and not t["f"].requires_grad
    assert t["leaf"].requires_grad and not isinstance(t["leaf"], torch.nn.Parameter)
    torch.save(t, tmp_path / "t.pt")
    e = ember.load(tmp_path / "t.pt")
    assert isinstance(e["p"], ember.nn.Parameter) and e["p"].requires_grad
    assert isinstance(e["f"], ember.nn.Parameter) and not e["f"].requires_grad
    assert e["leaf"].requires_grad and e["leaf"].is_leaf
    _same(e["p"], t["p"])


# -- whole checkpoints ---------------------------------------------------------------------------
def _nested_eq(a, b, path="") -> None:
    if isinstance(b, torch.Tensor):
        _same(a, b)
    elif isinstance(b, (torch.Size, torch.device, torch.dtype)):
        assert str(a).split(".")[-1].replace("ember", "torch") == str(b).split(".")[-1], path
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b), path
        for k in b:
            _nested_eq(a[k], b[k], f"{path}.{k}")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _nested_eq(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and (a == b or a != a and b != b), path


def _torch_checkpoint():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 3)
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.8, 0.9))
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
    net(torch.randn(4, 1, 4, 4)).square().mean().backward()
    opt.step()
    sched.step()
    return {
        "model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
        "epoch": 7, "loss": 0.25, "nan": float("nan"), "name": "run-1", "flags": [True, None, b"x"],
        "nested": {"t": (1, 2.5, "a"), "l": [[], {}, ()]}, "size": torch.Size([2, 3]),
        "dtype": torch.bfloat16, "device": torch.device("cpu"), "big": 2**70, "z": 1 + 2j,
        "set": {1, 2},
    }  # fmt: skip


def test_torch_checkpoint_loads_in_ember_and_back(tmp_path):
    ck = _torch_checkpoint()
    torch.save(ck, tmp_path / "t.pt")
    got = ember.load(tmp_path / "t.pt")
    _nested_eq(got, ck)
    assert isinstance(got["size"], ember.Size) and got["dtype"] is ember.bfloat16
    assert got["device"] == ember.device("cpu")
    ember.save(got, tmp_path / "e.pt")
    _nested_eq(got, torch.load(tmp_path / "e.pt", weights_only=True))


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    ember.save({"a": ember.ones(3)}, buf)
    buf.seek(0)
    assert torch.load(buf, weights_only=True)["a"].tolist() == [1.0, 1.0, 1.0]
    tbuf = io.BytesIO()
    torch.save({"a": torch.arange(3)}, tbuf)
    tbuf.seek(0)
    assert ember.load(tbuf)["a"].tolist() == [0, 1, 2]
    with open(tmp_path / "f.pt", "wb") as fh:
        ember.save([ember.zeros(2)], fh)
    with open(tmp_path / "f.pt", "rb") as fh:
        assert ember.load(fh)[0].tolist() == [0.0, 0.0]
    assert ember.load(str(tmp_path / "f.pt"))[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_protocols(protocol):
    buf = io.BytesIO()
    w = ember.arange(4).reshape(2, 2).T
    obj = {"w": w, "d": ember.float16, "a": np.arange(3.0), "again": [w, ember.float16],
           "dev": [ember.device("cpu")] * 2, "size": [w.shape, w.shape]}  # fmt: skip
    ember.save(obj, buf, pickle_protocol=protocol)
    buf.seek(0)
    t = torch.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert t["w"].tolist() == [[0, 2], [1, 3]] and t["d"] is torch.float16
    got = ember.load(buf)
    assert got["w"].tolist() == [[0, 2], [1, 3]] and got["d"] is ember.float16
    assert got["again"][0] is got["w"] and got["again"][1] is ember.float16
    assert got["dev"] == [ember.device("cpu")] * 2 and got["size"] == [(2, 2), (2, 2)]
    np.testing.assert_array_equal(got["a"], obj["a"])


def test_records_are_aligned_and_stored():
    buf = io.BytesIO()
    ember.save({f"t{i}": ember.ones(i + 1, dtype=ember.int8) for i in range(5)}, buf)
    raw = buf.getvalue()
    with zipfile.ZipFile(buf) as z:
        assert z.read("archive/version") == b"3\n" and z.read("archive/byteorder") == b"little"
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            n, e = np.frombuffer(raw[info.header_offset + 26 : info.header_offset + 30], "<u2")
            assert (info.header_offset + 30 + n + e) % 64 == 0, info.filename


# -- NumPy arrays --------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", [2, 5])
def test_numpy_arrays_and_scalars(protocol):
    objs = {n: _np_values(n, (2, 3)) for n in DTYPES}
    objs["big_endian"] = np.arange(4, dtype=">f4")
    objs["fortran"] = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    objs["scalar"] = np.float64(2.5)
    objs["i32"] = np.int32(-3)
    buf = io.BytesIO()
    ember.save(objs, buf, pickle_protocol=protocol)
    got = ember.load(io.BytesIO(buf.getvalue()))
    for k, v in objs.items():
        ref = pickle.loads(pickle.dumps(v, protocol))  # what plain pickle gives back
        assert type(got[k]) is type(ref) and got[k].dtype == ref.dtype, k
        np.testing.assert_array_equal(got[k], v)
    assert got["fortran"].flags.f_contiguous


def test_numpy_saved_by_torch_loads_safely(tmp_path):
    torch.save({"a": np.arange(5, dtype=np.int16), "m": np.float32(1.5)}, tmp_path / "n.pt")
    with pytest.raises(pickle.UnpicklingError):  # PyTorch refuses these by default
        torch.load(tmp_path / "n.pt", weights_only=True)
    got = ember.load(tmp_path / "n.pt")
    np.testing.assert_array_equal(got["a"], np.arange(5, dtype=np.int16))
    assert got["m"] == np.float32(1.5)


# -- map_location and mmap -----------------------------------------------------------------------
def test_map_location_forms(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, tmp_path / "t.pt")
    seen = []

    def fn(storage, location):
        seen.append((location, storage.dtype, tuple(storage.shape)))
        return storage * 2

    for ml in ["cpu", ember.device("cpu"), torch.device("cpu"), {"cpu": "cpu"}, None,
               lambda s, loc: None]:  # fmt: skip
        got = ember.load(tmp_path / "t.pt", map_location=ml)
        assert got["w"].device == ember.device("cpu") and got["w"].tolist()[1] == [3.0, 4.0, 5.0]
    assert ember.load(tmp_path / "t.pt", map_location=fn)["w"].tolist()[0] == [0.0, 2.0, 4.0]
    assert seen == [("cpu", ember.float32, (6,))]
    with pytest.raises(ZeroDivisionError):  # the caller's own error passes through unchanged
        ember.load(tmp_path / "t.pt", map_location=lambda s, loc: 1 / 0)


def test_cuda_locations(tmp_path):
    from fake_cupy import installed

    with installed():
        x = ember.arange(6.0, device="cuda").reshape(2, 3)
        ember.save({"x": x, "xt": x.T, "s": x[1, 2:3].squeeze(0)}, tmp_path / "c.pt")
        back = ember.load(tmp_path / "c.pt")  # back to the device it came from
        assert back["x"].device == ember.device("cuda:0") and back["xt"].tolist()[0] == [0.0, 3.0]
        assert back["s"].shape == () and back["s"].item() == 5.0
        on_cpu = ember.load(tmp_path / "c.pt", map_location="cpu")
        assert on_cpu["x"].device == ember.device("cpu")
        cpu_file = tmp_path / "cpu.pt"
        ember.save({"y": ember.ones(2)}, cpu_file)
        assert ember.load(cpu_file, map_location="cuda:1")["y"].device == ember.device("cuda:1")
    t = torch.load(tmp_path / "c.pt", map_location="cpu", weights_only=True)
    assert t["xt"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    with pytest.raises(RuntimeError, match="CUDA device but ember.cuda.is_available"):
        ember.load(tmp_path / "c.pt")
    for ml in ["cpu", {"cuda:0": "cpu"}, lambda s, loc: s]:
        assert ember.load(tmp_path / "c.pt", map_location=ml)["x"].device.type == "cpu"


def _root(a):
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a.base.obj if isinstance(a.base, memoryview) else a.base


def test_mmap(tmp_path):
    w = torch.arange(1000.0)
    torch.save({"w": w, "v": w[10:20]}, tmp_path / "t.pt")
    ember.save({"w": ember.ones(2, 3), "n": 5}, tmp_path / "e.pt")
    got = ember.load(tmp_path / "t.pt", mmap=True)
    assert isinstance(_root(got["w"]._data), mmap.mmap)  # mapped from the file, not read
    assert np.shares_memory(got["w"]._data, got["v"]._data) and got["v"].tolist()[0] == 10.0
    before = (tmp_path / "t.pt").read_bytes()
    got["w"].add_(1)  # copy-on-write: the file does not change
    assert (tmp_path / "t.pt").read_bytes() == before
    e = ember.load(tmp_path / "e.pt", mmap=True)
    assert isinstance(_root(e["w"]._data), mmap.mmap) and e["w"].tolist() == [[1.0] * 3] * 2
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(before), mmap=True)
    assert torch.load(tmp_path / "e.pt", mmap=True, weights_only=True)["w"].sum() == 6


# -- atomic saves --------------------------------------------------------------------------------
def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    ember.save({"v": ember.zeros(3), "epoch": 1}, path)
    old = path.read_bytes()
    real, calls = serialization._write_record, []

    def dies_half_way(zf, name, data):
        calls.append(name)
        if "/data/1" in name:  # after data.pkl and the first storage went to disk
            raise OSError(28, "No space left on device")
        real(zf, name, data)

    monkeypatch.setattr(serialization, "_write_record", dies_half_way)
    with pytest.raises(OSError, match="No space left"):
        ember.save({"a": ember.ones(1000), "b": ember.ones(1000), "epoch": 2}, path)
    assert any("/data/0" in c for c in calls)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ck.pt"]
    monkeypatch.setattr(serialization, "_write_record", real)
    ember.save({"epoch": 3}, path)
    assert ember.load(path)["epoch"] == 3 and os.listdir(tmp_path) == ["ck.pt"]


def test_save_through_symlink_and_errors(tmp_path):
    real = tmp_path / "real.pt"
    ember.save(1, real)
    os.chmod(real, 0o640)
    link = tmp_path / "link.pt"
    link.symlink_to(real)
    ember.save(2, link)
    assert link.is_symlink() and ember.load(real) == 2
    assert oct(os.stat(real).st_mode & 0o777) == oct(0o640)
    with pytest.raises(RuntimeError, match="Parent directory"):
        ember.save(1, tmp_path / "missing" / "x.pt")
    with pytest.raises(ValueError, match="pickle_protocol"):
        ember.save(1, io.BytesIO(), pickle_protocol=1)


# -- plain pickle and copy of tensors ------------------------------------------------------------
def test_pickle_and_copy_of_tensors():
    x = ember.arange(6.0).reshape(2, 3).requires_grad_()
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.requires_grad and not np.shares_memory(y._data, x._data)
    c = copy.copy(x.detach())
    assert np.shares_memory(c._data, x._data)
    d = copy.deepcopy(x)
    assert d.tolist() == x.tolist() and not np.shares_memory(d._data, x._data)
    p = pickle.loads(pickle.dumps(ember.nn.Parameter(ember.ones(2))))
    assert isinstance(p, ember.nn.Parameter) and p.requires_grad


# -- modules, optimizers, resuming ---------------------------------------------------------------
class _Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = ember.nn.Linear(5, 8)
        self.bn = ember.nn.BatchNorm1d(8)
        self.drop = ember.nn.Dropout(0.3)
        self.fc2 = ember.nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(self.drop(self.bn(self.fc1(x).clamp(min=0))))


def test_module_and_optimizer_state_round_trip_bit_exact(tmp_path):
    net = _Net()
    opt = ember.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        net(ember.randn(4, 5)).square().mean().backward()
        opt.step()
    ember.save({"model": net.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.pt")
    ck = ember.load(tmp_path / "ck.pt")
    net2, opt2 = _Net(), None
    net2.load_state_dict(ck["model"])
    opt2 = ember.optim.Adam(net2.parameters(), lr=0.5)
    opt2.load_state_dict(ck["opt"])
    for (k, a), b in zip(net.state_dict().items(), net2.state_dict().values()):
        assert _ember_bytes(a) == _ember_bytes(b), k
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for i in s1["state"]:
        for k, v in s1["state"][i].items():
            w = s2["state"][i][k]
            assert _ember_bytes(v) == _ember_bytes(w) if isinstance(v, ember.Tensor) else v == w


def test_ember_model_runs_in_torch(tmp_path):
    net = _Net().eval()
    ember.save(net.state_dict(), tmp_path / "m.pt")
    tnet = torch.nn.Sequential()
    tnet.fc1, tnet.bn = torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8)
    tnet.fc2 = torch.nn.Linear(8, 2)
    tnet.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    tnet.eval()
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    want = tnet.fc2(tnet.bn(tnet.fc1(torch.from_numpy(x)).relu()))
    np.testing.assert_allclose(to_np(net(ember.from_numpy(x))), to_np(want), rtol=1e-5, atol=1e-6)


def _train(net, opt, sched, steps, data):
    losses = []
    for i in steps:
        x, y = data[i]
        opt.zero_grad()
        loss = (net(x) - y).square().mean()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
    return losses


def test_resume_from_checkpoint_gives_the_same_losses(tmp_path):
    g = np.random.default_rng(0)
    data = [
        (
            ember.from_numpy(g.standard_normal((6, 5)).astype(np.float32)),
            ember.from_numpy(g.standard_normal((6, 2)).astype(np.float32)),
        )
        for _ in range(6)
    ]

    def fresh():
        ember.manual_seed(1)
        net = _Net()
        opt = ember.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        return net, opt, ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    parts = fresh()
    ember.manual_seed(123)
    straight = _train(*parts, range(6), data)

    net, opt, sched = fresh()
    ember.manual_seed(123)
    first = _train(net, opt, sched, range(3), data)
    ember.save({"model": net.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "rng": ember.get_rng_state(), "step": 3},
               tmp_path / "ck.pt")  # fmt: skip
    del net, opt, sched
    ember.manual_seed(999)  # whatever happens in between must not matter
    ember.randn(10)
    net, opt, sched = fresh()
    ck = ember.load(tmp_path / "ck.pt")
    net.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    sched.load_state_dict(ck["scheduler"])
    ember.set_rng_state(ck["rng"])
    rest = _train(net, opt, sched, range(ck["step"], 6), data)
    assert first + rest == straight


def test_big_endian_checkpoints(tmp_path):
    sd = {"f": torch.arange(6.0).reshape(2, 3), "i": torch.tensor([1, -2], dtype=torch.int64),
          "c": torch.tensor([1 + 2j]), "b": torch.tensor([True, False])}  # fmt: skip
    buf = io.BytesIO()
    torch.save(sd, buf)
    by_bytes = {_torch_bytes(v): v.numpy() for v in sd.values()}
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(tmp_path / "be.pt", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename:  # the same values, written big-endian
                a = by_bytes[data]
                data = a.astype(a.dtype.newbyteorder(">")).tobytes()
            dst.writestr(info.filename, data)
    want = torch.load(tmp_path / "be.pt", weights_only=True)  # PyTorch swaps them back
    got = ember.load(tmp_path / "be.pt")
    for k in sd:
        _same(got[k], want[k])
        _same(got[k], sd[k])
