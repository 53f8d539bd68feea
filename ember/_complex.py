"""Complex basics: real, imag, conj, angle, polar, complex, view_as_real, view_as_complex.

Each has its own backward in PyTorch's convention (a real loss L of z = x + iy has gradient
dL/dx + i dL/dy), so it does not rely on the complex backward of the arithmetic ops.
``real``/``imag``/``view_as_real``/``view_as_complex`` share memory with their input, as
PyTorch's views do (an in-place write to one shows in the other's values).

Example:
    >>> ember.real(ember.tensor([1 + 2j]))
    tensor([1.])
"""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from .autograd.function import Primitive
from .ops._util import Tensor, _make, xp_of

_TO_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _need_complex(x, fn):
    if not x.is_complex():
        raise RuntimeError(f"{fn} is not implemented for tensors with non-complex dtypes.")


class _Real(Primitive):
    @staticmethod
    def forward(ctx, z):
        return z.real

    @staticmethod
    def backward(ctx, g):
        return _Complex.apply(g, g.new_zeros(()).expand(*g.shape))


class _Imag(Primitive):
    @staticmethod
    def forward(ctx, z):
        return z.imag

    @staticmethod
    def backward(ctx, g):
        return _Complex.apply(g.new_zeros(()).expand(*g.shape), g)


class _Conj(Primitive):
    @staticmethod
    def forward(ctx, z):
        return xp_of(z).conj(z)

    @staticmethod
    def backward(ctx, g):
        return _Conj.apply(g)


class _Complex(Primitive):
    @staticmethod
    def forward(ctx, re, im):
        xp = xp_of(re)
        out = xp.empty(np.broadcast_shapes(re.shape, im.shape), dtype=_TO_COMPLEX[re.dtype])
        out.real, out.imag = re, im
        return out

    @staticmethod
    def backward(ctx, g):
        return _Real.apply(g), _Imag.apply(g)


class _ViewAsReal(Primitive):
    @staticmethod
    def forward(ctx, z):
        return z.view(z.real.dtype).reshape(*z.shape, 2)

    @staticmethod
    def backward(ctx, g):
        return _ViewAsComplex.apply(g.contiguous())


class _ViewAsComplex(Primitive):
    @staticmethod
    def forward(ctx, x):
        return x.view(_TO_COMPLEX[x.dtype])[..., 0]

    @staticmethod
    def backward(ctx, g):
        return _ViewAsReal.apply(g)


def real(input: Tensor) -> Tensor:
    """Real part (``input`` itself for real tensors); shares memory with ``input``.

    Example:
        >>> ember.real(ember.tensor([1 + 2j, 3 - 1j]))
        tensor([1., 3.])
    """
    return _Real.apply(input) if input.is_complex() else input


def imag(input: Tensor) -> Tensor:
    """Imaginary part of a complex tensor; shares memory with ``input``.

    Example:
        >>> ember.imag(ember.tensor([1 + 2j]))
        tensor([2.])
    """
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _Imag.apply(input)


def conj(input: Tensor) -> Tensor:
    """Complex conjugate (``input`` itself for real tensors).

    ember has no lazy conjugate bit: the result is a new tensor, as :func:`conj_physical`'s.

    Example:
        >>> ember.conj(ember.tensor([1 + 2j]))
        tensor([1.-2.j])
    """
    return _Conj.apply(input) if input.is_complex() else input


def conj_physical(input: Tensor) -> Tensor:
    """Complex conjugate, always computed (a real ``input`` is returned unchanged).

    Example:
        >>> ember.conj_physical(ember.tensor([1 - 1j]))
        tensor([1.+1.j])
    """
    return conj(input)


def angle(input: Tensor) -> Tensor:
    """Argument (phase) in radians; for real tensors 0, or pi where ``input < 0``.

    Example:
        >>> ember.angle(ember.tensor([1j, -1.0]))
        tensor([1.5708, 3.1416])
    """
    from .ops.elementwise import atan2, where

    if input.is_complex():
        return atan2(_Imag.apply(input), _Real.apply(input))
    if not input.is_floating_point():
        input = input.to(D.get_default_dtype())
    pi = input.new_full((), np.pi)
    return where(input < 0, pi, where(input.isnan(), input, input * 0)).detach()


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002 (PyTorch's names)
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``.

    Example:
        >>> ember.polar(ember.tensor([2.0]), ember.tensor([0.0]))
        tensor([2.+0.j])
    """
    return complex(abs * angle.cos(), abs * angle.sin())


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001
    """The complex tensor ``real + i imag`` (float32 gives complex64, float64 complex128).

    Example:
        >>> ember.complex(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([1.+2.j])
    """
    if real.dtype != imag.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {real.dtype.scalar_name} but got scalar type "
            f"{imag.dtype.scalar_name} for second argument"
        )
    if real.dtype not in (D.float32, D.float64):
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{real.dtype.scalar_name} and {imag.dtype.scalar_name}"
        )
    return _Complex.apply(real, imag)


def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor as a real one with a last dim of 2 (real, imag); shares memory.

    Example:
        >>> ember.view_as_real(ember.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _ViewAsReal.apply(input if input._data.flags.c_contiguous else input.contiguous())


def view_as_complex(input: Tensor) -> Tensor:
    """A real tensor with a last dim of 2 as a complex one; shares memory.

    Example:
        >>> ember.view_as_complex(ember.tensor([[1.0, 2.0]]))
        tensor([1.+2.j])
    """
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError(
            "view_as_complex is only supported for float and double tensors, but got a tensor "
            f"of scalar type: {input.dtype.scalar_name}"
        )
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if not input._data.flags.c_contiguous:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    return _ViewAsComplex.apply(input)


def isreal(input: Tensor) -> Tensor:
    """Elementwise: whether the value is real (imaginary part 0; always True for real dtypes).

    Example:
        >>> ember.isreal(ember.tensor([1 + 0j, 1j]))
        tensor([ True, False])
    """
    xp = xp_of(input._data)
    if input.is_complex():
        return _make(input._data.imag == 0)
    return _make(xp.ones(input.shape, dtype=bool))
