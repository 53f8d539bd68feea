"""Drop-in mode: run an unchanged PyTorch script on ember.

``python -m ember.compat SCRIPT [ARGS]`` installs an import hook for that run only, then runs
the script as ``__main__``. The hook is a meta path finder that resolves

    torch, torch.<sub>             ->  ember, ember.<sub>
    torchvision, torchvision.<sub> ->  ember.vision, ember.vision.<sub>
    torch.multiprocessing          ->  the standard library's multiprocessing

so ``import torch``, ``import torch.nn.functional as F`` and
``from torchvision import datasets, transforms`` give ember's modules. Nothing is installed
under torch's name and an installed PyTorch is never imported while the hook is active: a
``torch.*`` module that ember lacks raises ``ModuleNotFoundError`` naming the ember module it
looked for. See docs/compat.md for what is covered and what is not.

Example:
    >>> import ember.compat
    >>> with ember.compat.enabled():
    ...     import torch
    >>> torch.__name__
    'ember'
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys

__all__ = ["install", "uninstall", "enabled", "is_installed", "resolve", "run"]

_PREFIXES = (("torchvision", "ember.vision"), ("torch", "ember"))
# PyTorch modules whose ember counterpart lives elsewhere.
_SPECIAL = {"torch.multiprocessing": "multiprocessing"}


def resolve(fullname: str) -> str | None:
    """The module that ``fullname`` (a torch/torchvision module name) stands for, or None.

    Example:
        >>> resolve("torch.nn.functional"), resolve("torchvision.datasets"), resolve("numpy")
        ('ember.nn.functional', 'ember.vision.datasets', None)
    """
    for prefix, special in _SPECIAL.items():
        if fullname == prefix or fullname.startswith(prefix + "."):
            return special + fullname[len(prefix) :]
    for prefix, target in _PREFIXES:
        if fullname == prefix or fullname.startswith(prefix + "."):
            return target + fullname[len(prefix) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already imported target module instead of creating a new one."""

    def __init__(self, target) -> None:
        self.target = target
        self.target_spec = getattr(target, "__spec__", None)

    def create_module(self, spec):
        return self.target

    def exec_module(self, module) -> None:
        # The import machinery stamped the alias spec on the module; keep the module's own
        # identity so that reloads, pickling and tracebacks still name ember.
        if self.target_spec is not None:
            module.__spec__ = self.target_spec


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Maps torch/torchvision imports to ember modules (see the module docstring)."""

    def find_spec(self, fullname, path=None, target=None):
        name = resolve(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and name != e.name and not name.startswith(e.name + "."):
                raise  # something inside the ember module failed to import
            raise ModuleNotFoundError(
                f"No module named '{fullname}': ember.compat maps it to '{name}', which does not "
                "exist (this part of PyTorch has no ember counterpart)",
                name=fullname,
            ) from None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(module), is_package=hasattr(module, "__path__")
        )


_finder = _TorchAliasFinder()
_ALIASED = ("torch", "torchvision")
_stashed: dict[str, object] = {}  # modules that held torch's names before install()


def is_installed() -> bool:
    """Whether the import hook is active."""
    return _finder in sys.meta_path


def _take_aliased() -> dict[str, object]:
    keys = [k for k in sys.modules if k.split(".")[0] in _ALIASED]
    return {k: sys.modules.pop(k) for k in keys}


def install() -> None:
    """Activate the hook: from now on ``import torch`` gives ember.

    Modules already imported under torch's names (a real PyTorch) are set aside until
    :func:`uninstall`, so that imports made meanwhile resolve to ember.

    Example:
        >>> install(); import torch; uninstall()
    """
    if is_installed():
        return
    _stashed.update(_take_aliased())
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Deactivate the hook, forget the aliases it created and restore what it set aside."""
    if not is_installed():
        return
    sys.meta_path.remove(_finder)
    _take_aliased()
    sys.modules.update(_stashed)
    _stashed.clear()


@contextlib.contextmanager
def enabled():
    """Context manager: the hook is active inside the ``with`` block only.

    Example:
        >>> with enabled():
        ...     from torch import nn
    """
    was = is_installed()
    install()
    try:
        yield
    finally:
        if not was:
            uninstall()


def run(argv: list[str]) -> None:
    """Run ``argv[0]`` (a script path, or ``-m module``) with ``argv`` as ``sys.argv``,
    with the hook active, as ``python SCRIPT ARGS`` would.

    Example:
        >>> run(["examples/mnist.py", "--dry-run"])  # doctest: +SKIP
    """
    import os
    import runpy

    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            raise SystemExit("usage: python -m ember.compat -m MODULE [ARGS]")
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.exists(script):
        raise SystemExit(f"ember.compat: can't open file '{script}': no such file")
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
