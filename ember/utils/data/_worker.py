"""What runs inside a DataLoader worker process, and how batches travel back to the main one.

# NOTE [ Worker protocol ]
# The main process sends tasks on a per-worker ``multiprocessing.Queue`` (its feeder thread
# means a put never blocks the main process) and receives results on a per-worker one-way
# ``Pipe``. Each result is pickled by the worker itself (``dumps``), so tensors cross as plain
# NumPy arrays and nothing lives in shared memory that could leak. Messages:
#   main -> worker: (epoch, task_id, indices) | ("resume", epoch) | None (exit)
#   worker -> main: (epoch, task_id, payload) where payload is a batch, an _ExceptionWrapper
#                   or _StopMarker (an IterableDataset ran out in this worker).
# Every message carries the epoch, so results of an abandoned epoch (persistent workers, a loop
# left with ``break``) are recognised and dropped.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# How long a worker waits on its task queue before checking that it should stop (the main
# process set the done event, or died). Short, because a loader iterator collected by the
# garbage collector may find its queues already finalised, so that the None it sends is lost.
_STATUS_CHECK_INTERVAL = 0.2


class WorkerInfo:
    """Facts about the current DataLoader worker: ``id``, ``num_workers``, ``seed``, ``dataset``.

    Example:
        >>> info = get_worker_info()  # None in the main process
    """

    __slots__ = ("id", "num_workers", "seed", "dataset", "_frozen")

    def __init__(self, **kwargs) -> None:
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, key, val) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={getattr(self, k)!r}" for k in ("id", "num_workers", "seed"))
        return f"WorkerInfo({body}, dataset={type(self.dataset).__name__})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of this DataLoader worker, or None in the main process.

    Use it in an ``IterableDataset.__iter__`` to give each worker its own share of the data.

    Example:
        >>> get_worker_info() is None  # not inside a worker
        True
    """
    return _worker_info


# -- moving tensors between processes -------------------------------------------------------------


def _rebuild_tensor(cls, array, requires_grad):
    from ember._tensor import Tensor, _make

    t = _make(array)
    if cls is not Tensor:
        t = cls(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Pickler(pickle.Pickler):
    """A pickler that sends ember tensors as their host NumPy arrays."""

    def reducer_override(self, obj):
        from ember._tensor import Tensor

        if type(obj) is Tensor:
            arr = obj._data if isinstance(obj._data, np.ndarray) else obj.cpu()._data
            return _rebuild_tensor, (Tensor, arr, obj.requires_grad)
        return NotImplemented


def dumps(obj) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


loads = pickle.loads


# -- errors ---------------------------------------------------------------------------------------


class _ExceptionWrapper:
    """An exception caught in a worker, with its formatted traceback, re-raised in the main one."""

    def __init__(self, exc: BaseException, where: str) -> None:
        self.exc_type = type(exc)
        self.msg = f"Caught {self.exc_type.__name__} {where}.\nOriginal " + "".join(
            traceback.format_exception(exc)
        )

    def reraise(self):
        msg = self.msg
        if self.exc_type is KeyError:
            msg = KeyError(msg)  # KeyError quotes its message; keep the traceback readable
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception type that takes other constructor arguments
            raise RuntimeError(msg) from None
        raise exc


class _StopMarker:
    """An IterableDataset ran out in the worker that sends this."""


# -- the worker loop ------------------------------------------------------------------------------


@dataclass
class _WorkerArgs:
    dataset: object
    auto_collation: bool
    collate_fn: object
    drop_last: bool
    worker_init_fn: object
    is_iterable: bool


def _seed_worker(base_seed: int, worker_id: int) -> int:
    # Every worker gets its own seed for Python's, ember's and NumPy's global generators, so
    # no two workers draw the same random numbers (NumPy's global state is otherwise copied by
    # fork into every worker identically).
    from ember.random import default_generator

    seed = (base_seed + worker_id) & 0xFFFF_FFFF_FFFF_FFFF
    random.seed(seed)
    # Only the CPU generator: ember.manual_seed may also seed CUDA generators, and a worker
    # (a forked copy of a process that may own a CUDA context) must never touch CUDA.
    default_generator.manual_seed(seed)
    np.random.seed(np.random.SeedSequence(base_seed, spawn_key=(worker_id,)).generate_state(4))
    return seed


def _fetch(args: _WorkerArgs, it, indices):
    """One batch (or one sample without auto-collation), as the single-process loader does."""
    from .dataloader import _fetch_iterable, _fetch_map

    if args.is_iterable:
        return _fetch_iterable(it, indices, args.auto_collation, args.collate_fn, args.drop_last)
    return _fetch_map(args.dataset, indices, args.auto_collation, args.collate_fn)


def _worker_loop(
    args, task_queue, result_conn, done_event, worker_id: int, num_workers: int, base_seed: int
) -> None:
    """Entry point of a worker process; returns when told to exit or when the parent dies."""
    global _worker_info
    parent = os.getppid()
    try:
        if isinstance(args, bytes):
            args = loads(args)
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(
            id=worker_id, num_workers=num_workers, seed=seed, dataset=args.dataset
        )
        init_error = None
        try:
            if args.worker_init_fn is not None:
                args.worker_init_fn(worker_id)
            it = iter(args.dataset) if args.is_iterable else None
        except Exception as e:
            init_error = _ExceptionWrapper(e, f"in DataLoader worker process {worker_id}")
        exhausted = False
        while True:
            try:
                msg = task_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set() or os.getppid() != parent:
                    return
                continue
            if msg is None or done_event.is_set():
                return
            if msg[0] == "resume":
                exhausted = False
                if init_error is None and args.is_iterable:
                    try:
                        it = iter(args.dataset)
                    except Exception as e:
                        init_error = _ExceptionWrapper(
                            e, f"in DataLoader worker process {worker_id}"
                        )
                continue
            epoch, task_id, indices = msg
            if init_error is not None:
                payload = init_error
            elif exhausted:
                payload = _StopMarker()
            else:
                try:
                    payload = _fetch(args, it, indices)
                except StopIteration:
                    exhausted, payload = True, _StopMarker()
                except Exception as e:
                    payload = _ExceptionWrapper(e, f"in DataLoader worker process {worker_id}")
            try:
                data = dumps((epoch, task_id, payload))
            except Exception as e:
                err = _ExceptionWrapper(
                    e,
                    f"in DataLoader worker process {worker_id} while "
                    "sending a batch to the main process",
                )
                data = dumps((epoch, task_id, err))
            result_conn.send_bytes(data)
    except KeyboardInterrupt:
        pass  # the main process sees the interrupt too and shuts the workers down
    except (BrokenPipeError, EOFError, OSError):
        pass  # the main process went away
    finally:
        try:
            result_conn.close()
        except OSError:
            pass
        sys.stdout.flush()
        sys.stderr.flush()
