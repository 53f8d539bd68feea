"""Tensor: a backend array (``_data``) plus what autograd needs to know about it."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as D
from ._device import CPU, as_device, default_or, device
from .autograd.grad_mode import state
from .backend import device_of, transfer
from .backend import get as get_backend
from .backend import of as backend_of


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``.

    Example:
        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
    """

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``.

    ``Tensor(data)`` and ``Tensor(*sizes)`` make float tensors like PyTorch's legacy constructor;
    prefer ``ember.tensor`` / ``ember.zeros``.

    Example:
        >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    # _rg: requires grad; _out_nr: which output of grad_fn this is; _vc: version counter
    # ([int], shared with views; None until first needed); _hooks: leaf gradient hooks.
    __slots__ = ("_data", "_rg", "grad", "grad_fn", "_out_nr", "_vc", "_hooks", "__weakref__")

    __array_priority__ = 1000  # numpy defers binary operators to us

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        from .ops.creation import tensor as _tensor

        dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            arr = (
                src._data.astype(dt.np) if isinstance(src, Tensor) else _tensor(src, dtype=dt)._data
            )
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            arr = np.empty(tuple(int(s) for s in shape), dt.np)
        if device is None and not (len(args) == 1 and isinstance(args[0], Tensor)):
            device = default_or(None)
        if device is not None:
            arr = transfer(arr, as_device(device))
        _init(self, arr, None, 0)
        self._rg = bool(requires_grad)

    # -- core attributes -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._NP_TO_DTYPE[self._data.dtype]

    @property
    def device(self) -> device:
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def is_meta(self) -> bool:
        return self.device.type == "meta"

    @property
    def layout(self):
        """Always ``ember.strided``: ember tensors are dense."""
        from ._layout import strided

        return strided

    # Backends and tensor kinds ember does not have: always False, for scripts that test them.
    is_mps = is_xpu = is_ipu = is_xla = is_vulkan = is_mtia = is_maia = property(lambda self: False)
    is_mkldnn = is_sparse = is_sparse_csr = is_quantized = is_nested = property(lambda self: False)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """Strides in elements, as in PyTorch."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return _data_ptr(self._data)

    def storage_offset(self) -> int:
        a = self._data
        base = a
        while getattr(base, "base", None) is not None:
            base = base.base
        return (_data_ptr(a) - _data_ptr(base)) // a.itemsize if base is not a else 0

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype == D.bfloat16.np

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None or not self._rg

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph (assignable)."""
        t = _make(self._data)
        t._vc = self._vc
        return t

    @data.setter
    def data(self, other: Tensor) -> None:
        self._data = other._data

    @property
    def _version(self) -> int:
        return self._vc[0] if self._vc is not None else 0

    def _bump(self) -> None:
        """Record an in-place change (checked by backward against saved versions)."""
        if self._vc is None:
            self._vc = [1]
        else:
            self._vc[0] += 1

    def resize_(self, *sizes, memory_format=None) -> Tensor:
        """Give this tensor the shape ``sizes`` in place, keeping its leading values (row order).
        Growing it allocates new memory (new values uninitialised) that views of the old memory
        do not share; in PyTorch they would.

        Example:
            >>> ember.arange(6.0).resize_(2, 3).shape
            ember.Size([2, 3])
        """
        if self._rg:
            raise RuntimeError("cannot resize variables that require grad")
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = sizes[0]
        shape = tuple(int(s) for s in sizes)
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
        a = self._data
        n = math.prod(shape)
        if n <= a.size and a.flags.c_contiguous:  # the same memory, as PyTorch's storage
            self._data = a.reshape(-1)[:n].reshape(shape)
        else:
            new = backend_of(a).xp.empty(shape, a.dtype)
            k = min(n, a.size)
            new.reshape(-1)[:k] = a.reshape(-1)[:k]
            self._data = new
        self._bump()
        return self

    def resize_as_(self, other: Tensor, memory_format=None) -> Tensor:
        """``resize_`` to ``other``'s shape."""
        return self.resize_(tuple(other.shape))

    @property
    def T(self) -> Tensor:
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self) -> Tensor:
        return self.mT.conj() if self.is_complex() else self.mT

    # -- python conversions ----------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) python lists."""
        return _host(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array sharing this tensor's memory (a copy with ``force=True``)."""
        if force:
            return np.array(_host(self._data))
        if self._rg:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if not isinstance(self._data, np.ndarray):
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = _host(self._data)
        return a.astype(dtype) if dtype is not None else a

    def __dlpack__(self, stream=None, **kwargs):
        return self._data.__dlpack__(**({"stream": stream} if stream is not None else {}))

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        from .serialization import _reduce_tensor

        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment."
            )
        new = type(self).__new__(type(self))
        _init(new, self._data.copy(), None, 0)
        new._rg = self._rg
        if type(self) is not Tensor and hasattr(self, "__dict__"):
            import copy

            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def __repr__(self) -> str:
        from ._format import format_tensor

        return format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    # -- autograd --------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Compute the gradient of this tensor w.r.t. graph leaves, accumulated into ``.grad``.

        Example:
            >>> x = ember.tensor(3.0, requires_grad=True); (x * x).backward(); x.grad
            tensor(6.)
        """
        from .autograd.engine import backward

        backward(
            [self], None if gradient is None else [gradient], retain_graph, create_graph, inputs
        )

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory, cut off from the graph."""
        t = _make(self._data)
        if self._vc is None:
            self._vc = [0]
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph, in place."""
        self.grad_fn = None
        self._rg = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        Example:
            >>> h = x.register_hook(lambda g: g * 2); h.remove()
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._out_hooks is None:
                node._out_hooks = {}
            hooks = node._out_hooks.setdefault(self._out_nr, [])
            # retain_grad's hook stays last, so .grad sees what the other hooks made of it
            n = len(hooks)
            if n and getattr(hooks[-1], "_ember_retain", False):
                hooks.insert(n - 1, hook)
                return _RemovableHandle(hooks, hook)
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` once backward has accumulated this leaf's ``.grad`` (the hook
        returns None; an optimizer step per parameter inside backward is the common use).

        Example:
            >>> h = w.register_post_accumulate_grad_hook(lambda p: None); h.remove()
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._hooks is None:
            self._hooks = []
        entry = _PostAccumulateHook(hook)
        self._hooks.append(entry)
        return _RemovableHandle(self._hooks, entry)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if self.grad_fn is None:
            return
        import weakref

        ref = weakref.ref(self)

        def _retain(g):
            t = ref()
            if t is not None:
                g = g if state.enabled else g.detach()
                t.grad = g if t.grad is None else t.grad + g

        _retain._ember_retain = True
        node = self.grad_fn
        if node._out_hooks is None:
            node._out_hooks = {}
        hs = node._out_hooks.setdefault(self._out_nr, [])
        if not any(getattr(h, "_ember_retain", False) for h in hs):
            hs.append(_retain)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        if node is None or node._out_hooks is None:
            return False
        return any(
            getattr(h, "_ember_retain", False) for h in node._out_hooks.get(self._out_nr, ())
        )

    # -- devices and dtypes ----------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``.

        Example:
            >>> ember.ones(2).to(ember.float64).dtype
            ember.float64
        """
        dev, dt, copy = _parse_to(*args, **kwargs)
        from .ops.elementwise import to_copy

        same_dev = dev is None or _same_device(self.device, dev)
        same_dt = dt is None or dt.np == self._data.dtype
        if same_dev and same_dt and not copy:
            return self
        return to_copy(self, None if same_dt else dt, None if same_dev else dev)

    def cpu(self) -> Tensor:
        """This tensor on the CPU (itself when already there)."""
        return self.to(CPU)

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        """This tensor on a CUDA device."""
        if device is None:
            from . import cuda

            device = f"cuda:{cuda.current_device()}"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype=None):
        """The type name, or a copy converted to ``dtype``."""
        if dtype is None:
            return self.type_name()
        return self.to(D.as_dtype(dtype))

    def type_name(self) -> str:
        """The legacy type name, e.g. ``'ember.FloatTensor'``."""
        prefix = "ember.cuda." if self.is_cuda else "ember."
        return f"{prefix}{self.dtype.scalar_name}Tensor"

    def float(self) -> Tensor:
        return self.to(D.float32)

    def double(self) -> Tensor:
        return self.to(D.float64)

    def half(self) -> Tensor:
        return self.to(D.float16)

    def bfloat16(self) -> Tensor:
        return self.to(D.bfloat16)

    def cfloat(self) -> Tensor:
        return self.to(D.complex64)

    def cdouble(self) -> Tensor:
        return self.to(D.complex128)

    def new(self, *args, **kwargs) -> Tensor:
        """The legacy constructor: ``x.new(2, 3)`` uninitialised, ``x.new(data)`` from data,
        ``x.new()`` empty; with ``x``'s dtype and device unless given.

        Example:
            >>> ember.zeros(2, dtype=ember.float64).new([1, 2]).dtype
            ember.float64
        """
        from .ops.creation import new_empty, new_tensor

        if not args:
            return new_empty(self, (0,), **kwargs)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, tuple)):
            return new_tensor(self, args[0], **kwargs)
        return new_empty(self, *args, **kwargs)

    def long(self) -> Tensor:
        return self.to(D.int64)

    def int(self) -> Tensor:
        return self.to(D.int32)

    def short(self) -> Tensor:
        return self.to(D.int16)

    def char(self) -> Tensor:
        return self.to(D.int8)

    def byte(self) -> Tensor:
        return self.to(D.uint8)

    def bool(self) -> Tensor:
        return self.to(D.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def pin_memory(self, device=None) -> Tensor:
        """A copy in page-locked host memory, for fast copies to a GPU (itself without CUDA)."""
        from .backend import cuda

        if not self.is_cpu:
            raise RuntimeError(
                f"cannot pin '{self.type_name()}' only dense CPU tensors can be pinned"
            )
        if not cuda.is_available() or cuda.is_pinned(self._data):
            return self
        return _make(cuda.pin(self._data))

    def is_pinned(self) -> bool:
        """Whether this tensor lives in page-locked host memory."""
        from .backend import cuda

        return self.is_cpu and cuda.is_available() and cuda.is_pinned(self._data)

    def share_memory_(self) -> Tensor:
        return self

    def is_shared(self) -> bool:
        return False

    # -- activations that PyTorch also offers as methods (maths in nn.functional) ----------------
    def relu(self) -> Tensor:
        """``max(x, 0)`` elementwise (see ``nn.functional.relu``)."""
        from .nn.functional import relu

        return relu(self)

    def relu_(self) -> Tensor:
        """``max(x, 0)`` in place (see ``nn.functional.relu_``)."""
        from .nn.functional import relu_

        return relu_(self)

    def softmax(self, dim: int, dtype=None) -> Tensor:
        """Softmax along ``dim`` (see ``nn.functional.softmax``)."""
        from .nn.functional import softmax

        return softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int, dtype=None) -> Tensor:
        """Log-softmax along ``dim`` (see ``nn.functional.log_softmax``)."""
        from .nn.functional import log_softmax

        return log_softmax(self, dim, dtype=dtype)

    def prelu(self, weight: Tensor) -> Tensor:
        """Leaky ReLU with learned slopes ``weight`` (see ``nn.functional.prelu``)."""
        from .nn.functional import prelu

        return prelu(self, weight)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """Zero where ``|x| <= lambd`` (see ``nn.functional.hardshrink``)."""
        from .nn.functional import hardshrink

        return hardshrink(self, lambd)

    def as_strided(self, size, stride, storage_offset: int | None = None) -> Tensor:
        """A view with the given sizes and strides (see ``ember.as_strided``)."""
        from ._toplevel import as_strided

        return as_strided(self, size, stride, storage_offset)

    # ember has no inference tensors and no lazy conjugate/negative bits (ember._toplevel)
    def is_inference(self) -> bool:
        """Always False: ember does not mark tensors made under ``inference_mode``."""
        return False

    def is_conj(self) -> bool:
        """Always False: ember conjugates eagerly."""
        return False

    def is_neg(self) -> bool:
        """Always False: ember negates eagerly."""
        return False

    def resolve_conj(self) -> Tensor:
        """``self``: there is no lazy conjugation to materialise."""
        return self

    def resolve_neg(self) -> Tensor:
        """``self``: there is no lazy negation to materialise."""
        return self

    # -- operators: the hot ones are written out; the rest are bound below ----------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.rsub(self, other)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(_ops.scalar_like(other, self), self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(_ops.scalar_like(other, self), self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(_ops.scalar_like(other, self), self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(_ops.scalar_like(other, self), self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __iadd__(self, other):
        return _ops.add_(self, other)

    def __isub__(self, other):
        return _ops.sub_(self, other)

    def __imul__(self, other):
        return _ops.mul_(self, other)

    def __itruediv__(self, other):
        return _ops.div_(self, other)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.setitem(self, index, value)


