"""torch.jit's surface for scripts that script, trace or annotate their models.

ember runs Python eagerly and has no TorchScript: ``script`` and ``trace`` return what they are
given, so the "compiled" model is the model itself and gives the same outputs; the decorators
are identities and ``is_scripting``/``is_tracing`` are False. To save a model use
``ember.save(model.state_dict(), path)``; to export one, ``ember.onnx.export``.

Example:
    >>> m = ember.jit.script(ember.nn.Linear(2, 3))
    >>> m(ember.ones(1, 2)).shape
    ember.Size([1, 3])
"""

from __future__ import annotations

from typing import Final  # noqa: F401  (torch.jit.Final is typing.Final)

__all__ = [
    "Final",
    "annotate",
    "export",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "trace",
    "unused",
]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``obj`` itself: ember has no TorchScript compiler, and Python runs it eagerly."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``func`` itself (no graph is recorded); ``example_inputs`` are not run."""
    return func


def trace_module(mod, inputs=None, *args, **kwargs):
    """``mod`` itself, as ``trace``."""
    return mod


def ignore(drop=False, **kwargs):
    """Identity decorator, usable bare (``@ignore``) or called (``@ignore(drop=True)``)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Identity decorator."""
    return fn


def export(fn):
    """Identity decorator."""
    return fn


def is_scripting() -> bool:
    """False: ember code never runs under TorchScript."""
    return False


def is_tracing() -> bool:
    """False: ember never traces."""
    return False


def annotate(the_type, the_value):
    """``the_value`` (the type is a hint for TorchScript only)."""
    return the_value


def _no_torchscript(what: str):
    raise NotImplementedError(
        f"ember.jit.{what}: ember has no TorchScript archives; use ember.save(model.state_dict(), "
        "path) / ember.load to save and load weights, or ember.onnx.export to export a model"
    )


def save(m, f, _extra_files=None):
    """Not supported: raises NotImplementedError pointing to ember.save / ember.onnx.export."""
    _no_torchscript("save")


def load(f, map_location=None, _extra_files=None):
    """Not supported: raises NotImplementedError pointing to ember.load."""
    _no_torchscript("load")
