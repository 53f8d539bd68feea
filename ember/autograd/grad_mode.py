"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled", "anomaly", "inference")

    def __init__(self):
        self.enabled = True
        self.anomaly = False
        self.inference = False


state = _State()


def is_grad_enabled() -> bool:
    """Whether ops record a graph for autograd.

    Example:
        >>> with ember.no_grad(): ember.is_grad_enabled()
        False
    """
    return state.enabled


class _GradMode:
    """Base for the context managers; each also works as a decorator."""

    _mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)

        return wrapper

    def _args(self):
        return ()


class _NoParamMode(_GradMode):
    """A mode that also works as a bare decorator: ``@ember.no_grad``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoParamMode):
    """Context manager (and decorator) that turns graph recording off.

    Example:
        >>> with ember.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    _mode = False


class enable_grad(_NoParamMode):
    """Context manager (and decorator) that turns graph recording back on.

    Example:
        >>> with ember.no_grad(), ember.enable_grad(): ember.is_grad_enabled()
        True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off; acts at once, and as a context manager restores it.

    Example:
        >>> with ember.set_grad_enabled(False): pass
    """

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self._mode

    def __enter__(self):
        pass

    def _args(self):
        return (self._mode,)


class inference_mode(_GradMode):
    """Like no_grad, for inference-only code (``inference_mode(False)`` is a no-op).

    Example:
        >>> with ember.inference_mode(): y = model(x)
    """

    def __new__(cls, mode=True):
        if callable(mode):  # bare decorator: @ember.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        self._prev = state.enabled
        self._prev_inf = state.inference
        if self._inference:
            state.enabled = False
            state.inference = True

    def __exit__(self, *exc):
        state.enabled = self._prev
        state.inference = self._prev_inf
        return False

    def _args(self):
        return (self._inference,)


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block is active.

    Example:
        >>> with ember.inference_mode(): ember.is_inference_mode_enabled()
        True
    """
    return state.inference


class detect_anomaly:
    """Within it, a backward that produces NaN raises an error naming the op.

    Example:
        >>> with ember.autograd.detect_anomaly(): loss.backward()
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off; as a context manager restores it afterwards."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = state.anomaly
        state.anomaly = bool(mode) and check_nan

    def __enter__(self):
        pass


def is_anomaly_enabled() -> bool:
    return state.anomaly
