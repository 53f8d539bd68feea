"""Shared test fixtures: PyTorch as the reference, and tensor comparison helpers."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")  # a test-only dependency; CI installs it


def to_torch(t, requires_grad=None):
    """An ember tensor's values as a torch tensor (same dtype)."""
    arr = np.array(t.detach().cpu().numpy() if isinstance(t, ember.Tensor) else t)
    if arr.dtype.name == "bfloat16":
        out = torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    else:
        out = torch.from_numpy(arr)
    if requires_grad if requires_grad is not None else getattr(t, "requires_grad", False):
        out.requires_grad_(True)
    return out


def to_np(x):
    """Values of an ember or torch tensor (or anything array-like) as a NumPy array."""
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach().cpu().numpy())
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.numpy(force=True)  # force: PyTorch's ZeroTensor gradients (sgn) too
    return np.asarray(x)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, check_dtype=True):
    """Assert ember ``actual`` equals torch/NumPy ``expected`` in shape, dtype and values."""
    a, e = to_np(actual), to_np(expected)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    if check_dtype and isinstance(expected, torch.Tensor) and isinstance(actual, ember.Tensor):
        assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], (
            f"dtype {actual.dtype} != {expected.dtype}"
        )
    np.testing.assert_allclose(
        a.astype(np.float64) if a.dtype.kind == "f" else a,
        e.astype(np.float64) if e.dtype.kind == "f" else e,
        rtol=rtol,
        atol=atol,
        equal_nan=True,
    )


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)
    torch.manual_seed(0)
    np.random.seed(0)
    yield
