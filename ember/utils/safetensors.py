"""The safetensors format (Hugging Face's weights files) for ember tensors.

A safetensors file is a JSON header (names, dtypes, shapes, offsets) followed by the raw tensor
bytes: loading it never runs code. The ``safetensors`` package (its NumPy API) does the reading
and writing; bfloat16 goes through ``ml_dtypes``. Files written here load with
``safetensors.torch.load_file`` and the other way round, and what ``load_file`` returns goes
straight into ``Module.load_state_dict``.

The format has no complex128 and no shared storage: tensors that share memory (tied weights)
are written as separate copies.

Example:
    >>> from ember.utils.safetensors import load_file, save_file
    >>> m = ember.nn.Linear(2, 1)
    >>> save_file(m.state_dict(), "/tmp/linear.safetensors")
    >>> m.load_state_dict(load_file("/tmp/linear.safetensors"))
    <All keys matched successfully>
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from .. import _dtype as D
from .._device import as_device
from .._tensor import Tensor, _host, _make

__all__ = ["save_file", "load_file", "save", "load"]


def _np():
    try:
        import safetensors.numpy as st_numpy
    except ImportError:  # pragma: no cover - exercised only without the package
        raise ImportError(
            "ember.utils.safetensors needs the 'safetensors' package: pip install safetensors"
        ) from None
    return st_numpy


# safetensors' dtype names -> NumPy (the package's NumPy reader has no BF16 for bytes)
_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
    "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64,
    "C64": np.complex64,
}  # fmt: skip
if D.bfloat16 is not None:
    _DTYPES["BF16"] = D.bfloat16.np


def _arrays(tensors: Mapping[str, Tensor]) -> dict[str, np.ndarray]:
    if not isinstance(tensors, Mapping):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    out = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"'{name}' is a {type(t).__name__}, not a Tensor")
        if t.dtype.name == "complex128":
            raise TypeError(f"safetensors cannot store complex128 tensors ('{name}')")
        # the NumPy writer copies raw memory, so each array must be dense and C-ordered
        out[name] = np.array(_host(t._data), order="C", copy=None)  # keeps 0-d arrays 0-d
    return out


def _check_metadata(metadata) -> None:
    if metadata is not None and not (
        isinstance(metadata, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise TypeError("metadata must be a dict of str to str")


def save(tensors: Mapping[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of a dict of tensors.

    Example:
        >>> len(save({"w": ember.zeros(2)})) > 0
        True
    """
    _check_metadata(metadata)
    return _np().save(_arrays(tensors), metadata=metadata)


def save_file(
    tensors: Mapping[str, Tensor],
    filename: str | os.PathLike,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a dict of tensors (e.g. a ``state_dict()``) to a safetensors file.

    Like ``ember.save`` it writes a temporary file and renames it into place, so an interrupted
    save leaves any previous file intact.

    Example:
        >>> save_file({"w": ember.ones(2, 2)}, "/tmp/w.safetensors", metadata={"format": "pt"})
    """
    from ..serialization import _atomic_write

    data = save(tensors, metadata)
    _atomic_write(os.fspath(filename), lambda fh: fh.write(data))


def _tensors(arrays: Mapping[str, np.ndarray], device) -> dict[str, Tensor]:
    dev = as_device(f"cuda:{device}" if isinstance(device, int) else device)
    out = {}
    for name, a in arrays.items():
        a = np.array(a)  # own, writable memory (not a view of the file)
        t = _make(a)
        out[name] = t if dev.type == "cpu" else t.to(dev)
    return out


def load(data: bytes, device="cpu") -> dict[str, Tensor]:
    """The tensors of safetensors bytes.

    Example:
        >>> load(save({"w": ember.ones(2)}))["w"]
        tensor([1., 1.])
    """
    from safetensors import deserialize

    arrays = {}
    for name, info in deserialize(bytes(data)):
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise TypeError(f"ember cannot hold {info['dtype']} tensors ('{name}')")
        arrays[name] = np.frombuffer(info["data"], dt).reshape(info["shape"])
    return _tensors(arrays, device)


def load_file(filename: str | os.PathLike, device="cpu") -> dict[str, Tensor]:
    """Read a safetensors file into a dict of tensors on ``device`` ('cpu', 'cuda:0', 0 ...).

    Example:
        >>> save_file({"w": ember.ones(2)}, "/tmp/w.safetensors")
        >>> load_file("/tmp/w.safetensors")["w"]
        tensor([1., 1.])
    """
    return _tensors(_np().load_file(os.fspath(filename)), device)
