"""``ember.nn.parallel``: DistributedDataParallel (data-parallel training over ranks) and
DataParallel (the single-process wrapper's API, on one device).

Example:
    >>> from ember.nn.parallel import DistributedDataParallel as DDP
"""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
