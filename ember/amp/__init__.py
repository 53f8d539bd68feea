"""torch.amp: automatic mixed precision (``autocast`` regions and ``GradScaler``).

Example:
    >>> with ember.amp.autocast("cpu", dtype=ember.float16):
    ...     ember.nn.functional.linear(ember.ones(1, 2), ember.ones(3, 2)).dtype
    ember.float16
"""

from .autocast_mode import (
    autocast,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_enabled,
)
from .grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
]
