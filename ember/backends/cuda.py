"""torch.backends.cuda: matmul precision flags, recorded and without effect in ember.

Example:
    >>> ember.backends.cuda.matmul.allow_tf32 = True
    >>> ember.backends.cuda.matmul.allow_tf32
    True
"""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: attributes a script may set and read back."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self):
        return f"<ember.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = _MatmulFlags()


def is_built() -> bool:
    """Whether ember can run on CUDA at all (CuPy is installed and sees a GPU).

    Example:
        >>> ember.backends.cuda.is_built() in (True, False)
        True
    """
    from .. import cuda

    return cuda.is_available()
