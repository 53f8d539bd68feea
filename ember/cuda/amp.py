"""torch.cuda.amp: the CUDA forms of ``ember.amp.autocast`` and ``ember.amp.GradScaler``.

PyTorch deprecates these in favour of ``torch.amp.autocast("cuda")`` and
``torch.amp.GradScaler("cuda")``; they are kept because many training scripts use them.

Example:
    >>> from ember.cuda.amp import GradScaler, autocast
"""

from __future__ import annotations

from ..amp import GradScaler as _GradScaler
from ..amp import autocast as _autocast


class autocast(_autocast):
    """``ember.amp.autocast("cuda", ...)``."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled=None):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """``ember.amp.GradScaler("cuda", ...)``."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ):
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )


__all__ = ["GradScaler", "autocast"]
