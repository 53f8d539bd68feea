"""Process groups and collectives on MPI (mpi4py), with NCCL through CuPy for GPU tensors.

NOTE [collectives with deadlines]
Every collective is started as a non-blocking MPI request and polled until it completes or
the group's timeout passes. A peer that crashed or hangs therefore makes the others raise a
``DistBackendError`` that says so, instead of blocking forever. An exception that nobody
catches on any rank calls ``MPI_Abort`` (see ``_abort_on_uncaught``), which makes mpiexec end
every rank of the job at once.

Buffers: CPU tensors that are contiguous are handed to MPI as they are (no copy); others are
staged through a contiguous host copy. Reductions run in float32 for float16/bfloat16 (MPI has
no portable half types); everything else moves as bytes, so any dtype works.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import pickle
import sys
import time
import warnings

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor

default_pg_timeout = datetime.timedelta(minutes=30)


class DistError(RuntimeError):
    """Base of the errors raised by ember.distributed."""


class DistBackendError(DistError):
    """A collective failed or timed out in the communication backend."""


class DistNetworkError(DistError):
    """A network error."""


class DistStoreError(DistError):
    """A key-value store error."""


class Backend(str):
    """A backend name: 'mpi', 'nccl', or 'gloo' (served by MPI here).

    Example:
        >>> ember.distributed.Backend("MPI")
        'mpi'
    """

    MPI, NCCL, GLOO, UNDEFINED = "mpi", "nccl", "gloo", "undefined"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name}")
        low = name.lower()
        if "nccl" in low:  # also "cuda:nccl,cpu:gloo"
            low = "nccl"
        if low not in ("mpi", "nccl", "gloo"):
            raise ValueError(f"Invalid backend: '{name}' (ember supports 'mpi', 'nccl', 'gloo')")
        return super().__new__(cls, low)


class _RedOp:
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: int):
        self.name, self.value = name, value

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


class ReduceOp:
    """How ``all_reduce`` and friends combine values: SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR.

    Example:
        >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)
    """

    SUM, PRODUCT, MIN, MAX = (
        _RedOp("SUM", 0),
        _RedOp("PRODUCT", 1),
        _RedOp("MIN", 2),
        _RedOp("MAX", 3),
    )
    BAND, BOR, BXOR, AVG = _RedOp("BAND", 4), _RedOp("BOR", 5), _RedOp("BXOR", 6), _RedOp("AVG", 7)
    RedOpType = _RedOp


reduce_op = ReduceOp


class ProcessGroup:
    """A set of ranks that run collectives together (an MPI communicator).

    Example:
        >>> g = dist.new_group([0, 1]); g.size()
        2
    """

    def __init__(self, comm, ranks: list, backend: str, timeout: float):
        self.comm, self.ranks = comm, list(ranks)
        self.backend, self.timeout = backend, timeout
        self._nccl = None

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def __repr__(self) -> str:
        return f"<ember.distributed.ProcessGroup backend={self.backend} ranks={self.ranks}>"


class GroupMember:
    """``WORLD`` is the default group; ``NON_GROUP_MEMBER`` is what new_group gives outsiders."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class group:  # noqa: N801  (torch.distributed.group)
    """``group.WORLD``: the default process group (None before init_process_group)."""

    WORLD: ProcessGroup | None = None


_group_cls = group  # functions below take a ``group`` argument that hides the class
_world: ProcessGroup | None = None
_prev_excepthook = None


def _mpi():
    from mpi4py import MPI

    return MPI


def is_available() -> bool:
    """Whether ember.distributed can run here (mpi4py is installed).

    Example:
        >>> ember.distributed.is_available()
        True
    """
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """Whether the MPI backend can be used."""
    return is_available()


is_gloo_available = is_mpi_available  # 'gloo' is served by MPI


def is_nccl_available() -> bool:
    """Whether the NCCL backend can be used (CuPy with NCCL and a GPU)."""
    return _backend.cuda.nccl() is not None


def is_initialized() -> bool:
    """Whether the default process group has been initialised."""
    return _world is not None


def is_torchelastic_launched() -> bool:
    """Whether this process was started by ``python -m ember.distributed.run``."""
    return os.environ.get("EMBER_DIST_LAUNCHER") is not None


