"""save/load in PyTorch's zip checkpoint format, read without running code from the file.

A checkpoint is a zip archive (every record stored uncompressed, its data aligned to 64 bytes)::

    archive/data.pkl          the pickled object; tensors refer to storages by key
    archive/byteorder         b"little"
    archive/data/0, data/1 .. one record per storage: the raw bytes of the tensor memory
    archive/version           b"3\\n"

A tensor pickles as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, OrderedDict())`` where ``storage`` is the persistent id ``('storage',
torch.FloatStorage, key, location, numel)``. Tensors that share memory (views, tied weights)
share one storage record, so they share memory again after loading (sharing is tracked for CPU
tensors; each CUDA tensor gets its own record). Files written here load in PyTorch with
``torch.load(f, weights_only=True)`` and PyTorch's state_dicts and checkpoint dicts load here.
Python attributes set on tensors and Parameters are not saved.

NOTE [ Safe loading ]
``load`` reads ``data.pkl`` with an unpickler that accepts only the globals a weights file needs:
the tensor, parameter and storage rebuilders of every ember dtype, ``torch.Size``,
``torch.device``, dtypes, ``collections.OrderedDict``, ``set``/``frozenset``/``slice``/
``complex``/``bytearray`` and NumPy arrays and scalars of numeric and bool dtypes. Any other global
(``os.system``, ``builtins.eval``, ...) raises :class:`UnsafeGlobalError` (a
``pickle.UnpicklingError``) naming it, before anything is called. ``BUILD`` (``__setstate__``) is
only applied to the NumPy objects being rebuilt and to classes the caller allowed. Trusted files
with custom classes load after :func:`add_safe_globals`; ``weights_only=False`` runs ordinary
pickle and therefore any code in the file: use it only for files you trust.

Every problem with the file (not a zip, truncated, corrupt records, bad CRC, unsupported version,
malformed pickle) raises :class:`LoadError` (a ``RuntimeError`` and a ``pickle.UnpicklingError``)
whose message names the file and the problem.
"""

from __future__ import annotations

import contextlib
import io
import math
import mmap as _mmap
import os
import pickle
import secrets
import stat
import struct
import sys
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

import numpy as np

from . import _dtype as D
from ._device import as_device, device
from ._tensor import Size, Tensor, _host, _make

__all__ = [
    "save",
    "load",
    "LoadError",
    "UnsafeGlobalError",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "safe_globals",
]

_FILE_VERSION = 3  # what PyTorch 2.x writes
_MIN_VERSION, _MAX_VERSION = 1, 10  # what PyTorch 2.x reads
_ALIGN = 64  # storage records start at multiples of this (lets mmap map them in place)
_CHUNK = 1 << 26

# storage class names in the file (torch.FloatStorage ...) <-> ember dtypes
_STORAGE_NAMES = {
    "FloatStorage": D.float32,
    "DoubleStorage": D.float64,
    "HalfStorage": D.float16,
    "LongStorage": D.int64,
    "IntStorage": D.int32,
    "ShortStorage": D.int16,
    "CharStorage": D.int8,
    "ByteStorage": D.uint8,
    "BoolStorage": D.bool_,
    "ComplexFloatStorage": D.complex64,
    "ComplexDoubleStorage": D.complex128,
    "UntypedStorage": D.uint8,
}
if D.bfloat16 is not None:
    _STORAGE_NAMES["BFloat16Storage"] = D.bfloat16
_STORAGE_OF = {d: n for n, d in _STORAGE_NAMES.items() if n != "UntypedStorage"}


class LoadError(pickle.UnpicklingError, RuntimeError):
    """A checkpoint could not be loaded: the message names the file and the problem.

    Example:
        >>> try:
        ...     ember.load(io.BytesIO(b"not a checkpoint"))
        ... except ember.serialization.LoadError as e:
        ...     print("refused")
        refused
    """


class UnsafeGlobalError(LoadError):
    """The file names a global (a class or function) that safe loading does not allow."""


# -- allow-lists ----------------------------------------------------------------------------------
class _Global:
    """A global written into the pickle by name (``torch._utils._rebuild_tensor_v2`` ...)."""

    _all: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        if key not in cls._all:
            g = super().__new__(cls)
            g.module, g.name = module, name
            cls._all[key] = g
        return cls._all[key]

    def __call__(self, *args):  # pickle insists that a reduce function is callable
        raise TypeError(f"{self.module}.{self.name} is a name in a checkpoint, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")


