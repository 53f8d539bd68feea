"""ONNX export and import (``onnx``/``onnxruntime`` are optional and imported lazily).

Example:
    >>> ember.onnx.export(model, x, "model.onnx")
    >>> m = ember.onnx.load("model.onnx")
"""

from ._export import TrainingMode, UnsupportedOperatorError, default_opset, export

__all__ = ["TrainingMode", "UnsupportedOperatorError", "default_opset", "export", "load"]


def load(path):
    """An ``nn.Module`` running the ONNX graph in ``path`` with ember ops (trainable).

    Example:
        >>> m = ember.onnx.load("model.onnx")
    """
    from ._import import load as _load

    return _load(path)
