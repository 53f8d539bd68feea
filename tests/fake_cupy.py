"""A test-only stand-in for CuPy: CuPy's array API on NumPy arrays, on two fake GPUs.

It lets a CPU-only CI run ember's CUDA backend (``ember/backend/cuda.py``) and every op path that
goes through ``xp``: device bookkeeping, transfers, same-device checks, memory statistics,
streams and events. It is as strict as CuPy where that catches real bugs:

- ``ndarray`` is NOT a ``numpy.ndarray`` (so CPU-only fast paths guarded by
  ``isinstance(a, np.ndarray)`` are not taken), and ``np.asarray(fake)`` raises like CuPy does
  ("Implicit conversion to a NumPy array is not allowed");
- ufuncs and NumPy functions reject plain NumPy arrays mixed with device arrays, and arrays
  from two different devices;
- full reductions return 0-d device arrays, not NumPy scalars.

Use it with :func:`installed` (a context manager) or the ``fake_cuda`` fixture of
``tests/test_cuda_fake.py``::

    with fake_cupy.installed():
        x = ember.ones(3, device="cuda")
"""

from __future__ import annotations

import contextlib
import ctypes
import numbers
import time
import types
import weakref

import numpy as np

DEVICE_COUNT = 2
_state = {"device": 0, "stream": None}


def _dev_now() -> int:
    return _state["device"]


# -- arrays ------------------------------------------------------------------------------------


def _check_operand(x):
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, devs: set):
    """Replace fake arrays by their NumPy arrays (recursing into lists/tuples/dicts)."""
    if type(x) is ndarray:
        devs.add(x._dev)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, devs) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, devs) for k, v in x.items()}
    return x


def _device_of(devs: set) -> int:
    if len(devs) > 1:
        raise ValueError(
            f"Array device must be same as the current device: arrays on devices {sorted(devs)}"
        )
    return next(iter(devs)) if devs else _dev_now()


def _wrap(r, dev: int, inputs=()):
    """Wrap NumPy results as fake arrays on ``dev``; NumPy scalars become 0-d arrays (as CuPy)."""
    if isinstance(r, np.ndarray):
        for w in inputs:  # keep identity when NumPy returned an input unchanged
            if type(w) is ndarray and w._a is r:
                return w
        return ndarray._new(r, dev)
    if isinstance(r, np.generic):
        return ndarray._new(np.asarray(r), dev)
    if isinstance(r, tuple):
        return tuple(_wrap(v, dev, inputs) for v in r)
    if isinstance(r, list):
        return [_wrap(v, dev, inputs) for v in r]
    return r


def _call(fn, args, kwargs):
    devs: set = set()
    a = _unwrap(args, devs)
    k = _unwrap(kwargs, devs)
    dev = _device_of(devs)
    return _wrap(fn(*a, **k), dev, list(args) + list(kwargs.values()))


class _Pointer:
    def __init__(self, ptr: int, device_id: int):
        self.ptr, self.device_id = ptr, device_id


