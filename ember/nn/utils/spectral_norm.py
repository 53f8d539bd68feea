"""The hook-based spectral normalization of older PyTorch (``weight_orig``, ``weight_u/_v``)."""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _check_power_iterations, _dim_first, _is_conv_transpose
from .weight_norm import _check_no_hook, _remove_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / sigma``."""

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ):
        _check_power_iterations(n_power_iterations)
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """``weight`` with ``dim`` moved first, flattened to (size(dim), -1)."""
        weight = _dim_first(weight, self.dim)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool):
        """``<name>_orig / sigma``, first updating ``u`` and ``v`` in place when asked."""
        from ...ops.linalg import dot

        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps, out=v)
                    F.normalize(weight_mat.mv(v), dim=0, eps=self.eps, out=u)
            # Clones: the next forward overwrites the buffers that backward would need.
            u, v = u.clone(), v.clone()
        sigma = dot(u, weight_mat.mv(v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        """Turn ``module.<name>`` back into a plain Parameter holding the normalized weight."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float):
        """Move ``module.<name>`` to ``<name>_orig``, add the ``u``/``v`` buffers and the hook."""
        _check_no_hook(module, SpectralNorm, name, "spectral_norm")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # A plain attribute until the first forward computes it (as in PyTorch).
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm (power iteration) before every forward.

    The older hook-based API: the state_dict holds ``<name>_orig`` and the buffers ``<name>_u``,
    ``<name>_v`` like PyTorch's. Training-mode forwards run ``n_power_iterations`` steps; eval
    mode reuses the stored vectors.

    Example:
        >>> m = ember.nn.utils.spectral_norm(ember.nn.Linear(4, 3))
        >>> list(m.state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`, leaving the current normalized weight as a Parameter.

    Example:
        >>> m = ember.nn.utils.spectral_norm(ember.nn.Linear(4, 3))
        >>> list(ember.nn.utils.remove_spectral_norm(m).state_dict())
        ['bias', 'weight']
    """
    return _remove_hook(module, SpectralNorm, name, "spectral_norm")
