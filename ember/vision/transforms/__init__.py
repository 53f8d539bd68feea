"""Image transforms, as ``torchvision.transforms`` (classes here, functions in ``functional``).

Example:
    >>> from ember.vision import transforms
    >>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
"""

from . import functional
from .functional import InterpolationMode  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all

__all__ = ["functional", *_all]