def _map_tensors(fn, data):
    """``fn`` applied to every tensor in a (nested) list, tuple, namedtuple or dict; other
    values are returned as they are (a batch for pin_memory, inputs for DataParallel)."""
    if isinstance(data, Tensor):
        return fn(data)
    if isinstance(data, dict):
        return type(data)({k: _map_tensors(fn, v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_map_tensors(fn, d) for d in data))
    if isinstance(data, list | tuple):
        return type(data)(_map_tensors(fn, d) for d in data)
    return data


class _PostAccumulateHook:
    """A leaf's hook to run after its .grad is accumulated; kept in the leaf's hook list, which
    the engine's other hooks (run on the incoming gradient) skip."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _init(t, arr, grad_fn, out_nr):
    t._data = arr
    t._rg = grad_fn is not None
    t.grad = None
    t.grad_fn = grad_fn
    t._out_nr = out_nr
    t._vc = None
    t._hooks = None


_new = object.__new__


def _make(arr, grad_fn=None, out_nr=0) -> Tensor:
    """Wrap a backend array in a Tensor without copying (the internal constructor)."""
    if isinstance(arr, np.generic):
        arr = np.asarray(arr)
    t = _new(Tensor)
    t._data = arr
    t._rg = grad_fn is not None
    t.grad = None
    t.grad_fn = grad_fn
    t._out_nr = out_nr
    t._vc = None
    t._hooks = None
    return t


def _host(a):
    return backend_of(a).to_numpy(a)


def _data_ptr(a) -> int:
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return int(a.data.ptr)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def _same_device(a: device, b: device) -> bool:
    if a.type != b.type:
        return False
    return a.index == b.index or a.index is None or b.index is None and _default_index(b) == a.index


def _default_index(d: device) -> int:
    if d.type != "cuda":
        return 0
    from . import cuda

    return cuda.current_device()


def check_same_device(tensors) -> None:
    """Raise PyTorch's error when ``tensors`` live on more than one device."""
    t0 = type(tensors[0]._data)
    for t in tensors[1:]:
        if type(t._data) is not t0 or (t0 is not np.ndarray and t.device != tensors[0].device):
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{tensors[0].device} and {t.device}!"
            )