def _seconds(timeout) -> float:
    if timeout is None:
        env = os.environ.get("EMBER_DIST_TIMEOUT")
        return float(env) if env else default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the default process group: every rank of the MPI job (``mpiexec -n N``).

    Args:
        backend: 'mpi' (default; CPU and GPU tensors), 'nccl' (GPU tensors through NCCL) or
            'gloo' (accepted for PyTorch scripts; served by MPI).
        timeout: how long a collective may wait for its peers (timedelta or seconds; default
            30 minutes, or the ``EMBER_DIST_TIMEOUT`` environment variable in seconds).
        world_size, rank: checked against the MPI job when given.

    Example:
        >>> dist.init_process_group("mpi")  # under python -m ember.distributed.run
    """
    global _world, _prev_excepthook
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = Backend(backend or "mpi")
    if backend == "nccl" and not is_nccl_available():
        raise RuntimeError("the 'nccl' backend needs CuPy with NCCL and a GPU; use 'mpi'")
    if not is_available():
        raise RuntimeError(
            "ember.distributed needs mpi4py and an MPI library: "
            "pip install 'ember[distributed]' (mpi4py and mpich)"
        )
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    n, r = comm.Get_size(), comm.Get_rank()
    for name, given, actual in (("world_size", world_size, n), ("rank", rank, r)):
        env = os.environ.get("WORLD_SIZE" if name == "world_size" else "RANK")
        if given is not None and given >= 0 and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given} but the MPI job has {name} "
                f"{actual}; start the ranks with mpiexec or "
                "python -m ember.distributed.run"
            )
        if env is not None and int(env) != actual:
            raise RuntimeError(
                f"init_process_group: the environment says {name} {env} but "
                f"MPI says {actual}; start the ranks with mpiexec or "
                "python -m ember.distributed.run"
            )
    _world = ProcessGroup(comm, range(n), backend, _seconds(timeout))
    _group_cls.WORLD = GroupMember.WORLD = _world
    if n > 1 and _prev_excepthook is None:
        _prev_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def _abort_on_uncaught(exc_type, exc, tb):
    # The other ranks would otherwise wait for this one until their timeout.
    import traceback

    if _prev_excepthook not in (None, sys.__excepthook__):
        _prev_excepthook(exc_type, exc, tb)
        abort_job(1, "")
    abort_job(1, "".join(traceback.format_exception(exc_type, exc, tb)))


def abort_job(code: int, message: str) -> None:
    """Print ``message`` and end every rank of the MPI job (mpiexec returns ``code``)."""
    sys.stdout.flush()
    if message:
        sys.stderr.write(message)  # one write: mpiexec forwards it whole
    sys.stderr.flush()
    time.sleep(0.5)  # let mpiexec forward the output before it tears the job down
    try:
        _mpi().COMM_WORLD.Abort(code)
    finally:
        os._exit(code)


def destroy_process_group(group=None) -> None:
    """Leave the default process group (or free ``group``)."""
    global _world, _prev_excepthook
    if group is not None and group is not _world:
        if isinstance(group, ProcessGroup) and group.comm is not None:
            group.comm.Free()
            group.comm = None
        return
    if _world is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )
    _world = None
    _group_cls.WORLD = GroupMember.WORLD = None
    if _prev_excepthook is not None:
        sys.excepthook = _prev_excepthook
        _prev_excepthook = None


def _outsider(group) -> bool:
    return isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER


def _pg(group) -> ProcessGroup | None:
    """The group to run on; None when this rank is not a member (the call does nothing)."""
    if _world is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )
    if group is None or group is GroupMember.WORLD:
        return _world
    if _outsider(group):
        warnings.warn(
            "Running a collective on a group this rank is not a member of; it does nothing here.",
            stacklevel=3,
        )
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"expected a ProcessGroup, got {type(group).__name__}")
    return group


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the world by default); -1 outside the group.

    Example:
        >>> dist.get_rank()
        0
    """
    if _outsider(group):
        return -1
    return _pg(group).rank()


def get_world_size(group=None) -> int:
    """The number of ranks in ``group`` (the world by default); -1 outside the group.

    Example:
        >>> dist.get_world_size()
        2
    """
    if _outsider(group):
        return -1
    return _pg(group).size()


def get_backend(group=None) -> str:
    """The backend name of ``group``."""
    return _pg(group).backend


def get_process_group_ranks(group) -> list:
    """The global ranks of ``group``'s members, in group-rank order."""
    return list(_pg(group).ranks)


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of ``group``'s member number ``group_rank``."""
    return _pg(group).ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """The rank within ``group`` of global rank ``global_rank``."""
    ranks = _pg(group).ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def new_group(
    ranks=None,
    timeout=None,
    backend=None,
    pg_options=None,
    use_local_synchronization: bool = False,
    group_desc=None,
):
    """A process group of ``ranks`` (all ranks by default). Every rank must call it.

    Ranks outside the group get ``GroupMember.NON_GROUP_MEMBER``.

    Example:
        >>> evens = dist.new_group([0, 2])
    """
    world = _pg(None)
    n = world.size()
    ranks = sorted(range(n) if ranks is None else (int(r) for r in ranks))
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"new_group: rank {r} is not in the world of size {n}")
    MPI = _mpi()
    member = world.rank() in ranks
    comm = world.comm.Split(0 if member else MPI.UNDEFINED, world.rank())
    if not member:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(
        comm,
        ranks,
        Backend(backend) if backend else world.backend,
        _seconds(timeout) if timeout is not None else world.timeout,
    )