class _StorageType:
    """What ``torch.FloatStorage`` and friends unpickle to: the dtype of a storage record."""

    def __init__(self, name: str, dt):
        self.name, self.dtype = name, dt

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class _Storage:
    """A storage read from the file: a 1-D host array of its dtype, and where it goes."""

    __slots__ = ("array", "dtype", "device")

    def __init__(self, array, dt, dev):
        self.array, self.dtype, self.device = array, dt, dev


def _int(x, what: str) -> int:
    if type(x) is not int and not isinstance(x, np.integer):
        raise LoadError(f"{what} must be an int, got {type(x).__name__}")
    return int(x)


def _ints(x, what: str) -> tuple:
    if not isinstance(x, (tuple, list)):
        raise LoadError(f"{what} must be a tuple of ints, got {type(x).__name__}")
    return tuple(_int(v, what) for v in x)


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
) -> Tensor:
    if not isinstance(storage, _Storage):
        raise LoadError(
            f"a tensor's storage must be a storage record, got {type(storage).__name__}"
        )
    off = _int(storage_offset, "storage_offset")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride) or len(size) > 64:
        raise LoadError(f"size {size} and stride {stride} do not describe a tensor")
    if any(n < 0 for n in size) or any(s < 0 for s in stride) or off < 0:
        raise LoadError(f"negative size, stride or offset: {size}, {stride}, {off}")
    arr = storage.array
    dt = storage.dtype.np
    if 0 in size:  # no memory to share; keep the strides (views of empty slices have odd ones)
        view = np.ndarray(
            size, dt, buffer=np.empty(0, dt), strides=tuple(s * dt.itemsize for s in stride)
        )
    else:
        last = off + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= arr.size:
            raise LoadError(
                f"tensor of size {size}, stride {stride} and offset {off} reads past "
                f"the end of its storage of {arr.size} elements"
            )
        view = np.ndarray(
            size,
            dt,
            buffer=arr,
            offset=off * dt.itemsize,
            strides=tuple(s * dt.itemsize for s in stride),
        )
    if storage.device is not None and storage.device.type != "cpu":
        from .backend import transfer

        view = transfer(np.array(view, order="C"), storage.device)
    t = _make(view)
    if requires_grad:
        if not (storage.dtype.is_floating_point or storage.dtype.is_complex):
            raise LoadError(f"a {storage.dtype} tensor cannot require grad")
        t._rg = True
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    from .nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise LoadError(f"a Parameter's data must be a tensor, got {type(data).__name__}")
    if not (data.is_floating_point() or data.is_complex()) and requires_grad:
        raise LoadError(f"a {data.dtype} Parameter cannot require grad")
    p = Parameter(data, bool(requires_grad))
    if state:
        if not isinstance(state, dict) or not all(
            isinstance(k, str) and not k.startswith("_") for k in state
        ):
            raise LoadError("a Parameter's state must be a dict of public attribute names")
        p.__dict__.update(state)
    return p


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks, state)


_TENSOR_TYPE, _PARAMETER_TYPE = object(), object()


def _rebuild_from_type_v2(func, new_type, args, state):
    # PyTorch writes this for tensors that carry python attributes; only plain tensors and
    # Parameters are rebuilt, their attributes are dropped.
    if (func is not _rebuild_tensor_v2 and func is not _rebuild_parameter) or not isinstance(
        args, tuple
    ):
        raise LoadError("_rebuild_from_type_v2 of something other than a tensor")
    t = func(*args)
    if new_type is _PARAMETER_TYPE and func is _rebuild_tensor_v2:
        return _rebuild_parameter(t, t.requires_grad)
    if new_type is not _TENSOR_TYPE and new_type is not _PARAMETER_TYPE:
        raise LoadError("_rebuild_from_type_v2 of an unknown tensor type")
    return t


def _torch_device(*args):
    if not args or len(args) > 2 or not isinstance(args[0], str):
        raise LoadError("torch.device takes a device string")
    return device(*args)


def _torch_size(dims=()):
    return Size(_ints(dims, "torch.Size"))


def _set(items=()):
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise LoadError(f"set() of {type(items).__name__}")
    return set(items)


def _frozenset(items=()):
    return frozenset(_set(items))


def _slice(*args):
    if len(args) > 3:
        raise LoadError("slice() takes at most 3 arguments")
    return slice(*args)


def _complex(re=0.0, im=0.0):
    if not all(isinstance(v, (int, float)) for v in (re, im)):
        raise LoadError("complex() of non-numbers")
    return complex(re, im)


def _bytearray(data=b"", encoding=None):
    if isinstance(data, str) and encoding is not None:
        data = _latin1(data, encoding)
    if not isinstance(data, (bytes, bytearray)):
        raise LoadError(f"bytearray() of {type(data).__name__}")
    return bytearray(data)


