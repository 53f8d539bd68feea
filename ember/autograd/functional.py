"""Higher-level autograd on functions, as ``torch.autograd.functional``: jacobian, hessian,
vector-Jacobian (vjp, vhp) and Jacobian-vector (jvp, hvp) products.

Everything is reverse mode: jvp and hvp use the double-vjp trick (the vjp ``u -> J^T u`` is
linear in ``u``, so differentiating ``<J^T u, v>`` with respect to ``u`` gives ``J v``).

Example:
    >>> from ember.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tensor_cls():
    from .._tensor import Tensor

    return Tensor


def _as_tuple(obj: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """(was it a tuple, the Tensors as a tuple); anything but a Tensor or a tuple of them raises."""
    Tensor = _tensor_cls()
    if isinstance(obj, Tensor):
        return False, (obj,)
    if not isinstance(obj, tuple):
        raise TypeError(
            f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
            f"the given {arg_name} has type {type(obj)}."
        )
    for i, el in enumerate(obj):
        if not isinstance(el, Tensor):
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the value at index {i} has type {type(el)}."
            )
    return True, obj


def _unpack(res: Any, to_unpack: Any) -> Any:
    """Undo _as_tuple on results: one flag per nesting level (outputs, then inputs)."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
        return res
    return res if to_unpack else res[0]


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh leaves to differentiate with respect to; with create_graph, an input that requires
    grad stays connected to its graph (through a view) so the results can be differentiated."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in inputs
    )


def _finish(res: Any, create_graph: bool) -> Any:
    """Detach the results (at any tuple depth) unless the caller asked for a graph."""
    if isinstance(res, tuple):
        return tuple(_finish(r, create_graph) for r in res)
    return res if create_graph or res is None else res.detach()


def _output_and_result(outputs, out_tuple: bool, res, res_tuple: bool, create_graph: bool):
    """vjp/jvp/vhp/hvp's ``(func(inputs), product)``, finished and unpacked like their args."""
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(
        _finish(res, create_graph), res_tuple
    )


def _check_v(v: tuple, other: tuple, is_tuple: bool) -> None:
    if len(v) != len(other):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
        )
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            where = f"Entry {i} in v" if is_tuple else "v"
            raise RuntimeError(f"{where} has invalid size: should be {b.shape} but got {a.shape}.")


_FUNCTION_RETURNS = "the user-provided function returns"
_INPUT_IS = "the input to the user-provided function is"


def _prepare_v(v: Any, like: tuple, like_tuple: bool, create_graph: bool, name: str, what: str):
    """``v`` as a tuple checked against ``like`` (outputs or inputs); None only when ``like``
    is one one-element Tensor (``what`` names it in the error)."""
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _prepare(v, create_graph, False)
        _check_v(v, like, like_tuple)
    elif len(like) != 1 or like[0].numel() != 1:
        raise RuntimeError(
            f"The vector v can only be None if {what} a single Tensor with a single element."
        )
    return v


def _check_requires_grad(tensors: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None or t.requires_grad:
            continue
        if kind == "outputs":
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when running "
                "in strict mode."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. The function must be twice differentiable and its "
                "jacobian must depend on the inputs (a linear function violates this)."
            )
        raise RuntimeError(
            f"The hessian of the user-provided function with respect to input {i} is "
            "independent of the input. This is not allowed in strict mode."
        )


def _vjp_raw(outputs: tuple, inputs: tuple, grad_outputs: Any, create_graph: bool, retain=None):
    """autograd.grad over the outputs that require grad; None for every unused input."""
    keep = [i for i, o in enumerate(outputs) if o is not None and o.requires_grad]
    if not keep:
        return (None,) * len(inputs)
    outs = [outputs[i] for i in keep]
    gos = None if grad_outputs is None else [grad_outputs[i] for i in keep]
    return _grad(
        outs, inputs, gos, retain_graph=retain, create_graph=create_graph, allow_unused=True
    )


_STRICT_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}.",
    "back_trick": (
        "The gradient with respect to the input is independent of entry {i} in the "
        "grad_outputs when using the double backward trick to compute forward mode gradients."
    ),
    "double_back": "The jacobian of the user-provided function is independent of input {i}.",
    "double_back_trick": (
        "The hessian of the user-provided function is independent of entry {i} in the "
        "grad_jacobian, which the double backward trick needs to replace forward mode AD."
    ),
}


