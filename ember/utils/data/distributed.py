"""DistributedSampler: each rank reads its own share of the dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator

from .sampler import Sampler


class DistributedSampler(Sampler):
    """Split a dataset's indices across ``num_replicas`` ranks, one share per rank.

    Every rank gets ``ceil(len(dataset) / num_replicas)`` indices: the epoch's (shuffled)
    indices are padded by repeating the first ones so that they divide evenly, or, with
    ``drop_last=True``, cut to a multiple of ``num_replicas``. Shuffling depends only on
    ``seed`` and the epoch, so all ranks agree; call ``set_epoch`` before each epoch to get a
    new order.

    Args:
        dataset: a dataset with ``len()``.
        num_replicas: the number of ranks (the world size by default).
        rank: this rank (``ember.distributed.get_rank()`` by default).
        shuffle: shuffle the indices each epoch.
        seed: the shuffling seed; must be the same on all ranks.
        drop_last: drop the tail instead of padding.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
        >>> list(s)
        [0, 3, 6, 9]
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available() or not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            from ...ops.creation import randperm
            from ...random import Generator

            g = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            pad = self.total_size - len(indices)
            if pad and indices:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the next shuffle (call it at the start of every epoch)."""
        self.epoch = epoch
