"""Tensor creation: tensor, zeros, ones, arange, linspace, eye, rand, randn ..."""

from __future__ import annotations

import math
import numbers

from .. import _dtype as D
from .._device import CPU, as_device, default_or
from ..backend import get as get_backend
from ..backend import transfer
from ..random import _gen
from ._util import Tensor, _make, np


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a sequence of integers as size, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(arr, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is not None:
        np_dt = D.to_numpy(dtype)
        if arr.dtype != np_dt:
            arr = arr.astype(np_dt)
    device = default_or(device)
    if device is not None:
        arr = transfer(arr, as_device(device))
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _xp(device):
    return np if device is None else get_backend(as_device(device)).xp


def _infer(data, exact: bool = False) -> np.ndarray:
    """A NumPy array of ``data`` with PyTorch's dtype inference for python values.

    ``exact`` (a dtype was asked for) keeps python floats in float64 / complex128 for the caller
    to cast once: rounding through the default float32 first would lose digits of float64 data.
    """
    if isinstance(data, Tensor):
        return np.array(data._data if isinstance(data._data, np.ndarray) else data.cpu()._data)
    if isinstance(data, np.ndarray):
        if data.dtype == object:
            raise TypeError("can't convert np.ndarray of type numpy.object_")
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Tensor) for x in _flat_first(data)):
            data = _detensor(data)
        elif len(data) and isinstance(data[0], np.ndarray):
            return np.array(data)
    if not isinstance(data, (numbers.Number, list, tuple)):
        if hasattr(data, "__array__"):
            return np.asarray(data).copy()
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    arr = np.array(data)
    if arr.dtype == object:
        raise ValueError("expected sequence of equal-length lists, got ragged nested lists")
    k = arr.dtype.kind
    if k in "fc" and exact:
        return arr
    if k == "f":
        arr = arr.astype(D.get_default_dtype().np)
    elif k in "iu":
        arr = arr.astype(np.int64)
    elif k == "c":
        arr = arr.astype(np.complex128 if D.get_default_dtype() is D.float64 else np.complex64)
    elif k not in "b":
        raise TypeError(f"Could not infer dtype of {arr.dtype}")
    return arr


def _flat_first(data):
    while isinstance(data, (list, tuple)) and data:
        yield data[0]
        data = data[0]