class ndarray:  # noqa: N801  (CuPy's name)
    """A fake device array: a NumPy array plus the id of the fake GPU holding it."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100

    @classmethod
    def _new(cls, a: np.ndarray, dev: int) -> ndarray:
        self = object.__new__(cls)
        self._a, self._dev = a, dev
        _pool._track(a, dev)
        return self

    def __init__(self, shape, dtype=float):
        self._a, self._dev = np.empty(shape, dtype), _dev_now()
        _pool._track(self._a, self._dev)

    # CuPy refuses silent device -> host conversion; so do we.
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use "
            "`.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        r = _call(getattr(ufunc, method), inputs, kwargs)
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return r

    def __array_function__(self, func, types, args, kwargs):
        return _call(func, args, kwargs)

    # -- attributes ----------------------------------------------------------------------------
    @property
    def device(self) -> Device:
        return Device(self._dev)

    @property
    def data(self) -> _Pointer:
        return _Pointer(self._a.__array_interface__["data"][0], self._dev)

    @property
    def base(self):
        b = self._a.base
        return ndarray._new(b, self._dev) if isinstance(b, np.ndarray) else b

    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    def __getattr__(self, name):
        v = getattr(self._a, name)
        if isinstance(v, np.ndarray):
            return _wrap(v, self._dev)
        if callable(v):
            return lambda *args, **kwargs: _call_method(self, v, args, kwargs)
        return v

    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        """A host copy (``cupy.ndarray.get``)."""
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None) -> None:
        """Copy host array ``arr`` into this array."""
        self._a[...] = arr

    # -- python protocol -----------------------------------------------------------------------
    def __getitem__(self, idx):
        devs: set = set()
        idx = _unwrap_index(idx, devs)
        devs.add(self._dev)
        return _wrap(self._a[idx], _device_of(devs), (self,))

    def __setitem__(self, idx, value):
        devs: set = {self._dev}
        idx = _unwrap_index(idx, devs)
        if type(value) is ndarray:
            devs.add(value._dev)
            value = value._a
        _device_of(devs)
        self._a[idx] = value

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return repr(self._a)

    __str__ = __repr__
    __hash__ = None

    def __copy__(self):
        return ndarray._new(self._a.copy(), self._dev)

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        return (_rebuild, (self._a, self._dev))

    def __dlpack_device__(self):
        return (2, self._dev)  # kDLCUDA


def _call_method(self, bound, args, kwargs):
    devs: set = {self._dev}
    a = _unwrap(args, devs)
    k = _unwrap(kwargs, devs)
    return _wrap(bound(*a, **k), _device_of(devs), (self,) + tuple(args))


def _unwrap_index(idx, devs):
    # CuPy converts NumPy arrays and lists used as indices; only device arrays are unwrapped.
    if type(idx) is ndarray:
        devs.add(idx._dev)
        return idx._a
    if isinstance(idx, tuple):
        return tuple(_unwrap_index(i, devs) for i in idx)
    return idx


def _rebuild(a, dev):
    return ndarray._new(a, dev)


def _operand_ok(x) -> bool:
    return type(x) is ndarray or isinstance(x, (numbers.Number, np.generic))


def _binary(ufunc, reflected=False):
    def op(self, other):
        if not _operand_ok(other):
            if isinstance(other, np.ndarray):
                raise TypeError(f"Unsupported type {type(other)}")
            return NotImplemented
        return ufunc(other, self) if reflected else ufunc(self, other)

    return op


def _inplace(ufunc):
    def op(self, other):
        if not _operand_ok(other):
            if isinstance(other, np.ndarray):
                raise TypeError(f"Unsupported type {type(other)}")
            return NotImplemented
        ufunc(self, other, out=(self,))
        return self

    return op


for _n, _u in [
    ("add", np.add),
    ("sub", np.subtract),
    ("mul", np.multiply),
    ("truediv", np.true_divide),
    ("floordiv", np.floor_divide),
    ("mod", np.remainder),
    ("pow", np.power),
    ("matmul", np.matmul),
    ("and", np.bitwise_and),
    ("or", np.bitwise_or),
    ("xor", np.bitwise_xor),
    ("lshift", np.left_shift),
    ("rshift", np.right_shift),
]:
    setattr(ndarray, f"__{_n}__", _binary(_u))
    setattr(ndarray, f"__r{_n}__", _binary(_u, reflected=True))
    setattr(ndarray, f"__i{_n}__", _inplace(_u))
for _n, _u in [
    ("eq", np.equal),
    ("ne", np.not_equal),
    ("lt", np.less),
    ("le", np.less_equal),
    ("gt", np.greater),
    ("ge", np.greater_equal),
]:
    setattr(ndarray, f"__{_n}__", _binary(_u))
for _n, _u in [
    ("neg", np.negative),
    ("pos", np.positive),
    ("abs", np.absolute),
    ("invert", np.invert),
]:
    setattr(ndarray, f"__{_n}__", lambda self, _u=_u: _u(self))


# -- memory ------------------------------------------------------------------------------------


class MemoryPointer:
    """A fake device allocation (what an allocator returns)."""

    def __init__(self, size: int, device_id: int):
        self.size, self.device_id = size, device_id


class MemoryPool:
    """Counts the bytes of live fake device arrays per device, rounded up like CuPy's pool."""

    def __init__(self):
        self._used = [0] * DEVICE_COUNT
        self._reserved = [0] * DEVICE_COUNT
        self._tracked: dict = {}  # id of a live base array -> its MemoryPointer

    def malloc(self, size: int) -> MemoryPointer:
        size = -(-size // 512) * 512
        dev = _dev_now()
        self._used[dev] += size
        self._reserved[dev] = max(self._reserved[dev], self._used[dev])
        return MemoryPointer(size, dev)

    def _free(self, key: int) -> None:
        mem = self._tracked.pop(key)
        self._used[mem.device_id] -= mem.size

    def _track(self, a: np.ndarray, dev: int) -> None:
        while isinstance(a.base, np.ndarray):
            a = a.base
        if id(a) in self._tracked or a.nbytes == 0:
            return
        prev = _state["device"]
        _state["device"] = dev
        try:
            mem = cuda._allocator(a.nbytes)
        finally:
            _state["device"] = prev
        self._tracked[id(a)] = mem
        weakref.finalize(a, self._free, id(a))

    def used_bytes(self) -> int:
        return self._used[_dev_now()]

    def total_bytes(self) -> int:
        return self._reserved[_dev_now()]

    def free_bytes(self) -> int:
        return self.total_bytes() - self.used_bytes()

    def free_all_blocks(self, stream=None) -> None:
        self._reserved[_dev_now()] = self._used[_dev_now()]


_pool = MemoryPool()


class PinnedMemoryPointer(bytearray):
    """Page-locked host memory (here: a bytearray that NumPy arrays can use as their buffer)."""


# -- the cupy.cuda namespace --------------------------------------------------------------------


class Device:
    """``cupy.cuda.Device``: selects a fake GPU, as a context manager or with ``use()``."""

    def __init__(self, device=None):
        self.id = _dev_now() if device is None else int(device)
        if not 0 <= self.id < DEVICE_COUNT:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")
        self._prev = []

    def use(self) -> None:
        _state["device"] = self.id

    def synchronize(self) -> None:
        pass

    @property
    def compute_capability(self) -> str:
        return "80"

    def __enter__(self):
        self._prev.append(_dev_now())
        self.use()
        return self

    def __exit__(self, *exc):
        _state["device"] = self._prev.pop()

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)


