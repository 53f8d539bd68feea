"""torch.cuda's surface: devices, synchronisation, memory statistics, streams and events.

Everything here works through ``ember.backend.cuda`` (which holds CuPy). Without CuPy or without
a GPU, ``is_available()`` is False, the statistics read 0, and anything that needs a GPU raises a
RuntimeError that says how to get one.

Random numbers: ember draws every random number on the CPU generator and copies it to the device,
so ``ember.manual_seed`` makes CUDA runs reproducible and gives the same numbers as on the CPU.
``ember.cuda.manual_seed`` only sets the per-device seeds that ``initial_seed`` reports.

Example:
    >>> import ember
    >>> device = ember.device("cuda" if ember.cuda.is_available() else "cpu")
"""

from __future__ import annotations

import contextlib

from .._device import device as _device
from ..backend import cuda as _b


class OutOfMemoryError(RuntimeError):
    """Raised when a GPU allocation fails (``torch.cuda.OutOfMemoryError``)."""


def is_available() -> bool:
    """Whether CuPy is installed and sees at least one GPU.

    Example:
        >>> ember.cuda.is_available()
        False
    """
    return _b.is_available()


def is_initialized() -> bool:
    """Whether this process has used a GPU yet."""
    return _b._initialized


def init() -> None:
    """Initialise CUDA now (it is otherwise done on first use); raises without a GPU."""
    _b.lazy_init()


def device_count() -> int:
    """The number of GPUs (0 without CUDA).

    Example:
        >>> ember.cuda.device_count()
        0
    """
    return _b.device_count()


def _index(dev, optional: bool = True) -> int:
    """A GPU index from an int, 'cuda:i' string, ember.device or None (the current GPU)."""
    if isinstance(dev, str):
        dev = _device(dev)
    if isinstance(dev, _device):
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        dev = dev.index
    if dev is None:
        if not optional:
            raise ValueError("Expected a torch.device with a specified index or an integer")
        return current_device()
    if not isinstance(dev, int) or isinstance(dev, bool):
        raise ValueError(f"Expected a cuda device index, got {dev!r}")
    return dev


def current_device() -> int:
    """The index of the current GPU.

    Example:
        >>> ember.cuda.current_device()
        0
    """
    _b.lazy_init()
    return _b.current_device()


def set_device(device) -> None:
    """Make ``device`` the current GPU (a negative index does nothing).

    Example:
        >>> ember.cuda.set_device(0)
    """
    idx = _index(device)
    if idx >= 0:
        _b.lazy_init()
        _b.set_device(idx)


class device:  # noqa: N801  (torch.cuda.device)
    """Context manager that makes ``device`` the current GPU inside the block.

    Example:
        >>> with ember.cuda.device(1):
        ...     x = ember.zeros(2, device="cuda")  # on cuda:1
    """

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx < 0:
            return self
        self.prev = current_device()
        if self.prev != self.idx:
            _b.set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev != self.idx:
            _b.set_device(self.prev)
        return False


class device_of(device):  # noqa: N801
    """Context manager that makes ``obj``'s GPU current (does nothing for a CPU tensor).

    Example:
        >>> with ember.cuda.device_of(x): ...
    """

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.is_cuda else None)


def synchronize(device=None) -> None:
    """Wait until all work queued on ``device`` (the current GPU by default) is done.

    Example:
        >>> ember.cuda.synchronize()
    """
    _b.lazy_init()
    _b.synchronize(_index(device))


class _CudaDeviceProperties:
    def __init__(self, p: dict):
        name = p["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major, self.minor = int(p["major"]), int(p["minor"])
        self.total_memory = int(p["totalGlobalMem"])
        self.multi_processor_count = int(p["multiProcessorCount"])
        self.L2_cache_size = int(p.get("l2CacheSize", 0))

    def __repr__(self) -> str:
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
            f"minor={self.minor}, total_memory={self.total_memory // (1 << 20)}MB, "
            f"multi_processor_count={self.multi_processor_count})"
        )


def get_device_properties(device=None) -> _CudaDeviceProperties:
    """Name, compute capability, memory size and SM count of a GPU.

    Example:
        >>> ember.cuda.get_device_properties(0).total_memory
    """
    _b.lazy_init()
    idx = _index(device)
    if not 0 <= idx < device_count():
        raise AssertionError("Invalid device id")
    return _CudaDeviceProperties(_b.properties(idx))


