"""torch.backends.openmp: ember has no OpenMP kernels of its own (NumPy's BLAS threads itself).

Example:
    >>> ember.backends.openmp.is_available()
    False
"""


def is_available() -> bool:
    """Always False: ember does not parallelise with OpenMP (see ``ember.set_num_threads``).

    Example:
        >>> ember.backends.openmp.is_available()
        False
    """
    return False