def _detensor(data):
    if isinstance(data, Tensor):
        return data.item() if data.ndim == 0 else data.tolist()
    if isinstance(data, (list, tuple)):
        return [_detensor(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying ``data`` (python numbers, nested lists, arrays, tensors).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).dtype
        ember.int64
    """
    if isinstance(data, Tensor):
        if device is None:
            device = data.device  # not the default device: PyTorch keeps the source's
        if not isinstance(data._data, np.ndarray):
            return _finish(data._data.copy(), dtype, device, requires_grad)
    arr = _infer(data, exact=dtype is not None)
    if dtype is not None and arr.dtype.kind == "c" and not isinstance(data, (np.ndarray, Tensor)):
        target = D.as_dtype(dtype)
        if not target.is_complex and target is not D.bool_:
            raise TypeError("must be real number, not complex")  # PyTorch's words, python values
    return _finish(arr, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory with a tensor or NumPy array when it can.

    Example:
        >>> a = np.zeros(2); ember.as_tensor(a).numpy() is a
        True
    """
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray) and data.dtype != object:
        D.from_numpy(data.dtype)
        return _finish(data, dtype, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (writes show through both ways).

    Example:
        >>> a = np.zeros(2); t = ember.from_numpy(a); a[0] = 5; t[0].item()
        5.0
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy(ndarray.dtype)
    return _make(ndarray)


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any DLPack-capable array."""
    if hasattr(ext, "__dlpack_device__") and ext.__dlpack_device__()[0] == 2:
        xp = get_backend(as_device("cuda")).xp
        return _make(xp.from_dlpack(ext))
    return _make(np.from_dlpack(ext))


def _filled(fn, size, dtype, device, requires_grad, default=None):
    size = _size(size)
    dt = D.as_dtype(dtype) if dtype is not None else (default or D.get_default_dtype())
    dev = as_device(default_or(device))
    xp = _xp(dev)
    if dev is not None and dev.type == "cuda":
        with get_backend(dev).device_context(dev):
            arr = fn(xp, size, dt.np)
    else:
        arr = fn(xp, size, dt.np)
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros.

    Example:
        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
    """
    return _filled(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones.

    Example:
        >>> ember.ones(2)
        tensor([1., 1.])
    """
    return _filled(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """An uninitialised tensor.

    Example:
        >>> ember.empty(3).shape
        ember.Size([3])
    """
    return _filled(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(
    size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it).

    Example:
        >>> ember.full((2,), 7)
        tensor([7, 7])
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    default = D._scalar_dtype(fill_value)
    return _filled(
        lambda xp, s, d: xp.full(s, fill_value, d),
        (size,) if isinstance(size, int) else tuple(size),
        dtype,
        device,
        requires_grad,
        default,
    )


def _like(input, dtype, device):
    return (
        dtype if dtype is not None else input.dtype,
        device if device is not None else input.device,
    )


def zeros_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device.

    Example:
        >>> ember.zeros_like(ember.ones(2))
        tensor([0., 0.])
    """
    dt, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Ones with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Uninitialised, with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``fill_value`` with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return randn(
        input.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator
    )


def randint_like(input, low=0, high=None, *, dtype=None, device=None) -> Tensor:
    """Random integers with ``input``'s shape."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=dt, device=dev)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor from ``data`` with this tensor's dtype and device by default."""
    return tensor(
        data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype and device by default."""
    return zeros(
        *size, dtype=dtype or self.dtype, device=device or _dev(self), requires_grad=requires_grad
    )


def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones of ``size`` with this tensor's dtype and device by default."""
    return ones(
        *size, dtype=dtype or self.dtype, device=device or _dev(self), requires_grad=requires_grad
    )


def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uninitialised ``size`` with this tensor's dtype and device by default."""
    return empty(
        *size, dtype=dtype or self.dtype, device=device or _dev(self), requires_grad=requires_grad
    )


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` of ``size`` with this tensor's dtype and device by default."""
    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        device=device or _dev(self),
        requires_grad=requires_grad,
    )


def _dev(t):
    return CPU if isinstance(t._data, np.ndarray) else t.device


def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments.

    Example:
        >>> ember.arange(3)
        tensor([0, 1, 2])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        isint = all(isinstance(v, (int, np.integer)) for v in vals)
        dt = D.int64 if isint else D.get_default_dtype()
    else:
        dt = D.as_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    arr = (
        (start + np.arange(n, dtype=np.float64) * step)
        if dt.is_floating_point
        else np.arange(start, end, step)
    )
    return _finish(arr.astype(dt.np), None, device, requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Like arange but including ``end`` (deprecated in PyTorch)."""
    return arange(
        start,
        end + step / 2 if end is not None else None,
        step,
        dtype=dtype or D.get_default_dtype(),
        device=device,
        requires_grad=requires_grad,
    )


def linspace(
    start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example:
        >>> ember.linspace(0, 1, 3)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    arr = np.linspace(float(start), float(end), int(steps))
    return _finish(arr.astype(dt.np), None, device, requires_grad)


def logspace(
    start,
    end,
    steps,
    base=10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
) -> Tensor:
    """``steps`` values from ``base**start`` to ``base**end``, evenly spaced in log scale."""
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    arr = np.logspace(float(start), float(end), int(steps), base=base)
    return _finish(arr.astype(dt.np), None, device, requires_grad)


def eye(
    n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """The identity matrix (n x m).

    Example:
        >>> ember.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), None, device, requires_grad)


# -- random --------------------------------------------------------------------------------------


def _float_dt(dtype):
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        raise NotImplementedError(
            f"\"check_uniform_bounds\" not implemented for '{dt.scalar_name}'"
        )
    return dt


def rand(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Uniform samples from [0, 1).

    Example:
        >>> ember.rand(2, 3).shape
        ember.Size([2, 3])
    """
    dt = _float_dt(dtype)
    arr = _gen(generator).random(_size(size), dtype=np.float64).astype(dt.np)
    return _finish(arr, None, device, requires_grad)


def randn(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Standard normal samples.

    Example:
        >>> ember.randn(4).shape
        ember.Size([4])
    """
    dt = _float_dt(dtype)
    g = _gen(generator)
    s = _size(size)
    arr = g.standard_normal(s, dtype=np.float32 if dt.np == np.float32 else np.float64)
    return _finish(arr.astype(dt.np, copy=False), None, device, requires_grad)


def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
) -> Tensor:
    """Random integers in [low, high).

    Example:
        >>> ember.randint(0, 10, (3,)).dtype
        ember.int64
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = D.as_dtype(dtype) if dtype is not None else D.int64
    arr = _gen(generator).integers(low, high, _size((size,) if isinstance(size, int) else size))
    return _finish(arr.astype(dt.np), None, device, requires_grad)


def randperm(
    n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """A random permutation of 0..n-1.

    Example:
        >>> sorted(ember.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = D.as_dtype(dtype) if dtype is not None else D.int64
    return _finish(_gen(generator).permutation(n).astype(dt.np), None, device, requires_grad)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    device=None,
    requires_grad=False,
) -> Tensor:
    """Normal samples with the given mean(s) and std(s) (tensors broadcast).

    Example:
        >>> ember.normal(0.0, 1.0, (3,)).shape
        ember.Size([3])
    """
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        arr = (np.asarray(m) + np.asarray(s) * g.standard_normal(shape)).astype(ref._data.dtype)
        return _finish(
            arr,
            None,
            device or ref.device,
            requires_grad,
        )
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = _float_dt(dtype)
    arr = mean + std * g.standard_normal(_size((size,) if isinstance(size, int) else size))
    return _finish(arr.astype(dt.np), None, device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or ``p``).

    Example:
        >>> ember.bernoulli(ember.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """
    probs = input._data if p is None else np.full(input.shape, p)
    host = probs if isinstance(probs, np.ndarray) else input.cpu()._data
    if (host < 0).any() or (host > 1).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    arr = (_gen(generator).random(input.shape) < host).astype(input._data.dtype)
    return _finish(arr, None, None if isinstance(input._data, np.ndarray) else input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Indices sampled from the rows of ``input`` (non-negative weights).

    Example:
        >>> ember.multinomial(ember.tensor([0.0, 1.0]), 1)
        tensor([1])
    """
    w = np.asarray(input.detach().cpu()._data, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (w < 0).any() or not np.isfinite(w).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    total = rows.sum(1, keepdims=True)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen(generator)
    if replacement:
        cdf = np.cumsum(rows / total, axis=1)
        u = g.random((rows.shape[0], num_samples))
        idx = np.stack([np.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        idx = np.minimum(idx, n - 1)
    else:
        # Exponential race: each category draws E/p and the smallest keys win, which samples
        # without replacement in proportion to p; zero-probability categories come last.
        with np.errstate(divide="ignore"):
            keys = g.exponential(size=rows.shape) / rows
        idx = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    arr = idx.astype(np.int64).reshape(w.shape[:-1] + (num_samples,))
    return _finish(arr, None, None if isinstance(input._data, np.ndarray) else input.device)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input``."""
    arr = _gen(generator).poisson(np.asarray(input.cpu()._data)).astype(input._data.dtype)
    return _finish(arr, None, None if isinstance(input._data, np.ndarray) else input.device)


# in-place random fills (methods)


def uniform_(self, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    """Fill with uniform samples from [from_, to)."""
    arr = _gen(generator).uniform(from_, to, self.shape)
    return _fill_random(self, arr)


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with normal samples."""
    arr = _gen(generator).normal(mean, std, self.shape)
    return _fill_random(self, arr)


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples of probability ``p``."""
    pa = p._data if isinstance(p, Tensor) else p
    arr = _gen(generator).random(self.shape) < pa
    return _fill_random(self, arr)


def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
    """Fill with random integers in [from_, to)."""
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    arr = _gen(generator).integers(from_, to, self.shape)
    return _fill_random(self, arr)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd``."""
    return _fill_random(self, _gen(generator).exponential(1.0 / lambd, self.shape))


def geometric_(self, p, *, generator=None) -> Tensor:
    """Fill with geometric samples."""
    return _fill_random(self, _gen(generator).geometric(p, self.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """Fill with log-normal samples."""
    return _fill_random(self, _gen(generator).lognormal(mean, std, self.shape))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples."""
    return _fill_random(self, median + sigma * _gen(generator).standard_cauchy(self.shape))


def _fill_random(self, arr) -> Tensor:
    from .elementwise import _check_inplace

    _check_inplace(self)
    arr = np.asarray(arr).astype(self._data.dtype)
    if not isinstance(self._data, np.ndarray):
        arr = transfer(arr, self.device)
    self._data[...] = arr
    self._bump()
    return self