def _latin1(text, encoding="utf-8"):
    # pickle protocol 2 spells bytes as _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise LoadError("_codecs.encode is allowed only as pickle's latin1 bytes encoding")
    return text.encode("latin1")


# NumPy arrays: _reconstruct(ndarray, (0,), b'b') makes an empty array that BUILD then fills.
_NDARRAY = object()


def _np_dtype_ok(dt) -> bool:
    if not isinstance(dt, np.dtype) or dt.hasobject or dt.fields is not None or dt.subdtype:
        return False
    return dt.kind in "biufc" or (D.bfloat16 is not None and dt == D.bfloat16.np)


def _np_dtype(spec, align=False, copy=True):
    ok = spec in _NP_TYPESTRS or (D.bfloat16 is not None and spec is D.bfloat16.np.type)
    if not ok:
        shown = _printable(spec) if isinstance(spec, str) else type(spec).__name__
        raise UnsafeGlobalError(f"NumPy dtype {shown} is not allowed (only numeric and bool)")
    return np.dtype(spec, align=bool(align), copy=True)


_NP_TYPESTRS = frozenset("b1 i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8 c8 c16 ?".split())


def _np_reconstruct(cls, shape, typecode):
    if cls is not _NDARRAY:
        raise LoadError("numpy _reconstruct of something other than numpy.ndarray")
    return np.empty((0,), np.uint8)


def _np_scalar(dt, data=None):
    if not _np_dtype_ok(dt) or not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise LoadError("NumPy scalar of a disallowed dtype or with the wrong number of bytes")
    return np.frombuffer(data, dt)[0].copy()


def _np_frombuffer(buf, dt, shape, order):
    if isinstance(buf, pickle.PickleBuffer):
        buf = bytes(buf.raw())
    if not _np_dtype_ok(dt) or not isinstance(buf, (bytes, bytearray)) or order not in "CF":
        raise LoadError("NumPy array of a disallowed dtype")
    shape = _ints(shape, "array shape")
    if math.prod(shape) * dt.itemsize != len(buf):
        raise LoadError("NumPy array data does not match its shape")
    return np.frombuffer(buf, dt).reshape(shape, order=order).copy(order="K")


def _check_np_array_state(state) -> None:
    if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
        raise LoadError("malformed NumPy array state")
    _, shape, dt, fortran, raw = state
    shape = _ints(shape, "array shape")
    if not _np_dtype_ok(dt):
        raise UnsafeGlobalError(
            f"NumPy array of dtype {dt} is not allowed (only numeric and "
            "bool; object arrays can run code)"
        )
    if not isinstance(fortran, bool) or not isinstance(raw, (bytes, bytearray)):
        raise LoadError("malformed NumPy array state")
    if any(n < 0 for n in shape) or math.prod(shape) * dt.itemsize != len(raw):
        raise LoadError("NumPy array data does not match its shape")


def _check_np_dtype_state(state) -> None:
    if not (
        isinstance(state, tuple)
        and len(state) in (8, 9)
        and state[0] == 3
        and state[1] in ("<", ">", "|", "=")
        and state[2:5] == (None, None, None)
        and all(type(v) is int for v in state[5:8])
    ):
        raise LoadError("malformed NumPy dtype state")


def _safe_table() -> dict:
    t = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Tensor"): _TENSOR_TYPE,
        ("torch.nn.parameter", "Parameter"): _PARAMETER_TYPE,
        ("torch", "Size"): _torch_size,
        ("torch", "device"): _torch_device,
        ("builtins", "set"): _set,
        ("builtins", "frozenset"): _frozenset,
        ("builtins", "slice"): _slice,
        ("builtins", "complex"): _complex,
        ("builtins", "bytearray"): _bytearray,
        ("_codecs", "encode"): _latin1,
        ("numpy", "ndarray"): _NDARRAY,
        ("numpy", "dtype"): _np_dtype,
    }
    for core in ("numpy.core", "numpy._core"):
        t[(core + ".multiarray", "_reconstruct")] = _np_reconstruct
        t[(core + ".multiarray", "scalar")] = _np_scalar
        t[(core + ".numeric", "_frombuffer")] = _np_frombuffer
    if D.bfloat16 is not None:
        t[("ml_dtypes", "bfloat16")] = D.bfloat16.np.type
    for name, dt in _STORAGE_NAMES.items():
        t[("torch", name)] = _StorageType(name, dt)
    for d in D.all_dtypes:
        t[("torch", d.name)] = d
    return t


_SAFE = _safe_table()
_USER_SAFE: dict[tuple[str, str], Any] = {}  # add_safe_globals


