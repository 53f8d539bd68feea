"""``ember.nn``: modules, parameters, functional, init and utilities, as ``torch.nn``.

Example:
    >>> import ember.nn as nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net(ember.randn(3, 4)).shape
    ember.Size([3, 2])
"""

# ruff: noqa: F401  (this file re-exports)
from . import functional, init, utils  # noqa: F401
from . import functional as F  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import (  # noqa: F401
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)


# Sequence models live in their own files (written separately); they plug in when present.
def _plug(module: str, names: str) -> None:
    import importlib

    try:
        mod = importlib.import_module(module, __name__)
    except ImportError:
        return
    for name in names.split():
        if hasattr(mod, name):
            globals()[name] = getattr(mod, name)


_plug(".modules.rnn", "RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell")
_plug(
    ".modules.transformer",
    "MultiheadAttention Transformer TransformerEncoder "
    "TransformerEncoderLayer TransformerDecoder TransformerDecoderLayer",
)
del _plug


def __getattr__(name: str):
    # nn.parallel pulls in ember.distributed, so it loads on first use.
    import importlib

    if name == "parallel":
        return importlib.import_module(".parallel", __name__)
    if name in ("DataParallel", "DistributedDataParallel"):
        mod = importlib.import_module(".parallel", __name__)
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module 'ember.nn' has no attribute '{name}'")
