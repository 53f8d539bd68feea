"""``nn.utils``: gradient clipping, parameter/vector conversion and the ``rnn`` helpers."""

from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403

try:  # PackedSequence and friends live in their own module, written separately
    from . import rnn  # noqa: F401
except ImportError:
    pass
