"""``repr`` of tensors, laid out as PyTorch lays them out.

One formatter per tensor decides, from its finite non-zero values, between integer-looking
("1."), fixed ("1.5000") and scientific ("1.0000e+05") notation and the common column width;
rows wrap at ``linewidth`` and tensors above ``threshold`` elements show only ``edgeitems``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as D


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


options = _Options()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Set how tensors print (as torch.set_printoptions).

    Example:
        >>> ember.set_printoptions(precision=2); ember.set_printoptions(profile="default")
    """
    if profile == "default":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 4, 1000, 3, 80
    elif profile == "full":
        options.precision, options.threshold, options.edgeitems, options.linewidth = (
            4,
            math.inf,
            3,
            80,
        )
    elif profile == "short":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 2, 1000, 2, 80
    for k, v in dict(
        precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth
    ).items():
        if v is not None:
            setattr(options, k, v)
    options.sci_mode = sci_mode


class _Formatter:
    """Formats the numbers of one tensor to a common width."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        p = options.precision
        if not self.floating:
            for v in a.reshape(-1).tolist():
                self.width = max(self.width, len(str(v)))
            return
        vals = a[np.isfinite(a) & (a != 0)].astype(np.float64)
        if vals.size:
            mags = np.abs(vals)
            hi, lo = float(mags.max()), float(mags.min())
            self.int_mode = bool(np.all(vals == np.ceil(vals)))
            if self.int_mode:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            else:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            if options.sci_mode is not None:
                self.sci_mode = options.sci_mode
            for v in vals.tolist():
                if self.sci_mode:
                    n = len(f"{v:.{p}e}")
                elif self.int_mode:
                    n = len(f"{v:.0f}") + 1
                else:
                    n = len(f"{v:.{p}f}")
                self.width = max(self.width, n)
        if options.sci_mode is not None:
            self.sci_mode = options.sci_mode

    def __call__(self, v) -> str:
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:.{options.precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{options.precision}f}"
        return s.rjust(self.width)


def _edges(a: np.ndarray) -> np.ndarray:
    """The values a summarised print shows (the first and last ``edgeitems`` of each dim)."""
    e = options.edgeitems
    for d in range(a.ndim):
        if a.shape[d] > 2 * e:
            idx = list(range(e)) + list(range(a.shape[d] - e, a.shape[d]))
            a = np.take(a, idx, axis=d)
    return a


def _body(a: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    e = options.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    n = a.shape[0]
    cut = summarize and n > 2 * e
    if a.ndim == 1:
        if summarize and not e:
            items = ["..."]
        elif cut:
            items = [fmt(v) for v in a[:e].tolist()] + [" ..."]
            items += [fmt(v) for v in a[n - e :].tolist()]
        else:
            items = [fmt(v) for v in a.tolist()]
        per_line = max(1, int((options.linewidth - indent) // (fmt.width + 2)))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(e) if cut else range(n)
    parts = [_body(a[i], fmt, indent + 1, summarize) for i in rows]
    if cut:
        parts += ["..."] + [_body(a[i], fmt, indent + 1, summarize) for i in range(n - e, n)]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _with_suffixes(body: str, suffixes: list, indent: int) -> str:
    out = [body]
    last = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > options.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    out.append(")")
    return "".join(out)


def format_tensor(t, prefix: str = "tensor(") -> str:
    """PyTorch's ``repr`` of ``t``, with ``ember`` for ``torch``."""
    from .backend import of

    a = of(t._data).to_numpy(t._data)
    dt = t.dtype
    if dt is D.bfloat16 or dt is D.float16:
        a = a.astype(np.float32)
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    elif a.dtype.kind == "c":
        body = np.array2string(a, separator=", ", prefix=prefix, precision=options.precision)
    else:
        summarize = a.size > options.threshold
        body = _body(a, _Formatter(_edges(a) if summarize else a), indent, summarize)
    complex_default = D.complex128 if D.get_default_dtype() is D.float64 else D.complex64
    if dt not in (D.get_default_dtype(), complex_default, D.int64, D.bool_):
        suffixes.append(f"dtype=ember.{dt.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
