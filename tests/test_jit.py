"""ember.jit against torch.jit: scripted/traced modules and functions give the same outputs,
the decorators and queries behave alike, and the archive functions say what to use instead."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")


def _mlp(lib, weights):
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p, w in zip(m.parameters(), weights):
            p.copy_(lib.tensor(w))
    return m


def _fn(lib):
    def f(x):
        return lib.tanh(x) * 2 + 1

    return f


COMPILERS = [
    ("script", lambda lib, obj, x: lib.jit.script(obj)),
    ("trace", lambda lib, obj, x: lib.jit.trace(obj, (x,))),
]


@pytest.mark.parametrize("how,compile", COMPILERS, ids=[c[0] for c in COMPILERS])
@pytest.mark.parametrize("what", ["module", "function"])
def test_compiled_callables_give_the_same_outputs(how, compile, what):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (4,), (2, 4), (2,)]]
    x = rng.standard_normal((5, 3)).astype(np.float32)
    x2 = rng.standard_normal((7, 3)).astype(np.float32)  # another batch size than traced with
    out = {}
    for lib in (ember, torch):
        obj = _mlp(lib, weights) if what == "module" else _fn(lib)
        compiled = compile(lib, obj, lib.tensor(x))
        out[lib.__name__] = [compiled(lib.tensor(a)) for a in (x, x2)]
    for got, want in zip(out["ember"], out["torch"]):
        assert_close(got, want, rtol=1e-5, atol=1e-5)


def _decorated_module(lib):
    class M(lib.nn.Module):
        scale: lib.jit.Final[float]

        def __init__(self):
            super().__init__()
            self.scale = 3.0

        def forward(self, x):
            return self.helper(x) + lib.jit.annotate(float, self.scale)

        @lib.jit.ignore
        def helper(self, x):
            return x * 2

        @lib.jit.ignore(drop=True)
        def dropped(self, x):
            return x * 3

        @lib.jit.unused
        def debug(self, x):
            return x

        @lib.jit.export
        def extra(self, x):
            return x - 1

    return M()


def test_decorators_and_queries_match_torch():
    # The decorators are compared in eager mode: TorchScript cannot compile a class defined in
    # a test function, and ember's decorators only have to leave the methods callable.
    seen = {}
    for lib in (ember, torch):
        m = _decorated_module(lib)
        x = lib.tensor([1.0, 2.0])
        seen[lib.__name__] = (
            m(x).tolist(),
            m.extra(x).tolist(),
            m.dropped(x).tolist(),
            m.debug(x).tolist(),
            lib.jit.is_scripting(),
            lib.jit.is_tracing(),
            lib.jit.annotate(list, [1, 2]),
        )
    assert seen["ember"] == seen["torch"]
    assert ember.jit.script(_decorated_module(ember))(ember.tensor([1.0])).tolist() == [5.0]


@pytest.mark.parametrize("fn", ["save", "load"])
def test_archives_are_not_implemented_and_point_elsewhere(fn, tmp_path):
    args = (ember.nn.Linear(2, 2), tmp_path / "m.pt") if fn == "save" else (tmp_path / "m.pt",)
    with pytest.raises(NotImplementedError, match=r"ember\.save|ember\.onnx\.export"):
        getattr(ember.jit, fn)(*args)
