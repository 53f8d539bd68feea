import pytest
import torch

import ember


@pytest.mark.parametrize(
    "path, value",
    [
        ("cudnn.enabled", False),
        ("cudnn.benchmark", True),
        ("cudnn.deterministic", True),
        ("cudnn.allow_tf32", False),
        ("cuda.matmul.allow_tf32", True),
        ("mkldnn.enabled", False),
    ],
)
def test_flags_start_like_pytorch_and_read_back_what_was_set(path, value):
    *owner_path, name = path.split(".")
    owner, torch_owner = ember.backends, torch.backends
    for part in owner_path:
        owner, torch_owner = getattr(owner, part), getattr(torch_owner, part)
    old = getattr(owner, name)
    assert old == getattr(torch_owner, name)
    try:
        setattr(owner, name, value)
        assert getattr(owner, name) is value
    finally:
        setattr(owner, name, old)


def test_availability_reflects_ember_not_the_vendor_libraries():
    has_cuda = ember.cuda.is_available()
    assert ember.backends.cudnn.is_available() is has_cuda
    assert ember.backends.cuda.is_built() is has_cuda
    if not has_cuda:
        assert ember.backends.cudnn.version() is None
    assert ember.backends.mps.is_available() is False
    assert ember.backends.mps.is_built() is False
    assert ember.backends.mkldnn.is_available() is False
    assert ember.backends.openmp.is_available() is False


def test_cudnn_flags_context_restores_the_previous_values():
    with ember.backends.cudnn.flags(enabled=False, benchmark=True, deterministic=True):
        assert ember.backends.cudnn.enabled is False
        assert ember.backends.cudnn.benchmark is True
        assert ember.backends.cudnn.deterministic is True
    assert ember.backends.cudnn.enabled is True
    assert ember.backends.cudnn.benchmark is False
