"""Padding layers: constant/zero, reflection, replication and circular (via ``F.pad``)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    f"{kind}Pad{n}d"
    for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular")
    for n in (1, 2, 3)
]


def _pads(padding, nd: int) -> tuple:
    if isinstance(padding, (list, tuple)):
        if len(padding) != 2 * nd:
            raise ValueError(f"expected padding of length {2 * nd}, got {len(padding)}")
        return tuple(padding)
    return (padding,) * (2 * nd)


class _PadNd(Module):
    _nd = 0
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pads(padding, self._nd)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


_MODES = {"Reflection": "reflect", "Replication": "replicate", "Circular": "circular"}


def _make(kind: str, nd: int, doc: str):
    if kind == "Constant":
        base = _ConstantPadNd
        attrs = {"_nd": nd}
    elif kind == "Zero":
        base = _ConstantPadNd

        def __init__(self, padding):
            _ConstantPadNd.__init__(self, padding, 0.0)

        attrs = {"_nd": nd, "__init__": __init__, "extra_repr": _PadNd.extra_repr}
    else:
        base = _PadNd
        attrs = {"_nd": nd, "_mode": _MODES[kind]}
    attrs["__doc__"] = doc
    attrs["__module__"] = __name__
    return type(f"{kind}Pad{nd}d", (base,), attrs)


_DOCS = {
    "Constant": "Pad the last {n} dims with a constant ``value``.",
    "Zero": "Pad the last {n} dims with zeros.",
    "Reflection": "Pad the last {n} dims with the reflection of the input (edge excluded).",
    "Replication": "Pad the last {n} dims by repeating the edge values.",
    "Circular": "Pad the last {n} dims by wrapping the input around.",
}
_EXAMPLE = """

    ``padding`` is an int (all sides) or a tuple (left, right[, top, bottom[, front, back]]).

    Example:
        >>> ember.nn.{name}({args})(ember.ones({shape})).shape
        ember.Size([{out}])
"""

for _kind, _doc in _DOCS.items():
    for _n in (1, 2, 3):
        _name = f"{_kind}Pad{_n}d"
        _shape = ", ".join(["1", "1"] + ["3"] * _n)
        _out = ", ".join(["1", "1"] + ["5"] * _n)
        _args = "1, 0.5" if _kind == "Constant" else "1"
        globals()[_name] = _make(
            _kind,
            _n,
            _doc.format(n=_n) + _EXAMPLE.format(name=_name, args=_args, shape=_shape, out=_out),
        )
del _kind, _doc, _n, _name, _shape, _out, _args