class Event:
    """``cupy.cuda.Event``: records a host timestamp (work here is synchronous)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.disable_timing = disable_timing
        self._t = None

    def record(self, stream=None) -> None:
        self._t = time.perf_counter()

    def synchronize(self) -> None:
        pass

    @property
    def done(self) -> bool:
        return True


class Stream:
    """``cupy.cuda.Stream``: a context manager that makes itself the current stream."""

    null: Stream

    def __init__(self, null=False, non_blocking=False, ptr=None, priority=0):
        self.ptr = 0 if null else id(self)
        self.device_id = _dev_now()
        self.priority = priority
        self._prev = []

    def __enter__(self):
        self._prev.append(_state["stream"])
        _state["stream"] = self
        return self

    def __exit__(self, *exc):
        _state["stream"] = self._prev.pop()

    def use(self):
        _state["stream"] = self
        return self

    def synchronize(self) -> None:
        pass

    @property
    def done(self) -> bool:
        return True

    def record(self, event=None) -> Event:
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event) -> None:
        pass


Stream.null = Stream(null=True)


def _get_elapsed_time(start: Event, end: Event) -> float:
    if start.disable_timing or end.disable_timing:
        raise RuntimeError("cudaErrorInvalidResourceHandle: events created without timing")
    return (end._t - start._t) * 1e3


def _get_current_stream(device_id=None) -> Stream:
    return _state["stream"] or Stream.null


def _alloc_pinned_memory(size: int) -> PinnedMemoryPointer:
    return PinnedMemoryPointer(size)


_PROPS = {
    "name": b"Fake CUDA Device",
    "totalGlobalMem": 16 << 30,
    "major": 8,
    "minor": 0,
    "multiProcessorCount": 4,
    "uuid": b"\0" * 16,
    "l2CacheSize": 1 << 20,
}


class CUDARuntimeError(RuntimeError):
    pass


def _set_device(i: int) -> None:
    Device(i).use()


runtime = types.SimpleNamespace(
    getDeviceCount=lambda: DEVICE_COUNT,
    getDevice=_dev_now,
    setDevice=_set_device,
    getDeviceProperties=lambda i: dict(_PROPS),
    memGetInfo=lambda: (_PROPS["totalGlobalMem"] - _pool.total_bytes(), _PROPS["totalGlobalMem"]),
    deviceSynchronize=lambda: None,
    CUDARuntimeError=CUDARuntimeError,
)


def _set_allocator(fn=None) -> None:
    cuda._allocator = fn or _pool.malloc


class _NcclCommunicator:
    """NCCL for a world of one rank: every collective copies its input to its output."""

    def __init__(self, ndev: int, comm_id, rank: int):
        if ndev != 1:
            raise RuntimeError("the fake NCCL serves a single rank")

    @staticmethod
    def _copy(src: int, dst: int, count: int, dtype: int) -> None:
        if src != dst:
            ctypes.memmove(dst, src, count * _NCCL_SIZES[dtype])

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):  # noqa: N802
        self._copy(sendbuf, recvbuf, count, datatype)

    def bcast(self, buff, count, datatype, root, stream):
        pass

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):  # noqa: N802
        self._copy(sendbuf, recvbuf, count, datatype)

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):  # noqa: N802
        self._copy(sendbuf, recvbuf, recvcount, datatype)


_NCCL_TYPES = [
    "INT8",
    "UINT8",
    "INT32",
    "UINT32",
    "INT64",
    "UINT64",
    "FLOAT16",
    "FLOAT32",
    "FLOAT64",
    "BFLOAT16",
]
_NCCL_SIZES = [1, 1, 4, 4, 8, 8, 2, 4, 8, 2]
nccl = types.SimpleNamespace(
    NcclCommunicator=_NcclCommunicator,
    get_unique_id=lambda: (0,) * 128,
    NCCL_SUM=0,
    NCCL_PROD=1,
    NCCL_MAX=2,
    NCCL_MIN=3,
    NCCL_AVG=4,
    **{f"NCCL_{n}": i for i, n in enumerate(_NCCL_TYPES)},
)


cuda = types.SimpleNamespace(
    Device=Device,
    Stream=Stream,
    Event=Event,
    runtime=runtime,
    MemoryPool=MemoryPool,
    MemoryPointer=MemoryPointer,
    PinnedMemoryPointer=PinnedMemoryPointer,
    get_current_stream=_get_current_stream,
    get_elapsed_time=_get_elapsed_time,
    alloc_pinned_memory=_alloc_pinned_memory,
    set_allocator=_set_allocator,
    get_allocator=lambda: cuda._allocator,
    _allocator=_pool.malloc,
    nccl=nccl,
    nccl_enabled=True,
)


# -- the cupy and cupyx namespaces -------------------------------------------------------------


class _Ufunc:
    """A NumPy ufunc seen through CuPy: calls and ``at/reduce/outer/accumulate`` take fakes."""

    def __init__(self, uf):
        self._u = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        r = _call(self._u, args, kwargs)
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return r

    def __getattr__(self, name):
        fn = getattr(self._u, name)
        return lambda *args, **kwargs: _call(fn, args, kwargs)


class _IndexMaker:
    """``ogrid[...]`` and friends, returning device arrays."""

    def __init__(self, maker):
        self._m = maker

    def __getitem__(self, key):
        return _wrap(self._m[key], _dev_now())


class _Namespace:
    """A NumPy (sub)module whose functions take and return fake arrays."""

    def __init__(self, mod):
        self._mod = mod

    def __getattr__(self, name):
        v = getattr(self._mod, name)
        if name in ("ogrid", "mgrid", "r_", "c_"):
            v = _IndexMaker(v)
        elif isinstance(v, types.ModuleType):
            v = _Namespace(v)
        elif isinstance(v, np.ufunc):
            v = _Ufunc(v)
        elif callable(v) and not isinstance(v, type):
            fn = v
            v = lambda *args, **kwargs: _call(fn, args, kwargs)  # noqa: E731
        setattr(self, name, v)
        return v


def asarray(a, dtype=None, order=None, *, blocking=False):
    """``a`` on the current fake GPU (copied from the host; device arrays pass through)."""
    if type(a) is ndarray:
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        return ndarray._new(a._a.astype(dtype), a._dev)
    return ndarray._new(np.array(a, dtype=dtype, order=order or "K"), _dev_now())


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """A new device array holding ``obj``."""
    if type(obj) is ndarray:
        return ndarray._new(
            np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin), obj._dev
        )
    return ndarray._new(np.array(obj, dtype=dtype, order=order, ndmin=ndmin), _dev_now())


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True) -> np.ndarray:
    """A host copy of ``a`` (NumPy input is returned as an array)."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return cupy if any(type(a) is ndarray for a in args) else np


