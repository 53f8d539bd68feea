"""Optimizer: the base class of every optimizer (parameter groups, state, checkpoints, hooks).

Updates run on the raw backend arrays (``p._data``, ``p.grad._data``) with in-place ufuncs, so a
step allocates almost nothing: see NOTE [ Chunked updates ].
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import device_of, transfer, xp_of


class _RequiredParameter:
    """A default that each parameter group must set (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks: dict[int, Callable] = OrderedDict()
_global_step_post_hooks: dict[int, Callable] = OrderedDict()


class _Handle:
    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _Handle._next_id
        _Handle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks: dict, hook: Callable, prepend: bool = False) -> _Handle:
    handle = _Handle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> _Handle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``.

    Example:
        >>> h = ember.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: None)
        >>> h.remove()
    """
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> _Handle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    return _add_hook(_global_step_post_hooks, hook)


def _wrap_step(step: Callable) -> Callable:
    # Every subclass's step runs under no_grad, with the hooks around the outermost call only
    # (a subclass whose step calls super().step() must not run them twice).
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._in_step:
            return step(self, *args, **kwargs)
        for hook in chain(_global_step_pre_hooks.values(), self._step_pre_hooks.values()):
            out = hook(self, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(
                        "hook must return None or a tuple of (new_args, new_kwargs), but got "
                        f"{out}."
                    )
                args, kwargs = out
        self._in_step = True
        try:
            with no_grad():
                result = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        self._opt_called = True
        for hook in chain(self._step_post_hooks.values(), _global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return result

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each
    define a parameter group with its own options (missing options come from ``defaults``).
    ``state`` maps each parameter to its per-parameter buffers.

    Example:
        >>> w = ember.zeros(3, requires_grad=True)
        >>> opt = ember.optim.SGD([{"params": [w], "lr": 0.1}], lr=0.01)
        >>> opt.param_groups[0]["lr"]
        0.1
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {params.type()}"
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _wrap_step(step)

    def _init_hooks(self) -> None:
        self._step_pre_hooks: dict[int, Callable] = OrderedDict()
        self._step_post_hooks: dict[int, Callable] = OrderedDict()
        self._state_dict_pre_hooks: dict[int, Callable] = OrderedDict()
        self._state_dict_post_hooks: dict[int, Callable] = OrderedDict()
        self._load_state_dict_pre_hooks: dict[int, Callable] = OrderedDict()
        self._load_state_dict_post_hooks: dict[int, Callable] = OrderedDict()
        self._in_step = False
        self._scratch: dict = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_step_pre_hooks" not in self.__dict__:
            self._init_hooks()

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            out += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return out + ")"

    # -- parameter groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a new layer when fine-tuning).

        Example:
            >>> opt = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1)
            >>> opt.add_param_group({"params": [ember.zeros(3, requires_grad=True)], "lr": 0.01})
            >>> [g["lr"] for g in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {kind} to the optimizer"
                )
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to ``None`` by default, else to zeros).

        Example:
            >>> w = ember.ones(2, requires_grad=True); w.sum().backward()
            >>> opt = ember.optim.SGD([w], lr=0.1); opt.zero_grad(); w.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data.fill(0)
                    g._bump()

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model, returns the loss."""
        raise NotImplementedError

    # -- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state and options in PyTorch's layout.

        ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, where
        parameters are numbered in group order, so the dict does not depend on object identity.

        Example:
            >>> w = ember.zeros(2, requires_grad=True)
            >>> ember.optim.SGD([w], lr=0.1).state_dict()["param_groups"][0]["params"]
            [0]
        """
        for hook in self._state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(k)] if isinstance(k, Tensor) else k: v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._state_dict_post_hooks.values():
            out = hook(self, sd)
            if out is not None:
                sd = out
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (ember's or PyTorch's) so training resumes exactly.

        Buffers are copied and cast to each parameter's dtype and device (``step`` counters stay
        as saved).

        Example:
            >>> w = ember.zeros(2, requires_grad=True)
            >>> opt = ember.optim.Adam([w]); opt.load_state_dict(opt.state_dict())
        """
        state_dict = state_dict.copy()
        for hook in self._load_state_dict_pre_hooks.values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v)
            else:
                state[k] = v
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.state = state
        self.param_groups = saved_groups
        for hook in self._load_state_dict_post_hooks.values():
            hook(self)

    # -- hooks -----------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> _Handle:
        """Register ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return new
        ``(args, kwargs)``.

        Example:
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_step_pre_hook(lambda o, a, k: None); h.remove()
        """
        return _add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _Handle:
        """Register ``hook(optimizer, args, kwargs)`` to run after ``step``."""
        return _add_hook(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Register ``hook(optimizer)`` to run before ``state_dict`` builds its result."""
        return _add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Register ``hook(optimizer, state_dict)``; a non-None result replaces the state dict."""
        return _add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Register ``hook(optimizer, state_dict)`` to run before loading; it may return a new
        state dict."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Register ``hook(optimizer)`` to run after ``load_state_dict``."""
        return _add_hook(self._load_state_dict_post_hooks, hook, prepend)

    # -- helpers for subclasses ------------------------------------------------------------------
    def _apply(self, kernel: Callable, arrays: list, n_scratch: int, *args) -> None:
        """Run ``kernel(*arrays, *scratch, *args)``, in cache-sized slices on the CPU.

        NOTE [ Chunked updates ]: an update is a dozen in-place ufunc passes over the parameter
        and its buffers. Over a large NumPy parameter each pass streams every array through
        memory; run slice by slice (256 KiB per array), the slices stay in the CPU cache between
        passes (Adadelta on the MNIST net's 1.2M parameters: 30% less time than whole-array
        passes, half that of NumPy code with a fresh temporary per operation), and the scratch
        is allocated once per optimizer instead of once per step. CuPy runs each pass as one
        kernel over the whole array, with scratch from its memory pool.
        """
        a0 = arrays[0]
        if type(a0) is np.ndarray and all(a.flags.c_contiguous for a in arrays):
            n = a0.size
            chunk = max(1024, _CHUNK_BYTES // a0.itemsize)
            flat = [a.reshape(-1) for a in arrays]
            scratch = self._scratch_buffers(a0.dtype, n_scratch, min(n, chunk))
            if n <= chunk:
                kernel(*flat, *[b[:n] for b in scratch], *args)
                return
            for s in range(0, n, chunk):
                e = min(s + chunk, n)
                kernel(*[f[s:e] for f in flat], *[b[: e - s] for b in scratch], *args)
        else:
            xp = xp_of(a0)
            kernel(*arrays, *[xp.empty(a0.shape, a0.dtype) for _ in range(n_scratch)], *args)

    def _scratch_buffers(self, dtype, count: int, size: int) -> list:
        # Grown on demand, per dtype; not part of the optimizer's state (see __getstate__).
        bufs = self.__dict__.setdefault("_scratch", {}).get(dtype)
        if bufs is None or len(bufs) < count or bufs[0].size < size:
            size = max(size, bufs[0].size if bufs else 0)
            bufs = [np.empty(size, dtype) for _ in range(max(count, len(bufs or ())))]
            self._scratch[dtype] = bufs
        return bufs


_CHUNK_BYTES = 1 << 18


def _cast_state(param: Tensor, value, key=None):
    # A copy of a saved state value with its tensors on the parameter's device (floating ones in
    # its dtype); ``step`` counters keep their own dtype, as in PyTorch.
    if isinstance(value, Tensor):
        arr = value._data
        if key != "step" and param.is_floating_point() and arr.dtype.kind in "fc":
            arr = arr.astype(param._data.dtype)
        if key != "step":
            arr = transfer(arr, device_of(param._data))
        out = _make(arr.copy())
        out._rg = value._rg
        return out
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _scalar(v) -> float:
    """A hyperparameter as a Python number (tensor learning rates are allowed)."""
    return v.item() if isinstance(v, Tensor) else v


def _scalar_as_torch(v):
    """A hyperparameter as PyTorch computes with it: a tensor lr becomes a NumPy scalar of its
    dtype, so arithmetic with Python floats rounds to that dtype as PyTorch's 0-d tensors do."""
    if isinstance(v, Tensor):
        return np.dtype(v._data.dtype).type(v.item())
    return v


def _real(a):
    # Complex parameters are updated as pairs of reals, as PyTorch's view_as_real.
    if a.dtype.kind == "c":
        return a.view(a.real.dtype)
    return a


def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
    xp = xp_of(p._data)
    return _make(xp.full(p._data.shape, fill, p._data.dtype))


def _step_tensor() -> Tensor:
    # Step counters are float32 scalars on the CPU, as PyTorch's (not capturable) optimizers keep.
    return _make(np.zeros((), np.float32))


def _incr(state: dict) -> float:
    """Advance the step counter and return the new step number."""
    step = state["step"]
    if not isinstance(step, Tensor):  # old checkpoints kept a Python number
        step = state["step"] = _make(np.asarray(float(step), np.float32))
    step._data += 1
    return float(step._data)


def _grad_in(g, p, weight_decay: float, maximize: bool, out):
    """The gradient with maximize and L2 weight decay applied (``g`` itself when neither is)."""
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=out)
        (np.subtract if maximize else np.add)(out, g, out=out)
        return out
    if maximize:
        return np.negative(g, out=out)
    return g


def _lerp_(a, b, w: float, tmp) -> None:
    """``a += w * (b - a)`` in place, rounded as PyTorch's lerp_."""
    np.subtract(b, a, out=tmp)
    if w < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1 - w
        np.subtract(b, tmp, out=a)


def _adam_moments(p, g, m, v, t0, t1, decay: float, wd: float, maximize: bool, beta1, beta2):
    """Adam's first steps (Adam, RAdam, NAdam): decay ``p``, then update ``m`` and ``v``.

    ``m`` moves towards the gradient by ``1 - beta1``; ``v = beta2 * v + (1 - beta2) * g * g``.
    Returns the gradient as used (with maximize and L2 weight decay applied).
    """
    if decay != 1.0:
        p *= decay
    g = _grad_in(g, p, wd, maximize, t0)
    _lerp_(m, g, 1 - beta1, t1)
    v *= beta2
    np.multiply(g, g, out=t1)
    t1 *= 1 - beta2
    v += t1
    return g


def _check(ok: bool, what: str, value) -> None:
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


_CHECK_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def _check_nonnegative(**values) -> None:
    """ValueError ``Invalid <what>: <value>`` for the first ``name=value`` below 0 (or nan); pass
    them in PyTorch's order so the same one is named. lr may be a tensor."""
    for name, value in values.items():
        ok = 0.0 <= (_scalar(value) if name == "lr" else value)
        _check(ok, _CHECK_NAMES.get(name, f"{name} value"), value)


def _check_betas(betas) -> None:
    for i in (0, 1):
        _check(0.0 <= betas[i] < 1.0, f"beta parameter at index {i}", betas[i])


def _check_adam_args(lr, eps, betas, weight_decay) -> None:
    """The checks that Adam, RAdam, NAdam and Adamax share, in PyTorch's order."""
    _check_nonnegative(lr=lr, eps=eps)
    _check_betas(betas)
    _check_nonnegative(weight_decay=weight_decay)


def _closure_loss(closure: Callable | None):
    """The loss ``closure()`` returns, evaluated with grad enabled; None without a closure."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _params_with_grad(group: dict):
    for p in group["params"]:
        if p.grad is not None:
            if getattr(p.grad, "is_sparse", False):
                raise RuntimeError("sparse gradients are not supported")
            yield p
