"""``repr`` of tensors, formatted like PyTorch's."""

from __future__ import annotations

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
        >>> ember.set_printoptions(precision=2)
    """
    if profile == "default":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 4, 1000, 3, 80
    elif profile == "full":
        options.threshold = float("inf")
    elif profile == "short":
        options.precision, options.threshold, options.edgeitems = 2, 1000, 2
    for k, v in dict(
        precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth
    ).items():
        if v is not None:
            setattr(options, k, v)
    options.sci_mode = sci_mode


def _float_formatter(a: np.ndarray):
    finite = a[np.isfinite(a)].astype(np.float64)
    p = options.precision
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{p}f}"
    absf = np.abs(finite)
    nz = absf[absf != 0]
    int_mode = bool(np.all(finite == np.round(finite)))
    sci = options.sci_mode
    if sci is None:
        sci = bool(nz.size and (nz.max() / nz.min() > 1000.0 or nz.max() > 1e8 or nz.min() < 1e-4))
    if int_mode and not sci:
        return lambda v: _special(v) or f"{v:.0f}."
    if sci:
        return lambda v: _special(v) or f"{v:.{p}e}"
    return lambda v: _special(v) or f"{v:.{p}f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def format_tensor(t) -> str:
    from .backend import of

    a = of(t._data).to_numpy(t._data)
    dt = t.dtype
    if dt is D.bfloat16 or dt is D.float16:
        a = a.astype(np.float32)
    suffix = []
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    if a.size == 0 and a.ndim > 1 or a.size == 0 and a.shape != (0,):
        suffix.insert(0, f"size={tuple(a.shape)}")
    if dt not in (D.int64, D.bool_, D.get_default_dtype()):
        suffix.append(f"dtype=ember.{dt.name}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    prefix = "tensor("
    if a.dtype.kind == "f":
        f = _float_formatter(a)
        strs = [f(v) for v in a.reshape(-1)[:10000]]
        width = max((len(s) for s in strs), default=0)
        body = np.array2string(
            a,
            separator=", ",
            prefix=prefix,
            threshold=options.threshold,
            edgeitems=options.edgeitems,
            max_line_width=options.linewidth,
            formatter={"float_kind": lambda v: f(v).rjust(width)},
        )
    elif a.dtype.kind == "b":
        body = np.array2string(
            a,
            separator=", ",
            prefix=prefix,
            threshold=options.threshold,
            edgeitems=options.edgeitems,
            max_line_width=options.linewidth,
            formatter={"bool": lambda v: "True" if v else "False"},
        )
        body = body.replace(" True", "True") if "False" not in body else body
    else:
        body = np.array2string(
            a,
            separator=", ",
            prefix=prefix,
            threshold=options.threshold,
            edgeitems=options.edgeitems,
            max_line_width=options.linewidth,
        )
    return prefix + body + "".join(", " + s for s in suffix) + ")"