def _global_key(obj) -> tuple[str, str]:
    if isinstance(obj, tuple):
        obj, name = obj
        module, _, qual = name.rpartition(".")
        return module, qual
    return obj.__module__, obj.__qualname__


def add_safe_globals(safe_globals: Iterable) -> None:
    """Allow ``load`` (with ``weights_only=True``) to rebuild these trusted classes/functions.

    Entries are objects (found by their module and qualified name) or ``(obj, "module.name")``
    pairs. Instances of allowed classes may also be restored with ``__setstate__``. Only allow
    what you trust: an allowed callable is called with arguments taken from the file.

    Example:
        >>> import fractions
        >>> ember.serialization.add_safe_globals([fractions.Fraction])
    """
    for obj in safe_globals:
        key = _global_key(obj)
        _USER_SAFE[key] = obj[0] if isinstance(obj, tuple) else obj


def get_safe_globals() -> list:
    """The globals added with :func:`add_safe_globals`.

    Example:
        >>> isinstance(ember.serialization.get_safe_globals(), list)
        True
    """
    return list(_USER_SAFE.values())


def clear_safe_globals() -> None:
    """Forget every global added with :func:`add_safe_globals`.

    Example:
        >>> ember.serialization.clear_safe_globals()
    """
    _USER_SAFE.clear()


@contextlib.contextmanager
def safe_globals(globals_: Iterable):
    """Allow ``globals_`` (as :func:`add_safe_globals`) inside a ``with`` block only.

    Example:
        >>> import fractions
        >>> with ember.serialization.safe_globals([fractions.Fraction]):
        ...     pass
    """
    saved = dict(_USER_SAFE)
    add_safe_globals(globals_)
    try:
        yield
    finally:
        _USER_SAFE.clear()
        _USER_SAFE.update(saved)


# -- saving ---------------------------------------------------------------------------------------
class _StorageRef:
    __slots__ = ("key", "dtype", "location", "array")

    def __init__(self, key: str, dt, location: str, array):
        self.key, self.dtype, self.location, self.array = key, dt, location, array


class _Pickler(pickle._Pickler):
    """Pickles tensors as PyTorch does; names torch's globals without importing torch.

    The pure-python pickler is used because it lets ``save_global`` write a name (``torch
    FloatStorage``) that does not exist in this process. Only metadata goes through it: the tensor
    bytes are separate zip records.
    """

    def __init__(self, file, protocol: int):
        super().__init__(file, protocol)
        self.storages: list[_StorageRef] = []
        self._by_root: dict[int, tuple] = {}  # id(root array) -> (root, _StorageRef)

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            stype = _Global("torch", _STORAGE_OF[obj.dtype])
            return ("storage", stype, obj.key, obj.location, obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, (_Global, D.dtype)):
            return "global"  # -> save_global
        if isinstance(obj, device):
            return (_Global("torch", "device"), (str(obj),))
        if isinstance(obj, Size):
            return (_Global("torch", "Size"), (tuple(obj),))
        return NotImplemented

    def save_global(self, obj, name=None):
        if isinstance(obj, D.dtype):
            obj = _Global("torch", obj.name)
        if not isinstance(obj, _Global):
            return super().save_global(obj, name)
        hit = self.memo.get(id(obj))  # each dtype maps to one _Global, which may be memoized
        if hit is not None:
            self.write(self.get(hit[0]))
            return
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def _reduce_tensor(self, t: Tensor):
        from .nn.parameter import Parameter

        if isinstance(t, Parameter):
            return (_REBUILD_PARAMETER, (_make(t._data), t.requires_grad, OrderedDict()))
        ref, offset, stride = self._storage_of(t._data)
        return (
            _REBUILD_TENSOR,
            (ref, offset, tuple(t._data.shape), stride, t.requires_grad, OrderedDict()),
        )

    def _new_storage(self, array, location: str) -> _StorageRef:
        ref = _StorageRef(str(len(self.storages)), D._NP_TO_DTYPE[array.dtype], location, array)
        self.storages.append(ref)
        return ref

    def _storage_of(self, a):
        """The storage record of array ``a``, its offset and strides (in elements)."""
        dt = D._NP_TO_DTYPE[a.dtype]
        if not isinstance(a, np.ndarray):
            # NOTE: device tensors each get their own record (sharing is tracked on the host only)
            host = np.ascontiguousarray(_host(a)).reshape(-1)
            ref = self._new_storage(host, str(_device_of(a)))
            return ref, 0, _contiguous_strides(a.shape)
        root = _root_array(a)
        isz = a.itemsize
        ptr, base = a.__array_interface__["data"][0], root.__array_interface__["data"][0]
        off = ptr - base
        span = sum((n - 1) * s for n, s in zip(a.shape, a.strides))
        shareable = (
            a.size > 0
            and root.flags.c_contiguous
            and root.nbytes % isz == 0
            and off % isz == 0
            and off >= 0
            and all(s >= 0 and s % isz == 0 for s in a.strides)
            and off + span + isz <= root.nbytes
        )
        if not shareable:
            own = np.ascontiguousarray(a).reshape(-1)
            return self._new_storage(own, "cpu"), 0, _contiguous_strides(a.shape)
        hit = self._by_root.get(id(root))
        if hit is None:
            ref = self._new_storage(root.reshape(-1).view(a.dtype), "cpu")
            self._by_root[id(root)] = (root, ref)  # keeps root alive, so its id stays unique
        else:
            ref = hit[1]
            if ref.dtype is not dt:
                raise RuntimeError(
                    "Cannot save multiple tensors or storages that view the same "
                    f"data as different types ({ref.dtype} and {dt})"
                )
        return ref, off // isz, tuple(s // isz for s in a.strides)


