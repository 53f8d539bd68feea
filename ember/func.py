"""Function transforms, as ``torch.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap and functional_call.

They are built on ember's reverse-mode autograd rather than on functorch-style transforms:

- Each differentiating transform runs the function on fresh leaves (or, when the input is
  itself being differentiated by an enclosing transform or by ordinary autograd, on views
  connected to it) and calls ``ember.autograd.grad``. Inside another transform the gradients are
  built with ``create_graph=True``, so ``grad(grad(f))`` and ``jacrev(jacrev(f))`` work.
- jvp uses the double-vjp trick and jacfwd is jacrev: same numbers, no forward mode.
- vmap loops over the mapped dimension and stacks the results (see its docstring).

Inputs and outputs may be nested tuples, lists and dicts of Tensors (pytrees), as in PyTorch.

Example:
    >>> from ember.func import grad, vmap
    >>> grad(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
    tensor([2., 4.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .autograd.engine import grad as _autograd_grad
from .autograd.grad_mode import enable_grad

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "vjp",
    "vmap",
]

# How many differentiating transforms are running the user's function right now: inside one,
# gradients must stay differentiable for the enclosing transform (create_graph=True).
_depth = [0]


def _tensor_cls():
    from ._tensor import Tensor

    return Tensor


# -- pytrees ------------------------------------------------------------------------------------


def _flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of nested tuples/lists/dicts, and a spec to rebuild the structure."""
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        leaves, specs = [], []
        for el in tree:
            lv, sp = _flatten(el)
            leaves += lv
            specs.append(sp)
        return leaves, (type(tree), None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for el in tree.values():
            lv, sp = _flatten(el)
            leaves += lv
            specs.append(sp)
        return leaves, (dict, list(tree), specs)
    return [tree], None


def _unflatten(leaves: list, spec: Any) -> Any:
    it = iter(leaves)

    def build(sp):
        if sp is None:
            return next(it)
        kind, keys, children = sp
        items = [build(c) for c in children]
        return dict(zip(keys, items)) if kind is dict else kind(items)

    return build(spec)


def _map(fn: Callable, tree: Any) -> Any:
    leaves, spec = _flatten(tree)
    return _unflatten([fn(x) for x in leaves], spec)


def _detach(tree: Any, keep: bool) -> Any:
    if keep:
        return tree
    Tensor = _tensor_cls()
    return _map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


# -- shared machinery of the differentiating transforms ------------------------------------------


def _check_argnums(argnums: Any, nargs: int) -> tuple[int, ...]:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        idx = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) for a in argnums):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        idx = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in idx:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    return tuple(a % nargs for a in idx)


def _leafify(x: Any) -> Any:
    """A Tensor to differentiate with respect to: connected to ``x``'s graph when ``x`` is being
    differentiated already (so an enclosing transform sees through), a fresh leaf otherwise."""
    Tensor = _tensor_cls()
    if not isinstance(x, Tensor):
        raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


class _Prepared:
    """The positional args with the differentiated ones (``argnums``) replaced by leaves."""

    def __init__(self, args: tuple, argnums: Any):
        Tensor = _tensor_cls()
        self.idx = _check_argnums(argnums, len(args))
        self.single = isinstance(argnums, int)
        diff = [args[i] for i in self.idx]
        leaves, self.spec = _flatten(diff)
        # inside another transform, or when the caller's autograd tracks an input, the results
        # must be differentiable again
        self.create_graph = _depth[0] > 0 or any(
            isinstance(t, Tensor) and t.requires_grad for t in _flatten(args)[0]
        )
        self.leaves = [_leafify(t) for t in leaves]
        diff = _unflatten(self.leaves, self.spec)
        new = list(args)
        for i, d in zip(self.idx, diff):
            new[i] = d
        self.args = tuple(new)

    def structure(self, per_leaf: list) -> Any:
        """Values (one per leaf) in the structure of the differentiated args."""
        tree = _unflatten(per_leaf, self.spec)
        return tree[0] if self.single else tuple(tree)


def _call(func: Callable, args: tuple, kwargs: dict) -> Any:
    _depth[0] += 1
    try:
        with enable_grad():
            return func(*args, **kwargs)
    finally:
        _depth[0] -= 1


