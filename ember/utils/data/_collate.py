"""Collation: turning a list of samples into a batch (``default_collate``) and its helpers."""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

import ember
from ember._tensor import Tensor, _make
from ember.backend import xp_of

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)
_STR_OR_OBJECT = re.compile(r"[SaUO]")


def _rebuild(elem, values):
    """A container like ``elem`` holding ``values`` (falls back to a plain list/dict)."""
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                out = copy.copy(elem)  # keeps extra attributes of dict subclasses
                out.update(values)
                return out
            return type(elem)(values)
        except TypeError:  # a mapping type that cannot be built from a dict
            return dict(values)
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            out = copy.copy(elem)
            for i, v in enumerate(values):
                out[i] = v
            return out
        return type(elem)(values)
    except TypeError:
        return list(values)


def collate(batch: list, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` recursively, handing leaf types to ``collate_fn_map``'s functions.

    The map is looked up by exact type first, then by ``isinstance`` in insertion order; each
    function is called as ``fn(batch, collate_fn_map=...)``.

    Example:
        >>> collate([1, 2], collate_fn_map={int: lambda b, collate_fn_map: sum(b)})
        3
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(elem, key):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(
            elem, {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # PyTorch returns tuples of columns as a list
        return _rebuild(elem, columns)
    raise TypeError(_ERR.format(elem_type))


def _collate_tensor(batch, *, collate_fn_map=None):
    if any(t.requires_grad for t in batch):
        return ember.stack(batch, 0)
    shape = batch[0].shape
    for i, t in enumerate(batch):
        if t.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    arrays = [t._data for t in batch]
    return _make(xp_of(arrays[0]).stack(arrays, 0))


def _collate_numpy_array(batch, *, collate_fn_map=None):
    if _STR_OR_OBJECT.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERR.format(batch[0].dtype))
    return collate([ember.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar(batch, *, collate_fn_map=None):
    return ember.as_tensor(np.asarray(batch))


def _collate_float(batch, *, collate_fn_map=None):
    return ember.tensor(batch, dtype=ember.float64)


def _collate_int(batch, *, collate_fn_map=None):
    return ember.tensor(batch)


def _collate_str(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch: list):
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 tensor and ints an int64 tensor; strings stay a list; dicts, namedtuples and other
    sequences are collated field by field (tuples become lists, as in PyTorch).

    Example:
        >>> default_collate([(ember.zeros(2), 0), (ember.ones(2), 1)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([0, 1])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Convert NumPy arrays (also inside containers) to tensors, without batching.

    Used by the DataLoader when automatic batching is off (``batch_size=None``).

    Example:
        >>> default_convert({"x": np.zeros(2)})
        {'x': tensor([0., 0.], dtype=ember.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if _STR_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return ember.as_tensor(data)
    if isinstance(data, np.memmap | np.generic) and not isinstance(data, np.str_ | np.bytes_):
        return ember.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