def _root_array(a: np.ndarray) -> np.ndarray:
    """The array at the bottom of ``a``'s chain of views (the one whose memory ``a`` uses)."""
    while True:
        b = a.base
        if not isinstance(b, np.ndarray):
            # views made by as_strided/broadcast_to hang off a helper object that holds the array
            b = getattr(b, "base", None)
            if not isinstance(b, np.ndarray):
                return a
        a = b


def _contiguous_strides(shape) -> tuple:
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


def _device_of(a) -> device:
    from .backend import device_of

    return device_of(a)


def _write_record(zf: zipfile.ZipFile, name: str, data) -> None:
    """Write one uncompressed zip record whose data starts at a multiple of 64 bytes."""
    data = memoryview(data).cast("B")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    zip64 = data.nbytes * 1.05 > zipfile.ZIP64_LIMIT  # zipfile adds a 20-byte zip64 extra then
    start = zf.start_dir + 30 + len(name.encode("utf-8")) + (20 if zip64 else 0)
    pad = -start % _ALIGN
    if 0 < pad < 4:  # an extra field needs 4 bytes of header
        pad += _ALIGN
    if pad:
        # extra field id 'FB' (as PyTorch's writer) holding padding bytes
        info.extra = struct.pack("<HH", 0x4246, pad - 4) + b"Z" * (pad - 4)
    info.file_size = data.nbytes
    with zf.open(info, "w", force_zip64=zip64) as w:
        w.write(data)


def _write_archive(fh: BinaryIO, pkl: bytes, storages: list[_StorageRef]) -> None:
    prefix = "archive"
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{prefix}/data.pkl", pkl)
        _write_record(zf, f"{prefix}/.format_version", b"1")
        _write_record(zf, f"{prefix}/.storage_alignment", str(_ALIGN).encode())
        _write_record(zf, f"{prefix}/byteorder", sys.byteorder.encode())
        for ref in storages:
            arr = ref.array
            _write_record(zf, f"{prefix}/data/{ref.key}", arr.view(np.uint8))
        _write_record(zf, f"{prefix}/version", f"{_FILE_VERSION}\n".encode())


