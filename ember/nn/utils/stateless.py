"""functional_call: run a module with some parameters and buffers swapped for given tensors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..._tensor import Tensor
from ..modules.module import Module
from . import parametrize

__all__ = ["functional_call"]

_MISSING = object()


def _tie(module: Module, values: dict[str, Tensor]) -> dict[str, Tensor]:
    # Names that share one tensor in the module (tied weights) all take the value given for any
    # of them; two different values for one tied group are ambiguous.
    groups: dict[int, list[str]] = {}
    named = [
        *module.named_parameters(remove_duplicate=False),
        *module.named_buffers(remove_duplicate=False),
    ]
    for name, t in named:
        groups.setdefault(id(t), []).append(name)
    out = dict(values)
    for names in groups.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if any(values[n] is not values[given[0]] for n in given):
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(given)}, which are tied. "
                "Consider using tie_weights=False"
            )
        for n in names:
            out.setdefault(n, values[given[0]])
    return out


def _check_strict(module: Module, values: Mapping[str, Tensor]) -> None:
    names = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    names |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    unexpected = sorted(set(values) - names)
    missing = sorted(names - set(values))
    msgs = []
    if unexpected:
        msgs.append("Unexpected key(s): {}.".format(", ".join(map(repr, unexpected))))
    if missing:
        msgs.append("Missing key(s): {}.".format(", ".join(map(repr, missing))))
    if msgs:
        raise RuntimeError(
            f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs)
        )


def _owner(module: Module, name: str) -> tuple[Module, str]:
    path, _, attr = name.rpartition(".")
    sub, walked = module, []
    for part in path.split(".") if path else []:
        if not hasattr(sub, part):
            raise AttributeError(f"{sub._get_name()} has no attribute `{part}`")
        walked.append(part)
        nxt = getattr(sub, part)
        if not isinstance(nxt, Module):
            raise TypeError(
                f"submodule `{'.'.join(walked)}`: {nxt} is not an instance of torch.nn.Module"
            )
        sub = nxt
    return sub, attr


@contextmanager
def _reparametrize_module(
    module: Module, values: Mapping[str, Tensor], *, tie_weights: bool, strict: bool
):
    values = _tie(module, dict(values)) if tie_weights else dict(values)
    if strict:
        _check_strict(module, values)
    undo = []  # callables that put the module back, run last-first
    try:
        for name, value in values.items():
            sub, attr = _owner(module, name)
            if attr in sub._parameters or attr in sub._buffers:
                store = sub._parameters if attr in sub._parameters else sub._buffers
                undo.append(
                    lambda store=store, attr=attr, old=store[attr]: store.__setitem__(attr, old)
                )
                store[attr] = value
            elif parametrize.is_parametrized(sub, attr):
                # As torch: the value is assigned (through right_inverse, without autograd) and
                # the originals get the gradient; their old memory is put back afterwards.
                plist = sub.parametrizations[attr]
                names = (
                    ["original"]
                    if plist.is_tensor
                    else [f"original{i}" for i in range(plist.ntensors)]
                )
                saved = [(t, t._data) for t in (getattr(plist, n) for n in names)]
                undo.append(lambda saved=saved: _restore_data(saved))
                setattr(sub, attr, value)
            else:
                old = sub.__dict__.get(attr, _MISSING)
                undo.append(lambda sub=sub, attr=attr, old=old: _restore_attr(sub, attr, old))
                sub.__dict__[attr] = value
        yield
    finally:
        for fn in reversed(undo):
            fn()


def _restore_data(saved: list[tuple[Tensor, Any]]) -> None:
    for t, arr in saved:
        t._data = arr


def _restore_attr(sub: Module, attr: str, old: Any) -> None:
    if old is _MISSING:
        sub.__dict__.pop(attr, None)
    else:
        sub.__dict__[attr] = old


def _functional_call(
    module: Module,
    parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    if isinstance(parameter_and_buffer_dicts, Mapping):
        values = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        values, seen = {}, set()
        dups = []
        for d in parameter_and_buffer_dicts:
            dups += [k for k in d if k in seen]
            seen |= set(d)
            values.update(d)
        if dups:
            raise ValueError(
                f"{sorted(set(dups))} appeared in multiple dictionaries; behavior of functional "
                "call is ambiguous"
            )
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, values, tie_weights=tie_weights, strict=strict):
        return module(*args, **(kwargs or {}))


def functional_call(
    module: Module,
    parameters_and_buffers: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module(*args, **kwargs)`` with the named parameters/buffers replaced for this call.

    Gradients flow to the given tensors; the module's own ones are restored afterwards. With
    ``tie_weights`` a value given for one of several tied names serves all of them; ``strict``
    requires every parameter and buffer to be given. A tuple of dicts is accepted too, as
    ``torch.func.functional_call`` does.

    Example:
        >>> m = ember.nn.Linear(2, 1)
        >>> functional_call(m, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)},
        ...                 (ember.ones(1, 2),))
        tensor([[2.]])
    """
    return _functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