# -- completion --------------------------------------------------------------------------------


class Work:
    """The handle of a collective started with ``async_op=True``; ``wait()`` finishes it.

    Example:
        >>> w = dist.all_reduce(t, async_op=True); ...; w.wait()
    """

    def __init__(self, test, finish, pg: ProcessGroup, what: str, result=None):
        self._test, self._finish, self._pg, self._what = test, finish, pg, what
        self._started = time.monotonic()
        self._done = False
        self._result = result

    def is_completed(self) -> bool:
        """Whether the operation has finished (finishing it when it has)."""
        if not self._done and self._test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until done; raises DistBackendError after the group's timeout."""
        if self._done:
            return True
        limit = self._pg.timeout if timeout is None else _seconds(timeout)
        deadline = self._started + limit if timeout is None else time.monotonic() + limit
        spins = 0
        while not self._test():
            spins += 1
            if spins > 50:  # a short busy wait for quick collectives, then back off
                if time.monotonic() > deadline:
                    raise DistBackendError(
                        f"ember.distributed: {self._what} on rank {get_rank()} timed out after "
                        f"{limit:.1f}s. A peer rank may have crashed or hung, or is not calling "
                        "the same collective (set the limit with init_process_group(timeout=...)"
                        " or EMBER_DIST_TIMEOUT)."
                    )
                time.sleep(min(1e-3, 2e-6 * spins))
        self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            fin, self._finish = self._finish, None
            r = fin()
            if r is not None:
                self._result = r

    def is_success(self) -> bool:
        return self._done

    def exception(self):
        return None

    def result(self) -> list:
        """The output tensors (after waiting)."""
        self.wait()
        r = self._result
        return list(r) if isinstance(r, (list, tuple)) else [] if r is None else [r]

    def get_future(self) -> Future:
        """A Future that is done when this work is."""
        return Future(self)


class Future:
    """A minimal ``torch.futures.Future`` over a Work: ``wait()``, ``value()``, ``then()``."""

    def __init__(self, work: Work, fn=None):
        self._work, self._fn, self._value, self._has = work, fn, None, False

    def done(self) -> bool:
        return self._work.is_completed()

    def wait(self):
        if not self._has:
            self._work.wait()
            r = self._work.result()
            self._value = self._fn(_Done(r)) if self._fn else r
            self._has = True
        return self._value

    value = wait

    def then(self, callback) -> Future:
        return Future(self._work, lambda fut, prev=self: callback(_Done(prev.wait())))


class _Done:
    def __init__(self, value):
        self._v = value

    def wait(self):
        return self._v

    value = wait


def _start_work(work: Work, async_op: bool):
    """The Work itself for ``async_op``; otherwise wait for it and return None (as PyTorch)."""
    if async_op:
        return work
    work.wait()
    return None


def _start(pg, reqs, finish, what, async_op, result=None):
    """Wrap MPI requests in a Work; wait for it unless ``async_op``."""
    return _start_work(Work(_testall(list(reqs)), finish, pg, what, result), async_op)


# -- buffers -----------------------------------------------------------------------------------


def _check(t, name: str = "tensor") -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type "
            f"ember.Tensor but got {type(t)} instead."
        )


def _host(t: Tensor) -> np.ndarray:
    """A contiguous host array of ``t``'s values (``t``'s own memory when it can be)."""
    a = t._data
    if type(a) is np.ndarray:
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return np.ascontiguousarray(_backend.of(a).to_numpy(a))


def _store(t: Tensor, host: np.ndarray) -> None:
    """Write ``host`` values into ``t`` (in place, as the collectives' outputs are)."""
    a = t._data
    if type(a) is np.ndarray:
        if host is not a:
            a[...] = host.reshape(a.shape)
    else:
        dev = _backend.device_of(a)
        a[...] = _backend.get(dev).from_numpy(np.ascontiguousarray(host).reshape(a.shape), dev)
    t._bump()


def _bytes(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1).view(np.uint8)