def _atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` via a temporary file in the same folder, renamed into place when complete."""
    if os.path.islink(path):
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for a plain open()
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # keep the old file's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def save(
    obj: Any,
    f,
    pickle_module: Any = pickle,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
) -> None:
    """Save ``obj`` (tensors, state_dicts, nested containers) to a path or binary file object.

    The file is PyTorch's zip checkpoint format, so ``torch.load(f, weights_only=True)`` reads
    it. Saving to a path writes a temporary file next to it and renames it into place, so a
    crash or a full disk mid-save leaves any previous file intact.

    Example:
        >>> buf = io.BytesIO()
        >>> ember.save({"w": ember.ones(2), "epoch": 3}, buf)
        >>> ember.load(io.BytesIO(buf.getvalue()))["epoch"]
        3
    """
    if pickle_module is not pickle:
        raise ValueError("ember.save supports only the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise ValueError("ember.save writes only the zip checkpoint format")
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(
            f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, "
            f"got {pickle_protocol}"
        )
    buf = io.BytesIO()
    p = _Pickler(buf, pickle_protocol)
    p.dump(obj)
    pkl, storages = buf.getvalue(), p.storages

    def write(fh):
        _write_archive(fh, pkl, storages)

    if isinstance(f, (str, os.PathLike)):
        _atomic_write(os.fspath(f), write)
    elif hasattr(f, "write"):
        write(f)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise AttributeError(f"expected a path or a writable file object, got {type(f).__name__}")


# -- loading --------------------------------------------------------------------------------------
class _SafeUnpickler(pickle._Unpickler):
    """Rebuilds only allow-listed globals (see NOTE [ Safe loading ]).

    The pure-python unpickler is used because it lets BUILD (``__setstate__``) be restricted too;
    ``data.pkl`` holds only metadata, so its speed does not matter.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._pl = persistent_load
        self._pending: set[int] = set()  # ids of NumPy objects waiting for their BUILD

    def persistent_load(self, pid):
        return self._pl(pid)

    def find_class(self, module: str, name: str):
        if module == "__builtin__":
            module = "builtins"
        key = (module, name)
        if key in _SAFE:
            obj = _SAFE[key]
            if obj is _np_reconstruct:
                return self._reconstruct
            if obj is _np_dtype:
                return self._dtype
            return obj
        if key in _USER_SAFE:
            return _USER_SAFE[key]
        raise UnsafeGlobalError(
            f"Weights only load failed: unsupported global {_printable(module)}.{_printable(name)} "
            "(ember loads only tensors, containers and plain values by default). If you trust "
            "the file, allow it with ember.serialization.add_safe_globals([...]) or load it with "
            "weights_only=False, which runs any code the file contains."
        )

    def _reconstruct(self, *args):
        a = _np_reconstruct(*args)
        self._pending.add(id(a))
        return a

    def _dtype(self, *args):
        d = _np_dtype(*args)
        self._pending.add(id(d))
        return d

    def _load_build(self):
        state, inst = self.stack[-1], self.stack[-2]
        if id(inst) in self._pending:
            self._pending.discard(id(inst))
            if isinstance(inst, np.ndarray):
                _check_np_array_state(state)
            else:
                _check_np_dtype_state(state)
            self.stack.pop()
            inst.__setstate__(state)
        elif type(inst) is OrderedDict:  # PyTorch's state_dicts carry a _metadata attribute
            if not isinstance(state, dict) or not all(type(k) is str for k in state):
                raise LoadError("an OrderedDict's state must be a dict of attribute names")
            self.stack.pop()
            inst.__dict__.update(state)
        elif any(isinstance(inst, c) for c in _USER_SAFE.values() if isinstance(c, type)):
            pickle._Unpickler.load_build(self)
        else:
            raise UnsafeGlobalError(
                f"Weights only load failed: restoring the state of a "
                f"{type(inst).__name__} object is not allowed"
            )

    dispatch[pickle.BUILD[0]] = _load_build


class _FullUnpickler(pickle.Unpickler):
    """weights_only=False: ordinary pickle (runs code from the file) with torch names mapped."""

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._pl = persistent_load

    def persistent_load(self, pid):
        return self._pl(pid)

    def find_class(self, module, name):
        if module.split(".")[0] == "torch" and (module, name) in _SAFE:
            return _SAFE[(module, name)]
        return super().find_class(module, name)


def _printable(text: str) -> str:
    """``text`` from a file, safe to print: short, control characters escaped."""
    text = text[:100]
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _describe(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return f"'{os.fspath(f)}'"
    name = getattr(f, "name", None)
    return f"'{name}'" if isinstance(name, str) else f"<{type(f).__name__}>"


class _Reader:
    """Reads the records of one opened checkpoint and rebuilds its storages."""

    def __init__(self, fh, name: str, map_location, use_mmap: bool):
        self.fh, self.name, self.map_location = fh, name, map_location
        fh.seek(0, io.SEEK_END)
        self.file_size = fh.tell()
        fh.seek(0)
        head = fh.read(4)
        fh.seek(0)
        if self.file_size == 0:
            raise LoadError("the file is empty")
        try:
            self.zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile:
            if head[:2] == b"\x80\x02" or head[:1] == b"\x80":
                raise LoadError(
                    "not a zip checkpoint: this looks like the legacy (PyTorch < 1.6) "
                    "pickle format, which ember does not read"
                ) from None
            raise LoadError(
                "not a zip checkpoint (no zip directory found; the file may be "
                "truncated or not a checkpoint)"
            ) from None
        names = self.zf.namelist()
        if not names:
            raise LoadError("the archive is empty")
        self.prefix = names[0].split("/", 1)[0]
        if f"{self.prefix}/data.pkl" not in names:
            hint = " (a TorchScript archive?)" if f"{self.prefix}/constants.pkl" in names else ""
            raise LoadError(f"no {self.prefix}/data.pkl record{hint}")
        self.version = self._version()
        order = self._record("byteorder", optional=True)
        if order not in (None, b"little", b"big"):
            raise LoadError(f"bad byteorder record {order[:20]!r}")
        self.swap = (order or b"little").decode() != sys.byteorder
        self.mm = None
        if use_mmap:
            self.mm = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
        self.raw: dict[str, np.ndarray] = {}
        self.storages: dict[tuple, _Storage] = {}

    def _record(self, name: str, optional: bool = False):
        full = f"{self.prefix}/{name}"
        try:
            info = self.zf.getinfo(full)
        except KeyError:
            if optional:
                return None
            raise LoadError(f"missing record {full}") from None
        if info.file_size > 1 << 16 and not name.endswith(".pkl"):
            raise LoadError(f"record {full} is implausibly large")
        return self.zf.read(info)

    def _version(self) -> int:
        text = self._record(".data/version", optional=True) or self._record("version")
        try:
            v = int(text.strip())
        except ValueError:
            raise LoadError(f"bad version record {text[:20]!r}") from None
        if not _MIN_VERSION <= v <= _MAX_VERSION:
            raise LoadError(
                f"unsupported checkpoint version {v} (versions {_MIN_VERSION} to "
                f"{_MAX_VERSION} can be read)"
            )
        return v

    def _read_raw(self, key: str) -> np.ndarray:
        full = f"{self.prefix}/data/{key}"
        try:
            info = self.zf.getinfo(full)
        except KeyError:
            raise LoadError(f"missing storage record {full}") from None
        size = info.file_size
        if info.header_offset + size > self.file_size or info.compress_size > self.file_size:
            raise LoadError(f"storage record {full} extends past the end of the file")
        stored = info.compress_type == zipfile.ZIP_STORED
        if self.mm is not None and not stored:
            raise LoadError(f"mmap=True needs uncompressed records; {full} is compressed")
        if not stored or not hasattr(self.fh, "readinto"):
            return self._extract(info, full)
        self.fh.seek(info.header_offset)
        hdr = self.fh.read(30)
        if len(hdr) != 30 or hdr[:4] != b"PK\x03\x04":
            raise LoadError(f"bad local header for {full}")
        n, e = struct.unpack("<HH", hdr[26:30])
        start = info.header_offset + 30 + n + e
        if start + size > self.file_size:
            raise LoadError(f"storage record {full} extends past the end of the file")
        if self.mm is not None:
            return np.frombuffer(self.mm, np.uint8, count=size, offset=start)
        # PyTorch's layout stores records uncompressed: read straight into the array (one copy)
        raw = np.empty(size, np.uint8)
        mv, pos = memoryview(raw), 0
        self.fh.seek(start)
        while pos < size:
            got = self.fh.readinto(mv[pos : pos + _CHUNK])
            if not got:
                raise LoadError(f"storage record {full} is truncated")
            pos += got
        if zlib.crc32(raw) != info.CRC:
            raise LoadError(f"storage record {full} is corrupt (bad CRC-32)")
        return raw

    def _extract(self, info: zipfile.ZipInfo, full: str) -> np.ndarray:
        raw = np.empty(info.file_size, np.uint8)
        mv, pos = memoryview(raw), 0
        with self.zf.open(info) as m:
            while pos < raw.size:
                got = m.readinto(mv[pos : pos + _CHUNK])
                if not got:
                    raise LoadError(f"storage record {full} is truncated")
                pos += got
            if m.read(1):  # also makes zipfile check the CRC
                raise LoadError(f"storage record {full} is longer than its header says")
        return raw

    def _place(self, arr, location: str):
        """Apply map_location to a storage: its (host) array and target device (None: CPU)."""
        ml = self.map_location
        if isinstance(ml, dict):
            ml = ml.get(location, location)
        elif callable(ml):
            try:
                res = ml(_make(arr), location)
            except Exception as e:  # the caller's function: its error is not the file's
                raise _CallerError(e) from e
            if res is None:
                ml = location
            elif isinstance(res, Tensor):
                dev = res.device
                return np.ascontiguousarray(_host(res._data)).reshape(-1), _not_cpu(dev)
            else:
                raise _CallerError(
                    TypeError(
                        f"map_location must return a tensor or None, got {type(res).__name__}"
                    )
                )
        if ml is None:
            ml = location
        if not isinstance(ml, (str, device)) and hasattr(ml, "type"):  # a torch.device
            ml = str(ml)
        try:
            dev = as_device(ml)
        except (RuntimeError, TypeError) as e:
            raise LoadError(f"bad storage location {str(ml)[:40]!r}: {e}") from None
        if dev.type == "cuda":
            from .backend import cuda

            if not cuda.is_available():
                raise LoadError(
                    "Attempting to deserialize object on a CUDA device but "
                    "ember.cuda.is_available() is False. If you are running on a CPU-only "
                    "machine, please use ember.load with map_location=ember.device('cpu') to map "
                    "your storages to the CPU."
                )
        elif dev.type != "cpu":
            raise LoadError(f"cannot place a storage on device '{dev}'")
        return arr, _not_cpu(dev)

    def persistent_load(self, pid) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise LoadError(f"unknown persistent id of type {type(pid).__name__}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise LoadError(f"unsupported storage type {getattr(stype, 'name', type(stype))}")
        if not isinstance(key, str) or not isinstance(location, str):
            raise LoadError("storage key and location must be strings")
        numel = _int(numel, "storage size")
        hit = self.storages.get((key, stype.name))
        if hit is not None:
            return hit
        raw = self.raw.get(key)
        if raw is None:
            raw = self.raw[key] = self._read_raw(key)
        dt = stype.dtype
        if numel < 0 or numel * dt.itemsize != raw.size:
            raise LoadError(
                f"storage {key} should hold {numel} {dt} elements but its record has "
                f"{raw.size} bytes"
            )
        if dt is D.bool_ and raw.size and raw.max() > 1:  # other bytes are not valid bools
            raw = self.raw[key] = (raw != 0).view(np.uint8)
        arr = raw.view(dt.np)
        if self.swap and dt.itemsize > 1:
            arr = arr.byteswap()
        arr, dev = self._place(arr, location)
        st = self.storages[(key, stype.name)] = _Storage(arr, D._NP_TO_DTYPE[arr.dtype], dev)
        return st

    def unpickle(self, weights_only: bool, pickle_args: dict):
        data = self._record("data.pkl")
        cls = _SafeUnpickler if weights_only else _FullUnpickler
        return cls(io.BytesIO(data), self.persistent_load, **pickle_args).load()


def load(
    f,
    map_location=None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = True,
    mmap: bool | None = False,
    **pickle_load_args,
) -> Any:
    """Load an object saved by ``ember.save`` or ``torch.save`` from a path or binary file.

    Args:
        f: a path or a seekable binary file object.
        map_location: where storages go: ``'cpu'``, a device, a dict mapping saved locations
            (``'cuda:0'``) to new ones, or ``fn(storage, location)`` returning a tensor.
        weights_only: ``True`` (default) rebuilds only tensors, containers and plain values and
            never runs code from the file (see :func:`add_safe_globals`). ``False`` unpickles
            anything and so runs whatever code the file contains: only for files you trust.
        mmap: map storages from the file (copy-on-write) instead of reading them into memory;
            ``f`` must be a path.

    Raises:
        LoadError: the file is not a readable checkpoint (message names the file and problem).
        UnsafeGlobalError: the file needs a global outside the allow-list.

    Example:
        >>> buf = io.BytesIO(); ember.save(ember.arange(3), buf); _ = buf.seek(0)
        >>> ember.load(buf, map_location="cpu")
        tensor([0, 1, 2])
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("ember.load supports only the standard pickle module")
    pickle_args = {k: v for k, v in pickle_load_args.items() if k in ("encoding", "errors")}
    pickle_args.setdefault("encoding", "utf-8")
    name = _describe(f)
    is_path = isinstance(f, (str, os.PathLike))
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    with contextlib.ExitStack() as stack:
        if is_path:
            fh = stack.enter_context(open(os.fspath(f), "rb"))
        else:
            fh = f
            if not (hasattr(fh, "seekable") and fh.seekable()):
                fh = io.BytesIO(fh.read())
        try:
            reader = _Reader(fh, name, map_location, bool(mmap))
            with reader.zf:
                return reader.unpickle(weights_only is not False, pickle_args)
        except _CallerError as e:
            raise e.args[0] from None
        except UnsafeGlobalError as e:
            raise UnsafeGlobalError(f"{name}: {e}") from None
        except LoadError as e:
            raise LoadError(f"{name}: {e}") from e.__cause__
        except Exception as e:  # anything a damaged file provokes (struct, zlib, EOF, numpy ...)
            raise LoadError(f"{name}: corrupt checkpoint ({type(e).__name__}: {e})") from e


class _CallerError(Exception):
    """Wraps an error raised by the caller's map_location function, so load re-raises it as is."""


def _not_cpu(dev: device):
    return None if dev.type == "cpu" else dev


# -- plain pickle / copy of a Tensor (Tensor.__reduce_ex__) ----------------------------------------
def _rebuild_from_array(array, requires_grad: bool) -> Tensor:
    t = _make(array)
    t._rg = requires_grad
    return t


def _reduce_tensor(t: Tensor):
    """What ``pickle.dumps(t)`` and ``copy.copy(t)`` store: the array and requires_grad."""
    return (_rebuild_from_array, (t._data, t._rg))
