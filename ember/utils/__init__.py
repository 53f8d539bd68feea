"""Utilities, as ``torch.utils``: ``data`` (datasets, samplers, DataLoader) and friends.

Submodules load on first use, so ``import ember.utils`` stays cheap.

Example:
    >>> from ember.utils.data import DataLoader, TensorDataset
"""

from __future__ import annotations

import importlib


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module 'ember.utils' has no attribute '{name}'") from None