def _wire(a: np.ndarray, op) -> tuple:
    """(array MPI can reduce with ``op``, MPI op): half floats in float32, bools as bytes."""
    MPI = _mpi()
    kind = a.dtype.kind
    if op is ReduceOp.AVG and a.dtype == np.bool_:
        raise ValueError("all_reduce does not support RedOpType.AVG on bool tensors")
    if kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise ValueError(f"all_reduce does not support {op} on complex tensors")
    if kind in "fc" and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise ValueError(f"all_reduce does not support {op} on floating point tensors")
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
        mop = {
            ReduceOp.SUM: MPI.MAX,
            ReduceOp.MAX: MPI.MAX,
            ReduceOp.BOR: MPI.MAX,
            ReduceOp.PRODUCT: MPI.MIN,
            ReduceOp.MIN: MPI.MIN,
            ReduceOp.BAND: MPI.MIN,
            ReduceOp.BXOR: MPI.BXOR,
        }[op]
        return a, mop
    if a.dtype.itemsize == 2 and kind == "f" or a.dtype.name == "bfloat16":
        a = a.astype(np.float32)
    mop = {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }.get(op)
    if mop is None:
        raise ValueError(f"unsupported reduce op {op!r}")
    return a, mop


def _unwire(w: np.ndarray, dtype, op, n: int) -> np.ndarray:
    if op is ReduceOp.AVG:
        w = w / n if w.dtype.kind in "fc" else np.trunc(w / n)
    if dtype == np.bool_:
        return w.view(np.bool_) if w.dtype == np.uint8 else w.astype(np.bool_)
    return w if w.dtype == dtype else w.astype(dtype)


def _root(pg: ProcessGroup, rank, group_rank, name: str) -> int:
    """The group rank of a collective's root, given as a global rank or as a group rank."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can not specify both {name} and group_{name}")
        r = int(group_rank)
    else:
        rank = 0 if rank is None else int(rank)
        if rank not in pg.ranks:
            raise RuntimeError(f"invalid root rank: {rank} (the group has ranks {pg.ranks})")
        r = pg.ranks.index(rank)
    if not 0 <= r < pg.size():
        raise RuntimeError(f"invalid root rank: {r}")
    return r


def _nccl_for(pg: ProcessGroup, *tensors):
    """The group's NCCL communicator when the backend is NCCL and the tensors are on a GPU."""
    if pg.backend != "nccl" or not all(t.is_cuda for t in tensors):
        return None
    if pg._nccl is None:
        from ._nccl import NcclComm

        pg._nccl = NcclComm(pg, broadcast_object_list)
    return pg._nccl


# -- collectives -------------------------------------------------------------------------------


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across ranks with ``op``; every rank gets the result in place.

    Example:
        >>> t = ember.tensor([float(dist.get_rank())]); dist.all_reduce(t)  # sum of the ranks
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    nc = _nccl_for(pg, tensor)
    if nc is not None:
        return nc.all_reduce(tensor, op, async_op)
    host = _host(tensor)
    w, mop = _wire(host, op)
    if not w.flags.writeable:
        w = w.copy()
    req = pg.comm.Iallreduce(_mpi().IN_PLACE, w, op=mop)

    def finish():
        _store(tensor, _unwire(w, host.dtype, op, pg.size()))
        return tensor

    return _start(pg, [req], finish, "all_reduce", async_op, tensor)


