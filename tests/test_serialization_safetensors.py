"""ember.utils.safetensors against the safetensors package's PyTorch API and nn.Module."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_serialization import DTYPES, _np_values, _same, _torch_tensor

import ember
from ember.utils.safetensors import load, load_file, save, save_file

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

STORABLE = [d for d in DTYPES if d != "complex128"]  # the format has no complex128


def test_ember_file_loads_in_torch_every_dtype(tmp_path):
    tensors = {d: ember.from_numpy(_np_values(d)) for d in STORABLE}
    tensors["strided"] = ember.arange(12.0).reshape(3, 4).T[::2]  # written dense, as seen
    tensors["scalar"] = ember.tensor(2.5)
    save_file(tensors, tmp_path / "e.safetensors", metadata={"format": "pt", "note": "hi"})
    got = st_torch.load_file(tmp_path / "e.safetensors")
    assert sorted(got) == sorted(tensors)
    for k, v in tensors.items():
        _same(v, got[k])
    from safetensors import safe_open

    with safe_open(tmp_path / "e.safetensors", framework="np") as f:
        assert f.metadata() == {"format": "pt", "note": "hi"}


def test_torch_file_loads_in_ember_every_dtype(tmp_path):
    tensors = {d: _torch_tensor(_np_values(d, seed=3)) for d in STORABLE}
    st_torch.save_file(tensors, tmp_path / "t.safetensors")
    got = load_file(tmp_path / "t.safetensors")
    for k, v in tensors.items():
        _same(got[k], v)
        got[k].fill_(0)  # own, writable memory
    assert load_file(tmp_path / "t.safetensors")["float32"].abs().sum() > 0


def test_bytes_api_and_bad_input():
    data = save({"a": ember.ones(2, 3, dtype=ember.bfloat16)})
    assert load(data)["a"].dtype is ember.bfloat16
    _same(load(data)["a"], st_torch.load(data)["a"])
    with pytest.raises(TypeError, match="complex128"):
        save({"z": ember.zeros(2, dtype=ember.complex128)})
    with pytest.raises(TypeError, match="not a Tensor"):
        save({"n": np.zeros(2)})
    with pytest.raises(TypeError, match="metadata"):
        save({"a": ember.ones(1)}, metadata={"epoch": 3})


def test_module_load_state_dict_takes_it(tmp_path):
    net = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3), ember.nn.Linear(3, 2))
    save_file(net.state_dict(), tmp_path / "m.safetensors")
    other = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3),
                                ember.nn.Linear(3, 2))  # fmt: skip
    other.load_state_dict(load_file(tmp_path / "m.safetensors"))
    net.eval(), other.eval()
    x = ember.randn(5, 4)
    assert np.array_equal(net(x).detach().numpy(), other(x).detach().numpy())
    # and a PyTorch model with the same layout takes it too
    tnet = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2)
    )
    tnet.load_state_dict(st_torch.load_file(tmp_path / "m.safetensors"))


def test_device_and_interrupted_save(tmp_path, monkeypatch):
    from fake_cupy import installed

    path = tmp_path / "w.safetensors"
    save_file({"w": ember.ones(3)}, path)
    with installed():
        assert load_file(path, device="cuda:1")["w"].device == ember.device("cuda:1")
        assert load_file(path, device=0)["w"].device == ember.device("cuda:0")
    old = path.read_bytes()

    def no_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", no_fsync)
    with pytest.raises(OSError, match="Input/output"):
        save_file({"w": ember.zeros(1000)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["w.safetensors"]
