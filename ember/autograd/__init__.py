"""Automatic differentiation: the graph, the engine, grad modes and gradcheck."""

from .engine import backward, grad
from .function import Function, Node, once_differentiable
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "Node",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
    "gradcheck",
    "gradgradcheck",
]


def __getattr__(name):
    if name in ("gradcheck", "gradgradcheck"):
        from . import gradcheck as _gc

        return getattr(_gc, name)
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
