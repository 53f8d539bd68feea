"""DataLoader: batches from a dataset, in the main process or in parallel worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
import warnings
import weakref
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait as _wait_connections

import ember
from ember._tensor import _map_tensors

from . import _worker
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

# How often the main process checks that its workers are alive while waiting for a batch.
_POLL_INTERVAL = 0.5


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the 'indices' of an IterableDataset."""

    def __iter__(self):
        return itertools.repeat(None)


def _fetch_map(dataset, indices, auto_collation: bool, collate_fn):
    if auto_collation:
        getitems = getattr(dataset, "__getitems__", None)
        data = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
    else:
        data = dataset[indices]
    return collate_fn(data)


def _fetch_iterable(it, indices, auto_collation: bool, collate_fn, drop_last: bool):
    if not auto_collation:
        return collate_fn(next(it))
    data = list(itertools.islice(it, len(indices)))
    if not data or (drop_last and len(data) < len(indices)):
        raise StopIteration
    return collate_fn(data)


def _pin(data):
    """Apply ``Tensor.pin_memory`` to every tensor in a (nested) batch."""
    return _map_tensors(ember.Tensor.pin_memory, data)


def _accelerator_available() -> bool:
    try:
        return bool(ember.cuda.is_available())
    except Exception:
        return False


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style :class:`Dataset` (or any object with ``__getitem__``/``__len__``)
            or an :class:`IterableDataset`.
        batch_size: samples per batch; ``None`` turns automatic batching off.
        shuffle: reshuffle at every epoch (a :class:`RandomSampler` with ``generator``).
        sampler, batch_sampler: custom index order / custom index batches.
        num_workers: how many worker processes load batches in parallel (0: the main process).
        collate_fn: merges a list of samples into a batch (default: :func:`default_collate`).
        pin_memory: call ``Tensor.pin_memory()`` on every batch.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers (0: forever).
        worker_init_fn: called as ``fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a start method name or ``multiprocessing`` context.
        generator: the :class:`ember.Generator` for shuffling and the workers' base seed.
        prefetch_factor: batches loaded in advance per worker (default 2 with workers).
        persistent_workers: keep the workers alive from one epoch to the next.
        pin_memory_device: accepted for compatibility.
        in_order: yield batches in sampler order (False: as soon as each is ready).

    Example:
        >>> from ember.utils.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(ember.arange(5)), batch_size=2)
        >>> [b[0].tolist() for b in loader]
        [[0, 1], [2, 3], [4]]
    """

    _initialized = False

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to "
                "disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set "
                "prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            # See NOTE [ Custom Samplers and IterableDataset ] in PyTorch: an iterable dataset
            # decides its own order, so order options make no sense for it.
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle "
                    f"option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler "
                    f"option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified "
                    f"batch_sampler option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = "map"

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._check_worker_number()
        self._initialized = True

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def _check_worker_number(self) -> None:
        if self.num_workers == 0:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cpus and self.num_workers > cpus:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in "
                f"total. Our suggested max number of worker in current system is {cpus},"
                " which is smaller than what this DataLoader is going to create. Please "
                "be aware that excessive worker creation might get DataLoader running "
                "slow or even freeze, lower the worker number to avoid potential "
                "slowness/freeze if necessary.",
                stacklevel=3,
            )


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._pin = loader.pin_memory and _accelerator_available()
        if loader.pin_memory and not self._pin:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, "
                "then device pinned memory won't be used.",
                stacklevel=3,
            )
        self._num_yielded = 0
        self._reset(loader, first=True)

    def _reset(self, loader: DataLoader, first: bool = False) -> None:
        # The base seed is drawn before the sampler runs, in the same order as PyTorch, so a
        # seeded run sees the same shuffles whatever num_workers is.
        if first:
            gen = loader.generator if loader.generator is not None else ember.default_generator
            self._base_seed = int(gen.numpy.integers(0, 2**63 - 1))
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return _pin(data) if self._pin else data


class _SingleProcessIter(_BaseIter):
    def _reset(self, loader, first=False):
        super()._reset(loader, first)
        self._it = iter(self._dataset) if self._kind == "iterable" else None

    def _next_data(self):
        index = self._next_index()
        if self._kind == "iterable":
            return _fetch_iterable(
                self._it, index, self._auto_collation, self._collate_fn, self._drop_last
            )
        return _fetch_map(self._dataset, index, self._auto_collation, self._collate_fn)


class _MultiProcessIter(_BaseIter):
    """Batches from ``num_workers`` processes; see NOTE [ Worker protocol ] in _worker.py."""

    def __init__(self, loader: DataLoader) -> None:
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._epoch = 0
        self._workers, self._task_queues, self._conns = [], [], []
        self._force = [False]  # read by the stopper: kill rather than wait for the workers
        self._stopper = None  # nothing to shut down until the workers start
        super().__init__(loader)
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        args = _worker._WorkerArgs(
            self._dataset,
            self._auto_collation,
            self._collate_fn,
            self._drop_last,
            loader.worker_init_fn,
            self._kind == "iterable",
        )
        self._done_event = ctx.Event()
        # NOTE [ Worker shutdown ]: a finaliser, not __del__, stops the workers. An iterator
        # caught in a reference cycle (say, by the traceback of a worker's exception) is
        # collected together with its pipes, and the pipes' own finalisers may run first and
        # close their descriptors; closing them again from __del__ would close whatever file
        # took those numbers meanwhile. The finaliser holds the pipes, so they outlive it.
        self._stopper = weakref.finalize(
            self,
            _stop_workers,
            self._workers,
            self._task_queues,
            self._conns,
            self._done_event,
            self._force,
        )
        if ctx.get_start_method() != "fork":
            args = _worker.dumps(args)  # sent as bytes: ember tensors pickle through _Pickler
        for wid in range(self._num_workers):
            tq = ctx.Queue()
            reader, writer = ctx.Pipe(duplex=False)
            w = ctx.Process(
                target=_worker._worker_loop,
                daemon=True,
                args=(args, tq, writer, self._done_event, wid, self._num_workers, self._base_seed),
            )
            w.start()
            writer.close()  # so that a dead worker shows as EOF on our end
            self._workers.append(w)
            self._task_queues.append(tq)
            self._conns.append(reader)
        self._start_epoch()

    def _reset(self, loader, first=False):
        super()._reset(loader, first)
        if first:
            return
        self._epoch += 1
        for tq in self._task_queues:
            tq.put(("resume", self._epoch))
        self._start_epoch()

    def _start_epoch(self) -> None:
        self._send_idx = 0  # next task id to hand out
        self._rcvd_idx = 0  # next task id to yield (in order mode)
        self._task_worker = {}  # task id -> worker id, for tasks in flight
        self._done = {}  # task id -> payload received out of order
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._sampler_done:
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            self._sampler_done = True
            return
        self._task_queues[wid].put((self._epoch, self._send_idx, index))
        self._task_worker[self._send_idx] = wid
        self._send_idx += 1

    def _next_data(self):
        while True:
            if self._in_order:
                while (
                    self._rcvd_idx < self._send_idx
                    and self._rcvd_idx not in self._done
                    and self._rcvd_idx not in self._task_worker
                ):
                    self._rcvd_idx += 1  # tasks answered by an exhausted iterable worker
                if self._rcvd_idx in self._done:
                    payload = self._done.pop(self._rcvd_idx)
                    self._rcvd_idx += 1
                    return self._process(payload)
            elif self._done:
                return self._process(self._done.pop(next(iter(self._done))))
            if not self._task_worker:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            self._receive()

    def _process(self, payload):
        self._try_put_index()
        if isinstance(payload, _worker._ExceptionWrapper):
            payload.reraise()
        return payload

    def _receive(self) -> None:
        """Wait for one result from any worker and file it under its task id."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait_for = _POLL_INTERVAL
            if deadline is not None:
                wait_for = min(wait_for, deadline - time.monotonic())
                if wait_for <= 0:
                    self._shutdown_workers(force=True)
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            ready = _wait_connections(self._conns, timeout=wait_for)
            for conn in ready:
                wid = self._conns.index(conn)
                try:
                    epoch, task_id, payload = _worker.loads(conn.recv_bytes())
                except (EOFError, OSError):
                    self._fail_dead_workers(force_wid=wid)
                if epoch != self._epoch:
                    continue  # a stale result of an epoch that was abandoned
                self._task_worker.pop(task_id, None)
                if isinstance(payload, _worker._StopMarker):
                    self._active[wid] = False
                    self._try_put_index()  # hand the slot to a worker that still has data
                    continue
                self._done[task_id] = payload
            if ready:
                return
            self._fail_dead_workers()

    def _fail_dead_workers(self, force_wid: int | None = None) -> None:
        dead = [w for i, w in enumerate(self._workers) if i == force_wid or not w.is_alive()]
        if not dead:
            return
        for w in dead:
            w.join(timeout=1.0)
        pids = ", ".join(str(w.pid) for w in dead)
        codes = ", ".join(str(w.exitcode) for w in dead)
        self._shutdown_workers(force=True)
        raise RuntimeError(
            f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) "
            f"{codes}); a negative code is the signal that killed it, e.g. -9 for "
            "SIGKILL (often the out-of-memory killer)."
        )

    def _shutdown_workers(self, force: bool = False) -> None:
        """Stop the workers; ``force`` (after an error) does not wait for their current item."""
        if self._stopper is not None:
            self._force[0] = self._force[0] or force
            self._stopper()  # runs once; later calls and garbage collection do nothing


def _stop_workers(workers, task_queues, conns, done_event, force) -> None:
    """Stop the workers of one iterator and release its pipes; see NOTE [ Worker shutdown ]."""
    done_event.set()  # workers skip the tasks still queued
    for tq, w in zip(task_queues, workers):
        if w.is_alive():
            try:
                tq.put(None)
            except (OSError, ValueError):
                pass
    deadline = time.monotonic() + (0 if force[0] else 2.0)
    clean = True  # every worker read its queue to the end and left by itself
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
        if w.is_alive():
            clean = False
            w.terminate()
            w.join()
        clean = clean and w.exitcode == 0
    for tq in task_queues:
        if not clean:
            tq.cancel_join_thread()  # a killed worker leaves tasks nobody will read
        tq.close()
        if clean:
            # The queue's feeder thread closes the pipe's two descriptors when it
            # sees close()'s sentinel; waiting for it makes the release synchronous.
            tq.join_thread()
    for conn in conns:
        conn.close()
    for w in workers:
        w.close()
