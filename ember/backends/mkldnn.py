"""torch.backends.mkldnn: oneDNN, which ember does not use (``enabled`` is recorded only).

Example:
    >>> ember.backends.mkldnn.is_available()
    False
"""

enabled = True


def is_available() -> bool:
    """Always False: ember's CPU kernels are NumPy's, not oneDNN's.

    Example:
        >>> ember.backends.mkldnn.is_available()
        False
    """
    return False