def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op=ReduceOp.SUM,
    group=None,
    async_op: bool = False,
    group_dst: int | None = None,
):
    """Combine ``tensor`` across ranks with ``op`` into rank ``dst``'s tensor.

    Example:
        >>> dist.reduce(t, dst=0)
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    host = _host(tensor)
    w, mop = _wire(host, op)
    is_root = pg.rank() == root
    out = np.empty_like(w) if is_root else None
    req = pg.comm.Ireduce(w, out, op=mop, root=root)

    def finish():
        if is_root:
            _store(tensor, _unwire(out, host.dtype, op, pg.size()))
        return tensor

    return _start(pg, [req], finish, "reduce", async_op, tensor)


def broadcast(
    tensor: Tensor,
    src: int | None = None,
    group=None,
    async_op: bool = False,
    group_src: int | None = None,
):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank.

    Example:
        >>> dist.broadcast(t, src=0)
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    nc = _nccl_for(pg, tensor)
    if nc is not None:
        return nc.broadcast(tensor, root, async_op)
    host = _host(tensor)
    if not host.flags.writeable:
        host = np.array(host)
    req = pg.comm.Ibcast([_bytes(host), _mpi().BYTE], root=root)

    def finish():
        if pg.rank() != root:
            _store(tensor, host)
        return tensor

    return _start(pg, [req], finish, "broadcast", async_op, tensor)


def _counts(arrays) -> tuple:
    counts = np.array([a.nbytes for a in arrays], dtype=np.int64)
    displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return counts, displs


def _same_dtype(tensors, dtype, name: str) -> None:
    for i, t in enumerate(tensors):
        _check(t, name)
        if t.dtype != dtype:
            raise TypeError(f"{name}[{i}] has dtype {t.dtype} but the input has {dtype}")


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Gather every rank's ``tensor`` into ``tensor_list`` (one entry per rank) on every rank.

    Example:
        >>> out = [ember.zeros(2) for _ in range(dist.get_world_size())]
        >>> dist.all_gather(out, ember.ones(2))
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if len(tensor_list) != n:
        raise RuntimeError(
            f"all_gather: invalid output tensor list (expected length {n}, got {len(tensor_list)})"
        )
    _same_dtype(tensor_list, tensor.dtype, "tensor_list")
    mine = tensor_list[pg.rank()]
    if mine.numel() != tensor.numel():
        raise RuntimeError(
            f"all_gather: invalid tensor size at index {pg.rank()} (expected "
            f"{tuple(tensor.shape)}, got {tuple(mine.shape)})"
        )
    host = _host(tensor)
    outs = [np.empty(tuple(t.shape), host.dtype) for t in tensor_list]
    counts, displs = _counts(outs)
    flat = np.empty(int(counts.sum()), np.uint8)
    MPI = _mpi()
    req = pg.comm.Iallgatherv([_bytes(host), MPI.BYTE], [flat, (counts, displs), MPI.BYTE])

    def finish():
        for t, o, c, d in zip(tensor_list, outs, counts, displs):
            _store(t, flat[d : d + c].view(o.dtype).reshape(o.shape))
        return tensor_list

    return _start(pg, [req], finish, "all_gather", async_op, tensor_list)


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False
):
    """Gather every rank's ``input_tensor`` into ``output_tensor`` (concatenated or stacked).

    Example:
        >>> out = ember.zeros(2 * dist.get_world_size())
        >>> dist.all_gather_into_tensor(out, ember.ones(2))
    """
    _check(output_tensor, "output_tensor")
    _check(input_tensor, "input_tensor")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if output_tensor.numel() != n * input_tensor.numel():
        raise RuntimeError(
            f"all_gather_into_tensor: output tensor size must be equal to "
            f"world_size ({n}) times input tensor size "
            f"({input_tensor.numel()}), got {output_tensor.numel()}"
        )
    _same_dtype([output_tensor], input_tensor.dtype, "output_tensor")
    nc = _nccl_for(pg, output_tensor, input_tensor)
    if nc is not None:
        return nc.all_gather_into_tensor(output_tensor, input_tensor, async_op)
    host = _host(input_tensor)
    out = np.empty((n,) + host.shape, host.dtype)
    MPI = _mpi()
    req = pg.comm.Iallgather([_bytes(host), MPI.BYTE], [_bytes(out), MPI.BYTE])

    def finish():
        _store(output_tensor, out)
        return output_tensor

    return _start(pg, [req], finish, "all_gather_into_tensor", async_op, output_tensor)


_all_gather_base = all_gather_into_tensor


def reduce_scatter(
    output: Tensor, input_list: list, op=ReduceOp.SUM, group=None, async_op: bool = False
):
    """Reduce ``input_list[i]`` across ranks with ``op``; rank i gets the result in ``output``.

    Example:
        >>> dist.reduce_scatter(out, [ember.ones(2)] * dist.get_world_size())
    """
    _check(output, "output")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if len(input_list) != n:
        raise RuntimeError(
            f"reduce_scatter: invalid input tensor list (expected length {n}, "
            f"got {len(input_list)})"
        )
    _same_dtype(input_list, output.dtype, "input_list")
    if input_list[pg.rank()].numel() != output.numel():
        raise RuntimeError(
            f"reduce_scatter: output has {output.numel()} elements but "
            f"input_list[{pg.rank()}] has {input_list[pg.rank()].numel()}"
        )
    hosts = [_host(t).reshape(-1) for t in input_list]
    w, mop = _wire(np.concatenate(hosts) if hosts else np.empty(0, output._data.dtype), op)
    counts = [h.size for h in hosts]
    recv = np.empty(counts[pg.rank()], w.dtype)
    req = pg.comm.Ireduce_scatter(w, recv, counts, op=mop)

    def finish():
        _store(output, _unwire(recv, np.dtype(output._data.dtype), op, n))
        return output

    return _start(pg, [req], finish, "reduce_scatter", async_op, output)


def reduce_scatter_tensor(
    output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False
):
    """Reduce ``input`` across ranks; rank i gets the i-th of ``world_size`` equal chunks.

    Example:
        >>> dist.reduce_scatter_tensor(ember.zeros(2), ember.ones(2 * dist.get_world_size()))
    """
    _check(output, "output")
    _check(input, "input")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if input.numel() != n * output.numel():
        raise RuntimeError(
            f"reduce_scatter_tensor: input tensor size ({input.numel()}) must be "
            f"world_size ({n}) times the output size ({output.numel()})"
        )
    _same_dtype([input], output.dtype, "input")
    nc = _nccl_for(pg, output, input)
    if nc is not None:
        return nc.reduce_scatter_tensor(output, input, op, async_op)
    w, mop = _wire(_host(input).reshape(-1), op)
    recv = np.empty(output.numel(), w.dtype)
    req = pg.comm.Ireduce_scatter_block(w, recv, op=mop)

    def finish():
        _store(output, _unwire(recv, np.dtype(output._data.dtype), op, n))
        return output

    return _start(pg, [req], finish, "reduce_scatter_tensor", async_op, output)


_reduce_scatter_base = reduce_scatter_tensor


def gather(
    tensor: Tensor,
    gather_list: list | None = None,
    dst: int | None = None,
    group=None,
    async_op: bool = False,
    group_dst: int | None = None,
):
    """Gather every rank's ``tensor`` into ``gather_list`` on rank ``dst``.

    Example:
        >>> out = [ember.zeros(2) for _ in range(n)] if dist.get_rank() == 0 else None
        >>> dist.gather(ember.ones(2), out, dst=0)
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    is_root = pg.rank() == root
    n = pg.size()
    MPI = _mpi()
    host = _host(tensor)
    if is_root:
        if gather_list is None or len(gather_list) != n:
            raise RuntimeError(
                f"gather: Incorrect output list size "
                f"{0 if gather_list is None else len(gather_list)}. Output list "
                f"size should be {n}, same as size of the process group."
            )
        _same_dtype(gather_list, tensor.dtype, "gather_list")
        outs = [np.empty(tuple(t.shape), host.dtype) for t in gather_list]
        counts, displs = _counts(outs)
        flat = np.empty(int(counts.sum()), np.uint8)
        recv = [flat, (counts, displs), MPI.BYTE]
    else:
        if gather_list:
            raise ValueError(
                "Argument ``gather_list`` must NOT be specified on non-destination ranks."
            )
        recv = None
    req = pg.comm.Igatherv([_bytes(host), MPI.BYTE], recv, root=root)

    def finish():
        if is_root:
            for t, o, c, d in zip(gather_list, outs, counts, displs):
                _store(t, flat[d : d + c].view(o.dtype).reshape(o.shape))
        return gather_list

    return _start(pg, [req], finish, "gather", async_op, gather_list)