def _grads(outputs: list, leaves: list, cotangents: Any, create_graph: bool) -> list:
    """d(outputs . cotangents)/d(leaves), zeros where a leaf does not influence the outputs."""
    keep = [i for i, o in enumerate(outputs) if o.requires_grad]
    got = [None] * len(leaves)
    if keep:
        got = _autograd_grad(
            [outputs[i] for i in keep],
            leaves,
            None if cotangents is None else [cotangents[i] for i in keep],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    return [g if g is not None else x.detach().new_zeros(x.shape) for g, x in zip(got, leaves)]


def _split_aux(out: Any, has_aux: bool, name: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{name}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return out


def _tensor_leaves(out: Any, name: str) -> tuple[list, Any]:
    Tensor = _tensor_cls()
    leaves, spec = _flatten(out)
    for t in leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(
                f"{name}: expected f(*primals) to return only tensors, got "
                f"unsupported type {type(t)}"
            )
    return leaves, spec


# -- the transforms ----------------------------------------------------------------------------


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient of func w.r.t. args[argnums], func(*args))``.

    ``func`` must return a scalar Tensor (or ``(scalar, aux)`` with ``has_aux``, and then the
    value is ``(scalar, aux)``).

    Example:
        >>> grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """

    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        Tensor = _tensor_cls()
        name = "grad_and_value(f)(*args)"
        p = _Prepared(args, argnums)
        output, aux = _split_aux(_call(func, p.args, kwargs), has_aux, name)
        if not isinstance(output, Tensor):
            raise RuntimeError(f"{name}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(
                f"{name}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        if has_aux:
            _tensor_leaves(aux, "grad_and_value(f)(*args)")
        gs = p.structure(_grads([output], p.leaves, None, p.create_graph))
        value = _detach(output, p.create_graph)
        if has_aux:
            return gs, (value, _detach(aux, p.create_graph))
        return gs, value

    return wrapper


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of the scalar ``func`` w.r.t. ``args[argnums]``
    (``(gradient, aux)`` with ``has_aux``).

    Example:
        >>> grad(lambda x: x.sin().sum())(ember.tensor([0.0]))
        tensor([1.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gs, value = gv(*args, **kwargs)
        return (gs, value[1]) if has_aux else gs

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``); ``vjp_fn(cotangents)`` returns
    the vector-Jacobian product as a tuple with one entry per primal.

    Example:
        >>> out, vjp_fn = vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
        >>> vjp_fn(ember.ones(2))
        (tensor([2., 4.]),)
    """
    name = "vjp(f, *primals)"
    p = _Prepared(primals, tuple(range(len(primals)))) if primals else None
    if p is None:
        raise RuntimeError("vjp(f, *primals): expected at least one primal")
    out, aux = _split_aux(_call(func, p.args, {}), has_aux, name)
    outs, out_spec = _tensor_leaves(out, name)
    if has_aux:
        _tensor_leaves(aux, name)
    create_graph = p.create_graph

    def vjp_fn(cotangents: Any, *, retain_graph: bool = True, create_graph: bool = create_graph):
        cots, cot_spec = _flatten(cotangents)
        if len(cots) != len(outs):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function: {len(outs)} outputs but {len(cots)} cotangents"
            )
        Tensor = _tensor_cls()
        return tuple(
            _unflatten(
                _grads(
                    outs,
                    p.leaves,
                    cots,
                    create_graph or any(isinstance(c, Tensor) and c.requires_grad for c in cots),
                ),
                p.spec,
            )
        )

    result = (_detach(out, create_graph), vjp_fn)
    return result + (_detach(aux, create_graph),) if has_aux else result


