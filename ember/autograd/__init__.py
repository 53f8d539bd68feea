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

__all__ = [
    "Function",
    "GradcheckError",
    "Node",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "function",
    "functional",
    "grad",
    "graph",
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


def __getattr__(name):
    # gradcheck loads on first use (``import ember`` stays fast). As in PyTorch, the names
    # gradcheck/gradgradcheck then denote the functions, not the submodule.
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        import importlib

        mod = importlib.import_module(".gradcheck", __name__)
        g = globals()
        g["gradcheck"], g["gradgradcheck"] = mod.gradcheck, mod.gradgradcheck
        g["GradcheckError"] = mod.GradcheckError
        return g[name]
    if name in ("functional", "graph", "variable"):  # submodules, loaded on first use
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name == "Variable":
        from .variable import Variable

        globals()["Variable"] = Variable
        return Variable
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