def scatter(
    tensor: Tensor,
    scatter_list: list | None = None,
    src: int | None = None,
    group=None,
    async_op: bool = False,
    group_src: int | None = None,
):
    """Send ``scatter_list[i]`` from rank ``src`` to rank i's ``tensor``.

    Example:
        >>> parts = [ember.full((2,), float(i)) for i in range(n)] if dist.get_rank() == 0 else None
        >>> dist.scatter(t, parts, src=0)
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    is_root = pg.rank() == root
    n = pg.size()
    MPI = _mpi()
    if is_root:
        if scatter_list is None or len(scatter_list) != n:
            raise RuntimeError(
                f"scatter: Incorrect input list size "
                f"{0 if scatter_list is None else len(scatter_list)}. Input list "
                f"size should be {n}, same as size of the process group."
            )
        _same_dtype(scatter_list, tensor.dtype, "scatter_list")
        hosts = [_host(t) for t in scatter_list]
        counts, displs = _counts(hosts)
        flat = np.concatenate([_bytes(h) for h in hosts]) if hosts else np.empty(0, np.uint8)
        send = [flat, (counts, displs), MPI.BYTE]
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        send = None
    out = np.empty(tuple(tensor.shape), np.dtype(tensor._data.dtype))
    req = pg.comm.Iscatterv(send, [_bytes(out), MPI.BYTE], root=root)

    def finish():
        _store(tensor, out)
        return tensor

    return _start(pg, [req], finish, "scatter", async_op, tensor)


def all_to_all_single(
    output: Tensor,
    input: Tensor,
    output_split_sizes=None,
    input_split_sizes=None,
    group=None,
    async_op: bool = False,
):
    """Split ``input`` along dim 0 and send piece i to rank i; receive into ``output``.

    Example:
        >>> dist.all_to_all_single(out, ember.arange(n * 2.0))
    """
    _check(output, "output")
    _check(input, "input")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    MPI = _mpi()
    src = _host(input)
    row_in = src.nbytes // max(src.shape[0], 1) if src.ndim else src.nbytes
    out = np.empty(tuple(output.shape), src.dtype)
    row_out = out.nbytes // max(out.shape[0], 1) if out.ndim else out.nbytes

    def split(sizes, total_rows, row):
        if sizes is None:
            if total_rows % n:
                raise RuntimeError(
                    f"all_to_all_single: dim 0 ({total_rows}) is not divisible "
                    f"by the world size {n}"
                )
            sizes = [total_rows // n] * n
        c = np.array(sizes, np.int64) * row
        return c, np.concatenate([[0], np.cumsum(c)[:-1]]).astype(np.int64)

    sc, sd = split(input_split_sizes, src.shape[0] if src.ndim else 1, row_in)
    rc, rd = split(output_split_sizes, out.shape[0] if out.ndim else 1, row_out)
    req = pg.comm.Ialltoallv([_bytes(src), (sc, sd), MPI.BYTE], [_bytes(out), (rc, rd), MPI.BYTE])

    def finish():
        _store(output, out)
        return output

    return _start(pg, [req], finish, "all_to_all_single", async_op, output)


def all_to_all(
    output_tensor_list: list, input_tensor_list: list, group=None, async_op: bool = False
):
    """Send ``input_tensor_list[i]`` to rank i; receive rank i's piece in ``output_tensor_list[i]``.

    Example:
        >>> dist.all_to_all(outs, ins)
    """
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise RuntimeError(f"all_to_all: the tensor lists must have world_size ({n}) entries")
    MPI = _mpi()
    hosts = [_host(t) for t in input_tensor_list]
    outs = [np.empty(tuple(t.shape), np.dtype(t._data.dtype)) for t in output_tensor_list]
    sc, sd = _counts(hosts)
    rc, rd = _counts(outs)
    send = np.concatenate([_bytes(h) for h in hosts]) if hosts else np.empty(0, np.uint8)
    recv = np.empty(int(rc.sum()), np.uint8)
    req = pg.comm.Ialltoallv([send, (sc, sd), MPI.BYTE], [recv, (rc, rd), MPI.BYTE])

    def finish():
        for t, o, c, d in zip(output_tensor_list, outs, rc, rd):
            _store(t, recv[d : d + c].view(o.dtype).reshape(o.shape))
        return output_tensor_list

    return _start(pg, [req], finish, "all_to_all", async_op, output_tensor_list)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank of ``group`` has reached the barrier.

    Example:
        >>> dist.barrier()
    """
    pg = _pg(group)
    if pg is None:
        return None
    return _start(pg, [pg.comm.Ibarrier()], None, "barrier", async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """A barrier that raises after ``timeout`` (the group's by default) if a rank is missing."""
    pg = _pg(group)
    if pg is None:
        return
    Work(_ibarrier_test(pg), None, pg, "monitored_barrier").wait(timeout)


def _ibarrier_test(pg):
    MPI = _mpi()
    req = pg.comm.Ibarrier()
    return lambda: MPI.Request.Testall([req])


# -- point to point ----------------------------------------------------------------------------


def _peer(pg, rank, group_rank, name: str) -> int:
    if group_rank is not None:
        return int(group_rank)
    if rank is None:
        raise ValueError(f"{name} must be given")
    if int(rank) not in pg.ranks:
        raise ValueError(f"{name} rank {rank} is not part of the group")
    return pg.ranks.index(int(rank))


def isend(
    tensor: Tensor, dst: int | None = None, group=None, tag: int = 0, group_dst: int | None = None
) -> Work | None:
    """Start sending ``tensor`` to rank ``dst``; returns a Work to wait on.

    Example:
        >>> dist.isend(t, dst=1).wait()
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    host = np.array(_host(tensor))  # a snapshot: the caller may change tensor meanwhile
    req = pg.comm.Isend([_bytes(host), _mpi().BYTE], dest=peer, tag=tag)
    return _start(pg, [req], None, "send", True)


def irecv(
    tensor: Tensor, src: int | None = None, group=None, tag: int = 0, group_src: int | None = None
) -> Work | None:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None).

    Example:
        >>> dist.irecv(t, src=0).wait()
    """
    _check(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src")
    out = np.empty(tuple(tensor.shape), np.dtype(tensor._data.dtype))
    req = pg.comm.Irecv([_bytes(out), MPI.BYTE], source=peer, tag=tag)
    status = MPI.Status()
    work = Work(lambda: req.Test(status), None, pg, "recv")

    def finish():
        _store(tensor, out)
        work.source = pg.ranks[status.Get_source()]
        return tensor

    work._finish = finish
    return work


def send(
    tensor: Tensor, dst: int | None = None, group=None, tag: int = 0, group_dst: int | None = None
) -> None:
    """Send ``tensor`` to rank ``dst`` (blocks until it is sent).

    Example:
        >>> dist.send(ember.ones(2), dst=1)
    """
    w = isend(tensor, dst, group, tag, group_dst)
    if w is not None:
        w.wait()


def recv(
    tensor: Tensor, src: int | None = None, group=None, tag: int = 0, group_src: int | None = None
) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender.

    Example:
        >>> sender = dist.recv(t, src=0)
    """
    w = irecv(tensor, src, group, tag, group_src)
    if w is None:
        return -1
    w.wait()
    return w.source


class P2POp:
    """One send or receive for batch_isend_irecv: ``P2POp(dist.isend, tensor, peer)``."""

    def __init__(
        self,
        op,
        tensor: Tensor,
        peer: int | None = None,
        group=None,
        tag: int = 0,
        group_peer: int | None = None,
    ):
        if op not in (isend, irecv):
            raise ValueError(
                "Invalid ``op``. Expected ``op`` to be of type ``dist.isend`` or ``dist.irecv``."
            )
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag
        self.group_peer = group_peer


def batch_isend_irecv(p2p_op_list: list) -> list:
    """Start every send and receive of the list; returns their Works.

    Example:
        >>> works = dist.batch_isend_irecv([dist.P2POp(dist.isend, t, 1)])
        >>> for w in works: w.wait()
    """
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


# -- python objects ----------------------------------------------------------------------------


def _gather_bytes(pg, data: np.ndarray, what: str) -> list:
    """Every rank's byte string, on every rank."""
    MPI = _mpi()
    sizes = np.zeros(pg.size(), np.int64)
    Work(
        _testall([pg.comm.Iallgather(np.array([data.size], np.int64), sizes)]), None, pg, what
    ).wait()
    displs = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    flat = np.empty(int(sizes.sum()), np.uint8)
    Work(
        _testall([pg.comm.Iallgatherv([data, MPI.BYTE], [flat, (sizes, displs), MPI.BYTE])]),
        None,
        pg,
        what,
    ).wait()
    return [flat[d : d + s].tobytes() for d, s in zip(displs, sizes)]


def _testall(reqs):
    MPI = _mpi()
    return lambda: MPI.Request.Testall(reqs)


def _pickle(obj) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj), np.uint8)


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Gather every rank's picklable ``obj`` into ``object_list`` on every rank.

    Example:
        >>> out = [None] * dist.get_world_size(); dist.all_gather_object(out, {"rank": r})
    """
    pg = _pg(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(
            f"all_gather_object: object_list must have world_size ({pg.size()}) "
            f"entries, got {len(object_list)}"
        )
    for i, b in enumerate(_gather_bytes(pg, _pickle(obj), "all_gather_object")):
        object_list[i] = pickle.loads(b)


def gather_object(
    obj,
    object_gather_list: list | None = None,
    dst: int | None = None,
    group=None,
    group_dst: int | None = None,
) -> None:
    """Gather every rank's picklable ``obj`` into ``object_gather_list`` on rank ``dst``."""
    pg = _pg(group)
    if pg is None:
        return
    root = _root(pg, dst, group_dst, "dst")
    got = _gather_bytes(pg, _pickle(obj), "gather_object")
    if pg.rank() == root:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(
                "gather_object: object_gather_list must have world_size entries "
                "on the destination rank"
            )
        for i, b in enumerate(got):
            object_gather_list[i] = pickle.loads(b)