def _zeros_for_none(grads: tuple, refs: tuple, strict: bool, stage: str) -> tuple:
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    _STRICT_MESSAGES[stage].format(i=i) + " This is not allowed in strict mode."
                )
            g = r.new_zeros(r.shape)
        out.append(g)
    return tuple(out)


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product of ``func`` at ``inputs``.

    ``v`` has the outputs' shapes; it may be None when ``func`` returns a one-element Tensor.

    Example:
        >>> vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, out_tuple, create_graph, "vjp", _FUNCTION_RETURNS)
        res = _vjp_raw(outputs, inputs, v, create_graph)
        res = _zeros_for_none(res, inputs, strict, "back")
    return _output_and_result(outputs, out_tuple, res, in_tuple, create_graph)


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``v`` has the inputs' shapes; it may be None when the input is one one-element Tensor.

    Example:
        >>> jvp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _prepare_v(v, inputs, in_tuple, create_graph, "jvp", _INPUT_IS)
        if v is None:
            v = (inputs[0].detach().new_ones(inputs[0].shape),)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        # u: a dummy cotangent; J^T u is linear in u, and d<J^T u, v>/du = J v
        us = tuple(o.detach().new_zeros(o.shape).requires_grad_(True) for o in outputs)
        jtu = _vjp_raw(outputs, inputs, us, create_graph=True)
        _zeros_for_none(jtu, inputs, strict, "back_trick")
        res = _vjp_raw(jtu, us, v, create_graph=create_graph)
        res = _zeros_for_none(res, outputs, strict, "back_trick")
    return _output_and_result(outputs, out_tuple, res, out_tuple, create_graph)


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (a plain Tensor when both are single Tensors).

    Computed by one reverse pass per output element. ``vectorize`` is accepted and changes
    nothing; ``strategy="forward-mode"`` needs ``vectorize=True`` (as in PyTorch) and then gives
    the same numbers by reverse mode.

    Example:
        >>> jacobian(lambda x: x.sum() * x, ember.tensor([1.0, 2.0]))
        tensor([[4., 1.],
                [2., 5.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        # an AssertionError, as PyTorch's
        raise AssertionError(
            f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}.'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "jacobian with strategy='forward-mode' does not support create_graph=True."
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
                "implemented for `vectorize=True`."
            )
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict)
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            n = out.numel()
            for k in range(n):
                onehot = out.detach().new_zeros(n)
                onehot[k] = 1
                gs = _vjp_raw((out,), inputs, (onehot.view(out.shape),), create_graph, True)
                for j, (g, inp) in enumerate(zip(gs, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = inp.detach().new_zeros(inp.shape)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of input "
                            f"{j}. This is not allowed in strict mode when create_graph=True."
                        )
                    rows[j].append(g)
            jac.append(
                tuple(
                    _stack_rows(r, tuple(out.shape) + tuple(inp.shape), inp)
                    for r, inp in zip(rows, inputs)
                )
            )
        jac = tuple(jac)
    return _unpack(_finish(jac, create_graph), (out_tuple, in_tuple))


def _stack_rows(rows: list, shape: tuple, like: Any) -> Any:
    from .. import stack

    if not rows:  # an empty output
        return like.detach().new_zeros(shape)
    return stack(rows).view(shape)


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``: ``H[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape`` (a plain Tensor for a single input).

    Example:
        >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    Tensor = _tensor_cls()
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*inp):
        out = func(*inp)
        is_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def jac_func(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(res, (in_tuple, in_tuple))


def _scalar_output(func: Callable, inputs: tuple, strict: bool, name: str) -> tuple:
    Tensor = _tensor_cls()
    out = func(*inputs)
    is_tuple, outputs = _as_tuple(out, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    if is_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )
    return is_tuple, outputs


def _hessian_setup(func, inputs, v, create_graph, strict, name):
    in_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph, True)
    v = _prepare_v(v, inputs, in_tuple, create_graph, name, _INPUT_IS)
    out_tuple, outputs = _scalar_output(func, inputs, strict, name)
    jac = _vjp_raw(outputs, inputs, None, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return in_tuple, inputs, v, out_tuple, outputs, jac


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T H)``: the vector-Hessian product of a scalar function.

    Example:
        >>> vhp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _hessian_setup(
            func, inputs, v, create_graph, strict, "vhp"
        )
        res = _vjp_raw(jac, inputs, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, "double_back")
    return _output_and_result(outputs, out_tuple, res, in_tuple, create_graph)


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), H v)``: the Hessian-vector product of a scalar function, by the
    double-vjp trick.

    Example:
        >>> hvp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _hessian_setup(
            func, inputs, v, create_graph, strict, "hvp"
        )
        us = tuple(t.detach().new_zeros(t.shape).requires_grad_(True) for t in inputs)
        hu = _vjp_raw(jac, inputs, us, create_graph=True)
        _check_requires_grad(hu, "hessian", strict)
        res = _vjp_raw(hu, us, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, "double_back_trick")
    return _output_and_result(outputs, out_tuple, res, in_tuple, create_graph)