def jvp(
    func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False
) -> tuple:
    """``(func(*primals), J @ tangents)`` (and ``aux`` with ``has_aux``); ``primals`` and
    ``tangents`` are tuples. Computed by the double-vjp trick (no forward mode in ember).

    Example:
        >>> jvp(lambda x: x ** 2, (ember.tensor([1.0, 2.0]),), (ember.ones(2),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    for what, val in (("primals", primals), ("tangents", tangents)):
        if not isinstance(val, tuple):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected {what} to be a tuple. E.g. it should be "
                "valid to call f(*primals)."
            )
    if len(primals) != len(tangents):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same length, "
            f"got {len(primals)} and {len(tangents)}"
        )
    name = "jvp(f, primals, tangents)"
    p = _Prepared(primals, tuple(range(len(primals))))
    tans, _ = _flatten(tangents)
    for x, t in zip(p.leaves, tans):
        if tuple(t.shape) != tuple(x.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(x.shape)} while "
                f"the given forward gradient is of size {list(t.shape)}."
            )
    out, aux = _split_aux(_call(func, p.args, {}), has_aux, name)
    outs, out_spec = _tensor_leaves(out, name)
    # d<J^T u, t>/du = J t, for a dummy cotangent u (J^T u is linear in u)
    us = [o.detach().new_zeros(o.shape).requires_grad_(True) for o in outs]
    with enable_grad():
        jtu = _grads(outs, p.leaves, us, create_graph=True)
        res = _grads(jtu, us, tans, p.create_graph)
    result = (_detach(out, p.create_graph), _unflatten(res, out_spec))
    return result + (_detach(aux, p.create_graph),) if has_aux else result


def jacrev(
    func: Callable, argnums: Any = 0, *, has_aux: bool = False, chunk_size: int | None = None
) -> Callable:
    """A function returning the Jacobian of ``func`` w.r.t. ``args[argnums]``, by reverse mode
    (one backward pass per output element; ``chunk_size`` is accepted and changes nothing).

    Each output leaf becomes a Jacobian of shape ``out.shape + input.shape``, in the
    structure of the differentiated input (a tuple per argnum when ``argnums`` is a tuple).

    Example:
        >>> jacrev(lambda x: x ** 2)(ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from . import stack

        name = "jacrev(f)(*args)"
        p = _Prepared(args, argnums)
        out, aux = _split_aux(_call(func, p.args, kwargs), has_aux, name)
        outs, out_spec = _tensor_leaves(out, "vjp(f, *primals)")
        if has_aux:
            _tensor_leaves(aux, name)
        jac = []
        for o in outs:
            n = o.numel()
            rows: list[list] = [[] for _ in p.leaves]
            for k in range(n):
                onehot = o.detach().new_zeros(n)
                onehot[k] = 1
                for j, g in enumerate(
                    _grads([o], p.leaves, [onehot.view(o.shape)], p.create_graph)
                ):
                    rows[j].append(g)
            per_leaf = []
            for r, x in zip(rows, p.leaves):
                shape = tuple(o.shape) + tuple(x.shape)
                per_leaf.append(stack(r).view(shape) if r else x.detach().new_zeros(shape))
            jac.append(p.structure(per_leaf))
        jac = _detach(_unflatten(jac, out_spec), p.create_graph)
        return (jac, _detach(aux, p.create_graph)) if has_aux else jac

    return wrapper


def jacfwd(
    func: Callable, argnums: Any = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable:
    """The Jacobian, as ``torch.func.jacfwd``; ember computes it by reverse mode (``jacrev``),
    which gives the same result.

    Example:
        >>> jacfwd(lambda x: x.sum() * x)(ember.tensor([1.0, 2.0]))
        tensor([[4., 1.],
                [2., 5.]])
    """
    _check_randomness(randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """A function returning the Hessian of the scalar ``func`` w.r.t. ``args[argnums]``.

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# -- vmap ---------------------------------------------------------------------------------------


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )


def _broadcast_dims(dims: Any, tree: Any, where: str) -> list:
    """One in_dim per leaf of ``tree``: an int or None applies to a whole subtree."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_flatten(tree)[0])
    if (
        isinstance(dims, (tuple, list))
        and isinstance(tree, (tuple, list))
        and len(dims) == len(tree)
    ):
        return [d for sub_d, sub_t in zip(dims, tree) for d in _broadcast_dims(sub_d, sub_t, where)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in _broadcast_dims(dims[k], tree[k], where)]
    raise ValueError(
        f"{where}: in_dims is not compatible with the structure of `inputs`: in_dims is "
        f"{dims!r} for an input of type {type(tree).__name__}"
    )


def vmap(
    func: Callable,
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """Map ``func`` over dimension ``in_dims`` of its inputs and stack the results along
    ``out_dims``, as ``torch.func.vmap``.

    ``in_dims`` is an int, or a tuple with one entry per positional argument (an int, None for
    an unmapped argument, or a nested structure matching the argument); keyword arguments are
    not mapped. ``out_dims`` is an int or one entry per output (None: an output that does not
    depend on the mapped inputs, returned once).

    Note: ember has no batching rules; vmap calls ``func`` once per index of the mapped
    dimension and stacks the results. That is correct (gradients flow, and it nests) but not
    fast: B calls of the per-example function, not one batched call. ``randomness`` is checked;
    ``"same"`` replays the random state for every index, while ``"error"`` behaves like
    ``"different"`` (ember cannot detect random ops inside). ``chunk_size`` changes nothing.

    Example:
        >>> vmap(lambda row: row.sum())(ember.ones(3, 2))
        tensor([2., 2., 2.])
    """
    _check_randomness(randomness)
    name = getattr(func, "__name__", repr(func))

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from . import stack
        from .random import get_rng_state, set_rng_state

        Tensor = _tensor_cls()
        where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if not args:
            raise ValueError(
                f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
                "are trying to vmap over a function with no inputs. The latter is unsupported."
            )
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching "
                f"the structure of inputs, got: {type(in_dims)}."
            )
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`: "
                f"{len(in_dims)} in_dims for {len(args)} positional inputs"
            )
        leaves, spec = _flatten(args)
        dims = _broadcast_dims(in_dims, args, where)
        size = None
        sizes = []
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(
                    f"{where}: Got in_dim={d} for an input but the input is of type {type(x)}. "
                    "We cannot vmap over non-Tensor arguments, please use None as the "
                    "respective in_dim"
                )
            if not -x.dim() <= d < x.dim():
                raise ValueError(
                    f"{where}: Got in_dim={d} for some input, but that input is a Tensor of "
                    f"dimensionality {x.dim()} so expected in_dim to satisfy "
                    f"-{x.dim()} <= in_dim < {x.dim()}."
                )
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {sizes} for the mapped dimension"
            )
        size = sizes[0]

        def example(b: int) -> tuple:
            per = [
                x if d is None else (x.select(d, b) if size else x.sum(d) * 0)
                for x, d in zip(leaves, dims)
            ]
            return _unflatten(per, spec)

        rng = get_rng_state() if randomness == "same" else None
        results = []
        for b in range(max(size, 1)):  # an empty batch still runs once, for the output shapes
            if rng is not None:
                set_rng_state(rng)
            results.append(func(*example(b), **kwargs))

        out_leaves0, out_spec = _flatten(results[0])
        per_out = list(zip(*(_flatten(r)[0] for r in results)))
        if isinstance(out_dims, tuple):
            top = results[0] if isinstance(results[0], tuple) else (results[0],)
            if len(out_dims) != len(top):
                raise ValueError(
                    f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                    f"compatible with the structure of `outputs` ({len(top)} outputs)"
                )
            odims = _broadcast_dims(out_dims, top, f"vmap({name}, ...)")
        else:
            odims = [out_dims] * len(out_leaves0)
        stacked = []
        for vals, od in zip(per_out, odims):
            first = vals[0]
            if od is None:
                if not all(v is first or _same(v, first) for v in vals):
                    raise ValueError(
                        f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                        "out_dim is None"
                    )
                stacked.append(first)
                continue
            if not isinstance(first, Tensor):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                    f"{type(first)}. Did you mean to set out_dims= to None for output?"
                )
            out = stack(list(vals), od)
            stacked.append(out if size else out.narrow(od, 0, 0))
        return _unflatten(stacked, out_spec)

    return wrapper


def _same(a: Any, b: Any) -> bool:
    Tensor = _tensor_cls()
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and bool((a == b).all())
    return a == b


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given ones
    (a dict, or a tuple of dicts), as ``torch.func.functional_call``; see
    ``ember.nn.utils.stateless.functional_call``.

    Example:
        >>> m = ember.nn.Linear(2, 1)
        >>> params = {k: v.detach() for k, v in m.named_parameters()}
        >>> grad(lambda p: functional_call(m, p, (ember.ones(1, 2),)).sum())(params)["bias"]
        tensor([1.])
    """
    from .nn.utils.stateless import functional_call as _call_module

    return _call_module(
        module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights, strict=strict
    )
