"""torch.backends.mps: Apple's Metal backend, which ember does not have.

Example:
    >>> ember.backends.mps.is_available()
    False
"""


def is_available() -> bool:
    """Always False: ember has no MPS device.

    Example:
        >>> ember.backends.mps.is_available()
        False
    """
    return False


def is_built() -> bool:
    """Always False: ember is not built with MPS support.

    Example:
        >>> ember.backends.mps.is_built()
        False
    """
    return False
