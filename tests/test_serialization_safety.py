"""ember.load never runs code from a file: malicious pickles are refused before anything is called,
damaged files raise LoadError naming the file, and randomly mutated checkpoints never crash."""

from __future__ import annotations

import builtins
import copyreg
import io
import os
import pickle
import random
import subprocess
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import LoadError, UnsafeGlobalError

torch = pytest.importorskip("torch")


def _checkpoint(pkl: bytes, version: bytes = b"3\n", extra: dict | None = None) -> bytes:
    """A zip checkpoint whose data.pkl is ``pkl`` (plus any ``extra`` records)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", b"little")
        for name, data in (extra or {}).items():
            z.writestr(f"archive/{name}", data)
        z.writestr("archive/version", version)
    return buf.getvalue()


def _records(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}


class _Call:
    """Pickles as ``fn(*args)``: the classic code-execution payload."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)

    def __call__(self, *a):  # lets a _Call stand where pickle expects a callable
        raise AssertionError("never called while pickling")


def _payloads(marker: str) -> dict[str, bytes]:
    touch = f"touch {marker}"
    open_it = f"open({marker!r}, 'w').close()"
    get_system = _Call(getattr, _Call(builtins.__import__, "os"), "system")
    m = marker.encode()
    return {
        "os.system": pickle.dumps(_Call(os.system, touch), protocol=2),
        "os.system protocol 4": pickle.dumps({"w": _Call(os.system, touch)}, protocol=4),
        "builtins.eval": pickle.dumps(_Call(builtins.eval, open_it), protocol=2),
        "builtins.exec": pickle.dumps([_Call(builtins.exec, open_it)], protocol=2),
        "getattr trick": pickle.dumps(_Call(get_system, touch), protocol=2),
        "subprocess": pickle.dumps(_Call(subprocess.check_call, ["touch", marker]), protocol=2),
        "posix.system": b"cposix\nsystem\n(S'touch " + m + b"'\ntR.",
        "INST opcode": b"(S'touch " + m + b"'\nios\nsystem\n.",
        "OBJ opcode": b"(cos\nsystem\nS'touch " + m + b"'\no.",
        "copyreg._reconstructor": b"ccopyreg\n_reconstructor\n(cos\nsystem\nc__builtin__\nobject\n"
        b"NtR.",
        "object array": pickle.dumps(np.array([1, _Call(os.system, touch)], dtype=object), 2),
    }


@pytest.mark.parametrize("name", list(_payloads("m")))
def test_malicious_pickles_are_refused(tmp_path, name):
    marker = tmp_path / "pwned"
    data = _checkpoint(_payloads(str(marker))[name])
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    with pytest.raises(pickle.UnpicklingError) as info:
        ember.load(path)
    assert isinstance(info.value, UnsafeGlobalError) and str(path) in str(info.value)
    assert not marker.exists()


def test_refusal_names_the_global_and_the_payloads_are_real(tmp_path):
    marker = tmp_path / "pwned"
    payloads = _payloads(str(marker))
    for name, glob in [("os.system", "posix.system"), ("builtins.eval", "builtins.eval"),
                       ("subprocess", "check_call"), ("getattr trick", "getattr")]:  # fmt: skip
        with pytest.raises(UnsafeGlobalError, match=glob.replace(".", r"\.")):
            ember.load(io.BytesIO(_checkpoint(payloads[name])))
    assert not marker.exists()
    # the same files do run code when loaded the unsafe way: the test above can fail
    ember.load(io.BytesIO(_checkpoint(payloads["os.system"])), weights_only=False)
    assert marker.exists()


def test_extension_registry_is_not_a_way_around(tmp_path):
    marker = tmp_path / "pwned"
    copyreg.add_extension("os", "system", 0xF1)
    try:
        pkl = b"\x80\x02\x82\xf1X" + len(f"touch {marker}").to_bytes(4, "little")
        pkl += f"touch {marker}".encode() + b"\x85R."
        with pytest.raises(UnsafeGlobalError, match="os.system"):
            ember.load(io.BytesIO(_checkpoint(pkl)))
    finally:
        copyreg.remove_extension("os", "system", 0xF1)
    assert not marker.exists()


