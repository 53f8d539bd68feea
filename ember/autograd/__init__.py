"""Automatic differentiation: the graph, the engine, grad modes and gradcheck."""

from . import function
from .engine import backward, grad
from .function import Function, Node, once_differentiable
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)

# As in PyTorch, the names gradcheck/gradgradcheck are the functions, not the submodule.
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,I001

__all__ = [
    "Function",
    "GradcheckError",
    "Node",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "function",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