def empty_pinned(shape, dtype=float, order="C") -> np.ndarray:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return np.ndarray(shape, dtype=dtype, buffer=_alloc_pinned_memory(max(n, 1)), order=order)


cupy = _Namespace(np)
cupy.__name__ = "cupy"
for _k, _v in dict(
    ndarray=ndarray,
    asarray=asarray,
    array=array,
    asnumpy=asnumpy,
    get_array_module=get_array_module,
    cuda=cuda,
    get_default_memory_pool=lambda: _pool,
).items():
    setattr(cupy, _k, _v)


def _special_ns():
    try:
        import scipy.special as special
    except ImportError:  # pragma: no cover - scipy is a test dependency
        return None
    return _Namespace(special)


cupyx = types.SimpleNamespace(
    scipy=types.SimpleNamespace(special=_special_ns()),
    empty_pinned=empty_pinned,
    zeros_pinned=lambda shape, dtype=float: np.zeros(shape, dtype),
)


@contextlib.contextmanager
def installed():
    """Serve ember's 'cuda' device from this fake for the duration of the block.

    Example:
        >>> with installed():
        ...     ember.ones(2, device="cuda").device
        device(type='cuda', index=0)
    """
    from ember.backend import cuda as backend_cuda

    _state.update(device=0, stream=None)
    prev = backend_cuda._use(cupy, cupyx)
    try:
        yield cupy
    finally:
        backend_cuda._use(*prev)
        _state.update(device=0, stream=None)