def test_whole_torch_modules_are_refused_by_name(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(UnsafeGlobalError, match=r"torch\.nn\.modules\.linear\.Linear"):
        ember.load(tmp_path / "m.pt")


class Config:
    def __init__(self, lr=0.1, name="x"):
        self.lr, self.name = lr, name


def test_safe_globals_opt_in():
    buf = io.BytesIO()
    ember.save({"cfg": Config(0.5, "run"), "w": ember.ones(2)}, buf)
    data = buf.getvalue()
    with pytest.raises(UnsafeGlobalError, match="Config"):
        ember.load(io.BytesIO(data))
    with ember.serialization.safe_globals([Config]):
        got = ember.load(io.BytesIO(data))
    assert isinstance(got["cfg"], Config) and (got["cfg"].lr, got["cfg"].name) == (0.5, "run")
    with pytest.raises(UnsafeGlobalError):
        ember.load(io.BytesIO(data))
    ember.serialization.add_safe_globals([(Config, f"{__name__}.Config")])
    try:
        assert ember.serialization.get_safe_globals() == [Config]
        assert ember.load(io.BytesIO(data))["cfg"].lr == 0.5
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []


def test_state_of_other_objects_cannot_be_set():
    # BUILD on an allowed object (an OrderedDict's _metadata is fine; a tensor's slots are not)
    buf = io.BytesIO()
    ember.save(ember.ones(1), buf)
    rec = _records(buf.getvalue())
    pkl = rec["data.pkl"][:-1] + pickle.dumps({"_data": "x"}, 2)[2:-1] + b"b."
    with pytest.raises(UnsafeGlobalError, match="Tensor"):
        ember.load(io.BytesIO(_checkpoint(pkl, extra={"data/0": rec["data/0"]})))


# -- damaged files -------------------------------------------------------------------------------
def _good() -> bytes:
    buf = io.BytesIO()
    ember.save({"w": ember.arange(64, dtype=ember.float32), "n": 3}, buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda g: b"", "empty"),
        (lambda g: b"hello, world", "not a zip"),
        (lambda g: g[: len(g) // 2], "not a zip"),
        (lambda g: g[:-30], "not a zip"),
        (lambda g: _checkpoint(_records(g)["data.pkl"], b"11\n"), "unsupported .* version 11"),
        (lambda g: _checkpoint(_records(g)["data.pkl"], b"zero\n"), "bad version"),
        (lambda g: _checkpoint(_records(g)["data.pkl"]), "missing storage record archive/data/0"),
        (lambda g: g.replace(np.arange(64, dtype=np.float32)[7:9].tobytes(), b"\0" * 8), "CRC"),
        (lambda g: _checkpoint(b"\x80\x02K\x01"), "corrupt checkpoint"),
        (lambda g: _checkpoint(_records(g)["data.pkl"], extra={"data/0": b"\0" * 12}), "bytes"),
    ],
    ids=["empty", "garbage", "half", "no-directory", "version", "bad-version", "no-storage",
         "crc", "truncated-pickle", "short-storage"],
)  # fmt: skip
def test_damaged_files_raise_load_error_naming_the_file(tmp_path, make, message):
    path = tmp_path / "ck.pt"
    path.write_bytes(make(_good()))
    with pytest.raises(LoadError, match=message) as info:
        ember.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_legacy_and_non_checkpoint_zips(tmp_path):
    torch.save(torch.ones(2), tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(LoadError, match="legacy"):
        ember.load(tmp_path / "old.pt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("stuff/readme.txt", "hi")
    with pytest.raises(LoadError, match="no stuff/data.pkl"):
        ember.load(tmp_path / "other.zip")
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")


def test_tensor_reading_past_its_storage(tmp_path):
    buf = io.BytesIO()
    ember.save(ember.ones(4), buf)
    rec = _records(buf.getvalue())
    assert rec["data.pkl"].count(b"K\x04\x85") == 1
    pkl = rec["data.pkl"].replace(b"K\x04\x85", b"K\x05\x85", 1)  # size 4 -> 5
    with pytest.raises(LoadError, match="past the end"):
        ember.load(io.BytesIO(_checkpoint(pkl, extra={"data/0": rec["data/0"]})))


# -- fuzzing -------------------------------------------------------------------------------------
def _fuzz_seeds() -> list[bytes]:
    x = ember.arange(24, dtype=ember.float32).reshape(4, 6)
    ck = {
        "model": {"w": x, "v": x[1:, ::2], "p": ember.nn.Parameter(ember.ones(3)),
                  "b": ember.tensor([True, False]), "h": ember.zeros(2, dtype=ember.bfloat16)},
        "epoch": 3, "lr": [0.1, (1, "a"), None], "size": ember.Size([2]), "dt": ember.int64,
        "np": np.arange(3, dtype=np.int16),
    }  # fmt: skip
    buf = io.BytesIO()
    ember.save(ck, buf)
    tbuf = io.BytesIO()
    torch.save({"w": torch.arange(10.0), "o": {"state": {0: {"step": torch.tensor(1.0)}}}}, tbuf)
    return [buf.getvalue(), tbuf.getvalue()]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            break
        op = rng.randrange(6)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 2:
            del b[i : i + rng.randint(1, 16)]
        elif op == 3:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 4:
            b = b[:i]
        else:
            b[i : i + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\0\0\0\0", b"\xff\xff\xff\xff"])
    return bytes(b)


@pytest.mark.timeout(120)
def test_fuzzed_checkpoints_only_raise_load_error(tmp_path):
    rng = random.Random(20240607)
    seeds = _fuzz_seeds()
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(400):
        seed = seeds[case % 2]
        if case % 4 < 2:  # mutate the file as a whole (zip structure, CRCs, records)
            data = _mutate(seed, rng)
        else:  # mutate only the pickle, in a well-formed zip, to reach the unpickler itself
            rec = _records(seed)
            pkl = _mutate(rec.pop("data.pkl"), rng)
            rec.pop("byteorder")
            data = _checkpoint(pkl, rec.pop("version"), extra=rec)
        path = tmp_path / "f.pt"
        if case % 8 == 1:  # the mmap path reads records from the file itself
            path.write_bytes(data)
        try:
            ember.load(path, mmap=True) if case % 8 == 1 else ember.load(io.BytesIO(data))
            outcomes["loaded"] += 1
        except LoadError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 200 and outcomes["loaded"] > 0, outcomes
