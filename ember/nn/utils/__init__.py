"""``nn.utils``: gradient clipping, parameter/vector conversion, parametrizations, weight and
spectral norm, conv/linear-bn fusion, functional_call and the ``rnn`` helpers."""

from . import parametrizations, parametrize, stateless  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from .fusion import *  # noqa: F401,F403
from .init import skip_init  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401

try:  # PackedSequence and friends live in their own module, written separately
    from . import rnn  # noqa: F401
except ImportError:
    pass
