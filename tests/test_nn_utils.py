"""nn.utils: gradient clipping and parameter/vector conversion against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")


def _params_with_grads(lib, scale=1.0):
    rng = np.random.default_rng(0)
    params = []
    for shape in ((3, 4), (4,), (2, 2, 2)):
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
        params.append(p)
    return params


@pytest.mark.parametrize(
    "max_norm, norm_type", [(1.0, 2.0), (0.5, 1), (2.0, math.inf), (100.0, 2.0), (0.1, 3.0)]
)
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    tp, ep = _params_with_grads(torch), _params_with_grads(ember)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    e_total = ember.nn.utils.clip_grad_norm_(ep, max_norm, norm_type)
    assert_close(e_total, t_total, rtol=1e-5)
    for a, b in zip(ep, tp):
        assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_single_tensor_none_grads_and_nonfinite():
    p = ember.nn.Parameter(ember.ones(3))
    assert float(ember.nn.utils.clip_grad_norm_(p, 1.0)) == 0.0
    p.grad = ember.tensor([3.0, 4.0, 0.0])
    assert float(ember.nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    assert_close(p.grad, np.array([0.6, 0.8, 0.0], np.float32), atol=1e-6)
    p.grad = ember.tensor([float("inf"), 0.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        ember.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    tp, ep = _params_with_grads(torch, 3.0), _params_with_grads(ember, 3.0)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    assert ember.nn.utils.clip_grad_value_(ep, 1.5) is None
    for a, b in zip(ep, tp):
        assert_close(a.grad, b.grad)


def test_parameters_to_vector_and_back():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    em = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Linear(2, 1))
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tv = torch.nn.utils.parameters_to_vector(tm.parameters())
    ev = ember.nn.utils.parameters_to_vector(em.parameters())
    assert_close(ev, tv)
    assert ev.requires_grad  # differentiable, as in PyTorch
    new = np.arange(ev.numel(), dtype=np.float32)
    ember.nn.utils.vector_to_parameters(ember.tensor(new), em.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    for a, b in zip(em.parameters(), tm.parameters()):
        assert_close(a, b)
        assert isinstance(a, ember.nn.Parameter)
    with pytest.raises(TypeError):
        ember.nn.utils.vector_to_parameters(new, em.parameters())