def _parse_to(*args, **kwargs):
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, D.dtype) or a in (float, int, bool):
            dt = a
        elif isinstance(a, (str, device, int)) and not isinstance(a, bool):
            dev = a
        elif isinstance(a, bool):
            pass
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    dev = as_device(dev)
    if dev is not None:
        get_backend(dev)  # fails clearly for an unavailable device
    return dev, (D.as_dtype(dt) if dt is not None else None), copy


from .autograd import function as _function  # noqa: E402

_function._bind_tensor()

from . import ops as _ops  # noqa: E402  (ops need Tensor defined first)

for _name in _ops.TENSOR_METHODS:
    setattr(Tensor, _name, getattr(_ops, _name))
for _name, _fn in _ops.METHOD_OVERRIDES.items():
    setattr(Tensor, _name, _fn)
del _name, _fn


def _linalg_method(name: str, module: str = "linalg"):
    def method(self, *args, **kwargs):
        import importlib  # loaded on first use, like ember.linalg

        return getattr(importlib.import_module(f"ember.{module}"), name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"See :func:`ember.{name}`."
    return method


for _name in ("det", "slogdet", "logdet", "inverse"):
    setattr(Tensor, _name, _linalg_method(_name))
# PyTorch's older spellings (x.svd() returns V, not Vh): ember/_linalg_compat.py
for _name in (
    "cholesky cholesky_solve cholesky_inverse qr svd pinverse matrix_power matrix_exp "
    "triangular_solve lu_solve"
).split():
    setattr(Tensor, _name, _linalg_method(_name, "_linalg_compat"))
for _name in "conj conj_physical angle isreal".split():
    setattr(Tensor, _name, _linalg_method(_name, "_complex"))
for _name in ("stft", "istft"):  # ember/_spectral.py, which loads ember.fft on first use
    setattr(Tensor, _name, _linalg_method(_name, "_spectral"))
Tensor.real = property(_linalg_method("real", "_complex"), doc="Real part (a view).")
Tensor.imag = property(_linalg_method("imag", "_complex"), doc="Imaginary part (a view).")
del _name
