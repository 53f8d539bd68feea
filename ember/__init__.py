"""ember: a small deep-learning framework with PyTorch's API, on NumPy (CPU) and CuPy (CUDA).

Example:
    >>> import ember as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

from . import _dtype, _malloc

_malloc.tune()  # NOTE [ malloc tuning ] in _malloc.py


def _quiet_numpy_floating_point_warnings() -> None:
    # log(0), x / 0, sqrt(-1) give -inf / inf / nan silently in PyTorch; NumPy warns, and its
    # warnings point at the ember line that called it. Ignoring RuntimeWarnings attributed to
    # ember's own modules costs nothing per op (np.errstate around each op would add ~1.3 us to
    # a 1.5-2.5 us op); the user's own NumPy code keeps its warnings.
    import warnings

    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")


_quiet_numpy_floating_point_warnings()
from ._device import device, get_default_device, set_default_device
from ._dtype import (
    bfloat16,
    can_cast,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from ._dtype import bool_ as bool  # noqa: A001  (ember.bool, as torch.bool)
from ._format import set_printoptions
from ._layout import layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided
from ._tensor import Size, Tensor
from .autograd import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd import set_detect_anomaly as set_anomaly_enabled
from .ops import *  # noqa: F401,F403

# the star import brings ember.ops.linalg; ember.linalg is torch.linalg, loaded lazily (_LAZY)
del linalg  # noqa: F821
from .ops import range_ as range  # noqa: A001
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128
__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor.

    Example:
        >>> ember.is_tensor(ember.zeros(1))
        True
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """Number of elements of ``input``."""
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input`` has a floating dtype."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype."""
    return input.is_complex()


def set_num_threads(n: int) -> None:
    """Set how many threads BLAS (NumPy's matrix products) may use.

    Needs threadpoolctl (in the ``test`` extra); without it a warning says nothing changed.
    One thread is often faster on cores shared with other busy processes (benchmarks/NOTES.md).

    Example:
        >>> ember.set_num_threads(1)  # doctest: +SKIP
    """
    import builtins
    import warnings

    if isinstance(n, builtins.bool) or not isinstance(n, builtins.int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn(
            "ember.set_num_threads needs threadpoolctl (pip install threadpoolctl) to reach "
            "NumPy's BLAS; the thread count is unchanged. OPENBLAS_NUM_THREADS / "
            "OMP_NUM_THREADS set before start-up work too.",
            stacklevel=2,
        )
        return
    threadpool_limits(n, user_api="blas")


def get_num_threads() -> int:
    """How many threads BLAS may use (the CPUs this process may run on, without threadpoolctl).

    Example:
        >>> ember.get_num_threads() >= 1
        True
    """
    import builtins
    import os

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return builtins.max(counts)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


_LAZY = {
    "nn": ".nn",
    "optim": ".optim",
    "cuda": ".cuda",
    "utils": ".utils",
    "onnx": ".onnx",
    "vision": ".vision",
    "distributed": ".distributed",
    "profiler": ".profiler",
    "accelerator": ".accelerator",
    "serialization": ".serialization",
    "backends": ".backends",
    "testing": ".testing",
    "special": ".special",
    "amp": ".amp",
    "jit": ".jit",
    "linalg": ".linalg",
    "distributions": ".distributions",
    "func": ".func",
    "fft": ".fft",
}
_LAZY_ATTRS = {
    "relu": ".nn.functional",
    "softmax": ".nn.functional",
    "log_softmax": ".nn.functional",
    "save": ".serialization",
    "load": ".serialization",
    "autograd": ".autograd",
    "return_types": ".ops",
    "stft": "._spectral",
    "istft": "._spectral",
    "autocast": ".amp",
    "is_autocast_enabled": ".amp",
    "get_autocast_dtype": ".amp",
    "det": ".linalg",
    "slogdet": ".linalg",
    "logdet": ".linalg",
    "inverse": ".linalg",
    "orgqr": ".linalg",
    **dict.fromkeys(
        "cholesky cholesky_solve cholesky_inverse qr svd pinverse matrix_power matrix_exp "
        "triangular_solve lu_solve lu_unpack".split(),
        "._linalg_compat",
    ),
    **dict.fromkeys(
        "real imag conj conj_physical angle polar complex view_as_real view_as_complex "
        "isreal".split(),
        "._complex",
    ),
    # nn.functional ops under torch's top-level names and signatures, global switches, utilities
    **dict.fromkeys(
        "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool1d "
        "max_pool2d max_pool3d max_pool1d_with_indices avg_pool1d adaptive_avg_pool1d "
        "adaptive_max_pool1d dropout dropout_ alpha_dropout alpha_dropout_ feature_dropout "
        "feature_dropout_ feature_alpha_dropout feature_alpha_dropout_ batch_norm instance_norm "
        "layer_norm group_norm rms_norm embedding pixel_shuffle pixel_unshuffle channel_shuffle "
        "native_channel_shuffle selu selu_ celu celu_ prelu rrelu rrelu_ threshold threshold_ "
        "hardshrink relu_ bilinear kl_div binary_cross_entropy_with_logits "
        "cosine_embedding_loss margin_ranking_loss hinge_embedding_loss triplet_margin_loss "
        "poisson_nll_loss ctc_loss cosine_similarity pairwise_distance pdist constant_pad_nd "
        "compile set_float32_matmul_precision get_float32_matmul_precision "
        "use_deterministic_algorithms are_deterministic_algorithms_enabled "
        "is_deterministic_algorithms_warn_only_enabled set_deterministic_debug_mode "
        "get_deterministic_debug_mode set_warn_always is_warn_always_enabled is_inference "
        "is_conj is_neg resolve_conj resolve_neg fill scalar_tensor empty_strided frombuffer "
        "as_strided hann_window hamming_window blackman_window bartlett_window kaiser_window "
        "set_flush_denormal get_num_interop_threads set_num_interop_threads typename "
        "is_storage".split(),
        "._toplevel",
    ),
}


# PyTorch namespaces ember does not have yet: asking for one is an AttributeError (so that
# ``hasattr`` works) that says so.
_NOT_YET = ()


def __getattr__(name):
    # Submodules load on first use so that ``import ember`` stays fast.
    import importlib

    if name in _LAZY:
        return importlib.import_module(_LAZY[name], __name__)
    if name in _LAZY_ATTRS:
        mod = importlib.import_module(_LAZY_ATTRS[name], __name__)
        value = globals()[name] = getattr(mod, name, mod)  # later lookups skip this hook
        return value
    if name in _NOT_YET:
        raise AttributeError(
            f"module 'ember' has no attribute '{name}': ember does not implement torch.{name} "
            "yet (docs/compat.md lists what the drop-in mode covers)"
        )
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