def get_device_name(device=None) -> str:
    """The name of a GPU, e.g. 'NVIDIA H100 80GB HBM3'."""
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    """The (major, minor) compute capability of a GPU."""
    p = get_device_properties(device)
    return p.major, p.minor


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the current GPU computes in bfloat16 (compute capability 8.0 or newer)."""
    return is_available() and get_device_capability()[0] >= 8


# -- random numbers ----------------------------------------------------------------------------

_seeds: dict = {}


def manual_seed(seed: int) -> None:
    """Set the seed of the current GPU (see the module note: sampling uses ember.manual_seed)."""
    _seeds[current_device() if is_available() else 0] = int(seed)


def manual_seed_all(seed: int) -> None:
    """Set the seed of every GPU."""
    for i in range(max(device_count(), 1)):
        _seeds[i] = int(seed)


def seed() -> None:
    """Seed the current GPU from OS entropy."""
    import random

    manual_seed(random.getrandbits(63))


def seed_all() -> None:
    """Seed every GPU from OS entropy."""
    import random

    manual_seed_all(random.getrandbits(63))


def initial_seed() -> int:
    """The current GPU's seed."""
    from ..random import initial_seed as cpu_seed

    return _seeds.get(current_device() if is_available() else 0, cpu_seed())


def get_rng_state(device="cuda"):
    """The state of the generator that serves CUDA tensors (the default one) as a uint8 tensor."""
    from ..random import get_rng_state as cpu_state

    return cpu_state()


def set_rng_state(new_state, device="cuda") -> None:
    """Restore a state from get_rng_state."""
    from ..random import set_rng_state as cpu_set

    cpu_set(new_state)


def get_rng_state_all() -> list:
    """get_rng_state of every GPU."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    """Restore every GPU's state."""
    for s in new_states:
        set_rng_state(s)


# -- memory ------------------------------------------------------------------------------------


def _stat_index(device) -> int | None:
    """The GPU index to report on, or None when CUDA has not been used (statistics read 0)."""
    if not _b._initialized:
        return None
    return _index(device)


def memory_allocated(device=None) -> int:
    """Bytes currently held by tensors on a GPU.

    Example:
        >>> ember.cuda.memory_allocated()
        0
    """
    idx = _stat_index(device)
    return 0 if idx is None else _b.memory_allocated(idx)


def max_memory_allocated(device=None) -> int:
    """The peak of memory_allocated since the start or the last reset_peak_memory_stats."""
    idx = _stat_index(device)
    return 0 if idx is None else _b.max_memory_allocated(idx)


def reset_peak_memory_stats(device=None) -> None:
    """Start measuring the peak of memory_allocated afresh."""
    idx = _stat_index(device)
    if idx is not None:
        _b.reset_peak_memory_stats(idx)


reset_max_memory_allocated = reset_peak_memory_stats


def memory_reserved(device=None) -> int:
    """Bytes held by the caching allocator (in use or cached for reuse)."""
    idx = _stat_index(device)
    return 0 if idx is None else _b.memory_reserved(idx)


def max_memory_reserved(device=None) -> int:
    """Bytes held by the caching allocator (CuPy keeps no peak of it; this is the current value)."""
    return memory_reserved(device)


