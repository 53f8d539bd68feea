"""skip_init: build a module without running its parameter initialization."""

from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type[Module], *args, **kwargs) -> Module:
    """Instantiate ``module_cls(*args, **kwargs)`` with parameters left uninitialized.

    As in PyTorch the class must accept a ``device`` argument. ember has no "meta" device to
    build on, so the module is built directly on the target device and the values are whatever
    its constructor left there (PyTorch only promises unspecified values), so nothing is saved.

    Example:
        >>> skip_init(ember.nn.Linear, 4, 2).weight.shape
        ember.Size([2, 4])
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
