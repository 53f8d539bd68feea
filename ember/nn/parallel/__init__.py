"""``ember.nn.parallel``: DistributedDataParallel (data-parallel training over ranks).

Example:
    >>> from ember.nn.parallel import DistributedDataParallel as DDP
"""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