def broadcast_object_list(
    object_list: list, src: int | None = None, group=None, device=None, group_src: int | None = None
) -> None:
    """Replace ``object_list``'s entries on every rank by rank ``src``'s (picklable) objects.

    Example:
        >>> objs = [cfg] if dist.get_rank() == 0 else [None]; dist.broadcast_object_list(objs)
    """
    pg = _pg(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    MPI = _mpi()
    is_root = pg.rank() == root
    data = _pickle(list(object_list)) if is_root else None
    size = np.array([data.size if is_root else 0], np.int64)
    Work(_testall([pg.comm.Ibcast(size, root=root)]), None, pg, "broadcast_object_list").wait()
    buf = data.copy() if is_root else np.empty(int(size[0]), np.uint8)
    Work(
        _testall([pg.comm.Ibcast([buf, MPI.BYTE], root=root)]), None, pg, "broadcast_object_list"
    ).wait()
    if not is_root:
        got = pickle.loads(buf.tobytes())
        if len(got) != len(object_list):
            raise ValueError(
                f"broadcast_object_list: the source has {len(got)} objects but "
                f"this rank's list has {len(object_list)}"
            )
        object_list[:] = got


def scatter_object_list(
    scatter_object_output_list: list,
    scatter_object_input_list=None,
    src: int | None = None,
    group=None,
    group_src: int | None = None,
) -> None:
    """Rank i gets ``scatter_object_input_list[i]`` from rank ``src`` in ``output_list[0]``."""
    pg = _pg(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    objs = [list(scatter_object_input_list or [])]
    broadcast_object_list(objs, group=group, group_src=root)
    scatter_object_output_list[0] = objs[0][pg.rank()]
