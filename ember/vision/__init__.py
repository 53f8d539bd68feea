"""Computer-vision datasets, transforms and image utilities: torchvision's role for ember.

``ember.vision.datasets``, ``ember.vision.transforms`` and ``ember.vision.utils`` mirror
``torchvision.datasets``, ``torchvision.transforms`` and ``torchvision.utils``.

Example:
    >>> from ember.vision import datasets, transforms
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
_SUBMODULES = ("datasets", "transforms", "utils")


def __getattr__(name: str):
    # Submodules load on first use: transforms and datasets import Pillow only when needed.
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ember.vision' has no attribute '{name}'")