def memory_stats(device=None) -> dict:
    """A few of PyTorch's memory statistics, under PyTorch's keys."""
    if _stat_index(device) is None:
        return {}
    return {
        "allocated_bytes.all.current": memory_allocated(device),
        "allocated_bytes.all.peak": max_memory_allocated(device),
        "reserved_bytes.all.current": memory_reserved(device),
    }


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """memory_stats as readable text."""
    return "\n".join(f"{k}: {v}" for k, v in memory_stats(device).items())


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of a GPU, as the driver reports them."""
    _b.lazy_init()
    return _b.mem_get_info(_index(device))


def empty_cache() -> None:
    """Give the allocator's cached, unused blocks back to the driver.

    Example:
        >>> ember.cuda.empty_cache()
    """
    if _b._initialized:
        _b.empty_cache()


def ipc_collect() -> None:
    """Nothing to collect: ember does not share GPU memory between processes."""


# -- streams and events ------------------------------------------------------------------------


class Stream:
    """A queue of GPU work; kernels launched inside ``with ember.cuda.stream(s)`` go to ``s``.

    Example:
        >>> s = ember.cuda.Stream()
        >>> with ember.cuda.stream(s):
        ...     y = x * 2
        >>> s.synchronize()
    """

    def __init__(self, device=None, priority: int = 0, **kwargs):
        _b.lazy_init()
        idx = _index(device)
        with _b.device_context(idx):
            self._s = _b.xp.cuda.Stream(non_blocking=True, priority=priority)
        self.device_index = idx

    @classmethod
    def _wrap(cls, s, idx: int) -> Stream:
        self = object.__new__(cls)
        self._s, self.device_index = s, idx
        return self

    @property
    def device(self) -> _device:
        return _device("cuda", self.device_index)

    @property
    def cuda_stream(self) -> int:
        return int(self._s.ptr)

    def query(self) -> bool:
        """Whether all work queued on this stream is done."""
        return bool(self._s.done)

    def synchronize(self) -> None:
        """Wait for all work queued on this stream."""
        self._s.synchronize()

    def wait_event(self, event: Event) -> None:
        """Make later work on this stream wait for ``event``."""
        self._s.wait_event(event._e)

    def wait_stream(self, stream: Stream) -> None:
        """Make later work on this stream wait for the work queued so far on ``stream``."""
        self.wait_event(stream.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        """Record ``event`` (a new one by default) on this stream and return it."""
        event = event or Event()
        event.record(self)
        return event

    def __enter__(self):
        self._ctx = stream(self)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream

    def __hash__(self) -> int:
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self) -> str:
        return f"<ember.cuda.Stream device={self.device} cuda_stream={self.cuda_stream:#x}>"


class Event:
    """A marker in a stream, to wait on or to time GPU work.

    Example:
        >>> start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
        >>> start.record(); y = x @ x; end.record(); end.synchronize()
        >>> ms = start.elapsed_time(end)
    """

    def __init__(
        self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False
    ):
        _b.lazy_init()
        self._e = _b.xp.cuda.Event(
            block=blocking, disable_timing=not enable_timing, interprocess=interprocess
        )
        self._recorded = False

    def record(self, stream: Stream | None = None) -> None:
        """Record the event on ``stream`` (the current stream by default)."""
        self._e.record(stream._s if stream is not None else None)
        self._recorded = True

    def wait(self, stream: Stream | None = None) -> None:
        """Make later work on ``stream`` wait for this event."""
        (stream or current_stream()).wait_event(self)

    def query(self) -> bool:
        """Whether the work before the event is done."""
        return bool(self._e.done)

    def synchronize(self) -> None:
        """Wait until the work before the event is done."""
        self._e.synchronize()

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds between this event and ``end_event`` (both recorded, timing enabled)."""
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return float(_b.xp.cuda.get_elapsed_time(self._e, end_event._e))


def current_stream(device=None) -> Stream:
    """The stream kernels on ``device`` go to now."""
    _b.lazy_init()
    idx = _index(device)
    with _b.device_context(idx):
        return Stream._wrap(_b.xp.cuda.get_current_stream(), idx)


def default_stream(device=None) -> Stream:
    """The device's default (null) stream."""
    _b.lazy_init()
    return Stream._wrap(_b.xp.cuda.Stream.null, _index(device))


def set_stream(stream: Stream) -> None:
    """Make ``stream`` current (prefer the ``ember.cuda.stream`` context manager)."""
    if stream is not None:
        stream._s.use()


@contextlib.contextmanager
def stream(stream: Stream | None):
    """Context manager that sends the kernels launched inside it to ``stream``.

    Example:
        >>> with ember.cuda.stream(ember.cuda.Stream()): ...
    """
    if stream is None:
        yield
        return
    with _b.device_context(stream.device_index), stream._s:
        yield stream


StreamContext = stream


def __getattr__(name):
    # ``ember.cuda.amp`` (PyTorch's deprecated spelling of ember.amp for CUDA) loads on first use.
    if name == "amp":
        import importlib

        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
