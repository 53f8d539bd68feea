"""torch.backends: switches for the vendor libraries PyTorch can run on.

ember runs on NumPy (CPU) and CuPy (CUDA) and calls none of cuDNN, oneDNN (mkldnn), MPS or
OpenMP directly, so every flag here is recorded and has no effect: scripts that set
``torch.backends.cudnn.benchmark = True`` or ``torch.backends.cuda.matmul.allow_tf32 = True``
run unchanged and read back what they set. The ``is_available()`` functions say truthfully
what ember can use.

Example:
    >>> import ember
    >>> ember.backends.cudnn.benchmark = True
    >>> ember.backends.cudnn.benchmark
    True
"""

from . import cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "openmp"]
